"""How sure is a trained dVAE's q(z|x), and does its decoder care? Prints one JSON line for the first validation clips:
per-head mean of max_n q(z=n|x), the share of heads where a Gumbel-max sample differs from the argmax, and the SSIM
of decoding the argmax codes vs a sample (nbs/23_train_prior, "The targets").

    python tools/memcode_confidence.py models/dvae_mem16/model.pt [--clips 2] [--frames 60]"""
import argparse, json
import torch
from nwt.eval.metrics import ssim
from nwt.data.prep import ClipDataset
from nwt.models.dvae import load_dvae
from nwt.io import to_unit

a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
a.add_argument('model'); a.add_argument('--prepared', default='data/prepared')
a.add_argument('--clips', type=int, default=2); a.add_argument('--frames', type=int, default=60)
args = a.parse_args()
m, g = load_dvae(args.model).eval(), torch.Generator().manual_seed(0)
ds = ClipDataset(args.prepared, 'val', mode='clip')
pmax, differ, s_arg, s_smp = [], [], [], []
with torch.no_grad():
    for i in range(min(args.clips, len(ds))):
        it = ds[i]; v = it['video'][None, :, :args.frames]
        o, s = m.encode(v, mode='argmax'), m.encode(v, mode='sample', generator=g)
        pmax.append(o.logits.float().softmax(-1).max(-1).values.flatten(0, -2))
        differ.append((s.codes != o.codes).float().mean())
        b = to_unit(v)
        s_arg.append(ssim(b, to_unit(m.decode(o.quantized, it['episode']))).mean())
        s_smp.append(ssim(b, to_unit(m.decode(s.quantized, it['episode']))).mean())
p = torch.cat(pmax)
print(json.dumps(dict(model=args.model, clips=len(s_arg), frames_per_clip=args.frames, codebook_size=m.cfg.codebook_size,
                      pmax_per_head=[round(float(x), 3) for x in p.mean(0)], pmax_median=round(float(p.median()), 3),
                      sample_differs_from_argmax=round(float(torch.stack(differ).mean()), 4),
                      ssim_argmax=round(float(torch.stack(s_arg).mean()), 4), ssim_sample=round(float(torch.stack(s_smp).mean()), 4))))
