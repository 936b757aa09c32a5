"""The float32 LSTM path that reads gates, cell states and recurrent gradients from oneDNN's workspace.

It is checked against nn.LSTM itself, against autograd through nn.LSTM, and against the rebuild path
(the kernel's hidden states plus our own gates, scans and probe backward), which test_engine.py checks
against an nn.LSTMCell loop. A workspace that is not laid out as expected must be detected and fall back.
"""

import pytest
import torch
from torch import nn

import lstm_viz as lv
from engine_helpers import head_loss, make, reference_flow, rel_err
from lstm_viz.engine import onednn

RTOL = 1e-5


def spy(monkeypatch) -> list:
    """Record (function, returned something) for every onednn.forward / onednn.backward call."""
    calls = []
    for name in ("forward", "backward"):
        real = getattr(onednn, name)

        def wrapped(*args, _real=real, _name=name):
            out = _real(*args)
            calls.append((_name, out is not None))
            return out
        monkeypatch.setattr(onednn, name, wrapped)
    return calls


def both_paths(mod, x, loss, monkeypatch):
    """(trace, flow) on the workspace path and on the rebuild path, and the workspace path's calls."""
    calls = spy(monkeypatch)
    fast = lv.trace(mod, x), lv.gradient_flow(mod, x, loss=loss, clip=0.5, jacobian=False)
    monkeypatch.setattr(onednn, "ENABLED", False)
    slow = lv.trace(mod, x), lv.gradient_flow(mod, x, loss=loss, clip=0.5, jacobian=False)
    monkeypatch.setattr(onednn, "ENABLED", True)
    return fast, slow, calls


def squares(y):
    return y.pow(2).mean()


# sizes chosen to cross the layout's padding rules: 4H a multiple of 256 (H = 64), H not a multiple of 16,
# more inputs than units, one step, no biases, and more steps than one elementwise block holds
SIZES = [(1, 3, 4, 1, True), (11, 4, 6, 2, True), (40, 200, 33, 1, True), (300, 64, 64, 2, False),
         (2 * onednn.CHUNK // 64 + 5, 64, 64, 1, True), (25, 5, 128, 1, True)]


@pytest.mark.parametrize("T,m,H,layers,bias", SIZES)
def test_workspace_path_is_used_and_matches_torch_and_rebuild(T, m, H, layers, bias, monkeypatch):
    torch.manual_seed(T + H)
    mod = nn.LSTM(m, H, layers, bias=bias)
    x = torch.randn(T, m)
    (tr, gf), (tr0, gf0), calls = both_paths(mod, x, squares, monkeypatch)
    assert calls and all(ok for _, ok in calls)
    assert {name for name, _ in calls} == {"forward", "backward"}

    out, (hn, cn) = mod(x.unsqueeze(1))
    assert rel_err(tr.h[-1], out.squeeze(1).detach()) <= RTOL
    assert rel_err(tr.c[:, -1], cn.squeeze(1).detach()) <= RTOL
    for g in "ifgo":
        assert rel_err(tr.gates[g], tr0.gates[g]) <= RTOL
    assert rel_err(tr.c, tr0.c) <= RTOL

    xx = x.clone().requires_grad_()
    squares(mod(xx.unsqueeze(1))[0].squeeze(1)).backward()
    assert rel_err(gf.dL_dx, torch.linalg.vector_norm(xx.grad, dim=1).numpy()) <= RTOL
    grads = torch.stack([p.grad.norm() for p in mod.parameters()])
    assert gf.grad_norm == pytest.approx(torch.linalg.vector_norm(grads).item(), rel=RTOL)
    mod.zero_grad()
    for field in ("dL_dh", "dL_dc", "dL_dx", "dL_dW_hh", "cell_path"):
        assert rel_err(getattr(gf, field), getattr(gf0, field)) <= RTOL, field
    assert gf.loss == pytest.approx(gf0.loss, rel=RTOL)
    assert gf.grad_norm_clipped == pytest.approx(gf0.grad_norm_clipped, rel=RTOL)


@pytest.mark.parametrize("layers", [1, 2])
def test_workspace_path_matches_autograd_cell_loop(layers, monkeypatch):
    mod, x = make("lstm", "tanh", layers, seed=21)
    calls = spy(monkeypatch)
    fn = head_loss(6, seed=22)
    gf = lv.gradient_flow(mod, x, loss=fn, jacobian=False)
    assert calls and all(ok for _, ok in calls)
    ref = reference_flow(mod, x, fn)
    for field, key in (("dL_dh", "dh"), ("dL_dc", "dc"), ("dL_dx", "dx"), ("dL_dW_hh", "dW")):
        assert rel_err(getattr(gf, field), ref[key]) <= RTOL, field


@pytest.mark.parametrize("region", ["gates", "cell", "diff_h", "diff_c", "gates_ld", "states_ld"])
def test_a_misread_workspace_falls_back_to_the_rebuild_path(region, monkeypatch):
    """Whatever part of the layout is wrong, the checks notice and the numbers stay right."""
    mod, x = make("lstm", "tanh", 2, seed=23)
    x = torch.cat([x] * 20)  # 220 steps: enough rows for every region to be read at a wrong place
    monkeypatch.setattr(onednn, "ENABLED", False)
    tr0, gf0 = lv.trace(mod, x), lv.gradient_flow(mod, x, loss=squares, jacobian=False)
    monkeypatch.setattr(onednn, "ENABLED", True)
    real = onednn.layout

    def wrong(T, m, H):
        lay = real(T, m, H)
        shift = {"gates_ld": 16, "states_ld": 16}.get(region, H)
        return onednn.Layout(**{**lay.__dict__, region: getattr(lay, region) + shift})
    monkeypatch.setattr(onednn, "layout", wrong)
    calls = spy(monkeypatch)
    tr, gf = lv.trace(mod, x), lv.gradient_flow(mod, x, loss=squares, jacobian=False)
    assert any(not ok for _, ok in calls)  # the misread was caught
    assert rel_err(tr.h, tr0.h) <= RTOL and rel_err(tr.c, tr0.c) <= RTOL
    for field in ("dL_dh", "dL_dc", "dL_dx", "dL_dW_hh"):
        assert rel_err(getattr(gf, field), getattr(gf0, field)) <= RTOL, field


@pytest.mark.parametrize("layer", [0, 1])
@pytest.mark.parametrize("region", ["gates", "cell", "diff_h", "diff_c"])
def test_one_misread_layer_leaves_no_trace_in_any_field(layer, region, monkeypatch):
    """Only one layer's layout is wrong: the path is all-or-nothing, so every field, the parameter-gradient norm
    and its clipped value included, is what the rebuild path gives (once, the bottom layer's parameter gradients
    were stored before its read failed, and the fallback added its own: grad_norm came out doubled)."""
    mod, x = make("lstm", "tanh", 2, seed=29, m=5, H=7)
    x = torch.cat([x] * 20)
    monkeypatch.setattr(onednn, "ENABLED", False)
    gf0 = lv.gradient_flow(mod, x, loss=squares, clip=0.5, jacobian=False)
    monkeypatch.setattr(onednn, "ENABLED", True)
    real = onednn.layout
    target = 5 if layer == 0 else 7  # the layer's input size tells the two layers' layouts apart

    def wrong(T, m, H):
        lay = real(T, m, H)
        return lay if m != target else onednn.Layout(**{**lay.__dict__, region: getattr(lay, region) + H})
    monkeypatch.setattr(onednn, "layout", wrong)
    calls = spy(monkeypatch)
    gf = lv.gradient_flow(mod, x, loss=squares, clip=0.5, jacobian=False)
    assert any(not ok for _, ok in calls)  # the misread was caught
    for field in ("dL_dh", "dL_dc", "dL_dx", "dL_dW_hh", "cell_path"):
        assert rel_err(getattr(gf, field), getattr(gf0, field)) <= RTOL, field
    assert gf.grad_norm == pytest.approx(gf0.grad_norm, rel=RTOL)
    assert gf.grad_norm_clipped == pytest.approx(gf0.grad_norm_clipped, rel=RTOL)
    assert gf.loss == pytest.approx(gf0.loss, rel=RTOL)


def test_other_cells_and_float64_do_not_use_the_workspace(monkeypatch):
    calls = spy(monkeypatch)
    for cell in ("gru", "rnn"):
        mod, x = make(cell, "tanh", 1)
        lv.gradient_flow(mod, x)
    mod, x = make("lstm", "tanh", 1, dtype=torch.float64)
    lv.gradient_flow(mod, x)
    assert calls == []
