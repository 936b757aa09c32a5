"""Typed input, task generators, training and the shipped models."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import lstm_viz as lv
from lstm_viz.models import tasks
from lstm_viz.models.tokenize import UNK, encode, encode_text, parse_numbers, tokenize
from lstm_viz.models.train import (
    FBIAS_INITS,
    FBIAS_LAG,
    TrainConfig,
    default_config,
    evaluate,
    fbias_stem,
    load_model,
    save_model,
    stem_for,
    train,
)

MODELS = Path(__file__).resolve().parent.parent / "assets" / "models"
CARDS = sorted(MODELS.glob("*.json"))


def test_tokenize_modes():
    assert tokenize("héllo 世界😀", "chars") == ["h", "é", "l", "l", "o", " ", "世", "界", "😀"]
    assert tokenize("The movie was NOT bad. 这部电影很好看！", "words") == [
        "the", "movie", "was", "not", "bad", ".", "这", "部", "电", "影", "很", "好", "看", "！"]
    assert parse_numbers(tokenize("0.5, 1, -2 3", "numbers")).ravel().tolist() == [0.5, 1, -2, 3]
    for bad, mode, msg in [("", "chars", "empty"), ("   ", "words", "empty"), (" ,, ", "numbers", "empty"),
                           ("a" * (lv.MAX_STEPS + 1), "chars", "limit is 10,000")]:
        with pytest.raises(ValueError, match=msg):
            tokenize(bad, mode)
    assert tokenize("  ", "chars") == [" ", " "]  # a space is a character
    with pytest.raises(ValueError, match="'abc' is not a number"):
        encode_text("1 abc", None, "numbers")
    with pytest.raises(ValueError, match="not a finite number"):
        encode_text("1 inf", None, "numbers")
    assert len(tokenize("a" * lv.MAX_STEPS, "chars")) == lv.MAX_STEPS >= 10_000


def test_unknown_symbols_become_unk_steps():
    enc = encode(list("abz"), [UNK, "a", "b"])
    assert enc.ids.tolist() == [1, 2, 0] and enc.unknown.tolist() == [False, False, True]
    assert enc.labels == ["a", "b", "<unk>:z"] and enc.x.sum() == 3 and enc.x[2, 0] == 1
    with pytest.raises(ValueError, match="starts with <unk>"):
        encode(["a"], ["a"])


@pytest.mark.parametrize("name", tasks.TASKS)
def test_generators_are_seeded_and_shaped(name):
    task = tasks.make_task(name)
    a, b = task.make_batch(np.random.default_rng(3), 5), task.make_batch(np.random.default_rng(3), 5)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert a.x.shape[1:] == (5, task.input_size)
    enc = task.encode(task.example)
    assert not enc.unknown.any() and enc.x.shape[1] == task.input_size


def test_task_generators_mean_what_they_say():
    rng = np.random.default_rng(0)
    recall = tasks.make_task("recall", lag=7)
    batch = recall.make_batch(rng, 50)
    assert batch.x.shape[0] == 9 and torch.equal(batch.x[0].argmax(-1) - 1, batch.y)
    adding = tasks.make_task("adding", seq_len=20).make_batch(rng, 50)
    assert torch.all(adding.x[:, :, 1].sum(0) == 2)
    assert torch.allclose((adding.x[:, :, 0] * adding.x[:, :, 1]).sum(0), adding.y)
    text = tasks.bracket_text(rng, 500)
    target, depth, inside = tasks.bracket_state(text)
    assert depth.min() >= 0 and inside.any() and (depth > 1).any()
    assert all(tasks.BRACKET_CLASSES[t] == '"' for t, q in zip(target, inside) if q)
    phrase, label = tasks.sentiment_phrase(rng, zh=False, negated=True, intens=False)
    assert " not " in phrase and label == int(any(w in phrase for w in tasks.EN_NEG))
    with pytest.raises(ValueError, match="unknown task"):
        tasks.make_task("poetry")
    with pytest.raises(ValueError, match="lag must be"):
        tasks.make_task("recall", lag=0)


def test_training_is_deterministic_with_snapshots_and_progress(tmp_path):
    cfg = TrainConfig(task="recall", cell="gru", lag=5, steps=30, hidden_size=8, batch=16, seed=4, truncate=3)
    seen = []
    a = train(cfg, progress=lambda s, loss, acc: seen.append((s, loss, acc)), snapshot_steps=(0, 10, 30))
    b = train(cfg)
    assert [h[1] for h in a.history] == [h[1] for h in b.history]  # same settings, same run
    assert seen == a.history and len(seen) == 30 and sorted(a.snapshots) == [0, 10, 30]
    assert not torch.equal(a.snapshots[0]["rnn.weight_hh_l0"], a.snapshots[30]["rnn.weight_hh_l0"])
    card = save_model(a, tmp_path / "m", evaluate(a.model, a.task, n=200), "test")
    model, task, card2 = load_model(tmp_path / "m")
    assert card2 == card and card["task"] == "recall" and card["lag"] == 5
    assert evaluate(model, task, n=200) == pytest.approx(card["accuracy"], abs=1e-4)
    with pytest.raises(ValueError, match="hidden_size"):
        train(TrainConfig(hidden_size=0))


def test_truncated_bptt_in_training_cuts_the_gradient():
    cfg = TrainConfig(task="recall", cell="lstm", lag=12, steps=1, hidden_size=8, batch=4, clip=None)
    from lstm_viz.models.train import new_model
    task = cfg.make_task()
    model = new_model(cfg, task)
    batch = task.make_batch(np.random.default_rng(0), 4)
    x = batch.x.clone().requires_grad_()
    task.loss(model(x, truncate=5), batch.y).backward()
    g = x.grad.abs().sum(dim=(1, 2))
    assert torch.all(g[:-5] == 0) and torch.all(g[-5:] > 0)  # the last chunk of 5 steps only (T = 14)


@pytest.mark.parametrize("card_path", CARDS, ids=[p.stem for p in CARDS])
def test_every_shipped_card_re_evaluates(card_path):
    card = json.loads(card_path.read_text())
    for key in ("task", "cell", "input_size", "hidden_size", "vocab", "seed", "steps", "accuracy", "command"):
        assert key in card
    assert card["command"].startswith("python -m lstm_viz train") and card_path.stem in card["command"]
    model, task, _ = load_model(card_path.with_suffix(""))
    assert evaluate(model, task) == pytest.approx(card["accuracy"], abs=1e-3)


def test_shipped_models_make_the_point():
    sizes = sum(p.stat().st_size for p in MODELS.iterdir())
    assert sizes < 5 * 2**20
    acc = {p.stem: json.loads(p.read_text())["accuracy"] for p in CARDS}
    tasks_ = ("next_char", "brackets", "sentiment", "adding", "shakespeare_char")
    assert {f"{t}_{c}" for t in tasks_ for c in ("rnn", "gru", "lstm")} \
        | {f"recall_lag{lag}_{c}" for lag in (5, 20, 50, 100) for c in ("rnn", "gru", "lstm")} \
        | {"wikitext_word_lstm", "digits_bilstm", "digits_bilstm_last"} \
        | {fbias_stem(b) for b in FBIAS_INITS} == set(acc)
    assert acc["recall_lag50_lstm"] >= 0.9 and acc["recall_lag50_rnn"] <= 0.5
    seconds = {p.stem: json.loads(p.read_text())["train_seconds"] for p in CARDS}
    real = ("shakespeare", "wikitext")  # the real texts: a budget of about 5 minutes each
    assert max(v for k, v in seconds.items() if not k.startswith(real)) < 30
    assert max(v for k, v in seconds.items() if k.startswith(real)) < 330


def test_the_forget_bias_twins_differ_only_in_the_bias_they_start_from():
    from dataclasses import asdict

    cards = [json.loads((MODELS / f"{fbias_stem(b)}.json").read_text()) for b in FBIAS_INITS]
    assert [c["config"]["forget_bias"] for c in cards] == list(FBIAS_INITS)
    budget = dict(asdict(default_config("recall", "lstm", lag=FBIAS_LAG)), forget_bias=None)
    assert all(dict(c["config"], forget_bias=None) == budget for c in cards)  # one task, seed and budget
    for c in cards:
        loss = np.array([h[1] for h in c["history"]])
        assert [h[0] for h in c["history"]] == list(range(1, c["steps"] + 1))
        own = next(r for r in c["seeds"] if r["seed"] == c["seed"])
        assert own["final_loss"] == pytest.approx(loss[-c["final_loss_steps"]:].mean(), abs=1e-4)
        assert own["accuracy"] == pytest.approx(c["accuracy"], abs=1e-4)
        assert sorted(r["seed"] for r in c["seeds"]) == [0, 1, 2]
    assert stem_for("recall", "lstm", FBIAS_LAG, finit=0.0) == fbias_stem(0.0)
    assert stem_for("recall", "lstm", 50, finit=0.0) == "recall_lag50_lstm"  # no twins there: as shipped
    assert stem_for("recall", "gru", FBIAS_LAG, finit=1.0) == f"recall_lag{FBIAS_LAG}_gru"
    with pytest.raises(ValueError, match="start from 0 or 1, not 0.5"):
        fbias_stem(0.5)


def test_default_configs_and_cli_evaluate():
    import subprocess
    import sys
    cfg = default_config("recall", "lstm", lag=100)
    assert cfg.forget_bias == 5.0 and cfg.lag == 100
    out = subprocess.run([sys.executable, "-m", "lstm_viz", "evaluate", str(MODELS / "sentiment_lstm")],
                         capture_output=True, text=True, cwd=MODELS.parent.parent, timeout=120)
    card = json.loads((MODELS / "sentiment_lstm.json").read_text())
    assert out.returncode == 0 and out.stdout.strip() == f"accuracy: {card['accuracy']:.3f}"


def test_next_char_on_a_persons_own_text(tmp_path):
    text = "你好世界，hello world! 你好 LSTM。" * 3
    cfg = TrainConfig(task="next_char", cell="gru", steps=40, hidden_size=16, text=text)
    result = train(cfg)
    assert set(result.task.vocab[1:]) == set(text)
    save_model(result, tmp_path / "own", evaluate(result.model, result.task, n=100), "test")
    model, task, card = load_model(tmp_path / "own")
    assert task.vocab == result.task.vocab and card["config"]["text"] == text
    with pytest.raises(ValueError, match="needs at least"):
        tasks.make_task("next_char", text="short")
    import subprocess
    import sys
    (tmp_path / "mine.txt").write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "lstm_viz", "train", "--task", "next_char", "--cell", "lstm",
                          "--steps", "20", "--text-file", str(tmp_path / "mine.txt"), "--out", str(tmp_path / "cli")],
                         capture_output=True, text=True, cwd=MODELS.parent.parent, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().splitlines()[-1].startswith("accuracy: ")
    bad = subprocess.run([sys.executable, "-m", "lstm_viz", "train", "--task", "recall", "--cell", "lstm",
                          "--text-file", str(tmp_path / "mine.txt"), "--out", str(tmp_path / "x")],
                         capture_output=True, text=True, cwd=MODELS.parent.parent, timeout=120)
    assert bad.returncode == 2 and "--text-file goes with --task next_char" in bad.stderr


def test_cosine_schedule_changes_only_the_later_updates():
    base = TrainConfig(task="recall", cell="rnn", lag=3, steps=3, hidden_size=4, batch=4, seed=2)
    const = train(base, snapshot_steps=(1, 2, 3))
    cos = train(TrainConfig(**dict(base.__dict__, schedule="cosine")), snapshot_steps=(1, 2, 3))
    key = "rnn.weight_hh_l0"
    assert torch.equal(const.snapshots[1][key], cos.snapshots[1][key])  # the first update uses the full lr
    assert not torch.equal(const.snapshots[3][key], cos.snapshots[3][key])

    def last_move(r):
        return (r.snapshots[3][key] - r.snapshots[2][key]).abs().sum()

    assert last_move(cos) < last_move(const)  # its last update's lr is lr·(1 + cos(2π/3))/2 = lr/4
    with pytest.raises(ValueError, match="schedule must be"):
        train(TrainConfig(**dict(base.__dict__, schedule="linear")))
