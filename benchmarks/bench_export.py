"""Interactive files (`python -m lstm_viz export`): for every scene of the course, in English and Chinese, the time
to write the file, its size, and in headless Chromium (from file://, every other request refused) the time from
navigation to the view drawn (the first step and every chart) and, where the view has a time control, from a key
press to the next step drawn (median of 30 presses). The whole course's folder is weighed too.

    python benchmarks/bench_export.py
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lstm_viz.teach import interactive, lessons  # noqa: E402

KEY_TO_STEP = """async () => {
  const root = document.querySelector('section.lv-view:not([hidden]) .lv-host').shadowRoot;
  if (!root) return null;  // a view without a time control (gradients, interventions)
  const host = root.querySelector('.lv-player');
  const out = [];
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Home', bubbles: true}));
  await new Promise(r => requestAnimationFrame(() => r()));
  for (let k = 0; k < 30; k++) {
    const before = host.dataset.t;
    const t0 = performance.now();
    document.dispatchEvent(new KeyboardEvent('keydown', {key: k % 2 ? 'ArrowLeft' : 'ArrowRight', bubbles: true}));
    await new Promise(r => requestAnimationFrame(() => r()));
    if (host.dataset.t === before) throw new Error('no step');
    out.push(performance.now() - t0);
  }
  return out; }"""


def only(url: str):
    """A route handler that lets ``url`` through and refuses everything else."""
    def handler(route):
        route.continue_() if route.request.url == url else route.abort()
    return handler


def main() -> int:
    from playwright.sync_api import sync_playwright

    scenes = lessons.load_lessons()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        for sc in scenes:
            for lang in ("en", "zh"):
                t0 = time.perf_counter()
                text = interactive.for_scene(sc.id, lang)
                written = time.perf_counter() - t0
                path = Path(tmp) / f"{sc.id}_{lang}.html"
                path.write_text(text, encoding="utf-8")
                url = path.as_uri()
                ctx = browser.new_context(viewport={"width": 1280, "height": 720})
                ctx.route("**/*", only(url))
                pg = ctx.new_page()
                pg.goto(url)
                pg.wait_for_selector("body[data-ready='1']")
                opening = re.search(r'<section class="lv-view" data-view="\d+">(.*?)</section>', text, re.S).group(1)
                charts = opening.count('class="lv-chart"') + 2 * opening.count('class="lv-knobs"')  # its two charts
                pg.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
                                     polling="raf")
                first = pg.evaluate("() => performance.now()")
                keys = pg.evaluate(KEY_TO_STEP)
                rows.append((sc.id, lang, written, len(text.encode("utf-8")) / 2**20, first,
                             statistics.median(keys) if keys else None, max(keys) if keys else None))
                ctx.close()
        browser.close()
    print("| scene | lang | write (s) | size (MB) | open → view drawn (ms) | key → step, median / max (ms) |")
    print("|---|---|---|---|---|---|")
    for sid, lang, w, mb, first, med, mx in rows:
        keys = "–" if med is None else f"{med:.1f} / {mx:.1f}"
        print(f"| {sid} | {lang} | {w:.2f} | {mb:.2f} | {first:.0f} | {keys} |")
    course = interactive.course("en")
    print(f"\nthe whole course (en): {len(course)} files, "
          f"{sum(len(t.encode('utf-8')) for t in course.values()) / 2**20:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
