"""Interpretable cells, found rather than asserted: run a character LSTM over held-out text, correlate every
unit's c_t and h_t with simple features of the text, and count how often each gate saturates (after Karpathy,
Johnson & Fei-Fei 2015, "Visualizing and Understanding Recurrent Networks").

The states and gates come from the engine's ``trace``, the same numbers the page draws. Pearson's r of a unit's
state s_t (T steps) with a feature φ_t of the text:

    r = Σ_t (s_t - s̄)(φ_t - φ̄) / sqrt(Σ_t (s_t - s̄)² · Σ_t (φ_t - φ̄)²)

State t has read character t, so every feature describes character t (or the line or word it sits in).
tiny-shakespeare has no ( ) [ ] or double quote, and its ' is nearly always an apostrophe, so bracket and quote
features would be constant there; a feature constant over the text read is left out rather than given r = nan.

Gate saturation: a gate unit is left-saturated at a step when its value is < 0.1 (nearly closed) and
right-saturated when > 0.9 (nearly open); the fractions are over the steps read, per layer, gate and unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from lstm_viz.checks import MAX_STEPS, cell_of
from lstm_viz.engine.trace import trace
from lstm_viz.models.model import Model

VOWELS = frozenset("aeiouAEIOU")
PUNCTUATION = frozenset(",.;:!?'-")
SPEAKER_LINE = re.compile(r"^[A-Z][A-Za-z '.-]*:$")  # a speaker's name alone on its line, as "ROMEO:"
SATURATION = (0.1, 0.9)  # below: left-saturated (nearly closed); above: right-saturated (nearly open)
SATURATION_GATES = ("f", "i", "o")  # the sigmoid gates (g, the candidate, is a tanh)

FEATURES = {  # name: what it is, in a short phrase
    "line_position": "characters since the last newline (0 on the newline itself)",
    "speaker_line": "inside a speaker's name line, like ROMEO: alone on a line after an empty one (1) or not (0)",
    "just_read_newline": "the character is a newline",
    "word_position": "characters since the last space or newline",
    "vowel": "the character is a vowel letter (a e i o u, either case)",
    "consonant": "the character is a letter that is not a vowel",
    "upper_case": "the character is an upper-case letter",
    "space": "the character is a space",
    "punctuation": "the character is one of , . ; : ! ? ' -",
}


def text_features(text: str) -> dict[str, np.ndarray]:
    """Every feature of ``FEATURES``, one float per character [T]."""
    T = len(text)
    line_pos, word_pos, speaker = np.zeros(T), np.zeros(T), np.zeros(T)
    lp = wp = 0
    for t, ch in enumerate(text):
        lp = 0 if ch == "\n" else lp + 1
        wp = 0 if ch in " \n" else wp + 1
        line_pos[t], word_pos[t] = lp, wp
    start, previous = 0, ""
    for line in text.split("\n"):  # a name line opens a block: after an empty line (or first); not its newline
        if SPEAKER_LINE.match(line) and previous == "":
            speaker[start:start + len(line)] = 1
        start, previous = start + len(line) + 1, line
    chars = np.array(list(text))

    def is_(pred):
        return np.fromiter((pred(c) for c in chars), dtype=float, count=T)

    return {
        "line_position": line_pos,
        "speaker_line": speaker,
        "just_read_newline": (chars == "\n").astype(float),
        "word_position": word_pos,
        "vowel": is_(lambda c: c in VOWELS),
        "consonant": is_(lambda c: c.isalpha() and c not in VOWELS),
        "upper_case": is_(str.isupper),
        "space": (chars == " ").astype(float),
        "punctuation": is_(lambda c: c in PUNCTUATION),
    }


def pearson(states: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson's r of each column of ``states`` [T, H] with ``feature`` [T] -> [H] (0 for a constant column)."""
    s = states.astype(np.float64) - states.mean(0, dtype=np.float64)
    f = feature.astype(np.float64) - feature.mean()
    den = np.sqrt((s * s).sum(0) * (f @ f))
    return np.divide(s.T @ f, den, out=np.zeros(s.shape[1]), where=den > 0)


@dataclass(frozen=True)
class Found:
    """One unit that follows a feature: its layer, state (c or h), index and Pearson r."""

    feature: str
    state: str
    layer: int
    unit: int
    r: float


@dataclass(frozen=True)
class CellsFound:
    text: str  # the characters read
    features: dict  # name -> [T] the feature per character
    best: dict  # name -> [Found] the units with the largest |r|, largest first
    saturation: dict  # (layer, gate) -> ([H] fraction of steps < 0.1, [H] fraction of steps > 0.9)
    trace: object  # the engine's Trace of the text (states and gates the page shows)

    def saturation_summary(self) -> dict:
        """(layer, gate) -> mean fractions over units, and how many units sit mostly (> half the steps) closed
        or mostly open."""
        out = {}
        for key, (left, right) in self.saturation.items():
            out[key] = {"mean_below": float(left.mean()), "mean_above": float(right.mean()),
                        "units_mostly_closed": int((left > 0.5).sum()), "units_mostly_open": int((right > 0.5).sum())}
        return out


def find_cells(model: Model, text: str, top: int = 3) -> CellsFound:
    """Trace ``model`` (an LSTM of a character task) over ``text`` from a zero state, and rank its units per
    feature by |r| of c_t and of h_t with the feature. Raises ValueError on a model or text it cannot read."""
    if model.task is None or model.task.mode != "chars" or cell_of(model.rnn) != "lstm":
        raise ValueError("finding interpretable cells needs an LSTM of a character task (like shakespeare_char_lstm)")
    if not 2 <= len(text) <= MAX_STEPS:
        raise ValueError(f"the text has {len(text):,} characters; give from 2 to {MAX_STEPS:,}")
    if not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a whole number >= 1, got {top!r}")
    enc = model.task.encode(text)
    if enc.unknown.any():
        bad = sorted({t for t, u in zip(enc.tokens, enc.unknown) if u})
        raise ValueError(f"the text has characters the model never saw: {' '.join(map(repr, bad[:10]))}")
    tr = trace(model.rnn, enc.x)
    feats = {k: v for k, v in text_features(text).items() if v.std() > 0}
    best = {}
    for name, f in feats.items():
        found = []
        for state, arr in (("c", tr.c), ("h", tr.h)):
            for layer in range(tr.num_layers):
                r = pearson(arr[layer], f)
                found += [Found(name, state, layer, int(u), float(r[u])) for u in np.argsort(-np.abs(r))[:top]]
        best[name] = sorted(found, key=lambda fo: -abs(fo.r))[:top]
    lo, hi = SATURATION
    saturation = {(layer, g): ((tr.gates[g][layer] < lo).mean(0), (tr.gates[g][layer] > hi).mean(0))
                  for layer in range(tr.num_layers) for g in SATURATION_GATES}
    return CellsFound(text, feats, best, saturation, tr)


CELLS_TEXT_CHARS = 10_000  # the first this many held-out characters are read (one trace, from a zero state)


def shakespeare_cells(model: Model | None = None, top: int = 3) -> CellsFound:
    """``find_cells`` of the shipped shakespeare_char_lstm (or ``model``) on the start of the held-out text."""
    from lstm_viz.models.tasks import shakespeare_split
    from lstm_viz.models.train import load_shipped, shipped_stem

    if model is None:
        model = load_shipped(shipped_stem("shakespeare_char_lstm"))[0]
    return find_cells(model, shakespeare_split()[1][:CELLS_TEXT_CHARS], top)
