"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which cannot be installed here).
`python tools/make_readme.py --check` exits 1 when README.md is out of date instead of writing it."""
import sys, os, tempfile
from pathlib import Path
from nbconvert import MarkdownExporter
import nbformat

ROOT = Path(__file__).resolve().parents[1]

def render() -> str:
    "The README text rendered from nbs/index.ipynb (markdown, code cells and their stored outputs)."
    nb = nbformat.read(ROOT/'nbs'/'index.ipynb', as_version=4)
    body, _ = MarkdownExporter().from_notebook_node(nb)
    head = "<!-- generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file -->\n\n"
    return head + body.strip() + "\n"

if __name__ == '__main__':
    text, fn = render(), ROOT/'README.md'
    if '--check' in sys.argv:
        ok = fn.exists() and fn.read_text() == text
        if not ok: print("README.md is out of date with nbs/index.ipynb: run `make readme`")
        sys.exit(0 if ok else 1)
    fd, tmp = tempfile.mkstemp(dir=ROOT, prefix='.README.')
    with os.fdopen(fd, 'w') as f: f.write(text)
    os.replace(tmp, fn)
