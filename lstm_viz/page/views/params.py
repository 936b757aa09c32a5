"""Parameters: how many each cell type has at these sizes, as PyTorch counts them."""

from __future__ import annotations

import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach.panels import params_rows


def render(ctx):
    lang = ctx.s.lang
    rnn = ctx.model.rnn
    m, n, L = rnn.input_size, rnn.hidden_size, rnn.num_layers
    st.markdown(f"**{tr('params_table', lang)}** — input_size m = {m}, hidden_size n = {n}, num_layers = {L}")
    rows = params_rows(ctx)
    if ctx.s.present:  # a static table takes the presenter view's type size (a data grid draws its own 13 px)
        st.table(rows)
    else:
        st.dataframe(rows, hide_index=True)
