"""Every st.cache_* of the page.

Shared between sessions: only read-only objects (shipped models and seeded fresh models, through
st.cache_resource; the engine copies weights and never modifies a module) and immutable results (Trace,
GradientFlow and step data through st.cache_data, which hands each session its own copy). Keys are the
settings' own cache keys (lstm_viz.teach.settings.key) plus a digest of the input.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict

import numpy as np
import streamlit as st

import lstm_viz as lv
import lstm_viz.teach.lessons
from lstm_viz.engine import knobs
from lstm_viz.engine.cells import build_module
from lstm_viz.engine.work import clamped_work, gradient_work, run_work, stepwise_work
from lstm_viz.page import offload
from lstm_viz.teach import choice as models
from lstm_viz.teach import stepdata
from lstm_viz.teach.choice import Loaders
from lstm_viz.teach.panels import Runs


@st.cache_resource(max_entries=64)
def shipped(stem: str):
    """A shipped model, shared read-only by every session."""
    return models.plain_loaders().shipped(stem)


@st.cache_resource(max_entries=32)
def fresh(cell: str, input_size: int, hidden: int, layers: int, seed: int = 0, weight_scale: float = 1.0):
    return build_module(cell, input_size, hidden, layers, seed=seed, weight_scale=weight_scale)


@st.cache_resource(max_entries=8, ttl=900)  # an uploaded model can hold 10⁷ parameters: a few at a time
def derived(key: str, _module, radius: float | None, fbias: float | None):
    """A model with the gradient view's knobs applied (``key`` names the model and the knobs), shared read-only:
    its eigenvalues are found once, not on every rerun."""
    return knobs.with_knobs(_module, radius, fbias)


@st.cache_data(max_entries=256, show_spinner=False)
def spectral_radius(key: str, _module) -> float:
    return knobs.spectral_radius(_module)


LOADERS = Loaders(shipped, fresh, derived)

_frozen = False


def freeze_startup_objects() -> None:
    """Once per process: move what exists after the imports (torch, plotly, streamlit: about 200,000 objects)
    out of the garbage collector's sight. Streamlit collects all generations after every run
    (runner.postScriptGC); without this, that collection was about 0.11 CPU-s of a 0.2 CPU-s rerun."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
        offload.start()


@st.cache_data(max_entries=4, show_spinner=False)
def cells_found(stem: str) -> tuple:
    """(feature, state, unit, r) of the unit that follows each text feature best in a shipped character LSTM
    (teach/cells_found, on the start of its held-out text)."""
    from lstm_viz.teach.cells_found import shakespeare_cells

    found = shakespeare_cells(shipped(stem)[0])
    return tuple((name, u.state, u.unit, u.r) for name, units in found.best.items() for u in units[:1])


@st.cache_data(show_spinner=False)
def lessons():
    """The lesson scenes, read once per process; each run gets its own copy (scenes hold dicts)."""
    return lstm_viz.teach.lessons.load_lessons()


@st.cache_data(max_entries=256, show_spinner=False)
def trace(key: str, _module, x: np.ndarray):
    """Trace of one model on one input: cached on (model key, input), so nothing reruns the model twice."""
    return offload.run(run_work(_module, len(x)), lv.trace, _module, x)


def _flow(key: str, module, x: np.ndarray, loss, loss_key: str, truncate, clip, jacobian: bool = True):
    """GradientFlow, run here or in the worker by its work: uncached, as a knob's sweep runs it (a view's sweeps
    hold about a hundred flows; the sweeps are kept whole)."""
    work = gradient_work(module, len(x), jacobian) + (stepwise_work(module, len(x), truncate) if truncate else 0)
    return offload.run(work, lv.gradient_flow, module, x, loss=loss, truncate=truncate, clip=clip, jacobian=jacobian)


@st.cache_data(max_entries=256, show_spinner=False)
def flow(key: str, _module, x: np.ndarray, _loss, loss_key: str, truncate, clip, jacobian: bool = True):
    """GradientFlow, cached on (model key, loss key, knobs); the loss callable itself is not hashed."""
    return _flow(key, _module, x, _loss, loss_key, truncate, clip, jacobian)


@st.cache_data(max_entries=64, show_spinner=False)
def intervention(key: str, _module, x: np.ndarray, _loss, loss_key: str, clamps_key: str, _clamps):
    return offload.run(clamped_work(_module, len(x)), lv.intervene, _module, x, _clamps, loss=_loss, jacobian=False)


@st.cache_data(max_entries=128, show_spinner=False)
def figure_json(data_key: str, parts: tuple, _build) -> str:
    """A chart's Plotly JSON, built once per (data the figure draws, the figure's other arguments)."""
    return _build().to_json()


@st.cache_data(max_entries=128, show_spinner=False)
def step_data(key: str, _model, _trace, _flow, tokens: tuple, unknown: tuple, _probs, layer: int, unit: int,
              lo: int, lang: str, loss_text: str, compact: bool):
    """The step player's data for one (model, input, layer, unit, window): built once, sent once."""
    return stepdata.step_data(_model, _trace, _flow, tokens, np.array(unknown, dtype=bool), _probs, layer, unit, lo,
                              lang, loss_text, sig=key, compact=compact)


def flows(_module, x: np.ndarray, _loss, truncates: tuple, clips: tuple, jacobian: bool):
    """A knob's sweep of truncation windows or clipping thresholds (lstm_viz.engine.gradients.gradient_flows), not
    cached (the sweeps are): one step-by-step backward for all the windows, in the worker when it is long."""
    T = len(x)
    windows = [k for k in truncates if k]
    work = gradient_work(_module, T, jacobian) + (stepwise_work(_module, T, max(windows)) if windows else 0)
    return offload.run(work, lv.gradient_flows, _module, x, _loss, truncates, clips, jacobian)


RUNS = Runs(trace, flow, intervention, flows)  # the panels' runs on the page: cached, long ones in the worker


SWEEP_RUNS = Runs(trace, _flow, intervention, flows)


# The knobs' sweeps of this process, kept and rationed. Kept: the last SWEEPS_KEPT, shared read-only by every
# session (a class on one page computes them once). Rationed: sweeps for settings nobody asked for before cost
# 0.4–1 CPU-s, and a class letting go of knobs asks for new ones several times a second; past SWEEP_RATE CPU-s a
# second on average (SWEEP_BURST at once), a view is drawn with its knobs working on release, as before there were
# sweeps, and says so, so that the class's page opens and other reruns keep their cores.
SWEEPS_KEPT = 32
SWEEP_RATE = 0.15
SWEEP_BURST = 2.0
_sweeps_lock = threading.Lock()
_sweeps_kept: OrderedDict = OrderedDict()
_sweep_bucket = [SWEEP_BURST, time.monotonic()]  # CPU-s left, when last filled


SWEEP_GUESS = 1.0  # CPU-s a view's sweeps are taken to cost until they have run (the budget's most)


def _sweep_allowed() -> bool:
    """Whether the ration has room for a view's sweeps; if so, their likely cost is taken from it at once, so that
    the sessions asking at the same moment do not all find it full."""
    with _sweeps_lock:
        left, then = _sweep_bucket
        now = time.monotonic()
        left = min(SWEEP_BURST, left + (now - then) * SWEEP_RATE)
        allowed = left > 0
        _sweep_bucket[:] = [left - SWEEP_GUESS if allowed else left, now]
        return allowed


def sweeps(key: str, ctx) -> tuple[dict, list[dict], bool]:
    """(the gradient view's state, its knobs' sweeps (teach/sweeps), rationed): computed once per (model, input,
    every setting) and kept, or, past this process's ration, the view's state alone (every knob on release, not
    kept: the next ask may have the ration)."""
    from lstm_viz.teach import sweeps as sw

    with _sweeps_lock:
        if key in _sweeps_kept:
            _sweeps_kept.move_to_end(key)
            return (*_sweeps_kept[key], False)
    if not _sweep_allowed():
        base, knobs = sw.sweeps(ctx, budget=0.0)  # the page's own cached runs: the view as without sweeps
        return base, [dict(k.__dict__) for k in knobs], True
    t0 = time.thread_time()
    base, knobs = sw.sweeps(ctx, point_runs=SWEEP_RUNS)  # the view from the page's cache, its points from none
    out = (base, [dict(k.__dict__) for k in knobs])
    with _sweeps_lock:
        _sweep_bucket[0] -= time.thread_time() - t0 - SWEEP_GUESS  # what they cost, not the guess
        _sweeps_kept[key] = out
        while len(_sweeps_kept) > SWEEPS_KEPT:
            _sweeps_kept.popitem(last=False)
    return (*out, False)
