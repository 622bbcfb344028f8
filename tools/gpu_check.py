"""The GPU check, in one run on any machine with one CUDA GPU (`make gpu-check` runs it): the benchmark at the
paper's sizes (nwt.bench.gpu, within a time budget, eager rows first), then the `gpu` profile's dVAE-Adv (Mem16): its
step time measured, trained on the prepared corpus for as many steps as a second budget allows (the profile's own
schedule compressed to those steps), and evaluated on the validation split beside the `cpu` profile's committed numbers.

    make gpu-check                                   # prepares the corpus (dvc repro prep) if needed, writes gpu_out/
    python tools/gpu_check.py OUT [--bench-budget 300] [--train-budget 180] [--prepared data/prepared]

Everything lands in OUT (small files only: JSON, a Markdown table, a CSV training curve; no model weights): copy
OUT/gpu_bench.json to metrics/ and commit it with a note of the GPU it came from. The check needs the project
installed (`make setup`, with a CUDA build of torch) and about 10 minutes of GPU time at the default budgets.
"""
import argparse, csv, json, sys, time, traceback
from dataclasses import replace
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import nwt.training.loop as ntrain
from nwt.config import load_params, save_json
from nwt.bench.gpu import gpu_bench, bench_table, bench_training, device_info, synthetic_corpus, stage_estimates
from nwt.training.dvae import train_dvae, evaluate_dvae
from nwt.models.dvae import load_dvae

class CsvLive:
    "The part of dvclive's `Live` that `fit` uses, writing one CSV row per logged step (dvclive is not installed on the device)."
    def __init__(self, path): self.path, self.step, self.rows = Path(path), 0, {}
    def log_metric(self, k, v): self.rows.setdefault(self.step, {})[k] = v
    def next_step(self): pass
    def end(self):
        keys = sorted({k for r in self.rows.values() for k in r})
        with open(self.path, 'w', newline='') as f:
            w = csv.writer(f); w.writerow(['step', *keys])
            for s, r in sorted(self.rows.items()): w.writerow([s, *[r.get(k, '') for k in keys]])

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('out'); ap.add_argument('--bench-budget', type=float, default=300.0)
    ap.add_argument('--train-budget', type=float, default=180.0); ap.add_argument('--prepared', default='data/prepared')
    ap.add_argument('--bench-profile', default='paper'); ap.add_argument('--train-profile', default='gpu')
    ap.add_argument('--device', default='cuda'); ap.add_argument('--micro', type=int, default=8)
    ap.add_argument('--steps', type=int, default=3); ap.add_argument('--compile-mode', default='reduce-overhead')
    a = ap.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True); t0 = time.perf_counter()
    log = lambda s: print(f"[{time.perf_counter() - t0:6.1f} s] {s}", flush=True)
    report = dict(device=device_info(a.device), bench_budget_s=a.bench_budget, train_budget_s=a.train_budget)
    save = lambda: save_json(out/'gpu_check.json', report)
    save(); log(json.dumps(report['device']))
    try:                                                                   # 1. the benchmark at the paper's sizes
        res = gpu_bench(a.bench_profile, a.device, out/'gpu_bench.json', micro=a.micro, log=log, budget=a.bench_budget,
                        steps=a.steps, repeat=3, warmup=1, compile_mode=a.compile_mode)
        (out/'gpu_bench.md').write_text(bench_table(res) + '\n'); print(bench_table(res), flush=True)
    except Exception as e:
        report['bench_error'] = f"{type(e).__name__}: {e}"; traceback.print_exc(); save()
    try:                                                                   # 2. the gpu profile's dVAE-Adv
        G = load_params(profile=a.train_profile); td = G.train_dvae
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:                        # an adversarial step (the dearer kind) on random frames
            prep, enc = synthetic_corpus(tmp, G, clips=2)
            r = bench_training('dvae', G, prep, enc, a.device, 'bf16' if td.amp == 'bf16' else 'tf32', steps=5, repeat=3, warmup=3)
        log(f"gpu profile dVAE adversarial step: {r['seconds_per_update']} s, {r['peak_memory_mb']} MiB, {r['tflops']} TFLOP/s")
        report['gpu_profile'] = dict(profile=a.train_profile, steps=td.steps, critics_from=td.critics_from, adversarial_step=r)
        save()
        n = min(td.steps, max(50, int(a.train_budget / r['seconds_per_update'] * 0.9)))   # 10% for the loop's own syncs and checkpoint
        Q = replace(G, train_dvae=replace(td, steps=n, critics_from=round(td.critics_from * n / td.steps),
                                          warmup=min(td.warmup, n // 10), ckpt_every=n, log_every=max(1, n // 100)))
        ntrain.live_logger = lambda d, resume=False: CsvLive(out/'train_dvae_gpu_curve.csv')
        t1 = time.perf_counter()
        summary = train_dvae(a.prepared, out/'model', 'mem16', Q, n, device=a.device, log_dir=str(out), progress=False)
        wall = time.perf_counter() - t1; log(f"trained {n} steps in {wall:.1f} s")
        m = load_dvae(out/'model'/'model.pt', a.device)
        cpu = json.loads(Path('metrics/dvae.json').read_text()) if Path('metrics/dvae.json').exists() else {}
        cpu_val = cpu.get('models', {}).get('mem16', {}).get('validation') or {}
        ev = evaluate_dvae(m, a.prepared, 'val', cpu_val.get('clips', td.val_clips))   # the clips the cpu profile's number used
        sec = summary['train_seconds'] / n                                  # the same mix of warm-up and adversarial steps as the full run
        report['gpu_profile'].update(seconds_per_step=round(sec, 4), minutes_full_schedule=round(td.steps * sec / 60, 1),
                                     steps_in_10_minutes=int(600 / sec))
        report['gpu_profile'].update(trained_steps=n, trained_critics_from=Q.train_dvae.critics_from, train_wall_s=round(wall, 1),
                                     summary={k: v for k, v in summary.items() if k != 'last'}, last=summary.get('last'), val=ev,
                                     cpu_profile_val=cpu_val or None)
        for f in (out/'model').glob('*'): f.unlink()                       # no weights come back
    except Exception as e:
        report['train_error'] = f"{type(e).__name__}: {e}"; traceback.print_exc()
    report['wall_s'] = round(time.perf_counter() - t0, 1); save(); log('done')

if __name__ == '__main__':
    main()
