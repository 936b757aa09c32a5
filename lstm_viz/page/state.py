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

from dataclasses import dataclass, field, fields

import streamlit as st

from lstm_viz.models.model import Model
from lstm_viz.teach import lessons
from lstm_viz.teach.panels import with_settings
from lstm_viz.teach.settings import DEFAULTS, SPECS, PageSettings, check_values, parse, to_query

_S = "_session"  # the one key of the session's own state (a plain key: it outlives widgets that are not drawn)
NAMES = [f.name for f in fields(PageSettings)]


@dataclass(frozen=True)
class Trained:
    """A model trained in this session: it replaces the shipped one it started from in every view."""

    model: Model
    key: str  # part of its cache key (task, cell, lag, steps, digest of the text it read)
    base: tuple  # (source, task, cell, lag, readout) of the shipped model it replaces
    steps: int
    history: list  # (step, loss, accuracy) of the run
    snapshots: dict  # step -> state_dict
    accuracy: float


@dataclass
class UploadRead:
    """What this session read from its uploaded file (kept per session, never shared)."""

    digest: str | None = None  # of the file's bytes
    flat: dict | None = None  # its state_dict, as the reader gives it
    loaded: Model | None = None  # the model found in it
    loaded_key: tuple | None = None  # (digest, prefix) that ``loaded`` was found with


@dataclass
class Session:
    """The session's state beside its PageSettings: every value the page keeps between runs that is not a setting
    or a widget's own value."""

    settings: PageSettings
    notices: list = field(default_factory=list)  # what was wrong in the address (plain text)
    t_forced: bool = False  # this run tells the player its step (a link or a scene opened it)
    t_next: bool = False  # the next run does (code changed the step)
    to_top: bool = False  # this run scrolls to the top (a new scene)
    scene_changed: bool = False  # the next run does
    trained: Trained | None = None
    upload: UploadRead = field(default_factory=UploadRead)


def session() -> Session:
    return st.session_state[_S]


def start(scenes: list[lessons.Scene]) -> PageSettings:
    ss = st.session_state
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
        ss[_S] = Session(s, notices + bad, t_forced=True)  # the step of the link (or of its scene) opens the player
        return s
    me = session()
    me.t_forced, me.t_next = me.t_next, False  # the server chose the step this run (a scene opened)
    me.to_top, me.scene_changed = me.scene_changed, False  # a new scene starts at the top of the page
    me.notices = []
    return me.settings


def t_forced() -> bool:
    """Whether this run tells the player its step (else the player keeps its own, which the server never sees
    except when the player asks for another window of a long sequence)."""
    return session().t_forced


def current() -> PageSettings:
    return session().settings


def with_current_settings(ctx):
    """The same context (teach.panels.Context) with the settings as the widgets drawn so far left them."""
    return with_settings(ctx, current())


def set_trained(trained: Trained | None) -> None:
    """Use a model trained in this session in every view (None: back to the shipped one)."""
    session().trained = trained


def notices() -> list[str]:
    return session().notices


def change(**changes) -> PageSettings:
    """Change settings from code (a callback, a button): the widgets bound to them follow."""
    ss, me = st.session_state, session()
    me.settings = me.settings.replace(**changes)
    for name, v in changes.items():
        if name in ss:
            ss[name] = _widget_value(name, v)
    if "t" in changes:
        me.t_next = True
    return me.settings


def apply_scene(scenes: list[lessons.Scene], scene_id: str) -> None:
    """Open a scene: its settings over the defaults (keeping the language and presenter view), at its own step."""
    s = current()
    scene = lessons.by_id(scenes, scene_id) if scene_id else None
    new = DEFAULTS.replace(lang=s.lang, present=s.present, scene=scene_id if scene else "",
                           **(scene.settings if scene else {}))
    ss, me = st.session_state, session()
    me.settings = new
    for name in NAMES:
        if name in ss:
            ss[name] = _widget_value(name, getattr(new, name))
    me.t_next = me.scene_changed = True


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
        ss[name] = _widget_value(name, getattr(current(), name))

    def changed():
        _store(name, ss[name], value_of)
        if on_change is not None:
            on_change()

    return _store(name, fn(*args, key=name, on_change=changed, **kwargs), value_of)


def take(name: str, v) -> None:
    """A value the browser sent for setting ``name`` (a knob let go), checked as every widget's value is: an
    invalid one (or a name that is not a setting) changes nothing."""
    if name in SPECS:
        _store(name, v)


def _store(name: str, v, value_of=None):
    """The setting ``name`` from its widget's value ``v``; an invalid value keeps the setting as it was."""
    me = session()
    v = value_of(v) if value_of else v
    if SPECS[name].kind == "ints" and v is not None:
        v = tuple(int(u) for u in v)
    elif SPECS[name].kind == "range" and v is not None:
        v = (int(v[0]), int(v[1]))
    try:
        v = check_values({name: v})[name] if v is not None or SPECS[name].optional else getattr(me.settings, name)
    except ValueError:
        v = getattr(me.settings, name)
    me.settings = me.settings.replace(**{name: v})
    return v


def bounds(name: str) -> tuple:
    """(lowest, highest) value of setting ``name``, as its Spec allows: the range its widget offers."""
    return SPECS[name].lo, SPECS[name].hi


def widget_value(name: str, default=None):
    """The value of the widget keyed ``name`` (a file uploader's file, a toggle), or ``default`` before it is
    drawn."""
    return st.session_state.get(name, default)


def set_widget_value(name: str, v) -> None:
    """Give the widget keyed ``name`` this value (before it is drawn in this run)."""
    st.session_state[name] = v


def forget_widget(name: str) -> None:
    """The widget keyed ``name`` starts again from its setting the next time it is drawn."""
    st.session_state.pop(name, None)


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
    _address(data={"query": query, "t": s.t if t_forced() else None, "top": session().to_top},
             key="lstm_viz_address")
