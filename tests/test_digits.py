"""The 8×8 digits read row by row by two bidirectional LSTMs: the fixed split, the typed images, the shipped cards'
held-out figures and their baselines, and both readouts against torch.nn.LSTM's own outputs and final states."""

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lstm_viz as lv
from lstm_viz.models import digits, tasks
from lstm_viz.models.train import as_model, evaluate, load_model
from lstm_viz.teach import readout

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "assets" / "models"
NAMES = {"digits_bilstm": "final_states", "digits_bilstm_last": "outputs"}


def file_rows() -> np.ndarray:
    """The data file read here on its own: [1797, 65] whole numbers, the label last."""
    with gzip.open(ROOT / "assets" / "data" / "digits.csv.gz", "rt") as f:
        return np.array([[int(v) for v in line.split(",")] for line in f if line.strip()])


@pytest.fixture(scope="module")
def held():
    """(images [297, 8, 8] in [0, 1], labels [297]): the last 297 lines of the file."""
    rows = file_rows()
    assert rows.shape == (1797, 65) and rows[:, :64].min() == 0 and rows[:, :64].max() == 16
    return rows[1500:, :64].reshape(-1, 8, 8) / 16.0, rows[1500:, 64]


def plain_lstm(rnn: nn.Module) -> nn.LSTM:
    """A torch.nn.LSTM(bidirectional=True) holding the shipped module's weights (nothing of the engine's)."""
    twin = nn.LSTM(rnn.input_size, rnn.hidden_size, bidirectional=True)
    twin.load_state_dict(rnn.state_dict())
    return twin.eval()


def test_the_split_is_fixed_and_the_same_everywhere(held):
    rows = file_rows()
    train_px, train_y = digits.split("train")
    held_px, held_y = digits.split("held_out")
    assert len(train_px) == 1500 and len(held_px) == 297
    np.testing.assert_array_equal(np.concatenate([train_px, held_px]), rows[:, :64])
    np.testing.assert_array_equal(held_y, held[1])
    task = tasks.make_task("digits_rows")
    batch = task.test_set()
    assert batch.x.shape == (8, 297, 8) and torch.equal(batch.y, torch.from_numpy(held[1]))
    np.testing.assert_allclose(batch.x.numpy().transpose(1, 0, 2), held[0], atol=1e-7)  # row t is step t
    train_batch = task.make_batch(np.random.default_rng(5), 400)  # training draws never meet a held-out image
    held_set = {tuple(np.round(im.ravel() * 16).astype(int)) for im in held[0]}
    drawn = {tuple(np.round(train_batch.x[:, b].numpy().ravel() * 16).astype(int)) for b in range(400)}
    assert len(drawn) > 300 and not (drawn & held_set - {tuple(p) for p in train_px})


@pytest.mark.parametrize("name", NAMES)
def test_a_shipped_card_holds_its_held_out_accuracy_by_torch_alone(name, held):
    """The accuracy in the card, recomputed with a plain nn.LSTM and the readout written out here: the final
    states from h_n (forward after row 7, backward after row 0), or the last step's output (outputs[-1])."""
    card = json.loads((MODELS / f"{name}.json").read_text())
    model, task, _ = load_model(MODELS / name)
    assert card["config"]["readout"] == NAMES[name] == model.readout and model.rnn.bidirectional
    assert model.rnn.hidden_size == 32 and card["held_out"]["images"] == 297
    lstm = plain_lstm(model.rnn)
    x = torch.tensor(held[0], dtype=torch.float32).permute(1, 0, 2)  # [T=8, N, 8]
    with torch.no_grad():
        out, (h_n, _) = lstm(x)
        feats = torch.cat([h_n[0], h_n[1]], dim=1) if NAMES[name] == "final_states" else out[-1]
        pred = model.head(feats).argmax(-1).numpy()
    acc = float((pred == held[1]).mean())
    assert acc == pytest.approx(card["held_out"]["accuracy"], abs=1e-4)
    assert evaluate(model, task) == pytest.approx(acc, abs=1e-9) and card["accuracy"] == card["held_out"]["accuracy"]
    assert acc > card["held_out"]["baseline_accuracy"]["nearest class mean"]


def test_the_two_readouts_measured_on_the_same_images():
    a = json.loads((MODELS / "digits_bilstm.json").read_text())["held_out"]
    b = json.loads((MODELS / "digits_bilstm_last.json").read_text())["held_out"]
    assert a["baseline_accuracy"] == b["baseline_accuracy"] and a["split"] == b["split"]
    assert a["accuracy"] > b["accuracy"]  # reading both final states beats outputs[-1] on this split


def test_the_baselines_are_computed_on_the_same_split(held):
    rows = file_rows()
    xtr, ytr = rows[:1500, :64] / 16.0, rows[:1500, 64]
    means = np.stack([xtr[ytr == c].mean(0) for c in range(10)])
    flat = held[0].reshape(-1, 64)
    nearest = (((flat[:, None] - means[None]) ** 2).sum(-1).argmin(1) == held[1]).mean()
    card = json.loads((MODELS / "digits_bilstm.json").read_text())["held_out"]["baseline_accuracy"]
    assert digits.nearest_mean_accuracy() == pytest.approx(nearest, abs=1e-12)
    assert card["nearest class mean"] == pytest.approx(nearest, abs=1e-4)
    assert card["logistic regression"] == pytest.approx(digits.logistic_accuracy(), abs=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_the_engine_trace_and_the_page_readout_match_torch(name, held):
    """Per step, both directions' h from the engine against nn.LSTM(bidirectional=True); the page's prediction at
    the last step against the model's own logits and against torch's final states / last output."""
    seq, task, _ = load_model(MODELS / name)
    model = as_model(seq, task)
    lstm = plain_lstm(seq.rnn)
    for k in (0, 17, 296):
        enc = model.encode(f"#{k}")
        np.testing.assert_allclose(enc.x, held[0][k], atol=1e-7)
        tr = lv.trace(model.rnn, enc.x)
        with torch.no_grad():
            out, (h_n, _) = lstm(torch.from_numpy(enc.x).unsqueeze(1))
            own = seq(torch.from_numpy(enc.x).unsqueeze(1))[-1, 0]  # the SeqModel as trained
        assert tr.directions == 2 and tr.h.shape == (1, 8, 64)
        np.testing.assert_allclose(tr.h[-1], out[:, 0].numpy(), atol=1e-6)  # h→_t and h←_t at every row
        np.testing.assert_allclose(tr.h[-1, -1, :32], h_n[0, 0].numpy(), atol=1e-6)  # forward: after row 7
        np.testing.assert_allclose(tr.h[-1, 0, 32:], h_n[1, 0].numpy(), atol=1e-6)  # backward: after row 0
        probs = readout.predictions(model, tr.h[-1])
        np.testing.assert_allclose(probs[-1], torch.softmax(own, -1).numpy(), atol=1e-6)
        feats = torch.cat([h_n[0, 0], h_n[1, 0]]) if NAMES[name] == "final_states" else out[-1, 0]
        with torch.no_grad():
            np.testing.assert_allclose(probs[-1], torch.softmax(seq.head(feats), -1).numpy(), atol=1e-6)
        loss, desc = readout.loss_for(model, enc, tr)  # the gradient view's loss: the same readout, the label
        label = int(held[1][k])
        assert float(loss(torch.from_numpy(np.array(tr.h[-1])))) == pytest.approx(
            float(F.cross_entropy(own[None], torch.tensor([label]))), rel=1e-5)
        assert f"“{label}”" in desc["en"]


def test_a_held_out_image_and_typed_pixels_read_the_same(held):
    task = tasks.make_task("digits_rows")
    enc = task.encode(" #17 ")
    assert len(enc.tokens) == 8 and enc.tokens[0].startswith("0 ") and enc.tokens[7].startswith("7 ")
    assert all(len(t) == 10 for t in enc.tokens) and set("".join(t[2:] for t in enc.tokens)) <= set(digits.SHADES)
    typed = task.encode(digits.as_text(17))
    np.testing.assert_array_equal(typed.x, enc.x)
    assert int(task.text_targets(enc)) == held[1][17]
    commas = task.encode("\n".join(",".join(["0"] * 8) for _ in range(8)))
    assert commas.tokens[0] == "0 ········" and task.text_targets(commas) is None  # not a held-out image
    full = task.encode("\n".join(" ".join(["16"] * 8) for _ in range(8)))
    assert full.tokens[3] == "3 ████████" and full.x.max() == 1.0


@pytest.mark.parametrize("text,msg", [
    ("#297", "there is no held-out image 297"),
    ("hello", "cannot read this as an image"),
    ("#1 #2", "cannot read this as an image"),
    ("\n".join(["1 2 3 4 5 6 7 8"] * 7), "cannot read this as an image"),
    ("\n".join(["1 2 3 4 5 6 7"] * 8), "cannot read this as an image"),
    ("\n".join(["1 2 3 4 5 6 7 x"] * 8), "cannot read this as an image"),
    ("\n".join(["1 2 3 4 5 6 7 17"] * 8), "a pixel value is outside 0 to 16"),
    ("\n".join(["1 2 3 4 5 6 7 nan"] * 8), "a pixel value is outside 0 to 16"),
    ("\n".join(["-1 2 3 4 5 6 7 8"] * 8), "a pixel value is outside 0 to 16"),
])
def test_bad_typed_input_gets_one_clear_line(text, msg):
    task = tasks.make_task("digits_rows")
    with pytest.raises(ValueError, match=msg) as err:
        task.encode(text)
    assert "\n" not in str(err.value) and 'type "#k" for held-out image k (0 to 296)' in str(err.value)


def test_the_final_states_readout_needs_both_directions():
    from lstm_viz.models.train import TrainConfig, train
    with pytest.raises(ValueError, match="needs bidirectional"):
        train(TrainConfig(task="digits_rows", cell="lstm", readout="final_states", steps=1))
    with pytest.raises(ValueError, match="readout must be one of"):
        train(TrainConfig(task="digits_rows", cell="lstm", bidirectional=True, readout="mean", steps=1))


def test_the_menu_opens_the_digits_with_their_readout_control():
    """Chosen in the sidebar after a GRU: the BiLSTM (no cell control for this task), its rows as tokens, the
    readout control switching between the two shipped models; the address keeps the readout."""
    from page_helpers import new, ok, player, settings_of

    at = ok(new(cell="gru"))
    at.selectbox(key="task").set_value("digits_rows").run()
    s = settings_of(ok(at))
    assert s.task == "digits_rows" and s.cell == "lstm" and s.readout == "final_states"
    assert not [w for w in at.get("button_group") if w.key == "cell"]
    d = player(at)
    assert d["tokens"] == list(tasks.make_task("digits_rows").encode("#0").tokens) and not at.error
    first = d["pred"]["p"]
    at.button_group(key="readout").set_value("outputs").run()
    assert settings_of(ok(at)).readout == "outputs"
    address = [c for c in at.get("bidi_component") if c.proto.component_name == "lstm_viz_address"]
    assert json.loads(address[-1].proto.json)["query"]["readout"] == "outputs"  # what the page writes back
    assert player(at)["pred"]["p"] != first  # the other model's predictions
