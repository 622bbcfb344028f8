"""One dVAE-Adv recipe trial (nbs/12_train_dvae, "Sizing the CPU run"): train with `train_dvae`/`memcodes`
overrides of the cpu profile, evaluate on the first validation clips, append one JSON line to a results file.

    python tools/dvae_trial.py NAME '{"train_dvae": {"steps": 7000, "critics_from": 4500}}' [--grid mem16] [--clips 4]

Trials are one run each on a shared 2-core machine: read differences of a few thousandths as noise."""
import argparse, json, subprocess, time
from dataclasses import replace
from pathlib import Path
from nwt.config import load_params
from nwt.training.dvae import train_dvae, evaluate_dvae
from nwt.models.dvae import load_dvae

a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
a.add_argument('name'); a.add_argument('overrides', help='JSON: {group: {key: value}} over the cpu profile')
a.add_argument('--grid', default='mem16'); a.add_argument('--clips', type=int, default=4)
a.add_argument('--prepared', default='data/prepared'); a.add_argument('--out', default='/tmp/nwt-trials')
a.add_argument('--results', default='nbs/trials/dvae_cpu.jsonl')
args = a.parse_args()
P, ov = load_params(profile='cpu'), json.loads(args.overrides)
for group, kv in ov.items(): setattr(P, group, replace(getattr(P, group), **kv))
out = Path(args.out)/args.name
t0 = time.time()
s = train_dvae(args.prepared, out, args.grid, P, log_dir=out/'live', progress=False)
t1 = time.time()
ev = evaluate_dvae(load_dvae(out/'model.pt'), args.prepared, 'val', args.clips)
rev = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip() or 'unknown'
knobs = ('steps', 'critics_from', 'batch', 'window', 'lr', 'warmup', 'lr_schedule', 'ema', 'gp_every')
recipe = dict(gumbel_noise=P.memcodes.gumbel_noise, **{k: getattr(P.train_dvae, k) for k in knobs})
res = dict(name=args.name, base=f'cpu profile of commit {rev}', recipe=recipe, grid=args.grid, overrides=ov, train_s=round(t1 - t0, 1), eval_s=round(time.time() - t1, 1),
           fps=s['train_frames_per_s'], ssim=ev['ssim'], psnr=ev['psnr'], thumb=ev['reference_thumbnail_ssim'],
           ppl=ev['perplexity_mean'], perms=ev['permutations_used'])
print(json.dumps(res))
with open(args.results, 'a') as f: f.write(json.dumps(res) + '\n')
