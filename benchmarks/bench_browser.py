"""What a person waits for in a real browser: headless Chromium (Debian's) against `streamlit run app.py` on
loopback, driven by Playwright. Prints medians; nothing here is a test (the machine is shared and noisy).

    python benchmarks/bench_browser.py [--presses 40] [--loads 5]

- key press -> new step drawn: from the keydown event to the next frame painted after the player has redrawn
  (an animation frame, then a task after it), at 2,000 steps and H = 64;
- ten Right presses 50 ms apart: how many steps they advance;
- first load of the default page on a warm server: navigation start -> the player drawn and the run finished;
- bytes over the websocket for one sequence's step data (2,000 steps, H = 64) and per rerun at 10,000 steps;
- a 10,000-step sequence: stepping inside its window, and End (a new window from the server);
- the gradient view's knobs dragged by the mouse across their whole range: each move (a slider input) -> the charts
  redrawn (the next frame painted after the knobs component drew), median and max over the values drawn while
  dragging, and the websocket frames sent during the drags (none: the sweeps came with the page).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
import urllib.parse
import urllib.request

from playwright.sync_api import sync_playwright
from serving import start_streamlit

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
TEXT = "the quick brown fox jumps over the lazy dog. "

FIND = """const find = () => { for (const host of document.querySelectorAll('*')) {
  const p = host.shadowRoot && host.shadowRoot.querySelector('.lv-player'); if (p) return p; } };"""

MEASURE_KEY = """async () => {""" + FIND + """
  const root = find();
  const before = root.dataset.t;
  const t0 = performance.now();
  const drawn = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      if (root.dataset.t !== before) {
        obs.disconnect();
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));  // the next frame painted
      }
    });
    obs.observe(root, {attributes: true});
  });
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
  return (await drawn) - t0;
}"""


# installed in the page before a drag: each knob input (heard first, in the capture phase) is timed until the
# frame after the knobs component has drawn, and counted as a redraw if a chart's drawn data was replaced
WATCH_KNOBS = """() => {
  window.__knobs = {times: [], changed: 0, live: 0};
  const charts = () => [...document.querySelectorAll('.lvk-chart')].map(d => d._fullData);
  document.addEventListener('input', (ev) => {
    if (!ev.target.dataset || !ev.target.dataset.knob) return;
    const t0 = performance.now(), before = charts();
    requestAnimationFrame(() => setTimeout(() => {
      if (document.querySelector('.lvk-status').textContent) return;  // a value drawn on release
      window.__knobs.live += 1;
      window.__knobs.times.push(performance.now() - t0);
      if (charts().some((d, i) => d !== before[i])) window.__knobs.changed += 1;
    }, 0));
  }, true);
}"""


def drag_knobs(browser, url: str) -> tuple[list[float], int, int, int]:
    """Every knob of the view at ``url`` (gradient or intervention) dragged by the mouse from its start to each end
    and back, one value a move: (times of the moves drawn live, moves that changed a chart, moves drawn live,
    frames sent)."""
    pg = browser.new_page(viewport={"width": 1366, "height": 900})
    sent = []
    pg.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(1)))
    pg.goto(url)
    pg.wait_for_selector(".lvk-main .main-svg", timeout=120_000)
    pg.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
    pg.wait_for_timeout(1000)
    pg.evaluate(WATCH_KNOBS)
    during = 0
    for knob in pg.locator("input[data-knob]").all():
        box = knob.bounding_box()
        top, start = int(knob.get_attribute("max")), int(knob.input_value())
        y = box["y"] + box["height"] / 2
        x = [box["x"] + 8 + (box["width"] - 16) * i / top for i in range(top + 1)]
        frames = len(sent)
        pg.mouse.move(x[start], y)
        pg.mouse.down()
        for i in [*range(start + 1, top + 1), *range(top - 1, -1, -1), *range(1, start + 1)]:
            pg.mouse.move(x[i], y)
            pg.wait_for_timeout(60)
        pg.wait_for_timeout(300)
        during += len(sent) - frames
        pg.mouse.up()  # back where it started: no rerun
        pg.wait_for_timeout(300)
    k = pg.evaluate("() => window.__knobs")
    pg.close()
    return k["times"], k["changed"], k["live"], during


def ready(pg) -> None:
    pg.wait_for_selector(".lv-player[data-t]", timeout=120_000)
    pg.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)


def open_page(browser, url: str, bytes_seen: list | None = None):
    pg = browser.new_page(viewport={"width": 1366, "height": 768})
    if bytes_seen is not None:
        pg.on("websocket", lambda ws: ws.on("framereceived", lambda p: bytes_seen.append(len(p))))
    pg.goto(url)
    ready(pg)
    pg.locator("h1").click()
    return pg


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presses", type=int, default=40)
    ap.add_argument("--loads", type=int, default=5)
    a = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    proc, url = start_streamlit()
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            open_page(browser, url).close()  # warm the server: shipped model loaded, caches filled

            loads = []
            for _ in range(a.loads):
                pg = browser.new_page(viewport={"width": 1366, "height": 768})
                t0 = time.perf_counter()
                pg.goto(url)
                ready(pg)
                loads.append(time.perf_counter() - t0)
                pg.close()
            rows.append(("first load of the default page, warm server (median)", f"{statistics.median(loads):.2f} s",
                         "≤ 2 s"))

            text = (TEXT * 50)[:2000]
            query = urllib.parse.urlencode({"source": "random", "hidden": 64, "text": text})
            seen: list[int] = []
            pg = open_page(browser, f"{url}/?{query}", seen)
            rows.append(("bytes over the websocket for the page with 2,000 steps, H = 64 (whole first run)",
                         f"{sum(seen) / 2**20:.2f} MB", "≤ 1.5 MB of step data"))
            times = [pg.evaluate(MEASURE_KEY) for _ in range(a.presses)]
            rows.append(("key press -> new step drawn, 2,000 steps, H = 64 (median / max)",
                         f"{statistics.median(times):.1f} / {max(times):.1f} ms", "≤ 30 ms"))
            pg.keyboard.press("Home")
            t_before = int(pg.get_attribute(".lv-player", "data-t"))
            for _ in range(10):
                pg.keyboard.press("ArrowRight")
                pg.wait_for_timeout(50)
            moved = int(pg.get_attribute(".lv-player", "data-t")) - t_before
            rows.append(("ten Right presses 50 ms apart advance", f"{moved} steps", "exactly 10"))
            pg.close()

            text = (TEXT * 230)[:10_000]
            seen = []
            t0 = time.perf_counter()
            pg = open_page(browser, f"{url}/?" + urllib.parse.urlencode({"text": text}), seen)
            first = time.perf_counter() - t0
            rows.append(("10,000 steps: bytes of the first run", f"{sum(seen) / 2**20:.2f} MB", "≤ 2 MB per rerun"))
            times = [pg.evaluate(MEASURE_KEY) for _ in range(a.presses)]
            rows.append(("10,000 steps: key press -> new step drawn (median)", f"{statistics.median(times):.1f} ms",
                         "steps"))
            seen.clear()
            t0 = time.perf_counter()
            pg.keyboard.press("End")
            pg.wait_for_function("() => {" + FIND + " return find().dataset.t === '9999'; }", timeout=120_000)
            ready(pg)
            rows.append(("10,000 steps: End, a new window from the server", f"{time.perf_counter() - t0:.2f} s, "
                         f"{sum(seen) / 2**20:.2f} MB", "reported"))
            rows.append(("10,000 steps: first load", f"{first:.2f} s", "reported"))
            pg.close()

            times, changed, live, sent = [], 0, 0, 0
            for address in ("?view=grad", "?view=grad&cell=rnn", "?view=grad&fbias=1", "?view=intervene&igate=f"):
                t, c, n, f = drag_knobs(browser, url + "/" + address)
                times, changed, live, sent = times + t, changed + c, live + n, sent + f
            rows.append(("knob drag -> charts redrawn, every knob of three gradient views and the clamp (median / max)",
                         f"{statistics.median(times):.1f} / {max(times):.1f} ms", "≤ 33 ms"))
            rows.append(("  moves drawn while dragging; of them, a chart changed; frames sent while dragging",
                         f"{live}; {changed}; {sent}", "every move; 0 frames"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  {'value':>22}  goal")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:>22}  {goal}")


if __name__ == "__main__":
    main()
