"""Export: the Trace and GradientFlow of this sequence as CSV and NPZ."""

from __future__ import annotations

import streamlit as st

from lstm_viz import analysis
from lstm_viz.i18n import tr


def render(ctx):
    lang = ctx.s.lang
    gf = ctx.flow()
    st.caption(tr("figures_hint", lang))
    st.download_button(tr("download_trace", lang), analysis.trace_table(ctx.trace, ctx.enc.tokens), "trace.csv",
                       "text/csv")
    st.download_button(tr("download_grad", lang), analysis.flow_table(gf, ctx.enc.tokens), "gradient_flow.csv",
                       "text/csv")
    st.download_button(tr("download_npz", lang), analysis.npz_bytes(ctx.trace, gf), "trace.npz",
                       "application/octet-stream")
