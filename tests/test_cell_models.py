"""Models built from cells (nn.RNNCell, nn.LSTMCell, nn.GRUCell run in the model's own loop), read as a recurrent
module: h at every step and the head's outputs against the model's own forward."""

import json

import numpy as np
import pytest
import torch
from torch import nn

import lstm_viz as lv
from lstm_viz import cli
from lstm_viz.models import checkpoints
from lstm_viz.teach import readout
from page_helpers import through_the_page

TOL = 1e-5


class Sequence(nn.Module):
    """pytorch/examples' time_sequence_prediction model: two stacked LSTMCells and a Linear, one step at a time."""

    def __init__(self, H=51):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, H)
        self.lstm2 = nn.LSTMCell(H, H)
        self.linear = nn.Linear(H, 1)

    def forward(self, x):  # x [T, 1] -> (h of both cells [2, T, H], outputs [T, 1])
        H = self.lstm1.hidden_size
        h1 = c1 = h2 = c2 = torch.zeros(1, H)
        hs1, hs2, ys = [], [], []
        for x_t in x:
            h1, c1 = self.lstm1(x_t[None], (h1, c1))
            h2, c2 = self.lstm2(h1, (h2, c2))
            hs1.append(h1[0])
            hs2.append(h2[0])
            ys.append(self.linear(h2)[0])
        return torch.stack([torch.stack(hs1), torch.stack(hs2)]), torch.stack(ys)


class Tagger(nn.Module):
    """An embedding, one cell and a Linear per step (a tagger written with a cell loop)."""

    def __init__(self, cell=nn.GRUCell, V=30, E=8, H=12, C=5):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.cell = cell(E, H)
        self.fc = nn.Linear(H, C)

    def forward(self, ids):
        h = c = torch.zeros(1, self.cell.hidden_size)
        hs = []
        for i in ids:
            if isinstance(self.cell, nn.LSTMCell):
                h, c = self.cell(self.embedding(i)[None], (h, c))
            else:
                h = self.cell(self.embedding(i)[None], h)
            hs.append(h[0])
        hs = torch.stack(hs)
        return hs[None], self.fc(hs)


def test_two_stacked_lstm_cells_read_as_one_two_layer_lstm(tmp_path):
    torch.manual_seed(0)
    net = Sequence()
    torch.save(net.state_dict(), tmp_path / "seq.pt")
    model = checkpoints.load(tmp_path / "seq.pt")
    assert type(model.rnn) is nn.LSTM and model.rnn.num_layers == 2 and model.found == ("linear",)
    assert model.notes == (("note_cells", {"names": "lstm1 → lstm2"}),)
    x = torch.randn(40, 1)
    h_ref, y_ref = net(x)
    trace = lv.trace(model.rnn, x.numpy())
    np.testing.assert_allclose(trace.h, h_ref.detach().numpy(), atol=TOL)
    y = readout.predictions(model, trace.h[-1])
    np.testing.assert_allclose(y, y_ref.detach().numpy(), atol=TOL)


@pytest.mark.parametrize("cell", [nn.GRUCell, nn.LSTMCell, nn.RNNCell])
def test_an_embedding_a_cell_and_a_head_in_a_checkpoint_dict(tmp_path, cell):
    torch.manual_seed(1)
    net = Tagger(cell)
    torch.save({"epoch": 3, "model_state_dict": net.state_dict()}, tmp_path / "tagger.pth")
    model = checkpoints.load(tmp_path / "tagger.pth")
    assert model.found == ("embedding", "fc") and model.rnn.num_layers == 1
    assert model.notes == (("note_cell", {"names": "cell"}),)
    ids = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    h_ref, logits = net(ids)
    trace = lv.trace(model.rnn, model.embedding[ids].numpy())
    np.testing.assert_allclose(trace.h, h_ref.detach().numpy(), atol=TOL)
    np.testing.assert_allclose(readout.predictions(model, trace.h[-1]), torch.softmax(logits, -1).detach().numpy(),
                               atol=TOL)


def test_the_command_line_reads_cells_and_says_what_it_assumed(tmp_path, capsys):
    torch.manual_seed(2)
    net = Tagger(nn.LSTMCell)
    torch.save(net.state_dict(), tmp_path / "t.pt")
    ids = torch.tensor([1, 2, 3, 4])
    np.save(tmp_path / "ids.npy", ids.numpy())
    code = cli.main(["trace", "--weights", str(tmp_path / "t.pt"), "--tokens", str(tmp_path / "ids.npy"),
                     "--out", str(tmp_path / "o.npz")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "assuming the model's code runs it once per step" in err
    h_ref, logits = net(ids)
    z = np.load(tmp_path / "o.npz")
    np.testing.assert_allclose(z["h"], h_ref.detach().numpy(), atol=TOL)
    np.testing.assert_allclose(z["logits"], logits.detach().numpy(), atol=TOL)


def test_cells_that_do_not_chain_are_separate_layers_to_choose_from(tmp_path):
    """An encoder cell and a decoder cell that both read the embedding: not one stack; the file asks which."""
    torch.manual_seed(3)
    sd = {"enc.weight_ih": torch.randn(48, 8), "enc.weight_hh": torch.randn(48, 12),
          "dec.weight_ih": torch.randn(48, 8), "dec.weight_hh": torch.randn(48, 12)}
    torch.save(sd, tmp_path / "s2s.pt")
    with pytest.raises(ValueError, match="several recurrent layers"):
        checkpoints.load(tmp_path / "s2s.pt")
    model = checkpoints.load(tmp_path / "s2s.pt", prefix="dec.")
    assert type(model.rnn) is nn.LSTM and model.rnn.num_layers == 1 and not model.rnn.bias
    assert torch.equal(model.rnn.weight_ih_l0, sd["dec.weight_ih"])


def test_a_cell_stack_of_two_kinds_is_not_one_module(tmp_path):
    sd = {"a.weight_ih": torch.randn(48, 8), "a.weight_hh": torch.randn(48, 12),
          "b.weight_ih": torch.randn(36, 12), "b.weight_hh": torch.randn(36, 12)}
    torch.save(sd, tmp_path / "mixed.pt")
    assert checkpoints.candidates(checkpoints.read_flat(tmp_path / "mixed.pt", "mixed.pt")) == ["a.", "b."]
    assert type(checkpoints.load(tmp_path / "mixed.pt", prefix="b.").rnn) is nn.GRU


def test_the_page_reads_a_cell_model_and_shows_its_note(tmp_path):
    torch.manual_seed(4)
    net = Tagger(nn.GRUCell)
    torch.save(net.state_dict(), tmp_path / "tagger.pt")
    words = [f"w{i}" for i in range(30)]
    (tmp_path / "vocab.json").write_text(json.dumps(words))
    captions = []
    h, p = through_the_page(tmp_path / "tagger.pt", tmp_path / "vocab.json", mode="words", text="w3 w1 w4 w1 w5",
                            captions=captions)
    h_ref, logits = net(torch.tensor([3, 1, 4, 1, 5]))
    np.testing.assert_allclose(h, h_ref[-1].detach().numpy(), atol=TOL)
    np.testing.assert_allclose(p, torch.softmax(logits, -1).detach().numpy(), atol=TOL)
    assert any("assuming the model's code runs it once per step" in c for c in captions), captions
