"""Plotly figures: pure functions of a Trace / GradientFlow (and labels); nothing here runs a model.

Colour ranges are fixed so pictures compare across steps and models: sigmoid gates [0, 1] (Cividis),
tanh values and h [-1, 1] and c symmetric about 0 (RdBu, reversed); both scales are colour-blind-safe.
"""

from __future__ import annotations

import functools
import json
import textwrap
import warnings

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_viz.i18n import tr as _tr
from lstm_viz.notation import DIV_SCALE, GATE_ORDER, GATES, SEQ_SCALE, STATES, UNIT_PALETTE, colour_of

MAX_COLUMNS = 400  # heatmap columns drawn at most; longer sequences are shown as bin means
FLOOR = 1e-45  # the smallest positive float32 (subnormal): below it a gradient has underflowed to 0


def scale_stops(name: str) -> list:
    """A Plotly colour scale as [[fraction, "rgb(...)"], ...], for the step player to colour the same way."""
    import plotly.colors as pc

    return [[float(f), pc.convert_colors_to_same_type(c, "rgb")[0][0]] for f, c in pc.get_colorscale(name)]


PRESENTER_FONT = 18  # px: chart type on a projector (tick labels and legends 2 px smaller)


def projector_type(spec: dict) -> dict:
    """The figure ``spec`` (Plotly's dict) with type for a projector: PRESENTER_FONT for the text, the title, the
    axis titles and the notes, 2 px less for tick labels and the legend. ``spec`` is not changed."""
    small = PRESENTER_FONT - 2
    layout = dict(spec.get("layout", {}))

    def font(part, key, size):
        part = dict(part or {})
        if isinstance(part.get(key), str):  # a title given as its text
            part[key] = {"text": part[key]}
        part[key] = {**(part.get(key) or {}), "font": {**((part.get(key) or {}).get("font") or {}), "size": size}}
        return part

    layout["font"] = {**(layout.get("font") or {}), "size": PRESENTER_FONT}
    layout["legend"] = {**(layout.get("legend") or {}), "font": {**((layout.get("legend") or {}).get("font") or {}),
                                                                  "size": small}}
    layout = font(layout, "title", PRESENTER_FONT)
    for name in [k for k in layout if k[1:5] == "axis" and k[0] in "xy"]:
        axis = font(layout[name], "title", PRESENTER_FONT)
        axis["tickfont"] = {**(axis.get("tickfont") or {}), "size": small}
        layout[name] = axis
    if layout.get("annotations"):
        layout["annotations"] = [{**a, "font": {**(a.get("font") or {}), "size": PRESENTER_FONT}}
                                 for a in layout["annotations"]]
    return {**spec, "layout": layout}


def for_projector(fig: go.Figure) -> go.Figure:
    """``fig`` with type for a projector (projector_type)."""
    return go.Figure(projector_type(fig.to_plotly_json()), _validate=False)


def from_json(spec: str) -> go.Figure:
    """A Figure read back from its own ``to_json()``: not validated again (it was when it was built), so about
    1 ms where building it took 10–100 ms."""
    return go.Figure(json.loads(spec), _validate=False)


def _cursor_meta(lo: int = 0, bin_size: int = 1, grid: int | None = None) -> dict:
    """Where the step player draws its cursor on a chart: step t at x = (t - lo) / bin_size (or, on a grid of
    ``grid`` columns, the cell of t). The player moves it in the browser; the server draws none."""
    return {"cursor": {"lo": lo, "bin": bin_size, "grid": grid}}


def _cursor(fig: go.Figure, lo: int = 0, bin_size: int = 1, grid: int | None = None) -> None:
    fig.update_layout(meta=_cursor_meta(lo, bin_size, grid))


def image(fig: go.Figure, fmt: str, **size) -> bytes:
    """``fig`` as a static image ("svg" or "png") drawn by Kaleido, which drives a local Chromium: one Chromium per
    process, started with the first picture and kept, so that each picture after it takes a fraction of a second
    (the handout's sixteen, a notebook's picture of each step). RuntimeError where Kaleido finds no Chromium."""
    _kaleido_server()
    with warnings.catch_warnings():  # Kaleido's note that its kept Chromium ignores per-picture browser options
        warnings.simplefilter("ignore")
        return fig.to_image(format=fmt, **size)


@functools.cache
def _kaleido_server() -> None:
    try:
        import kaleido

        kaleido.start_sync_server(silence_warnings=True)
    except Exception:  # no Chromium to keep: each picture then starts its own, or says there is none
        pass


def at_step(fig: go.Figure, t: int) -> go.Figure:
    """A chart whose cursor the step player draws (``_cursor_meta``, a time axis) with the cursor drawn into it at
    step ``t``, where the player draws it, in its colours: a static picture of the step (a notebook's PNG)."""
    cur = fig.layout.meta["cursor"]
    x = (t - cur["lo"]) / cur["bin"]
    x = np.floor(x) if cur["bin"] > 1 else x
    rows = len(fig._grid_ref) if fig._grid_ref else 1
    for colour, width in ((colour_of("halo"), 6), (colour_of("cursor"), 3)):
        for r in range(1, rows + 1):
            where = {"row": r, "col": 1} if rows > 1 else {}
            fig.add_vline(x=float(x), line=dict(color=colour, width=width), **where)
    return fig


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


def heatmaps(trace, layer: int, labels: list[str], window=None, lang: str = "en",
             fields: list[str] | None = None, highlight: tuple[int, ...] = (), height: int | None = None,
             unit: int | None = None) -> go.Figure:
    """Unit × time heatmaps of every gate and state of one layer (or of ``fields``), stacked, aligned on the
    tokens; units in ``highlight`` are outlined with a dashed line, the unit shown (``unit``) with a solid one."""
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
    _cursor(fig, lo, bin_size)
    outlined = [(u, "dash", 2) for u in highlight if u != unit] + ([(unit, "solid", 4)] if unit is not None else [])
    for r in range(1, len(fields) + 1):
        for u, dash, width in outlined:  # a white halo under the outline: visible on the dark fills too
            fig.add_hrect(y0=u - 0.5, y1=u + 0.5, line=dict(color=colour_of("halo"), width=width + 3, dash=dash),
                          row=r, col=1)
            fig.add_hrect(y0=u - 0.5, y1=u + 0.5, line=dict(color=colour_of("cursor"), width=width, dash=dash),
                          row=r, col=1)
    fig.update_layout(height=height or 170 * len(fields) + 60, margin=dict(l=50, r=20, t=40, b=40), showlegend=False)
    return fig


def _tile(cols: list[str], vals: np.ndarray) -> np.ndarray:
    return np.tile(np.array(cols, dtype=object)[:, None], (1, vals.shape[1])).T


def _token_ticks(cols: list[str]) -> dict:
    """An x axis labelled with the tokens (at most about 60 of them)."""
    ticks = list(range(0, len(cols), max(1, len(cols) // 60)))
    return dict(tickmode="array", tickvals=ticks, ticktext=[_show(cols[i]) for i in ticks])


def _token_axis(fig: go.Figure, cols: list[str], rows: int = 1) -> None:
    fig.update_xaxes(**_token_ticks(cols), row=rows, col=1)


def _show(tok: str) -> str:
    """A token or label as a chart draws it: blanks made visible, and plain text (Plotly reads tags and entities in
    any text it draws, so ``<``, ``>`` and ``&`` become entities)."""
    tok = {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(tok, tok)
    return tok.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shown(labels):
    return None if labels is None else [_show(str(t)) for t in labels]


def unit_lines(trace, layer: int, units: list[int], labels: list[str], lang: str = "en") -> go.Figure:
    """Chosen units over time, one panel per gate and state."""
    fields = [*GATE_ORDER[trace.cell], *(["c"] if trace.cell == "lstm" else []), "h"]
    fig = make_subplots(rows=len(fields), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[field_title(trace.cell, f, lang) for f in fields])
    palette = UNIT_PALETTE
    x = list(range(trace.steps))
    for r, name in enumerate(fields, start=1):
        v = field_values(trace, name)[layer]
        for k, u in enumerate(units):
            fig.add_trace(go.Scatter(x=x, y=v[:, u], mode="lines", name=f"unit {u}", legendgroup=str(u),
                                     showlegend=r == 1, line=dict(color=palette[k % len(palette)]),
                                     customdata=_shown(labels), hovertemplate="%{customdata}: %{y:.4f}"), row=r, col=1)
        lo, hi, _ = field_range(trace, name)
        fig.update_yaxes(range=[lo * 1.05, hi * 1.05] if lo < 0 else [-0.05, 1.05], row=r, col=1)
    _token_axis(fig, labels, rows=len(fields))
    _cursor(fig)
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
    _cursor(fig, grid=width)
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
    fig = go.Figure([go.Bar(name="< 0.1", x=names, y=low, marker_color=colour_of("shut")),
                     go.Bar(name="> 0.9", x=names, y=high, marker_color=colour_of("open"))])
    fig.update_layout(barmode="group", yaxis=dict(range=[0, 1], title=_tr("f_share", lang)), height=300,
                      margin=dict(l=50, r=20, t=40, b=40), title=_tr("f_saturation", lang))
    return fig


LOG_STEP = 10  # decades: a gradient view's y range is a multiple of this, at least ±LOG_STEP


def log_range(*arrays) -> list[float]:
    """A log10 y range in steps of LOG_STEP decades that holds every finite positive value: it stays put while a
    knob moves values about, and grows only when they leave it (never past what float32 holds). Tight enough that
    five decades lost in a sequence are a quarter of the chart's height."""
    vals = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays if a is not None] or [np.ones(1)])
    pos = vals[np.isfinite(vals) & (vals > 0)]
    k = LOG_STEP
    lo = min(-k, k * np.floor(np.log10(pos.min()) / k)) if pos.size else -k
    hi = max(k, k * np.ceil(np.log10(pos.max()) / k)) if pos.size else k
    return [max(lo, np.log10(FLOOR)), min(hi, 39.0)]


def log_dtick(y_range: list[float]) -> int:
    """Decades between the labels of a log axis over ``y_range``: about six labels, at multiples of a round number
    of decades, fixed by the range alone (not by the height the plot is left with)."""
    span = y_range[1] - y_range[0]
    return max([n for n in (1, 2, 3, 5, 6, 10, 20, 30) if n <= span / 6] or [1])


STEP_TICKS = 12  # at most this many labels on a steps-back axis


def step_tick(T: int) -> int:
    """The smallest step of 1, 2, 5, 10, 20, 50, … that puts at most STEP_TICKS labels on T steps."""
    for k in range(12):
        for m in (1, 2, 5):
            if T <= m * 10**k * STEP_TICKS:
                return m * 10**k
    return 10**12


def _steps_axis(T: int, lang: str) -> dict:
    """Steps back from the end on x (T-1 … 0), whole numbers only, the last step on the right."""
    pad = max(0.5, 0.01 * T)
    return dict(title=dict(text=_tr("f_steps_back", lang)), range=[T - 1 + pad, -pad], tickformat="d",
                dtick=step_tick(T), tick0=0, automargin=True)


def _log_axis(title: str, y_range: list[float]) -> dict:
    """A log y axis over ``y_range`` (decades) with powers of ten for labels, the same ticks however many legend
    rows a knob adds."""
    return dict(type="log", title=dict(text=title), exponentformat="power", range=list(y_range),
                dtick=log_dtick(y_range), tick0=0, automargin=True)  # its title clear of the labels at any size


def _norm_line(back, y, name, colour, y_range, labels=None, dash=None, group=None, legend=True) -> list[dict]:
    """One gradient-norm curve on a log axis, as Plotly traces: underflowed steps (exactly 0) marked on the floor,
    overflowed ones (inf or NaN) on the ceiling, so that neither is left as blank space. None for an all-missing
    curve."""
    y = np.asarray(y, dtype=float)
    if y.size == 0:
        return []
    good = np.isfinite(y) & (y > 0)
    under, over = y == 0, ~np.isfinite(y)
    hover = "%{x} " + _tr("f_steps_back_short", "en") + (" (%{customdata})" if labels is not None else "") \
        + "<br>%{y:.3e}<extra>" + name + "</extra>"
    out = []
    if good.any():
        line = dict(color=colour) if dash is None else dict(color=colour, dash=dash)
        out.append(_trace(type="scatter", x=back, y=np.where(good, y, np.nan), mode="lines", name=name,
                          legendgroup=group, line=line, customdata=_shown(labels), hovertemplate=hover,
                          showlegend=legend))
    for mask, edge, symbol, key in ((under, y_range[0], "triangle-down", "f_underflow"),
                                    (over, y_range[1], "triangle-up", "f_overflow")):
        if mask.any():
            out.append(_trace(
                type="scatter", x=back[mask], y=np.full(int(mask.sum()), 10.0 ** edge), mode="markers",
                legendgroup=group, name=f"{name}: {_tr(key, 'en')}", showlegend=bool(not good.any() and legend),
                marker=dict(symbol=symbol, size=8, color=colour, line=dict(color=colour_of("limit"), width=1)),
                hovertemplate="%{x}: " + name + " " + _tr(key, "en") + "<extra></extra>"))
    return out


def _trace(**props) -> dict:
    """A trace as Plotly reads it, without the properties left unset (None)."""
    return {k: v for k, v in props.items() if v is not None}


def _overflow_note(gf_list, lang) -> list[dict]:
    """"exploded past 10^38 at step …" where any curve overflowed, as the figure's annotations."""
    steps = []
    for gf in gf_list:
        for a in (gf.dL_dh, gf.dL_dc, gf.dhT_dht, gf.dL_dx):
            if a is not None:
                bad = np.flatnonzero(~np.isfinite(np.asarray(a, dtype=float)).reshape(-1, a.shape[-1]).all(axis=0))
                if bad.size:
                    steps.append(int(bad.max()))
    if not steps:
        return []
    return [dict(text=_tr("f_exploded", lang, t=max(steps)), xref="paper", yref="paper", x=0.5, y=1.0,
                 yanchor="bottom", showarrow=False, font=dict(color=colour_of("clip")))]


def spec_figure(spec):
    """A figure builder from ``spec``, a function that returns the figure as Plotly's plain dict: the builder
    returns it as a go.Figure, and keeps ``spec`` as its ``.spec`` for the knobs' sweeps (teach/sweeps), which
    build hundreds of figures and send them as data: about 0.3 ms each as dicts, 8 ms as go.Figures."""
    def build(*args, **kwargs) -> go.Figure:
        return go.Figure(spec(*args, **kwargs))

    build.spec = spec
    build.__name__ = build.__qualname__ = spec.__name__.removesuffix("_spec")
    build.__doc__ = spec.__doc__
    return build


def gradients_spec(gf, labels: list[str] | None = None, title: str = "", lang: str = "en", other=None,
                   other_name: str = "", y_range: list[float] | None = None) -> dict:
    """Gradient norms on a log scale against steps back from the end (0 = the last step).

    ``other``: a second GradientFlow of the same sequence (an intervention) drawn dashed on the same axes.
    With clipping, each step's term of ∂L/∂W_hh is drawn before and after clipping."""
    T = gf.dL_dx.shape[0]
    back = np.arange(T)[::-1]
    flows = [(gf, None, "")] + ([(other, "dash", f" ({other_name})")] if other is not None else [])
    y_range = y_range or log_range(*[a for f, _, _ in flows for a in (f.dL_dh, f.dL_dc, f.dL_dx, f.dhT_dht)])
    data = []
    for f, dash, suffix in flows:
        D = f.directions
        runs = f.dL_dh.shape[0]
        arrows = ("",) if D == 1 else (" →", " ←")  # a bidirectional model: each direction has its own lines
        for r in range(runs):
            k, d = divmod(r, D)
            data += _norm_line(back, f.dL_dh[r], f"‖∂L/∂h_t‖ {_tr('f_layer', lang)} {k}{arrows[d]}{suffix}",
                               colour_of("h"), y_range, labels, dash or (None if r >= runs - D and d == 0 else "dot"))
        for d in range(D):
            top = runs - D + d
            jac, path = f.top_series("dhT_dht", d), f.top_series("cell_path", d)
            if f.dL_dc is not None:
                data += _norm_line(back, f.dL_dc[top], f"‖∂L/∂c_t‖{arrows[d]}{suffix}", colour_of("c"), y_range,
                                   labels, dash or (None if d == 0 else "dot"))
            if jac is not None:
                end = "h_T" if d == 0 else "h_0"
                data += _norm_line(back, jac, f"‖∂{end}/∂h_t‖{arrows[d]}{suffix}", colour_of("jacobian"), y_range,
                                   labels, dash or (None if d == 0 else "dot"))
            if path is not None:
                data += _norm_line(back, path, _tr("f_cell_path", lang) + arrows[d] + suffix,
                                   colour_of("f", "lstm"), y_range, labels, dash or "dash")
        data += _norm_line(back, f.dL_dx, f"‖∂L/∂x_t‖{suffix}", colour_of("x"), y_range, labels, dash)
    if gf.clip is not None and np.isfinite(gf.grad_norm) and gf.grad_norm > 0:
        scale = gf.grad_norm_clipped / gf.grad_norm
        term = np.asarray(gf.dL_dW_hh[-gf.directions], dtype=float)  # the top layer (its forward direction)
        data += _norm_line(back, term, _tr("f_whh_term", lang), colour_of("clip"), y_range, labels, "dot")
        data += _norm_line(back, term * scale, _tr("f_whh_clipped", lang), colour_of("clip"),
                           y_range, labels)
    title = title or f"loss: {gf.loss_name}"
    wide = any(ord(ch) >= 0x2E80 for ch in title)  # CJK characters: each about two Latin letters wide
    title = textwrap.wrap(title, 24 if wide else 48) or [""]  # half a desktop's width: no line clipped
    layout = dict(height=400 + 20 * (len(title) - 1), margin=dict(l=60, r=20, t=30 + 22 * len(title), b=40),
                  title=dict(text="<br>".join(title), x=0, xanchor="left", font=dict(size=15)),
                  legend=dict(orientation="h", y=-0.25), xaxis=_steps_axis(T, lang),
                  yaxis=_log_axis(_tr("f_norm", lang), y_range), annotations=_overflow_note([f for f, _, _ in flows],
                                                                                             lang))
    return dict(data=data, layout=layout)


gradients = spec_figure(gradients_spec)


def memory_gradient(gf) -> np.ndarray:
    """The gradient that reaches the state carrying a cell's memory, per step, top layer: ‖∂L/∂c_t‖ for the LSTM,
    ‖∂L/∂h_t‖ for the RNN and the GRU."""
    top = -gf.directions  # the top layer's (forward) row
    return gf.dL_dc[top] if gf.dL_dc is not None else gf.dL_dh[top]


def compare_cells_spec(flows: dict, lang: str = "en", y_range: list[float] | None = None) -> dict:
    """Several models (e.g. RNN, GRU, LSTM) on the same input and loss: the gradient reaching each one's memory
    state t steps back (memory_gradient), log scale."""
    y_range = y_range or log_range(*[memory_gradient(gf) for gf in flows.values()])
    data = []
    for name, gf in flows.items():
        y = memory_gradient(gf)
        T = y.shape[0]
        state = "c" if gf.dL_dc is not None else "h"
        data += _norm_line(np.arange(T)[::-1], y, f"{name.upper()}: ‖∂L/∂{state}_t‖", colour_of(name), y_range)
    layout = dict(height=340, margin=dict(l=60, r=20, t=40, b=40), xaxis=_steps_axis(T, lang),
                  legend=dict(orientation="h", y=-0.25),
                  yaxis=_log_axis(_tr("f_memory_gradient", lang), y_range),
                  annotations=_overflow_note(list(flows.values()), lang))
    return dict(data=data, layout=layout)


compare_cells = spec_figure(compare_cells_spec)


@functools.lru_cache(maxsize=32)
def _stacked_layout(titles: tuple[str, ...]) -> str:
    """The layout of charts stacked on one shared x axis, one per title (Plotly's make_subplots, as JSON without
    the template: the page's figure adds Plotly's own): built once per set of titles."""
    fig = make_subplots(rows=len(titles), cols=1, shared_xaxes=True, subplot_titles=list(titles))
    layout = fig.to_plotly_json()["layout"]
    layout.pop("template", None)
    return json.dumps(layout)


def compare_traces_spec(original, clamped, layer: int, unit: int, labels: list[str], lang: str = "en",
                        fields: list[str] | None = None) -> dict:
    """h (and c) of one unit (or ``fields``) with and without the intervention, on the same axes, as Plotly's plain
    dict. Each y range is set: a field's fixed range (gates [0, 1], tanh values [−1, 1]), or for c and a ReLU h,
    symmetric about 0 in steps of 0.5 that hold both runs, so that a dragged clamp moves the lines, not the axes,
    until they leave it."""
    fields = fields or ["h"] + (["c"] if original.cell == "lstm" else [])
    layout = json.loads(_stacked_layout(tuple(field_title(original.cell, f, lang) for f in fields)))
    x = np.arange(original.steps)
    shown = _shown(labels)
    data = []
    for r, f in enumerate(fields, start=1):
        axis = "" if r == 1 else str(r)
        for run, key, dash in ((original, "original", None), (clamped, "clamped", "dash")):
            data.append(dict(type="scatter", x=x, y=np.asarray(getattr(run, f)[layer][:, unit]),
                             name=_tr(f"f_{key}", lang), showlegend=r == 1, legendgroup=key, customdata=shown,
                             hovertemplate="%{customdata}: %{y:.4f}",
                             line=dict(color=colour_of(key), **({"dash": dash} if dash else {})),
                             xaxis=f"x{axis}", yaxis=f"y{axis}"))
        lo, hi, _ = field_range(original, f)
        if f == "c" or (f == "h" and original.nonlinearity == "relu"):
            both = np.abs(np.concatenate([np.asarray(getattr(run, f)[layer][:, unit], dtype=float)
                                          for run in (original, clamped)]))
            hi = max(0.5, 0.5 * float(np.ceil(np.nanmax(both, initial=0.0) / 0.5)))
            lo = -hi
        pad = 0.05 * (hi - lo)
        layout[f"yaxis{axis}"]["range"] = [lo - pad, hi + pad]
    layout["xaxis" + ("" if len(fields) == 1 else str(len(fields)))].update(_token_ticks(labels))  # the bottom one
    layout.update(height=200 * len(fields) + 90, margin=dict(l=50, r=20, t=70, b=40),  # the title above the fields'
                  title=dict(text=f"{_tr('f_unit', lang)} {unit}, {_tr('f_layer', lang)} {layer}", x=0,
                             xanchor="left", font=dict(size=15)),
                  meta=_cursor_meta())
    return dict(data=data, layout=layout)


compare_traces = spec_figure(compare_traces_spec)


def loss_curve(history: list, lang: str = "en") -> go.Figure:
    steps = [h[0] for h in history]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=steps, y=[h[1] for h in history], name=_tr("f_loss", lang),
                             line=dict(color=colour_of("loss"))))
    fig.add_trace(go.Scatter(x=steps, y=[h[2] for h in history], name=_tr("f_batch_acc", lang),
                             line=dict(color=colour_of("accuracy"))), secondary_y=True)
    fig.update_yaxes(type="log", title=_tr("f_loss", lang), secondary_y=False)
    fig.update_yaxes(range=[0, 1.02], title=_tr("f_batch_acc", lang), secondary_y=True)
    fig.update_layout(height=300, margin=dict(l=50, r=50, t=30, b=40))
    return fig


def loss_curves(histories: dict, lang: str = "en") -> go.Figure:
    """Training loss against the update, one line per run (``histories``: name -> [(step, loss, accuracy)]), on
    one log axis so that runs trained with one budget compare step for step."""
    fig = go.Figure()
    for k, (name, history) in enumerate(histories.items()):
        fig.add_trace(go.Scatter(x=[h[0] for h in history], y=[h[1] for h in history], name=name, mode="lines",
                                 line=dict(color=UNIT_PALETTE[k % len(UNIT_PALETTE)])))
    fig.update_yaxes(type="log", title=_tr("f_loss", lang))
    fig.update_xaxes(title=_tr("f_update", lang))
    fig.update_layout(height=320, margin=dict(l=50, r=20, t=40, b=40), title=_tr("f_loss_curves", lang),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return fig


def unrolled(trace, flow, labels: list[str], top: list[str] | None = None, steps: int = 8, layer: int | None = None,
             lang: str = "en") -> go.Figure:
    """The network unrolled over its first ``steps`` steps: x_t → h_t → y_t at every t, the same W_xh, W_hh and
    W_hy on every copy, and the gradient flowing back along h with ‖∂L/∂h_t‖ on each backward edge.

    ``top``: the readout's most probable output at each step (None: the model has no readout)."""
    shown = trace.num_layers - 1 if layer is None else layer
    n = min(steps, trace.steps)
    fig = go.Figure()
    ys = {"x": 0.0, "h": 1.0, "y": 2.0}
    h_norm = np.linalg.norm(np.asarray(trace.h[shown, :n], dtype=float), axis=1)

    notes = []  # every arrow and label, set on the layout at once (add_annotation one by one is quadratic)

    def arrow(x0, y0, x1, y1, colour, text="", dash=False, width=2):
        notes.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                          arrowhead=2, arrowsize=1.2, arrowwidth=width, arrowcolor=colour, text="", standoff=14,
                          startstandoff=14))
        if text:
            notes.append(dict(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=text, showarrow=False,
                              font=dict(color=colour, size=12), yshift=10 if not dash else -12))

    for t in range(n):
        arrow(t, ys["x"], t, ys["h"], colour_of("x"), "W_xh" if t == 0 else "")
        if top is not None:
            arrow(t, ys["h"], t, ys["y"], colour_of("bar"), "W_hy" if t == 0 else "")
        if t > 0:
            arrow(t - 1, ys["h"], t, ys["h"], colour_of("h"), "W_hh")
    if flow is not None:  # the gradient, backwards along h, labelled with ‖∂L/∂h_t‖ of the step it reaches
        for t in range(n - 1, 0, -1):
            g = float(flow.dL_dh[shown * flow.directions, t - 1])  # the forward direction's run
            notes.append(dict(x=t - 1, y=ys["h"] - 0.28, ax=t, ay=ys["h"] - 0.28, xref="x", yref="y", axref="x",
                              ayref="y", showarrow=True, arrowhead=2, arrowwidth=2, arrowcolor=colour_of("clip"),
                              standoff=6, startstandoff=6, text=""))
            notes.append(dict(x=t - 0.5, y=ys["h"] - 0.42, text=f"{g:.1e}", showarrow=False,
                              font=dict(color=colour_of("clip"), size=11)))
    fig.update_layout(annotations=notes)
    x = list(range(n))
    fig.add_trace(go.Scatter(x=x, y=[ys["x"]] * n, mode="markers+text", text=[_show(labels[t]) for t in x],
                             textposition="bottom center", marker=dict(size=26, color=colour_of("x"), symbol="square"),
                             hovertemplate="x_%{x}: %{text}<extra></extra>", showlegend=False))
    fig.add_trace(go.Scatter(x=x, y=[ys["h"]] * n, mode="markers", marker=dict(size=34, color=colour_of("paper"),
                             line=dict(color=colour_of("h"), width=3)), customdata=h_norm,
                             hovertemplate="‖h_%{x}‖ = %{customdata:.3f}<extra></extra>", showlegend=False))
    fig.add_trace(go.Scatter(x=x, y=[ys["h"]] * n, mode="text", text=[f"h{_sub(t)}" for t in x],
                             hoverinfo="skip", showlegend=False))
    if top is not None:
        fig.add_trace(go.Scatter(x=x, y=[ys["y"]] * n, mode="markers+text", text=[_show(top[t]) for t in x],
                                 textposition="top center", marker=dict(size=26, color=colour_of("bar"),
                                                                         symbol="diamond"),
                                 hovertemplate="ŷ_%{x}: %{text}<extra></extra>", showlegend=False))
    fig.update_xaxes(range=[-0.6, n - 0.4], tickmode="array", tickvals=x, ticktext=[f"t = {t}" for t in x],
                     showgrid=False, zeroline=False)
    fig.update_yaxes(range=[-0.75, 2.6], visible=False)
    fig.update_layout(height=330, margin=dict(l=20, r=20, t=40, b=30), plot_bgcolor=colour_of("paper"),
                      title=_tr("f_unrolled", lang))
    _cursor(fig)
    return fig


def _sub(t: int) -> str:
    return str(t).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
