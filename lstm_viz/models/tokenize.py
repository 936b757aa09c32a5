"""Typed text -> tokens -> one-hot model input.

Three ways to read what a person types:
- ``chars``: one Unicode code point per step (an emoji made of several code points takes several steps);
- ``words``: runs of letters/digits, each punctuation mark, and each CJK character (Chinese is not
  written with spaces, so each character is its own word here);
- ``numbers``: "0.5, 1, -2 3" -> a one-feature sequence [[0.5], [1], [-2], [3]].
The vocabulary belongs to the model; a symbol outside it becomes the ``<unk>`` step (index 0).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from lstm_viz.checks import MAX_STEPS

UNK = "<unk>"
MODES = ("chars", "words", "numbers")

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|[^\w\s]", re.UNICODE)


def tokenize(text: str, mode: str = "chars", lower: bool = True) -> list[str]:
    """Split typed text into tokens; ValueError for empty or over-long input."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose chars, words or numbers")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if mode == "chars":
        tokens = list(text)
    elif mode == "words":
        tokens = [t.lower() if lower else t for t in _WORD.findall(text)]
    else:
        tokens = [t for t in re.split(r"[,\s;]+", text.strip()) if t]
    if not tokens:
        raise ValueError("the sequence is empty: type at least one symbol")
    if len(tokens) > MAX_STEPS:
        raise ValueError(f"the sequence has {len(tokens):,} steps; the limit is {MAX_STEPS:,}")
    return tokens


def parse_numbers(tokens: list[str]) -> np.ndarray:
    """Number tokens -> [T, 1] float32; ValueError naming the first bad one."""
    values = []
    for i, t in enumerate(tokens):
        try:
            v = float(t)
        except ValueError:
            raise ValueError(f"step {i + 1}: {t!r} is not a number") from None
        if not math.isfinite(v):
            raise ValueError(f"step {i + 1}: {t!r} is not a finite number")
        if abs(v) > 1e6:
            raise ValueError(f"step {i + 1}: {t} is too large (|x| ≤ 1e6)")
        values.append(v)
    return np.asarray(values, dtype=np.float32).reshape(-1, 1)


@dataclass(frozen=True)
class Encoded:
    tokens: tuple[str, ...]  # what the person typed, one per step
    ids: np.ndarray  # [T] vocabulary index (0 = <unk>)
    unknown: np.ndarray  # [T] bool: the step became <unk>
    x: np.ndarray  # [T, V] one-hot model input

    @property
    def labels(self) -> list[str]:
        """Axis labels: the token, or '<unk>:token' where it is outside the vocabulary."""
        return [f"{UNK}:{t}" if u else t for t, u in zip(self.tokens, self.unknown)]


def encode(tokens: list[str], vocab: list[str]) -> Encoded:
    """One-hot encode tokens with the model's vocabulary (vocab[0] must be <unk>)."""
    if not vocab or vocab[0] != UNK:
        raise ValueError("a vocabulary starts with <unk>")
    index = {s: i for i, s in enumerate(vocab)}
    ids = np.array([index.get(t, 0) for t in tokens], dtype=np.int64)
    x = np.zeros((len(tokens), len(vocab)), dtype=np.float32)
    x[np.arange(len(tokens)), ids] = 1.0
    return Encoded(tuple(tokens), ids, ids == 0, x)


def encode_text(text: str, vocab: list[str] | None, mode: str) -> Encoded:
    """Typed text to model input: one-hot over ``vocab``, or numbers as one feature."""
    tokens = tokenize(text, mode)
    if mode == "numbers":
        x = parse_numbers(tokens)
        T = len(tokens)
        return Encoded(tuple(tokens), np.zeros(T, dtype=np.int64), np.zeros(T, dtype=bool), x)
    if vocab is None:
        raise ValueError("this model has no vocabulary: use numbers")
    return encode(tokens, vocab)
