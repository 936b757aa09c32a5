"""lstm_viz.show(): the step player as a notebook widget (anywidget), with the page's own data; and in a real
JupyterLab server on loopback, opened in Chromium with every request off the machine refused: the widget draws,
steps by keyboard, Python reads where it stepped and moves it by setting t."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

import lstm_viz
from lstm_viz.teach import interactive

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("LSTM_VIZ_REQUIRE_BROWSER") == "1"


def test_the_widget_carries_the_pages_data_and_its_traits_move_it():
    w = lstm_viz.show("brackets_lstm", "f(x [a])", unit=2)
    assert w.data == interactive.step_page_data(w._ctx) and w.data["unit"] == 2 and w.data["T"] == 8
    w.t = 99
    assert w.t == 7  # the last step, not past it
    w.unit = 5
    assert w.data["unit"] == 5
    h = np.frombuffer(__import__("base64").b64decode(w.data["series"]["h"]), dtype=np.float32)
    np.testing.assert_array_equal(h, w._ctx.trace.h[-1][:, 5].astype(np.float32))
    with pytest.raises(Exception, match="unit must be between"):
        w.unit = 10_000
    data, _ = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    frame = data["text/html"]  # where widgets do not run: the same view as a file, in a frame
    assert '<iframe title="lstm_viz"' in frame and "&lt;script" in frame and "<script" not in frame


def test_where_widgets_do_not_run_the_output_holds_a_picture_of_the_step():
    """The output's PNG (GitHub's viewer shows no frames): the page's heatmaps of the layer with the step marked where
    the player marks it, drawn by Kaleido; it follows the step, and the HTML carries it with words for it."""
    from lstm_viz.teach import figures, panels

    w = lstm_viz.show("brackets_lstm", "f(x [a])", unit=2, t=3)
    if w.picture() is None:
        if REQUIRED:
            pytest.fail("chromium is required here (LSTM_VIZ_REQUIRE_BROWSER=1): Kaleido found none", pytrace=False)
        pytest.skip("BROWSER TESTS SKIPPED: Kaleido found no Chromium to draw the picture")
    data, _ = w._repr_mimebundle_()
    png = __import__("base64").b64decode(data["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 900  # its width
    assert f'src="data:image/png;base64,{data["image/png"]}"' in data["text/html"]
    words = "LSTM, layer 0: every gate and state over time, unit 2 outlined, step t = 3 marked"
    assert f'alt="{words}"' in data["text/html"]
    drawn = figures.at_step(panels.time_panel(w._ctx).heatmaps.figure(), 3)
    marks = [sh for sh in drawn.layout.shapes if sh.type == "line"]
    assert marks and {sh.x0 for sh in marks} == {3.0}  # step 3's column, where the player's cursor stands
    w.t = 5
    assert w._repr_mimebundle_()[0]["image/png"] != data["image/png"]


def test_the_other_views_are_the_exported_files_view_in_a_frame():
    """view="grad" (or time, intervene): the file `export` writes for that view (its knobs and the page's sweeps in
    it), in a frame; unit and language as asked."""
    from lstm_viz.teach import panels, sweeps
    from page_helpers import file_payloads, file_view

    v = lstm_viz.show("brackets_lstm", "f(x [a])", view="grad", lang="zh")
    assert v.html == interactive.for_context(v._ctx) and '<html lang="zh">' in v.html
    (knobs,) = file_payloads(file_view(v.html), "lv-knobs")
    assert knobs["base"] == json.loads(json.dumps(sweeps.sweeps(v._ctx)[0])) and knobs["knobs"]
    frame = v._repr_html_()
    assert frame.startswith('<iframe title="lstm_viz"') and "<script" not in frame
    time_view = lstm_viz.show("brackets_lstm", "f(x [a])", view="time", unit=3)
    assert file_payloads(file_view(time_view.html), "lv-chart") == [
        json.loads(c.figure().to_json()) for c in interactive.view_parts(time_view._ctx)[1]]
    assert time_view._ctx.s.unit == 3 and panels.time_panel(time_view._ctx).heatmaps


def test_modules_arrays_and_vocabularies_are_shown_and_nonsense_is_refused():
    gru = lstm_viz.show(torch.nn.GRU(3, 5), np.random.default_rng(0).normal(size=(6, 3)))
    assert (gru.data["cell"], gru.data["T"], gru.data["hidden"]) == ("gru", 6, 5)
    lstm = lstm_viz.show(torch.nn.LSTM(3, 4), "abcab", vocab=["a", "b", "c"], lang="zh")
    assert lstm.data["tokens"] == ["a", "b", "c", "a", "b"] and lstm.data["lang"] == "zh"
    with pytest.raises(ValueError, match="view='train': a notebook shows the views step, time, grad, intervene"):
        lstm_viz.show("brackets_lstm", "f(x)", view="train")
    with pytest.raises(ValueError, match="not int"):
        lstm_viz.show(42, "x")


NOTEBOOK_CELLS = ['import lstm_viz\nw = lstm_viz.show("brackets_lstm", "f(x [a])")\nw', 'print("T_IS", w.t)',
                  "w.t = 5"]


def _started(proc, url: str, timeout: float = 90) -> None:
    """Wait until the server at ``url`` answers (it must not exit meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            assert proc.poll() is None, "the notebook server exited"
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {timeout:.0f} s")


def _server_env(tmp_path) -> dict:
    """This checkout on the kernel's path, and every setting and state the servers write kept in ``tmp_path``."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
            "JUPYTER_DATA_DIR": str(tmp_path / "data"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
            "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_STATE_HOME": str(tmp_path / "state")}


@pytest.fixture(params=["lab", "notebook"])
def jupyterlab(request, tmp_path):
    """(url of the notebook) in a JupyterLab or a Jupyter Notebook 7 server on loopback, whose kernel imports this
    checkout."""
    pytest.importorskip("jupyterlab" if request.param == "lab" else "notebook")
    from benchmarks.serving import free_port

    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": f"c{i}",
              "source": src} for i, src in enumerate(NOTEBOOK_CELLS)]
    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}
    (tmp_path / "widget.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    port = free_port()
    lab = request.param == "lab"
    quiet = ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"] if lab else []
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", request.param, "--no-browser", "--allow-root",
                             f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=t0k",
                             f"--ServerApp.root_dir={tmp_path}", *quiet],
                            env=_server_env(tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _started(proc, f"{url}/api/status?token=t0k")
        yield (f"{url}/lab/tree/widget.ipynb" if lab else f"{url}/notebooks/widget.ipynb") + "?token=t0k"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_in_jupyterlab_and_notebook_7_the_widget_steps_by_keyboard_and_follows_python(jupyterlab):
    """In JupyterLab and in Jupyter Notebook 7 (its own front end): the widget draws, steps by keyboard, Python
    reads where it stepped (``w.t``) and moves it (``w.t = 5``)."""
    if not CHROMIUM:
        if REQUIRED:
            pytest.fail("chromium is required here (LSTM_VIZ_REQUIRE_BROWSER=1) but was not found", pytrace=False)
        pytest.skip("BROWSER TESTS SKIPPED: chromium not found (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from page_helpers import offline_context

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        server = jupyterlab.split("/lab/")[0].split("/notebooks/")[0]
        ctx, off_machine = offline_context(browser, server, viewport={"width": 1366, "height": 900})
        pg = ctx.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(jupyterlab)
        pg.wait_for_selector(".jp-Notebook .jp-Cell")
        if "/lab/" in jupyterlab:
            pg.wait_for_selector("text=Python 3 (ipykernel) | Idle")
        time.sleep(2)  # the notebook's session settles before a cell is run

        cells = pg.locator(".jp-Notebook .jp-Cell")

        def run(n):
            cells.nth(n).locator(".cm-content").click()
            pg.keyboard.press("Shift+Enter")

        def shown_t():
            return pg.locator(".lv-player").get_attribute("data-t")

        def wait_t(t):
            deadline = time.monotonic() + 20
            while shown_t() != str(t) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert shown_t() == str(t)

        for attempt in range(4):  # a run asked for before the kernel is connected can be lost: asked again
            run(0)
            try:
                pg.wait_for_selector(".lv-player .lv-diagram", timeout=25_000)
                break
            except sync_api.TimeoutError:
                assert attempt < 3, "the widget was not drawn"
        wait_t(0)
        pg.locator(".lv-tokens").focus()
        for _ in range(3):
            pg.keyboard.press("ArrowRight")
        wait_t(3)
        time.sleep(0.5)  # the step reaches the kernel after the player's pause (120 ms)
        run(1)
        cells.nth(1).locator(".jp-OutputArea", has_text="T_IS").wait_for()
        assert "T_IS 3" in cells.nth(1).locator(".jp-OutputArea").inner_text()
        run(2)
        wait_t(5)
        assert "t = 5" in pg.locator(".lv-player").inner_text()
        assert off_machine == [], off_machine
        browser.close()


MARIMO_NOTEBOOK = '''import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    import lstm_viz

    w = mo.ui.anywidget(lstm_viz.show("brackets_lstm", "f(x [a])"))
    w
    return mo, w


@app.cell
def _(mo, w):
    mo.md(f"T_IS {w.value['t']}")
    return
'''


def test_in_marimo_the_widget_steps_by_keyboard_and_a_cell_reads_where(tmp_path):
    """In marimo (its own anywidget support; `marimo run` on loopback, every request off the machine refused): the
    widget draws and steps by keyboard, and the cell that reads the widget's t runs again with where it stepped."""
    pytest.importorskip("marimo")
    if not CHROMIUM:
        if REQUIRED:
            pytest.fail("chromium is required here (LSTM_VIZ_REQUIRE_BROWSER=1) but was not found", pytrace=False)
        pytest.skip("BROWSER TESTS SKIPPED: chromium not found (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from benchmarks.serving import free_port
    from page_helpers import offline_context

    (tmp_path / "widget.py").write_text(MARIMO_NOTEBOOK, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "marimo", "run", "widget.py", "--headless", "--host", "127.0.0.1",
                             "--port", str(port), "--no-token"], env=_server_env(tmp_path), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _started(proc, url + "/")
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            ctx, off_machine = offline_context(browser, url, viewport={"width": 1366, "height": 900})
            pg = ctx.new_page()
            pg.set_default_timeout(90_000)
            pg.goto(url + "/")
            pg.wait_for_selector(".lv-player .lv-diagram")
            pg.wait_for_selector("text=T_IS 0")
            assert pg.locator(".lv-player").get_attribute("data-t") == "0"
            pg.locator(".lv-tokens").focus()
            for _ in range(3):
                pg.keyboard.press("ArrowRight")
            pg.wait_for_selector(".lv-player[data-t='3']")
            pg.wait_for_selector("text=T_IS 3")  # the reading cell ran again, with the step taken in the browser
            assert off_machine == [], off_machine
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
