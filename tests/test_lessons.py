"""Each scene's claim, checked on what the page sends to the browser for that scene: the chart specs and the step
player's data, decoded from an AppTest run of ?scene=<id>. Nothing here recomputes the claim beside the page."""

import json
import re

import numpy as np
import pytest

from lstm_viz.models import tasks, train
from lstm_viz.teach import cells_found, lessons
from page_helpers import array, knob_texts, new, ok, player, series, settings_of, specs

SCENES = lessons.load_lessons()
ORDER = ["rnn-step", "bptt", "vanishing", "forget-gate", "input-gate", "cell-update", "output-gate",
         "gradients-survive", "no-forget-gate", "gru", "many-to-one", "bracket-cell", "bilstm-readout", "line-cell",
         "forget-bias-init", "lstm-cost"]


def test_scenes_are_the_curriculum_in_order_and_bilingual():
    assert [s.id for s in SCENES] == ORDER
    for s in SCENES:
        for field in (s.title, s.text, s.question, s.answer):
            assert field["en"].strip() and field["zh"].strip()
            assert any("\u4e00" <= ch <= "\u9fff" for ch in field["zh"])
        assert len(s.notes["en"]) == len(s.notes["zh"]) >= 2, s.id
        assert s.tries, s.id  # every question comes with buttons that set what it asks for
        assert s.check.get("kind"), s.id


def test_scene_text_has_no_raw_latex_outside_rendered_maths():
    for s in SCENES:
        for field in (s.title, s.text, s.question, s.answer):
            for lang in ("en", "zh"):
                outside = re.sub(r"\$[^$]*\$", "", field[lang])
                assert "_{" not in outside and "^{" not in outside and "\\" not in outside, (s.id, lang, outside)


def test_bad_scene_files_are_refused(tmp_path):
    (tmp_path / "a.toml").write_text('id = "x"\ntitle = {en = "a"}\ntext = {en="a", zh="b"}\n'
                                     'question = {en="a", zh="b"}\n[settings]\n')
    with pytest.raises(ValueError, match="title needs exactly en and zh"):
        lessons.load_lessons(tmp_path)
    (tmp_path / "a.toml").write_text('id = "x"\ntitle = {en = "a", zh="b"}\ntext = {en="a", zh="b"}\n'
                                     'question = {en="a", zh="b"}\n[settings]\nexec = "rm -rf /"\n')
    with pytest.raises(ValueError, match="unknown setting 'exec'"):
        lessons.load_lessons(tmp_path)
    (tmp_path / "a.toml").write_text('id = "x"\ntitle = {en = "a", zh="b"}\ntext = {en="a", zh="b"}\n'
                                     'question = {en="a", zh="b"}\n[settings]\ncell = "LSTM"\nhidden = 9999\n')
    with pytest.raises(ValueError, match="setting 'cell': not one of"):
        lessons.load_lessons(tmp_path)
    (tmp_path / "a.toml").write_text('id = "x"\ntitle = {en = "a", zh="b"}\ntext = {en="a", zh="b"}\n'
                                     'question = {en="a", zh="b"}\n[settings]\n[[try]]\nlabel = {en="a", zh="b"}\n'
                                     'settings = {radius = 99}\n')
    with pytest.raises(ValueError, match="try #1: setting 'radius'"):
        lessons.load_lessons(tmp_path)


def chart(at, title_part: str) -> dict:
    for s in specs(at):
        if title_part in json.dumps(s["layout"], ensure_ascii=False):
            return s
    raise AssertionError(f"no chart with {title_part!r}")


def curve(spec: dict, name: str) -> np.ndarray:
    """A drawn gradient curve by name, indexed by step (0 = first step); NaN where nothing is drawn."""
    d = next(d for d in spec["data"] if d.get("name") == name)
    x, y = array(d["x"]).astype(int), array(d["y"])
    T = int(x.max()) + 1
    out = np.full(T, np.nan)
    out[T - 1 - x] = y  # x is steps back from the end
    return out


def heat(spec: dict, title_part: str) -> np.ndarray:
    """[units, steps] of the heatmap panel whose subplot title contains ``title_part``."""
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    k = next(i for i, t in enumerate(titles) if title_part in t)
    maps = [d for d in spec["data"] if d["type"] == "heatmap"]
    return array(maps[k]["z"])


def coloured_text(at, field: str, unit: int) -> np.ndarray:
    """The values the text colouring draws for ``field`` of ``unit``, one per token, in reading order."""
    title = f"{field}[unit {unit}]"
    spec = next(s for s in specs(at) if s["layout"].get("title", {}).get("text", "").startswith(title))
    z = array(spec["data"][0]["z"]).ravel()
    return z[: np.flatnonzero(~np.isnan(z))[-1] + 1]


def scene_page(scene, **params):
    at = ok(new(scene=scene.id, **params))
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("scene", SCENES, ids=[s.id for s in SCENES])
def test_scene_claim_holds_on_what_the_page_draws(scene):
    kind, c = scene.check["kind"], scene.check
    at = scene_page(scene)
    if kind == "rnn_step":  # h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), the readout's p in the player
        d = player(at)
        np.testing.assert_allclose(series(d, "h"), np.tanh(series(d, "xs_h") + series(d, "hs_h")), atol=2e-6)
        assert d["cell"] == "rnn" and d["pred"] is not None
        assert any(b["value"] == "p_top" for b in d["diagram"]["boxes"])  # readout and softmax drawn
    elif kind == "truncation":  # exactly k steps back reached, nothing beyond
        spec = chart(at, "cross-entropy")
        dh = curve(spec, "‖∂L/∂h_t‖ layer 0")
        T, k = dh.shape[0], c["k"]
        assert np.isnan(dh[: T - k]).all() and (dh[T - k:] > 0).all()
        floor = next(d for d in spec["data"] if d["name"] == "‖∂L/∂h_t‖ layer 0: underflowed to 0")
        assert sorted(array(floor["x"]).astype(int)) == list(range(k, T))  # marked, not left blank
        at.button(key="try_0").click().run()  # k = 0: full BPTT
        full = curve(chart(ok(at), "cross-entropy"), "‖∂L/∂h_t‖ layer 0")
        assert (full > 0).all()
        at.button(key="try_1").click().run()  # k = 5: the cut moves closer to the loss
        five = curve(chart(ok(at), "cross-entropy"), "‖∂L/∂h_t‖ layer 0")
        assert np.isnan(five[: T - 5]).all() and (five[T - 5:] > 0).all()
    elif kind == "vanishing":
        dh = curve(chart(at, "probe"), "‖∂L/∂h_t‖ layer 0")
        T, back = dh.shape[0], c["steps_back"]
        assert dh[T - 1 - back] < c["below"] * dh[T - 1]
        at.button(key="try_1").click().run()  # ρ = 3: it no longer vanishes
        big = curve(chart(ok(at), "probe"), "‖∂L/∂h_t‖ layer 0")
        assert big[T - 1 - back] > c["below"] * big[T - 1]
    elif kind == "forget_open":  # the named units keep f high while most units' f does not
        assert settings_of(at).units == tuple(c["units"])
        spec = specs(at)[0]
        f = heat(spec, "f:")
        others = [u for u in range(f.shape[0]) if u not in c["units"]]
        for u in c["units"]:
            assert np.nanmin(f[u]) >= c["min_f"], u
        assert np.mean([np.nanmin(f[u]) < c["max_f_others"] for u in others]) >= c["share_others"]
        outlined = {round((r["y0"] + r["y1"]) / 2) for r in spec["layout"]["shapes"]}
        assert set(c["units"]) <= outlined  # the named units are outlined on the heatmaps
        lines = next(s for s in specs(at) if s["data"][0]["type"] == "scatter")
        assert {d["name"] for d in lines["data"]} == {f"unit {u}" for u in c["units"]}
    elif kind == "written_memory":  # the first symbol decides what is written, and the prediction follows
        finals = []
        for k, first in enumerate(tasks.RECALL_SYMBOLS):
            at.button(key=f"try_{k}").click().run()
            d = player(ok(at))
            assert d["tokens"][0] == first
            finals.append(series(d, "c")[-2])
            top = np.frombuffer(__import__("base64").b64decode(d["pred"]["idx"]), dtype=np.uint16)
            assert d["pred"]["labels"][str(int(top.reshape(-1, d["pred"]["k"])[-1, 0]))] == first
        assert max(finals) - min(finals) >= c["min_spread"]
    elif kind == "cell_identity":  # C_t = f ⊙ C_{t-1} + i ⊙ c̃ on the player's own numbers
        d = player(at)
        f, i, g, c_, c_prev = (series(d, n) for n in ("f", "i", "g", "c", "c_prev"))
        assert np.abs(c_ - (f * c_prev + i * g)).max() <= 1e-5 * np.abs(c_).max()
        assert d["t"] == scene.settings["t"]  # the player opens at the scene's own step
    elif kind == "output_switch":  # the named unit's o changes by at least min_change across the named span
        d = player(at)
        o = series(d, "o")
        a, b = c["span"]
        assert abs(o[b] - o[a]) >= c["min_change"] and d["unit"] == c["unit"] and d["t"] == a
    elif kind == "lstm_vs_rnn":  # the LSTM's memory gradient above the RNN's at every step back >= min_back
        cmp = next(s for s in specs(at) if any(d.get("name") == "LSTM: ‖∂L/∂c_t‖" for d in s["data"]))
        lstm, rnn = curve(cmp, "LSTM: ‖∂L/∂c_t‖"), curve(cmp, "RNN: ‖∂L/∂h_t‖")
        T = lstm.shape[0]
        back = np.arange(T)[::-1]
        far = back >= c["min_back"]
        assert (lstm[far] > rnn[far]).all()
        assert lstm[0] >= c["min_ratio"] * rnn[0]
    elif kind == "no_forget":  # clamping f = 1 changes c visibly and the model's answers
        cmp = chart(at, f"unit {c['unit']}")
        cs = [array(d["y"]) for d in cmp["data"] if d.get("yaxis") == "y2"]
        assert len(cs) == 2 and np.abs(cs[0] - cs[1]).max() >= c["min_c_change"]
        line = next(t for t in knob_texts(at) if "Accuracy on the" in t)  # under the knobs component's chart
        a, b = (float(v) for v in re.findall(r"(\d\.\d{3})", line))
        assert a - b >= c["min_accuracy_drop"]
    elif kind == "gru":  # h_t = (1 - z) n + z h_{t-1}, PyTorch's convention, on the player's numbers
        d = player(at)
        z, n_, h, hp = (series(d, k) for k in ("z", "n", "h", "h_prev"))
        np.testing.assert_allclose(h, (1 - z) * n_ + z * hp, atol=2e-6)
        assert "PyTorch" in d["diagram"]["note"]
        at.button(key="try_0").click().run()  # Parameters
        rows = ok(at).dataframe[0].value
        counts = dict(zip(rows["Cell"], rows["parameters"]))
        assert counts["GRU"] * 4 == counts["LSTM"] * 3
    elif kind == "sentiment":  # the last step's answer follows the phrase ("not" flips it)
        for phrase, label in [(p, "positive") for p in c["positive"]] + [(p, "negative") for p in c["negative"]]:
            at.text_area(key="text").set_value(phrase).run()
            at.segmented_control(key="view").set_value("step").run()
            d = player(ok(at))
            assert not d["unknown"], phrase
            top = np.frombuffer(__import__("base64").b64decode(d["pred"]["idx"]), dtype=np.uint16)
            assert d["pred"]["labels"][str(int(top.reshape(-1, d["pred"]["k"])[-1, 0]))] == label, phrase
    elif kind == "depth_unit":  # unit c tracks the bracket depth on fresh text
        text = tasks.bracket_text(np.random.default_rng(2026), 1500)  # fresh text, not the training stream
        at.text_area(key="text").set_value(text).run()
        at.multiselect(key="units").set_value([c["unit"]]).run()
        lines = next(s for s in specs(ok(at)) if s["data"][0]["type"] == "scatter")
        c_unit = array(next(d for d in lines["data"] if d["yaxis"] == "y5")["y"])  # panels i, f, g, o, c, h
        _, depth, _ = tasks.bracket_state(text)
        assert abs(np.corrcoef(c_unit, depth)[0, 1]) >= c["min_r"]
    elif kind == "bilstm_readout":  # the answer at the last row follows the readout; both accuracies shown
        def last_answer(d):
            top = np.frombuffer(__import__("base64").b64decode(d["pred"]["idx"]), dtype=np.uint16)
            return d["pred"]["labels"][str(int(top.reshape(-1, d["pred"]["k"])[-1, 0]))]

        d = player(at)
        assert settings_of(at).readout == "outputs" and settings_of(at).text == c["image"]
        assert len(d["tokens"]) == 8 and all(tok.startswith(f"{r} ") for r, tok in enumerate(d["tokens"]))
        assert last_answer(d) == c["last_says"]  # outputs[-1]: the reverse direction has read one row
        at.button(key="try_0").click().run()  # both final states
        assert settings_of(ok(at)).readout == "final_states"
        assert last_answer(player(at)) == c["label"]
        at.button(key="try_2").click().run()  # the held-out accuracies, as the training view states them
        line = next(x.value for x in ok(at).caption if "Accuracy on the" in x.value).replace("\\", "")
        both, last, nearest, _ = (float(v) for v in re.findall(r"(\d\.\d{3})", line))
        assert both - last >= c["min_gap"] and min(both, last) > nearest
    elif kind == "strongest_cell":  # the strongest unit cells_found lists, its c following the feature on this text
        found = cells_found.shakespeare_cells()
        best = max((f for fs in found.best.values() for f in fs), key=lambda f: abs(f.r))
        assert (best.feature, best.state, best.layer) == (c["feature"], "c", 0)
        assert scene.settings["unit"] == best.unit and scene.settings["units"] == (best.unit,)
        assert f"r = {best.r:+.2f}" in scene.text["en"] and f"r = {best.r:+.2f}" in scene.text["zh"]
        assert f"{best.unit}" in scene.title["en"] + scene.text["en"]
        text = settings_of(at).text
        assert text in found.text  # read from the held-out text that cells_found read
        drawn = coloured_text(at, "c", best.unit)
        assert len(drawn) == len(text)
        line = cells_found.text_features(text)[c["feature"]]
        assert np.corrcoef(drawn, line)[0, 1] >= c["min_r"]
        lines = next(s for s in specs(at) if s["data"][0]["type"] == "scatter")
        np.testing.assert_array_equal(array(next(d for d in lines["data"] if d["yaxis"] == "y5")["y"]), drawn)
        at.button(key="try_0").click().run()  # the same unit of an untrained LSTM of the same size
        assert settings_of(ok(at)).source == "random"
        assert abs(np.corrcoef(coloured_text(at, "c", best.unit), line)[0, 1]) <= c["max_r_untrained"]
        second = c["second"]  # the best unit of another feature, as cells_found lists it
        assert found.best[second["feature"]][0].unit == second["unit"]
        at.button(key="try_1").click().run()
        text = settings_of(ok(at)).text
        assert text in found.text
        drawn = coloured_text(at, "c", second["unit"])
        assert np.corrcoef(drawn, cells_found.text_features(text)[second["feature"]])[0, 1] <= second["max_r"]
        at.button(key="try_2").click().run()  # back to the trained model on the scene's lines
        assert settings_of(ok(at)).text == scene.settings["text"]
        assert np.array_equal(coloured_text(at, "c", best.unit), coloured_text(scene_page(scene), "c", best.unit))
    elif kind == "forget_bias_init":  # one budget: bias 0 stays at chance, bias 1 learns; the gradient reaches back
        reach = {}
        for k, finit in ((None, 0.0), (0, 1.0), (1, 0.0)):  # the scene opens on bias 0; then bias 1, and back
            if k is not None:
                at.button(key=f"try_{k}").click().run()
            assert settings_of(ok(at)).finit == finit and settings_of(at).view == "grad"
            dc = curve(chart(at, "cross-entropy"), "‖∂L/∂c_t‖")
            share = dc[0] / dc[-1]  # the share of the last step's gradient that reaches the first symbol
            assert reach.setdefault(finit, share) == share
        lag = scene.settings["lag"]
        assert reach[0.0] <= c["max_halvings_factor"] * 0.5 ** lag  # f ≈ σ(0) = 0.5: halved at every step
        assert reach[1.0] >= c["min_reach_ratio"] * reach[0.0]
        at.button(key="try_2").click().run()  # both loss curves, in the training view
        assert settings_of(ok(at)).view == "train"
        chance = np.log(len(tasks.RECALL_SYMBOLS))  # the loss of a uniform guess over the symbols
        curves = chart(at, "two starting forget-gate biases")["data"]
        assert [d["name"] for d in curves] == ["forget bias 0 at the start", "forget bias 1 at the start"]
        (x0, zero), (x1, one) = ((array(d["x"]), array(d["y"])) for d in curves)
        budget = train.default_config("recall", "lstm", lag=lag).steps  # the task's own budget, for both
        assert np.array_equal(x0, np.arange(1, budget + 1)) and np.array_equal(x1, x0)
        assert zero.min() >= chance - c["chance_margin"]  # never leaves chance
        assert one[-c["final_steps"]:].mean() <= c["max_final_loss"] * chance
    elif kind == "cost":  # the parameters as torch.nn counts them; the measured costs; the memory that fades
        import torch

        assert settings_of(at).unrolled and settings_of(at).view == "step"  # each copy of h waits for the one before
        chart(at, "Unrolled over the first steps")
        at.button(key="try_0").click().run()  # what it costs: the parameters view
        assert settings_of(ok(at)).view == "params"
        sizes = re.search(r"m = (\d+), hidden_size n = (\d+)", " ".join(x.value for x in at.markdown))
        m, n = (int(v) for v in sizes.groups())
        counts = dict(zip(*(at.dataframe[0].value[k] for k in ("Cell", "parameters"))))
        modules = {"RNN": torch.nn.RNN, "GRU": torch.nn.GRU, "LSTM": torch.nn.LSTM}
        assert counts == {k: sum(p.numel() for p in mod(m, n).parameters()) for k, mod in modules.items()}
        for k in modules:  # the scene's text quotes the counts of the model it shows
            assert f"{counts[k]:,}" in scene.text["en"] and f"{counts[k]:,}" in scene.text["zh"]
        cost = at.dataframe[1].value.set_index("Cell")
        assert cost["parameters"].to_dict() == counts  # measured at the sizes the page shows
        assert cost.loc["LSTM", "one step (µs)"] >= c["min_step_ratio"] * cost.loc["RNN", "one step (µs)"]
        share = cost["input side of all steps at once (ms)"] / cost["whole sequence (ms)"]
        assert (share <= c["max_input_share"]).all()  # most of a sequence's time waits for the step before
        line = next(x.value for x in at.caption if "Memory at longer lags" in x.value).replace("\\", "")
        accs = {int(k): float(v) for k, v in re.findall(r"(\d+): (\d\.\d{3})", line)}
        lags = sorted(accs)
        assert accs[lags[0]] - accs[lags[-1]] >= c["min_memory_drop"]
        assert f"{accs[lags[-1]]:.3f}" in scene.answer["en"] and f"{accs[lags[-1]]:.3f}" in scene.answer["zh"]

        def last_answer(d):
            top = np.frombuffer(__import__("base64").b64decode(d["pred"]["idx"]), dtype=np.uint16)
            return d["pred"]["labels"][str(int(top.reshape(-1, d["pred"]["k"])[-1, 0]))]

        answers = []
        for k in (1, 2):  # the lag-100 recall LSTM at its own lag, then at the longest lag measured
            at.button(key=f"try_{k}").click().run()
            s_ = settings_of(ok(at))
            assert (s_.task, s_.lag) == ("recall", 100)
            d = player(at)
            assert d["tokens"][-1] == "?" and len(d["tokens"]) - 2 == (100 if k == 1 else lags[-1])
            answers.append((d["tokens"][0], last_answer(d)))
        assert answers[0][0] == answers[0][1] and answers[1][0] != answers[1][1]


def test_a_broken_claim_fails():
    """Swap the RNN and LSTM of scene 8: the same check must fail on what the page then draws."""
    scene = lessons.by_id(SCENES, "gradients-survive")
    at = scene_page(scene)
    cmp = next(s for s in specs(at) if any(d.get("name") == "LSTM: ‖∂L/∂c_t‖" for d in s["data"]))
    lstm, rnn = curve(cmp, "RNN: ‖∂L/∂h_t‖"), curve(cmp, "LSTM: ‖∂L/∂c_t‖")  # swapped
    back = np.arange(lstm.shape[0])[::-1]
    assert not (lstm[back >= 5] > rnn[back >= 5]).all()


def test_the_measured_costs_are_optional_and_bilingual(tmp_path):
    """Without the benchmark's file the parameters view shows the counts alone; with it, both languages say it."""
    from lstm_viz.teach import panels

    assert panels.cost_panel("en", tmp_path) is None
    en, zh = panels.cost_panel("en"), panels.cost_panel("zh")
    assert len(en.rows) == len(zh.rows) == 3 and any("\u4e00" <= ch <= "\u9fff" for ch in zh.memory + zh.caption)
    assert [list(r.values()) for r in en.rows] == [list(r.values()) for r in zh.rows]


def test_a_broken_forget_bias_claim_fails():
    """Scene 15 with its two models swapped (it opens on bias 1): the reach check must then fail."""
    scene = lessons.by_id(SCENES, "forget-bias-init")
    share = {}
    for finit in (1.0, 0.0):  # swapped: what the check takes for bias 0 is bias 1's, and the other way round
        at = scene_page(scene, finit=str(1.0 - finit))
        assert settings_of(at).finit == 1.0 - finit  # the address's model, not the scene's
        dc = curve(chart(at, "cross-entropy"), "‖∂L/∂c_t‖")
        share[finit] = dc[0] / dc[-1]
    c = scene.check
    assert not (share[0.0] <= c["max_halvings_factor"] * 0.5 ** scene.settings["lag"]
                and share[1.0] >= c["min_reach_ratio"] * share[0.0])
