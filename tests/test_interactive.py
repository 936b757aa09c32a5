"""`python -m lstm_viz export`: one view as a self-contained interactive file, its numbers the engine's, no user
text as markup, and a clear refusal for what it cannot write (the browser side is in tests/test_browser.py)."""

import base64
import contextlib
import html
import io
import json
import re

import numpy as np
import pytest

from lstm_viz import cli
from lstm_viz.teach import choice, interactive, lessons, panels, settings, sweeps
from page_helpers import file_payloads, file_view

HOSTILE = '<img src=x onerror="window.__pwned=1"> \\href{javascript:window.__pwned=1}{x} </script><b>'


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def data_of(page: str) -> dict:
    """The player's data in the view the file opens on."""
    (data,) = file_payloads(file_view(page), "lv-data")
    return data


def outside_scripts(page: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", page, flags=re.S)


def test_an_address_is_written_with_every_step_and_the_engines_numbers(tmp_path):
    out = tmp_path / "view.html"
    code, said, err = run("export", "--address", "?task=brackets&cell=gru&unit=3&text=f(x [a] \"b\")", "--out", out)
    assert code == 0 and said.startswith(f"wrote {out}"), err
    page = out.read_text(encoding="utf-8")
    data = data_of(page)
    s, _ = settings.parse({"task": "brackets", "cell": "gru", "unit": "3", "text": 'f(x [a] "b")'})
    ctx = panels.context_for(s, choice.models_for(s, choice.plain_loaders()))
    T = ctx.trace.steps
    assert (data["T"], data["lo"], data["hi"], data["unit"], data["cell"]) == (T, 0, T, 3, "gru")
    assert data["embedded"] is True and data["t"] == 0
    h = np.frombuffer(base64.b64decode(data["series"]["h"]), dtype=np.float32)
    np.testing.assert_array_equal(h, ctx.trace.h[-1][:, 3].astype(np.float32))
    assert len(page.encode("utf-8")) < 3 * 2**20  # the goal for one scene
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing to fetch


def test_user_text_never_becomes_markup(tmp_path):
    out = tmp_path / "hostile.html"
    code, _, err = run("export", "--address", "task=next_char&text=" + HOSTILE.replace("&", "%26"), "--out", out)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    visible = outside_scripts(page)
    assert "<img" not in visible and "<b>" not in visible and "&lt;img" in visible
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 3 and not any("</script" in s for s in scripts)
    assert "".join(data_of(page)["tokens"]) == HOSTILE  # the text itself arrives, as data


@pytest.mark.parametrize("scene", ["vanishing", "forget-gate", "no-forget-gate"])
def test_a_chart_scene_carries_the_pages_own_figures(tmp_path, scene):
    """The charts in the file are the page's panels' figures for the scene (outside presenter view), in order."""
    from lstm_viz.teach import lessons

    page = interactive.for_scene(scene, "en")
    figures = file_payloads(file_view(page), "lv-chart")
    sc = lessons.by_id(lessons.load_lessons(), scene)
    ctx = panels.scene_context(sc, "en", choice.plain_loaders())
    ctx = panels.with_settings(ctx, ctx.s.replace(present=False))
    lead, charts, _ = interactive.view_parts(ctx)
    assert [f["data"] for f in figures] == [json.loads(c.figure().to_json())["data"] for c in charts]
    if lead == "knobs":  # the view's two charts and its knobs: the page's sweeps, every point as the page sends it
        from lstm_viz.teach import sweeps

        (knobs,) = file_payloads(file_view(page), "lv-knobs")
        base, swept = sweeps.sweeps(ctx)
        assert knobs["base"] == json.loads(json.dumps(base)) and knobs["base"]["main"]["data"]
        assert [k["points"] for k in knobs["knobs"]] == json.loads(json.dumps([k.points for k in swept]))
        assert sum(p is not None for k in knobs["knobs"] for p in k["points"]) > 10
    else:
        assert figures
    assert len(page.encode("utf-8")) < 3 * 2**20


@pytest.mark.parametrize("scene", ["vanishing", "gru", "output-gate"])
def test_each_try_this_button_opens_its_view_written_into_the_file(scene):
    """A scene's file has a first button for the scene as it opens, pressed, and one per try-this button, in order;
    each shows a section holding the view at the button's settings over the scene's (the data and figures the page
    computes there); a try whose view the file does not hold is a disabled button that says so."""
    sc = lessons.by_id(lessons.load_lessons(), scene)
    page = interactive.for_scene(scene, "en")
    buttons = re.findall(r'<button type="button"(?: data-view="(\d+)" aria-pressed="(\w+)")?( disabled)?>(.*?)'
                         r'</button>', page, re.S)
    assert len(buttons) == 1 + len(sc.tries)
    assert buttons[0][:3] == ("0", "true", "") and buttons[0][3] == "As the scene opens"
    loaders = choice.plain_loaders()
    opened = panels.scene_context(sc, "en", loaders)
    shown = set()
    for (view, pressed, disabled, label), item in zip(buttons[1:], sc.tries):
        assert label.startswith(html.escape(item.label["en"]))
        s = opened.s.replace(present=False, **item.settings)
        if s.view not in interactive.WRITTEN:
            assert disabled and not view and "on the page only" in label
            continue
        assert pressed == "false" and not disabled
        section = file_view(page, int(view))
        ctx = panels.context_for(s, choice.models_for(s, loaders), scene=sc)
        lead, charts, _ = interactive.view_parts(ctx)
        assert file_payloads(section, "lv-chart") == [json.loads(c.figure().to_json()) for c in charts]
        if lead == "knobs":
            (knobs,) = file_payloads(section, "lv-knobs")
            assert knobs["base"] == json.loads(json.dumps(sweeps.sweeps(ctx)[0]))
        else:
            (data,) = file_payloads(section, "lv-data")
            assert data == json.loads(json.dumps(interactive.step_page_data(ctx, compact=lead == "compact")))
        shown.add(view)
    assert len(shown | {"0"}) >= 2  # the buttons show other views than the opening one
    assert len(page.encode("utf-8")) < 3 * 2**20


def test_a_scene_carries_its_text_question_and_folded_notes(tmp_path):
    out = tmp_path / "gru.html"
    assert run("export", "--scene", "gru", "--lang", "zh", "--out", out)[0] == 0
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and page.count("<details>") == 2
    assert data_of(page)["lang"] == "zh" and data_of(page)["cell"] == "gru"


@pytest.mark.parametrize("args,words", [
    (["--scene", "nope"], "no scene 'nope'"),
    (["--address", "view=params"], "view=params: only the step, time, grad, intervene views"),
    (["--address", "view=train"], "view=train"),
    (["--address", "cell=bogus"], "cell='bogus'"),
    (["--address", "source=upload"], "uploaded model"),
])
def test_what_cannot_be_written_is_refused_in_one_line(tmp_path, args, words):
    out = tmp_path / "x.html"
    code, _, err = run("export", *args, "--out", out)
    assert code == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_a_bad_output_name_is_refused(tmp_path):
    code, _, err = run("export", "--scene", "gru", "--out", tmp_path / "x.txt")
    assert code == 2 and "--out must end in .html" in err


def test_a_sequence_longer_than_the_file_holds_is_refused():
    s, _ = settings.parse({"task": "brackets", "text": "(" * (interactive.WINDOW + 5)})
    ctx = panels.context_for(s, choice.models_for(s, choice.plain_loaders()))
    with pytest.raises(ValueError, match="at most"):
        interactive.for_context(ctx)


def test_the_whole_course_is_a_folder_and_a_zip_with_an_index(tmp_path):
    import zipfile

    from lstm_viz.teach import lessons

    out = tmp_path / "course"
    code, said, err = run("export", "--all", "--lang", "zh", "--out", out)
    assert code == 0 and "course.zip" in said, err
    scenes = lessons.load_lessons()
    assert sorted(p.name for p in out.iterdir()) == sorted(["index.html", *[f"{sc.id}.html" for sc in scenes]])
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("<li>") == len(scenes) and index.count("<a href=") == len(scenes)
    with zipfile.ZipFile(tmp_path / "course.zip") as z:
        assert sorted(z.namelist()) == sorted(p.name for p in out.iterdir())
        assert z.read("gru.html").decode("utf-8") == (out / "gru.html").read_text(encoding="utf-8")
    code, _, err = run("export", "--all", "--out", out)  # nothing is overwritten
    assert code == 2 and "exists already" in err
