"""Gradients: norms against steps back, knobs that change the model (spectral radius of W_hh, forget-gate bias,
sequence length, truncation, clipping) with the model's current values beside them, and the three cell types
compared on the same input."""

from __future__ import annotations

import streamlit as st

from lstm_viz.engine.knobs import mean_forget_bias
from lstm_viz.engine.work import GRADIENT_PASSES
from lstm_viz.i18n import tr
from lstm_viz.models import inputs
from lstm_viz.models.model import Model
from lstm_viz.teach import figures, readout
from lstm_viz.teach.settings import MAX_GRAD_STEPS, key

from .. import budget, cache, state
from ..common import boxes, built, chart, last_prediction, plain


def knobs(ctx) -> None:
    s, lang, cell = ctx.s, ctx.s.lang, ctx.models.cell
    rnn = ctx.bundle.rnn
    c1, c2, c3 = st.columns(3)
    c1.metric(tr("rho_now", lang), f"{cache.spectral_radius(ctx.models.key, rnn):.3f}", help=tr("rho_help", lang))
    state.widget(c1.slider, "radius", tr("whh_radius", lang), 0.0, 10.0, step=0.1)
    fb = mean_forget_bias(rnn)
    if cell == "lstm" and fb is not None:
        c2.metric(tr("fbias_now", lang), f"{fb:+.3f}")
        # on: the model's own bias until the slider moves; off: the bias as the model has it. Set in the toggle's
        # callback, so that the run it starts draws the model it asks for
        st.session_state["fbias_on"] = s.fbias is not None
        c2.toggle(tr("fbias_set", lang), key="fbias_on", on_change=lambda: state.change(
            fbias=round(fb, 1) if st.session_state["fbias_on"] else None))
        if s.fbias is not None:
            state.widget(c2.slider, "fbias", tr("forget_bias", lang), -10.0, 10.0, step=0.1)
    state.widget(c3.slider, "seqlen", tr("seq_len", lang), 0, MAX_GRAD_STEPS, step=10)
    T = state.current().seqlen or ctx.trace.steps
    if rnn.bidirectional:  # truncation follows one direction of time: a bidirectional model's gradient is whole
        c3.slider(tr("truncate", lang), 0, 1, 0, disabled=True, help=tr("trunc_bi", lang), key="trunc_off")
    else:
        state.widget(c3.slider, "trunc", tr("truncate", lang), 0, max(T, s.trunc, 1))
    state.widget(c3.slider, "clip", tr("clip", lang), 0.0, max(10.0, s.clip), step=0.1)
    if ctx.bundle.head is not None:  # the model's own loss, or the probe that needs no output layer
        state.widget(c2.toggle, "probe", tr("use_probe", lang), help=tr("use_probe_help", lang))


def render(ctx):
    lang = ctx.s.lang
    figs, ctrls = boxes(ctx)
    with ctrls:
        knobs(ctx)
    s = state.current()
    m = ctx.models
    T = s.seqlen or ctx.enc.x.shape[0]
    refusal = budget.run_refusal(ctx.bundle.rnn, ctx.bundle.head, T, GRADIENT_PASSES, lang, "grad_budget")
    if refusal:  # before any model is derived
        st.info(refusal)
        return
    try:
        module, mkey = m.knobbed()
        genc = inputs.repeat_to(ctx.enc, s.seqlen) if s.seqlen else ctx.enc
        gb = Model(module, ctx.bundle.head, ctx.bundle.task, ctx.bundle.vocab, ctx.bundle.mode)
        g_loss, g_desc = readout.loss_for(gb, genc, probe=s.probe) if s.seqlen else (ctx.loss_fn,
                                                                                       {lang: ctx.loss_text})
        x_digest = cache.digest(genc.x)  # one digest of the input for every flow below
        gkey = key(s, "probe", base=mkey, x=x_digest)
        trunc = None if module.bidirectional else s.trunc or None
        refusal = budget.truncation_refusal(module, T, trunc, lang)
        if refusal:
            st.info(refusal)
            return
        note = budget.jacobian_note(module, T, lang)
        if note:
            st.info(note)
        gf = cache.flow(mkey, module, genc.x, g_loss, gkey, trunc, s.clip or None, budget.jacobian_fits(module, T))
        flows, okeys = {}, []
        compare_note = budget.comparison_note(module, T, lang)
        for c, (om, okey) in ({} if compare_note else m.compared()).items():
            okeys.append(okey)
            flows[c] = cache.flow(okey, om, genc.x, "probe", key(s, base=okey, x=x_digest), None, None, False)
    except ValueError as exc:
        st.error(plain(exc))
        return
    fkey = "|".join([key(s, "trunc", "clip", base=gkey), *okeys])  # what the charts below draw
    # one range for both charts, wide enough for either, so the two can be read against each other
    y_range = figures.log_range(*[a for f in [gf, *flows.values()] for a in (f.dL_dh, f.dL_dc, f.dL_dx, f.dhT_dht)])

    def main_chart():
        said = last_prediction(ctx)
        if said:  # what the loss is taken against, for a classifier (the chart's title names the loss)
            st.text(said)
        chart(built(fkey, figures.gradients, gf, genc.labels, g_desc[lang], lang, y_range=y_range), "gradients")
        if gf.clip is not None:
            st.write(tr("grad_norm", lang, a=gf.grad_norm, b=gf.grad_norm_clipped, c=gf.clip))

    def compare_chart():
        st.markdown(f"**{tr('compare_cells', lang)}**")
        if not flows:
            st.info(compare_note)
            return
        chart(built(fkey, figures.compare_cells, flows, lang, y_range=y_range), "compare")
        st.caption(tr("compare_caption", lang))

    order = [compare_chart, main_chart] if ctx.presenting and ctx.figure.get("chart") == "compare" else \
        [main_chart, compare_chart]
    with figs:
        for draw in order:
            draw()
    if not s.seqlen:  # the typed sequence: its first steps unrolled, with the gradient on the backward edges
        chart(built(fkey, figures.unrolled, ctx.trace, gf, ctx.labels, ctx.top_labels(), lang=lang),
              "unrolled_chart")
