"""The equations of one step for one unit, with this model's numbers.

Both forms are given: PyTorch's (separate W_ih x_t + b_ih and W_hh h_{t-1} + b_hh, gate blocks in chunk
order) and the textbook's (W·[h_{t-1}, x_t] + b with W = [W_h | W_x] of shape n × (n+m)).

The equations are LaTeX templates with placeholders ``⟦name:format⟧`` (``unit_templates``) and the values of
every placeholder at every step (``unit_series``, float64 arrays [T] recomputed from the model's own tensors,
agreeing with the Trace to float32 precision). The step player in the browser fills the templates for the
step it shows, with the one number format of lstm_viz/page/player/src/diagram.js.
"""

from __future__ import annotations

import re

import numpy as np

from lstm_viz.engine.cells import dh_dc
from lstm_viz.engine.textbook import textbook_weights
from lstm_viz.notation import GATE_ORDER, GATES

PLACEHOLDER = re.compile(r"⟦(\w+):([^⟧]+)⟧")
_ACT = {"sigmoid": r"\sigma", "tanh": r"\tanh"}


def _p(name: str, fmt: str = "+.4f") -> str:
    return f"⟦{name}:{fmt}⟧"


def unit_series(module, trace, flow, layer: int, unit: int) -> dict[str, np.ndarray]:
    """Every number the equations and the diagram show for one unit, at every step: name -> float64 [T].

    ``xs_<g>`` = W_i<g>[j]·x_t + b_i<g>[j] and ``hs_<g>`` = W_h<g>[j]·h_{t-1} + b_h<g>[j] for each gate block
    (the RNN's one block is called ``h``); gates, states, their products, and the gradient norms of ``flow``."""
    d, n = trace.direction_of(unit), trace.units_per_direction
    W = textbook_weights(module, layer, d)
    j, jj, T = unit, unit - d * n, trace.steps  # jj: the unit's row in its own direction's weights
    x = trace.x.astype(np.float64) if layer == 0 else trace.h[layer - 1].astype(np.float64)  # [T, m]
    h_all = trace.h[layer][:, d * n:(d + 1) * n].astype(np.float64)  # [T, n], this direction's states
    h_prev = _earlier(h_all, d)
    out: dict[str, np.ndarray] = {}
    for name in (list(trace.gates) or ["h"]):
        w = W[name]
        out[f"xs_{name}"] = x @ w["W_x"][jj] + w["b_ih"][jj]
        out[f"hs_{name}"] = h_prev @ w["W_h"][jj] + w["b_hh"][jj]
        out[f"pre_{name}"] = out[f"xs_{name}"] + out[f"hs_{name}"]
    for name, v in trace.gates.items():
        out[name] = v[layer, :, j].astype(np.float64)
    out["h"] = h_all[:, jj]
    out["h_prev"] = h_prev[:, jj]
    if trace.cell == "lstm":
        c = trace.c[layer, :, j].astype(np.float64)
        out["c"] = c
        out["c_prev"] = _earlier(c, d)
        out["tanh_c"] = np.tanh(c)
        out["fc"] = out["f"] * out["c_prev"]
        out["ig"] = out["i"] * out["g"]
        out["dh_dc"] = dh_dc(out["o"], c)
    elif trace.cell == "gru":
        out["one_minus_z"] = 1 - out["z"]
        out["zh"] = out["z"] * out["h_prev"]
        out["zn"] = out["one_minus_z"] * out["n"]
    else:
        out["slope"] = (out["h"] > 0).astype(np.float64) if trace.nonlinearity == "relu" else 1 - out["h"] ** 2
    if flow is not None:
        run = layer * trace.directions + d  # rows of a bidirectional flow: runs in PyTorch's h_n order
        out["dL_dh"] = np.asarray(flow.dL_dh[run], dtype=np.float64)
        if flow.dL_dc is not None:
            out["dL_dc"] = np.asarray(flow.dL_dc[run], dtype=np.float64)
        if flow.dhT_dht is not None and layer == trace.num_layers - 1:
            out["dhT"] = np.asarray(flow.top_series("dhT_dht", d), dtype=np.float64)
    assert all(v.shape == (T,) for v in out.values())
    return out


def _earlier(a: np.ndarray, direction: int) -> np.ndarray:
    """The state each step reads: s_{t-1} going forward, s_{t+1} in the reverse direction (zero at the start)."""
    z = np.zeros_like(a[:1])
    return np.concatenate([z, a[:-1]]) if direction == 0 else np.concatenate([a[1:], z])


def unit_templates(trace, layer: int, unit: int, names: set[str] | None = None) -> dict[str, list[str]]:
    """{"pytorch": [...], "textbook": [...], "backward": [...]}: LaTeX with ⟦name:format⟧ placeholders.

    ``names``: the series available (``unit_series``' keys); the backward norms appear only if present.
    A unit of a bidirectional layer's reverse direction reads h_{t+1} (and c_{t+1}), and its weights are
    the ``_reverse`` ones; its own last state is h_0."""
    out = _templates(trace, layer, unit, names)
    if trace.direction_of(unit) == 1:
        out = {part: [line.replace("{t-1}", "{t+1}").replace(r"\partial h_T", r"\partial h_0") for line in lines]
               for part, lines in out.items()}
    return out


def _templates(trace, layer: int, unit: int, names: set[str] | None) -> dict[str, list[str]]:
    n = trace.units_per_direction
    m = trace.x.shape[1] if layer == 0 else trace.directions * n
    j = unit
    out = {"pytorch": [], "textbook": [], "backward": []}
    if trace.cell == "rnn":
        act = r"\mathrm{relu}" if trace.nonlinearity == "relu" else r"\tanh"
        out["pytorch"].append(
            rf"h_t[{j}] = {act}(\underbrace{{W_{{ih}}x_t + b_{{ih}}}}_{{{_p('xs_h')}}} + "
            rf"\underbrace{{W_{{hh}}h_{{t-1}} + b_{{hh}}}}_{{{_p('hs_h')}}}) = {act}({_p('pre_h')}) = {_p('h')}")
        out["textbook"].append(
            rf"h_t = {act}(W_h\,[h_{{t-1}}, x_t] + b_h),\quad W_h = [W_{{hh}}\,|\,W_{{xh}}] \in "
            rf"\mathbb{{R}}^{{{n}\times{n + m}}}\;({n}\times{n}\,|\,{n}\times{m}),\quad W_{{xh}} = W_{{ih}}")
        slope = r"\mathrm{relu}'[" + str(j) + "]" if trace.nonlinearity == "relu" else rf"\tanh'[{j}] = 1 - h_t^2"
        out["backward"].append(rf"\partial h_t/\partial h_{{t-1}} = \mathrm{{diag}}({act}'(\cdot))\,W_{{hh}},\quad"
                               rf"{slope} = {_p('slope', '.4f')}")
    for name in GATE_ORDER[trace.cell]:
        info = GATES[trace.cell][name]
        tex, act = info.latex, _ACT[info.activation]
        if trace.cell == "gru" and name == "n":
            out["pytorch"].append(
                rf"n_t[{j}] = \tanh(\underbrace{{W_{{in}}x_t + b_{{in}}}}_{{{_p('xs_n')}}} + r_t \odot "
                rf"\underbrace{{(W_{{hn}}h_{{t-1}} + b_{{hn}})}}_{{{_p('hs_n')}}}) = \tanh({_p('xs_n')} + "
                rf"{_p('r', '.4f')}\cdot{_p('hs_n')}) = {_p('n')}")
            out["textbook"].append(
                rf"\tilde h_t = \tanh(W_{{xn}}x_t + b_{{xn}} + r_t \odot (W_{{hn}}h_{{t-1}} + b_{{hn}})),\quad "
                rf"W_{{hn}}: {n}\times{n},\; W_{{xn}}: {n}\times{m}")
            continue
        out["pytorch"].append(
            rf"{tex}[{j}] = {act}(\underbrace{{W_{{i{name}}}x_t + b_{{i{name}}}}}_{{{_p('xs_' + name)}}} + "
            rf"\underbrace{{W_{{h{name}}}h_{{t-1}} + b_{{h{name}}}}}_{{{_p('hs_' + name)}}}) = "
            rf"{act}({_p('pre_' + name)}) = {_p(name)}")
        letter = {"i": "i", "f": "f", "g": "C", "o": "o", "r": "r", "z": "z"}[name]
        out["textbook"].append(
            rf"{tex} = {act}(W_{letter}\cdot[h_{{t-1}}, x_t] + b_{letter}),\quad W_{letter} = [W_{{h{letter}}}"
            rf"\,|\,W_{{x{letter}}}] \in \mathbb{{R}}^{{{n}\times{n + m}}}\;({n}\times{n}\,|\,{n}\times{m})")
    if trace.cell == "lstm":
        out["pytorch"] += [
            rf"c_t[{j}] = f_t c_{{t-1}} + i_t \tilde c_t = {_p('f', '.4f')}\cdot{_p('c_prev')} + {_p('i', '.4f')}"
            rf"\cdot{_p('g')} = {_p('c')}",
            rf"h_t[{j}] = o_t \tanh(c_t) = {_p('o', '.4f')}\cdot\tanh({_p('c')}) = {_p('h')}"]
        out["textbook"] += [r"C_t = f_t \odot C_{t-1} + i_t \odot \tilde C_t", r"h_t = o_t \odot \tanh(C_t)"]
        out["backward"] += [
            rf"\partial c_t/\partial c_{{t-1}} = f_t = {_p('f', '.4f')}"
            r"\quad\text{(the cell path: no matrix, no squashing)}",
            rf"\partial h_t/\partial c_t = o_t(1-\tanh^2 c_t) = {_p('dh_dc', '.4f')}",
            rf"\partial c_t/\partial i_t = \tilde c_t = {_p('g')},\quad \partial c_t/\partial f_t = c_{{t-1}} = "
            rf"{_p('c_prev')},\quad \partial h_t/\partial o_t = \tanh c_t = {_p('tanh_c')}"]
    elif trace.cell == "gru":
        out["pytorch"].append(rf"h_t[{j}] = (1-z_t) n_t + z_t h_{{t-1}} = {_p('one_minus_z', '.4f')}\cdot{_p('n')} + "
                              rf"{_p('z', '.4f')}\cdot{_p('h_prev')} = {_p('h')}")
        out["textbook"].append(r"h_t = (1-u_t)\odot h_{t-1} + u_t\odot\tilde h_t\quad\text{with } u_t = 1 - z_t"
                               rf" = {_p('one_minus_z', '.4f')}")
        out["backward"].append(rf"\partial h_t/\partial h_{{t-1}}\big|_{{\text{{direct}}}} = z_t = {_p('z', '.4f')}")
    names = names or set()
    parts = []
    if "dL_dh" in names:
        parts.append(rf"\|\partial L/\partial h_t\| = {_p('dL_dh', '.3e')}")
    if "dL_dc" in names:
        parts.append(rf"\|\partial L/\partial c_t\| = {_p('dL_dc', '.3e')}")
    if "dhT" in names:
        parts.append(rf"\|\partial h_T/\partial h_t\| = {_p('dhT', '.3e')}")
    if parts:
        out["backward"].append(r",\quad ".join(parts))
    return out
