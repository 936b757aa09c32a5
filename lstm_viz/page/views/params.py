"""Parameters: how many each cell type has at these sizes, as PyTorch counts them."""

from __future__ import annotations

import streamlit as st

from lstm_viz.i18n import tr
from lstm_viz.teach.panels import params_rows


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
