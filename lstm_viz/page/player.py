"""The step player: a Streamlit custom component (components v2) whose JavaScript ships in ``player/dist``.

Two components: ``lstm_viz_assets`` installs KaTeX and its fonts (inlined) once per page (its message never
changes, so Streamlit sends it once and then by reference); ``lstm_viz_player`` receives one sequence's step data
and steps through it in the browser, inside a shadow root with its own styles. Built from ``player/src`` by
``make player``.
"""

from __future__ import annotations

import streamlit as st

from lstm_viz.paths import PLAYER_DIST

from . import state

_assets = st.components.v2.component("lstm_viz_assets", html="<span></span>",
                                     js=(PLAYER_DIST / "assets.js").read_text(encoding="utf-8"))
_player = st.components.v2.component("lstm_viz_player", html="<div class='lv-player'></div>",
                                     js=(PLAYER_DIST / "player.js").read_text(encoding="utf-8"),
                                     css=(PLAYER_DIST / "player.css").read_text(encoding="utf-8"))


_plotly = st.components.v2.component("lstm_viz_plotly", html="<span></span>",
                                     js=(PLAYER_DIST / "plotly_assets.js").read_text(encoding="utf-8"))
_knobs = st.components.v2.component("lstm_viz_knobs", html="<div class='lvk'></div>",
                                    js=(PLAYER_DIST / "knobs.js").read_text(encoding="utf-8"),
                                    css=(PLAYER_DIST / "knobs.css").read_text(encoding="utf-8"), isolate_styles=False)


def knobs(data: dict, on_release, key: str = "grad_knobs"):
    """A view's knobs and charts (``player/src/knobs.js``): ``data`` as parts.live_knobs makes it.
    ``on_release(name, value)`` is called (before the next run) with a knob the student let go. Plotly is installed
    first, once per page (its message never changes, so Streamlit sends it once a session)."""
    _plotly(key="lstm_viz_plotly")

    def released():
        event = getattr(state.widget_value(key), "release", None)
        if isinstance(event, dict) and isinstance(event.get("name"), str):
            on_release(event["name"], event.get("value"))

    _knobs(data=data, key=key, on_release_change=released)


def install() -> None:
    """KaTeX and its fonts, first thing on every run: the browser loads the component machinery and KaTeX while
    the rest of the page is computed (and, the message being the same each run, receives it only once)."""
    _assets(key="lstm_viz_assets")


def show(data: dict, t_forced: int | None, present: bool = False, key: str = "player", lead: str | None = None):
    """Mount the player. ``t_forced``: a step the server chose (a scene opened), else the player keeps its own.
    ``lead``: "equations" puts the equations above the diagram (a scene whose question is about them).
    Returns the step the player asked to load a new window at (it stepped past the loaded ones), or None."""
    payload = dict(data, present=present, lead=lead)
    if t_forced is not None:
        payload["t"] = int(t_forced)
    result = _player(data=payload, key=key, on_window_change=lambda: None)
    return getattr(result, "window", None) if result is not None else None
