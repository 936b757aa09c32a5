"""The textbook equations in plain NumPy (float64), independent of the torch path.

Weights are regrouped into the concatenated form taught in most courses, each mapped to the model's own
tensors (H = hidden_size n, m = the layer's input size):

    LSTM   f_t = σ(W_f·[h_{t-1}, x_t] + b_f)      W_f = [W_hf | W_xf]  (n × (n+m)),  b_f = b_if + b_hf
           i_t = σ(W_i·[h_{t-1}, x_t] + b_i)      c̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)
           C_t = f_t ⊙ C_{t-1} + i_t ⊙ c̃_t       o_t = σ(W_o·[h_{t-1}, x_t] + b_o),  h_t = o_t ⊙ tanh(C_t)
    GRU    r_t = σ(W_r·[h_{t-1}, x_t] + b_r)      z_t = σ(W_z·[h_{t-1}, x_t] + b_z)
           h̃_t = tanh(W_xn x_t + b_xn + r_t ⊙ (W_hn h_{t-1} + b_hn))     (PyTorch applies r after W_hn)
           h_t = (1 - z_t) ⊙ h̃_t + z_t ⊙ h_{t-1}   PyTorch's convention; texts that write
           h_t = (1 - u_t) ⊙ h_{t-1} + u_t ⊙ h̃_t have u_t = 1 - z_t.
    RNN    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h),  b_h = b_ih + b_hh

Here W_hf is rows H:2H of ``weight_hh_l{k}`` and W_xf rows H:2H of ``weight_ih_l{k}`` (chunk order i, f, g, o).
"""

from __future__ import annotations

import numpy as np
from torch import nn

from lstm_viz.checks import cell_of
from lstm_viz.notation import DIRECTION_SUFFIXES, GATE_ORDER


def _np(t):
    return None if t is None else t.detach().double().cpu().numpy()


def textbook_weights(module: nn.Module, layer: int = 0, direction: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """Per gate: W_h (n×n), W_x (n×m), W = [W_h | W_x] (n×(n+m)), b_ih, b_hh and b = b_ih + b_hh.
    ``direction=1``: the reverse direction of a bidirectional layer (its ``_reverse`` parameters)."""
    H = module.hidden_size
    sfx = DIRECTION_SUFFIXES[direction]
    w_ih, w_hh = _np(getattr(module, f"weight_ih_l{layer}{sfx}")), _np(getattr(module, f"weight_hh_l{layer}{sfx}"))
    b_ih = _np(getattr(module, f"bias_ih_l{layer}{sfx}", None))
    b_hh = _np(getattr(module, f"bias_hh_l{layer}{sfx}", None))
    if b_ih is None:
        b_ih, b_hh = np.zeros(w_ih.shape[0]), np.zeros(w_ih.shape[0])
    names = GATE_ORDER[cell_of(module)] or ("h",)
    out = {}
    for k, name in enumerate(names):
        rows = slice(k * H, (k + 1) * H)
        out[name] = {
            "W_h": w_hh[rows], "W_x": w_ih[rows], "W": np.concatenate([w_hh[rows], w_ih[rows]], axis=1),
            "b_ih": b_ih[rows], "b_hh": b_hh[rows], "b": b_ih[rows] + b_hh[rows],
        }
    return out


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def run(module: nn.Module, x, clamps=()) -> list[dict[str, np.ndarray]]:
    """Step through ``x`` [T, m] with the textbook equations; per layer a dict of [T, n] arrays
    (the gates by PyTorch name, ``h``, and ``c`` for the LSTM, ``pre`` for the RNN).

    ``clamps``: objects with gate, value, units, steps, layers (lstm_viz.Clamp) fix gate values.
    """
    cell = cell_of(module)
    x = np.asarray(x, dtype=np.float64)
    T, n = x.shape[0], module.hidden_size
    layers = []
    inp = x
    for k in range(module.num_layers):
        W = textbook_weights(module, k)
        fixed = [c for c in clamps if c.layers is None or k in c.layers]

        def clamp(name, t, v, fixed=fixed):
            for c in fixed:
                if c.gate == name and (c.steps is None or t in c.steps):
                    v = v.copy()
                    v[list(range(n)) if c.units is None else list(c.units)] = c.value
            return v

        h, C = np.zeros(n), np.zeros(n)
        rec = {name: np.zeros((T, n)) for name in (*GATE_ORDER[cell], "h", "c", "pre")}
        for t in range(T):
            hx = np.concatenate([h, inp[t]])  # [h_{t-1}, x_t]
            if cell == "lstm":
                f = clamp("f", t, _sigmoid(W["f"]["W"] @ hx + W["f"]["b"]))
                i = clamp("i", t, _sigmoid(W["i"]["W"] @ hx + W["i"]["b"]))
                c_tilde = clamp("g", t, np.tanh(W["g"]["W"] @ hx + W["g"]["b"]))
                C = f * C + i * c_tilde
                o = clamp("o", t, _sigmoid(W["o"]["W"] @ hx + W["o"]["b"]))
                h = o * np.tanh(C)
                rec["i"][t], rec["f"][t], rec["g"][t], rec["o"][t], rec["c"][t] = i, f, c_tilde, o, C
            elif cell == "gru":
                r = clamp("r", t, _sigmoid(W["r"]["W"] @ hx + W["r"]["b"]))
                z = clamp("z", t, _sigmoid(W["z"]["W"] @ hx + W["z"]["b"]))
                Wn = W["n"]
                h_tilde = clamp("n", t, np.tanh(Wn["W_x"] @ inp[t] + Wn["b_ih"] + r * (Wn["W_h"] @ h + Wn["b_hh"])))
                h = (1 - z) * h_tilde + z * h
                rec["r"][t], rec["z"][t], rec["n"][t] = r, z, h_tilde
            else:
                a = W["h"]["W"] @ hx + W["h"]["b"]
                h = np.maximum(a, 0) if module.nonlinearity == "relu" else np.tanh(a)
                rec["pre"][t] = a
            rec["h"][t] = h
        if cell != "lstm":
            del rec["c"]
        if cell != "rnn":
            del rec["pre"]
        layers.append(rec)
        inp = rec["h"]
    return layers
