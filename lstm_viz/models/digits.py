"""The 8×8 handwritten digits read row by row: the data, its fixed held-out split, typed images, and two baselines.

An image is 8 rows of 8 pixels (whole numbers 0-16 in the file, scaled to [0, 1] for the models): a sequence of
T = 8 steps, each step one row of 8 values, row 0 (the top) first. The split is fixed: the first ``N_TRAIN``
images of ``assets/data/digits.csv.gz`` (in file order) train, the last 297 are held out and only evaluated on;
held-out image ``#k`` is image ``N_TRAIN + k`` of the file.

Typed input, one of:
  ``#17``                  held-out image 17 (its label is the target the page scores)
  8 lines of 8 numbers     an image's pixels row by row, each 0-16 (separated by spaces or commas)
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import torch

from lstm_viz.models.tokenize import Encoded
from lstm_viz.paths import ASSETS

DIGITS_FILE = ASSETS / "data" / "digits.csv.gz"
N_TRAIN = 1500  # the first 1,500 images train; the last 297 are held out
ROWS = COLS = 8
MAX_PIXEL = 16
SHADES = "·░▒▓█"  # a row drawn as text: 0, 1-4, 5-8, 9-12, 13-16
_IMAGE_REF = re.compile(r"#\s*(\d{1,6})")
USAGE = (f'type "#k" for held-out image k (0 to {{last}}), or {ROWS} lines of {COLS} pixel values from 0 to '
         f"{MAX_PIXEL}")


@lru_cache(maxsize=1)
def _load() -> tuple[np.ndarray, np.ndarray]:
    data = np.loadtxt(DIGITS_FILE, delimiter=",", dtype=np.int64)  # [1797, 65]: 64 pixels, then the label
    pixels, labels = data[:, :ROWS * COLS], data[:, -1]
    pixels.flags.writeable = labels.flags.writeable = False
    return pixels, labels


def split(part: str) -> tuple[np.ndarray, np.ndarray]:
    """(pixels [N, 64] as whole numbers 0-16, labels [N]) of the "train" or "held_out" part (read-only)."""
    pixels, labels = _load()
    cut = {"train": slice(0, N_TRAIN), "held_out": slice(N_TRAIN, None)}[part]
    return pixels[cut], labels[cut]


def as_rows(pixels: np.ndarray) -> np.ndarray:
    """[N, 64] whole-number pixels -> [T=8, N, 8] model input in [0, 1], row 0 first."""
    return (np.asarray(pixels, dtype=np.float32) / MAX_PIXEL).reshape(-1, ROWS, COLS).transpose(1, 0, 2)


def draw_row(row: np.ndarray) -> str:
    """One row (8 values in [0, 1]) as 8 shade characters, e.g. ``··▒██▒··``."""
    levels = np.ceil(np.asarray(row, dtype=np.float64) * MAX_PIXEL / 4 - 1e-9).clip(0, len(SHADES) - 1)
    return "".join(SHADES[int(v)] for v in levels)


def row_tokens(x: np.ndarray) -> tuple[str, ...]:
    """The tokens the page shows for an image x [8, 8]: its row number and the row drawn, ``3 ··▒██▒··``."""
    return tuple(f"{t} {draw_row(r)}" for t, r in enumerate(x))


def encode(text: str) -> Encoded:
    """``#k`` (held-out image k) or 8 lines of 8 numbers 0-16 -> the image as 8 steps of 8 inputs in [0, 1];
    ValueError with a one-line message for anything else."""
    held, _ = split("held_out")
    usage = USAGE.format(last=len(held) - 1)
    text = text.strip()
    ref = _IMAGE_REF.fullmatch(text)
    if ref:
        k = int(ref.group(1))
        if k >= len(held):
            raise ValueError(f"there is no held-out image {k}; {usage}")
        x = as_rows(held[k:k + 1])[:, 0]
    else:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        rows = [ln.replace(",", " ").split() for ln in lines]
        if len(rows) != ROWS or any(len(r) != COLS for r in rows):
            raise ValueError(f"cannot read this as an image: {usage}")
        try:
            values = np.array([[float(v) for v in r] for r in rows])
        except ValueError:
            raise ValueError(f"cannot read this as an image: {usage}") from None
        if not (np.isfinite(values).all() and (values >= 0).all() and (values <= MAX_PIXEL).all()):
            raise ValueError(f"a pixel value is outside 0 to {MAX_PIXEL}: {usage}")
        x = (values / MAX_PIXEL).astype(np.float32)
    return Encoded(row_tokens(x), np.zeros(ROWS, np.int64), np.zeros(ROWS, bool), x)


def label_of(x: np.ndarray) -> int | None:
    """The label of the held-out image whose pixels are exactly x [8, 8] (a ``#k`` typed), else None."""
    held, labels = split("held_out")
    same = np.flatnonzero((np.abs(as_rows(held).transpose(1, 0, 2) - x[None]) < 1e-6).all(axis=(1, 2)))
    return int(labels[same[0]]) if len(same) else None


def as_text(k: int) -> str:
    """Held-out image k written as 8 lines of 8 numbers (what the sequence box also reads)."""
    held, _ = split("held_out")
    return "\n".join(" ".join(str(int(v)) for v in held[k, r * COLS:(r + 1) * COLS]) for r in range(ROWS))


# --- baselines on the same split: the 64 pixels at once, no reading order ------------------------------------

def nearest_mean_accuracy() -> float:
    """Held-out accuracy of the nearest class mean: each image goes to the digit whose mean training image is
    closest (Euclidean distance over the 64 scaled pixels)."""
    xtr, ytr = split("train")
    xte, yte = split("held_out")
    xtr, xte = xtr / MAX_PIXEL, xte / MAX_PIXEL
    means = np.stack([xtr[ytr == c].mean(axis=0) for c in range(10)])  # [10, 64]
    d = ((xte[:, None, :] - means[None]) ** 2).sum(-1)
    return float((d.argmin(axis=1) == yte).mean())


def logistic_accuracy(steps: int = 500, weight_decay: float = 1e-3) -> float:
    """Held-out accuracy of multinomial logistic regression on the 64 scaled pixels: softmax(W x + b), trained
    on the training part by full-batch L-BFGS (float64, from zero weights: deterministic) on the mean
    cross-entropy plus ``weight_decay`` · ||W||²."""
    xtr, ytr = split("train")
    xte, yte = split("held_out")
    X, Y = torch.from_numpy(xtr / MAX_PIXEL), torch.tensor(ytr)
    W = torch.zeros(64, 10, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], max_iter=steps, tolerance_grad=1e-9, tolerance_change=1e-12,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(X @ W + b, Y) + weight_decay * (W ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        pred = (torch.from_numpy(xte / MAX_PIXEL) @ W + b).argmax(-1).numpy()
    return float((pred == yte).mean())


@torch.no_grad()
def held_out_report(model, task) -> dict:
    """The card's figures on the held-out images: the model's accuracy (``model``: a SeqModel, x [8, N, 8] ->
    logits [8, N, 10], its readout's prediction at the last step) and both baselines', on the same 297 images."""
    batch = task.test_set()
    model.eval()
    right, total = task.correct(model(batch.x), batch.y)
    return {"held_out": {
        "images": total, "accuracy": round(right / total, 4),
        "split": f"the first {N_TRAIN} images of {DIGITS_FILE.name} train, the last {total} are held out",
        "baseline_accuracy": {"nearest class mean": round(nearest_mean_accuracy(), 4),
                              "logistic regression": round(logistic_accuracy(), 4)}}}
