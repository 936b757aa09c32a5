"""The page through streamlit.testing.v1.AppTest: every control, what the charts contain, bad input."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import lstm_viz
import page_helpers as ph
from lstm_viz.models.train import load_model
from lstm_viz.teach import lessons
from lstm_viz.teach.settings import MAX_TEXT, SPECS
from page_helpers import APP, MODELS, array, new, ok, player, series, settings_of, specs, trained_of


def chart_with(at, text):
    for s in specs(at):
        if text in json.dumps(s.get("layout", {}), ensure_ascii=False):
            return s
    raise AssertionError(f"no chart mentions {text!r}")


def shipped_trace(stem: str, text: str):
    model, task, _ = load_model(MODELS / stem)
    enc = task.encode(text)
    return model, task, enc, lstm_viz.trace(model.rnn, enc.x)


def test_first_page_shows_a_trained_model_and_the_player_has_every_step():
    at = ok(new())
    s = settings_of(at)
    assert s.source == "trained" and s.task == "brackets" and s.cell == "lstm"
    d = player(at)
    text = at.text_area(key="text").value
    model, task, enc, tr = shipped_trace("brackets_lstm", text)
    assert d["T"] == len(text) == d["hi"] and d["lo"] == 0 and d["tokens"] == list(enc.tokens)
    # every number the player shows is the model's own (float32 exactly for what the trace holds)
    for name in ("i", "f", "g", "o"):
        np.testing.assert_array_equal(series(d, name), tr.gates[name][0, :, 0])
    np.testing.assert_array_equal(series(d, "h"), tr.h[0, :, 0])
    np.testing.assert_array_equal(series(d, "c"), tr.c[0, :, 0])
    with torch.no_grad():
        probs = torch.softmax(torch.from_numpy(np.array(tr.h[-1])) @ model.head.weight.T + model.head.bias, -1)
    top = np.frombuffer(base64.b64decode(d["pred"]["idx"]), dtype=np.uint16).reshape(d["T"], d["pred"]["k"])
    assert (top[:, 0] == probs.argmax(-1).numpy()).all()
    assert any("W_{if}" in line for line in d["equations"]["pytorch"])
    assert d["diagram"]["boxes"][0]["label"].startswith("f = σ")
    assert not at.get("slider") or all(sl.key != "t" for sl in at.slider)  # one time control: the player
    assert not [b for b in at.button if b.key in ("prev", "next")]
    # the first page's story (README): the shown unit's cell state, as the strips draw it, rises as brackets open
    # and falls as they close (the depth counted before the step's own closer)
    depth, opened = [], 0
    for ch in d["tokens"]:
        opened += ch in "(["
        depth.append(opened)
        opened -= ch in ")]"
    assert np.corrcoef(series(d, "c"), depth)[0, 1] > 0.6


def address(at) -> dict:
    comp = [c for c in at.get("bidi_component") if c.proto.component_name == "lstm_viz_address"]
    return json.loads(comp[-1].proto.json)


def test_the_step_comes_from_the_address_and_reruns_never_rebuild_the_model():
    at = ok(new(t="5", view="step"))
    assert settings_of(at).t == 5
    assert address(at) == {"query": {}, "t": 5, "top": False} and player(at)["t"] == 5  # a link opens at its step
    calls = []
    real = lstm_viz.trace
    lstm_viz.trace = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        at.number_input(key="unit").set_value(3).run()
        ok(at)
        assert player(at)["unit"] == 3 and "t" not in player(at)  # from now on the player keeps its own step
        assert address(at) == {"query": {"unit": "3"}, "t": None, "top": False}
        assert calls == []  # the trace is cached per model and input
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
    assert player(at)["cell"] == cell


def test_over_time_view_has_lines_text_colouring_saturation_and_cursors():
    at = ok(new(view="time"))
    at.multiselect(key="units").set_value([0, 3]).run()
    ok(at)
    kinds = [s["data"][0]["type"] for s in specs(at)]
    assert kinds.count("heatmap") == 2 and "scatter" in kinds and "bar" in kinds
    sat = chart_with(at, "gate saturation")
    assert all(0 <= v <= 1 for d in sat["data"] for v in array(d["y"]))
    cursors = [s["layout"].get("meta", {}).get("cursor") for s in specs(at)]
    assert sum(c is not None for c in cursors) == 3  # heatmaps, unit lines, text colouring follow the player's t
    assert player(at)["compact"] is True
    assert settings_of(at).units == (0, 3)


def test_gradient_view_knobs_come_with_the_models_values_their_sweeps_and_a_fixed_axis():
    at = ok(new(view="grad"))
    before = chart_with(at, "cross-entropy")
    assert before["layout"]["yaxis"]["type"] == "log" and before["layout"]["xaxis"]["tickformat"] == "d"
    names = [d["name"] for d in before["data"]]
    assert "‖∂h_T/∂h_t‖" in names and "cell path mean ∏f" in names and "‖∂L/∂c_t‖" in names
    shown = " ".join(m.value for m in at.markdown)
    assert re.search(r"ρ\(W_hh\) of the model shown: \*\*\d+\.\d{3}\*\*", shown)
    assert re.search(r"mean forget-gate bias b_f: \*\*[+-]\d+\.\d{3}\*\*", shown)
    compare = [s for s in specs(at) if {d.get("name") for d in s["data"]} == {"RNN: ‖∂L/∂h_t‖", "GRU: ‖∂L/∂h_t‖",
                                                                              "LSTM: ‖∂L/∂c_t‖"}]
    assert compare
    knobs = {k["name"]: k for k in ph.knob_data(at)["knobs"]}
    assert list(knobs) == ["radius", "seqlen", "trunc", "clip"]  # the forget bias once its switch is on
    for k in knobs.values():  # each at its setting's value, the values it offers named as the address names them
        assert k["values"][k["at"]] == 0 and k["points"][k["at"]] == {} and len(k["names"]) == len(k["values"])
        assert sum(p is not None for p in k["points"]) > 1
    assert knobs["radius"]["query"][knobs["radius"]["values"].index(1.5)] == "1.5"
    ph.release(at, "radius", 1.5)
    ok(at)
    assert chart_with(at, "cross-entropy")["layout"]["yaxis"]["range"] == before["layout"]["yaxis"]["range"]
    ph.release(at, "trunc", 5)
    ph.release(at, "clip", 0.1)
    ok(at)
    after = chart_with(at, "cross-entropy")
    assert json.dumps(after["data"]) != json.dumps(before["data"])
    assert any("after clipping" in d["name"] for d in after["data"])  # clipping drawn on the chart
    assert any("after clipping at 0.1" in t for t in ph.knob_texts(at))
    ph.release(at, "seqlen", 120)
    ok(at)
    long = chart_with(at, "cross-entropy")
    assert len(array(long["data"][0]["x"])) == 120
    lo, hi = long["layout"]["xaxis"]["range"]  # reversed: step 119 on the left, 0 on the right, nothing past them
    assert 119 < lo < 122 and -2 < hi < 0 and long["layout"]["xaxis"]["dtick"] == 10  # 12 labels, not 120


def test_a_steps_axis_has_at_most_twelve_labels_at_the_finest_round_step():
    from lstm_viz.teach.figures import STEP_TICKS, step_tick

    rounds = sorted(m * 10**k for k in range(6) for m in (1, 2, 5))
    for T in range(1, 20001):
        d = step_tick(T)
        assert d in rounds and T <= d * STEP_TICKS
        finer = [r for r in rounds if r < d]
        assert not finer or T > finer[-1] * STEP_TICKS, T


def test_exploding_gradients_are_drawn_not_raised():
    at = ok(new(view="grad", radius="10", seqlen="1000"))
    assert not at.error, [e.value for e in at.error]
    drawn = json.dumps(specs(at), ensure_ascii=False)
    assert "exploded past 10^38 at step" in drawn and "overflowed" in drawn


def test_comparison_uses_the_weight_scale_of_the_main_chart():
    at = ok(new(view="grad", source="random", cell="lstm", scale="3", text="abcabcabcabcabcabcabcabc"))
    main = chart_with(at, "probe")
    dc = next(d for d in main["data"] if d["name"] == "‖∂L/∂c_t‖")
    cmp = next(s for s in specs(at) if {d.get("name") for d in s["data"]} >= {"LSTM: ‖∂L/∂c_t‖"})
    lstm = next(d for d in cmp["data"] if d["name"] == "LSTM: ‖∂L/∂c_t‖")
    np.testing.assert_allclose(array(lstm["y"]), array(dc["y"]), rtol=1e-6)  # the same model, weight scale 3


def test_intervention_compares_with_original_on_the_same_axes():
    at = ok(new(view="intervene"))
    at.selectbox(key="igate").set_value("f").run()
    knob = ph.knob_data(ok(at))["knobs"]
    assert [k["name"] for k in knob] == ["ival"] and knob[0]["values"][knob[0]["at"]] == 1.0  # f's top: as run
    assert knob[0]["values"][:3] == [0.0, 0.05, 0.1] and len(knob[0]["values"]) == 21  # the slider's 0.05 steps
    ph.release(at, "ival", 0.0)
    ok(at)
    cmp = [s for s in specs(at) if {d.get("name") for d in s["data"]} >= {"original", "clamped"}]
    assert cmp
    h = [array(d["y"]) for d in cmp[0]["data"][:2]]
    assert not np.allclose(h[0], h[1])  # erasing the memory changes the hidden state
    grads = chart_with(at, "original / clamped")
    assert any("(clamped)" in d["name"] for d in grads["data"])
    for d in grads["data"]:  # no legend entry for a line that is not drawn
        if d.get("showlegend", True):
            assert np.isfinite(array(d["y"])).any(), d["name"]
    assert any("clamped" in t for t in ph.knob_texts(at))
    assert at.multiselect(key="iunits").label.startswith("Units to clamp")


@pytest.mark.parametrize("lang,placeholder", [("en", "2, the top layer"), ("zh", "2，顶层")])
def test_an_empty_layer_box_says_it_is_the_top_layer_drawn(lang, placeholder):
    at = ok(new(view="intervene", source="random", layers="3", lang=lang))
    box = at.number_input(key="layer")
    assert box.value is None and box.proto.placeholder == placeholder
    if lang == "en":  # what is drawn is the top layer
        top = [s for s in specs(at) if {d.get("name") for d in s["data"]} >= {"original", "clamped"}][0]
        assert "unit 0, layer 2" in json.dumps(top["layout"])
    box.set_value(0).run()
    assert ok(at).number_input(key="layer").value == 0


def test_training_replaces_the_model_visibly_and_can_go_back():
    at = ok(new(view="train", task="sentiment"))
    at.slider(key="tsteps").set_value(20).run()
    at.button(key="train_go").click().run()
    ok(at)
    assert trained_of(at).steps == 20
    assert any("Accuracy on fresh samples" in m.value for m in at.markdown)
    assert any("you trained here" in w.value for w in at.warning)
    assert len(trained_of(at).snapshots) >= 2
    at.select_slider(key="snap").set_value(0).run()
    ok(at)
    at.button(key="back_to_shipped").click().run()
    ok(at)
    assert trained_of(at) is None and not any("you trained here" in w.value for w in at.warning)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_shakespeare_model_opens_and_its_training_view_shows_its_held_out_score_and_samples(lang):
    at = ok(new(task="shakespeare_char", lang=lang))
    assert player(at) and not at.error
    for view in ("time", "grad", "intervene", "params"):  # every view opens on it, no refusal at its example
        assert not ok(new(task="shakespeare_char", view=view, lang=lang)).error, view
    at = ok(new(task="shakespeare_char", view="train", lang=lang))
    card = json.loads((MODELS / "shakespeare_char_lstm.json").read_text())
    caption = [c.value.replace("\\", "") for c in at.caption]  # as shown: the Markdown escapes read
    caption = [c for c in caption if f"{card['held_out']['bpc']:.3f}" in c]
    assert caption and ("留出文本" in caption[0]) == (lang == "zh")
    texts = [t.value.strip() for t in at.text]  # a sample may end in a space
    assert all((smp["prompt"] + smp["text"]).strip() in texts for smp in card["samples"])
    from lstm_viz.i18n import tr
    from lstm_viz.teach.cells_found import FEATURES, shakespeare_cells
    found = shakespeare_cells()
    for name in FEATURES:  # the best unit of every feature, as found again here
        u = found.best[name][0]
        assert tr("cells_found_row", lang, feature=tr(f"feat_{name}", lang), state=u.state, unit=u.unit, r=u.r) in texts


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_word_model_is_in_the_menu_predicts_the_next_word_and_shows_its_perplexity(lang):
    """The WikiText word LSTM from the task menu: typed words through its embedding, its next-word predictions the
    model's own (softmax of its head at the last step), every view open on it, and the training view's held-out
    perplexity beside the n-grams and its samples."""
    import torch

    from lstm_viz.models.train import load_model, shipped_stem

    at = ok(new(lang=lang))
    at.selectbox(key="task").set_value("wikitext_word").run()
    ok(at)
    assert settings_of(at).task == "wikitext_word" and settings_of(at).cell == "lstm"
    assert not at.get("segmented_control") or "cell" not in [c.key for c in at.segmented_control]  # no cell choice
    d = player(at)
    model, task, card = load_model(shipped_stem("wikitext_word_lstm"))
    enc = task.encode(at.text_area(key="text").value)
    assert d["tokens"] == list(enc.tokens) and len(enc.tokens) > 3  # whole words, one a step
    with torch.no_grad():
        out, _ = model.rnn(torch.as_tensor(enc.x, dtype=torch.float32))
        probs = torch.softmax(model.head(out[-1]), -1)
    top = np.frombuffer(base64.b64decode(d["pred"]["idx"]), dtype=np.uint16).reshape(d["T"], d["pred"]["k"])
    assert top[-1, 0] == int(probs.argmax())
    for view in ("time", "grad", "intervene", "params"):
        assert not ok(new(task="wikitext_word", view=view, lang=lang)).error, view
    at = ok(new(task="wikitext_word", view="train", lang=lang))
    caption = [c.value.replace("\\", "") for c in at.caption]
    assert [c for c in caption if f"{card['held_out']['perplexity']:.1f}" in c and
            f"{card['held_out']['baseline_perplexity']['bigram']:.1f}" in c and ("困惑度" in c) == (lang == "zh")]
    texts = [t.value.strip() for t in at.text]
    assert all((smp["prompt"] + " " + smp["text"]).strip() in texts for smp in card["samples"])


def test_params_export_language_presenter():
    at = ok(new(view="params"))
    rows = at.dataframe[0].value
    counts = dict(zip(rows["Cell"], rows["parameters"]))
    assert counts["GRU"] * 4 == counts["LSTM"] * 3 and counts["RNN"] * 4 == counts["LSTM"]
    at = ok(new(view="export"))
    assert len(at.get("download_button")) == 3  # trace, gradients, npz (an interactive file holds no export view)
    assert [b for b in ok(new()).get("download_button")]  # the one-step view's interactive file, in the sidebar
    at = ok(new(lang="zh"))
    assert any(m.value.startswith("<h1>循环神经网络内部 <span") for m in at.markdown)  # the title and its line
    at = ok(new(present="true"))
    assert any("display: none" in m.value and "stSidebar" in m.value for m in at.markdown)
    at.button(key="exit_presenter").click().run()
    assert settings_of(at).present is False


@pytest.mark.parametrize("params", [{"present": "true", "scene": "vanishing"},
                                    {"present": "true", "source": "random", "hidden": "32"}])
def test_presenter_view_with_a_fresh_random_model(params):
    at = ok(new(**params))  # once a crash: a module-level name was reused for presenter CSS
    assert not at.error
    assert chart_with(at, "probe") if params.get("scene") else player(at)


def test_clicking_the_active_view_keeps_a_view():
    at = ok(new(view="time"))
    at.segmented_control(key="view").set_value(None).run()
    ok(at)
    assert settings_of(at).view == "time" and at.get("plotly_chart")


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
    d = player(at)
    assert d["layer"] == 1 and d["layers"] == 2 and d["hidden"] == 12


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
        assert any(msg in e.value.replace("\\", "") for e in at.error)  # shown as plain text: Markdown escaped
    at = ok(new(view="time"))
    at.text_area(key="text").set_value("(abc) QQ 中").run()
    ok(at)
    assert any("<unk>" in w.value.replace("\\", "") for w in at.warning)
    heat_labels = json.dumps(specs(at)[0], ensure_ascii=False)
    assert "&lt;unk&gt;:Q" in heat_labels and "&lt;unk&gt;:中" in heat_labels  # text, never a tag, in a chart
    d = player(at)
    assert [d["tokens"][i] for i in d["unknown"]] == ["Q", "Q", "中"]


def test_long_sequences_stay_under_two_megabytes_per_rerun():
    text = ("f(x [a \"b (c\" d] (y)) \"z\" [[a] b] " * 400)[: lstm_viz.MAX_STEPS]
    at = ok(new(view="time"))
    at.text_area(key="text").set_value(text).run()
    ok(at)
    assert any("bin means" in i.value for i in at.info)
    for view in ("time", "step", "grad"):
        at.segmented_control(key="view").set_value(view).run()
        ok(at)
        charts = sum(len(c.proto.spec) for c in at.get("plotly_chart"))
        steps = sum(len(c.proto.json) for c in at.get("bidi_component"))
        assert 0 < charts + steps <= 2 * 2**20, (view, charts, steps)
        if view != "grad":
            d = player(at)
            assert d["T"] == lstm_viz.MAX_STEPS and d["hi"] - d["lo"] == 2000  # a window of steps


def test_step_data_at_two_thousand_steps_fits_in_one_and_a_half_megabytes():
    text = ("hello world " * 200)[:2000]
    at = ok(new(source="random", hidden="64", text=text))
    d = player(at)
    assert d["T"] == 2000 and d["hi"] == 2000
    assert len(json.dumps(d)) <= 1.5 * 2**20


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("scene", lessons.load_lessons(), ids=lambda s: s.id)
def test_every_scene_opens_in_both_languages(scene, lang):
    at = ok(new(scene=scene.id, lang=lang))
    assert not at.error, [e.value for e in at.error]
    assert any(scene.title[lang] in h.value for h in at.subheader)
    assert any(scene.question[lang][:20] in i.value for i in at.info)


def test_scene_change_applies_the_scenes_own_step():
    at = ok(new(scene="rnn-step", t="7"))
    assert settings_of(at).t == 7  # the address wins on opening
    at.button(key="next_scene").click().run()
    ok(at)
    at.button(key="next_scene").click().run()
    ok(at)
    at.button(key="next_scene").click().run()
    ok(at)
    s = settings_of(at)
    assert s.scene == "forget-gate" and s.t == 0 and s.view == "time"
    assert player(at)["t"] == 0  # the player is told the scene's step


def test_chinese_labels_and_svg_downloads():
    assert "层 0" in player(ok(new(lang="zh")))["title"]
    at = ok(new(lang="zh", view="grad", imgfmt="svg"))
    assert chart_with(at, "距末尾的步数")
    configs = [json.loads(c.proto.config) for c in at.get("plotly_chart")]
    assert configs and all(c["toImageButtonOptions"]["format"] == "svg" for c in configs)
    at = ok(new(view="intervene", ival="0.0", igate="f"))
    knob = ph.knob_data(at)["knobs"][0]  # intervention settings come from the address too
    assert knob["name"] == "ival" and knob["values"][knob["at"]] == 0.0


BAD_VALUES = ["foo", "-1", "nan", "inf", "1e400", "9" * 60, "x" * 5000, ""]


@pytest.mark.parametrize("bad", BAD_VALUES)
def test_every_setting_wrong_in_the_address_gives_a_notice_not_an_exception(bad):
    at = ok(new(**{name: bad for name in SPECS if name != "text"}))
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert "not valid" in notice
    named = " ".join(t.value for t in at.text)
    assert all(f"{name}=" in named for name in ("cell", "hidden", "view"))
    assert at.get("bidi_component") or at.get("plotly_chart")


@pytest.mark.parametrize("params", [{"cell": "foo"}, {"cell": "LSTM"}, {"cell": ""}, {"scene": "nope"},
                                    {"view": "grad", "radius": "10", "seqlen": "1000"},
                                    {"text": "x" * (MAX_TEXT + 5)}])
def test_addresses_that_used_to_crash(params):
    at = ok(new(**params))
    assert not at.error or "text" in params
    if "radius" not in params:
        assert at.warning
    if params.get("scene") == "nope":
        assert any("no such lesson scene" in t.value for t in at.text)


def test_streamlit_only_in_the_page_package():
    import subprocess
    import sys
    code = ("import sys, lstm_viz, lstm_viz.teach.figures, lstm_viz.teach.readout, lstm_viz.teach.lessons, "
            "lstm_viz.cli, "
            "lstm_viz.models.train, lstm_viz.teach.settings, lstm_viz.teach.choice, lstm_viz.teach.stepdata, "
            "lstm_viz.teach.diagram, lstm_viz.teach.handout; "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(APP).parent)
    assert out.stdout.strip() == "False", out.stderr
    pkg = Path(APP).parent / "lstm_viz"
    for p in pkg.rglob("*.py"):
        src = p.read_text()
        inside = "page" in p.relative_to(pkg).parts
        if not inside:
            assert "import streamlit" not in src and "lstm_viz.page" not in src and "from .page" not in src, p
    plotly_users = sorted(p.name for p in pkg.rglob("*.py") if "import plotly" in p.read_text())
    assert plotly_users == ["figures.py"]


def test_colours_come_from_notation_only():
    import re
    pkg = Path(APP).parent / "lstm_viz"
    hexes = re.compile(r"#[0-9A-Fa-f]{6}\b|rgba?\(\s*\d")
    files = [*pkg.rglob("*.py"), *(pkg / "page" / "player" / "src").glob("*")]
    offenders = [str(p) for p in files if p.name != "notation.py" and hexes.search(p.read_text())]
    assert offenders == []


def test_training_on_the_typed_text():
    at = ok(new(view="train", task="next_char"))
    at.text_area(key="text").set_value("an owl, an oak, an orange 猫").run()
    at.slider(key="tsteps").set_value(20).run()
    at.checkbox(key="own_text").check().run()
    at.button(key="train_go").click().run()
    ok(at)
    assert "猫" in trained_of(at).model.task.vocab
    assert not [w for w in at.warning if "<unk>" in w.value]  # the typed text is in the model's vocabulary now


def test_the_probe_loss_can_replace_the_models_own():
    at = ok(new(view="grad"))
    assert chart_with(at, "cross-entropy")
    at.toggle(key="probe").set_value(True).run()
    ok(at)
    assert chart_with(at, "probe: L = Σ h_T")
    assert settings_of(at).probe is True


def test_the_unrolled_view_on_request_and_in_scene_one():
    at = ok(new())
    assert not at.get("plotly_chart")  # the first page needs no charting library
    at.toggle(key="unrolled").set_value(True).run()
    spec = chart_with(ok(at), "Unrolled over the first steps")
    assert spec["layout"]["meta"]["cursor"] == {"lo": 0, "bin": 1, "grid": None}
    at = ok(new(scene="rnn-step"))
    spec = chart_with(at, "Unrolled over the first steps")
    backward = [a["text"] for a in spec["layout"]["annotations"] if "e" in a.get("text", "") and a["text"][0].isdigit()]
    assert len(backward) == 7  # ‖∂L/∂h_t‖ on each backward edge of the first eight steps


def test_charts_are_built_once_and_follow_every_setting_they_draw():
    """Charts are cached as JSON per (data, arguments): a second session gets the same charts as the session that
    built them, and a setting a chart draws (the unit outlined, the gradient's clip, the language) changes it."""
    from lstm_viz.page import cache
    from lstm_viz.teach import figures

    cache.figure_json.clear()
    built = specs(ok(new(view="time", unit="2")))  # built in this run
    assert specs(ok(new(view="time", unit="2"))) == built  # read back from the cache
    again = ok(new(view="time", unit="2"))
    at = again.number_input(key="unit").set_value(5).run()
    heat = specs(ok(at))[0]
    outlined = {(s["y0"], s["y1"]) for s in heat["layout"]["shapes"]}
    assert outlined == {(4.5, 5.5)} and heat != built[0]
    at.number_input(key="unit").set_value(2).run()
    assert specs(ok(at)) == built
    # what the cache returned is what the figure function draws on the page's data
    model, task, enc, trace = shipped_trace("brackets_lstm", task_text := at.session_state["text"])
    direct = json.loads(figures.heatmaps(trace, 0, enc.labels, None, "en", unit=2).to_json())
    assert direct == built[0], task_text
    g = ok(new(view="grad"))
    clip0 = specs(g)[0]
    ph.release(g, "clip", 0.5)
    assert specs(ok(g))[0] != clip0
    assert specs(ok(new(view="grad", lang="zh")))[0]["layout"] != clip0["layout"]


# every setting of SPECS, set to a value other than its default in a link (with what makes its widget appear)
ROUND_TRIPS = {
    "lang": dict(lang="zh"), "scene": dict(scene="forget-gate"),
    "present": dict(present=True, scene="gradients-survive"),
    "source": dict(source="random"), "task": dict(task="recall"), "cell": dict(cell="gru"),
    "lag": dict(task="recall", lag=50), "readout": dict(task="digits_rows", readout="outputs"),
    "finit": dict(task="recall", lag=20, finit=1.0),
    "mode": dict(source="random", mode="words"), "hidden": dict(source="random", hidden=16),
    "layers": dict(source="random", layers=2), "seed": dict(source="random", seed=3),
    "scale": dict(source="random", scale=2.5), "text": dict(text="(a [b])"), "view": dict(view="time"),
    "t": dict(t=3), "unit": dict(unit=2), "layer": dict(source="random", layers=2, layer=0),
    "imgfmt": dict(imgfmt="svg"), "units": dict(view="time", units=(1, 4)),
    "win": dict(view="time", text="(a) " * 700, win=(100, 900)), "radius": dict(view="grad", radius=2.5),
    "fbias": dict(view="grad", fbias=3.0), "seqlen": dict(view="grad", seqlen=50),
    "trunc": dict(view="grad", trunc=3), "clip": dict(view="grad", clip=1.5),
    "igate": dict(view="intervene", igate="o"), "ival": dict(view="intervene", ival=0.5),
    "iunits": dict(view="intervene", iunits=(1, 2)), "isteps": dict(view="intervene", isteps=(2, 5)),
    "tsteps": dict(view="train", tsteps=100), "probe": dict(view="grad", probe=True),
    "unrolled": dict(unrolled=True),
}


def test_round_trips_cover_every_setting():
    assert set(ROUND_TRIPS) == set(SPECS)


@pytest.mark.parametrize("name", list(ROUND_TRIPS))
def test_a_link_with_any_setting_opens_with_its_widget_showing_it_and_keeps_its_address(name):
    """Opened from a link, a non-default value is the session's setting, its widget shows it (where it has one) and
    the address the page writes back is the link's own."""
    from lstm_viz.page.state import _widget_value
    from lstm_viz.teach import lessons
    from lstm_viz.teach.settings import DEFAULTS, to_query

    overrides = ROUND_TRIPS[name]
    scene = lessons.by_id(lessons.load_lessons(), overrides["scene"]) if "scene" in overrides else None
    base = DEFAULTS.replace(**(scene.settings if scene else {}))
    want = base.replace(**overrides)
    query = to_query(DEFAULTS.replace(**overrides))
    at = ok(new(**query))
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    assert settings_of(at) == want
    if name in at.session_state and name not in ("t",):
        assert at.session_state[name] == _widget_value(name, getattr(want, name)), (name, at.session_state[name])
    address = [c for c in at.get("bidi_component") if c.proto.component_name == "lstm_viz_address"]
    written = json.loads(address[-1].proto.json)
    assert written["query"] == {k: v for k, v in to_query(want).items() if k != "t"}, written
    if name == "t":
        assert written["t"] == 3 and player(at)["t"] == 3


def test_a_visit_to_the_interventions_view_leaves_nothing_in_the_address():
    at = ok(new(view="intervene"))
    at.segmented_control(key="view").set_value("step").run()
    ok(at)
    address = [c for c in at.get("bidi_component") if c.proto.component_name == "lstm_viz_address"]
    assert json.loads(address[-1].proto.json)["query"] == {}


def test_clipping_leaves_the_gradient_charts_axis_and_its_labels_where_they_were():
    """Clipping adds two lines to the legend (the W_hh term before and after): the y axis keeps its range and its
    labels, which no longer depend on the height the legend leaves the plot."""
    at = ok(new(view="grad", cell="rnn"))
    before = specs(at)[0]["layout"]["yaxis"]
    ph.release(at, "clip", 0.5)
    after = specs(ok(at))[0]
    assert len(after["data"]) > len(specs(ok(new(view="grad", cell="rnn")))[0]["data"])  # the clip's lines
    assert {k: after["layout"]["yaxis"].get(k) for k in ("range", "dtick", "tick0", "type")} == \
        {k: before.get(k) for k in ("range", "dtick", "tick0", "type")} and before.get("dtick")


def test_the_forget_bias_twins_are_picked_in_the_sidebar():
    """The recall LSTM at lag 20 offers the two models trained from forget bias 0 and 1; no other model does."""
    at = ok(new(task="recall", lag=20, view="grad"))
    assert settings_of(at).finit is None
    at.segmented_control(key="finit").set_value(0.0).run()
    assert settings_of(ok(at)).finit == 0.0
    assert any("trained from forget-gate bias 0" in c.value for c in at.caption)
    at = ok(new(task="recall", lag=50))
    assert not [w for w in at.get("segmented_control") if w.key == "finit"]
