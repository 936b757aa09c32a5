"""Teaching tasks: seeded, deterministic generators, each with its loss and its accuracy.

| task         | input                 | output                                 | loss at    |
|--------------|-----------------------|----------------------------------------|------------|
| next_char    | characters (one-hot)  | the next character (char-rnn)          | every step |
| brackets     | code-like characters  | the closer expected now: none ) ] "    | every step |
| recall       | a, lag distractors, ? | the first symbol (Hochreiter 1997)     | last step  |
| adding       | (value, marker) pairs | sum of the two marked values           | last step  |
| sentiment    | words (EN and 中文)   | positive / negative (many-to-one)      | last step  |
| shakespeare_char | Shakespeare's characters | the next character (char-rnn on a real text) | every step |
| wikitext_word | Wikipedia's words      | the next word (a word-level language model)  | every step |
| digits_rows  | an 8×8 image, one row per step | the digit 0-9 (many-to-one)   | last step  |

shakespeare_char trains on the first 90 % of tiny-shakespeare and keeps the last 10 % (one contiguous piece)
held out: ``Task.held_out`` draws its evaluation windows from there only. wikitext_word does the same with the
tokens of WikiText-2's validation file (its words as the page reads typed words, the 999 commonest kept).
digits_rows trains on the first 1,500 of scikit-learn's 8×8 digits and holds the last 297 out (``Task.test_set``:
all of them, the one set its accuracy is measured on; ``lstm_viz/models/digits.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from lstm_viz.checks import MAX_STEPS
from lstm_viz.models import digits
from lstm_viz.models.tokenize import UNK, Encoded, encode, parse_numbers, tokenize
from lstm_viz.paths import ASSETS

SAMPLE_TEXT = (ASSETS / "text" / "sample.txt").read_text(encoding="utf-8")
ADDING_TOLERANCE = 0.04  # a prediction counts as right within this distance (Hochreiter & Schmidhuber 1997)


@dataclass(frozen=True)
class Batch:
    x: torch.Tensor  # [T, B, input_size]
    y: torch.Tensor  # [T, B] class ids (-1: no target) for every-step tasks; [B] ids or values for last-step ones


@dataclass(frozen=True)
class Task:
    name: str
    title: dict
    loss_at: str  # "every" or "last"
    kind: str  # "classify" or "regress"
    mode: str  # how typed text is read: chars, words or numbers
    vocab: tuple[str, ...] | None  # input symbols, <unk> first (None: numeric input)
    classes: tuple[str, ...] | None  # output labels (None: one regression output)
    input_size: int
    seq_len: int
    make_batch: Callable[[np.random.Generator, int], Batch] = field(repr=False)
    example: str = ""
    lag: int | None = None
    text_targets: Callable[[Encoded], torch.Tensor | None] | None = field(default=None, repr=False)
    held_out: Callable[[np.random.Generator, int], Batch] | None = field(default=None, repr=False)  # eval windows
    test_set: Callable[[], Batch] | None = field(default=None, repr=False)  # a fixed held-out set, all of it

    @property
    def output_size(self) -> int:
        return len(self.classes) if self.classes else 1

    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy (classification) or squared error (adding), at every step or the last one.

        ``logits``: [T, B, out]."""
        if self.kind == "regress":
            return F.mse_loss(logits[-1, :, 0], y)
        if self.loss_at == "last":
            return F.cross_entropy(logits[-1], y)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1)

    def correct(self, logits: torch.Tensor, y: torch.Tensor) -> tuple[int, int]:
        """(number right, number counted) for a batch."""
        if self.kind == "regress":
            ok = (logits[-1, :, 0] - y).abs() < ADDING_TOLERANCE
            return int(ok.sum()), ok.numel()
        if self.loss_at == "last":
            return int((logits[-1].argmax(-1) == y).sum()), y.numel()
        mask = y >= 0
        return int(((logits.argmax(-1) == y) & mask).sum()), int(mask.sum())

    def encode(self, text: str) -> Encoded:
        """Typed text to model input for this task (ValueError with a clear message on bad text)."""
        if self.name == "adding":
            return _adding_encode(text)
        if self.name == "digits_rows":
            return digits.encode(text)
        return encode(tokenize(text, self.mode), list(self.vocab))


def _one_hot(ids: np.ndarray, V: int) -> torch.Tensor:
    return F.one_hot(torch.from_numpy(ids), V).float()


# --- next character (char-rnn) ---------------------------------------------------------------------------

MIN_OWN_TEXT = 12  # characters a person's own text needs before a model can train on it


def _next_char(seq_len: int = 48, text: str | None = None) -> Task:
    corpus = SAMPLE_TEXT if text is None else text
    if len(corpus) < MIN_OWN_TEXT:
        raise ValueError(f"the text to train on has {len(corpus)} characters; it needs at least {MIN_OWN_TEXT}")
    if len(corpus) > MAX_STEPS:
        raise ValueError(f"the text to train on has {len(corpus):,} characters; the limit is {MAX_STEPS:,}")
    seq_len = min(seq_len, len(corpus) - 2)
    vocab = (UNK, *sorted(set(corpus)))
    index = {c: i for i, c in enumerate(vocab)}
    ids = np.array([index[c] for c in corpus], dtype=np.int64)

    def make_batch(rng, B):
        starts = rng.integers(0, len(ids) - seq_len - 1, size=B)
        win = np.stack([ids[s:s + seq_len + 1] for s in starts], axis=1)  # [T+1, B]
        return Batch(_one_hot(win[:-1], len(vocab)), torch.from_numpy(win[1:]))

    def text_targets(enc):  # the next typed character is the target; the last step has none
        y = np.append(enc.ids[1:], -1)
        y[:-1][enc.unknown[1:]] = -1
        return torch.from_numpy(y)

    return Task("next_char", {"en": "Next character (char-rnn)", "zh": "预测下一个字符（char-rnn）"}, "every",
                "classify", "chars", vocab, vocab, len(vocab), seq_len, make_batch,
                example="The forget gate says how much of the old memory to keep." if text is None else corpus[:200],
                text_targets=text_targets)


# --- brackets and quotes ---------------------------------------------------------------------------------

BRACKET_LETTERS = "abcdefxyz"
CLOSER = {"(": ")", "[": "]"}
BRACKET_CLASSES = ("none", ")", "]", '"')


def bracket_text(rng: np.random.Generator, T: int, max_depth: int = 4) -> str:
    """Code-like text: letters and spaces, nested ( ) [ ] and "quoted" spans (no brackets inside quotes)."""
    out, stack, quoted = [], [], False
    for _ in range(T):
        u = rng.random()
        if quoted:
            ch = '"' if u < 0.15 else (" " if u < 0.3 else rng.choice(list(BRACKET_LETTERS)))
            quoted = ch != '"'
        elif u < 0.14 and len(stack) < max_depth:
            ch = "(" if rng.random() < 0.5 else "["
            stack.append(CLOSER[ch])
        elif u < 0.3 and stack:
            ch = stack.pop()
        elif u < 0.36:
            ch, quoted = '"', True
        elif u < 0.5:
            ch = " "
        else:
            ch = str(rng.choice(list(BRACKET_LETTERS)))
        out.append(ch)
    return "".join(out)


def bracket_state(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per character: the expected closer (class id), the bracket depth, and whether inside quotes."""
    stack, quoted = [], False
    target, depth, inside = [], [], []
    for ch in text:
        if quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch in CLOSER:
            stack.append(CLOSER[ch])
        elif ch in (")", "]") and stack and stack[-1] == ch:
            stack.pop()
        closer = '"' if quoted else (stack[-1] if stack else "none")
        target.append(BRACKET_CLASSES.index(closer))
        depth.append(len(stack))
        inside.append(quoted)
    return np.array(target), np.array(depth), np.array(inside)


def _brackets(seq_len: int = 64) -> Task:
    vocab = (UNK, " ", '"', "(", ")", "[", "]", *BRACKET_LETTERS)
    index = {c: i for i, c in enumerate(vocab)}

    def make_batch(rng, B):
        texts = [bracket_text(rng, seq_len) for _ in range(B)]
        ids = np.array([[index[c] for c in t] for t in texts]).T  # [T, B]
        y = np.stack([bracket_state(t)[0] for t in texts], axis=1)
        return Batch(_one_hot(ids, len(vocab)), torch.from_numpy(y))

    return Task("brackets", {"en": "Brackets and quotes", "zh": "括号与引号"}, "every", "classify", "chars",
                vocab, BRACKET_CLASSES, len(vocab), seq_len, make_batch,
                example='f(x [a "b (c" d] (y)) "z" [[a] b]',
                text_targets=lambda enc: torch.from_numpy(bracket_state("".join(enc.tokens))[0]))


# --- delayed recall -------------------------------------------------------------------------------------

RECALL_SYMBOLS = "abcd"
DISTRACTORS = "wxyz"


def _recall(lag: int = 20) -> Task:
    vocab = (UNK, *RECALL_SYMBOLS, *DISTRACTORS, "?")
    T = lag + 2

    def make_batch(rng, B):
        first = rng.integers(0, len(RECALL_SYMBOLS), size=B)
        ids = np.empty((T, B), dtype=np.int64)
        ids[0] = 1 + first
        ids[1:-1] = 1 + len(RECALL_SYMBOLS) + rng.integers(0, len(DISTRACTORS), size=(lag, B))
        ids[-1] = len(vocab) - 1
        return Batch(_one_hot(ids, len(vocab)), torch.from_numpy(first))

    def text_targets(enc):
        first = enc.tokens[0]
        return torch.tensor(RECALL_SYMBOLS.index(first)) if first in RECALL_SYMBOLS else None

    ex_rng = np.random.default_rng(lag)
    example = "c" + "".join(ex_rng.choice(list(DISTRACTORS), size=lag)) + "?"
    return Task("recall", {"en": f"Delayed recall, lag {lag}", "zh": f"延迟回忆，间隔 {lag}"}, "last", "classify",
                "chars", vocab, tuple(RECALL_SYMBOLS), len(vocab), T, make_batch, example=example, lag=lag,
                text_targets=text_targets)


# --- adding problem -------------------------------------------------------------------------------------

def _adding_encode(text: str) -> Encoded:
    """Numbers, the two to add written with a leading '*': "0.3 *0.7 0.1 *0.2" -> [[0.3, 0], [0.7, 1], ...]."""
    tokens = tokenize(text, "numbers")
    marked = np.array([t.startswith("*") for t in tokens])
    values = parse_numbers([t.lstrip("*") for t in tokens])
    x = np.concatenate([values, marked[:, None].astype(np.float32)], axis=1)
    T = len(tokens)
    return Encoded(tuple(tokens), np.zeros(T, dtype=np.int64), np.zeros(T, dtype=bool), x)


def _adding(seq_len: int = 50) -> Task:
    T = seq_len

    def make_batch(rng, B):
        values = rng.random((T, B)).astype(np.float32)
        marks = np.zeros((T, B), dtype=np.float32)
        first = rng.integers(0, T // 2, size=B)
        second = rng.integers(T // 2, T, size=B)
        marks[first, np.arange(B)] = 1.0
        marks[second, np.arange(B)] = 1.0
        x = torch.from_numpy(np.stack([values, marks], axis=-1))
        return Batch(x, torch.from_numpy((values * marks).sum(0)))

    ex_rng = np.random.default_rng(0)
    vals = ex_rng.random(T)
    example = " ".join(("*" if i in (7, 31) else "") + f"{v:.2f}" for i, v in enumerate(vals))

    def text_targets(enc):
        return torch.tensor(float((enc.x[:, 0] * enc.x[:, 1]).sum()))

    return Task("adding", {"en": f"Adding problem, length {T}", "zh": f"加法问题，长度 {T}"}, "last", "regress",
                "numbers", None, None, 2, T, make_batch, example=example, text_targets=text_targets)


# --- sentiment, many-to-one -----------------------------------------------------------------------------

EN_SUBJECTS = ["the movie", "this book", "the food", "the service", "my day", "the film", "this phone",
               "the song", "the hotel", "the game"]
EN_POS = ["good", "great", "fun", "lovely", "excellent", "nice", "wonderful", "happy"]
EN_NEG = ["bad", "boring", "awful", "terrible", "sad", "poor", "dull", "ugly"]
EN_INTENS = ["very", "really", "so", "quite"]
ZH_SUBJECTS = ["这部电影", "这本书", "这家饭店", "服务", "今天", "这首歌", "这个手机", "这个游戏"]
ZH_POS = ["好", "好看", "精彩", "开心", "棒", "有趣"]
ZH_NEG = ["差", "无聊", "难吃", "糟糕", "难过", "难看"]
ZH_INTENS = ["很", "非常", "真"]


def sentiment_phrase(rng: np.random.Generator, zh: bool, negated: bool, intens: bool) -> tuple[str, int]:
    """One labelled phrase (1 positive, 0 negative); a negation flips the adjective's polarity."""
    positive = bool(rng.random() < 0.5)
    if zh:
        adj = str(rng.choice(ZH_POS if positive else ZH_NEG))
        subj = str(rng.choice(ZH_SUBJECTS))
        words = subj + ("不" if negated else "") + (str(rng.choice(ZH_INTENS)) if intens else "") + adj
    else:
        adj = str(rng.choice(EN_POS if positive else EN_NEG))
        words = f"{rng.choice(EN_SUBJECTS)} {rng.choice(['was', 'is'])}" + (" not" if negated else "") \
            + (f" {rng.choice(EN_INTENS)}" if intens else "") + f" {adj}"
    return words, int(positive != negated)


def _sentiment() -> Task:
    words = set()
    for s in EN_SUBJECTS + EN_POS + EN_NEG + EN_INTENS + ["was", "is", "not"]:
        words.update(tokenize(s, "words"))
    for s in ZH_SUBJECTS + ZH_POS + ZH_NEG + ZH_INTENS + ["不"]:
        words.update(tokenize(s, "words"))
    vocab = (UNK, *sorted(words))
    index = {w: i for i, w in enumerate(vocab)}

    def make_batch(rng, B):
        # one phrase shape per batch, so every phrase in it has the same length
        zh, negated, intens = rng.random(3) < (0.5, 0.5, 0.5)
        phrases = [sentiment_phrase(rng, zh, negated, intens) for _ in range(B)]
        toks = [tokenize(p, "words") for p, _ in phrases]
        T = max(len(t) for t in toks)
        toks = [[UNK] * (T - len(t)) + t for t in toks]  # subjects differ in length: pad in front
        ids = np.array([[index[w] for w in t] for t in toks]).T
        return Batch(_one_hot(ids, len(vocab)), torch.tensor([label for _, label in phrases]))

    return Task("sentiment", {"en": "Sentiment (many-to-one)", "zh": "情感分类（多对一）"}, "last", "classify",
                "words", vocab, ("negative", "positive"), len(vocab), 8, make_batch,
                example="the movie was not very good")


# --- Shakespeare, next character (char-rnn on a real text) ----------------------------------------------

SHAKESPEARE_FILE = ASSETS / "text" / "tinyshakespeare.txt"
HELD_OUT_FRACTION = 0.1  # the last 10 % of the text, one contiguous piece, is never trained on


@lru_cache(maxsize=1)
def shakespeare_split() -> tuple[str, str]:
    """(train, held_out): the first 90 % of tiny-shakespeare and the last 10 % (cut at a fixed character)."""
    text = SHAKESPEARE_FILE.read_text(encoding="utf-8")
    cut = int(len(text) * (1 - HELD_OUT_FRACTION))
    return text[:cut], text[cut:]


@lru_cache(maxsize=1)
def _shakespeare_ids() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(vocab, train ids, held-out ids); the vocabulary is <unk> then the training split's characters."""
    train, held = shakespeare_split()
    return _indexed((UNK, *sorted(set(train))), train, held)


def _indexed(vocab: tuple[str, ...], train, held) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(vocab, train ids, held-out ids): each token's index in ``vocab``, 0 (<unk>) for one outside it."""
    index = {c: i for i, c in enumerate(vocab)}
    return vocab, *(np.array([index.get(c, 0) for c in part], dtype=np.int64) for part in (train, held))


def _part(found: tuple, part: str) -> np.ndarray:
    """The "train" or "held_out" ids of a (vocab, train ids, held-out ids) triple, read-only."""
    _, train, held = found
    ids = {"train": train, "held_out": held}[part]
    ids.flags.writeable = False
    return ids


def shakespeare_ids(part: str) -> np.ndarray:
    """Token ids of the "train" or "held_out" split (read-only)."""
    return _part(_shakespeare_ids(), part)


def _windows(ids: np.ndarray, V: int, seq_len: int) -> Callable[[np.random.Generator, int], Batch]:
    def make_batch(rng, B):
        starts = rng.integers(0, len(ids) - seq_len - 1, size=B)
        win = np.stack([ids[s:s + seq_len + 1] for s in starts], axis=1)  # [T+1, B]
        return Batch(_one_hot(win[:-1], V), torch.from_numpy(win[1:]))
    return make_batch


def _shakespeare_char(seq_len: int = 100) -> Task:
    vocab, train, held = _shakespeare_ids()

    def text_targets(enc):  # as next_char: the next typed character, none after the last or an unknown one
        y = np.append(enc.ids[1:], -1)
        y[:-1][enc.unknown[1:]] = -1
        return torch.from_numpy(y)

    held_text = shakespeare_split()[1]
    start = held_text.index("\n\n") + 2  # the first speaker of the held-out text
    example = held_text[start:held_text.rindex("\n", start, start + 320)]
    return Task("shakespeare_char", {"en": "Shakespeare, next character", "zh": "莎士比亚，预测下一个字符"}, "every",
                "classify", "chars", vocab, vocab, len(vocab), seq_len, _windows(train, len(vocab), seq_len),
                example=example, text_targets=text_targets, held_out=_windows(held, len(vocab), seq_len))


# --- WikiText-2, next word (a word-level language model) -------------------------------------------------

WIKITEXT_FILE = ASSETS / "text" / "wikitext2_valid.txt"
WORD_VOCAB = 1000  # <unk> and the 999 commonest words of the training part (one-hot inputs keep the file small)
_WIKI_JOINS = {" @-@ ": "-", " @,@ ": ",", " @.@ ": "."}  # WikiText splits 1,000 and well-known around an @


def wikitext_tokens() -> tuple[list[str], list[str]]:
    """(train, held_out) tokens: each line read as the page reads typed words (lower case, punctuation apart),
    WikiText's own <unk> kept as <unk>; the last 10 % of the tokens, one contiguous piece, held out."""
    return _wikitext_tokens()


@lru_cache(maxsize=1)
def _wikitext_tokens() -> tuple[tuple[str, ...], tuple[str, ...]]:
    out = []
    for line in WIKITEXT_FILE.read_text(encoding="utf-8").split("\n"):
        for old, new in _WIKI_JOINS.items():
            line = line.replace(old, new)
        for k, piece in enumerate(line.split("<unk>")):
            if k:
                out.append(UNK)
            if piece.strip():
                out += tokenize(piece, "words")
    cut = int(len(out) * (1 - HELD_OUT_FRACTION))
    return tuple(out[:cut]), tuple(out[cut:])


@lru_cache(maxsize=1)
def _wikitext_ids() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    train, held = _wikitext_tokens()
    counts: dict[str, int] = {}
    for w in train:
        if w != UNK:
            counts[w] = counts.get(w, 0) + 1
    common = sorted(counts, key=lambda w: (-counts[w], w))[:WORD_VOCAB - 1]  # ties: alphabetical
    return _indexed((UNK, *sorted(common)), train, held)


def wikitext_ids(part: str) -> np.ndarray:
    """Token ids of the "train" or "held_out" split (read-only; 0 = <unk>)."""
    return _part(_wikitext_ids(), part)


def _wikitext_word(seq_len: int = 35) -> Task:
    vocab, train, held = _wikitext_ids()

    def text_targets(enc):  # the next typed word (an unknown one is a target too: <unk>), none after the last
        return torch.from_numpy(np.append(enc.ids[1:], -1))

    return Task("wikitext_word", {"en": "Wikipedia, next word", "zh": "维基百科，预测下一个词"}, "every", "classify",
                "words", vocab, vocab, len(vocab), seq_len, _windows(train, len(vocab), seq_len),
                example="the first game of the season was played in the city , and the team won it .",
                text_targets=text_targets, held_out=_windows(held, len(vocab), seq_len))


# --- handwritten digits read row by row (the BiLSTM-on-image-rows application) -------------------------------

def _digits_rows() -> Task:
    train_px, train_y = digits.split("train")
    held_px, held_y = digits.split("held_out")
    train_x, held_x = torch.from_numpy(digits.as_rows(train_px)), torch.from_numpy(digits.as_rows(held_px))
    train_y, held_y = torch.tensor(train_y), torch.tensor(held_y)

    def make_batch(rng, B):  # B training images drawn with replacement
        pick = torch.from_numpy(rng.integers(0, train_x.shape[1], size=B))
        return Batch(train_x[:, pick], train_y[pick])

    def text_targets(enc):  # the label of a held-out image (typed as #k or as its pixels); none for another image
        label = digits.label_of(enc.x)
        return None if label is None else torch.tensor(label)

    return Task("digits_rows", {"en": "Handwritten digits, row by row", "zh": "手写数字，逐行读入"}, "last",
                "classify", "numbers", None, tuple(str(d) for d in range(10)), digits.COLS, digits.ROWS,
                make_batch, example="#0", text_targets=text_targets,
                test_set=lambda: Batch(held_x, held_y))


def make_task(name: str, lag: int | None = None, seq_len: int | None = None, text: str | None = None) -> Task:
    """A task by name; ``lag`` for recall, ``seq_len`` for next_char / brackets / adding, ``text`` to train
    next_char on a person's own text instead of the bundled sample."""
    if name == "recall":
        return _recall(20 if lag is None else _check_len(lag, "lag", 1, 1000))
    if name == "next_char" and text is not None:
        return _next_char(48 if seq_len is None else _check_len(seq_len, "seq_len", 2, 2000), text=text)
    makers = {"next_char": _next_char, "brackets": _brackets, "adding": _adding}
    if name == "sentiment":
        return _sentiment()
    if name == "shakespeare_char":
        return _shakespeare_char(100 if seq_len is None else _check_len(seq_len, "seq_len", 2, 2000))
    if name == "digits_rows":
        return _digits_rows()
    if name == "wikitext_word":
        return _wikitext_word(35 if seq_len is None else _check_len(seq_len, "seq_len", 2, 2000))
    if name not in makers:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    return makers[name]() if seq_len is None else makers[name](_check_len(seq_len, "seq_len", 2, 2000))


def _check_len(v, what, lo, hi) -> int:
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError(f"{what} must be a whole number from {lo} to {hi}, got {v!r}")
    return int(v)


TASKS = ("next_char", "brackets", "recall", "adding", "sentiment", "shakespeare_char", "wikitext_word", "digits_rows")
ONE_MODEL_TASKS = ("wikitext_word", "digits_rows")  # in the menu with no RNN or GRU twin: an LSTM only
READOUT_TASKS = ("digits_rows",)  # its bidirectional LSTM is shipped read out two ways: the menu picks the readout
TASK_NAMES = {  # for menus; a task's own title adds its lag or length
    "next_char": {"en": "Next character (char-rnn)", "zh": "预测下一个字符（char-rnn）"},
    "brackets": {"en": "Brackets and quotes", "zh": "括号与引号"},
    "recall": {"en": "Delayed recall", "zh": "延迟回忆"},
    "adding": {"en": "Adding problem", "zh": "加法问题"},
    "sentiment": {"en": "Sentiment (many-to-one)", "zh": "情感分类（多对一）"},
    "shakespeare_char": {"en": "Shakespeare, next character", "zh": "莎士比亚，预测下一个字符"},
    "wikitext_word": {"en": "Wikipedia, next word", "zh": "维基百科，预测下一个词"},
    "digits_rows": {"en": "Handwritten digits, row by row (BiLSTM)", "zh": "手写数字，逐行读入（双向 LSTM）"},
}
