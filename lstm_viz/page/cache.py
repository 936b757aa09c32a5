"""Every st.cache_* of the page.

Shared between sessions: only read-only objects (shipped models and seeded fresh models, through
st.cache_resource; the engine copies weights and never modifies a module) and immutable results (Trace,
GradientFlow and step data through st.cache_data, which hands each session its own copy). Keys are the
settings' own cache keys (lstm_viz.teach.settings.key) plus a digest of the input.
"""

from __future__ import annotations

import gc
from dataclasses import replace

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


@st.cache_data(show_spinner=False)
def lessons():
    """The lesson scenes, read once per process; each run gets its own copy (scenes hold dicts)."""
    return lstm_viz.teach.lessons.load_lessons()


@st.cache_data(max_entries=256, show_spinner=False)
def trace(key: str, _module, x: np.ndarray):
    """Trace of one model on one input: cached on (model key, input), so nothing reruns the model twice."""
    return offload.run(run_work(_module, len(x)), lv.trace, _module, x)


@st.cache_data(max_entries=256, show_spinner=False)
def flow(key: str, _module, x: np.ndarray, _loss, loss_key: str, truncate, clip, jacobian: bool = True):
    """GradientFlow, cached on (model key, loss key, knobs); the loss callable itself is not hashed."""
    work = gradient_work(_module, len(x), jacobian) + (stepwise_work(_module, len(x), truncate) if truncate else 0)
    return offload.run(work, lv.gradient_flow, _module, x, loss=_loss, truncate=truncate, clip=clip, jacobian=jacobian)


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


def _sweep_flow(key: str, module, x: np.ndarray, loss, loss_key: str, truncate, clip, jacobian: bool = True):
    """A flow of a knob's sweep: not kept in the flow cache (a view's sweeps hold about a hundred; the sweeps are
    kept whole), in the worker when it is long."""
    work = gradient_work(module, len(x), jacobian) + (stepwise_work(module, len(x), truncate) if truncate else 0)
    return offload.run(work, lv.gradient_flow, module, x, loss=loss, truncate=truncate, clip=clip, jacobian=jacobian)


SWEEP_RUNS = Runs(trace, _sweep_flow, intervention, flows)


@st.cache_data(max_entries=32, show_spinner=False)
def sweeps(key: str, _ctx):
    """The gradient view's state and its knobs' sweeps (teach/sweeps), computed once per (model, input, every
    setting) and shared: a class on one page computes them once."""
    from lstm_viz.teach import sweeps as sw

    base, knobs = sw.sweeps(replace(_ctx, runs=SWEEP_RUNS))
    return base, [dict(k.__dict__) for k in knobs]
