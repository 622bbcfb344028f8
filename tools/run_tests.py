"""The project's test command (what `make test` and CI run).

1. Sync check: `nbdev_export`, `nbdev_clean` and the README render must not change any file
   (the notebooks, the library `nwt/` and README.md agree, and notebooks are clean).
2. `nbdev_test` over every notebook in nbs/ (pipeline notebooks included, at their smoke size).
The last line is `N passed, M failed`: the notebooks plus the sync check.
"""
import hashlib, re, subprocess, sys, time
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
    print("sync check passed: notebooks, nwt/ and README.md agree; notebooks are clean")
    return True

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
