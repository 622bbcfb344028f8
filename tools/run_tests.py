"""The project's test command (what `make test` and CI run).

1. Sync check: `nbdev_export`, `nbdev_clean` and the README render must not change any file
   (the notebooks, the library `nwt/` and README.md agree, and notebooks are clean), and dvc.lock
   must have been recorded for the committed code, notebooks and params.
2. `nbdev_test` over every notebook in nbs/ (pipeline notebooks included, at their smoke size).
The last line is `N passed, M failed`: the notebooks plus the sync check.
"""
import hashlib, json, re, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def snapshot() -> dict:
    "Content hash of every file git tracks or would track (untracked, not ignored)."
    files = subprocess.run(['git', 'ls-files', '-z', '-c', '-o', '--exclude-standard'], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split('\0')
    return {f: hashlib.sha1((ROOT/f).read_bytes()).hexdigest() for f in files if f and (ROOT/f).is_file()}

def sync_check() -> bool:
    before = snapshot()
    for cmd in (['nbdev_export'], ['nbdev_clean'], [sys.executable, 'tools/make_readme.py']):
        exe = [str(BIN/cmd[0])] + cmd[1:] if not cmd[0].startswith('/') else cmd
        r = subprocess.run(exe, cwd=ROOT, capture_output=True, text=True)
        if r.returncode: print(f"sync check: `{' '.join(cmd)}` failed:\n{r.stdout}{r.stderr}"); return False
    after = snapshot()
    changed = sorted(f for f in set(before) | set(after) if before.get(f) != after.get(f))
    if changed:
        print("sync check FAILED: nbdev_export / nbdev_clean / make readme changed these files "
              "(run them and commit the result):\n  " + "\n  ".join(changed))
        return False
    missing = missing_requirements()
    if missing:
        print("sync check FAILED: nwt/ imports packages that settings.ini `requirements` does not list "
              "(a fresh install would lack them):\n  " + "\n  ".join(missing))
        return False
    stale = stale_stages()
    if stale:
        print("sync check FAILED: dvc.lock was recorded for other versions of these committed files "
              "(run `dvc repro` after nbdev_export/nbdev_clean and commit dvc.lock):\n  " + "\n  ".join(stale))
        return False
    print("sync check passed: notebooks, nwt/ and README.md agree; notebooks are clean; dvc.lock matches the code")
    return True

# import name -> distribution name, where they differ
DIST = {'cv2': 'opencv-python-headless', 'yaml': 'pyyaml', 'imageio_ffmpeg': 'imageio-ffmpeg',
        'sklearn': 'scikit-learn', 'PIL': 'pillow'}

def missing_requirements() -> list:
    "Third-party modules imported by nwt/*.py that settings.ini's `requirements` does not name."
    import configparser
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    declared = {re.split(r'[<>=!~\[ ]', r)[0].lower().replace('_', '-') for r in cfg['DEFAULT']['requirements'].split()}
    out = []
    for f in sorted((ROOT/'nwt').glob('*.py')):
        for m in re.finditer(r'^\s*(?:import|from)\s+([A-Za-z_][\w]*)', f.read_text(), re.M):
            mod = m.group(1)
            if mod in sys.stdlib_module_names or mod in ('nwt', '__future__'): continue
            if DIST.get(mod, mod).lower().replace('_', '-') not in declared: out.append(f"{f.name}: {mod}")
    return sorted(set(out))

def stale_stages() -> list:
    "Stages whose git-tracked dependencies (code, notebooks, params) differ from what dvc.lock recorded."
    r = subprocess.run([str(BIN/'dvc'), 'status', '--json'], cwd=ROOT, capture_output=True, text=True)
    if r.returncode: return [f"dvc status failed: {r.stderr.strip()[-300:]}"]
    tracked = set(subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True).stdout.split())
    out = []
    for stage, changes in json.loads(r.stdout or '{}').items():
        for ch in changes:
            if isinstance(ch, dict):
                for path, what in ch.get('changed deps', {}).items():
                    if path in tracked: out.append(f"{stage}: {path} {what if isinstance(what, str) else 'modified: ' + ', '.join(what)}")
    return out

def run_nbdev_test():
    "Run nbdev_test, streaming its output; return (passed, failed) notebook names."
    t0 = time.time()
    p = subprocess.Popen([str(BIN/'nbdev_test'), '--do_print', '--timing'], cwd=ROOT, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    for line in p.stdout:
        sys.stdout.write(line); sys.stdout.flush(); lines.append(line.rstrip('\n'))
    rc = p.wait()
    done = [Path(l.split('- Completed ', 1)[1]).name for l in lines if l.startswith('- Completed ')]
    failed, in_list = [], False
    for l in lines:
        if 'Tests Failed On The Following Notebooks' in l: in_list = True
        elif in_list and l.startswith('\t'): failed.append(l.strip())
    if rc and not failed: failed = ['nbdev_test (exited %d before reporting)' % rc]
    print(f"nbdev_test: {len(done)} notebooks in {time.time() - t0:.0f} s")
    return [n for n in done if n not in failed], failed

if __name__ == '__main__':
    ok = sync_check()
    passed, failed = run_nbdev_test()
    n_pass, n_fail = len(passed) + ok, len(failed) + (not ok)
    if failed: print("failed: " + ", ".join(failed))
    print(f"counted: {len(passed) + len(failed)} notebooks + 1 sync check")
    print(f"{n_pass} passed, {n_fail} failed")
    sys.exit(1 if n_fail else 0)
