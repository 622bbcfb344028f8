"""One Appendix A trial (nbs/50_mnist, "Sizing the CPU run"): train one MNIST model with overrides of the cpu
profile's `mnist` group and append one JSON line to a results file.

    python tools/mnist_trial.py NAME VARIANT '{"steps": 3000, "gumbel_noise": 1.0}' [--heads 11 --codebook 2]
    python tools/mnist_trial.py NAME VARIANT '{...}' --bench 200      # step cost only: FLOPs, ms per step, MFU

Model selection never sees the test digits: trials train on 3,500 of the 4,000 training digits and score the other
500 (stratified); the `mnist` stage trains on all 4,000 and reports the 1,000 test digits. One run each on a shared
2-core machine: read differences of a point or two of accuracy, or 10% in time, as noise."""
import argparse, json, subprocess, time
from dataclasses import replace
import torch
from sklearn.model_selection import train_test_split
from nwt.config import load_params
from nwt.training.loop import Dist
from nwt.bench.cpu import count_flops
from nwt.studies.mnist import MnistData, MnistTask, load_mnist, train_mnist, train_classifier, encode_codes, occupancy, hamming_nn_classify, critic_accuracy

a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
a.add_argument('name'); a.add_argument('variant'); a.add_argument('overrides', help='JSON: {key: value} over the cpu profile\'s mnist group')
a.add_argument('--heads', type=int, default=11); a.add_argument('--codebook', type=int, default=2)
a.add_argument('--seed', type=int, default=0); a.add_argument('--threads', type=int, default=2)
a.add_argument('--bench', type=int, default=0, help='time this many steps instead of training a model')
a.add_argument('--results', default='nbs/trials/mnist_cpu.jsonl')
args = a.parse_args()
torch.set_num_threads(args.threads)
ov = json.loads(args.overrides)
p = replace(load_params(profile='cpu').mnist, **ov)
full = load_mnist(p.test_size, p.split_seed)
tr, va = train_test_split(list(range(len(full.y_train))), test_size=500, stratify=full.y_train.numpy(), random_state=1)
data = MnistData(full.x_train[tr], full.y_train[tr], full.x_train[va], full.y_train[va])   # x_test here: the validation digits
rev = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip() or 'unknown'
knobs = ('steps', 'batch', 'lr', 'critic_lr', 'beta', 'gumbel_noise', 'critic_dense', 'gp_every', 'amp', 'channels_last', 'augment',
         'class_augment', 'warmup', 'critic_first', 'class_weight', 'classifier_steps', 'classifier_lr', 'width')
res = dict(name=args.name, variant=args.variant, heads=args.heads, codebook=args.codebook, seed=args.seed, threads=args.threads,
           base=f'cpu profile of commit {rev}', overrides=ov, recipe={k: getattr(p, k) for k in knobs})

clf = None
if args.variant == 'pretrained':
    clf, cs = train_classifier(data, p, args.seed, progress=False)
    res.update(classifier_val_accuracy=round(critic_accuracy(clf, data.x_test, data.y_test), 4), classifier_s=cs['train_seconds'])
if args.bench:
    task = MnistTask(data, args.variant, args.heads, args.codebook, p, args.seed, p.steps, clf)
    s0 = p.critic_first + p.warmup + 1   # time full steps: after the critic-only phase and the warm-up (a gradient-penalty step included)
    b = task.batch(0, Dist())
    flops = count_flops(lambda: task.update(task.losses(b, s0)[0], s0))
    t0 = time.perf_counter()
    for s in range(s0, s0 + args.bench): task.update(task.losses(task.batch(s, Dist()), s)[0], s)
    ms = 1000 * (time.perf_counter() - t0) / args.bench
    res.update(bench_steps=args.bench, gflop_per_step=round(flops / 1e9, 3), ms_per_step=round(ms, 2),
               steps_per_min=round(60000 / ms), gflops=round(flops / 1e6 / ms, 1))
else:
    t0 = time.time()
    model, critic, log = train_mnist(data, args.variant, args.heads, args.codebook, p, seed=args.seed, progress=False, classifier=clf)
    ctr, cva = encode_codes(model, data.x_train), encode_codes(model, data.x_test)
    res.update(train_s=log['train_seconds'], steps_per_s=round(p.steps / max(log['train_seconds'], 1e-9), 1),
               val_accuracy=round(float((hamming_nn_classify(ctr, data.y_train, cva) == data.y_test).float().mean()), 4),
               distinct_codes=int(torch.unique(ctr, dim=0).shape[0]),
               val_pixel_l1=round(float((model.decode_codes(cva).detach() - data.x_test).abs().mean()), 4),
               last={k: (round(v, 4) if isinstance(v, float) else v) for k, v in log.items() if k != 'weights'})
    if args.heads == 2: res['occupancy'] = round(float((occupancy(ctr, data.y_train, args.codebook).sum(-1) > 0).float().mean()), 4)
    if args.variant == 'class': res['critic_val_accuracy'] = round(critic_accuracy(critic, data.x_test, data.y_test), 4)
print(json.dumps(res))
with open(args.results, 'a') as f: f.write(json.dumps(res) + '\n')
