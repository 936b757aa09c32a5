"""Serving a class: the proxy layout under a small simulated class, and the deployment files against their schemas."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from benchmarks import load_class
from benchmarks.serving import free_port
from deploy import serve_class
from lstm_viz.page import offload
from page_helpers import knob_texts, new, ok, specs

ROOT = Path(__file__).resolve().parent.parent
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
# .ci/run installs haproxy and sets LSTM_VIZ_REQUIRE_BROWSER=1: there a missing haproxy fails these tests
needs_haproxy = pytest.mark.skipif(HAPROXY is None and os.environ.get("LSTM_VIZ_REQUIRE_BROWSER") != "1",
                                   reason="HAPROXY TESTS SKIPPED: haproxy not installed (apt-get install haproxy)")


def test_compose_file_is_valid_against_the_compose_spec():
    p = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                        str(ROOT / "deploy/compose.yaml")], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    services = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())["services"]
    assert services["app"]["deploy"]["replicas"] >= 2
    assert services["app"]["healthcheck"]["test"][1:3] == ["python", "lstm_viz/page/warm.py"]  # run by the test below
    assert services["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_kubernetes_manifests_are_valid_and_use_cookie_affinity():
    import kubernetes_validate

    kinds = {}
    for f in sorted((ROOT / "deploy/k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
            kinds[doc["kind"]] = doc
    assert set(kinds) == {"Deployment", "Service", "Ingress"}
    notes = kinds["Ingress"]["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    app = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert app["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert app["startupProbe"]["exec"]["command"][:2] == ["python", "lstm_viz/page/warm.py"]


def test_the_warm_up_the_deployments_run_opens_the_page_once_and_then_only_reads_health():
    """The command the Compose health check, the Kubernetes startup probe and the Dockerfile run, run here as they
    write it: on a fresh server it opens the page (its caches fill); later it only reads health and metrics (no
    new session); against nothing, or a bad address, it says why in one line and exits 1."""
    import time

    from benchmarks.serving import start_streamlit
    from lstm_viz.page import warm

    services = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())["services"]
    command = services["app"]["healthcheck"]["test"][1:]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'HEALTHCHECK' in dockerfile and '"python", "lstm_viz/page/warm.py"' in dockerfile

    def check(url):
        return subprocess.run([sys.executable, *command[1:-1], url], cwd=ROOT, capture_output=True, text=True,
                              timeout=180)

    def sessions(url):
        import urllib.request

        text = urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10).read().decode()
        return [line for line in text.splitlines() if line.startswith("session_events_total")]

    proc, url = start_streamlit(("--server.disconnectedSessionTTL", "1"))
    try:
        assert not warm.has_run(url)  # a fresh server: nothing run yet
        first = check(url)
        assert first.returncode == 0, first.stderr
        assert warm.has_run(url)
        before = sessions(url)
        t = time.monotonic()
        again = check(url)
        assert again.returncode == 0 and again.stderr == ""
        assert sessions(url) == before  # no new session: the later checks are cheap
        assert time.monotonic() - t < 30
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for bad in (url, "ftp://x", "http://"):  # the server is gone; not page addresses
        out = check(bad)
        assert out.returncode == 1
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr and "\x1b" not in out.stderr


@needs_haproxy
def test_haproxy_accepts_both_configurations(tmp_path):
    cfg = tmp_path / "h.cfg"
    servers = "    server r0 127.0.0.1:9 check cookie r0"
    cfg.write_text(serve_class.CONFIG.format(run=tmp_path, address="127.0.0.1", port=free_port(), servers=servers,
                                             static_servers=servers.replace(" cookie r0", ""),
                                             compress=serve_class.COMPRESSED))
    for f in (cfg, ROOT / "deploy/haproxy-compose.cfg"):
        p = subprocess.run([HAPROXY, "-c", "-q", "-f", str(f)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr


def _static(url: str, accept: str | None) -> dict:
    """Response headers of one GET (lower-case names)."""
    import urllib.request

    req = urllib.request.Request(url, headers={"Accept-Encoding": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
        return {k.lower(): v for k, v in r.headers.items()}


@needs_haproxy
def started_class(run, replicas: int) -> tuple[int, list[int]]:
    """(proxy port, replica pids) of a class started on free loopback ports. The replicas take consecutive ports
    from a free one, and the one after it can be taken meanwhile by any program's outgoing connection (these
    ports are in the system's ephemeral range): then the start is refused, nothing is left running, and it is
    tried again on other ports."""
    for attempt in range(5):
        port = free_port()
        try:
            return port, serve_class.start(port, replicas, run, "127.0.0.1", first=free_port(), quiet=True)
        except SystemExit as exc:
            if "is taken" not in str(exc) or attempt == 4:
                raise
    raise AssertionError("unreachable")


def test_two_replicas_behind_the_proxy_hold_ten_students(tmp_path):
    """10 simulated students for 20 s, all behind one address: zero errors, each session on one replica (and both
    replicas used: the cookie, not the address, decides), static files compressed, steps never reach the server."""
    port, replicas = started_class(tmp_path / "run", 2)
    try:
        workers = [p for p in load_class.with_workers(replicas) if p not in replicas]
        cmds = [Path(f"/proc/{w}/cmdline").read_bytes() for w in workers]
        assert len(workers) == 2 and all(b"lstm_viz.page.offload import main" in c for c in cmds), cmds

        def stat(pid):  # (parent, niceness)
            fields = serve_class.stat_fields(pid)
            return int(fields[1]), int(fields[16])
        parents = sorted(stat(w)[0] for w in workers)
        assert parents == sorted(replicas[:2]), (parents, replicas)  # one worker per replica
        assert all(stat(w)[1] == min(19, stat(stat(w)[0])[1] + offload.NICE) for w in workers)  # below its replica
        url = f"http://127.0.0.1:{port}"
        statics = load_class.static_paths(url, browser=False)
        assert statics, "the page names no static files"
        res = asyncio.run(load_class.run_class(url, 10, 20.0, 3.0, statics, "", one_address=True, seed=1))
        js = next(p for p in statics if p.endswith(".js"))
        cached = _static(url + js, "gzip, deflate, br")
        assert cached.get("content-encoding") == "gzip" and "age" in cached  # compressed once, then from the cache
        assert "content-encoding" not in _static(url + js, None)  # a client without gzip gets it plain
    finally:
        serve_class.stop(tmp_path / "run")
    assert res.errors == []
    assert len(res.page_open) == 10 and res.reruns >= 10
    assert res.moved == 0 and set(res.replicas) == {"r0", "r1"}, res.replicas
    assert res.static_files > 0 and res.static_gzip / res.static_files > 0.9
    assert res.interactions["step"] and all(v == 0.0 for v in res.interactions["step"])


def test_the_heaviest_address_stays_within_one_reruns_budget():
    """The address that cost 125 s of server CPU says, instead, how many steps this model's gradients can take;
    at that many steps the gradients are drawn, and what is still past the budget (the three cells compared, the
    sequential Jacobian product) is left out with a message; a typed sequence past a forward run's budget is
    refused with one line."""
    from lstm_viz.checks import MAX_STEPS
    from lstm_viz.engine.work import GRADIENT_PASSES, jacobian_work, run_work
    from lstm_viz.page import budget
    from lstm_viz.page.budget import JACOBIAN_BUDGET, RUN_BUDGET, steps_within_budget
    from lstm_viz.teach.choice import models_for, plain_loaders
    from lstm_viz.teach.settings import parse

    heavy = {"source": "random", "hidden": "256", "layers": "3", "view": "grad"}
    big = models_for(parse(heavy)[0], plain_loaders()).knobbed()[0]  # the page's own model at this address
    most = steps_within_budget(big, GRADIENT_PASSES)
    assert GRADIENT_PASSES * run_work(big, most) <= RUN_BUDGET < GRADIENT_PASSES * run_work(big, most + 1)

    at = ok(new(**heavy, seqlen="2000"))
    assert not at.error and not specs(at)
    assert [t for t in knob_texts(at) if "past one page's work budget" in t] == [
        f"The gradients of this model over 2,000 steps are past one page's work budget: choose at most {most:,} "
        "steps, fewer units or fewer layers to see them."]

    allowed = most // 10 * 10  # the slider's step
    at = ok(new(**heavy, seqlen=str(allowed)))
    assert not at.error
    names = {d.get("name") for c in specs(at) for d in c["data"]}
    assert "‖∂L/∂h_t‖" in " ".join(map(str, names))  # the gradients are drawn
    notes = " ".join(knob_texts(at))
    assert "The cell comparison is left out" in notes and "‖∂h_T/∂h_t‖ is left out" in notes
    assert jacobian_work(big, allowed) > JACOBIAN_BUDGET  # left out, as the page said

    long_text = "ab" * 400  # one step per character
    typed = {**heavy, "view": "time", "text": long_text}
    reads = models_for(parse(typed)[0], plain_loaders()).model.rnn  # its inputs: the symbols of the text
    assert len(long_text) > steps_within_budget(reads, budget.passes("time"))
    at = ok(new(**typed))
    assert [e.value.replace("\\", "") for e in at.error] == [  # shown as plain text: Markdown escaped
        f"{len(long_text):,} steps of this model are past one page's work budget: it reads at most "
        f"{steps_within_budget(reads, budget.passes('time')):,} steps (use a shorter sequence, fewer units or "
        "fewer layers)."]
    assert not at.get("plotly_chart")
    fresh = plain_loaders().fresh
    assert jacobian_work(fresh("lstm", 8, 64, 2, seed=0), 1000) <= JACOBIAN_BUDGET  # the usual sizes keep it
    assert 3 * run_work(fresh("lstm", 8, 64, 2, seed=0), 2000) * 4 <= RUN_BUDGET  # and the comparison
    for f in sorted((ROOT / "assets/models").glob("*.safetensors")):  # every teaching model reads MAX_STEPS
        shipped = plain_loaders().shipped(f.stem)[0].rnn
        # the real-text models (H=128 on Shakespeare, a 1,000-word one-hot input on WikiText) are refused with
        # the budget's message past about 2,800 steps; their examples are a few hundred
        real = f.stem.startswith(("shakespeare_char_", "wikitext_word_"))
        assert steps_within_budget(shipped, budget.passes("intervene")) >= (2500 if real else MAX_STEPS), f.stem


@pytest.mark.parametrize("cell,layers,bidirectional", [("lstm", 1, False), ("gru", 2, True), ("rnn", 3, False),
                                                        ("lstm", 3, True)])
def test_run_work_is_what_torch_counts_for_the_same_cells(cell, layers, bidirectional):
    """gradients.run_work (what the page's work budget counts) against torch's own FLOP counter on the
    same run written with nn.*Cell, one cell per layer and direction (FLOPs = 2 multiply-adds)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from lstm_viz.engine.work import run_work

    T, n_in, H = 7, 5, 6
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](
        n_in, H, layers, bidirectional=bidirectional)
    Cell = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell, "rnn": torch.nn.RNNCell}[cell]
    D = 2 if bidirectional else 1
    with FlopCounterMode(display=False) as counter:
        x = torch.randn(T, n_in)
        for _layer in range(layers):
            outs = []
            for _ in range(D):
                c, h = Cell(x.shape[1], H), None
                hs = []
                for t in range(T):
                    h = c(x[t:t + 1], h)
                    hs.append(h[0] if cell == "lstm" else h)
                outs.append(torch.cat(hs))
            x = torch.cat(outs, dim=1)
    assert 2 * run_work(module, T) == counter.get_total_flops()


def _upload_bytes(url: str) -> int:
    """Bytes of uploaded files the server holds, from its own metrics (0 when it holds none)."""
    import urllib.request

    text = urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10).read().decode()
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
               if line.startswith("cache_memory_bytes") and "UploadedFileManager" in line)


def test_a_closed_tab_gives_back_its_session_and_its_uploads():
    """A student uploads a model file and closes the tab: once the reconnect grace has passed, the server holds
    neither the session nor the file (Streamlit alone would keep the file as long as the process runs)."""
    import random
    import time
    import urllib.request

    import websockets

    from benchmarks.serving import start_streamlit

    proc, url = start_streamlit(("--server.disconnectedSessionTTL", "1", "--server.enableXsrfProtection", "false"),
                                env={"LSTM_VIZ_SWEEP_SECONDS": "0.5"})
    size = 2 * 2**20
    try:
        async def visit():
            st = load_class.Student(0, url, "127.0.0.1", random.Random(0))
            async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream",
                                          subprotocols=["streamlit"], additional_headers={"Origin": url}) as ws:
                res = load_class.Results()
                assert await load_class._rerun(ws, st, "", res), res.errors
                assert st.session_id
                body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.pt\"\r\n"
                        b"Content-Type: application/octet-stream\r\n\r\n" + b"\0" * size + b"\r\n--b--\r\n")
                req = urllib.request.Request(f"{url}/_stcore/upload_file/{st.session_id}/f1", data=body,
                                             method="PUT",
                                             headers={"Content-Type": "multipart/form-data; boundary=b"})
                assert urllib.request.urlopen(req, timeout=30).status in (200, 204)
                assert _upload_bytes(url) >= size  # held while the tab is open
                await asyncio.sleep(2.0)
                assert _upload_bytes(url) >= size  # and not swept while it is connected
        asyncio.run(visit())
        deadline = time.monotonic() + 30
        while _upload_bytes(url) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _upload_bytes(url) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cyclic_garbage_is_collected_by_the_sweep_not_after_every_run():
    """Streamlit's full collection after every run is off (it walked every session's objects on each of a class's
    reruns); the janitor's sweep collects instead, so a model caught in a reference cycle still goes."""
    import gc
    import tomllib
    import weakref

    import torch

    from lstm_viz.page import janitor

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False

    class Holder:
        pass

    was_enabled = gc.isenabled()
    gc.disable()  # only the sweep may collect the cycle below
    try:
        a, b = Holder(), Holder()
        a.other, b.other, a.weights = b, a, torch.zeros(1000)
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None
        janitor.sweep()
        assert gone() is None
    finally:
        if was_enabled:
            gc.enable()


def test_a_stale_pid_file_neither_kills_nor_blocks(tmp_path):
    """A pid file left from an earlier class whose ids now belong to other programs: stop leaves those alone,
    start does not refuse."""
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run = tmp_path / "run"
        run.mkdir()
        (run / "pids").write_text(f"{bystander.pid}\n")  # the old format, or any pid that is not ours
        serve_class.stop(run)
        assert bystander.poll() is None  # not killed
        (run / "pids").write_text(json.dumps([{"pid": bystander.pid, "start": "1", "cmd": "streamlit"}]))
        serve_class.stop(run)
        assert bystander.poll() is None  # same pid, another start time and command: not ours
        (run / "pids").write_text(json.dumps([{"pid": bystander.pid, "start": "1", "cmd": "streamlit"}]))
        assert serve_class._recorded(run) == []  # start would not be blocked by it
    finally:
        bystander.kill()
        bystander.wait()


@needs_haproxy
def test_a_taken_port_is_named_before_anything_starts(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(SystemExit, match=f"port {port} is taken by another program"):
            serve_class.start(port, 1, tmp_path / "run", "127.0.0.1", first=free_port(), quiet=True)
    assert not (tmp_path / "run" / "pids").exists()


@needs_haproxy
def test_a_replica_that_exits_is_reported_at_once(tmp_path, monkeypatch):
    """`streamlit run app.py` in a folder without the app: the replica exits, and start says so with its last log
    line (not, 90 s later, that it did not start)."""
    monkeypatch.setattr(serve_class, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match=r"exited with status \d+: .*app\.py"):
        serve_class.start(free_port(), 1, tmp_path / "run", "127.0.0.1", first=free_port(), quiet=True)
    assert not (tmp_path / "run" / "pids").exists()
