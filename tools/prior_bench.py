#!/usr/bin/env python
"""Cost of one FAR / MAR training step (issue 31): FLOPs by part, wall time, GFLOP/s against this machine's peaks, by
precision, memory layout, compilation and thread count; and FAR and MAR trained side by side in two one-thread processes.

    python tools/prior_bench.py --label before [--profile cpu] [--kinds far mar] [--threads 1 2] [--amp none bf16]
                                [--channels-last] [--compile] [--pair 30] [--record nbs/trials/prior_step_speed.json]

A step is `PriorTask`'s step on made-up data at the profile's sizes (Mem16's grid, 8 heads of 8 codes, the profile's window
and batch; 87% of Memcodes copied from the frame before, about the corpus's share): `prior_loss` (teacher-forced forward,
weighted cross-entropy, style KL), its backward and one Adam step, under `torch.autocast` where --amp bf16. Every time is
the median of --repeat calls after warm-up. FLOPs by part are the forward's matmuls and convolutions per top-level module
(`FlopCounterMode`); forward time by part from module hooks. --pair N trains N steps of FAR and of MAR at once, each in its
own one-thread process (fp32 and bf16), and reports each one's updates/s beside the stage's pair (FAR then MAR, two
threads, fp32): the wall time of the stage's steps (prior.steps_far + prior.steps_mar) both ways.
Each run appends one row to the record; nbs/23_train_prior shows the table."""
import argparse, json, os, subprocess, sys, time
import torch
from torch.utils.flop_counter import FlopCounterMode
from nwt.config import load_params, cpu_speed, autocast_for
from nwt.models.inference import prior_model
from nwt.models.dvae import to_channels_last
from nwt.training.prior import prior_loss, lr_at
from nwt.bench.cpu import append_run, median_seconds

GRID, HEADS, N, EPISODES = (16, 14), 8, 8, 12          # Mem16's Memcodes, the default corpus's episodes


def fake_batch(P, seed: int = 0, keep: float = 0.87) -> dict:
    "Random windows shaped like `prior_batch`'s: codes (B, T, 16, 14, 8) that keep `keep` of their Memcodes from frame to frame, mel, episode."
    p, g = P.prior, torch.Generator().manual_seed(seed)
    B, T = p.batch, p.window
    codes = torch.randint(0, N, (B, T, *GRID, HEADS), generator=g)
    for t in range(1, T):
        same = torch.rand(B, *GRID, 1, generator=g) < keep
        codes[:, t] = torch.where(same, codes[:, t - 1], codes[:, t])
    return dict(codes=codes, mel=torch.randn(B, P.prep.n_mels, 4 * T, generator=g), episode=torch.randint(0, EPISODES, (B,), generator=g))


def build(kind: str, P, channels_last: bool = False, compile: bool = False):
    "(model, optimizer, the module prior_loss calls) at the profile's sizes, as `PriorTask` builds them."
    torch.manual_seed(0)
    model = prior_model(kind, P.prior, GRID, HEADS, N, EPISODES, P.prep.n_mels)
    if channels_last: to_channels_last(model)
    opt = torch.optim.Adam(model.parameters(), lr=P.prior.lr, betas=tuple(P.prior.betas), eps=P.prior.eps)
    return model, opt, (torch.compile(model) if compile else model)


def step_fn(kind, P, model, opt, net, batch, amp: str):
    "One training step, as `PriorTask.losses` + `update` do it (with bf16 autocast where `amp` is 'bf16')."
    steps, autocast = (P.prior.steps_far if kind == 'far' else P.prior.steps_mar), autocast_for(amp)
    def step():
        for gr in opt.param_groups: gr['lr'] = lr_at(0, P.prior, steps)
        with autocast():
            loss, _ = prior_loss(net, batch, P.prior.beta_style, P.prior.change_weight)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return step


def parts(model, batch) -> list[dict]:
    "Forward GFLOP and ms per top-level part (ModuleList members summed under the list's name)."
    fc = FlopCounterMode(display=False)
    with fc, torch.no_grad(): model(batch['codes'], batch['mel'], batch['episode'])
    counts = fc.get_flop_counts(); top = type(model).__name__
    spent, hooks = {}, []
    def watch(name, m):
        def pre(*_): spent.setdefault(name, []).append(-time.perf_counter())
        def post(*_): spent[name][-1] += time.perf_counter()
        hooks.extend([m.register_forward_pre_hook(pre), m.register_forward_hook(post)])
    for name, child in model.named_children():
        for m in (child if isinstance(child, torch.nn.ModuleList) else [child]): watch(name, m)
    times = {}
    for _ in range(3):
        spent.clear()
        with torch.no_grad(): model(batch['codes'], batch['mel'], batch['episode'])
        for k, v in spent.items(): times.setdefault(k, []).append(sum(v))
    for h in hooks: h.remove()
    rows = []
    for name, child in model.named_children():
        keys = [f'{top}.{name}.{i}' for i in range(len(child))] if isinstance(child, torch.nn.ModuleList) else [f'{top}.{name}']
        fl = sum(sum(counts.get(k, {}).values()) for k in keys)
        ms = 1e3 * sorted(times.get(name, [0.0]))[1]
        rows.append(dict(part=name, gflop=round(fl / 1e9, 3), ms=round(ms, 2), gflops=round(fl / 1e9 / max(ms / 1e3, 1e-9), 1)))
    return rows


def measure(kind, P, threads, amp, channels_last=False, compile=False, repeat=5):
    torch.set_num_threads(threads)
    model, opt, net = build(kind, P, channels_last, compile)
    batch = fake_batch(P); step = step_fn(kind, P, model, opt, net, batch, amp)
    t0 = time.perf_counter(); step(); first = time.perf_counter() - t0           # compilation, where asked, happens here
    fc = FlopCounterMode(display=False)
    with fc: step_fn(kind, P, *build(kind, P), batch, 'none')()                  # FLOPs of the eager fp32 step (the same arithmetic)
    fl = fc.get_total_flops()
    s = median_seconds(step, repeat=repeat, warmup=1)
    return dict(kind=kind, threads=threads, amp=amp, channels_last=channels_last, compile=compile, gflop=round(fl / 1e9, 2),
                ms=round(1e3 * s, 1), gflops=round(fl / 1e9 / s, 1), updates_per_s=round(1 / s, 2), first_step_s=round(first, 1),
                parameters=sum(p.numel() for p in model.parameters()))


def child(kind, profile, amp, steps):
    "Runs in a one-thread process of --pair: `steps` training steps; prints updates/s."
    torch.set_num_threads(1); P = load_params(profile=profile)
    model, opt, net = build(kind, P); step = step_fn(kind, P, model, opt, net, fake_batch(P), amp)
    step(); t0 = time.perf_counter()
    for _ in range(steps): step()
    print(json.dumps(dict(kind=kind, amp=amp, updates_per_s=steps / (time.perf_counter() - t0))), flush=True)


def pair(profile, amp, steps) -> dict:
    "FAR and MAR at once, one thread each: each one's updates/s while the other trains."
    procs = [subprocess.Popen([sys.executable, __file__, '--child', k, '--profile', profile, '--amp', amp, '--pair', str(steps)],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, 'OMP_NUM_THREADS': '1'}) for k in ('far', 'mar')]
    out = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return {o['kind']: round(o['updates_per_s'], 2) for o in out}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--label', default=''); ap.add_argument('--profile', default='cpu')
    ap.add_argument('--kinds', nargs='+', default=['far', 'mar']); ap.add_argument('--threads', nargs='+', type=int, default=[1, 2])
    ap.add_argument('--amp', nargs='+', default=['none', 'bf16']); ap.add_argument('--channels-last', action='store_true')
    ap.add_argument('--compile', action='store_true'); ap.add_argument('--pair', type=int, default=0)
    ap.add_argument('--repeat', type=int, default=5); ap.add_argument('--record', default=None)
    ap.add_argument('--child', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child: return child(a.child, a.profile, a.amp[0], a.pair)
    P = load_params(profile=a.profile)
    row = dict(label=a.label, profile=a.profile, window=P.prior.window, batch=P.prior.batch, far_scale=P.prior.far_scale,
               mar_scale=P.prior.mar_scale, commit=subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip(),
               machine=dict(cpu_speed()), steps=[], parts={})
    for kind in a.kinds:
        torch.set_num_threads(max(a.threads))
        model, _, _ = build(kind, P); row['parts'][kind] = parts(model, fake_batch(P))
        for t in a.threads:
            for amp in a.amp:
                row['steps'].append(measure(kind, P, t, amp, repeat=a.repeat)); print(json.dumps(row['steps'][-1]), flush=True)
        t = max(a.threads)
        for amp in a.amp:
            if a.channels_last: row['steps'].append(measure(kind, P, t, amp, channels_last=True, repeat=a.repeat)); print(json.dumps(row['steps'][-1]), flush=True)
            if a.compile: row['steps'].append(measure(kind, P, t, amp, compile=True, repeat=a.repeat)); print(json.dumps(row['steps'][-1]), flush=True)
    if a.pair:
        rate = {(s['kind'], s['threads'], s['amp']): s['updates_per_s'] for s in row['steps'] if not s['channels_last'] and not s['compile']}
        n = dict(far=P.prior.steps_far, mar=P.prior.steps_mar); t2 = max(a.threads)
        stage = {amp: sum(n[k] / rate[(k, t2, amp)] for k in n) for amp in a.amp if all((k, t2, amp) in rate for k in n)}
        row['pair'] = dict(steps=a.pair, stage_steps=n, sequential_s={amp: round(v, 1) for amp, v in stage.items()}, side_by_side={})
        for amp in a.amp:
            r = pair(a.profile, amp, a.pair); w = max(n[k] / r[k] for k in n)
            row['pair']['side_by_side'][amp] = dict(updates_per_s=r, stage_s=round(w, 1))
            print(json.dumps(dict(pair=amp, **row['pair']['side_by_side'][amp])), flush=True)
        base = stage.get('none')
        if base: row['pair']['speedup_vs_sequential_fp32'] = {amp: round(base / v['stage_s'], 2) for amp, v in row['pair']['side_by_side'].items()}
    print(json.dumps({k: v for k, v in row.items() if k != 'steps'}, indent=1))
    if a.record: append_run(a.record, row, title="FAR and MAR (issue 31): one training step by precision, layout, compilation and threads; the pair side by side",
                            how="tools/prior_bench.py: " + __doc__.split('\n\n')[1].replace('\n', ' '))


if __name__ == '__main__':
    main()
