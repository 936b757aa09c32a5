"""Small helpers the views share: a chart with the chosen download format, the layer/unit pickers, the player."""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach import figures, interactive, sweeps
from lstm_viz.teach.panels import digest
from lstm_viz.teach.settings import SPECS
from lstm_viz.teach.settings import key as settings_key
from lstm_viz.teach.stepdata import WINDOW, window_of

from . import cache, player, state

_AUTOLINK = re.compile(r"(?i)(?:https?|ftp|mailto|www)(?=\\?[:.])|@")
_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^])")


def plain(text) -> str:
    """Text for Streamlit's Markdown elements (errors, notices, captions) that shows as typed: every character that
    Markdown, its HTML, its LaTeX or Streamlit's directives (``:red[…]``, ``:material/…:``) would read is escaped, so
    a file name, a key, a label or a value from the address never becomes an image, a link or a style."""
    escaped = _MARKUP.sub(r"\\\1", str(text))
    # GitHub-flavoured Markdown also links bare addresses (http://…, www.…, name@host) in plain text, after the
    # escapes are read: a word joiner (U+2060, invisible) keeps them text
    return _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\u2060" + m.group(0)[-1], escaped)


def chart(fig, key: str, where=None):
    """st.plotly_chart with the toolbar's download in the chosen format (PNG or SVG); larger type in presenter
    view."""
    s = state.current()
    if s.present:
        fig = figures.for_projector(fig)
    (where or st).plotly_chart(fig, key=key, config={"displaylogo": False, "toImageButtonOptions": {
        "format": s.imgfmt, "filename": f"lstm_viz_{key}"}})


def _part(v):
    """A plain argument as itself (numpy scalars as Python numbers, lists as tuples); a data object by its type."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (tuple, list)):
        return tuple(_part(a) for a in v)
    return f"<{type(v).__name__}>"


CACHED_STEPS = 2000  # charts of longer sequences are built on each run (their JSON can reach megabytes)


def built(data_key: str, build, *args, **kwargs):
    """``build(*args, **kwargs)``, built once per process and kept as JSON (cache.figure_json).

    ``data_key`` names the data objects among the arguments (the model, input and loss of a trace or a
    GradientFlow: the page's own cache keys); every plain argument (numbers, text, tuples and lists of them: layer,
    unit, language, window, labels) is part of the key as it is. Each run gets its own Figure read from that JSON,
    read back with figures.from_json. A chart of a sequence longer than CACHED_STEPS (an argument that is a list
    of more) is built on each run: the cache holds at most 128 charts of at most a few hundred KB."""
    if any(isinstance(a, (list, tuple)) and len(a) > CACHED_STEPS for a in (*args, *kwargs.values())):
        return build(*args, **kwargs)
    parts = (build.__name__, _part(args), tuple(sorted((k, _part(v)) for k, v in kwargs.items())))
    return figures.from_json(cache.figure_json(data_key, parts, lambda: build(*args, **kwargs)))


def draw(c) -> None:
    """A panel's chart (teach.panels.Chart) on the page under its own name, built once per process as ``built``
    builds."""
    chart(built(c.data, c.build, *c.args, **c.kwargs), c.name)


def flow_or_say(ctx, jacobian: bool | None = None):
    """The context's GradientFlow, or None with the reason on the page (a loss that overflows: a ReLU RNN with huge
    weights); what does not need gradients is still drawn."""
    try:
        return ctx.flow(jacobian)
    except ValueError as exc:
        st.warning(plain(exc))
        return None


def boxes(ctx):
    """(figures, controls): two containers in page order, controls first, except in presenter view, where the
    key figure leads and the controls follow it (the scene's buttons set them)."""
    if ctx.presenting:
        figs = st.container()
        return figs, st.container()
    ctrls = st.container()
    return st.container(), ctrls


def layer_and_unit(ctx, where=None) -> None:
    """The layer (when there are several) and the unit shown: they change what the player is sent. In ``where``
    (the column beside the sequence box) or on a row of their own."""
    s, layers, H = ctx.s, ctx.trace.num_layers, ctx.trace.hidden_size
    if where is None:
        cols = st.columns([1, 1, 1.6], vertical_alignment="bottom")
    else:
        cols = where.columns(2, vertical_alignment="bottom") if layers > 1 else [where, where]
    if layers > 1:
        state.widget(cols[0].number_input, "layer", tr("layer", s.lang), 0, layers - 1,
                     placeholder=tr("layer_top", s.lang, n=layers - 1),  # empty: the top layer, as drawn
                     value_of=lambda v: None if v is None else int(v))
    if s.unit > H - 1:
        state.change(unit=0)
    state.widget(cols[1].number_input, "unit", tr("unit", s.lang), 0, H - 1, help=tr("unit_help", s.lang))
    if ctx.trace.directions == 2:
        n = ctx.trace.units_per_direction
        (where or cols[1]).caption(tr("bi_units", s.lang, a=n - 1, b=n, c=2 * n - 1))


def live_knobs(ctx, on_release) -> None:
    """A view's knobs and its two charts as one component (player.knobs), with the knobs' sweeps computed once per
    (model, input, every setting) for the whole class, and rationed (cache.sweeps); ``on_release(name, value)``
    takes a knob let go."""
    s = ctx.s
    base, knobs, busy = cache.sweeps(settings_key(s, *SPECS, base=ctx.choice.key, x=digest(ctx.enc.x),
                                                  loss=ctx.loss_key, present=ctx.presenting), ctx)
    player.knobs(sweeps.component_data(ctx, base, knobs, s.imgfmt, busy=busy), on_release, key=f"{s.view}_knobs")


def step_player(ctx, compact: bool):
    """The page's one time control: the step player with this sequence's data (cached per window)."""
    ctx = state.with_current_settings(ctx)
    s = ctx.s
    T = ctx.trace.steps
    lo, _ = window_of(T, ctx.t, WINDOW)
    flow = None if compact else flow_or_say(ctx)
    key = settings_key(s, "lang", base=ctx.loss_key, layer=ctx.layer, unit=ctx.unit, lo=lo, compact=compact)
    data = cache.step_data(key, ctx.model, ctx.trace, flow, tuple(ctx.enc.tokens), tuple(bool(u) for u in
                           ctx.enc.unknown), ctx.probs, ctx.layer, ctx.unit, lo, s.lang, ctx.loss_text, compact)
    window_at = player.show(data, ctx.t if state.t_forced() else None, present=ctx.presenting,
                            lead=ctx.figure.get("lead") if ctx.presenting else None)
    if window_at is not None and not lo <= window_at < lo + WINDOW:  # stepped past the loaded steps
        state.change(t=int(window_at))
        st.rerun()


def interactive_button(ctx) -> None:
    """Beside the address hint: the view as one self-contained interactive file, with the settings and the unit
    shown now, made when the button is clicked (on its own thread, from the runs the page has cached)."""
    if ctx.s.view not in interactive.WRITTEN or ctx.trace.steps > interactive.WINDOW:
        return
    with st.sidebar:
        st.download_button(tr("download_interactive", ctx.s.lang), lambda: interactive.for_context(ctx),
                           f"lstm_viz_{ctx.s.view}.html", "text/html", help=tr("download_interactive_help", ctx.s.lang),
                           on_click="ignore")
