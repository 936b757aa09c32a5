"""The page through streamlit.testing.v1.AppTest: every control, what the charts contain, bad input."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import lstm_viz
from lstm_viz import lessons

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def new(**params):
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def ok(at):
    assert not at.exception, [e.message for e in at.exception]
    return at


def specs(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def array(v):
    """A Plotly array from a spec: a list, or base64 'bdata' with its dtype (Plotly >= 6)."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return a.reshape(shape) if shape else a
    return np.asarray(v, dtype=float)


def chart_with(at, text):
    for s in specs(at):
        if text in json.dumps(s.get("layout", {}), ensure_ascii=False):
            return s
    raise AssertionError(f"no chart mentions {text!r}")


def test_first_page_shows_a_trained_model_on_a_meaningful_example():
    at = ok(new())
    assert at.session_state["source"] == "trained" and at.session_state["task"] == "brackets"
    diagram = chart_with(at, "LSTM layer 0, unit 0, step t = 0")
    notes = json.dumps(diagram["data"], ensure_ascii=False)
    assert "f = σ" in notes and "cₜ =" in notes
    assert len(diagram["frames"]) == len(at.session_state["text"])  # play animates every step in the browser
    pred = chart_with(at, "Prediction (t = 0)")
    assert abs(array(pred["data"][0]["x"]).sum() - 1) < 1e-4
    assert any("W_{if}" in lat.value for lat in at.latex)


def test_stepping_slider_buttons_and_cache():
    at = ok(new())
    calls = []
    real = lstm_viz.trace
    lstm_viz.trace = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        at.slider(key="t").set_value(5).run()
        ok(at)
        assert "step t = 5" in json.dumps(specs(at)[0]["layout"]["title"])
        at.button(key="next").click().run()
        assert at.session_state["t"] == 6
        at.button(key="prev").click().run()
        at.button(key="prev").click().run()
        assert at.session_state["t"] == 4
        assert calls == []  # stepping never reruns the model: the trace is cached
    finally:
        lstm_viz.trace = real


@pytest.mark.parametrize("cell,gates", [("gru", "rzn"), ("rnn", ""), ("lstm", "ifgo")])
def test_switch_cell_and_heatmaps_have_fixed_ranges(cell, gates):
    at = ok(new(view="time"))
    at.segmented_control(key="cell").set_value(cell).run()
    ok(at)
    heat = specs(at)[0]
    maps = [d for d in heat["data"] if d["type"] == "heatmap"]
    assert len(maps) == len(gates) + (1 if cell != "gru" else 0) + 1  # gates, c or pre, h
    for d, name in zip(maps, list(gates)):
        lo, hi = (-1, 1) if name in "gn" else (0, 1)
        assert (d["zmin"], d["zmax"]) == (lo, hi)
        z = array(d["z"])
        assert lo <= np.nanmin(z) and np.nanmax(z) <= hi
    titles = json.dumps(heat["layout"]["annotations"], ensure_ascii=False)
    assert all(f"{g}:" in titles for g in gates)


def test_over_time_view_has_lines_text_colouring_and_saturation():
    at = ok(new(view="time"))
    at.multiselect(key="units").set_value([0, 3]).run()
    ok(at)
    kinds = [s["data"][0]["type"] for s in specs(at)]
    assert kinds.count("heatmap") == 2 and "scatter" in kinds and "bar" in kinds
    sat = chart_with(at, "gate saturation")
    assert all(0 <= v <= 1 for d in sat["data"] for v in array(d["y"]))


def test_gradient_view_knobs_change_the_chart():
    at = ok(new(view="grad"))
    before = chart_with(at, "cross-entropy")
    assert before["layout"]["yaxis"]["type"] == "log"
    names = [d["name"] for d in before["data"]]
    assert "‖∂h_T/∂h_t‖" in names and "cell path mean ∏f" in names and "‖∂L/∂c_t‖" in names
    compare = [s for s in specs(at) if {d.get("name") for d in s["data"]} == {"RNN", "GRU", "LSTM"}]
    assert compare
    at.number_input(key="trunc").set_value(5).run()
    at.number_input(key="clip").set_value(0.01).run()
    ok(at)
    after = chart_with(at, "cross-entropy")
    assert json.dumps(after["data"]) != json.dumps(before["data"])
    assert any("after clipping at 0.01" in m.value for m in at.markdown)
    at.number_input(key="radius").set_value(3.0).run()
    at.number_input(key="seqlen").set_value(120).run()
    ok(at)
    assert len(array(chart_with(at, "cross-entropy")["data"][0]["x"])) == 120


def test_intervention_compares_with_original():
    at = ok(new(view="intervene"))
    at.selectbox(key="igate").set_value("f").run()
    at.slider(key="ival").set_value(0.0).run()
    ok(at)
    cmp = [s for s in specs(at) if {d.get("name") for d in s["data"]} >= {"original", "clamped"}]
    assert cmp
    h = [array(d["y"]) for d in cmp[0]["data"][:2]]
    assert not np.allclose(h[0], h[1])  # erasing the memory changes the hidden state
    assert any("clamped" in m.value for m in at.markdown)


def test_training_runs_with_progress_and_snapshots():
    at = ok(new(view="train", task="sentiment"))
    at.slider(key="tsteps").set_value(20).run()
    at.button(key="train_go").click().run()
    ok(at)
    assert at.session_state["trained_key"].startswith("train:sentiment_lstm:")
    assert any("Accuracy on fresh samples" in m.value for m in at.markdown)
    assert len(at.session_state["trained_snaps"]) >= 2
    at.select_slider(key="snap").set_value(0).run()
    ok(at)


def test_params_export_language_presenter():
    at = ok(new(view="params"))
    rows = at.dataframe[0].value
    counts = dict(zip(rows["cell"], rows["parameters"]))
    assert counts["GRU"] * 4 == counts["LSTM"] * 3 and counts["RNN"] * 4 == counts["LSTM"]
    at = ok(new(view="export"))
    assert len(at.get("download_button")) == 3
    at = ok(new(lang="zh"))
    assert at.title[0].value == "循环神经网络内部"
    at = ok(new(present="true"))
    assert any("display:none" in m.value for m in at.markdown)


@pytest.mark.parametrize("mode,text", [("chars", "héllo 世界 😀"), ("words", "the cat, 猫!"),
                                       ("numbers", "0.5, 1, -2 3")])
def test_fresh_random_models_on_typed_text(mode, text):
    at = ok(new(source="random", mode=mode))
    at.text_area(key="text").set_value(text).run()
    at.slider(key="hidden").set_value(12).run()
    at.slider(key="layers").set_value(2).run()
    at.number_input(key="layer").set_value(1).run()
    ok(at)
    assert not at.error
    diagram = chart_with(at, "layer 1, unit 0")
    assert diagram["frames"]


@pytest.mark.parametrize("text,message", [
    ("", "empty"),
    ("a" * (lstm_viz.MAX_STEPS + 1), "limit is 10,000"),
])
def test_bad_text_gets_a_message_not_a_traceback(text, message):
    at = ok(new())
    at.text_area(key="text").set_value(text).run()
    ok(at)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]


def test_bad_numbers_and_unknown_symbols():
    at = ok(new(task="adding"))
    for text, msg in [("0.5, x, 2", "'x' is not a number"), ("1 nan 2", "not a finite number")]:
        at.text_area(key="text").set_value(text).run()
        ok(at)
        assert any(msg in e.value for e in at.error)
    at = ok(new())
    at.text_area(key="text").set_value("(abc) QQ 中").run()
    ok(at)
    assert any("<unk>" in w.value for w in at.warning)
    heat_labels = json.dumps(specs(at)[0], ensure_ascii=False)
    assert "<unk>:Q" in heat_labels and "<unk>:中" in heat_labels


def test_long_sequences_stay_under_two_megabytes_of_chart_data():
    at = ok(new(view="time"))
    text = ("f(x [a \"b (c\" d] (y)) \"z\" [[a] b] " * 400)[: lstm_viz.MAX_STEPS]
    at.text_area(key="text").set_value(text).run()
    ok(at)
    for view in ("time", "step", "grad"):
        at.segmented_control(key="view").set_value(view).run()
        ok(at)
        size = sum(len(c.proto.spec) for c in at.get("plotly_chart"))
        assert 0 < size <= 2 * 2**20, (view, size)
    assert any("bin means" in i.value for i in at.info) or view != "time"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("scene", lessons.load_lessons(), ids=lambda s: s.id)
def test_every_scene_opens_in_both_languages(scene, lang):
    at = ok(new(scene=scene.id, lang=lang))
    assert not at.error, [e.value for e in at.error]
    assert any(scene.title[lang] in h.value for h in at.subheader)
    assert any(scene.question[lang][:20] in i.value for i in at.info)


def test_chinese_figure_labels_and_svg_downloads():
    assert chart_with(ok(new(lang="zh")), "LSTM 层 0, 单元 0, 时间步 t = 0")
    at = ok(new(lang="zh", view="grad", imgfmt="svg"))
    assert chart_with(at, "距末尾的步数")
    configs = [json.loads(c.proto.config) for c in at.get("plotly_chart")]
    assert configs and all(c["toImageButtonOptions"]["format"] == "svg" for c in configs)
    at = ok(new(view="intervene", ival="0.0", igate="f"))
    assert at.slider(key="ival").value == 0.0  # intervention settings come from the address too


def test_engine_package_never_imports_streamlit():
    import subprocess
    import sys
    code = ("import sys, lstm_viz, lstm_viz.figures, lstm_viz.analysis, lstm_viz.lessons, lstm_viz.cli, "
            "lstm_viz.train; print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(APP).parent)
    assert out.stdout.strip() == "False", out.stderr
    plotly_users = [p.name for p in (Path(APP).parent / "lstm_viz").glob("*.py") if "import plotly" in p.read_text()]
    assert plotly_users == ["figures.py"]


def test_training_on_the_typed_text():
    at = ok(new(view="train", task="next_char"))
    at.text_area(key="text").set_value("an owl, an oak, an orange 猫").run()
    at.slider(key="tsteps").set_value(20).run()
    at.checkbox(key="own_text").check().run()
    at.button(key="train_go").click().run()
    ok(at)
    assert "猫" in at.session_state["trained_task"].vocab
    assert not at.warning  # the typed text is now inside the model's vocabulary: no <unk> steps
