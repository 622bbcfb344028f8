#!/usr/bin/env python
"""One prior-training trial (issue 31, training-side levers): train FAR or MAR with overrides of the cpu profile and
trial-only options, then measure what it generates with the protocol of nbs/pipeline/eval_generate.ipynb; append one
JSON line to the record.

    python tools/prior_trial.py NAME --kind far ['{"prior": {"change_weight": 1.0}}'] [--context-noise 0.1] [--amp bf16]
                                [--steps N] [--seeds 0 1 2] [--record nbs/trials/prior_training.jsonl]

Precision and layout are the library's knobs (prior.amp, prior.channels_last; --amp and --channels-last set them).
Trial-only options (not library knobs yet; a lever that wins becomes one):
  --context-noise p  during training, each head code of the decoder's input context (the previous frame's codes for FAR,
                     the previous Memcodes for MAR; never the targets) is replaced by a random code with probability p
                     (exposure bias: taming-transformers' pkeep = 1 - p; GameNGen noises its context frames)
Rows: Cond (the clip's style from its own codes) and Cond with the next clip's audio, on the first `evaluate.clips` test
clips x `evaluate.frames` frames, seeds as given, `sampling` as in params.yaml; teacher-forced validation accuracy
(`evaluate_prior`) beside copying the previous frame. Trials are one run each on a 2-core machine: read small
differences as noise (seed spread is in r_by_seed)."""
import argparse, json, subprocess, time
from dataclasses import replace
from pathlib import Path
import numpy as np
import torch
from nwt.config import load_params
from nwt.data.prep import read_manifest
from nwt.io import to_video_tensor, to_frames
from nwt.models.dvae import encode_video, decode_video
from nwt.models.inference import load_prior, generate_codes, change_rate
from nwt.apps.generate import find_models
from nwt.eval.metrics import mouth_window, video_scores, summarize, frame_ssim
from nwt.training.loop import fit, setup_distributed
from nwt.training.prior import PriorTask, evaluate_prior


class TrialTask(PriorTask):
    "PriorTask with a noised input context."
    def __init__(self, *a, noise: float = 0.0, **k):
        super().__init__(*a, **k)
        if noise > 0: noised_context(self.model.embed, self.model.N, noise, self.p.seed)


def noised_context(embed: torch.nn.Embedding, N: int, p: float, seed: int = 0):
    "In training mode, each code (< N: never the start or pad tokens) that `embed` reads is replaced by a random code with probability `p`."
    g, forward = torch.Generator().manual_seed(seed), embed.forward
    def noisy(tokens):
        if embed.training:
            hit = (tokens < N) & (torch.rand(tokens.shape, generator=g) < p)
            tokens = torch.where(hit, torch.randint(0, N, tokens.shape, generator=g), tokens)
        return forward(tokens)
    embed.forward = noisy


def generated_rows(prior, dvae, prepared: Path, E, Z, seeds) -> dict:
    "Cond and Cond-with-shuffled-audio rows as eval_generate computes them (one prior), plus change rate and SSIM by frame index."
    clips = [r for r in read_manifest(prepared) if r['split'] == E.split and r['truth_path']][:E.clips]
    n = min(E.frames, min(r['frames'] for r in clips))
    mels = [np.load(prepared/r['mel_path'])[:4 * n] for r in clips]
    mels = [np.concatenate([m, np.repeat(m[-1:], 4 * n - len(m), 0)]) for m in mels]
    gt = [np.load(prepared/r['frames_path'])[:n] for r in clips]
    eps = torch.tensor([r['episode_id'] for r in clips]); mel = torch.from_numpy(np.stack(mels)).transpose(1, 2).float()
    codes_ref = [encode_video(dvae, to_video_tensor(v)) for v in gt]
    with torch.no_grad(): cond_z = prior.style(torch.from_numpy(np.stack(codes_ref).astype(np.int64)), sample=False).mean
    rows = {'Cond': [], 'Cond, shuffled audio': []}; ssim_t = []
    for seed in seeds:
        codes = generate_codes(prior, torch.cat([mel, mel.roll(-1, 0)]), n, torch.cat([cond_z, cond_z]), eps.repeat(2), Z.temperature(prior.kind, E.temperature),
                               seed=seed, seen_only=Z.seen_only, copy_logit=Z.copy_logit)
        for k, row in enumerate(rows):
            for ci, r in enumerate(clips):
                c = codes[k * len(clips) + ci].numpy(); v = to_frames(decode_video(dvae, c, int(eps[ci])))
                truth = np.load(prepared/r['truth_path'])['mouth_open'][:n]
                rows[row].append(dict(seed=seed, **video_scores(gt[ci], v, truth, mouth_window(gt[ci]), E.max_lag),
                                      memcodes_changed=change_rate(c)['per_memcode']))
                if k == 0: ssim_t.append(frame_ssim(gt[ci], v))
    out = {}
    for row, v in rows.items():
        s = summarize(v); s['memcodes_changed'] = round(float(np.mean([d['memcodes_changed'] for d in v])), 4)
        s['r_by_seed'] = [round(float(np.mean([d['r'] for d in v if d['seed'] == sd])), 4) for sd in seeds]
        out[row] = s
    st = np.mean(ssim_t, 0); out['Cond']['ssim_first_15'], out['Cond']['ssim_last_15'] = round(float(st[:15].mean()), 4), round(float(st[-15:].mean()), 4)
    out['real_memcodes_changed'] = round(float(np.mean([change_rate(c)['per_memcode'] for c in codes_ref])), 4)
    return out


def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('name'); a.add_argument('overrides', nargs='?', default='{}', help='JSON: {group: {key: value}} over the cpu profile')
    a.add_argument('--kind', default='far'); a.add_argument('--steps', type=int, default=None)
    a.add_argument('--context-noise', type=float, default=0.0); a.add_argument('--amp', default=None, choices=['auto', 'none', 'bf16'], help='prior.amp (default: the profile\'s)')
    a.add_argument('--channels-last', default=None, type=lambda v: v.lower() in ('1', 'true', 'yes'), help='prior.channels_last: true or false (default: the profile\'s)')
    a.add_argument('--seeds', nargs='+', type=int, default=[0]); a.add_argument('--profile', default='cpu')
    a.add_argument('--threads', type=int, default=None, help="torch's thread count (default: torch's)")
    a.add_argument('--prepared', default='data/prepared'); a.add_argument('--encoded', default='data/encoded'); a.add_argument('--models', default='models')
    a.add_argument('--out', default='/tmp/nwt-prior-trials')
    a.add_argument('--model', default=None, help='evaluate this model.pt instead of training one'); a.add_argument('--record', default='nbs/trials/prior_training.jsonl')
    args = a.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    P, ov = load_params(profile=args.profile), json.loads(args.overrides)
    for group, kv in ov.items(): setattr(P, group, replace(getattr(P, group), **kv))
    if args.amp is not None: P.prior = replace(P.prior, amp=args.amp)
    if args.channels_last is not None: P.prior = replace(P.prior, channels_last=args.channels_last)
    steps = args.steps or (P.prior.steps_far if args.kind == 'far' else P.prior.steps_mar)
    out = Path(args.out)/args.name; d = setup_distributed(); t0 = time.time()
    if args.model:                                   # measure a trained prior as it is (e.g. the stage's, as the reference row)
        model_pt = Path(args.model); ck = torch.load(model_pt, map_location='cpu', weights_only=False); s = ck['summary']; steps = ck['step']
    else:
        task = TrialTask(args.kind, args.prepared, args.encoded, P, steps, d, noise=args.context_noise)
        s = fit(task, steps, out, d, seed=P.prior.seed, progress=False, ckpt_every=P.prior.ckpt_every, log_every=P.prior.log_every,
                max_bad_steps=P.prior.max_bad_steps)
        model_pt = out/'model.pt'
    t1 = time.time()
    prior = load_prior(model_pt); _, dvae = find_models(args.kind, args.models)
    ev = evaluate_prior(prior, args.prepared, args.encoded, 'val', P.prior.val_clips, P.prior.targets)
    rows = generated_rows(prior, dvae, Path(args.prepared), P.evaluate, P.sampling, args.seeds)
    rev = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip() or 'unknown'
    res = dict(name=args.name, kind=args.kind, model=str(args.model) if args.model else None, base=f'{args.profile} profile of commit {rev}', overrides=ov, steps=steps,
               context_noise=args.context_noise, amp=s.get('precision', 'fp32').replace('fp32', 'none'), channels_last=None if args.model else P.prior.channels_last, seeds=args.seeds, temperature=P.sampling.temperature(args.kind, P.evaluate.temperature), train_s=round(t1 - t0, 1), eval_s=round(time.time() - t1, 1),
               updates_per_s=s['updates_per_s'], threads=torch.get_num_threads(),
               val=dict(accuracy=ev['accuracy'], copy_previous=ev['accuracy_copy_previous_frame'], style_zero=ev['accuracy_style_zero'], ce=ev['ce']),
               **rows)
    print(json.dumps(res))
    with open(args.record, 'a') as f: f.write(json.dumps(res) + '\n')


if __name__ == '__main__':
    main()
