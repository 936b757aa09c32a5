"""Real-browser tests: Playwright drives Debian's Chromium against `streamlit run app.py` on loopback.

Without chromium these tests skip (and the run says so loudly at the end); with LSTM_VIZ_REQUIRE_BROWSER=1
(as .ci/run sets) a missing browser fails them instead.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("LSTM_VIZ_REQUIRE_BROWSER") == "1"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

if not CHROMIUM:
    if REQUIRED:
        pytest.fail("chromium is required here (LSTM_VIZ_REQUIRE_BROWSER=1) but was not found", pytrace=False)
    pytest.skip("BROWSER TESTS SKIPPED: chromium not found (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    pg = browser.new_page(viewport={"width": 1400, "height": 1600})
    pg.set_default_timeout(60_000)
    yield pg
    pg.close()


def settle(pg):
    """Wait until Streamlit has finished the rerun and charts are drawn."""
    pg.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
    pg.wait_for_selector(".js-plotly-plot", timeout=90_000)
    time.sleep(1.0)


def chart_json(pg) -> str:
    return pg.evaluate("() => JSON.stringify([...document.querySelectorAll('.js-plotly-plot')]"
                       ".map(d => [d.data, d.layout && d.layout.title]))")


def wait_chart(pg, text: str, timeout: float = 90) -> str:
    """Poll the drawn charts until they contain ``text`` (a rerun may start a moment after the input)."""
    end = time.time() + timeout
    while time.time() < end:
        js = chart_json(pg)
        if text in js:
            return js
        time.sleep(0.3)
    raise AssertionError(f"no chart shows {text!r}")


def shows(pg, text: str):
    """The rerun that draws ``text`` in a chart has finished, with no error on the page."""
    wait_chart(pg, text)
    settle(pg)
    no_errors(pg)


def no_errors(pg):
    assert pg.locator("[data-testid='stException']").count() == 0
    assert pg.locator("[data-testid='stAlertContentError']").count() == 0


def shot(pg, name):
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_page_loads_steps_and_switches(page, server):
    page.goto(server)
    settle(page)
    no_errors(page)
    assert "Inside a recurrent network" in page.inner_text("h1")
    shot(page, "01_first_page")
    first = chart_json(page)

    page.locator("h1").click()  # focus the page, not a text box
    page.keyboard.press("ArrowRight")  # the Next button's shortcut
    wait_chart(page, "step t = 1")
    page.get_by_role("button", name="Next ▶").click()
    wait_chart(page, "step t = 2")

    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    wait_chart(page, "step t = 5")
    assert chart_json(page) != first
    no_errors(page)

    page.get_by_role("radio", name="GRU", exact=True).click()
    shows(page, "GRU layer 0")
    shot(page, "02_gru")

    page.get_by_role("radio", name="Gradients", exact=True).click()
    shows(page, "‖∂h_T/∂h_t‖")
    shot(page, "03_gradients")


def test_typed_chinese_and_emoji(page, server):
    page.goto(f"{server}/?source=random&cell=lstm")
    settle(page)
    box = page.get_by_role("textbox").first
    box.fill("你好，世界 😀 LSTM")
    box.press("Control+Enter")
    shows(page, "你")
    page.get_by_role("radio", name="Over time", exact=True).click()
    shows(page, "😀")
    shot(page, "04_chinese_emoji")


def test_chinese_interface_and_lesson_scene(page, server):
    page.goto(f"{server}/?scene=gradients-survive&lang=zh")
    settle(page)
    no_errors(page)
    assert "循环神经网络内部" in page.inner_text("h1")
    assert "LSTM 为什么能保住梯度" in page.content()
    shot(page, "05_scene_zh")
    page.goto(f"{server}/?scene=bracket-cell&present=true")
    settle(page)
    no_errors(page)
    assert page.locator("[data-testid='stSidebar']").is_hidden()
    shot(page, "06_presenter")


def test_upload_bad_then_good_model(page, server, tmp_path):
    import torch
    from safetensors.torch import save_file

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    torch.save({"weight_ih_l0": Evil()}, tmp_path / "evil.pt")
    torch.manual_seed(0)
    save_file({k: v.contiguous() for k, v in torch.nn.GRU(3, 6, 2).state_dict().items()},
              str(tmp_path / "mine.safetensors"))
    page.goto(f"{server}/?source=upload&mode=numbers")
    page.wait_for_selector("input[type=file]", state="attached")
    page.set_input_files("input[type=file]", str(tmp_path / "evil.pt"))
    page.wait_for_selector("[data-testid='stAlertContentError']", timeout=90_000)
    assert "not a plain tensor state_dict" in page.inner_text("[data-testid='stAlertContentError']")
    assert page.locator("[data-testid='stException']").count() == 0
    assert not (tmp_path / "pwned").exists()
    page.set_input_files("input[type=file]", str(tmp_path / "mine.safetensors"))
    box = page.get_by_role("textbox").first
    box.fill("0.5, 1, -2 3 0.25")
    box.press("Control+Enter")
    shows(page, "GRU layer")
    assert "carries no vocabulary" in page.inner_text("body")  # how typed symbols reach its input slots
    shot(page, "07_upload")
