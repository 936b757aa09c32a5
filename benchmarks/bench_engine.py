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
from lstm_viz.engine import onednn

V = 64


def interleaved_medians(fns: dict, repeats: int) -> dict:
    """Median seconds of each function, measured round-robin so that drift in machine load hits all alike."""
    for fn in fns.values():
        fn()  # warm up
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


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


def without_workspace(fn, *args, **kwargs):
    """Run ``fn`` on the rebuild path: the fused kernel's states, our own gates, scans and probe backward."""
    onednn.ENABLED = False
    try:
        return fn(*args, **kwargs)
    finally:
        onednn.ENABLED = True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sizes = [(200, 16)] if args.quick else [(1000, 64), (10000, 128)]
    repeats = 3 if args.quick else 11
    print("| measurement | cell | T | H | ratio | goal |")
    print("|---|---|---|---|---|---|")
    cases = [(T, H, cell, False) for T, H in sizes for cell in ("rnn", "lstm", "gru")]
    cases += [(T, H, cell, True) for T, H in sizes for cell in ("rnn", "lstm", "gru")]  # both directions
    for T, H, cell, bi in cases:
        x = one_hot(T)
        mod = lv.build_module(cell, V, H, 1, seed=0, bidirectional=bi)
        name = f"{cell}, bidirectional" if bi else cell
        fns = {
            "fwd": lambda mod=mod, x=x: bare_forward(mod, x),
            "bwd": lambda mod=mod, x=x: bare_backward(mod, x),
            "trace": lambda mod=mod, x=x: lv.trace(mod, x),
            "gf": lambda mod=mod, x=x: lv.gradient_flow(mod, x, jacobian=False),
        }
        if (T, H) == sizes[0] and not bi:
            fns["gf_jac"] = lambda mod=mod, x=x: lv.gradient_flow(mod, x, jacobian=True)
        n = repeats if T < 5000 else max(3, repeats * 2 // 3)
        m = interleaved_medians(fns, n)
        if cell == "lstm":  # the path taken when the kernel's workspace cannot be read, in a round of its own
            rebuild = {
                "fwd": fns["fwd"], "bwd": fns["bwd"],
                "trace": lambda mod=mod, x=x: without_workspace(lv.trace, mod, x),
                "gf": lambda mod=mod, x=x: without_workspace(lv.gradient_flow, mod, x, jacobian=False),
            }
            r = interleaved_medians(rebuild, n)
            m["trace_rebuild"], m["gf_rebuild"] = r["trace"] / r["fwd"] * m["fwd"], r["gf"] / r["bwd"] * m["bwd"]
        print(f"| trace / nn forward (no_grad) | {name} | {T} | {H} | {m['trace'] / m['fwd']:.2f} | ≤ 2.0 |")
        goal = "≤ 2.0" if cell == "gru" else "≤ 1.3"
        print(f"| gradient_flow(jacobian=False) / nn forward+backward | {name} | {T} | {H} | "
              f"{m['gf'] / m['bwd']:.2f} | {goal} |")
        if "gf_rebuild" in m:
            print(f"| trace, workspace not read / nn forward (no_grad) | {name} | {T} | {H} | "
                  f"{m['trace_rebuild'] / m['fwd']:.2f} | reported |")
            print(f"| gradient_flow(jacobian=False), workspace not read / nn forward+backward | {name} | {T} | "
                  f"{H} | {m['gf_rebuild'] / m['bwd']:.2f} | reported |")
        if "gf_jac" in m:
            print(f"| dhT_dht alone / nn forward (no_grad) | {name} | {T} | {H} | "
                  f"{(m['gf_jac'] - m['gf']) / m['fwd']:.1f} | reported |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
