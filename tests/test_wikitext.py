"""The word-level language model on WikiText-2: the split, the vocabulary, held-out perplexity against the card and
the unigram and bigram baselines on the same words, typed text and samples."""

import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_viz.cli import build_parser
from lstm_viz.models import charlm, tasks
from lstm_viz.models.tokenize import UNK
from lstm_viz.models.train import load_model

ROOT = Path(__file__).resolve().parent.parent
STEM = ROOT / "assets" / "models" / "wikitext_word_lstm"


@pytest.fixture(scope="module")
def shipped():
    return load_model(STEM)


def test_split_and_vocabulary():
    train, held = tasks.wikitext_tokens()
    raw = (ROOT / "assets" / "text" / "wikitext2_valid.txt").read_text(encoding="utf-8")
    assert len(train) == int((len(train) + len(held)) * 0.9)
    assert train[:6] == ("=", "homarus", "gammarus", "=", "homarus", "gammarus")
    assert train.count(UNK) + held.count(UNK) == raw.count("<unk>")  # WikiText's own rare words stay <unk>
    assert " @,@ " in raw and "@" not in train + held  # WikiText's " @,@ " and the like are joined again
    task = tasks.make_task("wikitext_word")
    assert len(task.vocab) == tasks.WORD_VOCAB == 1000 and task.vocab[0] == UNK
    counts = Counter(w for w in train if w != UNK)
    kept = set(task.vocab[1:])
    assert min(counts[w] for w in kept) >= max(c for w, c in counts.items() if w not in kept)  # the commonest
    index = {w: i for i, w in enumerate(task.vocab)}
    assert tasks.wikitext_ids("held_out").tolist() == [index.get(w, 0) for w in held]


def test_committed_model_reproduces_its_card(shipped):
    model, task, card = shipped
    ho = card["held_out"]
    held = tasks.wikitext_ids("held_out")
    assert ho["scored_tokens"] == len(held) - 1
    bits = charlm.bits_per_char(model, held, len(task.vocab))
    assert bits == pytest.approx(ho["bits_per_word"], abs=1e-4) and 2 ** bits == pytest.approx(ho["perplexity"],
                                                                                              abs=0.01)
    assert charlm.held_out_report(model, task) == {"held_out": ho, "samples": card["samples"]}
    assert (STEM.with_suffix(".safetensors")).stat().st_size < 2**20


def test_perplexity_against_a_plain_loop(shipped):
    model, task, _ = shipped
    ids = tasks.wikitext_ids("held_out")[:1501]  # pieces of 1000 and 500 words
    total = 0.0
    for s in (0, 1000):
        piece = torch.from_numpy(ids[s:s + 1001].copy())
        out, _ = model.rnn(F.one_hot(piece[:-1], len(task.vocab)).float()[:, None])
        logp = torch.log_softmax(model.head(out[:, 0]).double(), -1)
        total -= logp[torch.arange(len(piece) - 1), piece[1:]].sum().item()
    assert charlm.bits_per_char(model, ids, len(task.vocab)) == pytest.approx(total / 1500 / math.log(2), rel=1e-5)


def test_unigram_and_bigram_baselines(shipped):
    V = 1000
    train, held = tasks.wikitext_ids("train"), tasks.wikitext_ids("held_out")
    uni, bi = charlm.NGram(train, V, 1), charlm.NGram(train, V, 2)
    counts = np.bincount(train, minlength=V)
    seen = (counts > 0).sum()
    assert uni.distribution([]) == pytest.approx((counts + seen / V) / (len(train) + seen), rel=1e-12)
    for ctx in ([], [5], [0], [int(held[10])], [999]):
        d = bi.distribution(ctx)
        assert np.all(d > 0) and d.sum() == pytest.approx(1, abs=1e-12)
    card = shipped[2]["held_out"]
    assert 2 ** uni.bits_per_char(held) == pytest.approx(card["baseline_perplexity"]["unigram"], abs=0.01)
    assert 2 ** bi.bits_per_char(held) == pytest.approx(card["baseline_perplexity"]["bigram"], abs=0.01)
    assert card["perplexity"] < card["baseline_perplexity"]["bigram"] < card["baseline_perplexity"]["unigram"]


def test_typed_words_samples_and_the_command_line(shipped):
    model, task, card = shipped
    enc = task.encode("The war, xylophonic game")
    assert enc.tokens == ("the", "war", ",", "xylophonic", "game")
    assert enc.unknown.tolist() == [False, False, False, True, False] and enc.labels[3] == "<unk>:xylophonic"
    assert not task.encode(task.example).unknown.any()
    out = charlm.sample(model, task, "the xylophonic game", 12, seed=1)
    assert out == charlm.sample(model, task, "the xylophonic game", 12, seed=1) and len(out.split()) == 12
    assert UNK not in out.split()
    with pytest.raises(ValueError, match="prompt is empty"):
        charlm.sample(model, task, "")
    assert build_parser().parse_args(["train", "--task", "wikitext_word", "--cell", "lstm", "--out", "x"]).task \
        == "wikitext_word"
    run = subprocess.run([sys.executable, "-m", "lstm_viz", "evaluate", "wikitext_word_lstm", "--samples", "20"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"held-out perplexity: {card['held_out']['perplexity']:.1f}" in run.stdout
