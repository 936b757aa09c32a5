"""The sidebar: language, presenter view, lesson, and the model (source, task, cell and sizes, or a file)."""

from __future__ import annotations

import streamlit as st

from lstm_viz.i18n import LANGS, tr
from lstm_viz.models.tasks import ONE_MODEL_TASKS, READOUT_TASKS, TASK_NAMES, TASKS
from lstm_viz.models.train import FBIAS_INITS, FBIAS_LAG
from lstm_viz.teach import lessons
from lstm_viz.teach.settings import LAGS, SPECS

from . import state

UPLOAD_TYPES = ("safetensors", "pt", "pth", "bin", "npz", "keras", "h5", "hdf5", "ckpt", "index", "meta", "pb")


def _model_changed():
    """A new model opens on its own example, at step 0, unit 0 (a task with one shipped model: its LSTM)."""
    s = state.current()
    one = s.source == "trained" and s.task in ONE_MODEL_TASKS
    state.change(text=None, t=0, unit=0, layer=None, units=None, win=None, iunits=(), isteps=None,
                 **({"cell": "lstm"} if one else {}))
    state.forget_widget("text")


def render(scenes: list[lessons.Scene]):
    """Draw the sidebar; returns the uploaded file (or None)."""
    s = state.current()
    lang = s.lang
    with st.sidebar:
        lang = state.widget(st.segmented_control, "lang", tr("language", lang), LANGS, required=True,
                            format_func=lambda v: {"en": "English", "zh": "中文"}[v])
        state.widget(st.toggle, "present", tr("presenter", lang))
        ids = ["", *[sc.id for sc in scenes]]
        state.widget(st.selectbox, "scene", tr("lesson", lang), ids,
                     on_change=lambda: state.apply_scene(scenes, state.widget_value("scene")),
                     format_func=lambda i: f"{lessons.number(scenes, i)}. {lessons.by_id(scenes, i).title[lang]}"
                     if i else tr("no_lesson", lang))
        st.header(tr("model", lang))
        source = state.widget(st.selectbox, "source", tr("source", lang), SPECS["source"].choices,
                              format_func=lambda v: tr(v, lang), on_change=_model_changed)
        upload = None
        if source == "trained":
            task = state.widget(st.selectbox, "task", tr("task", lang), TASKS, on_change=_model_changed,
                                format_func=lambda n: TASK_NAMES[n][lang])
            if task in READOUT_TASKS:  # one bidirectional LSTM, read out two ways: the readout, not the cell
                state.widget(st.segmented_control, "readout", tr("readout", lang), SPECS["readout"].choices,
                             required=True, format_func=lambda r: tr(f"readout_{r}", lang), on_change=_model_changed,
                             help=tr("readout_help", lang))
            elif task in ONE_MODEL_TASKS:  # its LSTM only: no cell to choose
                st.caption(tr("one_lstm", lang))
            else:
                cell = state.widget(st.segmented_control, "cell", tr("cell", lang), SPECS["cell"].choices,
                                    required=True, format_func=str.upper, on_change=_model_changed)
            if task == "recall":
                lag = state.widget(st.select_slider, "lag", tr("lag", lang), LAGS, on_change=_model_changed)
                if cell == "lstm" and lag == FBIAS_LAG:  # the twins trained from forget bias 0 and 1; none: as shipped
                    state.widget(st.segmented_control, "finit", tr("finit", lang), FBIAS_INITS,
                                 format_func=lambda b: f"{b:g}", on_change=_model_changed, help=tr("finit_help", lang))
        else:
            if source == "random":
                state.widget(st.segmented_control, "cell", tr("cell", lang), SPECS["cell"].choices, required=True,
                             format_func=str.upper)
                state.widget(st.slider, "hidden", tr("hidden", lang), *state.bounds("hidden"))
                state.widget(st.slider, "layers", tr("layers", lang), *state.bounds("layers"))
                state.widget(st.number_input, "seed", tr("seed", lang), *state.bounds("seed"))
                state.widget(st.slider, "scale", tr("scale", lang), *state.bounds("scale"), step=0.1)
            else:
                upload = st.file_uploader(tr("upload_file", lang), type=list(UPLOAD_TYPES), key="upload")
                st.file_uploader(tr("upload_vocab", lang), type=["json", "txt"], key="upload_vocab",
                                 help=tr("upload_vocab_help", lang))
                st.file_uploader(tr("upload_labels", lang), type=["json", "txt"], key="upload_labels")
                st.file_uploader(tr("upload_inputs", lang), type=["npy", "csv"], key="upload_inputs",
                                 help=tr("upload_inputs_help", lang))
            state.widget(st.segmented_control, "mode", tr("mode", lang), SPECS["mode"].choices, required=True,
                         format_func=lambda m: tr(m, lang))
        state.widget(st.selectbox, "imgfmt", tr("chart_format", lang), SPECS["imgfmt"].choices)
        st.caption(tr("share", lang))
    return upload
