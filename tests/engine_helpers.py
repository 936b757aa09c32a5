"""Helpers the engine's tests share: seeded modules and inputs, relative errors, head losses, and the
autograd reference of a GradientFlow."""

import numpy as np
import pytest
import torch
from torch import nn

from reference import norms, step_loop

CASES = [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "tanh"), ("rnn", "relu")]


RTOL = 1e-5


def make(cell, nonlin, layers, seed=0, m=4, H=6, scale=1.5, dtype=torch.float32):
    torch.manual_seed(seed)
    kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
    kw = {"nonlinearity": nonlin} if cell == "rnn" else {}
    mod = kind(m, H, layers, **kw).to(dtype)
    with torch.no_grad():
        for p in mod.parameters():
            p.mul_(scale)  # larger weights than the default init: gates away from 0.5
    x = torch.randn(11, m, dtype=dtype)
    return mod, x


def rel_err(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-12)


def head_loss(H, V=5, seed=3):
    """A many-to-many classifier head with cross-entropy, as a callable loss on the outputs."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(V, H, generator=g)
    targets = torch.randint(0, V, (11,), generator=g)

    def next_token_ce(y):
        return nn.functional.cross_entropy(y @ W.T.to(y.dtype), targets[: y.shape[0]])
    return next_token_ce


def reference_flow(mod, x, loss_fn, truncate=None):
    """Autograd on an explicit nn.*Cell loop; with truncate=k, each loss term at step s is backpropagated
    on its own graph that starts from detached states at step s-k (the definition of truncated BPTT)."""
    T, L, lstm = x.shape[0], mod.num_layers, isinstance(mod, nn.LSTM)
    full = step_loop(mod, x)
    y = torch.cat(full["h"][-1])
    loss = loss_fn(y)
    if truncate is None:
        loss.backward()
        return {
            "loss": loss.item(),
            "dh": np.stack([norms(full["h"][k]) for k in range(L)]),
            "dc": np.stack([norms(full["c"][k]) for k in range(L)]) if lstm else None,
            "dx": torch.linalg.vector_norm(full["x"].grad, dim=1).numpy(),
            "dW": np.stack([norms(full["W"][k]) for k in range(L)]),
        }
    yl = y.detach().requires_grad_()
    (g,) = torch.autograd.grad(loss_fn(yl), yl)
    H = mod.hidden_size
    acc = {key: torch.zeros(L, T, H, dtype=x.dtype) for key in ("h", "c")}
    accW = torch.zeros(L, T, *mod.weight_hh_l0.shape, dtype=x.dtype)
    accx = torch.zeros_like(x)
    for s in range(T):
        start = max(0, s - truncate + 1)
        init = None
        if start > 0:
            init = [(full["h"][k][start - 1], full["c"][k][start - 1] if lstm else full["h"][k][start - 1])
                    for k in range(L)]
        part = step_loop(mod, x, start, s + 1, init)
        (part["h"][-1][-1] * g[s]).sum().backward()
        for k in range(L):
            for j, t in enumerate(range(start, s + 1)):
                acc["h"][k, t] += part["h"][k][j].grad[0]
                if lstm:
                    acc["c"][k, t] += part["c"][k][j].grad[0]
                accW[k, t] += part["W"][k][j].grad
        accx[start:s + 1] += part["x"].grad
    vn = lambda a: torch.linalg.vector_norm(a, dim=-1).double().numpy()  # noqa: E731
    return {"loss": loss.item(), "dh": vn(acc["h"]), "dc": vn(acc["c"]) if lstm else None, "dx": vn(accx),
            "dW": torch.linalg.matrix_norm(accW).double().numpy()}


def flow_matches(gf, ref, cell):
    """Every norm of a GradientFlow against an autograd reference's (loss, dh, dx, dW and, for the LSTM, dc)."""
    assert gf.loss == pytest.approx(ref["loss"], rel=RTOL)
    assert rel_err(gf.dL_dh, ref["dh"]) <= RTOL
    assert rel_err(gf.dL_dx, ref["dx"]) <= RTOL
    assert rel_err(gf.dL_dW_hh, ref["dW"]) <= RTOL
    if cell == "lstm":
        assert rel_err(gf.dL_dc, ref["dc"]) <= RTOL
    else:
        assert gf.dL_dc is None and gf.cell_path is None
