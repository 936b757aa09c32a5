"""One step: the step player with the cell diagram, the prediction and the equations of the unit shown, and on
request the network unrolled over its first steps (a Plotly chart: off by default, so the first page needs no
charting library)."""

from __future__ import annotations

import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach.panels import unrolled_chart

from .. import state
from ..parts import boxes, draw, flow_or_say, layer_and_unit, step_player


def render(ctx, unit_box=None):
    figs, ctrls = boxes(ctx)
    with ctrls:
        layer_and_unit(ctx, unit_box)
    with figs:
        step_player(ctx, compact=False)
    # below the player and the controls, in every layout: the cell at work comes first
    unrolled = state.widget(st.toggle, "unrolled", tr("show_unrolled", ctx.s.lang))
    if unrolled:
        ctx = state.with_current_settings(ctx)
        flow = flow_or_say(ctx)
        if flow is not None:
            draw(unrolled_chart(ctx, flow))
