"""`pip install`: a wheel built from the checkout, installed into a fresh virtual environment outside it, runs its
`lstm-viz` command, imports, evaluates a shipped model and serves the page from its own copies of the assets."""

import re
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

from benchmarks.serving import free_port
from lstm_viz.page.warm import warm

ROOT = Path(__file__).resolve().parent.parent


def _requirements(text: str) -> list[str]:
    return [re.sub(r"\s+", "", line.split("#")[0]) for line in text.splitlines() if line.split("#")[0].strip()]


def test_the_package_needs_what_requirements_txt_lists():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert sorted(project["dependencies"]) == sorted(_requirements((ROOT / "requirements.txt").read_text()))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the fresh environment's bin folder, a working folder outside the checkout, the wheel's file names).
    The environment finds the dependencies (torch, Streamlit, …) in this interpreter's site-packages through a
    .pth line, so nothing is downloaded; the package itself comes only from the wheel."""
    work = tmp_path_factory.mktemp("package")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(work / "dist")], check=True, timeout=300, capture_output=True)
    wheel = next((work / "dist").glob("lstm_viz-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, timeout=300, capture_output=True)
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    return venv / "bin", elsewhere, names


def test_the_wheel_carries_the_data_and_not_the_player_sources(installed):
    _, _, names = installed
    for needed in ("lstm_viz/app.py", "lstm_viz/streamlit_config.toml", "lstm_viz/assets/text/sample.txt",
                   "lstm_viz/assets/models/brackets_lstm.safetensors", "lstm_viz/assets/models/brackets_lstm.json",
                   "lstm_viz/page/player/dist/player.js", "lstm_viz/page/player/dist/assets.js"):
        assert needed in names
    assert sum(n.startswith("lstm_viz/assets/lessons/") for n in names) == \
        len(list((ROOT / "assets" / "lessons").iterdir()))
    assert not [n for n in names if "node_modules" in n or "/player/src/" in n or n.startswith("tests/")]


def _run(bin_dir, cwd, *args, timeout=300):
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd)})


def test_the_installed_command_and_package_work_outside_the_checkout(installed):
    bin_dir, elsewhere, _ = installed
    out = _run(bin_dir, elsewhere, bin_dir / "lstm-viz", "--help")
    assert out.returncode == 0 and "usage: lstm-viz" in out.stdout and "page" in out.stdout, out.stderr
    where = _run(bin_dir, elsewhere, bin_dir / "python", "-c",
                 "import lstm_viz, lstm_viz.paths as p, torch;"
                 "t = lstm_viz.trace(lstm_viz.build_module('lstm', 3, 4), torch.randn(6, 3));"
                 "w = lstm_viz.show('brackets_lstm', 'f(x [a])');"
                 "print(lstm_viz.__file__, p.ASSETS, p.APP, t.steps, w.data['T'], type(w).__module__, sep='\\n')")
    assert where.returncode == 0, where.stderr
    package, assets, app, steps, widget_steps, widget_module = where.stdout.split()
    venv = str(bin_dir.parent)
    assert package.startswith(venv) and assets.startswith(venv) and app.startswith(venv) and steps == "6"
    assert widget_steps == "8" and widget_module == "lstm_viz.notebook"
    ev = _run(bin_dir, elsewhere, bin_dir / "lstm-viz", "evaluate", "brackets_lstm", "--samples", "200")
    assert ev.returncode == 0 and float(ev.stdout.split()[-1]) > 0.9, ev.stderr
    bad = _run(bin_dir, elsewhere, bin_dir / "lstm-viz", "--port", "0")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --port"), bad.stderr


def test_the_installed_command_serves_the_page(installed):
    """`lstm-viz --port P` from a folder with no .streamlit and no assets: the page runs from the installed copies
    (a run that raises fails warm())."""
    bin_dir, elsewhere, _ = installed
    port = free_port()
    proc = subprocess.Popen([str(bin_dir / "lstm-viz"), "--port", str(port), "--address", "127.0.0.1"],
                            cwd=elsewhere, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(elsewhere)})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode(errors="replace")[-2000:]
                time.sleep(0.5)
        ok, why = warm(url, timeout=120)
        assert ok, why
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert str(bin_dir.parent).encode() in next(a for a in cmdline if a.endswith(b"app.py"))
        assert b"--runner.postScriptGC" in cmdline  # the classroom settings, passed as flags
    finally:
        proc.terminate()
        proc.wait(timeout=30)
