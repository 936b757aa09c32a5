"""Page responsiveness, measured with Streamlit's AppTest (the server side of a rerun; the browser's own
drawing is not included). One thread, median of several interactions. Prints a Markdown table.

Stepping is not here: the step player steps in the browser with no rerun (benchmarks/bench_browser.py). What
reruns is a change of unit (a new series for the player, the model and its trace cached).

    python benchmarks/bench_page.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

BRACKETS = 'f(x [a "b (c" d] (y)) "z" [[a] b] '


def measure(T: int, view: str, repeats: int = 5) -> tuple[float, float, int]:
    """(first render s, median unit-change rerun s, bytes of charts and player data) for a T-step sequence."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params["view"] = view
    at.run()
    text = (BRACKETS * (T // len(BRACKETS) + 1))[:T]
    t0 = time.perf_counter()
    at.text_area(key="text").set_value(text).run()
    first = time.perf_counter() - t0
    assert not at.exception, at.exception
    times = []
    for k in range(1, repeats + 1):
        t0 = time.perf_counter()
        if view in ("step", "time"):
            at.number_input(key="unit").set_value(k).run()
        else:
            at.slider(key="clip").set_value(0.1 * k).run()
        times.append(time.perf_counter() - t0)
    size = sum(len(c.proto.spec) for c in at.get("plotly_chart")) + sum(len(c.proto.json)
                                                                        for c in at.get("bidi_component"))
    return first, statistics.median(times), size


def main() -> None:
    torch.set_num_threads(1)
    print("| sequence | view | first render (model runs) | rerun: unit (step, time) or clip (grad) | data per rerun |")
    print("|---|---|---|---|---|")
    for T in (200, 10_000):
        for view in ("step", "time", "grad"):
            first, step, size = measure(T, view)
            print(f"| {T:,} steps | {view} | {first:.2f} s | {step:.2f} s | {size / 2**20:.2f} MB |", flush=True)


if __name__ == "__main__":
    main()
