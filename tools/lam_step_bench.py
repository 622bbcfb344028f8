#!/usr/bin/env python
"""Cost of one Listen-and-Move training step (issue 32): FLOPs by part, wall time by part, GFLOP/s, the Python share.

    python tools/lam_step_bench.py --label before [--threads 1] [--record nbs/trials/lam_step_speed.json]

A step is one `LamTask` step on random data (batch 1, the stage's window): generator forward, critic loss + its backward,
generator loss + its backward, both Adam steps. Parts are timed separately (median of `--repeat` after a warm-up).
The Python share is estimated as 1 - (time of the step's matmuls/convolutions at this machine's measured rates) / (wall time).
Each run appends one row (its label, sizes, commit) to the record; nbs/60_listen_and_move shows the table."""
import argparse, json, os, subprocess, sys
from dataclasses import asdict
if os.environ.get('NWT_SRC'):                 # measure another checkout's nwt (e.g. a git worktree of an earlier commit)
    sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in type(f).__name__.lower() and 'editable' not in str(f).lower()]
    sys.path.insert(0, os.environ['NWT_SRC'])
import torch
from nwt.baselines.lam import ablation_config
from nwt.baselines.lam_train import LamTask, LamTrainConfig
from nwt.bench.cpu import append_run, count_flops, median_seconds, matmul_gflops, conv_gflops


def fake_clips(T: int, size: int, bands: int = 64, n: int = 2):
    g = torch.Generator().manual_seed(0)
    return [dict(id=f'c{i}', frames=torch.rand(T, 3, size, size, generator=g) * 2 - 1, features=torch.randn(T, bands, generator=g))
            for i in range(n)]


def parts(task, step: int = 1):
    "Callables for the step's parts on one batch (each re-runs what it needs)."
    b = task.batch(step, None)
    f = b[0]
    def gen_fwd():
        with torch.no_grad(): task.g(f)
    def gen_fwd_bwd():
        fake, _ = task.g(f); fake.float().mean().backward()
    def whole():
        losses, _ = task.losses(b, step); task.update(losses, step)
    return dict(generator_forward=gen_fwd, generator_forward_backward=gen_fwd_bwd, step=whole)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--label', required=True); ap.add_argument('--size', type=int, default=64); ap.add_argument('--channels', type=int, default=8)
    ap.add_argument('--window', type=int, default=16); ap.add_argument('--variant', default='dirconvgru'); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeat', type=int, default=5); ap.add_argument('--record', default=None)
    ap.add_argument('--train', default='{}', help='LamTrainConfig fields as JSON (e.g. the stage recipe)')
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    cfg = ablation_config(a.variant, size=a.size, channels=a.channels)
    tc = LamTrainConfig(**{**dict(window=a.window, pixel_l1=10.0), **json.loads(a.train)})
    task = LamTask(fake_clips(2 * a.window, a.size), cfg, tc)
    p = parts(task)
    row = dict(label=a.label, variant=a.variant, size=a.size, channels=a.channels, window=a.window, threads=a.threads,
               train={k: v for k, v in asdict(tc).items() if k not in ('betas',)},
               commit=subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True, cwd=os.environ.get('NWT_SRC')).stdout.strip())
    for name, fn in p.items():
        fl = count_flops(fn)
        s = median_seconds(fn, repeat=a.repeat, warmup=2)
        row[name] = dict(gflop=round(fl / 1e9, 2), ms=round(1e3 * s, 1), gflops=round(fl / 1e9 / s, 1))
    mm, cv = matmul_gflops(1024, repeat=3), conv_gflops(repeat=3)
    compute_s = row['step']['gflop'] / max(mm, cv)
    row['machine_gflops'] = dict(matmul=round(mm, 1), conv=round(cv, 1))
    row['python_share'] = round(1 - compute_s / (row['step']['ms'] / 1e3), 3)
    row['frames_per_s'] = round(a.window / (row['step']['ms'] / 1e3), 1)
    row['code'] = 'a worktree of that commit (NWT_SRC)' if os.environ.get('NWT_SRC') else 'this checkout, with its uncommitted changes'
    print(json.dumps(row, indent=1))
    if a.record: append_run(a.record, row, title="Listen-and-Move (issue 32): one training step, before and after batching the per-frame work",
                            how="tools/lam_step_bench.py: " + __doc__.split('\n\n')[1].replace('\n', ' '))


if __name__ == '__main__':
    main()
