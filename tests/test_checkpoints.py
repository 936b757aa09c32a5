"""Checkpoints in the layouts real projects save, read as saved: h and logits against the model's own forward."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.models import checkpoints, files
from lstm_viz.models.model import Model
from lstm_viz.teach import readout
from page_helpers import through_the_page

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-5


class WordLM(nn.Module):
    """The layout of a word-level language model: encoder (embedding) -> rnn -> decoder, weights tied."""

    def __init__(self, V=40, H=16, layers=2, cell=nn.LSTM):
        super().__init__()
        self.encoder = nn.Embedding(V, H)
        self.rnn = cell(H, H, layers)
        self.decoder = nn.Linear(H, V)
        self.decoder.weight = self.encoder.weight

    def forward(self, ids):
        out, _ = self.rnn(self.encoder(ids)[:, None])
        return out[:, 0], self.decoder(out[:, 0])


class NameClassifier(nn.Module):
    """The layout of a character-level classifier: rnn over one-hot letters -> h2o on the last step."""

    def __init__(self, letters=57, H=32, classes=18):
        super().__init__()
        self.rnn = nn.RNN(letters, H)
        self.h2o = nn.Linear(H, classes)

    def forward(self, x):
        out, _ = self.rnn(x[:, None])
        return out[:, 0], self.h2o(out[:, 0])


class Wrapper(nn.Module):
    """A wrapper with self.lstm and self.fc (batch_first: not part of the state_dict)."""

    def __init__(self, m=6, H=12, C=3):
        super().__init__()
        self.lstm = nn.LSTM(m, H, 1, batch_first=True)
        self.fc = nn.Linear(H, C)

    def forward(self, x):
        out, _ = self.lstm(x[None])
        return out[0], self.fc(out[0])


def run_cli(*args):
    p = subprocess.run([sys.executable, "-m", "lstm_viz", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    return p.returncode, p.stdout, p.stderr


def check(out: Path, h_ref: torch.Tensor, logits_ref: torch.Tensor):
    z = np.load(out)
    np.testing.assert_allclose(z["h"][-1], h_ref.detach().numpy(), atol=TOL)
    np.testing.assert_allclose(z["logits"], logits_ref.detach().numpy(), atol=TOL)


def test_word_language_model_with_tied_weights_and_its_vocabulary(tmp_path):
    torch.manual_seed(0)
    lm = WordLM()
    torch.save(lm.state_dict(), tmp_path / "model.pt")
    vocab = ["<unk>", "the", "cat", "sat", "on", "mat", "."] + [f"w{i}" for i in range(33)]
    (tmp_path / "vocab.json").write_text(json.dumps({w: i for i, w in enumerate(vocab)}))
    loaded = checkpoints.load(tmp_path / "model.pt")
    assert loaded.prefix == "rnn." and loaded.found == ("encoder", "decoder")
    ids = torch.tensor([1, 2, 3, 4, 1, 5, 6])
    h, logits = lm(ids)
    code, _, err = run_cli("trace", "--weights", tmp_path / "model.pt", "--text", "the cat sat on the mat .",
                           "--vocab", tmp_path / "vocab.json", "--mode", "words", "--out", tmp_path / "o.npz")
    assert code == 0, err
    check(tmp_path / "o.npz", h, logits)
    np.save(tmp_path / "ids.npy", ids.numpy())
    code, _, err = run_cli("trace", "--weights", tmp_path / "model.pt", "--tokens", tmp_path / "ids.npy",
                           "--out", tmp_path / "t.npz")
    assert code == 0, err
    check(tmp_path / "t.npz", h, logits)
    # the page's path: the vocabulary maps typed words to the model's own ids, unknown words to <unk>
    b = Model(loaded.rnn, loaded.head, None, tuple(vocab), "words", loaded.embedding, tuple(vocab),
                        own_vocab=True)
    enc = b.encode("The cat sat on a mat .")
    assert list(enc.ids) == [1, 2, 3, 4, 0, 5, 6] and list(enc.unknown) == [False] * 4 + [True, False, False]


def test_char_classifier_in_a_dataparallel_checkpoint_dict_as_pth(tmp_path):
    torch.manual_seed(1)
    net = NameClassifier()
    all_letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;'"
    torch.save({"epoch": 7, "loss": 0.3, "model_state_dict": {"module." + k: v for k, v in net.state_dict().items()},
                "optimizer_state_dict": torch.optim.SGD(net.parameters(), lr=0.1).state_dict()},
               tmp_path / "checkpoint.pth")
    (tmp_path / "letters.txt").write_text(all_letters)
    ids = [all_letters.index(c) for c in "Schmidt"]
    x = torch.zeros(len(ids), len(all_letters))
    x[range(len(ids)), ids] = 1
    h, logits = net(x)
    code, _, err = run_cli("trace", "--weights", tmp_path / "checkpoint.pth", "--text", "Schmidt",
                           "--vocab", tmp_path / "letters.txt", "--out", tmp_path / "o.npz")
    assert code == 0, err
    check(tmp_path / "o.npz", h, logits)


def test_wrapper_with_lstm_and_fc_as_safetensors_and_bare_features(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(2)
    net = Wrapper()
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "w.safetensors"))
    x = torch.randn(9, 6)
    h, logits = net(x)
    np.save(tmp_path / "x.npy", x.numpy())
    code, _, err = run_cli("trace", "--weights", tmp_path / "w.safetensors", "--inputs", tmp_path / "x.npy",
                           "--out", tmp_path / "o.npz")
    assert code == 0, err
    check(tmp_path / "o.npz", h, logits)


def test_min_char_rnn_arrays_in_an_npz(tmp_path):
    rng = np.random.default_rng(3)
    V, H = 20, 10
    arrays = {"Wxh": rng.normal(0, 0.3, (H, V)), "Whh": rng.normal(0, 0.3, (H, H)), "Why": rng.normal(0, 0.3, (V, H)),
              "bh": rng.normal(0, 0.1, (H, 1)), "by": rng.normal(0, 0.1, (V, 1))}
    np.savez(tmp_path / "char.npz", **{k: v.astype(np.float32) for k, v in arrays.items()})
    ids = [3, 1, 4, 1, 5]
    h, hs, ys = np.zeros(H), [], []
    for i in ids:  # min-char-rnn's own forward: h = tanh(Wxh x + Whh h + bh), y = Why h + by
        x = np.zeros(V)
        x[i] = 1
        h = np.tanh(arrays["Wxh"] @ x + arrays["Whh"] @ h + arrays["bh"][:, 0])
        hs.append(h)
        ys.append(arrays["Why"] @ h + arrays["by"][:, 0])
    np.save(tmp_path / "ids.npy", np.array(ids))
    code, _, err = run_cli("trace", "--weights", tmp_path / "char.npz", "--tokens", tmp_path / "ids.npy",
                           "--out", tmp_path / "o.npz")
    assert code == 0, err
    z = np.load(tmp_path / "o.npz")
    np.testing.assert_allclose(z["h"][-1], np.array(hs), atol=TOL)
    np.testing.assert_allclose(z["logits"], np.array(ys), atol=TOL)


def test_several_recurrent_layers_ask_for_a_prefix(tmp_path):
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.GRU(4, 8)
            self.dec = nn.LSTM(8, 8)
    torch.save(Two().state_dict(), tmp_path / "two.pt")
    with pytest.raises(ValueError, match="several recurrent layers: choose one of 'dec.', 'enc.'"):
        checkpoints.load(tmp_path / "two.pt")
    assert type(checkpoints.load(tmp_path / "two.pt", prefix="enc.").rnn) is nn.GRU
    np.save(tmp_path / "x.npy", np.zeros((3, 8), np.float32))
    code, _, err = run_cli("trace", "--weights", tmp_path / "two.pt", "--prefix", "dec.", "--inputs",
                           tmp_path / "x.npy", "--out", tmp_path / "o.npz")
    assert code == 0, err


def test_files_that_would_cost_the_server_are_refused_before_reading(tmp_path):
    import zipfile

    # a small .pt that inflates far past the cap: refused from the archive's directory, never inflated
    with zipfile.ZipFile(tmp_path / "bomb.pt", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data/0", b"\0" * (400 * 2**20))
    assert (tmp_path / "bomb.pt").stat().st_size < 2 * 2**20
    with pytest.raises(ValueError, match="would unpack to"):
        files.read_file(tmp_path / "bomb.pt")
    # a pickle that is not a torch zip archive: refused without unpickling anything
    import pickle

    (tmp_path / "list.pt").write_bytes(pickle.dumps(list(range(1000))))
    with pytest.raises(ValueError, match="not a torch archive"):
        files.read_file(tmp_path / "list.pt")
    # a safetensors header announcing more numbers than the cap
    header = json.dumps({"w": {"dtype": "F32", "shape": [100_000, 1000], "data_offsets": [0, 4]}}).encode()
    (tmp_path / "big.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    with pytest.raises(ValueError, match="holds more than 40,000,000 numbers"):
        files.read_file(tmp_path / "big.safetensors")


@pytest.mark.parametrize("data,expected", [
    (b'["a", "b"]', ("a", "b")), (b'{"b": 1, "a": 0}', ("a", "b")), (b"x\ny\n", ("x", "y")),
    (b"abc", ("a", "b", "c"))])
def test_vocabulary_files(data, expected):
    assert files.read_vocab(data) == expected


def test_bad_vocabulary_files():
    for data, msg in ((b'{"a": 0, "b": 2}', "indices"), (b"[1, 2]", "expected a list"), (b"\xff\xfe", "UTF-8"),
                      (b"[oops", "does not parse")):
        with pytest.raises(ValueError, match=msg):
            files.read_vocab(data)


def test_an_uploaded_language_model_has_its_own_loss_next_token_cross_entropy():
    torch.manual_seed(4)
    lm = WordLM(V=9, H=8, layers=1)
    vocab = ("<unk>", "the", "cat", "sat", "on", "mat", "dog", "ran", ".")
    loaded = checkpoints.from_state_dict(checkpoints.flatten(lm.state_dict()))
    b = Model(loaded.rnn, loaded.head, None, vocab, "words", loaded.embedding, vocab, own_vocab=True)
    enc = b.encode("the cat sat on the mat")
    fn, desc = readout.loss_for(b, enc)
    assert "next token" in desc["en"]
    import lstm_viz as lv

    gf = lv.gradient_flow(b.rnn, enc.x, loss=fn, jacobian=False)
    ids = torch.tensor([1, 2, 3, 4, 1, 5])
    _, logits = lm(ids)
    ref = torch.nn.functional.cross_entropy(logits[:-1], ids[1:])
    assert gf.loss == pytest.approx(ref.item(), rel=1e-5)  # the model's own next-token loss


@pytest.mark.parametrize("module,msg", [(nn.LSTM(3, 4, proj_size=2), "proj_size > 0 are not supported: their h_t"),
                                        (nn.GRU(3, 4, 5), "at most 3 layers are supported (5 in this model)")])
def test_what_is_refused_says_why(tmp_path, module, msg):
    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = module
    torch.save({"model": Wrap().state_dict()}, tmp_path / "m.pt")
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        checkpoints.load(tmp_path / "m.pt")


class BiTagger(nn.Module):
    """The course material's BiLSTM tagger: embedding -> 2-layer bidirectional LSTM -> fc on [h_fwd, h_rev]."""

    def __init__(self, V=30, E=8, H=10, C=5, cell=nn.LSTM):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.lstm = cell(E, H, 2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * H, C)

    def forward(self, ids):
        out, _ = self.lstm(self.embedding(ids)[None])
        return out[0], self.fc(out[0])


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU])
def test_bidirectional_tagger_reads_as_saved_both_directions_in_h(tmp_path, cell):
    torch.manual_seed(4)
    net = BiTagger(cell=cell)
    torch.save({"state_dict": net.state_dict(), "epoch": 3}, tmp_path / "bi.pth")
    loaded = checkpoints.load(tmp_path / "bi.pth")
    assert loaded.rnn.bidirectional and loaded.found == ("embedding", "fc") and loaded.head.in_features == 20
    ids = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    h, logits = net(ids)
    np.save(tmp_path / "ids.npy", ids.numpy())
    code, out, err = run_cli("trace", "--weights", tmp_path / "bi.pth", "--tokens", tmp_path / "ids.npy",
                             "--out", tmp_path / "o.npz")
    assert code == 0, err
    assert "bidirectional" in out
    check(tmp_path / "o.npz", h, logits)
    z = np.load(tmp_path / "o.npz")
    # the documented layout: h [layers, T, 2H], units 0..H-1 forward, H..2H-1 reverse; runs in h_n order
    assert z["h"].shape == (2, 8, 20) and int(z["directions"]) == 2 and z["dL_dh"].shape == (4, 8)
    _, hn = net.lstm(net.embedding(ids)[None])
    hn = hn[0] if cell is nn.LSTM else hn
    np.testing.assert_allclose(z["h"][0, -1, :10], hn[0, 0].detach().numpy(), atol=TOL)
    np.testing.assert_allclose(z["h"][0, 0, 10:], hn[1, 0].detach().numpy(), atol=TOL)


def _page_matches(h_page, p_page, h_ref, logits_ref):
    np.testing.assert_allclose(h_page, h_ref.detach().numpy(), atol=TOL)
    np.testing.assert_allclose(p_page, torch.softmax(logits_ref, -1).detach().numpy(), atol=TOL)


def test_every_layout_loads_as_savedthrough_the_page(tmp_path):
    """The page reads each layout as saved: the word LM with its vocabulary, the DataParallel classifier with its
    letters, the lstm/fc wrapper with features from an .npy, and the bidirectional tagger with its vocabulary."""
    torch.manual_seed(0)
    lm = WordLM()
    torch.save(lm.state_dict(), tmp_path / "model.pt")
    words = ["<unk>", "the", "cat", "sat", "on", "mat", "."] + [f"w{i}" for i in range(33)]
    (tmp_path / "vocab.json").write_text(json.dumps(words))
    _page_matches(*through_the_page(tmp_path / "model.pt", tmp_path / "vocab.json", mode="words",
                                     text="the cat sat on the mat ."), *lm(torch.tensor([1, 2, 3, 4, 1, 5, 6])))

    net = NameClassifier()
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;'"
    torch.save({"model_state_dict": {"module." + k: v for k, v in net.state_dict().items()}, "epoch": 2},
               tmp_path / "checkpoint.pth")
    (tmp_path / "letters.txt").write_text(letters)
    x = torch.zeros(7, len(letters))
    x[range(7), [letters.index(c) for c in "Schmidt"]] = 1
    _page_matches(*through_the_page(tmp_path / "checkpoint.pth", tmp_path / "letters.txt", text="Schmidt"), *net(x))

    from safetensors.torch import save_file

    wrap = Wrapper()
    save_file({k: v.contiguous() for k, v in wrap.state_dict().items()}, str(tmp_path / "w.safetensors"))
    feats = torch.randn(9, 6)
    np.save(tmp_path / "x.npy", feats.numpy())
    _page_matches(*through_the_page(tmp_path / "w.safetensors", features=tmp_path / "x.npy"), *wrap(feats))

    bi = BiTagger()
    torch.save(bi.state_dict(), tmp_path / "bi.pt")
    tags = [f"t{i}" for i in range(30)]
    (tmp_path / "tags.txt").write_text("\n".join(tags) + "\n")
    _page_matches(*through_the_page(tmp_path / "bi.pt", tmp_path / "tags.txt", mode="words", text="t3 t1 t4 t1 t5"),
                  *bi(torch.tensor([3, 1, 4, 1, 5])))
