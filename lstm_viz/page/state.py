"""The page's one state: a PageSettings read from the address once per session, changed by widgets, written back.

- ``start(scenes)`` at the top of every run: the first run of a session reads the address (a scene named there
  brings its settings, the address's own values win); later runs keep the session's settings.
- ``widget(fn, name, ...)`` draws a widget bound to one setting and stores what it returns.
- ``finish(settings)`` writes the address (only values that differ from the defaults). The step ``t`` belongs to
  the step player in the browser, which writes it into the address itself as it steps, without a rerun; the
  address is written in the browser too (a tiny component), so that the two never overwrite each other.
Bad values in the address fall back to their defaults, and ``notices()`` names them.
"""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from lstm_viz.teach import lessons
from lstm_viz.teach.settings import DEFAULTS, SPECS, PageSettings, check_values, parse, to_query

_S = "_settings"  # the session's PageSettings (a plain key: it outlives widgets that are not drawn in a run)
NAMES = [f.name for f in fields(PageSettings)]


def start(scenes: list[lessons.Scene]) -> PageSettings:
    ss = st.session_state
    ss["_t_forced"] = ss.pop("_t_from_settings", False)  # the server chose the step this run (a scene opened)
    ss["_to_top"] = ss.pop("_scene_changed", False)  # a new scene starts at the top of the page
    if _S not in ss:  # first run of this session: the address, once
        query = st.query_params.to_dict()
        notices = []
        base = DEFAULTS
        sid = query.get("scene", "")
        scene = lessons.by_id(scenes, sid) if sid else None
        if sid and scene is None:
            notices.append(f"scene={str(sid)[:40]!r}: no such lesson scene; showing free exploration")
            query = {k: v for k, v in query.items() if k != "scene"}
        elif scene is not None:
            base = DEFAULTS.replace(scene=scene.id, **scene.settings)
        s, bad = parse(query, base)
        ss[_S] = s
        ss["_notices"] = notices + bad
        ss["_t_forced"] = True  # the step of the link (or of its scene) opens the player
    else:
        ss["_notices"] = []
    return ss[_S]


def t_forced() -> bool:
    """Whether this run tells the player its step (else the player keeps its own, which the server never sees
    except when the player asks for another window of a long sequence)."""
    return st.session_state.get("_t_forced", False)


def current() -> PageSettings:
    return st.session_state[_S]


def notices() -> list[str]:
    return st.session_state.get("_notices", [])


def change(**changes) -> PageSettings:
    """Change settings from code (a callback, a button): the widgets bound to them follow."""
    ss = st.session_state
    ss[_S] = ss[_S].replace(**changes)
    for name, v in changes.items():
        if name in ss:
            ss[name] = _widget_value(name, v)
    if "t" in changes:
        ss["_t_from_settings"] = True
    return ss[_S]


def apply_scene(scenes: list[lessons.Scene], scene_id: str) -> None:
    """Open a scene: its settings over the defaults (keeping the language and presenter view), at its own step."""
    s = current()
    scene = lessons.by_id(scenes, scene_id) if scene_id else None
    new = DEFAULTS.replace(lang=s.lang, present=s.present, scene=scene_id if scene else "",
                           **(scene.settings if scene else {}))
    ss = st.session_state
    ss[_S] = new
    for name in NAMES:
        if name in ss:
            ss[name] = _widget_value(name, getattr(new, name))
    ss["_t_from_settings"] = True
    ss["_scene_changed"] = True


def _widget_value(name: str, v):
    spec = SPECS[name]
    if spec.kind == "ints":
        return list(v or ())
    return v


def preset(name: str, value, valid, fallback) -> None:
    """Before drawing the widget of ``name``: give it ``value`` if it has none yet, and ``fallback`` if what it has
    is not ``valid`` for this model (a unit past the hidden size, a step past the sequence)."""
    ss = st.session_state
    if ss.get(name) is None:
        ss[name] = value
    if not valid(ss[name]):
        ss[name] = fallback


def widget(fn, name: str, *args, value_of=None, on_change=None, **kwargs):
    """``fn(*args, key=name, **kwargs)`` showing the session's value of setting ``name``; its result is stored
    (``value_of`` turns the widget's value into the setting's, e.g. "" -> None).

    A person's change is stored by the widget's callback, which Streamlit runs before the next run starts: every
    line of that run, the ones above the widget included (the context, the models, a knob's model), reads the new
    value, not the one the widget had before."""
    ss = st.session_state
    if name not in ss:
        ss[name] = _widget_value(name, getattr(ss[_S], name))

    def changed():
        _store(name, ss[name], value_of)
        if on_change is not None:
            on_change()

    return _store(name, fn(*args, key=name, on_change=changed, **kwargs), value_of)


def _store(name: str, v, value_of=None):
    """The setting ``name`` from its widget's value ``v``; an invalid value keeps the setting as it was."""
    ss = st.session_state
    v = value_of(v) if value_of else v
    if SPECS[name].kind == "ints" and v is not None:
        v = tuple(int(u) for u in v)
    elif SPECS[name].kind == "range" and v is not None:
        v = (int(v[0]), int(v[1]))
    try:
        v = check_values({name: v})[name] if v is not None or SPECS[name].optional else getattr(ss[_S], name)
    except ValueError:
        v = getattr(ss[_S], name)
    ss[_S] = ss[_S].replace(**{name: v})
    return v


_ADDRESS_JS = """
export default function ({ data }) {
  const url = new URL(window.location.href);
  const t = data.t !== null ? String(data.t) : url.searchParams.get("t");
  const next = new URLSearchParams(data.query);
  if (t && t !== "0") next.set("t", t);
  const search = next.toString() ? "?" + next.toString() : "";
  if (search !== url.search) window.history.replaceState(window.history.state, "", url.pathname + search + url.hash);
  if (data.top) {
    const main = document.querySelector("[data-testid='stMain']");
    if (main) main.scrollTo(0, 0);
    window.scrollTo(0, 0);
  }
}
"""
_address = st.components.v2.component("lstm_viz_address", js=_ADDRESS_JS, html="<span></span>")


def finish(s: PageSettings) -> None:
    """Write the address: every setting that differs from its default (so a copied link reproduces the view), with
    the player's own step, or the one the server chose this run."""
    query = {k: v for k, v in to_query(s).items() if k != "t"}
    _address(data={"query": query, "t": s.t if t_forced() else None,
                   "top": st.session_state.get("_to_top", False)}, key="lstm_viz_address")
