"""The Streamlit side of lstm_viz: page state, caches, sidebar, the step player and one module per view.

Nothing outside this package imports it or Streamlit.
"""
