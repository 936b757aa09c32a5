"""Bidirectional RNN, LSTM and GRU against torch.nn's own modules and cells, autograd, the NumPy textbook
loop and float64 finite differences: every layer, both directions, every field."""

import numpy as np
import pytest
import torch
from torch import nn

import lstm_viz as lv
from engine_helpers import CASES, RTOL, flow_matches, head_loss, rel_err
from lstm_viz.engine import cells, gradients, onednn, textbook
from reference import bi_step_loop, finite_difference_norms, jacobian_norm_through, make_cells, norms

T, M, H = 11, 4, 5


def make_bi(cell, nonlin, layers, seed=0, dtype=torch.float32, scale=1.5):
    torch.manual_seed(seed)
    kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
    kw = {"nonlinearity": nonlin} if cell == "rnn" else {}
    mod = kind(M, H, layers, bidirectional=True, **kw).to(dtype)
    with torch.no_grad():
        for p in mod.parameters():
            p.mul_(scale)
    return mod, torch.randn(T, M, dtype=dtype)


def run_module(mod, k, d):
    """A one-layer, one-direction module holding layer k, direction d of ``mod``."""
    kind = type(mod)
    kw = {"nonlinearity": mod.nonlinearity} if kind is nn.RNN else {}
    m = kind(M if k == 0 else 2 * H, H, 1, bias=mod.bias, **kw).to(next(mod.parameters()).dtype)
    sfx = "_reverse" if d else ""
    m.load_state_dict({f"{n}_l0": getattr(mod, f"{n}_l{k}{sfx}").detach()
                       for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    return m


def clamps_for_run(clamps, k, d, steps):
    """The clamps as they apply to run (k, d) alone: its units renumbered from 0, steps in its own time."""
    out = []
    for cl in clamps:
        if cl.layers is not None and k not in cl.layers:
            continue
        units = None if cl.units is None else tuple(u - d * H for u in cl.units if d * H <= u < (d + 1) * H)
        if units == ():
            continue
        st = None if cl.steps is None else tuple(steps - 1 - s if d else s for s in cl.steps)
        out.append(lv.Clamp(cl.gate, cl.value, units, st, None))
    return out


def bi_textbook(mod, x, clamps=()):
    """Each layer's two directions by the NumPy textbook loop (the reverse one on the reversed input), their
    outputs side by side as the next layer's input; per layer, every field [T, 2H]."""
    inp, out = np.asarray(x, dtype=np.float64), []
    for k in range(mod.num_layers):
        parts = []
        for d in (0, 1):
            ref = textbook.run(run_module(mod, k, d), inp[::-1] if d else inp,
                               clamps_for_run(clamps, k, d, inp.shape[0]))[0]
            parts.append({key: v[::-1] if d else v for key, v in ref.items()})
        out.append({key: np.concatenate([parts[0][key], parts[1][key]], axis=1) for key in parts[0]})
        inp = out[-1]["h"]
    return out


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell,nonlin", CASES)
def test_bidirectional_trace_matches_torch_and_textbook(cell, nonlin, layers):
    mod, x = make_bi(cell, nonlin, layers)
    tr = lv.trace(mod, x)
    assert tr.directions == 2 and tr.h.shape == (layers, T, 2 * H) and tr.units_per_direction == H
    assert tr.direction_of(H - 1) == 0 and tr.direction_of(H) == 1
    out, hn = mod(x.unsqueeze(1))
    assert rel_err(tr.h[-1], out[:, 0].detach()) <= RTOL
    hn = hn[0] if cell == "lstm" else hn
    # h_n holds each run's final state: the forward direction's at T-1, the reverse one's at 0
    for k in range(layers):
        assert rel_err(tr.h[k, -1, :H], hn[2 * k, 0].detach()) <= RTOL
        assert rel_err(tr.h[k, 0, H:], hn[2 * k + 1, 0].detach()) <= RTOL
    ref = bi_textbook(mod, x.numpy())
    for k in range(layers):
        assert rel_err(tr.h[k], ref[k]["h"]) <= RTOL
        for g in tr.gates:
            assert rel_err(tr.gates[g][k], ref[k][g]) <= RTOL, g
        if cell == "lstm":
            assert rel_err(tr.c[k], ref[k]["c"]) <= RTOL
        if cell == "rnn":
            assert rel_err(tr.pre[k], ref[k]["pre"]) <= RTOL


def reference_bi_flow(mod, x, loss_fn):
    loop = bi_step_loop(mod, x)
    loss = loss_fn(loop["y"])
    loss.backward()
    runs = range(2 * mod.num_layers)
    lstm = isinstance(mod, nn.LSTM)
    return {"loss": loss.item(), "dh": np.stack([norms(loop["h"][r]) for r in runs]),
            "dc": np.stack([norms(loop["c"][r]) for r in runs]) if lstm else None,
            "dx": torch.linalg.vector_norm(loop["x"].grad, dim=1).numpy(),
            "dW": np.stack([norms(loop["W"][r]) for r in runs])}


def module_grad_norm(mod, x, loss_fn):
    mod.zero_grad(set_to_none=True)
    out, _ = mod(x.unsqueeze(1))
    loss_fn(out[:, 0]).backward()
    n = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in mod.parameters()])).item()
    mod.zero_grad(set_to_none=True)
    return n


@pytest.mark.parametrize("loss", ["probe", "head"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell,nonlin,workspace", [c + (True,) for c in CASES] + [("lstm", "tanh", False)])
def test_bidirectional_gradient_flow_matches_autograd_loop(cell, nonlin, layers, loss, workspace, monkeypatch):
    """workspace=False: the LSTM's second path (fused kernel, rebuilt gates, probe backward)."""
    monkeypatch.setattr(onednn, "ENABLED", workspace)
    used = []
    real = onednn.backward
    monkeypatch.setattr(onednn, "backward", lambda *a: used.append(1) or real(*a))
    mod, x = make_bi(cell, nonlin, layers, seed=2)
    fn = gradients.probe_loss if loss == "probe" else head_loss(2 * H)
    gf = lv.gradient_flow(mod, x, loss=loss if loss == "probe" else fn, clip=0.1)
    assert bool(used) == (workspace and cell == "lstm")  # the path named is the path taken
    assert gf.directions == 2 and gf.dL_dh.shape == (2 * layers, T)
    flow_matches(gf, reference_bi_flow(mod, x, fn), cell)
    assert gf.grad_norm == pytest.approx(module_grad_norm(mod, x, fn), rel=RTOL)
    assert gf.grad_norm_clipped == pytest.approx(0.1, rel=1e-5)


def jacobian_reference(mod, x, t, d):
    """Top layer, direction d: ‖∂h_end/∂h_t‖₂ with h_end the direction's last state (at T-1 forward, at 0
    reverse), by torch.autograd.functional.jacobian on a loop of torch's cells."""
    loop = bi_step_loop(mod, x)
    top = mod.num_layers - 1
    cell = make_cells(mod)[2 * top + d]
    lower = ([x[s:s + 1] for s in range(T)] if top == 0 else
             [torch.cat([loop["h"][2 * top - 2][s], loop["h"][2 * top - 1][s]], dim=1).detach() for s in range(T)])
    c_t = loop["c"][2 * top + d][t].detach() if isinstance(mod, nn.LSTM) else None
    later = range(t + 1, T) if d == 0 else range(t - 1, -1, -1)
    return jacobian_norm_through(cell, lower, later, loop["h"][2 * top + d][t].detach(), c_t)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell,nonlin", CASES)
def test_bidirectional_jacobians_and_cell_path(cell, nonlin, layers):
    mod, x = make_bi(cell, nonlin, layers, seed=11)
    gf = lv.gradient_flow(mod, x)
    assert gf.dhT_dht.shape == (2, T) and gf.dhT_dht[0, -1] == 1.0 and gf.dhT_dht[1, 0] == 1.0
    for t in (1, 5, 9):
        for d in (0, 1):
            assert gf.dhT_dht[d, t] == pytest.approx(jacobian_reference(mod, x, t, d), rel=1e-4), (t, d)
    if cell == "lstm":
        f = lv.trace(mod, x).gates["f"][-1].astype(np.float64)
        for t in (0, 4, 10):
            assert gf.cell_path[0, t] == pytest.approx(np.prod(f[t + 1:, :H], axis=0).mean(), rel=1e-6)
            assert gf.cell_path[1, t] == pytest.approx(np.prod(f[:t, H:], axis=0).mean(), rel=1e-6)


CLAMPS = [
    ("lstm", [lv.Clamp("f", 1.0, units=(1, H + 2))]),  # one unit of each direction
    ("lstm", [lv.Clamp("f", 0.0, steps=(3,), layers=(0,)), lv.Clamp("o", 1.0, units=(H, H + 1))]),
    ("gru", [lv.Clamp("z", 0.9, steps=(2, 3, 4))]),
    ("rnn", []),  # float64, no clamp: the trace alone against the textbook
]


@pytest.mark.parametrize("cell,clamps", CLAMPS)
def test_bidirectional_clamps_match_textbook_and_finite_differences(cell, clamps):
    mod, x = make_bi(cell, "tanh", 2, seed=23, dtype=torch.float64)
    tr = lv.trace(mod, x, clamps)
    ref = bi_textbook(mod, x.numpy(), clamps)
    for k in range(2):
        assert rel_err(tr.h[k], ref[k]["h"]) <= RTOL
        for g in tr.gates:
            assert rel_err(tr.gates[g][k], ref[k][g]) <= RTOL
    if not clamps:
        return
    gf = lv.gradient_flow(mod, x, clamps=clamps, jacobian=False)

    def L(xx):
        return bi_textbook(mod, xx, clamps)[-1]["h"][-1].sum()  # the probe loss on [h_fwd, h_rev] at T-1

    xn = x.numpy()
    assert rel_err(gf.dL_dx, finite_difference_norms(L, xn)) <= 1e-6
    assert gf.loss == pytest.approx(L(xn), rel=1e-9)


@pytest.mark.parametrize("cell,gate", [("lstm", "f"), ("gru", "z")])
def test_bidirectional_step_path_agrees_with_fused_path_in_every_field(cell, gate):
    """An empty clamp sends the gradient through the step-by-step path (its messages move down into both
    directions); every field must equal the fused path's."""
    mod, x = make_bi(cell, "tanh", 3, seed=24)
    a = lv.gradient_flow(mod, x)
    b = lv.gradient_flow(mod, x, clamps=[lv.Clamp(gate, 1.0, steps=())])
    for f in ("dL_dh", "dL_dc", "dL_dx", "dL_dW_hh", "dhT_dht", "cell_path"):
        if getattr(a, f) is not None:
            assert rel_err(getattr(b, f), getattr(a, f)) <= RTOL, f
    assert b.grad_norm == pytest.approx(a.grad_norm, rel=RTOL)


def test_bidirectional_refusals_and_helpers():
    mod, x = make_bi("gru", "tanh", 1)
    with pytest.raises(ValueError, match="truncated BPTT follows one direction"):
        lv.gradient_flow(mod, x, truncate=3)
    with pytest.raises(ValueError, match=f"unit {2 * H} is out of range 0..{2 * H - 1}"):
        lv.trace(mod, x, [lv.Clamp("z", 1.0, units=(2 * H,))])
    for cell, L in (("lstm", 2), ("gru", 3), ("rnn", 1)):
        built = lv.build_module(cell, M, H, L, seed=5, bidirectional=True)
        assert built.bidirectional
        assert cells.parameter_count(cell, M, H, L, directions=2) == sum(p.numel() for p in built.parameters())
        twin = cells.copy_module(built)
        assert twin.bidirectional and all(torch.equal(a, b) for a, b in zip(twin.parameters(), built.parameters()))
    tr = lv.trace(mod, x)
    again = __import__("pickle").loads(__import__("pickle").dumps(tr))
    assert again.directions == 2 and not again.h.flags.writeable
