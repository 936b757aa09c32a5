"""The Shakespeare models: the split, held-out bits per character against the cards, the n-gram baseline, seeded
samples, typed text, and the interpretable cells and gate saturation found in the LSTM."""

import json
import math
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_viz.i18n import tr
from lstm_viz.models import charlm, tasks
from lstm_viz.models.train import as_model, load_model
from lstm_viz.teach import cells_found
from lstm_viz.teach.settings import SPECS

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "assets" / "models"
CELLS = ("rnn", "gru", "lstm")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def task():
    return tasks.make_task("shakespeare_char")


@pytest.fixture(scope="module")
def shipped():
    return {c: load_model(MODELS / f"shakespeare_char_{c}") for c in CELLS}


def test_split_is_the_last_tenth_held_out_and_nothing_else():
    text = (ROOT / "assets" / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    assert len(text) == 1_115_394
    train, held = tasks.shakespeare_split()
    cut = int(len(text) * 0.9)
    assert train == text[:cut] and held == text[cut:] and len(held) == 111_540
    vocab = tasks.make_task("shakespeare_char").vocab
    index = {c: i for i, c in enumerate(vocab)}
    assert tasks.shakespeare_ids("held_out").tolist() == [index[c] for c in held]
    assert len(tasks.shakespeare_ids("train")) == cut


def test_batches_come_from_their_split(task):
    train, held = tasks.shakespeare_split()
    rng = np.random.default_rng(5)
    for draw, part in ((task.make_batch, train), (task.held_out, held)):
        b = draw(rng, 4)
        for k in range(4):
            window = "".join(task.vocab[i] for i in b.x[:, k].argmax(-1).tolist()) + task.vocab[int(b.y[-1, k])]
            assert window in part
    a, b = task.make_batch(np.random.default_rng(1), 3), task.make_batch(np.random.default_rng(1), 3)
    assert torch.equal(a.x, b.x)


@pytest.mark.parametrize("cell", CELLS)
def test_committed_models_reproduce_their_cards(cell, shipped, task):
    model, task_, card = shipped[cell]
    ho = card["held_out"]
    held = tasks.shakespeare_ids("held_out")
    assert ho["scored_characters"] == len(held) - 1
    assert charlm.bits_per_char(model, held, len(task.vocab)) == pytest.approx(ho["bpc"], abs=1e-4)
    assert ho["bpc"] < ho["uniform_bpc"] == pytest.approx(math.log2(len(task.vocab)), abs=1e-4)
    assert charlm.held_out_report(model, task_) == {"held_out": ho, "samples": card["samples"]}  # seeded: the same
    assert card["hidden_size"] == 128 and card["seq_len"] == 100 and card["task"] == "shakespeare_char"
    assert (MODELS / f"shakespeare_char_{cell}.safetensors").stat().st_size < 2**20


def test_bits_per_char_against_a_plain_loop(shipped, task):
    """Pieces read side by side in one batch = each piece read alone by nn.LSTM, scored with log_softmax."""
    model = shipped["lstm"][0]
    ids = tasks.shakespeare_ids("held_out")[5000:7501]  # 2,500 scored characters: pieces of 1000, 1000, 500
    total = 0.0
    for s in range(0, 2500, 1000):
        piece = torch.from_numpy(ids[s:min(s + 1001, len(ids))].copy())
        out, _ = model.rnn(F.one_hot(piece[:-1], len(task.vocab)).double()[:, None].float())
        logp = torch.log_softmax(model.head(out[:, 0]).double(), -1)
        total -= logp[torch.arange(len(piece) - 1), piece[1:]].sum().item()
    assert charlm.bits_per_char(model, ids, len(task.vocab)) == pytest.approx(total / 2500 / math.log(2), rel=1e-5)


def _witten_bell(train: list[int], V: int, order: int, context: list[int], c: int) -> float:
    """Witten-Bell interpolation from plain counts (a dictionary per context), one probability at a time."""
    def p(k):
        if k == 0:
            counts = Counter(train)
            return (counts[c] + len(counts) / V) / (len(train) + len(counts))
        h = tuple(context[len(context) - k:])
        follow = Counter(train[t] for t in range(k, len(train)) if tuple(train[t - k:t]) == h)
        lower = p(k - 1)
        if not follow:
            return lower
        n = sum(follow.values())
        return (follow[c] + len(follow) * lower) / (n + len(follow))
    return p(min(order - 1, len(context)))


def test_ngram_baseline_is_a_distribution_on_the_same_split(shipped, task):
    V = len(task.vocab)
    train, held = tasks.shakespeare_ids("train"), tasks.shakespeare_ids("held_out")
    ng = charlm.NGram(train, V, 5)
    assert ng.total == len(train) == 1_003_854
    for t in (0, 1, 2, 7, 300, 5000):
        d = ng.distribution(held[:t])
        assert d.shape == (V,) and np.all(d > 0) and d.sum() == pytest.approx(1, abs=1e-12)
        if t:
            assert ng.probabilities(held[:t + 1])[-1] == pytest.approx(d[held[t]], rel=1e-12)
    assert ng.distribution([0, 0, 0, 0]).sum() == pytest.approx(1, abs=1e-12)  # a context never seen
    card = shipped["lstm"][2]["held_out"]
    assert ng.bits_per_char(held) == pytest.approx(card["baseline_bpc"]["5gram"], abs=1e-4)
    assert charlm.NGram(train, V, 3).bits_per_char(held) == pytest.approx(card["baseline_bpc"]["3gram"], abs=1e-4)
    assert len(ng.probabilities(held)) == card["scored_characters"]  # the characters the models are scored on
    small = [int(i) for i in train[:3000]]
    toy = charlm.NGram(np.array(small), V, 3)
    for ctx, c in (([], 44), ([40], 44), ([46, 44], 2), ([46, 44], 1), ([10, 10], 5)):
        assert toy.distribution(ctx)[c] == pytest.approx(_witten_bell(small, V, 3, ctx, c), rel=1e-12)


def test_typed_text_and_prompts_with_unknown_characters(shipped, task):
    enc = task.encode("ROMEO: Zoë 你")
    assert enc.unknown.tolist() == [False] * 9 + [True, False, True]
    assert enc.labels[9] == "<unk>:ë" and enc.x[9, 0] == 1
    assert not task.encode(task.example).unknown.any()
    model = shipped["lstm"][0]
    with pytest.raises(ValueError, match="never saw: 'ë' '你'"):
        charlm.sample(model, task, "Zoë 你")
    with pytest.raises(ValueError, match="prompt is empty"):
        charlm.sample(model, task, "")
    for lang in ("en", "zh"):
        msg = tr("unk_task", lang, n=2, T=12, task=tasks.TASK_NAMES["shakespeare_char"][lang], symbols="a b",
                 free=tasks.TASK_NAMES["next_char"][lang])
        assert "\n" not in msg and tasks.TASK_NAMES["shakespeare_char"][lang] in msg
    a, b = charlm.sample(model, task, "ROMEO:\n", 50, seed=3), charlm.sample(model, task, "ROMEO:\n", 50, seed=3)
    assert a == b and len(a) == 50 and a != charlm.sample(model, task, "ROMEO:\n", 50, seed=4)


def test_the_task_menu_lists_it_in_both_languages():
    assert "shakespeare_char" in tasks.TASKS and "shakespeare_char" in SPECS["task"].choices
    for name in tasks.TASKS:
        names = tasks.TASK_NAMES[name]
        assert names["en"].strip() and CJK.search(names["zh"]), name
    for key in ("held_out_bpc", "samples_heading"):
        assert tr(key, "zh", n=1, bpc=1.0, k=5, ng=2.0, u=6.0, temp=0.8) != tr(key, "en", n=1, bpc=1.0, k=5, ng=2.0,
                                                                                u=6.0, temp=0.8)


def test_cli_evaluate_reports_held_out_bpc():
    card = json.loads((MODELS / "shakespeare_char_gru.json").read_text())
    out = subprocess.run([sys.executable, "-m", "lstm_viz", "evaluate", "shakespeare_char_gru", "--samples", "50"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"held-out bits per character: {card['held_out']['bpc']:.3f}" in out.stdout


# --- interpretable cells and gate saturation ----------------------------------------------------------------

def test_text_features_mean_what_they_say():
    f = cells_found.text_features("ROMEO:\nGo, Ann!\n")  # 16 characters
    assert f["speaker_line"].tolist() == [1] * 6 + [0] * 10
    assert f["line_position"].tolist() == [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0]
    assert f["word_position"].tolist() == [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 0, 1, 2, 3, 4, 0]
    assert f["just_read_newline"].tolist() == [0] * 6 + [1] + [0] * 8 + [1]
    assert f["vowel"].tolist()[:9] == [0, 1, 0, 1, 1, 0, 0, 0, 1] and f["upper_case"].sum() == 7
    assert f["punctuation"].tolist() == [0] * 5 + [1] + [0, 0, 0, 1, 0, 0, 0, 0, 1, 0]
    assert f["consonant"].tolist()[:8] == [1, 0, 1, 0, 0, 0, 0, 1]
    assert not cells_found.text_features("KING HENRY VI:\nAy:\n")["speaker_line"][15:].any()  # "Ay:" is speech
    assert cells_found.text_features("KING HENRY VI:\n")["speaker_line"][:14].all()


@pytest.fixture(scope="module")
def found():
    return cells_found.shakespeare_cells(top=3)


def test_listed_r_is_numpys_corrcoef_of_the_traced_state(found):
    assert len(found.text) == cells_found.CELLS_TEXT_CHARS
    assert set(found.best) == set(cells_found.FEATURES)  # every feature varies over this text
    for name, units in found.best.items():
        assert len(units) == 3 and abs(units[0].r) >= abs(units[-1].r)
        for u in units:
            state = getattr(found.trace, u.state)[u.layer, :, u.unit]
            assert u.r == pytest.approx(np.corrcoef(state, found.features[name])[0, 1], abs=1e-9)
        every = [abs(np.corrcoef(getattr(found.trace, s)[0, :, k], found.features[name])[0, 1])
                 for s in ("c", "h") for k in range(found.trace.hidden_size)]
        assert abs(units[0].r) == pytest.approx(max(every), abs=1e-9)  # the best is the best


def test_saturation_counts_gates_computed_from_the_weights(found, shipped, task):
    """Gates from PyTorch's documented LSTM equations and nn.LSTM's own h_{t-1}, counted directly."""
    rnn = shipped["lstm"][0].rnn
    x = torch.from_numpy(task.encode(found.text).x)
    with torch.no_grad():
        h, _ = rnn(x)
        h_prev = torch.cat([torch.zeros(1, rnn.hidden_size), h[:-1]])
        pre = x @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h_prev @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
        i, f, g, o = pre.double().chunk(4, dim=1)
    ref = {"i": torch.sigmoid(i).numpy(), "f": torch.sigmoid(f).numpy(), "o": torch.sigmoid(o).numpy()}
    T = len(found.text)
    exact = 0
    for gate, values in ref.items():
        below, above = found.saturation[(0, gate)]
        for mine, theirs, edge in ((below, values < 0.1, 0.1), (above, values > 0.9, 0.9)):
            near = (np.abs(values - edge) < 1e-5).sum(0)  # steps whose side rounding could decide
            diff = np.abs(np.rint(mine * T) - theirs.sum(0))
            assert np.all(diff <= near), gate
            exact += int((diff == 0).all())
    assert exact >= 5
    summary = found.saturation_summary()
    assert set(summary) == {(0, "f"), (0, "i"), (0, "o")}
    assert summary[(0, "f")]["mean_above"] == pytest.approx(found.saturation[(0, "f")][1].mean())


def test_find_cells_refuses_what_it_cannot_read(shipped):
    gru = as_model(*shipped["gru"][:2])
    with pytest.raises(ValueError, match="needs an LSTM"):
        cells_found.find_cells(gru, "ROMEO:\n")
    lstm = as_model(*shipped["lstm"][:2])
    with pytest.raises(ValueError, match="never saw"):
        cells_found.find_cells(lstm, "ROMEO: Zoë")
    with pytest.raises(ValueError, match="from 2 to"):
        cells_found.find_cells(lstm, "R")
