"""Parameters: how many each cell type has at these sizes, as PyTorch counts them; what each costs in time as the
benchmark measured it, and how far a long-lag LSTM's memory holds."""

from __future__ import annotations

import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach.panels import cost_panel, params_rows

from ..parts import plain


def render(ctx, unit_box=None):  # this view shows no unit of its own
    lang = ctx.s.lang
    rnn = ctx.model.rnn
    st.markdown(f"**{tr('params_table', lang)}** — input_size m = {rnn.input_size}, hidden_size n = "
                f"{rnn.hidden_size}, num_layers = {rnn.num_layers}")
    rows = params_rows(ctx)
    if ctx.s.present:  # a static table takes the presenter view's type size (a data grid draws its own 13 px)
        st.table(rows)
    else:
        st.dataframe(rows, hide_index=True)
    cost = cost_panel(lang)
    if cost is not None:  # what the cells cost in time, as measured by the benchmark, and memory at longer lags
        st.markdown(f"**{tr('cost_heading', lang)}**")
        if ctx.s.present:
            st.table(cost.rows)
        else:
            st.dataframe(cost.rows, hide_index=True)
        st.caption(plain(cost.caption))
        st.caption(plain(cost.memory))
