"""Gradients: norms against steps back, knobs that change the model (spectral radius of W_hh, forget-gate bias,
sequence length, truncation, clipping) with the model's current values beside them, and the three cell types
compared on the same input.

The knobs and the two charts are one component (``player/src/knobs.js``): the server sends, with the charts, each
knob's sweep (lstm_viz/teach/sweeps), so that a dragged knob moves the charts in the browser; a knob let go comes
back here (``state.take``) and the page reruns with it."""

from __future__ import annotations

import streamlit as st

from lstm_viz.engine.knobs import mean_forget_bias
from lstm_viz.engine.work import GRADIENT_PASSES
from lstm_viz.i18n import tr
from lstm_viz.teach import sweeps
from lstm_viz.teach.panels import fbias_panel, grad_panel

from .. import cache, state
from ..parts import draw, live_knobs


def toggles(ctx) -> None:
    """What the model has now (ρ, the forget bias) and the two switches: set the forget bias (its knob appears),
    and the probe loss instead of the model's own (for a model with an output layer)."""
    s, lang, rnn = ctx.s, ctx.s.lang, ctx.model.rnn
    c1, c2, c3 = st.columns(3)
    c1.markdown(f"{tr('rho_now', lang)}: **{cache.spectral_radius(ctx.choice.key, rnn):.3f}**",
                help=tr("rho_help", lang))
    fb = mean_forget_bias(rnn)
    if ctx.choice.cell == "lstm" and fb is not None:
        c2.markdown(f"{tr('fbias_now', lang)}: **{fb:+.3f}**")
        # on: the model's own bias until the knob moves; off: the bias as the model has it. Set in the toggle's
        # callback, so that the run it starts draws the model it asks for
        state.set_widget_value("fbias_on", s.fbias is not None)
        c2.toggle(tr("fbias_set", lang), key="fbias_on", on_change=lambda: state.change(
            fbias=round(fb, 1) if state.widget_value("fbias_on") else None))
        if fbias_panel(ctx) is not None:  # one of the two LSTMs trained alike but for the bias they started from
            c2.caption(tr("finit_model", lang, b=f"{s.finit:g}"))
    if ctx.model.head is not None:  # the model's own loss, or the probe that needs no output layer
        state.widget(c3.toggle, "probe", tr("use_probe", lang), help=tr("use_probe_help", lang))
    if rnn.bidirectional:  # truncation follows one direction of time: a bidirectional model's gradient is whole
        c3.caption(tr("trunc_bi", lang))


def render(ctx, unit_box=None):  # this view shows no unit of its own
    ctx = state.with_current_settings(ctx)
    if not ctx.presenting:
        toggles(ctx)
    live_knobs(ctx, lambda name, value: state.take(name, value) if name in sweeps.KNOBS else None)
    if ctx.presenting:  # the scene's buttons set the knobs; the switches follow the charts
        toggles(ctx)
    try:
        panel = grad_panel(ctx, GRADIENT_PASSES)
    except ValueError:  # said in the component, in place of the charts
        return
    if panel.unrolled is not None:  # the typed sequence: its first steps unrolled, with the gradient on the edges
        draw(panel.unrolled)
