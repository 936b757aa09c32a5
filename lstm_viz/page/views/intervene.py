"""Interventions: clamp a gate to a value (for some units and steps) and compare with the original run. The value is
a live knob (teach/sweeps): the clamped run, its gradients and what it does to the answers follow it while it is
dragged."""

from __future__ import annotations

import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.notation import GATE_ORDER, gate_range
from lstm_viz.teach import sweeps

from .. import state
from ..parts import boxes, layer_and_unit, live_knobs


def render(ctx, unit_box=None):
    s, lang, T, H = ctx.s, ctx.s.lang, ctx.trace.steps, ctx.trace.hidden_size
    cell = ctx.choice.cell
    if not ctx.trace.gates:
        st.info(tr("no_gates", lang))
        return
    gates = GATE_ORDER[cell]
    if s.igate is not None and s.igate not in gates:
        state.change(igate=None)
    # the defaults (the cell's first gate, the top of its range) stay None in the settings: a visit to this view
    # leaves nothing in the address of the views after it
    state.preset("igate", s.igate or gates[0], lambda v: v in gates, gates[0])
    figs, ctrls = boxes(ctx)
    g1, g3, g4 = ctrls.columns(3)
    gate = state.widget(g1.selectbox, "igate", tr("gate", lang), gates,
                        value_of=lambda v: None if v == gates[0] else v) or gates[0]
    lo, hi = gate_range(cell, gate)
    if state.current().ival is not None and not lo <= state.current().ival <= hi:  # another gate's value
        state.change(ival=None)
    state.preset("iunits", list(s.iunits), lambda v: all(u < H for u in v), [])
    state.widget(g3.multiselect, "iunits", tr("units_to_clamp", lang), list(range(H)), placeholder=tr("choose", lang))
    if T > 1:
        full = (0, T - 1)
        state.preset("isteps", s.isteps or full, lambda v: v[1] <= T - 1, full)
        state.widget(g4.slider, "isteps", tr("steps_to_clamp", lang), 0, T - 1,
                     value_of=lambda v: None if tuple(v) == full else tuple(v))
    # the widgets' values are in the settings now: the panel reads the clamp from them
    with ctrls:
        layer_and_unit(ctx, unit_box)
    ctx = state.with_current_settings(ctx)
    with figs:  # the clamp value is the component's knob: the charts follow it while it is dragged
        live_knobs(ctx, lambda name, value: state.take(name, None if value == hi else value)
                   if name == sweeps.CLAMP else None)
