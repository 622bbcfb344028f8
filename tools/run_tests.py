"""The project's test command (what `make test` and CI run).

1. Sync check: `nbdev_export`, `nbdev_clean` and the README render must not change any file
   (the notebooks, the library `nwt/` and README.md agree, and notebooks are clean), and dvc.lock
   must have been recorded for the committed code, notebooks and params; editing one knob must stale exactly the
   stages that list its group in dvc.yaml (checked with `dvc status` in a copy of the project).
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
    leaks = knob_isolation()
    if leaks:
        print("sync check FAILED: editing one knob stales other stages than those listing its group in dvc.yaml:\n  " + "\n  ".join(leaks))
        return False
    print("sync check passed: notebooks, nwt/ and README.md agree; notebooks are clean; dvc.lock matches the code; "
          "each knob stales only the stages that read it")
    return True

# import name -> distribution name, where they differ
DIST = {'cv2': 'opencv-python-headless', 'yaml': 'pyyaml', 'imageio_ffmpeg': 'imageio-ffmpeg',
        'sklearn': 'scikit-learn', 'PIL': 'pillow'}

def missing_requirements() -> list:
    "Third-party modules imported by nwt/*.py that settings.ini's `requirements` does not name (an extra's package, e.g. `demo_requirements`, only when imported inside a function)."
    import configparser
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    names = lambda key: {re.split(r'[<>=!~\[ ]', r)[0].lower().replace('_', '-') for r in cfg['DEFAULT'].get(key, '').split()}
    declared, extras = names('requirements'), names('demo_requirements')
    out = []
    for f in sorted((ROOT/'nwt').rglob('*.py')):
        for m in re.finditer(r'^(\s*)(?:import|from)\s+([A-Za-z_][\w]*)', f.read_text(), re.M):
            indent, mod = m.groups()
            if mod in sys.stdlib_module_names or mod in ('nwt', '__future__'): continue
            dist = DIST.get(mod, mod).lower().replace('_', '-')
            if dist not in declared and not (indent and dist in extras): out.append(f"{f.relative_to(ROOT)}: {mod}")
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

def _bump(v):
    "A different value of the same kind, for a knob edit."
    if isinstance(v, bool): return not v
    if isinstance(v, (int, float)): return v + 1
    if isinstance(v, str): return v + 'x'
    if isinstance(v, list): return v + v[-1:] if v else [1]
    if isinstance(v, dict): return {**v, next(iter(v)): _bump(v[next(iter(v))])} if v else {'probe': 1}
    return 'probe'

def knob_isolation() -> list:
    """In a copy of the project, edit one knob of every parameter group (its `cpu` value, then each profile's overrides of
    it) and append a line to nwt/config.py; `dvc status` must stale exactly the stages whose dvc.yaml `params` name that
    group for that profile (`profiles.${profile}.<group>`, or `profiles.<name>.<group>` explicitly), and none for config.py."""
    import shutil, tempfile, yaml
    from dvc.repo import Repo
    sys.path.insert(0, str(ROOT)); from nwt.config import _groups
    files = subprocess.run(['git', 'ls-files', '-z', '-c', '-o', '--exclude-standard'], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split('\0')
    with tempfile.TemporaryDirectory(prefix='nwt-knobs-') as td:
        tmp = Path(td)
        for f in files:
            if f and (ROOT/f).is_file() and not f.endswith(('.png', '.mp4', '.jsonl')):
                (tmp/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT/f, tmp/f)
        subprocess.run(['git', 'init', '-q'], cwd=tmp, check=True)
        def stale() -> set:
            st = Repo(str(tmp)).status()
            return {name.split(':')[-1] for name, ch in st.items()
                    if any(isinstance(c, dict) and 'params.yaml' in c.get('changed deps', {}) for c in ch)}
        raw = yaml.safe_load((tmp/'params.yaml').read_text()); stages = yaml.safe_load((tmp/'dvc.yaml').read_text())['stages']
        run_profile = raw.get('profile', 'cpu')
        # the copy's dvc.lock records today's values of every listed param, so the check does not depend on the lock's age
        lock = yaml.safe_load((tmp/'dvc.lock').read_text())
        for name, st in stages.items():
            vals = {}
            for e in st.get('params') or []:
                node = raw
                for k in e.replace('${profile}', run_profile).split('.'): node = node[k]
                vals[e.replace('${profile}', run_profile)] = node
            lock['stages'].setdefault(name, {'cmd': st['cmd']})['params'] = {'params.yaml': vals}
        (tmp/'dvc.lock').write_text(yaml.safe_dump(lock, sort_keys=False))
        base = stale()
        if base: return [f"the knob check could not start: {sorted(base)} stale before any edit"]
        def listing(group, profile):
            return {n for n, s in stages.items() if group in (s.get('params') or []) and (
                f'profiles.{profile}.{group}' in s['params'] or (profile == run_profile and f'profiles.${{profile}}.{group}' in s['params']))}
        groups, scalars = _groups(); out = []
        edits = [((g,), listing(g, run_profile)) for g in sorted(groups)] + [((s,), {n for n, st in stages.items() if s in (st.get('params') or [])}) for s in sorted(scalars)]
        edits += [(('profiles', q, g), listing(g, q)) for q in raw.get('profiles', {}) for g in sorted(groups)]
        text = (tmp/'params.yaml').read_text()
        for keys, expected in edits:
            d = yaml.safe_load(text); node = d
            for k in keys[:-1]: node = node[k]
            node[keys[-1]] = _bump(node.get(keys[-1]))
            (tmp/'params.yaml').write_text(yaml.safe_dump(d, sort_keys=False))
            got = stale() - base
            if got != expected - base:
                out.append(f"editing {'.'.join(keys)} stales {sorted(got) or 'nothing'}, expected {sorted(expected - base) or 'nothing'}")
        (tmp/'params.yaml').write_text(text)
        with open(tmp/'nwt'/'config.py', 'a') as f: f.write('\n# an edit that changes no parameter\n')
        r = subprocess.run([str(BIN/'dvc'), 'status', '--json'], cwd=tmp, capture_output=True, text=True)
        hit = sorted(n for n, ch in json.loads(r.stdout or '{}').items()
                     if any(isinstance(c, dict) and 'nwt/config.py' in c.get('changed deps', {}) for c in ch))
        if hit: out.append(f"editing nwt/config.py stales {hit}: stages read parameters through params.yaml, not config.py")
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
