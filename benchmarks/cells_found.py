"""Interpretable cells of the shipped shakespeare_char_lstm, found by correlation (lstm_viz/teach/cells_found):
for every text feature, the units whose c_t or h_t follows it best (Pearson r) on the first 10,000 held-out
characters, beside the same search in the untrained model (same seed, before any step), which shows how much
of a correlation the input alone explains. Then the gate saturation of the trained and the untrained model.
Nothing here is a test.

    python benchmarks/cells_found.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lstm_viz.models.train import TrainConfig, as_model, load_model, new_model  # noqa: E402
from lstm_viz.paths import ASSETS  # noqa: E402
from lstm_viz.teach.cells_found import CELLS_TEXT_CHARS, FEATURES, shakespeare_cells  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)
    seq, task, card = load_model(ASSETS / "models" / "shakespeare_char_lstm")
    trained = shakespeare_cells(as_model(seq, task))
    cfg = TrainConfig(**card["config"])
    untrained = shakespeare_cells(as_model(new_model(cfg, task).eval(), task))
    print(f"shakespeare_char_lstm on the first {CELLS_TEXT_CHARS:,} held-out characters\n")
    print("| feature | best units of the trained LSTM (state unit: r) | best |r| before training |")
    print("|---|---|---|")
    for name in FEATURES:
        if name not in trained.best:
            continue
        units = ", ".join(f"{u.state}{u.unit}: {u.r:+.2f}" for u in trained.best[name])
        print(f"| {name} | {units} | {abs(untrained.best[name][0].r):.2f} |")
    print("\ngate saturation (fraction of steps below 0.1 / above 0.9, mean over units; units that spend more "
          "than half the steps there)")
    print("| gate | trained: < 0.1 | trained: > 0.9 | mostly closed | mostly open | untrained: < 0.1 | > 0.9 |")
    print("|---|---|---|---|---|---|---|")
    before = untrained.saturation_summary()
    for key, s in trained.saturation_summary().items():
        b = before[key]
        print(f"| {key[1]} (layer {key[0]}) | {s['mean_below']:.3f} | {s['mean_above']:.3f} | "
              f"{s['units_mostly_closed']} | {s['units_mostly_open']} | {b['mean_below']:.3f} | "
              f"{b['mean_above']:.3f} |")


if __name__ == "__main__":
    main()
