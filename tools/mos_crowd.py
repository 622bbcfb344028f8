"""Load test of `nwt_mos serve` on the pipeline's own study package (issue 34): a burst of participants arriving within one second,
or a soak of participants arriving over minutes; the client runs in several processes (one Python process of 200 threads measured its
own GIL, not the server). Writes the result into nbs/trials/mos_crowd.json under `--name` (read, not typed, by nbs/71_mos_app).

    python tools/mos_crowd.py --name burst200 --participants 200 --within 1
    python tools/mos_crowd.py --name soak1000 --participants 1000 --within 600 --limit 900
    python tools/mos_crowd.py --name burst200_gunicorn --participants 200 --within 1 --server gunicorn
"""
import argparse, json, multiprocessing as mp, os, sys, tempfile, time
from pathlib import Path
import numpy as np
from nwt.config import repo_root, machine_line, machine_info
from nwt.studies.mos import read_study
from nwt.studies.mos_app import _parser as serve_parser
from nwt.testing import crowd, missing_ratings, free_port, running

def _client(args):
    base, manifest, n, within, limit, seed, t0 = args
    return crowd(base, manifest, n, within, limit, seed, t0)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--name', required=True); ap.add_argument('--participants', type=int, default=200)
    ap.add_argument('--within', type=float, default=1.0); ap.add_argument('--limit', type=float, default=600.0)
    ap.add_argument('--study', default='data/mos/study'); ap.add_argument('--server', default=None, help="gunicorn or waitress (default: nwt_mos serve's own)")
    ap.add_argument('--clients', type=int, default=4, help="client processes"); ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    a.server = a.server or serve_parser().parse_args(['serve']).server     # what nwt_mos serve picks on this platform
    root = repo_root(); manifest = read_study(root/a.study)
    db = Path(tempfile.mkdtemp(prefix='nwt-crowd-'))/'crowd.sqlite'; port = free_port()
    cmd = [Path(sys.executable).parent/'nwt_mos', 'serve', '--study', root/a.study, '--db', db, '--port', port, '--server', a.server]
    with running(cmd, port):
        t0 = time.monotonic() + 3.0                                      # every client process is up before the first arrival
        share = [a.participants // a.clients + (i < a.participants % a.clients) for i in range(a.clients)]
        with mp.get_context('spawn').Pool(a.clients) as pool:
            parts = pool.map(_client, [(f'http://127.0.0.1:{port}', manifest, n, a.within, a.limit, a.seed * 100 + i, t0) for i, n in enumerate(share)])
        wall = time.monotonic() - t0
    ms = np.sort(np.concatenate([p['request_ms'] for p in parts]))
    ratings = [r for p in parts for r in p['ratings']]
    row = dict(participants=a.participants, within_s=a.within, server=a.server, client_processes=a.clients,
               finished=sum(p['finished'] for p in parts), http_5xx=sum(p['http_5xx'] for p in parts), errors=sum(p['errors'] for p in parts),
               first_errors=[e for p in parts for e in p['first_errors']][:3], requests=int(len(ms)), ratings_accepted=len(ratings),
               ratings_missing=len(missing_ratings(db, ratings)), median_ms=round(float(np.median(ms)), 1), p95_ms=round(float(np.percentile(ms, 95)), 1),
               max_ms=round(float(ms[-1]), 1), wall_s=round(wall, 1), limit_s=a.limit, study=a.study,
               hits=len(manifest['hits']), machine=machine_line(machine_info('fp32')), date=time.strftime('%Y-%m-%d'),
               command=' '.join(['python tools/mos_crowd.py'] + sys.argv[1:]))
    print(json.dumps(row, indent=1))
    f = root/'nbs/trials/mos_crowd.json'; rec = json.loads(f.read_text()) if f.exists() else {}
    rec.setdefault('runs', {})[a.name] = row
    tmp = f.with_suffix('.tmp'); tmp.write_text(json.dumps(rec, indent=1) + '\n'); os.replace(tmp, f)

if __name__ == '__main__': main()
