"""Two scripted participants through the real study in headless Chromium; the screenshot figures/mos_rating_page.png.

    .venv/bin/python tools/mos_browser_demo.py [--study data/mos/study] [--screenshot figures/mos_rating_page.png]

Starts `nwt_mos serve` on a free localhost port with a *temporary* database (scripted answers never go into
data/mos/ratings/, where they would count as human ratings), walks one honest participant and one who fails the
trap through qualification, setup, training and rating (nwt.studies.mos_app.scripted_participant), screenshots the first
rating page of the honest one, and prints what the CrowdMOS aggregation makes of the two. The scores the script
gives are fixed by system (ground truth 5, FAR 3, MAR 2): the printed MOS show the pipeline working, not anyone's opinion.
"""
import argparse, sys, tempfile, time
from pathlib import Path
from playwright.sync_api import sync_playwright
from nwt.studies.mos import read_study, ratings_from_db, crowdmos_filter, mos_table
from nwt.testing import browser, free_port, running, scripted_participant


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--study', default='data/mos/study')
    ap.add_argument('--screenshot', default='figures/mos_rating_page.png')
    a = ap.parse_args()
    man = read_study(a.study)
    port = free_port()
    with tempfile.TemporaryDirectory() as td:
        db = Path(td)/'scripted.sqlite'
        with running([Path(sys.executable).parent/'nwt_mos', 'serve', '--study', a.study, '--db', db, '--port', port], port), sync_playwright() as pw:
            b = browser(pw); t0 = time.perf_counter()
            page = b.new_page(viewport=dict(width=820, height=760))
            shot = Path(td)/'shot.png'
            honest = scripted_participant(page, f'http://127.0.0.1:{port}/', man, honest=True, screenshot=shot)
            careless = scripted_participant(b.new_page(), f'http://127.0.0.1:{port}/', man, honest=False)
            b.close()
        print(f"two participants done in {time.perf_counter() - t0:.0f} s; completion codes {honest}, {careless}")
        Path(a.screenshot).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(a.screenshot).with_suffix('.tmp.png'); tmp.write_bytes(shot.read_bytes()); tmp.replace(a.screenshot)
        rows = ratings_from_db(db, man)
        kept, rep = crowdmos_filter(rows)
        print(f"{len(rows)} answers; participants {rep['participants']}; dropped {rep['dropped']}")
        for e, row in mos_table(kept, list(man['systems'])).items():
            print(e, {man['systems'][k]: (v['mos'], v['ci95'], v['n']) for k, v in row.items()})
    print(f"wrote {a.screenshot}")


if __name__ == '__main__':
    main()
