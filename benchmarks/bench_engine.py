"""Engine speed as ratios against PyTorch's fused kernels on the same sequence, in one process.

One-hot inputs over 64 symbols, one thread, median of several repeats. Prints a Markdown table.
    python benchmarks/bench_engine.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import lstm_viz as lv  # noqa: E402

V = 64


def median_time(fn, repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def one_hot(T: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.one_hot(torch.randint(0, V, (T,), generator=g), V).float()


def bare_forward(mod, x):
    with torch.no_grad():
        mod(x.unsqueeze(1))


def bare_backward(mod, x):
    xx = x.clone().requires_grad_()
    out, _ = mod(xx.unsqueeze(1))
    out[-1].sum().backward()
    mod.zero_grad(set_to_none=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sizes = [(200, 16)] if args.quick else [(1000, 64), (10000, 128)]
    repeats = 3 if args.quick else 5
    print("| measurement | cell | T | H | ratio | goal |")
    print("|---|---|---|---|---|---|")
    for T, H in sizes:
        x = one_hot(T)
        for cell in ("rnn", "lstm", "gru"):
            mod = lv.build_module(cell, V, H, 1, seed=0)
            fwd = median_time(lambda: bare_forward(mod, x), repeats)
            bwd = median_time(lambda: bare_backward(mod, x), repeats)
            tr = median_time(lambda: lv.trace(mod, x), repeats)
            gf = median_time(lambda: lv.gradient_flow(mod, x, jacobian=False), repeats)
            print(f"| trace / nn forward (no_grad) | {cell} | {T} | {H} | {tr / fwd:.2f} | ≤ 2.0 |")
            goal = "≤ 2.0" if cell == "gru" else "≤ 1.3"
            print(f"| gradient_flow(jacobian=False) / nn forward+backward | {cell} | {T} | {H} | {gf / bwd:.2f} | {goal} |")
            if (T, H) == sizes[0]:
                jac = median_time(lambda: lv.gradient_flow(mod, x, jacobian=True), 1) - gf
                print(f"| dhT_dht alone / nn forward (no_grad) | {cell} | {T} | {H} | {jac / fwd:.1f} | reported |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
