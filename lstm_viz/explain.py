"""The equations of one step for one unit, with this model's numbers (LaTeX strings for the page).

Both forms are given: PyTorch's (separate W_ih x_t + b_ih and W_hh h_{t-1} + b_hh, gate blocks in chunk
order) and the textbook's (W·[h_{t-1}, x_t] + b with W = [W_h | W_x] of shape n × (n+m)). The numbers
are recomputed in float64 from the model's own tensors and agree with the Trace to float32 precision.
"""

from __future__ import annotations

import numpy as np

from .textbook import textbook_weights

_GATE_TEX = {"i": "i_t", "f": "f_t", "g": r"\tilde c_t", "o": "o_t", "r": "r_t", "z": "z_t", "n": "n_t"}
_ACT = {"i": r"\sigma", "f": r"\sigma", "g": r"\tanh", "o": r"\sigma", "r": r"\sigma", "z": r"\sigma", "n": r"\tanh"}


def _f(v: float) -> str:
    return f"{v:+.4f}"


def step_equations(module, trace, flow, layer: int, t: int, unit: int) -> dict[str, list[str]]:
    """{"pytorch": [...], "textbook": [...], "backward": [...]} LaTeX lines for unit ``unit`` at step ``t``."""
    W = textbook_weights(module, layer)
    x = trace.x[t].astype(np.float64) if layer == 0 else trace.h[layer - 1, t].astype(np.float64)
    h_prev = trace.h[layer, t - 1].astype(np.float64) if t > 0 else np.zeros(trace.hidden_size)
    n, m = trace.hidden_size, x.shape[0]
    j = unit
    out = {"pytorch": [], "textbook": [], "backward": []}
    names = list(trace.gates) or ["h"]
    for name in names:
        w = W[name]
        xs = float(w["W_x"][j] @ x + w["b_ih"][j])
        hs = float(w["W_h"][j] @ h_prev + w["b_hh"][j])
        if trace.cell == "rnn":
            act = r"\mathrm{relu}" if trace.nonlinearity == "relu" else r"\tanh"
            val = float(trace.h[layer, t, j])
            out["pytorch"].append(
                rf"h_t[{j}] = {act}(\underbrace{{W_{{ih}}x_t + b_{{ih}}}}_{{{_f(xs)}}} + "
                rf"\underbrace{{W_{{hh}}h_{{t-1}} + b_{{hh}}}}_{{{_f(hs)}}}) = {act}({_f(xs + hs)}) = {_f(val)}")
            out["textbook"].append(
                rf"h_t = {act}(W_h\,[h_{{t-1}}, x_t] + b_h),\quad W_h \in \mathbb{{R}}^{{{n}\times{n + m}}}"
                rf"\;(W_{{hh}}: {n}\times{n},\; W_{{xh}}: {n}\times{m})")
            continue
        tex, act = _GATE_TEX[name], _ACT[name]
        val = float(trace.gates[name][layer, t, j])
        if trace.cell == "gru" and name == "n":
            r = float(trace.gates["r"][layer, t, j])
            out["pytorch"].append(
                rf"n_t[{j}] = \tanh(\underbrace{{W_{{in}}x_t + b_{{in}}}}_{{{_f(xs)}}} + r_t \odot "
                rf"\underbrace{{(W_{{hn}}h_{{t-1}} + b_{{hn}})}}_{{{_f(hs)}}}) = \tanh({_f(xs)} + {r:.4f}\cdot{_f(hs)})"
                rf" = {_f(val)}")
            out["textbook"].append(
                rf"\tilde h_t = \tanh(W_{{xn}}x_t + b_{{xn}} + r_t \odot (W_{{hn}}h_{{t-1}} + b_{{hn}})),\quad "
                rf"W_{{hn}}: {n}\times{n},\; W_{{xn}}: {n}\times{m}")
            continue
        out["pytorch"].append(
            rf"{tex}[{j}] = {act}(\underbrace{{W_{{i{name}}}x_t + b_{{i{name}}}}}_{{{_f(xs)}}} + "
            rf"\underbrace{{W_{{h{name}}}h_{{t-1}} + b_{{h{name}}}}}_{{{_f(hs)}}}) = {act}({_f(xs + hs)}) = {_f(val)}")
        letter = {"i": "i", "f": "f", "g": "C", "o": "o", "r": "r", "z": "z"}[name]
        out["textbook"].append(
            rf"{tex} = {act}(W_{letter}\cdot[h_{{t-1}}, x_t] + b_{letter}),\quad W_{letter} = [W_{{h{letter}}}"
            rf"\,|\,W_{{x{letter}}}] \in \mathbb{{R}}^{{{n}\times{n + m}}}\;({n}\times{n}\,|\,{n}\times{m})")

    if trace.cell == "lstm":
        g = {k: float(trace.gates[k][layer, t, j]) for k in "ifgo"}
        c_prev = float(trace.c[layer, t - 1, j]) if t > 0 else 0.0
        c, h = float(trace.c[layer, t, j]), float(trace.h[layer, t, j])
        out["pytorch"] += [
            rf"c_t[{j}] = f_t c_{{t-1}} + i_t \tilde c_t = {g['f']:.4f}\cdot{_f(c_prev)} + {g['i']:.4f}\cdot"
            rf"{_f(g['g'])} = {_f(c)}",
            rf"h_t[{j}] = o_t \tanh(c_t) = {g['o']:.4f}\cdot\tanh({_f(c)}) = {_f(h)}"]
        out["textbook"] += [r"C_t = f_t \odot C_{t-1} + i_t \odot \tilde C_t", r"h_t = o_t \odot \tanh(C_t)"]
        tc = np.tanh(c)
        out["backward"] += [
            rf"\partial c_t/\partial c_{{t-1}} = f_t = {g['f']:.4f}"
            r"\quad\text{(the cell path: no matrix, no squashing)}",
            rf"\partial h_t/\partial c_t = o_t(1-\tanh^2 c_t) = {g['o'] * (1 - tc ** 2):.4f}",
            rf"\partial c_t/\partial i_t = \tilde c_t = {_f(g['g'])},\quad \partial c_t/\partial f_t = c_{{t-1}} = "
            rf"{_f(c_prev)},\quad \partial h_t/\partial o_t = \tanh c_t = {_f(tc)}"]
    elif trace.cell == "gru":
        z, nn_ = float(trace.gates["z"][layer, t, j]), float(trace.gates["n"][layer, t, j])
        hp, h = float(h_prev[j]), float(trace.h[layer, t, j])
        out["pytorch"].append(rf"h_t[{j}] = (1-z_t) n_t + z_t h_{{t-1}} = {1 - z:.4f}\cdot{_f(nn_)} + {z:.4f}\cdot"
                              rf"{_f(hp)} = {_f(h)}\quad\text{{(PyTorch: }}z\approx 1\text{{ keeps the past)}}")
        out["textbook"].append(r"h_t = (1-u_t)\odot h_{t-1} + u_t\odot\tilde h_t\quad\text{with } u_t = 1 - z_t"
                               rf" = {1 - z:.4f}")
        out["backward"].append(rf"\partial h_t/\partial h_{{t-1}}\big|_{{\text{{direct}}}} = z_t = {z:.4f}")
    else:
        h = float(trace.h[layer, t, j])
        d = (1 - h ** 2) if trace.nonlinearity != "relu" else float(h > 0)
        out["backward"].append(rf"\partial h_t/\partial h_{{t-1}} = \mathrm{{diag}}(\tanh'(\cdot))\,W_{{hh}},\quad"
                               rf"\tanh'[{j}] = 1 - h_t^2 = {d:.4f}")
    if flow is not None:
        line = rf"\|\partial L/\partial h_t\| = {flow.dL_dh[layer, t]:.3e}"
        if flow.dL_dc is not None:
            line += rf",\quad \|\partial L/\partial c_t\| = {flow.dL_dc[layer, t]:.3e}"
        if flow.dhT_dht is not None and layer == trace.num_layers - 1:
            line += rf",\quad \|\partial h_T/\partial h_t\| = {flow.dhT_dht[t]:.3e}"
        out["backward"].append(line)
    return out
