"""Interventions: clamp a gate to a value (for some units and steps) and compare with the original run."""

from __future__ import annotations

import streamlit as st

import lstm_viz as lv
from lstm_viz.i18n import tr
from lstm_viz.notation import GATE_ORDER, gate_range
from lstm_viz.teach import figures, readout

from .. import budget, cache, state
from ..common import boxes, built, chart, flow_or_say, layer_and_unit, plain


def render(ctx):
    s, lang, T, H = ctx.s, ctx.s.lang, ctx.trace.steps, ctx.trace.hidden_size
    cell = ctx.models.cell
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
    rest = st.container()  # after both, in every layout
    g1, g2, g3, g4 = ctrls.columns(4)
    gate = state.widget(g1.selectbox, "igate", tr("gate", lang), gates,
                        value_of=lambda v: None if v == gates[0] else v) or gates[0]
    lo, hi = gate_range(cell, gate)
    state.preset("ival", hi if s.ival is None else s.ival, lambda v: v is not None and lo <= v <= hi, hi)
    value = state.widget(g2.slider, "ival", tr("value", lang), lo, hi, step=0.05,
                         value_of=lambda v: None if v == hi else v)
    value = hi if value is None else value
    state.preset("iunits", list(s.iunits), lambda v: all(u < H for u in v), [])
    units = state.widget(g3.multiselect, "iunits", tr("units_to_clamp", lang), list(range(H)),
                         placeholder=tr("choose", lang))
    steps = (0, 0)
    if T > 1:
        full = (0, T - 1)
        state.preset("isteps", s.isteps or full, lambda v: v[1] <= T - 1, full)
        chosen = state.widget(g4.slider, "isteps", tr("steps_to_clamp", lang), 0, T - 1,
                              value_of=lambda v: None if tuple(v) == full else tuple(v))
        steps = chosen or full
    with ctrls:
        layer_and_unit(ctx)
    ctx = ctx.now()
    clamp = lv.Clamp(gate, float(value), tuple(units) or None, tuple(range(steps[0], steps[1] + 1)))
    refusal = budget.clamp_refusal(ctx.bundle.rnn, T, lang)
    if refusal:
        st.info(refusal)
        return
    try:
        tr2, gf2 = cache.intervention(ctx.models.key, ctx.bundle.rnn, ctx.enc.x, ctx.loss_fn, ctx.loss_key,
                                      repr(clamp), (clamp,))
    except ValueError as exc:
        st.error(plain(exc))
        return
    gf1 = flow_or_say(ctx, jacobian=False)
    if gf1 is None:
        return
    data = f"{ctx.loss_key}|{clamp!r}"  # what the two charts draw: the model, input and loss, and the clamp
    fields = ctx.figure.get("fields") if ctx.presenting else None
    with figs:
        chart(built(data, figures.compare_traces, ctx.trace, tr2, ctx.layer, ctx.unit, ctx.labels, lang,
                    fields=fields), "cmp_trace")
        _effects(ctx, tr2, T, lang)
    with rest:
        chart(built(data, figures.gradients, gf1, ctx.labels, f"{tr('f_original', lang)} / "
                    f"{tr('f_clamped', lang)}: {ctx.loss_text}", lang, other=gf2, other_name=tr("f_clamped", lang)),
              "g_compare")


def _effects(ctx, tr2, T: int, lang: str) -> None:
    """What the clamp does to the answers: the last prediction, and the accuracy on the text's own targets."""
    probs2 = readout.predictions(ctx.bundle, tr2.h[-1])
    task = ctx.bundle.task
    if ctx.probs is not None and task is not None and task.kind == "classify":
        cls = list(task.classes)
        p1, p2 = ctx.probs[-1], probs2[-1]
        st.text(f"{tr('prediction', lang)} (t = {T - 1}): {tr('f_original', lang)} “{cls[int(p1.argmax())]}” "
                f"({p1.max():.3f}) → {tr('f_clamped', lang)} “{cls[int(p2.argmax())]}” ({p2.max():.3f})")
        before, after = (readout.text_accuracy(ctx.bundle, ctx.enc, p) for p in (ctx.probs, probs2))
        if before is not None:
            n = readout.text_targets_count(ctx.bundle, ctx.enc)
            st.text(tr("text_accuracy", lang, a=before, b=after, n=n))
