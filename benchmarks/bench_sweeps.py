"""What the live knobs cost the server: for every shipped model at its example text, the CPU time of the gradient
view's sweeps (lstm_viz/teach/sweeps: every knob's values, each a full gradient_panel) and of the intervention
view's (the clamp value, each a full intervention_panel; models with gates), the bytes they add to the page, and
where the budget turns a knob back to release-only. The CPU time is what the sweeps add to the view itself (the
page computes the view with or without them, and the sweeps take it from the page's cache). One core
(torch.set_num_threads(1)), as on the page; shipped models loaded once, as the page's cache does. Prints a
table; nothing here is a test.

    python benchmarks/bench_sweeps.py
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lstm_viz.models.train import stem_for  # noqa: E402
from lstm_viz.paths import ASSETS  # noqa: E402
from lstm_viz.teach import panels, sweeps  # noqa: E402
from lstm_viz.teach.choice import Loaders, models_for, plain_loaders  # noqa: E402
from lstm_viz.teach.settings import DEFAULTS  # noqa: E402


def shipped() -> list[dict]:
    """Every shipped model's settings (task, cell and lag), from the files in assets/models."""
    out = []
    for card in sorted((ASSETS / "models").glob("*.json")):
        meta = json.loads(card.read_text(encoding="utf-8"))
        lag = meta.get("lag") if meta.get("task") == "recall" else None
        if stem_for(meta.get("task"), meta.get("cell"), lag) == card.stem:
            out.append(dict(task=meta["task"], cell=meta["cell"], **({"lag": lag} if lag else {})))
    return out


def main() -> None:
    torch.set_num_threads(1)
    plain = plain_loaders()
    loaders = Loaders(functools.lru_cache(None)(plain.shipped), functools.lru_cache(None)(plain.fresh))
    rows, cpus, sizes = [], [], []
    for settings, view in [(st, v) for st in shipped() for v in ("grad", "intervene")
                           if v == "grad" or st["cell"] != "rnn"]:
        s = DEFAULTS.replace(view=view, **settings)
        ctx = panels.context_for(s, models_for(s, loaders))
        t0 = time.process_time()
        sweeps.view_state(ctx)  # the view itself, which the page computes with or without sweeps
        t1 = time.process_time()
        base, knobs = sweeps.sweeps(ctx)
        cpu = time.process_time() - t1 - (t1 - t0)  # what the sweeps add to it
        size = len(json.dumps({"base": base, "knobs": [k.__dict__ for k in knobs]}))
        partly = []
        for k in knobs:
            swept = [v for v, p in zip(k.values, k.points) if p is not None]
            if len(swept) < len(k.values):
                partly.append(f"{k.name} {swept[0]:g}–{swept[-1]:g}")
        name = stem_for(s.task, s.cell, s.lag if s.task == "recall" else None)
        rows.append((f"{name} {view} (T = {ctx.enc.x.shape[0]})", f"{cpu:.2f} CPU-s", f"{size / 1e6:.2f} MB",
                     ", ".join(partly) or "every value live"))
        cpus.append(cpu)
        sizes.append(size)
    width = max(len(r[0]) for r in rows)
    print(f"{'shipped model, view, at its example':<{width}}  {'sweeps':>10}  {'bytes':>8}  live while dragged "
          "(the rest on release)")
    for name, cpu, size, live in rows:
        print(f"{name:<{width}}  {cpu:>10}  {size:>8}  {live}")
    print(f"median / max: {statistics.median(cpus):.2f} / {max(cpus):.2f} CPU-s; "
          f"{statistics.median(sizes) / 1e6:.2f} / {max(sizes) / 1e6:.2f} MB  (goals: ≤ 1 CPU-s, ≤ 1 MB)")


if __name__ == "__main__":
    main()
