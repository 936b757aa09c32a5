"""Over time: unit × time heatmaps, unit lines, the text coloured by one unit, gate saturation. The step
player above them is the time control; its cursor moves over these charts in the browser."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach import figures

from .. import state
from ..common import boxes, built, chart, layer_and_unit, step_player

PRESENTER_HEIGHT = 470  # px of the key heatmaps in presenter view (under the player's bar, within 720)
TEXT_HEIGHT = 170  # px of them given to the coloured text when a scene's claim is there


def text_colouring(ctx) -> None:
    """The typed text coloured by the unit shown."""
    chart(built(ctx.loss_key, figures.text_colouring, ctx.trace, ctx.layer, ctx.unit, list(ctx.enc.tokens),
                lang=ctx.s.lang), "text_colour")


def render(ctx):
    s, tr_, T, H = ctx.s, ctx.trace, ctx.trace.steps, ctx.trace.hidden_size
    lang = s.lang
    figs, ctrls = boxes(ctx)
    with ctrls:
        layer_and_unit(ctx)
    ctx = ctx.now()
    with figs:
        step_player(ctx, compact=True)
        key_figure = st.container()
    window = None
    with ctrls:
        if T > figures.MAX_COLUMNS:
            st.info(tr("downsampled", lang, bin=int(np.ceil(T / figures.MAX_COLUMNS))))
            full = (0, T - 1)
            state.preset("win", s.win or full, lambda v: v[1] <= T - 1, full)
            win = state.widget(st.slider, "win", tr("window", lang), 0, T - 1,
                               value_of=lambda v: None if tuple(v) == full else tuple(v))
            window = None if win is None else (win[0], win[1] + 1)
    named = tuple(u for u in (s.units or ()) if u < H) if s.scene else ()  # units a scene names are outlined
    fields = ctx.figure.get("fields") if ctx.presenting else None
    text_first = ctx.presenting and ctx.figure.get("text") and T <= 2000  # the scene's claim is in the coloured text
    height = (PRESENTER_HEIGHT - TEXT_HEIGHT if text_first else PRESENTER_HEIGHT) if fields else None
    with key_figure:
        chart(built(ctx.loss_key, figures.heatmaps, tr_, ctx.layer, ctx.labels, window, lang, fields=fields,
                    highlight=named, height=height, unit=ctx.unit), "heatmaps")
        if text_first:
            text_colouring(ctx)
    first = tuple(range(min(3, H)))
    state.preset("units", list(s.units or first), lambda v: all(u < H for u in v), list(first))
    with key_figure:  # below the heatmaps, in every layout
        units = state.widget(st.multiselect, "units", tr("units_to_plot", lang), list(range(H)),
                             placeholder=tr("choose", lang),
                             value_of=lambda v: None if tuple(v) == first else tuple(v))
        units = first if units is None else units
        if units and T <= 4 * figures.MAX_COLUMNS:
            chart(built(ctx.loss_key, figures.unit_lines, tr_, ctx.layer, list(units), ctx.labels, lang), "lines")
        if T <= 2000 and not text_first:
            text_colouring(ctx)
        if tr_.gates:
            chart(built(ctx.loss_key, figures.saturation, tr_, ctx.layer, lang), "saturation")
