"""Reference computations for the tests, built from torch.nn's own cells and autograd only.

An explicit step loop of nn.LSTMCell / nn.GRUCell / nn.RNNCell with the weights of one layer of the
multi-layer module; every h_t and c_t is retained so autograd gives its .grad, and each step gets its
own copy of W_hh so autograd also gives each step's contribution to ∂L/∂W_hh.
"""

import torch
from torch import nn
from torch.func import functional_call


def make_cells(module):
    """One cell per layer and direction (layer k, direction d at k·D + d), holding that run's weights."""
    kind = {nn.LSTM: nn.LSTMCell, nn.GRU: nn.GRUCell, nn.RNN: nn.RNNCell}[type(module)]
    D = 2 if module.bidirectional else 1
    cells = []
    for k in range(module.num_layers):
        for sfx in ("", "_reverse")[:D]:
            m = module.input_size if k == 0 else D * module.hidden_size
            kw = {"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNN) else {}
            c = kind(m, module.hidden_size, bias=module.bias, **kw).to(next(module.parameters()).dtype)
            with torch.no_grad():
                c.weight_ih.copy_(getattr(module, f"weight_ih_l{k}{sfx}"))
                c.weight_hh.copy_(getattr(module, f"weight_hh_l{k}{sfx}"))
                if module.bias:
                    c.bias_ih.copy_(getattr(module, f"bias_ih_l{k}{sfx}"))
                    c.bias_hh.copy_(getattr(module, f"bias_hh_l{k}{sfx}"))
            cells.append(c)
    return cells


def bi_step_loop(module, x):
    """A bidirectional module as cell loops: in every layer the forward cell runs t = 0 .. T-1 and the reverse
    cell t = T-1 .. 0, and the layer above reads [h_fwd_t, h_rev_t]. Returns per run (k·2 + d) lists of h_t,
    c_t and W_hh copies indexed by t (input order), every one retained for autograd, and the top layer's
    output [T, 2H]."""
    cells = make_cells(module)
    T, H = x.shape[0], module.hidden_size
    lstm = isinstance(module, nn.LSTM)
    xs = x.detach().clone().requires_grad_()
    out = {"h": [], "c": [], "W": [], "x": xs}
    inp = [xs[t:t + 1] for t in range(T)]
    for k in range(module.num_layers):
        for d in (0, 1):
            cell = cells[2 * k + d]
            params = dict(cell.named_parameters())
            h = c = torch.zeros(1, H, dtype=x.dtype)
            hs, cs, Ws = [None] * T, [None] * T, [None] * T
            for t in (range(T) if d == 0 else reversed(range(T))):
                W = params["weight_hh"].detach().clone().requires_grad_()
                p = dict(params, weight_hh=W)
                if lstm:
                    h, c = functional_call(cell, p, (inp[t], (h, c)))
                    c.retain_grad()
                    cs[t] = c
                else:
                    h = functional_call(cell, p, (inp[t], h))
                h.retain_grad()
                hs[t], Ws[t] = h, W
            out["h"].append(hs)
            out["c"].append(cs if lstm else [])
            out["W"].append(Ws)
        inp = [torch.cat([out["h"][2 * k][t], out["h"][2 * k + 1][t]], dim=1) for t in range(T)]
    out["y"] = torch.cat(inp)
    return out


def step_loop(module, x, start=0, stop=None, init=None):
    """Run steps start..stop-1 of every layer; returns per-layer lists of h_t, c_t and W_hh copies.

    ``init``: per layer (h, c) before ``start`` (zeros if None); detached there, as truncation does.
    """
    cells = make_cells(module)
    T = x.shape[0]
    stop = T if stop is None else stop
    H = module.hidden_size
    lstm = isinstance(module, nn.LSTM)
    out = {"h": [], "c": [], "W": [], "x": None}
    xs = x[start:stop].detach().clone().requires_grad_()
    out["x"] = xs
    inp = [xs[t - start:t - start + 1] for t in range(start, stop)]
    for k, cell in enumerate(cells):
        h0 = torch.zeros(1, H, dtype=x.dtype) if init is None else init[k][0].detach().reshape(1, H)
        c0 = torch.zeros(1, H, dtype=x.dtype) if init is None else init[k][1].detach().reshape(1, H)
        h, c = h0, c0
        hs, cs, Ws = [], [], []
        params = dict(cell.named_parameters())
        for t in range(stop - start):
            W = params["weight_hh"].detach().clone().requires_grad_()
            p = dict(params, weight_hh=W)
            if lstm:
                h, c = functional_call(cell, p, (inp[t], (h, c)))
                c.retain_grad()
                cs.append(c)
            else:
                h = functional_call(cell, p, (inp[t], h))
            h.retain_grad()
            hs.append(h)
            Ws.append(W)
        out["h"].append(hs)
        out["c"].append(cs)
        out["W"].append(Ws)
        inp = hs
    return out


def norms(ts):
    return torch.stack([torch.linalg.vector_norm(t.grad) if t.grad is not None else torch.tensor(0.0, dtype=t.dtype)
                        for t in ts]).double().numpy()


def jacobian_norm_through(cell, inputs, steps, h_t, c_t=None):
    """‖∂h_end/∂h_t‖₂: torch.autograd.functional.jacobian of a loop of ``cell`` over ``steps`` (indices into
    ``inputs``), starting from h_t (and c_t for an LSTM cell)."""
    def f(h):
        c = c_t
        for s in steps:
            if c is not None:
                h, c = cell(inputs[s], (h, c))
            else:
                h = cell(inputs[s], h)
        return h

    J = torch.autograd.functional.jacobian(f, h_t)
    H = h_t.shape[-1]
    return torch.linalg.matrix_norm(J.reshape(H, H), ord=2).item()


def finite_difference_norms(L, x, eps=1e-6):
    """‖∂L/∂x_t‖ per step by central differences of a float64 function L of the whole [T, m] array x."""
    import numpy as np

    grad = np.zeros(x.shape)
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            xp, xm = x.copy(), x.copy()
            xp[t, j] += eps
            xm[t, j] -= eps
            grad[t, j] = (L(xp) - L(xm)) / (2 * eps)
    return np.linalg.norm(grad, axis=1)
