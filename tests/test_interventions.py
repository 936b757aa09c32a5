"""Clamped gates against the independent NumPy textbook loop and float64 finite differences."""

import numpy as np
import pytest
import torch

import lstm_viz as lv
from engine_helpers import RTOL, make, rel_err
from lstm_viz.engine import textbook
from reference import finite_difference_norms


@pytest.mark.parametrize("cell,clamps", [
    ("lstm", [lv.Clamp("f", 1.0)]),  # the 1997 LSTM: no forget gate
    ("lstm", [lv.Clamp("f", 0.0, steps=(5,))]),  # erase the memory at step 5
    ("lstm", [lv.Clamp("i", 0.0, units=(0, 2), layers=(1,)), lv.Clamp("o", 1.0, steps=(1, 2))]),
    ("gru", [lv.Clamp("z", 1.0)]),  # freeze the state
    ("gru", [lv.Clamp("r", 0.0, units=(1,)), lv.Clamp("n", -0.5, steps=(3,))]),
])
def test_clamped_trace_matches_textbook(cell, clamps):
    mod, x = make(cell, "tanh", 2, seed=20)
    tr, gf = lv.intervene(mod, x, clamps)
    ref = textbook.run(mod, x.numpy(), clamps)
    for k in range(2):
        assert rel_err(tr.h[k], ref[k]["h"]) <= RTOL
        for g in tr.gates:
            assert rel_err(tr.gates[g][k], ref[k][g]) <= RTOL
    assert tr.clamps == tuple(clamps) and gf.clamps == tuple(clamps)


def test_clamp_effects_are_what_the_lesson_says():
    mod, x = make("gru", "tanh", 1, seed=21)
    assert np.all(lv.trace(mod, x, [lv.Clamp("z", 1.0)]).h == 0)  # z = 1 keeps h_0 = 0 forever
    lstm, x = make("lstm", "tanh", 1, seed=22)
    tr = lv.trace(lstm, x, [lv.Clamp("f", 0.0, steps=(5,))])
    assert np.allclose(tr.c[0, 5], tr.gates["i"][0, 5] * tr.gates["g"][0, 5], rtol=1e-6)
    tr1 = lv.trace(lstm, x, [lv.Clamp("f", 1.0)])
    assert np.allclose(np.diff(tr1.c[0], axis=0), (tr1.gates["i"][0] * tr1.gates["g"][0])[1:], atol=1e-6)
    gf = lv.gradient_flow(lstm, x, clamps=[lv.Clamp("f", 1.0)])
    assert np.allclose(gf.cell_path, 1.0)


@pytest.mark.parametrize("cell,clamps", [
    ("lstm", [lv.Clamp("f", 1.0, units=(1, 3))]),
    ("gru", [lv.Clamp("z", 0.9, steps=(2, 3, 4))]),
])
def test_clamped_gradient_matches_finite_difference_of_textbook(cell, clamps):
    mod, x = make(cell, "tanh", 2, seed=23, dtype=torch.float64)
    gf = lv.gradient_flow(mod, x, clamps=clamps, jacobian=False)

    def L(xx):
        return textbook.run(mod, xx, clamps)[-1]["h"][-1].sum()  # the probe loss

    xn = x.numpy()
    assert rel_err(gf.dL_dx, finite_difference_norms(L, xn)) <= 1e-6
    assert gf.loss == pytest.approx(L(xn), rel=1e-9)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_empty_clamp_takes_step_path_and_agrees_with_fused_path(cell):
    gate = "f" if cell == "lstm" else "z"
    mod, x = make(cell, "tanh", 2, seed=24)
    a = lv.gradient_flow(mod, x)
    b = lv.gradient_flow(mod, x, clamps=[lv.Clamp(gate, 1.0, steps=())])
    for f in ("dL_dh", "dL_dx", "dL_dW_hh", "dhT_dht"):
        assert rel_err(getattr(b, f), getattr(a, f)) <= RTOL, f
    assert b.grad_norm == pytest.approx(a.grad_norm, rel=RTOL)


@pytest.mark.parametrize("clamp,msg", [
    (lv.Clamp("f", 1.0), "has no gate 'f'"),
    (lv.Clamp("z", 1.5), "values in [0, 1]"),
    (lv.Clamp("n", float("nan")), "values in [-1, 1]"),
    (lv.Clamp("z", 1.0, units=(99,)), "unit 99 is out of range"),
    (lv.Clamp("z", 1.0, steps=(-1,)), "step -1 is out of range"),
])
def test_bad_clamps_are_refused(clamp, msg):
    mod, x = make("gru", "tanh", 1)
    with pytest.raises(ValueError, match=msg.replace("[", r"\[").replace("]", r"\]")):
        lv.trace(mod, x, [clamp])
    with pytest.raises(ValueError, match="at least one"):
        lv.intervene(mod, x, [])
