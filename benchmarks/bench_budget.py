"""What the costliest request each limit allows costs: CPU-seconds and peak memory, each case in a fresh process.

The page refuses, before anything runs, what is past one of its limits (lstm_viz.page.budget.RUN_BUDGET for the
recurrent runs, JACOBIAN_BUDGET, the stepwise count of clamps and truncation; lstm_viz.checks and
lstm_viz.checkpoints for files). Each case below is the largest request that is still allowed, run the way the page
runs it; its process's user+system CPU, its peak resident memory and what the run itself added are printed.
The first lines measure STEPWISE_RATE: how much faster the step-by-step path's batched products run than the
budget's nominal matrix-vector rate, which is what stepwise_work divides by.

    python benchmarks/bench_budget.py
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from lstm_viz.models import checkpoints, files, inputs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOMINAL_RATE = 1.5e9  # multiply-adds per second of a batch of one, as RUN_BUDGET is set (lstm_viz/page/budget.py)
HEAVY = dict(cell="lstm", input_size=64, hidden=256, layers=3)  # the largest fresh model the page builds


def _model():
    from lstm_viz.engine.cells import build_module

    return build_module(HEAVY["cell"], HEAVY["input_size"], HEAVY["hidden"], HEAVY["layers"], seed=0)


def _x(T: int):
    import numpy as np

    return np.random.default_rng(0).standard_normal((T, HEAVY["input_size"])).astype(np.float32)


def case_forward():
    import lstm_viz as lv
    from lstm_viz.page.budget import steps_within_budget

    m = _model()
    T = min(steps_within_budget(m, 1), 10_000)
    return f"forward trace, T = {T}", lambda: lv.trace(m, _x(T))


def case_gradient():
    import lstm_viz as lv
    from lstm_viz.engine.work import GRADIENT_PASSES
    from lstm_viz.page.budget import steps_within_budget

    m = _model()
    T = steps_within_budget(m, GRADIENT_PASSES)
    return f"gradient flow, T = {T}", lambda: lv.gradient_flow(m, _x(T), jacobian=False)


def case_jacobian():
    import lstm_viz as lv
    from lstm_viz.engine.work import jacobian_work
    from lstm_viz.page.budget import JACOBIAN_BUDGET, most_steps

    m = _model()
    T = most_steps(lambda t: jacobian_work(m, t), 2000, JACOBIAN_BUDGET)
    return f"‖∂h_T/∂h_t‖, T = {T}", lambda: lv.gradient_flow(m, _x(T), jacobian=True)


def case_clamp():
    import lstm_viz as lv
    from lstm_viz.engine.work import clamped_work
    from lstm_viz.page.budget import most_steps

    m = _model()
    T = most_steps(lambda t: clamped_work(m, t), 10_000)
    clamp = lv.Clamp("f", 1.0, None, tuple(range(T)))
    return f"clamped intervention, T = {T}", lambda: lv.intervene(m, _x(T), (clamp,), jacobian=False)


def case_truncated():
    import lstm_viz as lv
    from lstm_viz.engine.work import GRADIENT_PASSES, stepwise_work
    from lstm_viz.page.budget import most_steps, steps_within_budget

    m = _model()
    T = steps_within_budget(m, GRADIENT_PASSES)
    k = most_steps(lambda j: stepwise_work(m, T, j), T)
    return f"truncated BPTT, T = {T}, k = {k}", lambda: lv.gradient_flow(m, _x(T), truncate=max(k, 1), jacobian=False)


def heaviest_upload(folder: Path) -> Path:
    """The largest checkpoint the reader takes: MAX_PARAMETERS numbers in an LSTM and its output layer, and a
    pickle at its cap beside them (a list of Nones), deflated as torch.save writes it."""
    import torch


    sd = {f"lstm.{k}": v for k, v in torch.nn.LSTM(512, 1024).state_dict().items()}  # 6.3 M
    sd["fc.weight"] = torch.zeros(3000, 1024)  # 3.1 M: 9.4 M parameters in all
    buf = io.BytesIO()
    torch.save({"state_dict": sd, "junk": [None] * 3}, buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    pkl_name = next(n for n in zin.namelist() if n.endswith("data.pkl"))
    pkl = zin.read(pkl_name)
    room = files.MAX_PICKLE_BYTES - len(pkl) - 16
    pkl = pkl.replace(b"(NNNe", b"(" + b"N" * room + b"e")
    path = folder / "heaviest.pt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n in zin.namelist():
            z.writestr(n, pkl if n == pkl_name else zin.read(n))
    return path


def case_upload():

    path = heaviest_upload(Path(tempfile.mkdtemp()))
    size = path.stat().st_size
    return (f"upload: 9.4 M parameters, 1 MB of pickle ({size / 2**20:.0f} MB file)",
            lambda: checkpoints.load(path))


def case_labels():
    import json as js

    from lstm_viz.checks import MAX_CLASSES

    data = js.dumps({f"token{i}": i for i in range(MAX_CLASSES)}).encode()
    return f"labels file of {MAX_CLASSES:,} tokens", lambda: files.read_vocab(data)


def case_features():
    from lstm_viz.checks import MAX_STEPS

    row = ",".join(["0.125"] * HEAVY["input_size"]) + "\n"
    data = (row * MAX_STEPS).encode()
    return f"features CSV, {MAX_STEPS:,} × {HEAVY['input_size']}", lambda: inputs.read_features(
        data, "x.csv", HEAVY["input_size"])


def case_training():
    from lstm_viz.models.train import TASK_DEFAULTS, default_config, train_job

    task = max(TASK_DEFAULTS, key=lambda t: TASK_DEFAULTS[t]["hidden_size"] * TASK_DEFAULTS[t]["batch"])
    cfg = default_config(task, "lstm", steps=2000)
    return f"training click, {task}, 2,000 steps", lambda: train_job(cfg, (0, 2000))


CASES = {f.__name__[5:]: f for f in (case_forward, case_gradient, case_jacobian, case_clamp, case_truncated,
                                     case_upload, case_labels, case_features, case_training)}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(name: str) -> dict:
    import torch

    torch.set_num_threads(1)
    label, run = CASES[name]()
    base = _rss_mb()
    t0 = time.process_time()
    run()
    return {"case": label, "cpu_s": time.process_time() - t0, "peak_mb": _rss_mb(), "added_mb": _rss_mb() - base}


def stepwise_rate() -> list[tuple[int, float, float]]:
    """(T, multiply-adds per second of a clamped run as stepwise_work counts them, of a plain forward run as
    run_work counts it), each over NOMINAL_RATE."""
    import torch

    import lstm_viz as lv
    from lstm_viz.engine.work import GRADIENT_PASSES, run_work

    torch.set_num_threads(1)
    m = _model()
    out = []
    for T in (100, 200, 300):
        x = _x(T)
        clamp = lv.Clamp("f", 1.0, None, tuple(range(T)))
        t0 = time.process_time()
        lv.intervene(m, x, (clamp,), jacobian=False)
        stepwise = time.process_time() - t0
        t0 = time.process_time()
        for _ in range(5):
            lv.trace(m, x)
        plain = (time.process_time() - t0) / 5
        out.append((T, GRADIENT_PASSES * run_work(m, T) * T / stepwise / NOMINAL_RATE,
                    run_work(m, T) / plain / NOMINAL_RATE))
    return out


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2])))
        return 0
    from lstm_viz.engine.work import STEPWISE_RATE
    from lstm_viz.page.budget import RUN_BUDGET

    print(f"RUN_BUDGET {RUN_BUDGET:.1e} multiply-adds; STEPWISE_RATE {STEPWISE_RATE}")
    print(f"\nmultiply-adds per second as counted, over the budget's nominal {NOMINAL_RATE:.1e}:")
    for T, step, plain in stepwise_rate():
        print(f"  T = {T:>4}: clamped (stepwise_work) {step:5.1f}×   plain forward (run_work) {plain:5.1f}×")
    print(f"\n| costliest allowed request ({HEAVY['hidden']}-unit {HEAVY['layers']}-layer LSTM) | CPU-s | peak MB |"
          " MB the run added to the peak |")
    print("| --- | ---: | ---: | ---: |")
    for name in CASES:
        done = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            print(f"| {name} | failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '?'} | | |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {r['case']} | {r['cpu_s']:.2f} | {r['peak_mb']:.0f} | {r['added_mb']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
