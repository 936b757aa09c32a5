"""Bad input to the Python API: a clear ValueError, nothing computed, nothing changed."""

import numpy as np
import pytest
import torch
from torch import nn

import lstm_viz as lv


@pytest.fixture
def lstm():
    return lv.build_module("lstm", 3, 4, 1)


@pytest.mark.parametrize("inputs,msg", [
    (np.zeros((0, 3)), "empty"),
    (np.zeros((5, 2)), "input_size=3"),
    (np.zeros(5), r"shape \[T, input_size\]"),
    (np.zeros((2, 5, 3)), r"shape \[T, input_size\]"),
    (np.array([[0, 1, np.nan]]), "NaN or inf"),
    (torch.tensor([[0.0, np.inf, 1.0]]), "NaN or inf"),
    (np.zeros((lv.MAX_STEPS + 1, 3)), f"limit is {lv.MAX_STEPS}"),
    (np.array([["a", "b", "c"]]), "numeric"),
    ([[1, 2], [3]], "numeric|not a numeric"),
])
def test_bad_inputs(lstm, inputs, msg):
    for fn in (lv.trace, lv.gradient_flow):
        with pytest.raises(ValueError, match=msg):
            fn(lstm, inputs)


def test_bad_modules_and_options(lstm):
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="proj_size"):
        lv.trace(nn.LSTM(3, 4, proj_size=2), x)
    with pytest.raises(ValueError, match="RNN, LSTM or GRU"):
        lv.trace(nn.Linear(3, 4), x)
    bad = lv.build_module("gru", 3, 4, 1)
    with torch.no_grad():
        bad.weight_hh_l0[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        lv.trace(bad, x)
    for k in (0, -2, 1.5, True, "3"):
        with pytest.raises(ValueError, match="truncate"):
            lv.gradient_flow(lstm, x, truncate=k)
    for c in (0, -1, float("inf"), "1"):
        with pytest.raises(ValueError, match="clip"):
            lv.gradient_flow(lstm, x, clip=c)
    with pytest.raises(ValueError, match="unknown loss"):
        lv.gradient_flow(lstm, x, loss="mse")
    with pytest.raises(ValueError, match="scalar"):
        lv.gradient_flow(lstm, x, loss=lambda y: y)
    with pytest.raises(ValueError, match="NaN or inf"):
        lv.gradient_flow(lstm, x, loss=lambda y: y.sum() * float("nan"))
    with pytest.raises(ValueError, match="T·min"):
        lv.gradient_flow(lstm, np.zeros((lv.MAX_STEPS, 3)), truncate=lv.MAX_STEPS)


def test_relu_rnn_and_no_bias_work():
    m = nn.RNN(3, 4, 2, nonlinearity="relu", bias=False)
    tr = lv.trace(m, np.ones((5, 3)))
    assert tr.nonlinearity == "relu" and (tr.h >= 0).all()
    gf = lv.gradient_flow(m, np.ones((5, 3)), truncate=2)
    assert gf.dL_dh.shape == (2, 5)
