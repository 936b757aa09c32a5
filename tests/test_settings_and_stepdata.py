"""Page state (lstm_viz.teach.settings) and the step player's data (lstm_viz.teach.stepdata, explain, diagram),
without a page."""

import base64
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lstm_viz as lv
from lstm_viz.teach import diagram, explain, readout, stepdata
from lstm_viz.teach.choice import models_for, plain_loaders
from lstm_viz.teach.settings import DEFAULTS, SPECS, PageSettings, check_values, parse, to_query


def test_every_setting_round_trips_through_the_address():
    s = DEFAULTS.replace(lang="zh", scene="gru", present=True, source="random", cell="gru", hidden=17, layers=2,
                         seed=5, scale=2.5, text="a, b\nc 你好", view="grad", t=12, unit=3, layer=1, units=(0, 4),
                         win=(3, 40), radius=1.5, fbias=-2.0, seqlen=300, trunc=7, clip=0.5, igate="z", ival=0.25,
                         iunits=(1, 2), isteps=(0, 9), tsteps=50, imgfmt="svg", mode="words", lag=50, task="recall")
    back, notices = parse(to_query(s))
    assert back == s and notices == []
    assert to_query(DEFAULTS) == {}  # a plain link for the default page


TEXTS = st.one_of(st.text(max_size=80), st.sampled_from(["nan", "inf", "-inf", "1e400", "-1", "0.5", "", "9" * 40,
                                                         "true", "1,2,3", "4-2", "x" * 100_000]))


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(SPECS)), raw=TEXTS)
def test_any_value_in_the_address_gives_valid_settings_or_a_notice(name, raw):
    s, notices = parse({name: raw})
    v = getattr(s, name)
    if notices:
        assert v == getattr(DEFAULTS, name) and name in notices[0]
    spec = SPECS[name]
    if v is None:
        assert spec.optional
    elif spec.kind in ("int", "float"):
        assert math.isfinite(v) and (spec.lo is None or spec.lo <= v <= spec.hi)
        assert spec.choices is None or v in spec.choices
    elif spec.kind == "str":
        assert len(v) <= spec.max_len and (spec.choices is None or v in spec.choices)


def test_scene_settings_are_checked_like_the_address():
    assert check_values({"hidden": 16, "units": [5, 7]}) == {"hidden": 16, "units": (5, 7)}
    for bad in ({"cell": "LSTM"}, {"hidden": 0}, {"radius": float("nan")}, {"nope": 1}, {"t": 1.5}):
        with pytest.raises(ValueError):
            check_values(bad)


def test_page_settings_and_specs_list_the_same_names():
    assert list(PageSettings.__dataclass_fields__) == list(SPECS)


def decode(d, name):
    return np.frombuffer(base64.b64decode(d["series"][name]), dtype=np.float32)


def _data(cell, source="trained", **kw):
    s = DEFAULTS.replace(source=source, cell=cell, **kw)
    m = models_for(s, plain_loaders())
    enc = m.model.encode(m.text)
    tr = lv.trace(m.model.rnn, enc.x)
    gf = lv.gradient_flow(m.model.rnn, enc.x)

    probs = readout.predictions(m.model, tr.h[-1])
    return m, enc, tr, gf, probs


def gates_from_sums(series, tr, cell, layer, unit):
    """σ / tanh of the two underbraced sums is the gate the trace holds, at every step."""
    for name in tr.gates:
        pre = series[f"xs_{name}"] + series[f"hs_{name}"]
        if cell == "gru" and name == "n":
            pre = series["xs_n"] + series["r"] * series["hs_n"]
        act = np.tanh(pre) if name in "gn" else 1 / (1 + np.exp(-pre))
        np.testing.assert_allclose(act, tr.gates[name][layer, :, unit], atol=2e-6)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_equations_with_numbers_agree_with_the_trace(cell):
    m, enc, tr, gf, probs = _data(cell)
    unit = 3
    series = explain.unit_series(m.model.rnn, tr, gf, 0, unit)
    gates_from_sums(series, tr, cell, 0, unit)
    if cell == "rnn":
        np.testing.assert_allclose(np.tanh(series["xs_h"] + series["hs_h"]), tr.h[0, :, unit], atol=2e-6)
    eq = explain.unit_templates(tr, 0, unit, set(series))
    assert eq["pytorch"][-1].endswith("⟦h:+.4f⟧")  # the last line ends in h_t, the number the trace holds
    np.testing.assert_array_equal(series["h"], tr.h[0, :, unit])
    slots = [m.group(1) for line in sum(eq.values(), []) for m in explain.PLACEHOLDER.finditer(line)]
    assert slots and set(slots) <= set(series)  # every number an equation shows is one the player receives
    assert ":.3e⟧" in eq["backward"][-1]  # gradient norms in scientific notation


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_player_data_holds_every_placeholder_the_diagram_and_equations_use(cell):
    m, enc, tr, gf, probs = _data(cell)
    d = stepdata.step_data(m.model, tr, gf, enc.tokens, enc.unknown, probs, 0, 1, 0)
    texts = [b["value"] for b in d["diagram"]["boxes"]]
    texts += [o["note"] for o in d["diagram"]["ops"]] + [lab["text"] for lab in d["diagram"]["labels"]]
    texts += sum(d["equations"].values(), [])
    names = {n for t in texts for n in re.findall(r"⟦(\w+):", t)} | {b["value"] for b in d["diagram"]["boxes"]}
    assert names - {"top"} <= set(d["series"]), names - set(d["series"])
    np.testing.assert_array_equal(decode(d, "h"), tr.h[0, :, 1])
    assert len(d["tokens"]) == d["T"] == tr.steps


def test_long_sequences_are_sent_as_a_window():
    rnn = lv.build_module("lstm", 3, 8, 1, seed=0)
    x = np.eye(3, dtype=np.float32)[np.arange(5000) % 3]
    tr = lv.trace(rnn, x)
    from lstm_viz.models.model import Model

    lo, hi = stepdata.window_of(5000, 4500)
    assert (lo, hi) == (3000, 5000)
    d = stepdata.step_data(Model(rnn), tr, None, ["a"] * 5000, np.zeros(5000, bool), None, 0, 2, lo)
    assert (d["lo"], d["hi"]) == (3000, 5000) and len(d["tokens"]) == 2000
    np.testing.assert_array_equal(decode(d, "c"), tr.c[0, 3000:, 2])
    assert d["pred"] is None and "dL_dh" not in d["series"]


def test_diagram_has_a_readout_only_where_the_model_has_a_head():
    assert not any(b["value"] == "p_top" for b in diagram.layout("rnn")["boxes"])
    assert any(b["value"] == "p_top" for b in diagram.layout("rnn", head="classify")["boxes"])
    relu = diagram.layout("rnn", "relu")
    assert relu["boxes"][0]["label"] == "h = relu"
    assert "PyTorch" in diagram.layout("gru")["note"]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_a_bidirectional_models_player_data_agrees_with_the_trace_in_both_directions(cell):
    """Layer 1 of a 2-layer bidirectional model: the sums under the braces give every gate the trace holds; a
    reverse unit reads h_{t+1}; the title, diagram and equations say which direction; gradients per run."""
    from lstm_viz.models.model import Model

    rnn = lv.build_module(cell, 4, 5, 2, seed=3, weight_scale=2.0, bidirectional=True)
    x = np.random.default_rng(0).normal(size=(9, 4)).astype(np.float32)
    tr, gf = lv.trace(rnn, x), lv.gradient_flow(rnn, x)
    for unit, d in ((2, 0), (7, 1)):
        series = explain.unit_series(rnn, tr, gf, 1, unit)
        gates_from_sums(series, tr, cell, 1, unit)
        if cell == "rnn":
            np.testing.assert_allclose(np.tanh(series["pre_h"]), tr.h[1, :, unit], atol=2e-6)
        h = tr.h[1, :, unit]
        expect_prev = np.concatenate([[0], h[:-1]]) if d == 0 else np.concatenate([h[1:], [0]])
        np.testing.assert_allclose(series["h_prev"], expect_prev, atol=1e-7)
        np.testing.assert_allclose(series["dL_dh"], gf.dL_dh[2 + d])
        np.testing.assert_allclose(series["dhT"], gf.dhT_dht[d])
        data = stepdata.step_data(Model(rnn), tr, gf, list("abcdefghi"), np.zeros(9, bool), None, 1, unit, 0)
        arrow = "← reverse" if d else "→ forward"
        assert data["title"].endswith(arrow) and data["diagram"]["banner"].startswith(arrow[0])
        text = " ".join(sum(data["equations"].values(), []) + [lb["text"] for lb in data["diagram"]["labels"]])
        assert (("t+1" in text and "₍ₜ₊₁₎" in text and "t-1" not in text and "₍ₜ₋₁₎" not in text) if d else
                ("t-1" in text and "₍ₜ₋₁₎" in text and "t+1" not in text))
        assert explain.unit_templates(tr, 1, unit, set(series))["pytorch"][-1].endswith("⟦h:+.4f⟧")
        np.testing.assert_array_equal(series["h"], tr.h[1, :, unit])
