"""The handout's key figure of every scene is the page's: the same panel, the same numbers, in both languages.
The page is opened as a class sees the scene (AppTest, presenter view), and its drawn chart, diagram data or table
is compared with what the handout draws for that scene."""

import json

import numpy as np
import pytest

from lstm_viz.teach import handout, lessons, panels
from lstm_viz.teach.choice import plain_loaders
from page_helpers import array, knob_data, new, ok, player, settings_of

SCENES = lessons.load_lessons()
CASES = [(s, lang) for s in SCENES for lang in ("en", "zh")]


def data_of(spec: dict) -> list[dict]:
    """A chart's traces with every array decoded (Plotly writes them as lists or as base64 'bdata')."""
    def plain(v):
        if isinstance(v, dict) and "bdata" in v:
            return plain(array(v).tolist())
        if isinstance(v, float) and v != v:
            return "NaN"  # compared as equal to itself
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v
    return [plain(d) for d in spec["data"]]


def drawn(at, name: str) -> dict:
    """The page's chart named ``name`` (its element key; the gradient view's two and the intervention view's two
    are drawn by its knobs component, from the figures it is sent)."""
    if name in ("gradients", "compare", "cmp_trace", "g_compare"):
        found = [f for f in [knob_data(at)["base"].get("main" if name in ("gradients", "cmp_trace") else "compare")]
                 if f]
        assert len(found) == 1, f"no chart {name!r} on the page"
        return found[0]
    found = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith("-" + name)]
    assert len(found) == 1, f"{len(found)} charts named {name!r} on the page"
    return found[0]


@pytest.mark.parametrize("scene,lang", CASES, ids=[f"{s.id}-{lang}" for s, lang in CASES])
def test_the_handouts_key_figure_is_the_pages(scene, lang):
    at = ok(new(scene=scene.id, present="true", lang=lang))
    assert not at.error, [e.value for e in at.error]
    chart = handout.key_chart(scene, lang)
    ctx = panels.scene_context(scene, lang, plain_loaders())
    if chart is not None:
        mine = json.loads(chart.figure().to_json())
        page = drawn(at, chart.name)
        assert data_of(page) == data_of(mine)
        return
    if ctx.s.view == "params":
        table = at.table[0].value
        rows = panels.params_rows(ctx)
        assert [list(r.values()) for r in rows] == table.values.tolist()
        return
    # the step view: the handout carries the step player's own data, which the player's renderer draws
    figure = handout.key_figure(scene, lang)
    mine = json.loads(figure.split(">", 1)[1].rsplit("</script>", 1)[0].replace("<\\/", "</"))
    page = player(at)
    assert mine.pop("t") == ctx.t == settings_of(at).t
    for field in ("series", "diagram", "equations", "pred", "tokens", "layer", "unit", "title", "scales"):
        assert mine[field] == page[field], field


def test_a_different_number_is_seen():
    """The comparison itself: one changed number in a drawn chart fails it."""
    scene = next(s for s in SCENES if s.settings.get("view") == "grad")
    mine = json.loads(handout.key_chart(scene, "en").figure().to_json())
    other = json.loads(json.dumps(mine))
    d = next(d for d in other["data"] if "y" in d and np.isfinite(array(d["y"]).astype(float)).any())
    y = array(d["y"]).astype(float)
    i = int(np.flatnonzero(np.isfinite(y))[0])
    y[i] = np.nextafter(y[i], np.inf)
    d["y"] = y.tolist()
    assert data_of(other) != data_of(mine)


VARIANTS = [("no-forget-gate", {"iunits": (1, 3), "isteps": (5, 20)}),
            ("many-to-one", {"seqlen": 60, "probe": True}),
            ("vanishing", {"seqlen": 40})]


@pytest.mark.parametrize("sid,extra", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_the_handout_follows_the_settings_a_page_can_change(sid, extra):
    """The intervention's clamped units and steps, the gradient view's sequence length and probe: a scene opened with
    them in its address draws what the handout draws for the scene with them in its settings."""
    from dataclasses import replace

    from lstm_viz.teach.settings import DEFAULTS, to_query

    scene = lessons.by_id(SCENES, sid)
    assert scene is not None, sid
    variant = replace(scene, settings={**scene.settings, **extra})
    query = to_query(DEFAULTS.replace(**variant.settings))
    at = ok(new(scene=sid, present="true", **{k: query[k] for k in extra}))
    assert all(getattr(settings_of(at), k) == v for k, v in extra.items()), settings_of(at)
    chart = handout.key_chart(variant, "en")
    assert data_of(drawn(at, chart.name)) == data_of(json.loads(chart.figure().to_json()))
    assert data_of(json.loads(handout.key_chart(scene, "en").figure().to_json())) != \
        data_of(json.loads(chart.figure().to_json())), "the variant must change the figure, or it tests nothing"
