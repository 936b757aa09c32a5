"""Over time: unit × time heatmaps, unit lines, the text coloured by one unit, gate saturation. The step
player above them is the time control; its cursor moves over these charts in the browser."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach import figures
from lstm_viz.teach.panels import time_panel

from .. import state
from ..parts import boxes, draw, layer_and_unit, step_player


def render(ctx, unit_box=None):
    s, T, H = ctx.s, ctx.trace.steps, ctx.trace.hidden_size
    lang = s.lang
    figs, ctrls = boxes(ctx)
    with ctrls:
        layer_and_unit(ctx, unit_box)
    ctx = state.with_current_settings(ctx)
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
    first = tuple(range(min(3, H)))
    state.preset("units", list(s.units or first), lambda v: all(u < H for u in v), list(first))
    with key_figure:  # the units' widget sits below the heatmaps, in every layout
        heatmaps, below = st.container(), st.container()
        with below:
            units = state.widget(st.multiselect, "units", tr("units_to_plot", lang), list(range(H)),
                                 placeholder=tr("choose", lang),
                                 value_of=lambda v: None if tuple(v) == first else tuple(v))
    panel = time_panel(ctx, window, first if units is None else units)
    with heatmaps:
        draw(panel.heatmaps)
        if panel.text_first:
            draw(panel.text)
    with below:
        if panel.lines is not None:
            draw(panel.lines)
        if panel.text is not None and not panel.text_first:
            draw(panel.text)
        if panel.saturation is not None:
            draw(panel.saturation)
