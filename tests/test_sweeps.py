"""The gradient view's knobs as sweeps (lstm_viz/teach/sweeps): every point is the view the page draws at that
value, bit for bit, read back by the browser's own reader of the patches (player/src/knobs.js, run in Node); the
shared backward of a sweep of windows or thresholds is gradient_flow's for each; the plan keeps to its budget."""

import dataclasses
import functools
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lstm_viz as lv
from lstm_viz.engine.cells import build_module
from lstm_viz.engine.knobs import with_knobs
from lstm_viz.models.tasks import TASKS
from lstm_viz.notation import gate_range
from lstm_viz.teach import panels, sweeps
from lstm_viz.teach.choice import Loaders, models_for, plain_loaders
from lstm_viz.teach.settings import parse
from page_helpers import array

KNOBS_JS = Path(__file__).resolve().parent.parent / "lstm_viz" / "page" / "player" / "src" / "knobs.js"
LOADERS = plain_loaders()
LOADERS = Loaders(functools.lru_cache(None)(LOADERS.shipped), functools.lru_cache(None)(LOADERS.fresh))


def context(limits=panels.UNLIMITED, **query) -> panels.Context:
    s, notices = parse({k: [str(v)] for k, v in {"view": "grad", **query}.items()})
    assert not notices, notices
    return panels.context_for(s, models_for(s, LOADERS), limits=limits)


def applied(cases: list[tuple]) -> list:
    """Each (base, patch) read by the browser's ``apply`` (knobs.js), in one Node process."""
    script = (f"import {{ apply }} from {json.dumps(KNOBS_JS.as_uri())};\n"
              "let s = ''; process.stdin.on('data', (d) => { s += d; });\n"
              "process.stdin.on('end', () => { const cases = JSON.parse(s);\n"
              "  process.stdout.write(JSON.stringify(cases.map(([b, p]) => apply(b, p)))); });\n")
    out = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(cases), text=True,
                         capture_output=True, timeout=120, check=True)
    return json.loads(out.stdout)


def same_flows(a, b) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), f.name
        else:
            assert x == y, (f.name, x, y)


@pytest.mark.parametrize("cell,layers,directions", [("lstm", 1, 1), ("gru", 2, 1), ("rnn", 2, 1), ("lstm", 2, 2)])
def test_one_backward_gives_every_window_and_threshold_as_gradient_flow_does(cell, layers, directions):
    torch.manual_seed(0)
    m = build_module(cell, 3, 5, layers, seed=1, bidirectional=directions == 2)
    x = np.random.default_rng(0).normal(size=(14, 3)).astype(np.float32)
    windows = [None] if directions == 2 else [None, 1, 2, 5, 13, 14, 40]
    clips = [None, 1e-3, 0.5, 1e6]
    loss = (lambda y: (y ** 2).sum()) if cell == "gru" else "probe"
    many = lv.gradient_flows(m, x, loss, windows, clips)
    assert set(many) == {(w, c) for w in windows for c in clips}
    for w in windows:
        for c in clips:
            same_flows(many[w, c], lv.gradient_flow(m, x, loss=loss, truncate=w, clip=c))
    # each window's is not the full gradient's (or the test could not tell them apart)
    if directions == 1:
        assert not np.array_equal(many[1, None].dL_dh, many[None, None].dL_dh)


def every_point(ctx) -> tuple[dict, list]:
    """The view's sweeps, and per knob and swept value, the view computed on its own at that value (no sweep's
    shared flows, no kept runs)."""
    base, knobs = sweeps.sweeps(ctx)
    cases, direct = [], []
    for k in knobs:
        for v, p in zip(k.values, k.points):
            if p is None:
                continue
            cases.append([base, p])
            direct.append(sweeps.encode(sweeps.view_state(panels.with_settings(ctx, ctx.s.replace(**{k.name: v})))[0]))
    return base, knobs, cases, direct


@pytest.mark.parametrize("query", [dict(), dict(cell="rnn", fbias=1.0), dict(cell="lstm", fbias=0.5, clip=1),
                                   dict(task="sentiment", cell="gru", probe="true")])
def test_every_swept_value_is_the_view_the_page_draws_at_that_value(query):
    ctx = context(**query)
    base, knobs, cases, direct = every_point(ctx)
    assert len(cases) > 40 and all(sum(p is not None for p in k.points) > 3 for k in knobs)
    assert [k.name for k in knobs] == sweeps.knobs_of(ctx)
    if ctx.choice.cell == "lstm" and ctx.s.fbias is not None:
        assert "fbias" in [k.name for k in knobs]
    assert applied(cases) == json.loads(json.dumps(direct)), "a point differs from the view at its value"
    # and the points differ from one another: a sweep that drew one picture everywhere would pass the above
    for k in knobs:
        drawn = {json.dumps(p, sort_keys=True) for p in k.points if p is not None}
        assert len(drawn) > 2, k.name


@pytest.mark.parametrize("query", [dict(view="intervene"),
                                   dict(view="intervene", cell="gru", igate="n", ival=0.2, iunits="0,3", isteps="2,9"),
                                   dict(view="intervene", task="recall", lag=20, igate="f", ival=0.5)])
def test_every_clamp_value_swept_is_the_intervention_view_at_that_value(query):
    """The intervention view's clamp value: its slider goes over the gate's range in steps of 0.05, each point is
    the view computed on its own at that value (read back by knobs.js), and the clamped curve drawn at a value is
    the engine's clamped run there (lstm_viz.intervene, itself tested against the NumPy textbook loop)."""
    ctx = context(**query)
    base, knobs, cases, direct = every_point(ctx)
    (k,) = knobs
    gate = query.get("igate", "i")
    lo, hi = gate_range(ctx.choice.cell, gate)
    assert k.name == "ival" and k.values[0] == lo and k.values[-1] == hi
    assert k.values[k.at] == query.get("ival", hi) and len(k.values) == round((hi - lo) / 0.05) + 1
    assert all(p is not None for p in k.points)  # short texts: every value within the budget
    assert applied(cases) == json.loads(json.dumps(direct)), "a point differs from the view at its value"
    assert len({json.dumps(p, sort_keys=True) for p in k.points}) > 10
    i = k.values.index(0.0 if lo < 0 else 0.25)
    (state,) = applied([[base, k.points[i]]])
    clamped_h = next(t for t in state["main"]["data"] if t["name"] == "clamped" and t["yaxis"] == "y")
    units = tuple(int(u) for u in query["iunits"].split(",")) if "iunits" in query else None
    steps = tuple(range(*[int(v) + n for n, v in enumerate(query["isteps"].split(","))])) \
        if "isteps" in query else None
    tr, _ = lv.intervene(ctx.model.rnn, ctx.enc.x, [lv.Clamp(gate, k.values[i], units=units, steps=steps)])
    assert np.array_equal(array(clamped_h["y"]), np.asarray(tr.h[-1][:, 0], dtype=float))
    assert any("clamped" in line for line in state["lines"]) or ctx.model.head is None


def test_a_drawn_curve_is_the_engines_gradient_at_the_knobs_value():
    """The RNN with ρ(W_hh) set to 0.5 under the probe loss: the swept point's ‖∂L/∂h_t‖ curve is gradient_flow
    of the model with that spectral radius, step for step (the chart's x is steps back from the end)."""
    ctx = context(cell="rnn", probe="true")
    base, knobs = sweeps.sweeps(ctx)
    radius = next(k for k in knobs if k.name == "radius")
    i = radius.values.index(0.5)
    (state,) = applied([[base, radius.points[i]]])
    trace = next(t for t in state["main"]["data"] if t["name"] == "‖∂L/∂h_t‖ layer 0")
    gf = lv.gradient_flow(with_knobs(ctx.model.rnn, 0.5, None), ctx.enc.x, loss="probe")
    expected = gf.dL_dh[0]
    assert np.array_equal(array(trace["x"]), np.arange(len(expected))[::-1])
    assert np.array_equal(array(trace["y"]), np.where(expected > 0, expected, np.nan), equal_nan=True)
    assert not np.array_equal(array(trace["y"]), array(base["main"]["data"][0]["y"]), equal_nan=True)


def test_the_plan_keeps_to_its_budget_nearest_values_first_and_is_the_same_each_time():
    ctx = context(seqlen=300)
    names = sweeps.knobs_of(ctx)
    chosen = sweeps.plan(ctx, names, 1.0)
    assert chosen == sweeps.plan(ctx, names, 1.0)
    total = 0.0
    for k in names:
        values = sweeps.grid(k, getattr(ctx.s, k), 300)
        at = values.index(getattr(ctx.s, k))
        total += sum(sweeps.point_cost(ctx, k, values[i]) for i in chosen[k])
        # contiguous about the thumb: what is swept is the values nearest it
        taken = sorted([*chosen[k], at])
        assert taken == list(range(taken[0], taken[-1] + 1)), k
    assert total <= 1.0
    assert any(len(chosen[k]) < len(sweeps.grid(k, getattr(ctx.s, k), 300)) - 1 for k in names), \
        "at 300 steps some values are past the budget"
    assert all(not v for v in sweeps.plan(ctx, names, 0.0).values())


def test_a_refused_view_sweeps_nothing_and_every_knob_works_on_release():
    from lstm_viz.page import budget  # the page's limits

    ctx = context(budget, source="random", cell="lstm", hidden=256, layers=3, seqlen=2000)
    base, knobs = sweeps.sweeps(ctx)
    assert "refusal" in base and "work budget" in base["refusal"]
    for k in knobs:
        assert k.points[k.at] == {} and all(p is None for i, p in enumerate(k.points) if i != k.at)
        assert k.live == "none"


@pytest.mark.parametrize("task,cell,lag", [(t, "lstm", None) for t in TASKS] + [("recall", "rnn", 100)])
def test_a_shipped_models_sweeps_at_its_example_stay_under_a_megabyte(task, cell, lag):
    ctx = context(task=task, cell=cell, **({"lag": lag} if lag else {}))
    base, knobs = sweeps.sweeps(ctx)
    assert "main" in base
    size = len(json.dumps({"base": base, "knobs": [k.__dict__ for k in knobs]}))
    assert size <= sweeps.SWEEP_BYTES, size
    assert sum(p is not None for k in knobs for p in k.points) > 3 * len(knobs)


@settings(max_examples=6, deadline=None)  # many pairs an example: one Node process reads them all
@given(st.data())
def test_a_patch_read_by_the_browser_gives_the_new_value(data):
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-3, 3, allow_nan=False),
                       st.text(max_size=3))
    values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.sampled_from("abcd"), inner, max_size=4)),
                          max_leaves=12)
    pairs = data.draw(st.lists(st.tuples(values, values), min_size=30, max_size=60))
    cases = [[b, sweeps.patch(b, n)] for b, n in pairs]
    assert applied(cases) == json.loads(json.dumps([n for _, n in pairs]))


def test_the_page_keeps_each_views_sweeps_and_rations_new_ones_under_load():
    """A class letting go of knobs asks for new sweeps several times a second: past the replica's ration the view is
    drawn with every knob on release (and says the server is busy), and that answer is not kept; within it, the
    sweeps are computed once and kept for every session."""
    import time

    from lstm_viz.page import cache

    ctx = context(cell="rnn", clip=0.5)
    key = "test|" + ctx.choice.key + "|clip=0.5"
    cache._sweeps_kept.pop(key, None)
    cache._sweep_bucket[:] = [-5.0, time.monotonic()]  # a ration spent
    base, knobs, busy = cache.sweeps(key, ctx)
    assert busy and "main" in base and all(p is None for k in knobs for i, p in enumerate(k["points"]) if i != k["at"])
    assert key not in cache._sweeps_kept
    cache._sweep_bucket[:] = [cache.SWEEP_BURST, time.monotonic()]
    base2, knobs2, busy2 = cache.sweeps(key, ctx)
    assert not busy2 and base2 == base and sum(p is not None for k in knobs2 for p in k["points"]) > 20
    assert cache._sweep_bucket[0] < cache.SWEEP_BURST  # what they cost was taken from the ration
    cache._sweep_bucket[:] = [-5.0, time.monotonic()]
    assert cache.sweeps(key, ctx)[1] is knobs2  # kept: no ration needed, the same objects for every session
    cache._sweep_bucket[:] = [cache.SWEEP_BURST, time.monotonic()]
