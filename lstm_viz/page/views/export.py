"""Export: the Trace and GradientFlow of this sequence as CSV and NPZ."""

from __future__ import annotations

import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach import exports

from ..parts import flow_or_say


def render(ctx, unit_box=None):  # this view shows no unit of its own
    lang = ctx.s.lang
    gf = flow_or_say(ctx)  # None when the loss overflows: the trace still exports
    st.caption(tr("figures_hint", lang))
    # each file is made when its button is clicked (on its own thread), not on every rerun of the page
    trace, tokens = ctx.trace, ctx.enc.tokens
    st.download_button(tr("download_trace", lang), lambda: exports.trace_table(trace, tokens), "trace.csv",
                       "text/csv", on_click="ignore")
    if gf is not None:
        st.download_button(tr("download_grad", lang), lambda: exports.flow_table(gf, tokens), "gradient_flow.csv",
                           "text/csv", on_click="ignore")
        st.download_button(tr("download_npz", lang), lambda: exports.npz_bytes(trace, gf), "trace.npz",
                           "application/octet-stream", on_click="ignore")
