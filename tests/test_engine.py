"""The engine against references nobody here wrote: torch.nn modules, nn.*Cell loops with autograd,
float64 finite differences, and an independent NumPy implementation of the textbook equations."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import lstm_viz as lv
from engine_helpers import CASES, RTOL, flow_matches, head_loss, make, reference_flow, rel_err
from lstm_viz.engine import cells, gradients, jacobians, onednn, textbook
from lstm_viz.engine.run import run_layers
from lstm_viz.notation import GATE_ORDER
from reference import jacobian_norm_through, norms, step_loop


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell,nonlin", CASES)
def test_trace_matches_torch_modules(cell, nonlin, layers):  # noqa: D103
    mod, x = make(cell, nonlin, layers)
    tr = lv.trace(mod, x)
    out, hn = mod(x.unsqueeze(1))
    assert tr.h.shape == (layers, 11, 6)
    assert rel_err(tr.h[-1], out.squeeze(1).detach()) <= RTOL
    if cell == "lstm":
        hn, cn = hn
        assert rel_err(tr.c[:, -1], cn.squeeze(1).detach()) <= RTOL
    else:
        assert tr.c is None
    assert rel_err(tr.h[:, -1], hn.squeeze(1).detach()) <= RTOL
    # every layer and step against a loop of torch's own cells
    ref = step_loop(mod, x)
    for k in range(layers):
        assert rel_err(tr.h[k], torch.cat(ref["h"][k]).detach()) <= RTOL
        if cell == "lstm":
            assert rel_err(tr.c[k], torch.cat(ref["c"][k]).detach()) <= RTOL
    assert set(tr.gates) == set({"lstm": "ifgo", "gru": "rzn", "rnn": ""}[cell])
    assert (tr.pre is not None) == (cell == "rnn")


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell,nonlin", CASES)
def test_gates_match_textbook_numpy(cell, nonlin, layers):
    mod, x = make(cell, nonlin, layers, seed=1)
    tr = lv.trace(mod, x)
    ref = textbook.run(mod, x.numpy())
    for k in range(layers):
        for g in tr.gates:
            assert rel_err(tr.gates[g][k], ref[k][g]) <= RTOL, g
        assert rel_err(tr.h[k], ref[k]["h"]) <= RTOL
        if cell == "lstm":
            assert rel_err(tr.c[k], ref[k]["c"]) <= RTOL
        if cell == "rnn":
            assert rel_err(tr.pre[k], ref[k]["pre"]) <= RTOL


def test_textbook_weights_have_course_shapes():
    mod = lv.build_module("lstm", 3, 5, 2)
    W = textbook.textbook_weights(mod, 0)
    assert W["f"]["W_h"].shape == (5, 5) and W["f"]["W_x"].shape == (5, 3) and W["f"]["W"].shape == (5, 8)
    assert textbook.textbook_weights(mod, 1)["f"]["W_x"].shape == (5, 5)
    # W_hf is PyTorch's rows H:2H (chunk order i, f, g, o)
    assert np.array_equal(W["f"]["W_h"], mod.weight_hh_l0[5:10].detach().double().numpy())


@pytest.mark.parametrize("loss", ["probe", "head"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell,nonlin", CASES)
def test_gradient_flow_matches_autograd_loop(cell, nonlin, layers, loss):
    mod, x = make(cell, nonlin, layers, seed=2)
    fn = gradients.probe_loss if loss == "probe" else head_loss(6)
    gf = lv.gradient_flow(mod, x, loss=loss if loss == "probe" else fn)
    flow_matches(gf, reference_flow(mod, x, fn), cell)


@pytest.mark.parametrize("loss", ["probe", "head"])
@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_rebuild_path_matches_autograd_loop(layers, loss, monkeypatch):
    """The path a float32 LSTM takes when the kernel's workspace cannot be read (and a float64 LSTM always)."""
    monkeypatch.setattr(onednn, "ENABLED", False)
    test_gradient_flow_matches_autograd_loop("lstm", "tanh", layers, loss)
    test_trace_matches_torch_modules("lstm", "tanh", layers)


@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell,nonlin", CASES[:3])
def test_truncated_bptt_matches_windowed_autograd(cell, nonlin, layers, k):
    mod, x = make(cell, nonlin, layers, seed=4)
    fn = head_loss(6, seed=5)
    gf = lv.gradient_flow(mod, x, loss=fn, truncate=k, jacobian=False)
    ref = reference_flow(mod, x, fn, truncate=k)
    assert gf.truncate == k
    assert rel_err(gf.dL_dh, ref["dh"]) <= RTOL
    assert rel_err(gf.dL_dx, ref["dx"]) <= RTOL
    assert rel_err(gf.dL_dW_hh, ref["dW"]) <= RTOL
    if cell == "lstm":
        assert rel_err(gf.dL_dc, ref["dc"]) <= RTOL


def test_probe_loss_truncation_cuts_old_steps():
    mod, x = make("lstm", "tanh", 2, seed=6)
    gf = lv.gradient_flow(mod, x, truncate=4)
    assert np.all(gf.dL_dh[:, :-4] == 0) and np.all(gf.dL_dh[:, -4:] > 0)
    assert np.all(gf.dL_dx[:-4] == 0) and np.all(gf.dL_dx[-4:] > 0)
    full = lv.gradient_flow(mod, x, truncate=None)
    assert rel_err(lv.gradient_flow(mod, x, truncate=11).dL_dh, full.dL_dh) <= RTOL


@pytest.mark.parametrize("cell,nonlin", CASES)
def test_dL_dx_matches_float64_finite_difference(cell, nonlin):
    mod, x = make(cell, nonlin, 2, seed=7, dtype=torch.float64)
    fn = head_loss(6, seed=8)
    gf = lv.gradient_flow(mod, x, loss=fn, jacobian=False)
    eps = 1e-6
    grad = np.zeros(x.shape)
    with torch.no_grad():
        for t in range(x.shape[0]):
            for j in range(x.shape[1]):
                xp, xm = x.clone(), x.clone()
                xp[t, j] += eps
                xm[t, j] -= eps
                yp = mod(xp.unsqueeze(1))[0].squeeze(1)
                ym = mod(xm.unsqueeze(1))[0].squeeze(1)
                grad[t, j] = (fn(yp) - fn(ym)).item() / (2 * eps)
    assert rel_err(gf.dL_dx, np.linalg.norm(grad, axis=1)) <= 1e-6


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell,nonlin", CASES)
def test_parameter_gradient_norm_and_clipping_match_torch(cell, nonlin, layers):
    mod, x = make(cell, nonlin, layers, seed=9)
    fn = head_loss(6, seed=10)
    for truncate in (None, 11):
        gf = lv.gradient_flow(mod, x, loss=fn, clip=0.1, truncate=truncate, jacobian=False)
        ref = type(mod)(mod.input_size, mod.hidden_size, layers, **({"nonlinearity": nonlin} if cell == "rnn" else {}))
        ref.load_state_dict(mod.state_dict())
        fn(ref(x.unsqueeze(1))[0].squeeze(1)).backward()
        total = nn.utils.clip_grad_norm_(ref.parameters(), 0.1)
        after = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in ref.parameters()]))
        assert gf.grad_norm == pytest.approx(total.item(), rel=RTOL)
        assert gf.grad_norm_clipped == pytest.approx(after.item(), rel=RTOL)
        assert gf.grad_norm_clipped <= 0.1 + 1e-6 < gf.grad_norm


def jacobian_reference(mod, x, t):
    """∂h_{T-1}/∂h_t of the top layer with torch.autograd.functional.jacobian on a cell loop from step t+1."""
    full = step_loop(mod, x)
    top = mod.num_layers - 1
    cell = __import__("reference").make_cells(mod)[top]
    lower = [h.detach() for h in full["h"][top - 1]] if top > 0 else [x[s:s + 1] for s in range(x.shape[0])]
    c_t = full["c"][top][t].detach() if isinstance(mod, nn.LSTM) else None

    return jacobian_norm_through(cell, lower, range(t + 1, x.shape[0]), full["h"][top][t].detach(), c_t)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell,nonlin", CASES)
def test_jacobian_norms_match_autograd_jacobian(cell, nonlin, layers):
    mod, x = make(cell, nonlin, layers, seed=11)
    gf = lv.gradient_flow(mod, x)
    assert gf.dhT_dht[-1] == 1.0
    for t in (0, 4, 9):
        assert gf.dhT_dht[t] == pytest.approx(jacobian_reference(mod, x, t), rel=1e-4)


@pytest.mark.parametrize("cell,nonlin", CASES)
def test_written_out_jacobian_steps_match_autograd_steps(cell, nonlin):
    """dhT_dht without clamps multiplies written-out step Jacobians; with clamps, autograd's. Same numbers,
    over more steps than one chunk of spectral norms."""
    mod, x = make(cell, nonlin, 2, seed=16)
    x = torch.cat([x] * (jacobians.JACOBIAN_CHUNK // 11 + 3))
    spec = cells.spec_of(mod)
    weights = cells.layer_weights(mod)
    top = run_layers(spec, weights, x)[-1]
    fast = jacobians.jacobian_norms_unclamped(spec, weights[-1], top)
    slow = jacobians.jacobian_norms(spec, weights[-1], top, None)
    assert rel_err(fast, slow) <= 1e-4 and fast[-1] == 1.0 and not fast.flags.writeable


def test_cell_path_is_product_of_forget_gates():
    mod, x = make("lstm", "tanh", 2, seed=12)
    tr, gf = lv.trace(mod, x), lv.gradient_flow(mod, x, jacobian=False)
    f = tr.gates["f"][-1].astype(np.float64)
    for t in range(11):
        assert gf.cell_path[t] == pytest.approx(np.prod(f[t + 1:], axis=0).mean(), rel=RTOL)
    assert gf.cell_path[-1] == 1.0 and gf.dhT_dht is None


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.2, 3.0), T=st.integers(2, 20), H=st.integers(1, 8))
def test_rnn_jacobian_bounded_by_largest_singular_value(seed, scale, T, H):
    """Pascanu et al. 2013: with |tanh'| <= 1, ‖∂h_T/∂h_t‖ <= σ_max(W_hh)^(T-1-t)."""
    mod = lv.build_module("rnn", 3, H, 1, seed=seed, weight_scale=scale)
    x = torch.randn(T, 3, generator=torch.Generator().manual_seed(seed))
    gf = lv.gradient_flow(mod, x)
    sigma = torch.linalg.matrix_norm(mod.weight_hh_l0.double(), ord=2).item()
    bound = sigma ** (T - 1 - np.arange(T))
    assert np.all(gf.dhT_dht <= bound * (1 + 1e-4) + 1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_trace_takes_the_fused_kernel_and_engine_never_modifies_module(cell, monkeypatch):
    import sys

    trace_mod = sys.modules["lstm_viz.engine.run"]
    ran = []
    for owner, name in ((cells, "fused_layer"), (onednn, "forward"), (trace_mod, "_loop_layer")):
        real = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, _real=real, _name=name, **k: ran.append(_name) or _real(*a, **k))
    mod, x = make(cell, "tanh", 2, seed=13)
    before = {k: v.clone() for k, v in mod.state_dict().items()}
    tr = lv.trace(mod, x)
    assert "_loop_layer" not in ran  # no step loop without clamps
    assert ran.count("forward" if cell == "lstm" else "fused_layer") == 2  # one kernel call per layer
    if cell != "rnn":
        ran.clear()
        lv.trace(mod, x, [lv.Clamp(GATE_ORDER[cell][0], 0.5)])
        assert ran.count("_loop_layer") == 2  # clamped gates take the step loop
    ran.clear()
    lv.gradient_flow(mod, x, clip=0.5, truncate=3)
    for k, v in mod.state_dict().items():
        assert torch.equal(v, before[k])
    assert all(p.grad is None for p in mod.parameters())
    with pytest.raises(ValueError):
        tr.h[0, 0, 0] = 1.0  # read-only arrays


def test_build_module_is_seeded():
    a, b = lv.build_module("gru", 3, 7, 2, seed=5), lv.build_module("gru", 3, 7, 2, seed=5)
    c = lv.build_module("gru", 3, 7, 2, seed=6)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.weight_hh_l0, c.weight_hh_l0)
    lstm = lv.build_module("lstm", 3, 4, 1, forget_bias=1.0)
    assert torch.all(lstm.bias_ih_l0[4:8] + lstm.bias_hh_l0[4:8] == 1.0)


@pytest.mark.parametrize("cell,m,n,L", [("lstm", 3, 8, 2), ("gru", 10, 4, 1), ("rnn", 2, 16, 3)])
def test_parameter_count_matches_torch(cell, m, n, L):
    mod = lv.build_module(cell, m, n, L)
    assert lv.parameter_count(cell, m, n, L) == sum(p.numel() for p in mod.parameters())


@pytest.mark.parametrize("T", [1, 2, 37, cells.BLOCKED_SCAN_FROM - 1, cells.BLOCKED_SCAN_FROM, 3001])
def test_linear_scan_matches_sequential_loop(T):
    g = torch.Generator().manual_seed(T)
    a, b = torch.rand(T, 5, generator=g, dtype=torch.float64), torch.randn(T, 5, generator=g, dtype=torch.float64)
    a[T // 2] = 0.0  # a gate that erases: products through it must be exactly 0
    y, ys = torch.zeros(5, dtype=torch.float64), []
    for t in range(T):
        y = a[t] * y + b[t]
        ys.append(y)
    assert torch.allclose(cells.linear_scan(a, b), torch.stack(ys), rtol=1e-12, atol=1e-12)
    y, ys = torch.zeros(5, dtype=torch.float64), []
    for t in reversed(range(T)):
        y = a[t] * y + b[t]
        ys.append(y)
    assert torch.allclose(cells.linear_scan(a, b, reverse=True), torch.stack(ys[::-1]), rtol=1e-12, atol=1e-12)


def test_trace_and_flow_pickle_and_stay_read_only():
    import pickle
    mod, x = make("lstm", "tanh", 2, seed=14)
    tr, gf = lv.trace(mod, x), lv.gradient_flow(mod, x, clip=1.0)
    tr2, gf2 = pickle.loads(pickle.dumps(tr)), pickle.loads(pickle.dumps(gf))
    assert np.array_equal(tr2.gates["f"], tr.gates["f"]) and np.array_equal(gf2.dL_dh, gf.dL_dh)
    assert gf2.grad_norm_clipped == gf.grad_norm_clipped
    for a in (tr2.h, tr2.c, tr2.gates["i"], gf2.dL_dc, gf2.cell_path):
        with pytest.raises(ValueError):
            a[0] = 0
    with pytest.raises(TypeError):
        tr2.gates["f"] = None


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_long_sequence_uses_blocked_scan_and_stays_exact(cell):
    torch.manual_seed(15)
    mod = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](3, 5, 1)
    x = torch.randn(cells.BLOCKED_SCAN_FROM + 300, 3)
    tr, gf = lv.trace(mod, x), lv.gradient_flow(mod, x, loss=lambda y: y.pow(2).mean(), jacobian=False)
    ref = step_loop(mod, x)
    assert rel_err(tr.h[0], torch.cat(ref["h"][0]).detach()) <= RTOL
    y = torch.cat(ref["h"][0])
    y.pow(2).mean().backward()
    assert rel_err(gf.dL_dh, norms(ref["h"][0])[None]) <= RTOL
    if cell == "lstm":
        assert rel_err(tr.c[0], torch.cat(ref["c"][0]).detach()) <= RTOL
        assert rel_err(gf.dL_dc, norms(ref["c"][0])[None]) <= RTOL


def test_copy_module_keeps_kind_sizes_and_weights():
    relu = nn.RNN(3, 4, 2, nonlinearity="relu", bias=False)
    twin = cells.copy_module(relu)
    assert twin.nonlinearity == "relu" and not twin.bias and twin.num_layers == 2
    assert all(torch.equal(a, b) and a.data_ptr() != b.data_ptr() for a, b in zip(relu.parameters(), twin.parameters()))
    other = {k: torch.zeros_like(v) for k, v in relu.state_dict().items()}
    assert all(torch.count_nonzero(p) == 0 for p in cells.copy_module(relu, other).parameters())
