"""Gradients: norms against steps back, knobs that change the model (spectral radius of W_hh, forget-gate bias,
sequence length, truncation, clipping) with the model's current values beside them, and the three cell types
compared on the same input."""

from __future__ import annotations

import streamlit as st

from lstm_viz.engine.knobs import mean_forget_bias
from lstm_viz.engine.work import GRADIENT_PASSES
from lstm_viz.i18n import tr
from lstm_viz.teach.panels import grad_panel

from .. import cache, state
from ..parts import boxes, draw, plain


def knobs(ctx, probe_box=None) -> None:
    """The five knobs in one row, each model value as one line beside its knob (not a tall metric), so that on a
    desktop the charts below start within the first screen. ``probe_box``: where the loss's toggle goes (above the
    chart it changes), else beside the knobs."""
    s, lang, cell = ctx.s, ctx.s.lang, ctx.choice.cell
    rnn = ctx.model.rnn
    c1, c2, c3, c4, c5 = st.columns([1, 1.5, 1, 1, 1])
    c1.markdown(f"{tr('rho_now', lang)}: **{cache.spectral_radius(ctx.choice.key, rnn):.3f}**",
                help=tr("rho_help", lang))
    state.widget(c1.slider, "radius", tr("whh_radius", lang), *state.bounds("radius"), step=0.1)
    fb = mean_forget_bias(rnn)
    if cell == "lstm" and fb is not None:
        c2.markdown(f"{tr('fbias_now', lang)}: **{fb:+.3f}**")
        # on: the model's own bias until the slider moves; off: the bias as the model has it. Set in the toggle's
        # callback, so that the run it starts draws the model it asks for
        state.set_widget_value("fbias_on", s.fbias is not None)
        c2.toggle(tr("fbias_set", lang), key="fbias_on", on_change=lambda: state.change(
            fbias=round(fb, 1) if state.widget_value("fbias_on") else None))
        if s.fbias is not None:
            state.widget(c2.slider, "fbias", tr("forget_bias", lang), *state.bounds("fbias"), step=0.1)
    state.widget(c3.slider, "seqlen", tr("seq_len", lang), *state.bounds("seqlen"), step=10)
    T = state.current().seqlen or ctx.trace.steps
    if rnn.bidirectional:  # truncation follows one direction of time: a bidirectional model's gradient is whole
        c4.slider(tr("truncate", lang), 0, 1, 0, disabled=True, help=tr("trunc_bi", lang), key="trunc_off")
    else:
        state.widget(c4.slider, "trunc", tr("truncate", lang), 0, max(T, s.trunc, 1))
    state.widget(c5.slider, "clip", tr("clip", lang), 0.0, max(10.0, s.clip), step=0.1)
    if ctx.model.head is not None:  # the model's own loss, or the probe that needs no output layer
        state.widget((probe_box or c5).toggle, "probe", tr("use_probe", lang), help=tr("use_probe_help", lang))


def render(ctx):
    lang = ctx.s.lang
    figs, ctrls = boxes(ctx)
    if not ctx.presenting:  # the two charts side by side (stacked on a phone), the loss's toggle under its chart
        with figs:
            left, right = st.columns(2)
        main_box, probe_box = left.container(), left.container()
    with ctrls:
        knobs(ctx, None if ctx.presenting else probe_box)
    ctx = state.with_current_settings(ctx)
    try:
        panel = grad_panel(ctx, GRADIENT_PASSES)
    except ValueError as exc:
        st.error(plain(exc))
        return
    if panel.refusal:
        st.info(panel.refusal)
        return
    for note in panel.notes:
        st.info(note)

    def main_chart():
        draw(panel.gradients)
        if panel.prediction:  # what the loss is taken against, for a classifier (the chart's title names the loss)
            st.text(panel.prediction)
        gf = panel.flow
        if gf.clip is not None:
            st.write(tr("grad_norm", lang, a=gf.grad_norm, b=gf.grad_norm_clipped, c=gf.clip))

    def compare_chart():
        st.markdown(f"**{tr('compare_cells', lang)}**")
        if panel.compare is None:
            st.info(panel.compare_note)
            return
        draw(panel.compare)
        st.caption(tr("compare_caption", lang))

    with figs:
        if ctx.presenting:  # the scene's key chart first, each the screen's width
            for part in [compare_chart, main_chart] if ctx.figure.get("chart") == "compare" else \
                    [main_chart, compare_chart]:
                part()
        else:  # the model's gradients beside the three cells' on the first screen
            with main_box:
                main_chart()
            with right:
                compare_chart()
    if panel.unrolled is not None:  # the typed sequence: its first steps unrolled, with the gradient on the edges
        draw(panel.unrolled)
