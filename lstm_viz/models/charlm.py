"""A character language model's own measures: held-out bits per character, a smoothed n-gram baseline scored on
the same characters, and seeded samples.

Bits per character (bpc) of a text c_0 .. c_{N-1}: the mean of -log2 p(c_t | what came before) over the scored
characters c_1 .. c_{N-1} (c_0 has nothing before it). A model that knows nothing (uniform over V symbols)
scores log2 V; a lower bpc means the model is less surprised by text it never trained on.

The recurrent model reads the held-out text in pieces of ``EVAL_CHUNK`` characters, each from a zero state (the
pieces run side by side as one batch); the n-gram model sees the ``order - 1`` characters before each scored one
(fewer at the very start). Both score exactly the same characters: every held-out character but the first.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

EVAL_CHUNK = 1000  # characters per piece when the held-out text is read in parallel
NGRAM_ORDER = 5  # the baseline predicts a character from the 4 before it


@torch.no_grad()
def bits_per_char(model, ids: np.ndarray, vocab_size: int, chunk: int = EVAL_CHUNK) -> float:
    """Mean -log2 p(ids[t] | ids[t-k .. t-1]) over t = 1 .. N-1, the model reading ``chunk`` characters at a
    time from a zero state. ``model``: a SeqModel (x [T, B, V] -> logits [T, B, V])."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError("bits per character needs a text of at least 2 characters")
    x_ids, y = ids[:-1], ids[1:]
    n = len(y)
    B = -(-n // chunk)
    pad = B * chunk - n  # the last piece is padded; padded steps come after every real one and are not scored
    xi = torch.from_numpy(np.concatenate([x_ids, np.zeros(pad, np.int64)]).reshape(B, chunk).T.copy())  # [T, B]
    yi = torch.from_numpy(np.concatenate([y, np.full(pad, -1, np.int64)]).reshape(B, chunk).T.copy())
    model.eval()
    logits = model(F.one_hot(xi, vocab_size).float())  # [T, B, V]
    nll = F.cross_entropy(logits.reshape(-1, vocab_size), yi.reshape(-1), ignore_index=-1, reduction="sum")
    return float(nll) / n / math.log(2)


class NGram:
    """A character n-gram model with Witten-Bell interpolated smoothing, counted on training ids only.

    p_0(c) = (C(c) + N1(·) / V) / (C + N1(·))  (the unigram mixed with the uniform 1/V)
    p_j(c | h) = (C(h c) + N1(h ·) p_{j-1}(c | h')) / (C(h) + N1(h ·)),  h' = h without its oldest character,
    for a context h of j characters seen in training; p_j = p_{j-1} for a context never seen. C counts, N1(h ·) is
    how many different characters followed h. Each level sums to 1 over the V symbols if the one below does,
    so every p is a proper distribution over the vocabulary (unseen symbols included).
    """

    def __init__(self, train_ids: np.ndarray, vocab_size: int, order: int = NGRAM_ORDER):
        if not 1 <= order <= 8:
            raise ValueError(f"order must be a whole number from 1 to 8, got {order!r}")
        ids = np.asarray(train_ids, dtype=np.int64)
        self.V, self.order, self.total = vocab_size, order, len(ids)
        self.levels = []  # per context length j: (pair codes, pair counts, context codes, C(h), N1(h ·))
        for j in range(order):
            codes = np.zeros(len(ids) - j, dtype=np.int64)
            for k in range(j + 1):  # the (j+1)-gram ending at t, as a base-V number
                codes = codes * vocab_size + ids[k:len(ids) - j + k]
            pairs, counts = np.unique(codes, return_counts=True)
            ctx, first, n1 = np.unique(pairs // vocab_size, return_index=True, return_counts=True)
            self.levels.append((pairs, counts, ctx, np.add.reduceat(counts, first), n1))

    @staticmethod
    def _look(keys: np.ndarray, values: np.ndarray, q: np.ndarray) -> np.ndarray:
        i = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        return np.where(keys[i] == q, values[i], 0)

    def _probs(self, hist: np.ndarray, c: np.ndarray) -> np.ndarray:
        """p(c | hist) for rows of hist [N, order-1] (oldest first, -1 = before the text) and symbols c [N]."""
        pairs, counts = self.levels[0][:2]
        p = (self._look(pairs, counts, c) + len(pairs) / self.V) / (self.total + len(pairs))  # N1(·) = len(pairs)
        for j in range(1, self.order):
            pairs, counts, ctx, c_h, n1 = self.levels[j]
            h = hist[:, hist.shape[1] - j:]
            usable = (h >= 0).all(axis=1)
            code = np.zeros(len(c), dtype=np.int64)
            for k in range(j):
                code = code * self.V + np.maximum(h[:, k], 0)
            seen_c, seen_n1 = self._look(ctx, c_h, code), self._look(ctx, n1, code)
            pair = self._look(pairs, counts, code * self.V + c)
            mixed = (pair + seen_n1 * p) / np.maximum(seen_c + seen_n1, 1)
            p = np.where(usable & (seen_c > 0), mixed, p)
        return p

    def distribution(self, context) -> np.ndarray:
        """p(· | context) over the whole vocabulary [V]; ``context``: the ids before (any length)."""
        ctx = np.asarray(context, dtype=np.int64)[len(context) - (self.order - 1):] if self.order > 1 \
            else np.zeros(0, np.int64)
        hist = np.full((self.V, self.order - 1), -1, dtype=np.int64)
        if len(ctx):
            hist[:, hist.shape[1] - len(ctx):] = ctx
        return self._probs(hist, np.arange(self.V))

    def probabilities(self, ids: np.ndarray) -> np.ndarray:
        """p(ids[t] | the order-1 ids before it, fewer at the start) for t = 1 .. N-1 [N-1]."""
        ids = np.asarray(ids, dtype=np.int64)
        w = self.order - 1
        padded = np.concatenate([np.full(w, -1, np.int64), ids])
        hist = np.stack([padded[k:k + len(ids)] for k in range(w)], axis=1) if w else np.zeros((len(ids), 0), np.int64)
        return self._probs(hist[1:], ids[1:])

    def bits_per_char(self, ids: np.ndarray) -> float:
        """The same measure as ``bits_per_char`` above, on the same characters (ids[1:])."""
        return float(-np.log2(self.probabilities(ids)).mean())


@torch.no_grad()
def sample(model, task, prompt: str, n: int = 200, seed: int = 0, temperature: float = 0.8) -> str:
    """``n`` symbols the model writes after reading ``prompt``, drawn from softmax(logits / temperature)
    with a seeded generator (same model, prompt and seed: same text). <unk> is never drawn. A character model
    refuses a prompt character it never saw; a word model reads an unknown word as <unk>, as it was trained."""
    from lstm_viz.models.tokenize import tokenize

    if not prompt:
        raise ValueError("the prompt is empty: give the model at least one character to start from")
    words = task.mode == "words"
    tokens = tokenize(prompt, "words") if words else list(prompt)
    unknown = sorted({ch for ch in tokens if ch not in task.vocab[1:]})
    if unknown and not words:
        raise ValueError(f"the prompt has characters this model never saw: {' '.join(map(repr, unknown[:10]))}")
    if not (isinstance(n, int) and 1 <= n <= 10_000):
        raise ValueError(f"n must be a whole number from 1 to 10000, got {n!r}")
    if not (math.isfinite(temperature) and 0.05 <= temperature <= 5):
        raise ValueError(f"temperature must be between 0.05 and 5, got {temperature}")
    index = {c: i for i, c in enumerate(task.vocab)}
    V = len(task.vocab)
    rng = np.random.default_rng(seed)
    model.eval()
    x = F.one_hot(torch.tensor([index.get(c, 0) for c in tokens]), V).float()[:, None]  # [T, 1, V]
    out, state = model.rnn(x)
    out_chars = []
    for _ in range(n):
        logits = model.head(out[-1, 0]).double() / temperature
        logits[0] = -math.inf  # <unk> is not a symbol to write
        p = torch.softmax(logits, -1).numpy()
        nxt = int(min(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"), V - 1))
        out_chars.append(task.vocab[nxt])
        out, state = model.rnn(F.one_hot(torch.tensor([[nxt]]), V).float(), state)
    return (" " if words else "").join(out_chars)


SAMPLE_PROMPTS = {"shakespeare_char": ("ROMEO:\n", "First Citizen:\n", "KING RICHARD III:\nNow is the "),
                  "wikitext_word": ("the game", "in the early", "the city of")}
SAMPLE_LENGTH = {"shakespeare_char": 200, "wikitext_word": 40}  # characters or words
SAMPLE_SEED, SAMPLE_TEMPERATURE = 0, 0.8


def samples(model, task) -> list[dict]:
    """The card's samples: prompt k continued by ``SAMPLE_LENGTH`` symbols with seed ``SAMPLE_SEED + k``."""
    n = SAMPLE_LENGTH[task.name]
    return [{"prompt": p, "seed": SAMPLE_SEED + k, "temperature": SAMPLE_TEMPERATURE,
             "text": sample(model, task, p, n, SAMPLE_SEED + k, SAMPLE_TEMPERATURE)}
            for k, p in enumerate(SAMPLE_PROMPTS[task.name])]


def held_out_report(model, task) -> dict:
    """What a card records for a model of a task with a held-out text: its bits per symbol there (characters:
    bpc; words: also perplexity 2^bits), the n-gram baselines and the uniform guess on the same symbols, and
    seeded samples."""
    from lstm_viz.models.tasks import HELD_OUT_FRACTION, shakespeare_ids, wikitext_ids

    if task.name not in ("shakespeare_char", "wikitext_word"):
        raise ValueError(f"the task {task.name!r} has no held-out text")
    words = task.name == "wikitext_word"
    ids = wikitext_ids if words else shakespeare_ids
    train, held = ids("train"), ids("held_out")
    V = len(task.vocab)
    unit, source = ("tokens", "wikitext2_valid.txt") if words else ("characters", "tinyshakespeare.txt")
    report = {
        "split": f"train: the first {1 - HELD_OUT_FRACTION:.0%} of {source} ({len(train):,} {unit}); held out: "
                 f"the last {HELD_OUT_FRACTION:.0%} ({len(held):,} {unit}, from {unit[:-1]} {len(train):,}), "
                 f"never trained on",
        "how": f"every held-out {unit[:-1]} but the first; the model reads pieces of {EVAL_CHUNK} {unit}, each from "
               f"a zero state; the n-grams see up to n-1 {unit} before",
        "baseline": f"{unit[:-1]} n-grams counted on the training split, Witten-Bell interpolated down to a uniform "
                    f"distribution over the vocabulary",
    }
    bits = bits_per_char(model, held, V)
    if words:
        base = {name: NGram(train, V, k).bits_per_char(held) for name, k in (("unigram", 1), ("bigram", 2))}
        report.update({"scored_tokens": len(held) - 1, "bits_per_word": round(bits, 4),
                       "perplexity": round(2 ** bits, 2),
                       "baseline_perplexity": {k: round(2 ** v, 2) for k, v in base.items()},
                       "uniform_perplexity": V, "unk_fraction": round(float((held == 0).mean()), 4)})
    else:
        report.update({"scored_characters": len(held) - 1, "bpc": round(bits, 4),
                       "baseline_bpc": {f"{k}gram": round(NGram(train, V, k).bits_per_char(held), 4)
                                        for k in (3, NGRAM_ORDER)},
                       "uniform_bpc": round(math.log2(V), 4)})
    return {"held_out": report, "samples": samples(model, task)}
