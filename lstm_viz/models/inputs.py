"""Input beside the model: typed text through a model's own vocabulary, vocabularies for fresh models, input
features from an uploaded .npy or CSV (checked as it is read), and a sequence repeated to a length.
"""

from __future__ import annotations

import io
import itertools

import numpy as np
import torch

from lstm_viz.checks import MAX_STEPS, as_inputs, npy_header
from lstm_viz.models.tokenize import UNK, Encoded, tokenize

MAX_VOCAB = 512  # a fresh model's vocabulary is built from the typed text, capped here


def read_features(data: bytes, name: str, input_size: int) -> np.ndarray:
    """Input features [T, input_size] from an uploaded ``.npy`` (never unpickled) or ``.csv`` (numbers separated
    by commas, tabs or semicolons, one step per row, an optional header row), checked like any input: ValueError
    otherwise. The limits (MAX_STEPS rows, ``input_size`` columns) are checked as the file is read, before the
    whole of it is: a .npy from its header, a CSV row by row."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    shape_error = (f"{name}: this model reads [T, {input_size}] (one row per step, {input_size} features, at most "
                   f"{MAX_STEPS:,} steps)")
    if suffix == "npy":
        shape, _ = npy_header(io.BytesIO(data), name)
        if not (len(shape) == 2 and shape[1] == input_size or len(shape) == 1 and input_size == 1) or \
                not 0 < shape[0] <= MAX_STEPS:
            raise ValueError(f"{name} holds an array of shape {list(shape)}; " + shape_error.split(": ", 1)[1])
        try:
            a = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError):
            raise ValueError(f"{name} is not a readable .npy file") from None
    elif suffix == "csv":
        a = csv_rows(data, name, input_size, shape_error)
    else:
        raise ValueError(f"{name}: features come as .npy or .csv")
    if a.ndim == 1 and input_size == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] != input_size:
        raise ValueError(f"{name} holds an array of shape {list(a.shape)}; " + shape_error.split(": ", 1)[1])
    return as_inputs(a, input_size).numpy()


def csv_rows(data: bytes, name: str, input_size: int, shape_error: str) -> np.ndarray:
    """The numbers of a CSV, read row by row and stopped at the first row past the limits."""
    import csv

    try:
        lines = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
        first = lines.readline()
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text") from None
    delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
    rows = []
    try:
        for n, row in enumerate(csv.reader(itertools.chain([first], lines), delimiter=delimiter), start=1):
            if not any(v.strip() for v in row):
                continue
            try:
                values = [float(v) for v in row]
            except ValueError:
                if n == 1:
                    continue  # a header row
                raise ValueError(f"{name}, row {n}: every cell must be a number (one step per row, features "
                                 f"separated by commas)") from None
            if len(rows) == MAX_STEPS:
                raise ValueError(f"{name} has more than {MAX_STEPS:,} rows; the limit is {MAX_STEPS:,} steps")
            if len(values) != input_size:
                raise ValueError(f"{name}, row {n}: {len(values)} values; " + shape_error.split(": ", 1)[1])
            rows.append(values)
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text") from None
    except csv.Error:
        raise ValueError(f"{name} is not a readable CSV file") from None
    if not rows:
        raise ValueError(f"{name} has no rows of numbers")
    return np.array(rows, dtype=np.float64)


UNK_NAMES = ("<unk>", "<UNK>", "[UNK]", "<oov>", "UNK")


def encode_own_vocab(text: str, vocab: tuple[str, ...], mode: str, input_size: int,
                     embedding: torch.Tensor | None = None) -> Encoded:
    """Typed text through a model's own vocabulary: each token to its index (case kept unless every token of the
    vocabulary is lower case), a token outside it to the vocabulary's unknown symbol when it has one (else a zero
    input), then the embedding's row for that index, or a one-hot vector of input_size."""
    if embedding is None and len(vocab) > input_size:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model reads {input_size} one-hot inputs")
    if embedding is not None and len(vocab) > embedding.shape[0]:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the embedding has {embedding.shape[0]} rows")
    tokens = tokenize(text, mode, lower=all(t == t.lower() for t in vocab))
    index = {s: i for i, s in enumerate(vocab)}
    unk = next((index[u] for u in UNK_NAMES if u in index), None)
    ids = np.array([index.get(t, -1) for t in tokens], dtype=np.int64)
    unknown = ids < 0
    if unk is not None:
        ids[unknown] = unk
    x = np.zeros((len(tokens), input_size), dtype=np.float32)
    known = ids >= 0
    if embedding is not None:
        x[known] = embedding[torch.from_numpy(ids[known])].numpy()
    else:
        x[np.flatnonzero(known), ids[known]] = 1.0
    return Encoded(tuple(tokens), np.maximum(ids, 0), unknown, x)


def vocab_from_text(text: str, mode: str) -> tuple[str, ...]:
    """<unk> plus the distinct tokens of the text, in order of first appearance (capped at MAX_VOCAB)."""
    seen: dict[str, None] = {}
    for t in tokenize(text, mode):
        seen.setdefault(t, None)
    return (UNK, *list(seen)[: MAX_VOCAB - 1])


def upload_vocab(input_size: int, text: str, mode: str) -> tuple[str, ...]:
    """For an uploaded state_dict: one-hot slots for the first input_size-1 distinct typed symbols."""
    return vocab_from_text(text, mode)[:input_size]


def repeat_to(enc: Encoded, length: int) -> Encoded:
    """The typed sequence repeated or cut to ``length`` steps (for the sequence-length knob)."""
    idx = np.arange(length) % len(enc.tokens)
    return Encoded(tuple(enc.tokens[i] for i in idx), enc.ids[idx], enc.unknown[idx], enc.x[idx])
