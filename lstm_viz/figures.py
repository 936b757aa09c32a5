"""Plotly figures: pure functions of a Trace / GradientFlow (and labels); nothing here runs a model.

Colour ranges are fixed so pictures compare across steps and models: sigmoid gates [0, 1] (Cividis),
tanh values and h [-1, 1] and c symmetric about 0 (RdBu, reversed); both scales are colour-blind-safe.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .i18n import tr as _tr
from .notation import GATE_ORDER, GATES, STATES

MAX_COLUMNS = 400  # heatmap columns drawn at most; longer sequences are shown as bin means
SEQ_SCALE = "Cividis"
DIV_SCALE = "RdBu_r"


def field_values(trace, name: str) -> np.ndarray:
    """[L, T, H] array of a gate ('i', 'f', ...) or state ('h', 'c', 'pre')."""
    return trace.gates[name] if name in trace.gates else getattr(trace, name)


def field_range(trace, name: str) -> tuple[float, float, str]:
    """(zmin, zmax, colour scale) for a field: fixed ranges, c symmetric about 0."""
    if name in trace.gates:
        info = GATES[trace.cell][name]
        return (0.0, 1.0, SEQ_SCALE) if info.activation == "sigmoid" else (-1.0, 1.0, DIV_SCALE)
    if name == "h" and trace.nonlinearity != "relu":
        return -1.0, 1.0, DIV_SCALE
    v = float(np.abs(field_values(trace, name)).max()) or 1.0
    return -v, v, DIV_SCALE


def field_title(cell: str, name: str, lang: str = "en") -> str:
    if name in GATES.get(cell, {}):
        info = GATES[cell][name]
        return f"{name}: {info.meaning[lang].split('：')[0].split(':')[0]}"
    return f"{name}: {STATES[name][lang]}"


def downsample(values: np.ndarray, labels: list[str], window: tuple[int, int] | None = None,
               max_cols: int = MAX_COLUMNS) -> tuple[np.ndarray, list[str], int, int]:
    """Cut a [T, H] array to a window, then average bins of steps so at most ``max_cols`` remain.

    Returns (values [cols, H], column labels, first step, bin size)."""
    lo, hi = window if window else (0, values.shape[0])
    v, lab = values[lo:hi], labels[lo:hi]
    b = max(1, int(np.ceil(v.shape[0] / max_cols)))
    if b == 1:
        return v, lab, lo, 1
    n = v.shape[0] // b * b
    head = v[:n].reshape(-1, b, v.shape[1]).mean(axis=1)
    if n < v.shape[0]:
        head = np.concatenate([head, v[n:].mean(axis=0, keepdims=True)])
    return head, [f"{lo + i * b}–{min(lo + (i + 1) * b, hi) - 1}" for i in range(head.shape[0])], lo, b


def heatmaps(trace, layer: int, labels: list[str], step: int | None = None, window=None, lang: str = "en",
             fields: list[str] | None = None) -> go.Figure:
    """Unit × time heatmaps of every gate and state of one layer, stacked, aligned on the tokens."""
    fields = fields or [*GATE_ORDER[trace.cell], *(["pre"] if trace.cell == "rnn" else []),
                        *(["c"] if trace.cell == "lstm" else []), "h"]
    fig = make_subplots(rows=len(fields), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        subplot_titles=[field_title(trace.cell, f, lang) for f in fields])
    bin_size = 1
    for r, name in enumerate(fields, start=1):
        vals, cols, lo, bin_size = downsample(field_values(trace, name)[layer], labels, window)
        zmin, zmax, scale = field_range(trace, name)
        fig.add_trace(go.Heatmap(
            z=vals.T, x=list(range(len(cols))), zmin=zmin, zmax=zmax, colorscale=scale, customdata=_tile(cols, vals),
            hovertemplate="step %{customdata}<br>unit %{y}<br>" + name + " = %{z:.4f}<extra></extra>",
            colorbar=dict(len=1 / len(fields) * 0.9, y=1 - (r - 0.5) / len(fields), thickness=10),
            name=name), row=r, col=1)
        fig.update_yaxes(title_text=_tr("f_unit", lang), row=r, col=1)
    _token_axis(fig, cols, rows=len(fields))
    if step is not None and bin_size == 1 and (window is None or window[0] <= step < window[1]):
        x = step - (window[0] if window else 0)
        fig.add_vline(x=x, line=dict(color="#E69F00", width=2))
    fig.update_layout(height=170 * len(fields) + 60, margin=dict(l=50, r=20, t=40, b=40), showlegend=False)
    return fig


def _tile(cols: list[str], vals: np.ndarray) -> np.ndarray:
    return np.tile(np.array(cols, dtype=object)[:, None], (1, vals.shape[1])).T


def _token_axis(fig: go.Figure, cols: list[str], rows: int = 1) -> None:
    n = len(cols)
    every = max(1, n // 60)
    ticks = list(range(0, n, every))
    fig.update_xaxes(tickmode="array", tickvals=ticks, ticktext=[_show(cols[i]) for i in ticks], row=rows, col=1)


def _show(tok: str) -> str:
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(tok, tok)


def unit_lines(trace, layer: int, units: list[int], labels: list[str], step: int | None = None,
               lang: str = "en") -> go.Figure:
    """Chosen units over time, one panel per gate and state."""
    fields = [*GATE_ORDER[trace.cell], *(["c"] if trace.cell == "lstm" else []), "h"]
    fig = make_subplots(rows=len(fields), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[field_title(trace.cell, f, lang) for f in fields])
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
    x = list(range(trace.steps))
    for r, name in enumerate(fields, start=1):
        v = field_values(trace, name)[layer]
        for k, u in enumerate(units):
            fig.add_trace(go.Scatter(x=x, y=v[:, u], mode="lines", name=f"unit {u}", legendgroup=str(u),
                                     showlegend=r == 1, line=dict(color=palette[k % len(palette)]),
                                     customdata=labels, hovertemplate="%{customdata}: %{y:.4f}"), row=r, col=1)
        lo, hi, _ = field_range(trace, name)
        fig.update_yaxes(range=[lo * 1.05, hi * 1.05] if lo < 0 else [-0.05, 1.05], row=r, col=1)
    _token_axis(fig, labels, rows=len(fields))
    if step is not None:
        fig.add_vline(x=step, line=dict(color="#E69F00", width=2))
    fig.update_layout(height=140 * len(fields) + 60, margin=dict(l=50, r=20, t=40, b=40))
    return fig


def text_colouring(trace, layer: int, unit: int, tokens: list[str], field: str = "h", width: int = 40,
                   lang: str = "en") -> go.Figure:
    """The typed text, each token on a cell coloured by one unit's activation (Karpathy-style)."""
    v = field_values(trace, field)[layer][:, unit]
    n = len(tokens)
    rows = int(np.ceil(n / width))
    z = np.full((rows, width), np.nan)
    text = np.full((rows, width), "", dtype=object)
    z.flat[:n] = v
    text.flat[:n] = [_show(t) for t in tokens]
    zmin, zmax, scale = field_range(trace, field)
    fig = go.Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont=dict(size=15),
                               zmin=zmin, zmax=zmax, colorscale=scale, xgap=1, ygap=3,
                               hovertemplate="%{text}: %{z:.4f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(height=36 * rows + 80, margin=dict(l=10, r=10, t=30, b=10),
                      title=f"{field}[{_tr('f_unit', lang)} {unit}], {_tr('f_layer', lang)} {layer}")
    return fig


def saturation(trace, layer: int | None = None, lang: str = "en") -> go.Figure:
    """Share of each gate's values below 0.1 (nearly shut) and above 0.9 (nearly open)."""
    names = [g for g in GATE_ORDER[trace.cell] if GATES[trace.cell][g].activation == "sigmoid"]
    low, high = [], []
    for g in names:
        v = trace.gates[g] if layer is None else trace.gates[g][layer]
        low.append(float((v < 0.1).mean()))
        high.append(float((v > 0.9).mean()))
    fig = go.Figure([go.Bar(name="< 0.1", x=names, y=low, marker_color="#0072B2"),
                     go.Bar(name="> 0.9", x=names, y=high, marker_color="#E69F00")])
    fig.update_layout(barmode="group", yaxis=dict(range=[0, 1], title=_tr("f_share", lang)), height=300,
                      margin=dict(l=50, r=20, t=40, b=40), title=_tr("f_saturation", lang))
    return fig


def gradients(gf, labels: list[str] | None = None, title: str = "", lang: str = "en") -> go.Figure:
    """Gradient norms on a log scale against steps back from the end (0 = the last step)."""
    T = gf.dL_dx.shape[0]
    back = np.arange(T)[::-1]
    fig = go.Figure()

    def add(y, name, color, dash=None):
        y = np.asarray(y, dtype=float)
        fig.add_trace(go.Scatter(x=back, y=np.where(y > 0, y, np.nan), mode="lines", name=name,
                                 line=dict(color=color, dash=dash), customdata=labels,
                                 hovertemplate="%{x} steps back" + (" (%{customdata})" if labels else "")
                                 + "<br>%{y:.3e}"))

    for k in range(gf.dL_dh.shape[0]):
        add(gf.dL_dh[k], f"‖∂L/∂h_t‖ {_tr('f_layer', lang)} {k}", "#000000",
            None if k == gf.dL_dh.shape[0] - 1 else "dot")
    if gf.dL_dc is not None:
        add(gf.dL_dc[-1], "‖∂L/∂c_t‖", "#882255")
    add(gf.dL_dx, "‖∂L/∂x_t‖", "#009E73")
    if gf.dhT_dht is not None:
        add(gf.dhT_dht, "‖∂h_T/∂h_t‖", "#0072B2")
    if gf.cell_path is not None:
        add(gf.cell_path, _tr("f_cell_path", lang), "#D55E00", "dash")
    fig.update_yaxes(type="log", title=_tr("f_norm", lang), exponentformat="power")
    fig.update_xaxes(title=_tr("f_steps_back", lang), autorange="reversed")
    fig.update_layout(height=380, margin=dict(l=60, r=20, t=40, b=40), title=title or f"loss: {gf.loss_name}",
                      legend=dict(orientation="h", y=-0.25))
    return fig


def compare_jacobians(flows: dict, lang: str = "en") -> go.Figure:
    """‖∂h_T/∂h_t‖ of several models (e.g. RNN, GRU, LSTM) on the same input, log scale."""
    colours = {"rnn": "#D55E00", "gru": "#009E73", "lstm": "#0072B2"}
    fig = go.Figure()
    for name, gf in flows.items():
        T = gf.dhT_dht.shape[0]
        y = np.where(gf.dhT_dht > 0, gf.dhT_dht, np.nan)
        fig.add_trace(go.Scatter(x=np.arange(T)[::-1], y=y, mode="lines", name=name.upper(),
                                 line=dict(color=colours.get(name, "#000000"))))
    fig.update_yaxes(type="log", title="‖∂h_T/∂h_t‖ (log)", exponentformat="power")
    fig.update_xaxes(title=_tr("f_steps_back", lang), autorange="reversed")
    fig.update_layout(height=340, margin=dict(l=60, r=20, t=40, b=40))
    return fig


def compare_traces(original, clamped, layer: int, unit: int, labels: list[str], lang: str = "en") -> go.Figure:
    """h (and c) of one unit with and without the intervention."""
    fields = ["h"] + (["c"] if original.cell == "lstm" else [])
    fig = make_subplots(rows=len(fields), cols=1, shared_xaxes=True, subplot_titles=fields)
    x = list(range(original.steps))
    for r, f in enumerate(fields, start=1):
        for tr_, name, dash in ((original, _tr("f_original", lang), None), (clamped, _tr("f_clamped", lang), "dash")):
            fig.add_trace(go.Scatter(x=x, y=getattr(tr_, f)[layer][:, unit], name=name, showlegend=r == 1,
                                     line=dict(dash=dash, color="#0072B2" if dash is None else "#D55E00")),
                          row=r, col=1)
    _token_axis(fig, labels, rows=len(fields))
    fig.update_layout(height=200 * len(fields) + 60, margin=dict(l=50, r=20, t=40, b=40))
    return fig


def loss_curve(history: list, lang: str = "en") -> go.Figure:
    steps = [h[0] for h in history]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=steps, y=[h[1] for h in history], name=_tr("f_loss", lang),
                             line=dict(color="#0072B2")))
    fig.add_trace(go.Scatter(x=steps, y=[h[2] for h in history], name=_tr("f_batch_acc", lang),
                             line=dict(color="#E69F00")), secondary_y=True)
    fig.update_yaxes(type="log", title=_tr("f_loss", lang), secondary_y=False)
    fig.update_yaxes(range=[0, 1.02], title=_tr("f_batch_acc", lang), secondary_y=True)
    fig.update_layout(height=300, margin=dict(l=50, r=50, t=30, b=40))
    return fig


def prediction_bars(probs: np.ndarray, classes: list[str], title: str = "") -> go.Figure:
    order = np.argsort(probs)[::-1][:10]
    fig = go.Figure(go.Bar(x=[float(probs[i]) for i in order], y=[_show(classes[i]) for i in order],
                           orientation="h", marker_color="#0072B2"))
    fig.update_layout(height=40 + 24 * len(order), margin=dict(l=60, r=20, t=30, b=30), title=title,
                      xaxis=dict(range=[0, 1]), yaxis=dict(autorange="reversed"))
    return fig


# --- the cell diagram -----------------------------------------------------------------------------------

_LOOKUP: dict[str, list[str]] = {}


def _colour(v: float, lo: float, hi: float) -> str:
    """Fill colour for a value on the fixed scale of its kind (a 256-level table of the Plotly scale)."""
    import plotly.colors as pc

    scale = SEQ_SCALE if lo == 0 else DIV_SCALE
    if scale not in _LOOKUP:
        _LOOKUP[scale] = pc.sample_colorscale(scale, list(np.linspace(0, 1, 256)))
    frac = float(np.clip((v - lo) / (hi - lo), 0, 1))
    return _LOOKUP[scale][int(round(frac * 255))]


def _layout_lstm(tr, k, t, u):
    g = {n: float(tr.gates[n][k, t, u]) for n in "ifgo"}
    c_prev = float(tr.c[k, t - 1, u]) if t > 0 else 0.0
    h_prev = float(tr.h[k, t - 1, u]) if t > 0 else 0.0
    c, h = float(tr.c[k, t, u]), float(tr.h[k, t, u])
    boxes = [  # (x, y, label, value, range)
        (2, 1, "f = σ", g["f"], (0, 1)), (4, 1, "i = σ", g["i"], (0, 1)),
        (5.6, 1, "c̃ = tanh", g["g"], (-1, 1)), (7.6, 1, "o = σ", g["o"], (0, 1)),
    ]
    ops = [(2, 3, "×", f"f·c₍ₜ₋₁₎ = {g['f'] * c_prev:+.3f}"), (5.6, 3, "+", f"i·c̃ = {g['i'] * g['g']:+.3f}"),
           (5.6, 2, "×", ""), (8.8, 2.2, "tanh", f"{np.tanh(c):+.3f}"), (8.8, 1, "×", "")]
    wires = [((0, 3), (10, 3)), ((0, -0.5), (8, -0.5)), ((1, -1.4), (1, -0.5)), ((2, -0.5), (2, 0.6)),
             ((4, -0.5), (4, 0.6)), ((5.6, -0.5), (5.6, 0.6)), ((7.6, -0.5), (7.6, 0.6)), ((2, 1.4), (2, 2.8)),
             ((4, 1.4), (5.4, 2)), ((5.6, 1.4), (5.6, 1.8)), ((5.6, 2.2), (5.6, 2.8)), ((8.8, 3), (8.8, 2.5)),
             ((8.8, 1.9), (8.8, 1.2)), ((7.6, 1.4), (8.6, 1)), ((8.8, 0.8), (8.8, -0.5)), ((8.8, -0.5), (10, -0.5)),
             ((9.4, -0.5), (9.4, 4))]
    labels = [(0, 3.35, f"c₍ₜ₋₁₎ = {c_prev:+.3f}"), (10, 3.35, f"cₜ = {c:+.3f}"),
              (0, -0.85, f"h₍ₜ₋₁₎ = {h_prev:+.3f}"), (1, -1.75, "xₜ"), (10, -0.85, f"hₜ = {h:+.3f}"),
              (9.4, 4.25, "hₜ ↑")]
    return boxes, ops, wires, labels


def _layout_gru(tr, k, t, u):
    g = {n: float(tr.gates[n][k, t, u]) for n in "rzn"}
    h_prev = float(tr.h[k, t - 1, u]) if t > 0 else 0.0
    h = float(tr.h[k, t, u])
    boxes = [(2.5, 1, "r = σ", g["r"], (0, 1)), (5, 1, "z = σ", g["z"], (0, 1)),
             (7.5, 1, "n = tanh", g["n"], (-1, 1))]
    ops = [(5, 3, "×", f"z·h₍ₜ₋₁₎ = {g['z'] * h_prev:+.3f}"),
           (7.5, 2.2, "×", f"(1−z)·n = {(1 - g['z']) * g['n']:+.3f}"),
           (8.6, 3, "+", ""), (3.6, 1.9, "×", "")]
    wires = [((0, 3), (10, 3)), ((0, 3), (0, -0.5)), ((0, -0.5), (7.5, -0.5)), ((1, -1.4), (1, -0.5)),
             ((2.5, -0.5), (2.5, 0.6)), ((5, -0.5), (5, 0.6)), ((7.5, -0.5), (7.5, 0.6)), ((5, 1.4), (5, 2.8)),
             ((5, 1.4), (7.3, 2.2)), ((7.5, 1.4), (7.5, 2)), ((7.5, 2.4), (8.4, 3)), ((2.5, 1.4), (3.5, 1.8)),
             ((3.7, 1.8), (7.3, 1.1))]
    labels = [(0, 3.35, f"h₍ₜ₋₁₎ = {h_prev:+.3f}"), (10, 3.35, f"hₜ = {h:+.3f}"), (1, -1.75, "xₜ"),
              (2.8, 2.3, "r ⊙ (W_hn h + b_hn)"),
              (5, 4.0, "PyTorch: hₜ = (1 − z) ⊙ n + z ⊙ h₍ₜ₋₁₎   (z ≈ 1 keeps the past)")]
    return boxes, ops, wires, labels


def _layout_rnn(tr, k, t, u):
    h_prev = float(tr.h[k, t - 1, u]) if t > 0 else 0.0
    h, pre = float(tr.h[k, t, u]), float(tr.pre[k, t, u])
    act = "relu" if tr.nonlinearity == "relu" else "tanh"
    boxes = [(5, 1.5, f"h = {act}", h, (-1, 1))]
    ops = [(5, -0.2, "+", f"W_ih x + W_hh h₍ₜ₋₁₎ + b = {pre:+.3f}")]
    wires = [((0, -0.2), (4.8, -0.2)), ((3, -1.4), (3, -0.2)), ((5, 0), (5, 1.1)), ((5, 1.9), (5, 3)),
             ((5, 3), (10, 3)), ((8, 3), (8, -0.2)), ((8, -0.2), (10, -0.2))]
    labels = [(0, 0.15, f"h₍ₜ₋₁₎ = {h_prev:+.3f}"), (3, -1.75, "xₜ"), (10, 3.35, f"hₜ = {h:+.3f}")]
    return boxes, ops, wires, labels


def _diagram_parts(tr, layer: int, t: int, unit: int):
    """Static drawing (shapes, annotations) and the per-step values (box fills, texts) of the diagram."""
    make = {"lstm": _layout_lstm, "gru": _layout_gru, "rnn": _layout_rnn}[tr.cell]
    boxes, ops, wires, labels = make(tr, layer, t, unit)
    shapes, notes = [], []
    for (x0, y0), (x1, y1) in wires:
        shapes.append(dict(type="line", x0=x0, y0=y0, x1=x1, y1=y1, layer="below",
                           line=dict(color="#777777", width=2)))
    for x, y, sym, _ in ops:
        rx = 0.22 if len(sym) == 1 else 0.4  # a word ("tanh") needs a wider ring than one symbol
        shapes.append(dict(type="circle", x0=x - rx, y0=y - 0.2, x1=x + rx, y1=y + 0.2, fillcolor="#FFFFFF",
                           line=dict(color="#333333")))
        notes.append(dict(x=x, y=y, text=sym, showarrow=False, font=dict(size=12)))
    fills = [_colour(v, lo, hi) for _, _, _, v, (lo, hi) in boxes]
    tx, ty, texts, ink = [], [], [], []
    for x, y, name, v, (lo, hi) in boxes:
        tx.append(x)
        ty.append(y)
        texts.append(f"{name}<br><b>{v:.3f}</b>")
        dark = (v - lo) / (hi - lo) < 0.55 if lo == 0 else abs(v) > 0.6  # white numbers on dark fills
        ink.append("#FFFFFF" if dark else "#000000")
    for x, y, _, text in ops:
        tx.append(x)
        ty.append(y - 0.45)
        texts.append(text)
        ink.append("#333333")
    for x, y, text in labels:
        tx.append(x)
        ty.append(y)
        texts.append(text)
        ink.append("#000000")
    return shapes, notes, [(x, y) for x, y, *_ in boxes], fills, (tx, ty, texts, ink)


def _box_trace(x: float, y: float, fill: str) -> go.Scatter:
    return go.Scatter(x=[x - 0.7, x + 0.7, x + 0.7, x - 0.7, x - 0.7], y=[y - 0.4, y - 0.4, y + 0.4, y + 0.4, y - 0.4],
                      mode="lines", fill="toself", fillcolor=fill, line=dict(color="#333333", width=1),
                      hoverinfo="skip", showlegend=False)


MAX_FRAMES = 300  # steps the diagram can play in the browser around the current one


def cell_diagram(tr, layer: int, unit: int, step: int, tokens: list[str] | None = None,
                 lang: str = "en") -> go.Figure:
    """The cell with this model's values for one unit at step t; the play button animates the steps in
    the browser (Plotly frames: no server round trip per frame). Frames change only the box colours and
    the numbers, so even hundreds of steps stay light."""
    lo = max(0, min(step - MAX_FRAMES // 2, tr.steps - MAX_FRAMES))
    frames_steps = range(lo, min(tr.steps, lo + MAX_FRAMES))

    def title(t):
        tok = f" — “{_show(tokens[t])}”" if tokens else ""
        return (f"{tr.cell.upper()} {_tr('f_layer', lang)} {layer}, {_tr('f_unit', lang)} {unit}, "
                f"{_tr('f_step', lang)} t = {t}{tok}")

    shapes, notes, centres, fills, (tx, ty, texts, ink) = _diagram_parts(tr, layer, step, unit)
    fig = go.Figure([go.Scatter(x=[-1, 11], y=[-2.2, 4.6], mode="markers", marker=dict(opacity=0),
                                hoverinfo="skip", showlegend=False)]
                    + [_box_trace(x, y, f) for (x, y), f in zip(centres, fills)]
                    + [go.Scatter(x=tx, y=ty, text=texts, mode="text", textfont=dict(size=12, color=ink),
                                  hoverinfo="skip", showlegend=False)])
    n = len(centres)
    frames = []
    for t in frames_steps:
        _, _, _, f_t, (_, _, text_t, ink_t) = _diagram_parts(tr, layer, t, unit)
        frames.append(dict(name=str(t), traces=list(range(1, n + 2)),
                           data=[dict(fillcolor=f) for f in f_t] + [dict(text=text_t, textfont=dict(color=ink_t))],
                           layout=dict(title=dict(text=title(t)))))
    fig.update_layout(
        shapes=shapes, annotations=notes, title=dict(text=title(step)), height=430,
        xaxis=dict(visible=False, range=[-1.3, 11.3]), yaxis=dict(visible=False, range=[-2.3, 4.7]),
        margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="white",
        updatemenus=[dict(type="buttons", x=0, y=-0.02, xanchor="left", yanchor="top", direction="left", buttons=[
            dict(label="▶ play", method="animate",
                 args=[None, dict(frame=dict(duration=500, redraw=True), fromcurrent=True,
                                  transition=dict(duration=0))]),
            dict(label="❚❚ pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")]),
        ])],
        sliders=[dict(active=step - lo, x=0.18, len=0.8, y=-0.02, currentvalue=dict(prefix="t = "),
                      steps=[dict(method="animate", label=str(t),
                                  args=[[str(t)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
                             for t in frames_steps])],
    )
    fig.frames = [go.Frame(f) for f in frames] if len(frames) <= 1 else _fast_frames(frames)
    return fig


def _fast_frames(frames: list[dict]) -> tuple:
    """Frames built without Plotly's per-property validation (their keys are fixed above and few)."""
    out = []
    for f in frames:
        fr = go.Frame()
        fr._props.update(f)  # noqa: SLF001 - plain dict, as Plotly would store it after validation
        out.append(fr)
    return tuple(out)
