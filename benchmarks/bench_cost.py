"""What the LSTM costs, measured on this machine: parameters of RNN / GRU / LSTM at one size, time per step and
for a whole sequence, and how much of that time could run in parallel over time; and how far the shipped lag-100
recall LSTM's memory holds when the lag grows past the one it was trained at.

    python benchmarks/bench_cost.py [--write]

One thread. Times are the best of repeated runs (the least disturbed by other work on the machine), forward only,
no_grad, batch 1: one step of nn.RNNCell / nn.GRUCell / nn.LSTMCell; the whole sequence through nn.RNN / nn.GRU /
nn.LSTM (PyTorch's own loop over time); and the input side of every step at once (W_ih x_t for all t: one matrix
product, since no step waits for another). The recurrence h_t = cell(x_t, h_{t-1}) cannot be split that way:
step t needs h_{t-1}. Accuracy at a lag is ``train.evaluate`` on fresh seeded recall sequences of that lag.
``--write`` stores the figures in assets/data/cost.json, which the parameters view shows (measured figures, never timed
while a test runs).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from lstm_viz.models.tasks import make_task  # noqa: E402
from lstm_viz.models.train import evaluate, load_model  # noqa: E402

INPUT, HIDDEN, STEPS = 66, 128, 1000  # the Shakespeare models' sizes, a sequence of 1,000 steps
CELLS = {"rnn": (nn.RNNCell, nn.RNN), "gru": (nn.GRUCell, nn.GRU), "lstm": (nn.LSTMCell, nn.LSTM)}
LAGS = (100, 200, 400, 700, 1000)  # the lag-100 model read at these lags
REPEATS = 9


def best_seconds(fn, repeats: int = REPEATS, inner: int = 1) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return min(times)


@torch.no_grad()
def cell_costs(cell: str) -> dict:
    torch.manual_seed(0)
    step_cls, seq_cls = CELLS[cell]
    one, whole = step_cls(INPUT, HIDDEN), seq_cls(INPUT, HIDDEN)
    x = torch.randn(STEPS, 1, INPUT)
    h = torch.zeros(1, HIDDEN)
    state = (h, h.clone()) if cell == "lstm" else h
    w_ih, b_ih = whole.weight_ih_l0, whole.bias_ih_l0
    return {
        "parameters": sum(p.numel() for p in whole.parameters()),
        "step_us": 1e6 * best_seconds(lambda: one(x[0], state), inner=2000),
        "sequence_ms": 1e3 * best_seconds(lambda: whole(x)),
        "input_side_ms": 1e3 * best_seconds(lambda: torch.addmm(b_ih, x[:, 0], w_ih.T), inner=20),
    }


@torch.no_grad()
def memory_at_lags() -> dict:
    model, _, card = load_model(ROOT / "assets" / "models" / "recall_lag100_lstm")
    return {"model": "recall_lag100_lstm", "trained_lag": card["lag"],
            "accuracy": {str(lag): round(evaluate(model, make_task("recall", lag=lag), n=1000), 4) for lag in LAGS}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="store the figures in assets/data/cost.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    costs = {c: cell_costs(c) for c in CELLS}
    out = {"input_size": INPUT, "hidden_size": HIDDEN, "steps": STEPS, "threads": 1, "torch": torch.__version__,
           "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
           "cells": {c: {k: round(v, 3) if isinstance(v, float) else v for k, v in d.items()}
                     for c, d in costs.items()},
           "memory": memory_at_lags()}
    print(f"m = {INPUT}, n = {HIDDEN}, T = {STEPS}, one thread, torch {torch.__version__}")
    print("| cell | parameters | one step (µs) | whole sequence (ms) | input side of all steps at once (ms) |")
    print("|---|---|---|---|---|")
    for c, d in out["cells"].items():
        print(f"| {c.upper()} | {d['parameters']:,} | {d['step_us']:.1f} | {d['sequence_ms']:.2f} | "
              f"{d['input_side_ms']:.3f} |")
    mem = out["memory"]
    print(f"\n{mem['model']} (trained at lag {mem['trained_lag']}), accuracy on fresh sequences: "
          + ", ".join(f"lag {k}: {v:.3f}" for k, v in mem["accuracy"].items()))
    if args.write:
        (ROOT / "assets" / "data" / "cost.json").write_text(json.dumps(out, indent=1) + "\n")
        print("written to assets/data/cost.json")


if __name__ == "__main__":
    main()
