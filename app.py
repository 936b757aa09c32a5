"""The lstm_viz page: widgets -> lstm_viz calls -> st.plotly_chart. Every st.cache_* lives here.

Shared between sessions: only read-only objects (shipped models and seeded fresh models, through
st.cache_resource; the engine copies weights and never modifies a module) and immutable results
(Trace / GradientFlow through st.cache_data, which hands each session its own copy).
Everything a person changes lives in their own session and in the page address (bind="query-params").
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import streamlit as st
import torch

import lstm_viz as lv
from lstm_viz import analysis, explain, figures, lessons
from lstm_viz.cells import copy_module, parameter_count, spec_of
from lstm_viz.i18n import LANGS, tr
from lstm_viz.model_io import MAX_FILE_BYTES, load_module
from lstm_viz.notation import GATE_ORDER, GRU_CONVENTION, gate_range
from lstm_viz.tasks import TASK_NAMES, TASKS
from lstm_viz.train import TrainConfig, evaluate, load_model, train

MODELS = Path(__file__).resolve().parent / "assets" / "models"
LAGS = (5, 20, 50, 100)
VIEWS = ("step", "time", "grad", "intervene", "train", "params", "export")
MAX_GRAD_STEPS = 2000  # the gradient view's sequence-length knob goes up to this
MAX_COMPARE_STEPS = 2000  # ‖∂h_T/∂h_t‖ is a sequential product: compared across cells up to this length

torch.set_num_threads(1)
st.set_page_config(page_title="lstm_viz", layout="wide")


# ---- cached, read-only or immutable -------------------------------------------------------------------

@st.cache_resource(max_entries=64)
def shipped(stem: str):
    """A shipped model, shared read-only by every session."""
    return load_model(MODELS / stem)


@st.cache_resource(max_entries=32)
def fresh(cell: str, input_size: int, hidden: int, layers: int, seed: int = 0, weight_scale: float = 1.0):
    return lv.build_module(cell, input_size, hidden, layers, seed=seed, weight_scale=weight_scale)


@st.cache_data(max_entries=256, show_spinner=False)
def analyse(key: str, _module, x: np.ndarray):
    """Trace of one model on one input: cached on (model key, input), so moving the step slider never
    reruns the model."""
    return lv.trace(_module, x)


@st.cache_data(max_entries=256, show_spinner=False)
def flow(key: str, _module, x: np.ndarray, _loss, loss_key: str, truncate, clip, jacobian: bool = True):
    """GradientFlow, cached on (model key, loss key, knobs); the loss callable itself is not hashed."""
    return lv.gradient_flow(_module, x, loss=_loss, truncate=truncate, clip=clip, jacobian=jacobian)


@st.cache_data(max_entries=64, show_spinner=False)
def intervention(key: str, _module, x: np.ndarray, _loss, loss_key: str, clamps_key: str, _clamps):
    return lv.intervene(_module, x, _clamps, loss=_loss, jacobian=False)


# ---- settings ----------------------------------------------------------------------------------------

def example_for(source: str, task: str, lag: int) -> str:
    if source == "trained":
        return shipped(_stem(task, st.session_state.get("cell", "lstm"), lag))[1].example
    return "hello world, 你好 😀"


_stem = analysis.stem_for


def reset_text():
    st.session_state["text"] = example_for(st.session_state.get("source", "trained"),
                                           st.session_state.get("task", "brackets"),
                                           st.session_state.get("lag", 20))
    st.session_state["t"] = 0


def move(delta: int, T: int):
    st.session_state["t"] = int(np.clip(st.session_state.get("t", 0) + delta, 0, T - 1))


DEFAULTS = {"lang": "en", "source": "trained", "task": "brackets", "cell": "lstm", "lag": 20, "mode": "chars",
            "hidden": 8, "layers": 1, "seed": 0, "scale": 1.0, "view": "step", "unit": 0}


# Choices shown with translated labels: a bound widget would put the label in the URL, so these are synced
# by hand with their raw ids.
URL_CHOICES = {"scene": None, "lang": LANGS, "source": ("trained", "random", "upload"), "task": TASKS,
               "cell": ("rnn", "gru", "lstm"), "view": VIEWS, "mode": ("chars", "words", "numbers")}


def start_of_run(lesson_list) -> None:
    """Before any widget exists in this run: read the URL once, fill defaults, apply a newly chosen scene."""
    if not st.session_state.get("_url_read"):
        st.session_state["_url_read"] = True
        for k, options in URL_CHOICES.items():
            v = st.query_params.get(k)
            if v is not None and v in (options or [s.id for s in lesson_list]):
                st.session_state[k] = v
    for k, v in DEFAULTS.items():
        if k not in st.session_state and k not in st.query_params:
            st.session_state[k] = v
    sid = st.session_state.get("scene", "")
    scene = lessons.by_id(lesson_list, sid) if sid else None
    if scene is None or st.session_state.get("_applied_scene") == sid:
        return
    st.session_state["_applied_scene"] = sid
    st.session_state.update({k: v for k, v in DEFAULTS.items() if k not in ("lang",)})
    st.session_state.update(scene.settings)
    if "text" not in scene.settings:
        reset_text()
    st.session_state["t"] = scene.settings.get("t", 0)


def chart(fig, key: str, where=st):
    """st.plotly_chart with the toolbar's download in the chosen format (PNG or SVG)."""
    where.plotly_chart(fig, key=key, config={"displaylogo": False, "toImageButtonOptions": {
        "format": st.session_state.get("imgfmt") or "png", "filename": f"lstm_viz_{key}"}})


lesson_list = lessons.load_lessons()
scene_ids = ["", *[s.id for s in lesson_list]]
start_of_run(lesson_list)
lang = st.session_state.get("lang") or "en"

with st.sidebar:
    lang = st.segmented_control(tr("language", lang), LANGS, key="lang",
                                format_func=lambda v: {"en": "English", "zh": "中文"}[v]) or "en"
    present = st.toggle(tr("presenter", lang), key="present", bind="query-params")
    scene_id = st.selectbox(tr("lesson", lang), scene_ids, key="scene",
                            format_func=lambda i: f"{lessons.number(lesson_list, i)}. "
                            f"{lessons.by_id(lesson_list, i).title[lang]}" if i else tr("no_lesson", lang))
    st.header(tr("model", lang))
    source = st.selectbox(tr("source", lang), URL_CHOICES["source"], key="source",
                          format_func=lambda s: tr(s, lang), on_change=reset_text)
    if source == "trained":
        task_name = st.selectbox(tr("task", lang), TASKS, key="task", on_change=reset_text,
                                 format_func=lambda n: TASK_NAMES[n][lang])
        cell = st.segmented_control(tr("cell", lang), URL_CHOICES["cell"], key="cell",
                                    format_func=str.upper, on_change=reset_text) or "lstm"
        lag = st.select_slider(tr("lag", lang), LAGS, key="lag", bind="query-params",
                               on_change=reset_text) if task_name == "recall" else 20
    else:
        cell = None  # an uploaded file says which cell it is
        if source == "random":
            cell = st.segmented_control(tr("cell", lang), URL_CHOICES["cell"], key="cell",
                                        format_func=str.upper) or "lstm"
            hidden = st.slider(tr("hidden", lang), 1, 256, key="hidden", bind="query-params")
            layers = st.slider(tr("layers", lang), 1, 3, key="layers", bind="query-params")
            seed = st.number_input(tr("seed", lang), 0, 2**31 - 1, key="seed", bind="query-params")
            scale = st.slider(tr("scale", lang), 0.1, 5.0, step=0.1, key="scale", bind="query-params")
        upload = st.file_uploader(tr("upload_file", lang), type=["safetensors", "pt"]) if source == "upload" else None
        mode = st.segmented_control(tr("mode", lang), URL_CHOICES["mode"], key="mode",
                                    format_func=lambda m: tr(m, lang)) or "chars"
    imgfmt = st.selectbox(tr("chart_format", lang), ["png", "svg"], key="imgfmt", bind="query-params")
    st.caption(tr("share", lang))

if present:  # static CSS only: no user text ever reaches unsafe_allow_html
    hidden = ["[data-testid='stSidebar']", "[data-testid='stSidebarCollapsedControl']", "header"] + [
        f"[data-testid='stMain'] [data-testid='{w}']" for w in ("stTextArea", "stButtonGroup", "stNumberInput",
                                                               "stMultiSelect")]
    st.markdown("<style>" + ",".join(hidden) + "{display:none !important}</style>", unsafe_allow_html=True)

scene = lessons.by_id(lesson_list, scene_id) if scene_id else None

st.title(tr("title", lang))
if scene is not None:
    n = lessons.number(lesson_list, scene.id)
    st.subheader(f"{tr('scene', lang)} {n}/{len(lesson_list)}: {scene.title[lang]}")
    st.markdown(scene.text[lang])
    st.info(f"**{tr('try_this', lang)}:** {scene.question[lang]}")
    c1, c2, _ = st.columns([1.4, 1.4, 3])
    i = scene_ids.index(scene.id)
    c1.button(tr("prev_scene", lang), disabled=i <= 1, key="prev_scene", shortcut="PageUp",
              on_click=lambda: st.session_state.update(scene=scene_ids[i - 1]))
    c2.button(tr("next_scene", lang), disabled=i >= len(scene_ids) - 1, key="next_scene", shortcut="PageDown",
              on_click=lambda: st.session_state.update(scene=scene_ids[i + 1]))
elif not present:
    st.caption(tr("pitch", lang))


# ---- the model ---------------------------------------------------------------------------------------

if "text" not in st.session_state:
    st.session_state["text"] = example_for(source, st.session_state.get("task", "brackets"),
                                           st.session_state.get("lag", 20))
text = st.text_area(tr("sequence", lang), key="text", bind="query-params", height=80,
                    help=tr("sequence_help", lang), max_chars=lv.MAX_STEPS * 8)

try:
    if source in ("trained", "random"):
        settings = {"source": source, "cell": cell, "text": text}
        if source == "trained":
            settings.update(task=task_name, lag=lag)
        else:
            settings.update(mode=mode, hidden=hidden, layers=layers, seed=seed, scale=scale)
        bundle, model_key = analysis.make_bundle(settings, shipped, fresh)
        if source == "trained":
            stem = _stem(task_name, cell, lag)
            card = shipped(stem)[2]
            if st.session_state.get("trained_key", "").startswith(f"train:{stem}:"):
                tm, tt = st.session_state["trained_model"], st.session_state["trained_task"]
                bundle = analysis.Bundle(tm.rnn, tm.head, tt, tt.vocab, tt.mode)
                model_key = st.session_state["trained_key"]
    else:
        if upload is None:
            st.info(tr("upload_first", lang))
            st.stop()
        data = upload.getvalue()
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
        digest = hashlib.sha256(data).hexdigest()
        if st.session_state.get("upload_digest") != digest:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / ("model" + Path(upload.name).suffix.lower())
                path.write_bytes(data)
                st.session_state["upload_module"] = load_module(path)[0]
                st.session_state["upload_digest"] = digest
        module = st.session_state["upload_module"]
        cell = spec_of(module).cell
        vocab = analysis.upload_vocab(module.input_size, text, mode) if mode != "numbers" else None
        bundle = analysis.Bundle(module, None, None, vocab, mode)
        model_key = f"upload:{digest}"
        if mode != "numbers" and len(vocab) < module.input_size:
            vocab = vocab + tuple(f"<slot {i}>" for i in range(len(vocab), module.input_size))
            bundle = analysis.Bundle(module, None, None, vocab, mode)
        st.caption(tr("upload_slots", lang))
        if vocab:  # plain text: the typed symbols are shown, never interpreted
            shown = [f"{i}: {sym!r}" for i, sym in enumerate(vocab[:24]) if not sym.startswith("<slot")]
            st.text("  ".join(shown) + ("  …" if len(vocab) > 24 else ""))
    enc = bundle.encode(text)
    x = enc.x
    if x.shape[1] != bundle.rnn.input_size:
        raise ValueError(f"this model reads {bundle.rnn.input_size} features per step; the text gives {x.shape[1]}")
    trace = analyse(model_key, bundle.rnn, x)
    loss_fn, loss_desc = analysis.loss_for(bundle, enc, trace)
    loss_text = loss_desc[lang]
    loss_key = f"{model_key}:{hashlib.sha256(x.tobytes()).hexdigest()}"
except ValueError as exc:
    st.error(str(exc))
    st.stop()

T, L, H = trace.steps, trace.num_layers, trace.hidden_size
labels = enc.labels
if enc.unknown.any():
    st.warning(tr("unk_steps", lang, n=int(enc.unknown.sum())))


# ---- stepping ----------------------------------------------------------------------------------------

if st.session_state.get("t", 0) > T - 1:
    st.session_state["t"] = T - 1
c1, c2, c3 = st.columns([1.3, 1.2, 7])
c1.button(tr("prev", lang), key="prev", shortcut="Left", on_click=move, args=(-1, T))
c2.button(tr("next", lang), key="next", shortcut="Right", on_click=move, args=(1, T))
t = c3.slider(tr("step", lang), 0, max(T - 1, 1), key="t", bind="query-params", disabled=T == 1) if T > 1 else 0
t = min(int(t), T - 1)

view = st.segmented_control(tr("view", lang), VIEWS, key="view",
                            format_func=lambda v: tr(f"v_{v}", lang)) or "step"
for _k in URL_CHOICES:  # the hand-synced choices, as raw ids, in the page address
    _v = st.session_state.get(_k)
    if _v and _v != DEFAULTS.get(_k):
        st.query_params[_k] = _v
    elif _k in st.query_params:
        del st.query_params[_k]
cl, cu = st.columns(2)
if st.session_state.get("layer") is None or st.session_state["layer"] > L - 1:
    st.session_state["layer"] = L - 1
if st.session_state.get("unit", 0) > H - 1:
    st.session_state["unit"] = 0
layer = cl.number_input(tr("layer", lang), 0, L - 1, key="layer", bind="query-params") if L > 1 else 0
unit = cu.number_input(tr("unit", lang), 0, H - 1, key="unit", bind="query-params")
layer, unit = min(int(layer), L - 1), min(int(unit), H - 1)

probs = analysis.predictions(bundle, trace.h[-1])


def show_prediction(step: int):
    if probs is None:
        return
    if bundle.task.kind == "regress":
        st.metric(tr("prediction", lang), f"{float(probs[step, 0]):.3f}")
    else:
        chart(figures.prediction_bars(probs[step], list(bundle.task.classes),
                                      f"{tr('prediction', lang)} (t = {step})"), "pred")


# ---- views --------------------------------------------------------------------------------------------

if view == "step":
    left, right = st.columns([3, 2])
    with left:
        chart(figures.cell_diagram(trace, layer, unit, t, labels, lang), "diagram")
        if cell == "gru":
            st.caption(GRU_CONVENTION[lang])
    with right:
        show_prediction(t)
    gf = flow(model_key, bundle.rnn, x, loss_fn, loss_key, None, None, T <= 1000)
    eq = explain.step_equations(bundle.rnn, trace, gf, layer, t, unit)
    for part in ("pytorch", "textbook", "backward"):
        st.markdown(f"**{tr({'pytorch': 'forward', 'textbook': 'textbook', 'backward': 'backward'}[part], lang)}**")
        for line in eq[part]:
            st.latex(line)
    st.caption(f"{tr('loss_used', lang)}: {loss_text}")

elif view == "time":
    window = None
    if T > figures.MAX_COLUMNS:
        bin_size = int(np.ceil(T / figures.MAX_COLUMNS))
        st.info(tr("downsampled", lang, bin=bin_size))
        lo = st.slider(tr("window", lang), 0, T - 1, (0, T - 1), key="win", bind="query-params")
        window = (lo[0], lo[1] + 1) if lo != (0, T - 1) else None
    chart(figures.heatmaps(trace, layer, labels, t, window, lang), "heatmaps")
    units = st.multiselect(tr("units_to_plot", lang), list(range(H)), default=list(range(min(3, H))), key="units",
                           bind="query-params")
    if units and T <= 4 * figures.MAX_COLUMNS:
        chart(figures.unit_lines(trace, layer, units, labels, t, lang), "lines")
    if T <= 2000:
        chart(figures.text_colouring(trace, layer, unit, list(enc.tokens), lang=lang), "text_colour")
    if trace.gates:
        chart(figures.saturation(trace, layer, lang), "saturation")

elif view == "grad":
    st.caption(f"{tr('loss_used', lang)}: {loss_text}")
    k1, k2, k3, k4, k5 = st.columns(5)
    radius = k1.number_input(tr("whh_radius", lang), 0.0, 10.0, 0.0, 0.1, key="radius", bind="query-params")
    fbias = k2.number_input(tr("forget_bias", lang), -10.0, 10.0, value=None, key="fbias", bind="query-params",
                            disabled=cell != "lstm")
    seq_len = k3.number_input(tr("seq_len", lang), 0, MAX_GRAD_STEPS, 0, key="seqlen", bind="query-params")
    trunc = k4.number_input(tr("truncate", lang), 0, lv.MAX_STEPS, 0, key="trunc", bind="query-params")
    clip = k5.number_input(tr("clip", lang), 0.0, 1000.0, 0.0, key="clip", bind="query-params")
    try:
        module = bundle.rnn
        key = model_key
        if radius or fbias is not None:
            module = analysis.derive(module, radius or None, fbias if cell == "lstm" else None)
            key = f"{model_key}:r{radius}:f{fbias}"
        genc = analysis.tile(enc, int(seq_len)) if seq_len else enc
        gb = analysis.Bundle(module, bundle.head, bundle.task, bundle.vocab, bundle.mode)
        g_loss, g_desc = analysis.loss_for(gb, genc) if seq_len else (loss_fn, loss_desc)
        g_text = g_desc[lang]
        gkey = f"{key}:{hashlib.sha256(genc.x.tobytes()).hexdigest()}"
        gf = flow(key, module, genc.x, g_loss, gkey, int(trunc) or None, float(clip) or None,
                  genc.x.shape[0] <= MAX_COMPARE_STEPS)
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
    chart(figures.gradients(gf, genc.labels, g_text, lang), "gradients")
    if gf.clip is not None:
        st.write(tr("grad_norm", lang, a=gf.grad_norm, b=gf.grad_norm_clipped, c=gf.clip))
    st.subheader(tr("compare_cells", lang))
    flows = {}
    if genc.x.shape[0] > MAX_COMPARE_STEPS:
        st.info(tr("compare_limit", lang, n=MAX_COMPARE_STEPS))
    for c in ("rnn", "gru", "lstm") if genc.x.shape[0] <= MAX_COMPARE_STEPS else ():
        if source == "trained":
            other, otask, _ = shipped(_stem(task_name, c, lag))
            om = other.rnn
        else:
            om = fresh(c, bundle.rnn.input_size, H, L, seed=int(st.session_state.get("seed", 0)))
        if radius or (fbias is not None and c == "lstm"):
            om = analysis.derive(om, radius or None, fbias if c == "lstm" else None)
        ck = f"cmp:{c}:{model_key}:{radius}:{fbias}"
        flows[c] = flow(ck, om, genc.x, "probe", f"{ck}:{gkey}", None, None, True)
    if flows:
        chart(figures.compare_jacobians(flows, lang), "compare")
        st.caption(tr("compare_caption", lang))

elif view == "intervene":
    if not trace.gates:
        st.info(tr("no_gates", lang))
    else:
        g1, g2, g3, g4 = st.columns(4)
        gate = g1.selectbox(tr("gate", lang), GATE_ORDER[cell], key="igate", bind="query-params")
        lo, hi = gate_range(cell, gate)
        value = g2.slider(tr("value", lang), lo, hi, hi, 0.05, key="ival", bind="query-params")
        units = g3.multiselect(tr("units", lang), list(range(H)), key="iunits", bind="query-params")
        steps = g4.slider(tr("steps", lang), 0, max(T - 1, 1), (0, max(T - 1, 0)), key="isteps",
                          bind="query-params") if T > 1 else (0, 0)
        clamp = lv.Clamp(gate, float(value), tuple(units) or None, tuple(range(steps[0], steps[1] + 1)))
        ckey = repr(clamp)
        try:
            tr2, gf2 = intervention(model_key, bundle.rnn, x, loss_fn, loss_key, ckey, (clamp,))
        except ValueError as exc:
            st.error(str(exc))
            st.stop()
        gf1 = flow(model_key, bundle.rnn, x, loss_fn, loss_key, None, None, False)
        chart(figures.compare_traces(trace, tr2, layer, unit, labels, lang), "cmp_trace")
        a, b = st.columns(2)
        chart(figures.gradients(gf1, labels, tr("f_original", lang), lang), "g_orig", where=a)
        chart(figures.gradients(gf2, labels, tr("f_clamped", lang), lang), "g_clamp", where=b)
        probs2 = analysis.predictions(bundle, tr2.h[-1])
        if probs is not None and bundle.task.kind == "classify":
            cls = list(bundle.task.classes)
            st.write(f"{tr('prediction', lang)} (t = {T - 1}): "
                     f"{tr('f_original', lang)} “{cls[int(probs[-1].argmax())]}” "
                     f"({probs[-1].max():.3f}) → {tr('f_clamped', lang)} “{cls[int(probs2[-1].argmax())]}” "
                     f"({probs2[-1].max():.3f})")

elif view == "train":
    if source != "trained":
        st.info(tr("v_train", lang) + ": " + tr("trained", lang))
    else:
        steps = st.slider(tr("train_steps", lang), 10, 2000, min(card["steps"], 400), 10, key="tsteps",
                          bind="query-params")
        own = task_name == "next_char" and st.checkbox(tr("own_text", lang), key="own_text", bind="query-params")
        if st.button(tr("train_button", lang), key="train_go"):
            try:
                cfg = TrainConfig(**dict(card["config"], steps=int(steps), text=text if own else None))
                cfg.make_task()
            except ValueError as exc:
                st.error(str(exc))
                st.stop()
            bar, live = st.progress(0.0), st.empty()
            hist = []

            def progress(step, loss, acc):
                hist.append((step, loss, acc))
                bar.progress(step / steps)
                if step % max(1, steps // 20) == 0 or step == steps:
                    chart(figures.loss_curve(hist, lang), f"live_{step}", where=live)

            snaps = sorted({0, *[int(s) for s in np.linspace(0, steps, 6)]})
            result = train(cfg, progress=progress, snapshot_steps=snaps)
            digest = hashlib.sha256((text if own else "").encode()).hexdigest()[:16]
            st.session_state.update(trained_model=result.model, trained_history=result.history,
                                    trained_task=result.task, trained_snaps=result.snapshots,
                                    trained_key=f"train:{stem}:{steps}:{digest}",
                                    trained_acc=evaluate(result.model, result.task, n=500))
            st.rerun()
        if st.session_state.get("trained_key", "").startswith(f"train:{stem}:"):
            st.write(tr("trained_acc", lang, a=st.session_state["trained_acc"]))
            chart(figures.loss_curve(st.session_state["trained_history"], lang), "loss_curve")
            snaps = st.session_state["trained_snaps"]
            s = st.select_slider(tr("snapshot", lang), sorted(snaps), value=max(snaps), key="snap")
            sd = snaps[s]
            snap_mod = copy_module(bundle.rnn, {k[4:]: v for k, v in sd.items() if k.startswith("rnn.")})
            chart(figures.heatmaps(lv.trace(snap_mod, x), layer, labels, t, lang=lang), "snap_heat")

elif view == "params":
    m_in, hid, nl = bundle.rnn.input_size, H, L
    st.markdown(f"**{tr('params_table', lang)}** — input_size m = {m_in}, hidden_size n = {hid}, num_layers = {nl}")
    rows = [{"cell": c.upper(), "formula": f"{g}(nm + n² + 2n) per layer",
             "parameters": parameter_count(c, m_in, hid, nl)} for c, g in (("lstm", 4), ("gru", 3), ("rnn", 1))]
    st.dataframe(rows, hide_index=True)

elif view == "export":
    gf = flow(model_key, bundle.rnn, x, loss_fn, loss_key, None, None, T <= 1000)
    st.caption(tr("figures_hint", lang))
    st.download_button(tr("download_trace", lang), analysis.trace_table(trace, enc.tokens), "trace.csv", "text/csv")
    st.download_button(tr("download_grad", lang), analysis.flow_table(gf, enc.tokens), "gradient_flow.csv",
                       "text/csv")
    st.download_button(tr("download_npz", lang), analysis.npz_bytes(trace, gf), "trace.npz",
                       "application/octet-stream")
