#!/usr/bin/env python
"""Soak test of exact resume under SIGKILL (a manual check of minutes, not a CI test).

A smoke-size dVAE-Adv and a smoke-size FAR are each trained once without interruption, then trained again in a
process that is killed with SIGKILL at a random moment and resumed (`resume=True`), `--kills` times (default 10),
before a last resume runs to the end. After every kill each checkpoint or model file in the output folder must
load whole (weights-only); a temporary file left by a kill that landed mid-write is counted (the next run deletes
it). At the end the resumed run's weights must equal the uninterrupted run's, bit for bit: the digest `fit`
reports over every module, and the SHA-256 of every tensor in `model.pt` and in the final checkpoint (aside
from the history's seconds and numpy's global RNG state, which training never seeds nor draws from). Prints
one line per kill and a summary; exit status 1 if anything differs.

    .venv/bin/python tools/soak_resume.py [--kills 10] [--seed 0] [--steps-dvae 40] [--steps-far 60] [--keep DIR]
"""
from __future__ import annotations
import argparse, hashlib, os, random, shutil, signal, subprocess, sys, tempfile, time
from dataclasses import replace
from pathlib import Path

CKPT_EVERY = 2          # often, so that kills also land while a checkpoint is being written

def soak_params():
    "The smoke profile, checkpointing every `CKPT_EVERY` steps."
    from nwt.config import load_params
    P = load_params(profile='smoke')
    P.train_dvae = replace(P.train_dvae, ckpt_every=CKPT_EVERY)
    P.prior = replace(P.prior, ckpt_every=CKPT_EVERY)
    return P

def child(kind: str, out: str, steps: int, work: str):
    "One training process: resume (or start) `kind` in `out` for `steps` steps; touches `out`.ready once set up."
    import torch
    torch.set_num_threads(1)                      # the same arithmetic in every process
    from nwt.testing import smoke_dataset
    from nwt.training.dvae import train_dvae
    from nwt.training.prior import train_prior
    P, sd, w = soak_params(), smoke_dataset(), Path(work)
    Path(out + '.ready').touch()
    if kind == 'dvae': train_dvae(sd, out, 'mem16', P, steps, resume=True, progress=False)
    else: train_prior('far', sd, w/'encoded', out, P, steps, resume=True, progress=False)

def launch(kind, out, steps, work):
    Path(str(out) + '.ready').unlink(missing_ok=True)
    return subprocess.Popen([sys.executable, __file__, '--child', kind, str(out), str(steps), str(work)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

def tensors_sha(obj, skip=('history',)) -> str:
    "SHA-256 over every tensor (and plain value) in a loaded checkpoint, keys in order; `skip`: top-level keys left out."
    import torch
    h = hashlib.sha256()
    def walk(k, v):
        if k == 'rng.numpy': return       # numpy's global generator: never seeded nor drawn from in training, so each process's own
        if isinstance(v, dict):
            for kk in sorted(v, key=str): walk(f'{k}.{kk}', v[kk])
        elif isinstance(v, (list, tuple)):
            for i, x in enumerate(v): walk(f'{k}[{i}]', x)
        elif torch.is_tensor(v): h.update(k.encode()); h.update(str(v.dtype).encode()); h.update(v.contiguous().view(-1).view(torch.uint8).numpy().tobytes())
        else: h.update(f'{k}={v!r}'.encode())
    for k in sorted(obj):
        if k not in skip and k != 'summary': walk(k, obj[k])
    return h.hexdigest()[:16]

def digests(out: Path) -> dict:
    from nwt.io import load_checkpoint
    m, c = load_checkpoint(out/'model.pt'), load_checkpoint(out/'checkpoint.pt')
    return dict(weights=m['summary']['weights'], model_pt=tensors_sha(m), checkpoint=tensors_sha(c), step=m['step'])

def check_folder(out: Path) -> tuple:
    "(checkpoint step or None, temporaries left, files that failed to load): every checkpoint and model file present must load."
    from nwt.io import load_checkpoint
    step, bad = None, []
    for name in ('checkpoint.pt', 'model.pt'):
        if (out/name).exists():
            try:
                ck = load_checkpoint(out/name)
                if name == 'checkpoint.pt': step = ck['step']; assert {'model', 'rng', 'history'} <= set(ck)
            except Exception as e: bad.append(f'{name}: {e}')
    temps = sorted(p.name for p in out.glob('.*.pt.*')) if out.exists() else []
    return step, temps, bad

def wait_done(p, timeout=900):
    try: p.wait(timeout)
    except subprocess.TimeoutExpired: p.kill(); p.wait(); raise SystemExit('a training process hung')
    if p.returncode: raise SystemExit(f'a training process failed ({p.returncode}): {p.stderr.read()[-2000:]}')

def soak(kind: str, steps: int, kills: int, work: Path, rng: random.Random) -> dict:
    ref, out = work/f'{kind}_ref', work/f'{kind}_killed'
    t0 = time.perf_counter(); p = launch(kind, ref, steps, work); ready = first = None
    while p.poll() is None:                       # the uninterrupted run, timed: start-up, set-up, one step
        now = time.perf_counter() - t0
        if ready is None and Path(str(ref) + '.ready').exists(): ready = now
        if first is None and (ref/'checkpoint.pt').exists(): first = now
        time.sleep(0.002)
    wait_done(p); wall = time.perf_counter() - t0
    ready, first = ready or 0.0, first or wall
    per_step = (wall - first) / max(1, steps - CKPT_EVERY); setup = max(0.0, first - ready - CKPT_EVERY * per_step)
    print(f'{kind}: uninterrupted {steps} steps: {wall:.1f} s (start-up {ready:.1f} s, set-up {setup:.1f} s, '
          f'{1000 * per_step:.0f} ms a step, a checkpoint every {CKPT_EVERY} steps)', flush=True)
    # the kill moments: `kills` random points of the uninterrupted run's training, in order; each process is killed
    # when it should reach the next one (set-up, then the steps from its checkpoint on), or, where the last kill
    # already lost that far, at a random moment of its set-up and first checkpoint interval
    targets = sorted(rng.uniform(0, steps * per_step) for _ in range(kills))
    t_soak = time.perf_counter(); log = []
    for k in range(kills):
        before = check_folder(out)[0] or 0
        delay = setup + targets[k] - before * per_step
        if delay < setup: delay = rng.uniform(0, setup + CKPT_EVERY * per_step)
        p = launch(kind, out, steps, work); t1 = time.perf_counter()
        while not Path(str(out) + '.ready').exists() and p.poll() is None: time.sleep(0.002)
        t_ready = time.perf_counter() - t1
        while time.perf_counter() - t1 < t_ready + delay and p.poll() is None: time.sleep(0.002)
        finished = p.poll() is not None
        if not finished: p.send_signal(signal.SIGKILL)
        p.wait(); at = time.perf_counter() - t1
        step, temps, bad = check_folder(out)
        log.append(dict(at=at, before=before, step=step, temps=temps, bad=bad, finished=finished))
        print(f'  kill {k + 1:2d}: {"(had finished) " if finished else ""}resumed from step {before:2d}, SIGKILL {at - t_ready:5.2f} s '
              f'after start-up ({at:5.2f} s after launch): checkpoint now at step {step}, '
              f'{"temporary left: " + ", ".join(temps) if temps else "no temporary"}, '
              f'{"UNLOADABLE: " + "; ".join(bad) if bad else "all files load"}', flush=True)
    p = launch(kind, out, steps, work); wait_done(p)
    a, b = digests(ref), digests(out)
    same = a == b
    print(f'{kind}: uninterrupted {a}', flush=True)
    print(f'{kind}: killed+resumed {b}  -> {"IDENTICAL" if same else "DIFFERENT"}', flush=True)
    return dict(kind=kind, kills=sum(not l['finished'] for l in log), mid_write=sum(bool(l['temps']) for l in log),
                with_ckpt=sum(l['step'] is not None and not l['finished'] for l in log), unloadable=sum(bool(l['bad']) for l in log),
                steps_at_kills=[l['step'] or 0 for l in log], same=same, seconds=time.perf_counter() - t_soak,
                uninterrupted_seconds=wall, ref=a, resumed=b)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--kills', type=int, default=10)
    ap.add_argument('--seed', type=int, default=0, help='seed of the kill moments')
    ap.add_argument('--steps-dvae', type=int, default=40)
    ap.add_argument('--steps-far', type=int, default=60)
    ap.add_argument('--keep', help='work in this folder and keep it (default: a temporary folder, deleted)')
    ap.add_argument('--child', nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: return child(a.child[0], a.child[1], int(a.child[2]), a.child[3])
    t0 = time.perf_counter(); rng = random.Random(a.seed)
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix='nwt-soak-'))
    work.mkdir(parents=True, exist_ok=True)
    import torch
    torch.set_num_threads(1)
    from nwt.testing import smoke_dataset
    from nwt.training.dvae import train_dvae
    from nwt.models.dvae import load_dvae
    from nwt.training.prior import encode_dataset
    sd, P = smoke_dataset(), soak_params()
    if not (work/'encoded'/'info.json').exists():      # FAR learns the Memcodes of a 2-step dVAE-Adv
        train_dvae(sd, work/'dvae_for_codes', 'mem16', P, steps=2, progress=False)
        encode_dataset(load_dvae(work/'dvae_for_codes'/'model.pt'), sd, work/'encoded', progress=False)
    try:
        res = [soak('dvae', a.steps_dvae, a.kills, work, rng), soak('far', a.steps_far, a.kills, work, rng)]
    finally:
        if not a.keep: shutil.rmtree(work, ignore_errors=True)
    print(f'\nsummary (seed {a.seed}, {time.perf_counter() - t0:.0f} s in all):')
    for r in res:
        print(f"  {r['kind']:4s}: {r['kills']} SIGKILLs ({r['with_ckpt']} with a checkpoint already written, {r['mid_write']} left a temporary file, "
              f"{r['unloadable']} left an unloadable file; checkpoint steps after each kill {r['steps_at_kills']}), "
              f"final weights {r['resumed']['weights']} vs uninterrupted {r['ref']['weights']}: "
              f"{'identical' if r['same'] else 'DIFFERENT'}; {r['seconds']:.0f} s of kills and resumes")
    ok = all(r['same'] and not r['unloadable'] and r['with_ckpt'] for r in res)   # and at least one kill resumed from a checkpoint
    print('OK' if ok else 'FAILED'); sys.exit(0 if ok else 1)

if __name__ == '__main__': main()
