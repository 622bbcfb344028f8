"""figures/demo.png: the Gradio demo (nwt_demo) on the trained models, after a scripted visitor typed a sentence and pressed Generate.

    .venv/bin/python tools/demo_screenshot.py [--models-dir models] [--out figures/demo.png]

Starts `nwt_demo` on a free localhost port, drives it with headless Chromium (Debian's package, through Playwright),
waits for the generated video, prints its duration beside the spoken sentence's, and saves a full-page screenshot.
"""
import argparse, sys, time
from pathlib import Path
from playwright.sync_api import sync_playwright
from nwt.apps.generate import speak
from nwt.testing import browser, free_port, running


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--models-dir', default='models')
    ap.add_argument('--out', default='figures/demo.png')
    ap.add_argument('--text', default='Good evening, and welcome to the show. Tonight, a story about a giant pumpkin.')
    a = ap.parse_args()
    port = free_port()
    with running([Path(sys.executable).parent/'nwt_demo', '--models-dir', a.models_dir, '--port', port], port,
                 {'GRADIO_ANALYTICS_ENABLED': 'False'}), sync_playwright() as pw:
        b = browser(pw); page = b.new_page(viewport=dict(width=1200, height=1000))
        page.goto(f'http://127.0.0.1:{port}/'); page.wait_for_selector('#generate', timeout=120000)
        page.fill('#text textarea', a.text)
        t0 = time.perf_counter(); page.click('#generate')
        page.wait_for_function("(() => { const v = document.querySelector('#result video'); return v && v.duration > 0; })()", timeout=300000)
        took = time.perf_counter() - t0
        page.evaluate("document.querySelector('#result video').currentTime = 1.5")
        time.sleep(1.0)
        dur = page.evaluate("document.querySelector('#result video').duration")
        tmp = Path(a.out).with_suffix('.tmp.png'); page.screenshot(path=str(tmp), full_page=True); tmp.replace(a.out)
        b.close()
    print(f"video {dur:.2f} s for a sentence of {len(speak(a.text)) / 24000:.2f} s, generated and shown in {took:.1f} s; wrote {a.out}")


if __name__ == '__main__':
    main()
