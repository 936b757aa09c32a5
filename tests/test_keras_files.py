"""Keras 3 files as Keras writes them (.keras, .weights.h5, legacy .h5), read with h5py and compared with Keras' own
forward pass: h at every step of every layer (both directions) and the output layer's values, within 1e-5.
Keras runs here on its torch backend (a test-only dependency); the reader never imports it."""

import os

import h5py
import numpy as np
import pytest
import torch

import lstm_viz as lv
from lstm_viz import cli
from lstm_viz.models import checkpoints
from lstm_viz.teach import readout
from page_helpers import through_the_page

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402  (after its backend is chosen)

layers = keras.layers

TOL = 1e-5
FORMATS = ("model.keras", "model.h5", "model.weights.h5")


def randomise(model, seed: int) -> None:
    """Every weight drawn anew (biases included, so that a bias read into the wrong place shows)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        layer.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in layer.get_weights()])


def save_all(model, folder):
    model.save(folder / "model.keras")
    model.save(folder / "model.h5")
    model.save_weights(folder / "model.weights.h5")


def keras_states(model, x):
    """Each recurrent layer's output at every step (its last step only where it returns only that), and the model's
    output, from Keras itself."""
    h, states = keras.ops.convert_to_tensor(x[None]), []
    for layer in model.layers:  # a chain: each layer reads the one before
        if isinstance(layer, layers.InputLayer):
            continue
        h = layer(h)
        if isinstance(layer, (layers.RNN, layers.Bidirectional)):
            states.append(np.asarray(keras.ops.convert_to_numpy(h))[0])
    out = np.asarray(keras.ops.convert_to_numpy(h))[0]
    assert np.allclose(out, np.asarray(keras.ops.convert_to_numpy(model(x[None])))[0], atol=1e-6)  # the model's own
    return states, out


def model_input(model, x):
    return model.embedding[torch.from_numpy(np.asarray(x, np.int64))].numpy() if model.embedding is not None else x


def compare(path, kmodel, x, want_notes=()):
    model = checkpoints.load(path)
    states, out = keras_states(kmodel, x)
    trace = lv.trace(model.rnn, model_input(model, x))
    for k, h in enumerate(states):
        ours = trace.h[k] if h.ndim == 2 else trace.h[k, -1]
        np.testing.assert_allclose(ours, h, atol=TOL, err_msg=f"{path.name}: layer {k}")
    pred = readout.predictions(model, trace.h[-1])
    head = getattr(kmodel.layers[-1], "layer", kmodel.layers[-1])  # a TimeDistributed layer's Dense
    if path.name == "model.weights.h5" and head.get_config()["activation"] not in ("softmax", "linear"):
        assert ("note_keras_head", {}) in model.notes  # read as logits, and said so: the file does not name it
    else:
        np.testing.assert_allclose(pred if out.ndim == 2 else pred[-1], out, atol=TOL, err_msg=path.name)
    for note in want_notes:
        assert (note, {}) in model.notes, (path.name, model.notes)
    return model


def test_embedding_two_stacked_lstms_and_a_softmax_at_the_last_step(tmp_path):
    m = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(20, 8),
                          layers.LSTM(6, return_sequences=True), layers.LSTM(6), layers.Dense(4, activation="softmax")])
    randomise(m, 0)
    save_all(m, tmp_path)
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    for name in FORMATS:
        model = compare(tmp_path / name, m, x)
        assert type(model.rnn) is torch.nn.LSTM and model.rnn.num_layers == 2
        assert model.found == ("embedding", "fc")
    assert ("note_keras_last", {}) in checkpoints.load(tmp_path / "model.keras").notes
    assert checkpoints.load(tmp_path / "model.keras").head_activation == "softmax"


@pytest.mark.parametrize("cell", [layers.GRU, layers.LSTM, layers.SimpleRNN])
def test_bidirectional_stack_with_a_time_distributed_sigmoid(tmp_path, cell):
    m = keras.Sequential([keras.Input((None, 3)), layers.Bidirectional(cell(5, return_sequences=True)),
                          layers.Bidirectional(cell(5, return_sequences=True)),
                          layers.TimeDistributed(layers.Dense(2, activation="sigmoid"))])
    randomise(m, 1)
    save_all(m, tmp_path)
    x = np.random.default_rng(2).normal(0, 1, (9, 3)).astype("float32")
    for name in FORMATS:
        model = compare(tmp_path / name, m, x)
        assert model.rnn.bidirectional and model.rnn.num_layers == 2


def test_functional_gru_with_dropout_and_a_linear_head_per_step(tmp_path):
    i = keras.Input((None,), dtype="int32")
    h = layers.Embedding(12, 4)(i)
    h = layers.GRU(7, return_sequences=True)(h)
    h = layers.Dropout(0.5)(h)  # nothing at inference
    o = layers.Dense(3)(h)
    m = keras.Model(i, o)
    randomise(m, 3)
    save_all(m, tmp_path)
    x = np.array([1, 2, 3, 4, 5, 6, 7, 0, 11])
    for name in FORMATS:
        model = checkpoints.load(tmp_path / name)
        states, out = keras_states(m, x)
        trace = lv.trace(model.rnn, model_input(model, x))
        np.testing.assert_allclose(trace.h[0], states[0], atol=TOL)
        logits = torch.nn.functional.linear(torch.from_numpy(np.array(trace.h[-1])), model.head.weight,
                                            model.head.bias).numpy()
        np.testing.assert_allclose(logits, out, atol=TOL)  # a linear Dense: the logits, as Keras gives them


def test_relu_simple_rnn_without_bias_knows_its_nonlinearity(tmp_path):
    m = keras.Sequential([keras.Input((None, 2)), layers.SimpleRNN(4, activation="relu", use_bias=False,
                                                                    return_sequences=True), layers.Dense(1)])
    randomise(m, 4)
    save_all(m, tmp_path)
    x = np.random.default_rng(5).normal(0, 1, (6, 2)).astype("float32")
    for name in ("model.keras", "model.h5"):  # these say relu; a weights file does not (the page asks)
        model = compare(tmp_path / name, m, x)
        assert model.rnn.nonlinearity == "relu" and not model.rnn.bias


def test_the_page_and_the_command_line_read_a_keras_file(tmp_path, capsys):
    import json

    m = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(10, 5),
                          layers.LSTM(6, return_sequences=True), layers.Dense(10, activation="softmax")])
    randomise(m, 6)
    m.save(tmp_path / "lm.keras")
    m.save_weights(tmp_path / "lm.weights.h5")
    words = [f"w{i}" for i in range(10)]
    (tmp_path / "vocab.json").write_text(json.dumps(words))
    ids = np.array([1, 2, 3, 4, 5])
    states, out = keras_states(m, ids)
    captions = []
    h, p = through_the_page(tmp_path / "lm.weights.h5", tmp_path / "vocab.json", mode="words",
                            text="w1 w2 w3 w4 w5", captions=captions)
    np.testing.assert_allclose(h, states[0], atol=TOL)
    np.testing.assert_allclose(p, out, atol=TOL)  # softmax of the logits is what the softmax Dense gives
    assert any("told apart by their names and shapes" in c for c in captions), captions
    np.save(tmp_path / "ids.npy", ids)
    code = cli.main(["trace", "--weights", str(tmp_path / "lm.keras"), "--tokens", str(tmp_path / "ids.npy"),
                     "--out", str(tmp_path / "o.npz")])
    assert code == 0, capsys.readouterr().err
    np.testing.assert_allclose(np.load(tmp_path / "o.npz")["h"][0], states[0], atol=TOL)


# ---- refused, by name and with the reason, before anything large is read --------------------------------------
def refused(path, match):
    with pytest.raises(ValueError, match=match):
        checkpoints.load(path)
    code = cli.main(["trace", "--weights", str(path), "--inputs", str(path), "--out", str(path.parent / "o.npz")])
    assert code == 2


@pytest.mark.parametrize("name", FORMATS)
def test_a_gru_with_reset_after_false_is_refused_by_name(tmp_path, name):
    m = keras.Sequential([keras.Input((None, 3)), layers.GRU(4, reset_after=False)])
    save_all(m, tmp_path)
    refused(tmp_path / name, "reset_after=False")


def test_layers_the_page_does_not_read_are_refused_by_name(tmp_path):
    m = keras.Sequential([keras.Input((None, 3)), layers.Conv1D(4, 2), layers.LSTM(4)])
    m.save(tmp_path / "conv.keras")
    refused(tmp_path / "conv.keras", "Conv1D")
    m = keras.Sequential([keras.Input((None, 3)), layers.LSTM(4, return_sequences=True), layers.GRU(4)])
    m.save(tmp_path / "mixed.keras")
    refused(tmp_path / "mixed.keras", "different kinds")
    m = keras.Sequential([keras.Input((None, 3)), layers.Bidirectional(layers.LSTM(4), merge_mode="sum")])
    m.save(tmp_path / "sum.keras")
    refused(tmp_path / "sum.keras", "merge_mode='concat'")
    m = keras.Sequential([keras.Input((None, 3)), layers.LSTM(4, activation="relu")])
    m.save(tmp_path / "relu.keras")
    refused(tmp_path / "relu.keras", "activation='relu'")


def test_a_tensorflow_1_checkpoint_says_how_to_export_it(tmp_path):
    for name in ("model.ckpt.index", "model.ckpt", "model.ckpt-100.data-00000-of-00001"):
        (tmp_path / name).write_bytes(b"\0" * 64)
        refused(tmp_path / name, r"model\.save\('model\.keras'\)")


def _weights_file(tmp_path):
    m = keras.Sequential([keras.Input((None, 3)), layers.LSTM(4)])
    m.save_weights(tmp_path / "m.weights.h5")
    return tmp_path / "m.weights.h5"


def test_malformed_h5_files_are_refused_before_anything_large_is_read(tmp_path, monkeypatch):
    path = _weights_file(tmp_path)
    with h5py.File(path, "a") as f:  # a wrong shape
        del f["layers/lstm/cell/vars/1"]
        f["layers/lstm/cell/vars/1"] = np.zeros((4, 12), "float32")
    refused(path, "shapes")
    path = _weights_file(tmp_path)
    with h5py.File(path, "a") as f:  # a missing variable
        del f["layers/lstm/cell/vars/0"]
    refused(path, "0 weights")
    path = _weights_file(tmp_path)
    with h5py.File(path, "a") as f:  # a link to another file
        del f["layers/lstm/cell/vars/0"]
        f["layers/lstm/cell/vars/0"] = h5py.ExternalLink("/etc/passwd.h5", "/x")
    refused(path, "link to another place or file")
    path = _weights_file(tmp_path)
    with h5py.File(path, "a") as f:  # a dataset stored in another file
        del f["layers/lstm/cell/vars/2"]
        f.create_dataset("layers/lstm/cell/vars/2", (16,), "float32", external=[(str(tmp_path / "ext.bin"), 0, 64)])
    (tmp_path / "ext.bin").write_bytes(b"\0" * 64)
    refused(path, "outside the file")
    path = _weights_file(tmp_path)
    with h5py.File(path, "a") as f:  # 10¹¹ numbers declared in a few KB, compressed
        del f["layers/lstm/cell/vars/0"]
        f.create_dataset("layers/lstm/cell/vars/0", (10**6, 10**5), "float32", chunks=(1000, 100),
                         compression="gzip")
    assert path.stat().st_size < 10**6
    read = []
    monkeypatch.setattr(h5py.Dataset, "__getitem__", lambda self, k: read.append(self.name))
    refused(path, "more than")
    assert not read  # refused from its declared shape, before any of it was read
    path = _weights_file(tmp_path)
    with h5py.File(path, "a") as f:  # whole numbers where weights should be
        del f["layers/lstm/cell/vars/2"]
        f["layers/lstm/cell/vars/2"] = np.zeros(16, "int64")
    monkeypatch.undo()
    refused(path, "not floating-point")
    (tmp_path / "junk.h5").write_bytes(b"not an hdf5 file" * 10)
    refused(tmp_path / "junk.h5", "not a readable")
