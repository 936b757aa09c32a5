"""A class of simulated students against a local lstm_viz server, over Streamlit's own websocket protocol.

Each student does what Chromium does when a student opens the link: fetches the page and its static files (with
the browser's Accept-Encoding and the cookies the server set), opens the websocket at /_stcore/stream, asks for
the first run (a BackMsg rerun_script with the page's query string) and reads the ForwardMsgs until the run is
done, keeping the hashes of the large messages it received (as Streamlit's page does, so the server sends a
reference the next time instead of the message). The websocket offers compression, as Chromium's does. Then,
seeded per student, every 2–4 s it steps through the sequence (the step player runs in the browser: no message to
the server, counted as instant), now and then switches the view, and once types a sentence (BackMsgs carrying the
widget states the page holds, with the widget ids the server sent).

    python benchmarks/load_class.py --students 10 25 50 100 --duration 180 [--serve single|class]
        [--url http://127.0.0.1:8501] [--one-address] [--heavy] [--leave]

--heavy: one more visitor opens the heaviest address the page allows (H = 256, 3 layers, the gradient view at
2,000 steps), with a new seed each time so no cache helps, one after another for the whole run.
--leave: after the class has gone, wait for the reconnect grace and the janitor, then read the servers' memory
again (how much of what the sessions held came back); with --waves K, K classes one after another on the same
servers, memory read after each has left (growth from wave to wave is what sessions kept).

Measured per class size: page open (first request -> first run done), each interaction kind (server time, first
message sent -> run done), reruns per second, errors (HTTP failures, closed sockets, runs that did not finish,
exceptions on the page), how many sessions moved between replicas, whether static files came compressed, and
the servers' memory per session (resident memory before and after, over the students; when this script starts
the servers). Only loopback addresses are accepted; every student stops at the duration, and the whole run is
bounded by it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from deploy.serve_class import stat_fields  # noqa: E402  (one parser of /proc/<pid>/stat)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
VIEWS = ["One step", "Over time", "Gradients", "Interventions"]  # the views a class switches between (English)
SENTENCES = ["the cat sat on the mat", "hello world, again", "to be or not to be", "recurrent nets remember"]
STATIC_PARALLEL = 6  # connections per host a browser opens for static files


@dataclass
class Student:
    index: int
    url: str
    address: str  # the X-Forwarded-For the proxy sees (all alike with --one-address)
    rng: random.Random
    jar: CookieJar = field(default_factory=CookieJar)
    session_id: str = ""  # the server's id for this student's session (from its new_session message)
    widget_ids: dict = field(default_factory=dict)
    cached: set = field(default_factory=set)  # hashes of the large messages this tab keeps (as Streamlit's page does)
    states: dict = field(default_factory=dict)
    replicas: set = field(default_factory=set)
    static_files: int = 0
    static_gzip: int = 0
    received_bytes: int = 0  # message bytes, as the page reads them
    wire_bytes: int = 0  # bytes off the socket (after websocket compression, when the server compresses)


@dataclass
class Results:
    page_open: list = field(default_factory=list)
    interactions: dict = field(default_factory=lambda: {"view": [], "text": [], "step": [], "knob": []})
    reruns: int = 0
    errors: list = field(default_factory=list)
    moved: int = 0
    students: int = 0
    static_files: int = 0
    static_gzip: int = 0
    bytes_per_run: list = field(default_factory=list)  # on the wire, per interaction
    heavy: list = field(default_factory=list)  # seconds per open of the heaviest address (--heavy)
    heavy_upload: list = field(default_factory=list)  # seconds per heaviest allowed upload read (--heavy)
    replicas: dict = field(default_factory=dict)  # replica name -> students it served


def _check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"{url}: the load test runs against this machine only (127.0.0.1, localhost or ::1)")


def _get(student: Student, path: str) -> tuple[int, bytes, dict]:
    """One HTTP GET the way the browser sends it (gzip accepted, cookies kept)."""
    req = urllib.request.Request(student.url + path, headers={
        "Accept-Encoding": "gzip, deflate, br", "User-Agent": "lstm_viz-load-test", "X-Forwarded-For": student.address})
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(student.jar))
    with opener.open(req, timeout=60) as r:
        body = r.read()
        headers = {k.lower(): v for k, v in r.headers.items()}
        return r.status, body, headers


def static_paths(url: str, browser: bool = True) -> list[str]:
    """The static files the page loads, as a browser fetched them (recorded with Chromium when it is here and
    ``browser``), or those its HTML names."""
    found: list[str] = []
    try:
        if not browser:
            raise RuntimeError("the HTML's list was asked for")
        from playwright.sync_api import sync_playwright

        from tests.test_browser import ARGS, CHROMIUM
        if CHROMIUM:
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                pg = b.new_page(viewport={"width": 1280, "height": 720})
                pg.on("request", lambda r: found.append(urllib.parse.urlsplit(r.url).path))
                pg.goto(url)
                pg.wait_for_selector(".lv-player[data-t]", timeout=90_000)
                b.close()
    except Exception:  # no browser here: the HTML's own list
        found = []
    if not found:
        html = urllib.request.urlopen(url, timeout=30).read().decode()
        found = ["/" + m.lstrip("./") for m in re.findall(r'(?:src|href)="(\./static/[^"]+)"', html)]
    return sorted({p for p in found if "/static/" in p or p.endswith((".png", ".ico"))})


def count_wire(ws, student: Student) -> None:
    """Count the bytes this connection reads off its socket into ``student.wire_bytes``."""
    received = ws.data_received

    def counted(data: bytes) -> None:
        student.wire_bytes += len(data)
        received(data)
    ws.data_received = counted


async def _read_response(reader) -> tuple[int, dict, bytes, bool]:
    """(status, headers, body, the server keeps the connection) of one HTTP/1.1 response."""
    status = int((await reader.readline()).split()[1])
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while (size := int((await reader.readline()).split(b";")[0], 16)):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):  # trailers
            pass
        body = b"".join(parts)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        return status, headers, await reader.read(), False
    return status, headers, body, headers.get("connection", "").lower() != "close"


async def fetch_statics(student: Student, statics: list[str], res: Results) -> None:
    """The static files over STATIC_PARALLEL keep-alive connections, as a browser fetches them (asyncio streams:
    the load test's own CPU per file stays small beside the servers' on the same machine)."""
    parts = urllib.parse.urlsplit(student.url)
    host, port = parts.hostname, parts.port or 80
    cookie = "; ".join(f"{c.name}={c.value}" for c in student.jar)
    head = (f"Host: {host}:{port}\r\nAccept-Encoding: gzip, deflate, br\r\nUser-Agent: lstm_viz-load-test\r\n"
            f"X-Forwarded-For: {student.address}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n")
    queue = list(statics)

    async def connection():
        reader = writer = None
        try:
            while queue:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                path = queue.pop()
                writer.write(f"GET {path} HTTP/1.1\r\n{head}".encode())
                status, headers, _, keep = await asyncio.wait_for(_read_response(reader), timeout=60)
                student.static_files += 1
                student.static_gzip += headers.get("content-encoding") == "gzip"
                if status != 200:
                    res.errors.append(f"student {student.index}: {path} -> HTTP {status}")
                if not keep:
                    writer.close()
                    writer = None
        finally:
            if writer is not None:
                writer.close()
    await asyncio.gather(*(connection() for _ in range(min(STATIC_PARALLEL, len(queue)))))


async def _recv_until_done(ws, student: Student, res: Results) -> bool:
    """ForwardMsgs until script_finished; collects widget ids, counts bytes; False on an error in the run."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ok = True
    while True:
        data = await asyncio.wait_for(ws.recv(), timeout=120)
        student.received_bytes += len(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if msg.metadata.cacheable and msg.hash:
            student.cached.add(msg.hash)
        if kind == "new_session":
            student.session_id = msg.new_session.initialize.session_id
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            etype = el.WhichOneof("type")
            if etype == "exception":
                ok = False
                res.errors.append(f"student {student.index}: exception on the page: {el.exception.message[:80]}")
            elif etype == "alert" and el.alert.format == 1:  # ERROR
                ok = False
                res.errors.append(f"student {student.index}: error on the page: {el.alert.body[:80]}")
            inner = getattr(el, etype, None)
            wid = getattr(inner, "id", "")
            if wid and isinstance(wid, str):
                key = wid.rsplit("-", 1)[-1]
                student.widget_ids[key] = wid
        elif kind == "script_finished":
            if msg.script_finished not in (0, 3):  # FINISHED_SUCCESSFULLY, FINISHED_FRAGMENT_RUN_SUCCESSFULLY
                if msg.script_finished == 2:  # FINISHED_EARLY_FOR_RERUN: a newer run follows
                    continue
                ok = False
                res.errors.append(f"student {student.index}: run ended with status {msg.script_finished}")
            res.reruns += 1
            return ok


async def _rerun(ws, student: Student, query: str, res: Results) -> bool:
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    back = BackMsg()
    back.rerun_script.query_string = query
    back.rerun_script.page_script_hash = ""
    back.rerun_script.cached_message_hashes.extend(sorted(student.cached))  # the server then sends references
    for wid, (kind, value) in student.states.items():
        w = WidgetState(id=wid)
        if kind == "strings":
            w.string_array_value.data.extend(value)
        elif kind == "trigger":  # a component's event (a knob let go): sent once, as the browser sends it
            w.json_trigger_value = json.dumps(value)
        elif kind == "file":  # an uploaded file: (name, size, file id, upload url, delete url)
            name, size, file_id, upload_url, delete_url = value
            info = w.file_uploader_state_value.uploaded_file_info.add()
            info.name, info.size, info.file_id = name, size, file_id
            info.file_urls.file_id, info.file_urls.upload_url, info.file_urls.delete_url = file_id, upload_url, \
                delete_url
        else:
            w.string_value = value
        back.rerun_script.widget_states.widgets.append(w)
    data = back.SerializeToString()
    for wid in [w for w, (kind, _) in student.states.items() if kind == "trigger"]:
        del student.states[wid]
    await ws.send(data)
    return await _recv_until_done(ws, student, res)


def knob_release(student: Student) -> tuple[str, tuple] | None:
    """A knob of the gradient view dragged to a value of its grid and let go: (the trigger's widget id, its state),
    or None when the page shows no knobs. The drag itself happens in the browser (no message)."""
    from lstm_viz.teach.sweeps import GRIDS

    wid = student.widget_ids.get("grad_knobs")
    if wid is None:
        return None
    name = student.rng.choice(["radius", "seqlen", "trunc", "clip"])
    value = student.rng.choice(list(range(11)) if name == "trunc" else GRIDS[name][:9] if name == "seqlen"
                               else GRIDS[name])
    trigger = f"$$STREAMLIT_INTERNAL_KEY_{wid}__events"  # the component's event aggregator (components v2)
    return trigger, ("trigger", [{"event": "release", "value": {"name": name, "value": value}}])


async def student_session(student: Student, statics: list[str], query: str, end: float, res: Results,
                          drag: bool = False) -> None:
    import websockets

    t0 = time.perf_counter()
    try:
        status, _, headers = await asyncio.to_thread(_get, student, "/" + (f"?{query}" if query else ""))
        if headers.get("x-lv-replica"):
            student.replicas.add(headers["x-lv-replica"])
        await fetch_statics(student, statics, res)
        ws_url = student.url.replace("http", "ws", 1) + "/_stcore/stream"
        cookie = "; ".join(f"{c.name}={c.value}" for c in student.jar)
        headers = {"Origin": student.url, "X-Forwarded-For": student.address}
        if cookie:
            headers["Cookie"] = cookie
        async with websockets.connect(ws_url, subprotocols=["streamlit"], additional_headers=headers,
                                      max_size=2**26, open_timeout=60) as ws:
            count_wire(ws, student)
            replica = ws.response.headers.get("X-LV-Replica")
            if replica:
                student.replicas.add(replica)
            ok = await _rerun(ws, student, query, res)
            res.page_open.append(time.perf_counter() - t0)
            if not ok:
                return
            typed = False
            while True:
                wait = student.rng.uniform(2.0, 4.0)
                if time.perf_counter() + wait >= end:
                    break
                await asyncio.sleep(wait)
                r = student.rng.random()
                if drag and r < 0.5:  # a knob dragged (in the browser) and let go: one rerun
                    release = knob_release(student)
                    if release is None:
                        continue
                    student.states[release[0]] = release[1]
                    t1 = time.perf_counter()
                    before = student.wire_bytes
                    if not await _rerun(ws, student, query, res):
                        return
                    res.interactions["knob"].append(time.perf_counter() - t1)
                    res.bytes_per_run.append(student.wire_bytes - before)
                    continue
                if r < 0.8:  # a step: the player in the browser, no server message
                    res.interactions["step"].append(0.0)
                    continue
                if r < 0.95 or typed or "text" not in student.widget_ids:
                    if "view" not in student.widget_ids:
                        continue
                    kind, value = "view", ("strings", [student.rng.choice(VIEWS)])
                else:
                    kind, value, typed = "text", ("string", student.rng.choice(SENTENCES)), True
                student.states[student.widget_ids[kind]] = value
                t1 = time.perf_counter()
                before = student.wire_bytes
                if not await _rerun(ws, student, query, res):
                    return
                res.interactions[kind].append(time.perf_counter() - t1)
                res.bytes_per_run.append(student.wire_bytes - before)
    except Exception as exc:  # a refused connection, a closed socket, a timeout: an error for this student
        res.errors.append(f"student {student.index}: {type(exc).__name__}: {str(exc)[:100]}")
    finally:
        if len(student.replicas) > 1:
            res.moved += 1
        for r in student.replicas:
            res.replicas[r] = res.replicas.get(r, 0) + 1
        res.static_files += student.static_files
        res.static_gzip += student.static_gzip


def heavy_address() -> str:
    """The heaviest address the page computes in full: the largest random model the settings allow (256 units, 3
    layers) in the gradient view, at the longest sequence its work budget holds (the slider moves in tens). Longer
    sequences, such as the issue's seqlen=2000, get a message instead and cost next to nothing."""
    from urllib.parse import urlencode

    from lstm_viz.engine.work import GRADIENT_PASSES
    from lstm_viz.page.budget import steps_within_budget
    from lstm_viz.teach.choice import models_for, plain_loaders
    from lstm_viz.teach.settings import parse

    q = {"source": "random", "hidden": "256", "layers": "3", "view": "grad"}
    module = models_for(parse(q)[0], plain_loaders()).knobbed()[0]
    return urlencode({**q, "seqlen": steps_within_budget(module, GRADIENT_PASSES) // 10 * 10})


async def heavy_visitor(url: str, end: float, res: Results) -> None:
    """Opens heavy_address() with a fresh seed (nothing cached), again and again until ``end``."""
    import websockets

    heavy = heavy_address()
    k = 0
    while time.perf_counter() < end - 5:
        k += 1
        st = Student(-k, url, "10.255.255.254", random.Random(k))
        try:
            async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                          additional_headers={"Origin": url}, max_size=2**26,
                                          open_timeout=60) as ws:
                t0 = time.perf_counter()
                if await _rerun(ws, st, f"{heavy}&seed={k}", res):
                    res.heavy.append(time.perf_counter() - t0)
        except Exception as exc:
            res.errors.append(f"heavy visitor: {type(exc).__name__}: {str(exc)[:100]}")


async def _upload(ws, student: Student, name: str, data: bytes) -> tuple:
    """Put one file where the page's file uploader would: ask for an upload address over the websocket, PUT the
    file there (multipart, with the XSRF cookie's token, as the browser does); the widget value to send."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    back = BackMsg()
    back.file_urls_request.request_id = "lv-load"
    back.file_urls_request.file_names.append(name)
    back.file_urls_request.session_id = student.session_id
    await ws.send(back.SerializeToString())
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=60))
        if msg.WhichOneof("type") == "file_urls_response":
            urls = msg.file_urls_response.file_urls[0]
            break
    boundary = "lvload" + "".join(random.choice("0123456789abcdef") for _ in range(16))
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    xsrf = next((c.value for c in student.jar if c.name == "_streamlit_xsrf"), "")
    url = urls.upload_url if urls.upload_url.startswith("http") else student.url + urls.upload_url
    req = urllib.request.Request(url, data=body, method="PUT", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": xsrf,
        "Origin": student.url, "X-Forwarded-For": student.address})
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(student.jar))
    await asyncio.to_thread(lambda: opener.open(req, timeout=60).read())
    return ("file", (name, len(data), urls.file_id, urls.upload_url, urls.delete_url))


async def heavy_uploader(url: str, end: float, res: Results, path: Path) -> None:
    """Opens the upload page and puts the heaviest file the reader takes into it, again and again until ``end``:
    each time a new session, so that nothing of the last one is reused."""
    import websockets

    data = path.read_bytes()
    k = 0
    while time.perf_counter() < end - 5:
        k += 1
        st = Student(-10_000 - k, url, "10.255.255.253", random.Random(k))
        try:
            await asyncio.to_thread(_get, st, "/?source=upload")
            await asyncio.to_thread(_get, st, "/_stcore/health")  # where the page gets its XSRF cookie
            cookie = "; ".join(f"{c.name}={c.value}" for c in st.jar)
            headers = {"Origin": url, **({"Cookie": cookie} if cookie else {})}
            async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                          additional_headers=headers, max_size=2**26, open_timeout=60) as ws:
                await _rerun(ws, st, "source=upload", res)
                if "upload" not in st.widget_ids:
                    res.errors.append("heavy upload: the page has no file uploader")
                    return
                t0 = time.perf_counter()
                st.states[st.widget_ids["upload"]] = await _upload(ws, st, path.name, data)
                if await _rerun(ws, st, "source=upload", res):
                    res.heavy_upload.append(time.perf_counter() - t0)
        except Exception as exc:
            res.errors.append(f"heavy upload: {type(exc).__name__}: {str(exc)[:100]}")


async def run_class(url: str, n: int, duration: float, arrive: float, statics: list[str], query: str,
                    one_address: bool, seed: int, heavy: bool = False, upload: Path | None = None,
                    drag: bool = False) -> Results:
    """``heavy``: one more visitor opens the heaviest address all along; ``upload``: one more puts this file into
    the upload page all along; ``drag``: half the students' moves drag a gradient-view knob and let it go."""
    res = Results(students=n)
    end = time.perf_counter() + duration
    tasks = [asyncio.create_task(heavy_visitor(url, end, res))] if heavy else []
    if upload is not None:
        tasks.append(asyncio.create_task(heavy_uploader(url, end, res, upload)))
    rng = random.Random(seed)
    starts = sorted(rng.uniform(0, arrive) for _ in range(n))  # the class opens the link within ``arrive`` s
    for i, at in enumerate(starts):
        address = "10.1.2.3" if one_address else f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256 + 1}"
        st = Student(i, url, address, random.Random(seed * 1000 + i))

        async def later(st=st, at=at):
            await asyncio.sleep(at)
            await student_session(st, statics, query, end, res, drag)
        tasks.append(asyncio.create_task(later()))
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 180)
    except asyncio.TimeoutError:
        res.errors.append("the run did not end within its duration + 180 s")
    return res




def with_workers(pids: list[int]) -> list[int]:
    """These processes and their children (each replica's worker for long runs, lstm_viz/page/offload.py)."""
    found = list(pids)
    for pid in pids:
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def rss_kb(pids: list[int]) -> int:
    """Resident memory of these processes and their workers."""
    total = 0
    for pid in with_workers(pids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their workers so far (clock ticks of /proc/<pid>/stat, 100 per
    second)."""
    total = 0
    for pid in with_workers(pids):
        try:
            fields = stat_fields(pid)
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / 100


def _q(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def summary(res: Results, duration: float, mem_per_session_mb: float | None, cpu: float | None = None,
            left_mb: float | None = None) -> dict:
    out = {"students": res.students, "page_open_p50": _q(res.page_open, 50), "page_open_p95": _q(res.page_open, 95),
           "page_open_max": max(res.page_open, default=float("nan")), "reruns_per_s": res.reruns / duration,
           "errors": len(res.errors), "moved_sessions": res.moved,
           "static_gzip_share": res.static_gzip / res.static_files if res.static_files else float("nan"),
           "kb_per_rerun": statistics.median(res.bytes_per_run) / 1024 if res.bytes_per_run else float("nan"),
           "mem_per_session_mb": mem_per_session_mb, "cpu_per_rerun": cpu / res.reruns if cpu and res.reruns else None,
           "left_mb": left_mb, "heavy_n": len(res.heavy), "heavy_p50": _q(res.heavy, 50),
           "upload_n": len(res.heavy_upload), "upload_p50": _q(res.heavy_upload, 50)}
    for kind, xs in res.interactions.items():
        out[f"{kind}_n"] = len(xs)
        out[f"{kind}_p50"], out[f"{kind}_p95"], out[f"{kind}_max"] = _q(xs, 50), _q(xs, 95), max(xs, default=0.0)
    return out


def print_table(rows: list[dict], layout: str) -> None:
    print(f"\n### {layout}\n")
    print("| students | page open p50 / p95 / max (s) | view switch p50 / p95 / max (s) | typed text p50 / p95 (s) | "
          "step | reruns/s | server CPU-s per rerun | KB per interaction | errors | sessions moved | static gzip | "
          "MB per session |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        mem = "–" if r["mem_per_session_mb"] is None else f"{r['mem_per_session_mb']:.2f}"
        if r.get("left_mb") is not None:
            mem += f" (after they left: {r['left_mb']:+.0f} MB in all)"
        cpu = "–" if r.get("cpu_per_rerun") is None else f"{r['cpu_per_rerun']:.3f}"
        gz = r["static_gzip_share"]
        gz = "– (none fetched)" if gz != gz else f"{gz:.0%}"  # NaN: the browsers held every static file
        if r.get("heavy_n"):
            cpu += f" (heaviest address opened {r['heavy_n']}×, {r['heavy_p50']:.1f} s each)"
        if r.get("upload_n"):
            cpu += f" (heaviest upload read {r['upload_n']}×, {r['upload_p50']:.1f} s each)"
        if r.get("knob_n"):
            cpu += (f" (knob let go {r['knob_n']}×: p50 / p95 / max {r['knob_p50']:.2f} / {r['knob_p95']:.2f} / "
                    f"{r['knob_max']:.2f} s)")
        print(f"| {r['students']} | {r['page_open_p50']:.2f} / {r['page_open_p95']:.2f} / {r['page_open_max']:.2f} | "
              f"{r['view_p50']:.2f} / {r['view_p95']:.2f} / {r['view_max']:.2f} | {r['text_p50']:.2f} / "
              f"{r['text_p95']:.2f} | in the browser ({r['step_n']}) | {r['reruns_per_s']:.1f} | {cpu} | "
              f"{r['kb_per_rerun']:.0f} | {r['errors']} | "
              f"{r['moved_sessions']} | {gz} | {mem} |")
    sys.stdout.flush()


LEAVE_WAIT = 60 + 2 * 15 + 10  # s: the reconnect grace (.streamlit/config.toml), two janitor sweeps, a margin


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, nargs="+", default=[10])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds each class uses the page")
    ap.add_argument("--arrive", type=float, default=10.0, help="seconds within which the class opens the link")
    ap.add_argument("--serve", choices=["single", "class", "none"], default="single",
                    help="start one Streamlit process, or the proxy layout (deploy/serve_class.py), or use --url")
    ap.add_argument("--url", default="http://127.0.0.1:8501", help="with --serve none")
    ap.add_argument("--query", default="", help="the page address's query string every student opens")
    ap.add_argument("--one-address", action="store_true", help="every student behind one address (a school NAT)")
    ap.add_argument("--return-visit", action="store_true",
                    help="the browsers hold the static files already (they are sent with a one-year immutable "
                         "Cache-Control): a class's second lesson")
    ap.add_argument("--heavy", action="store_true", help="one more visitor opens the heaviest address all along")
    ap.add_argument("--heavy-upload", action="store_true",
                    help="and one more uploads the heaviest model file the reader takes (benchmarks/bench_budget.py)")
    ap.add_argument("--leave", action="store_true", help="read the servers' memory again after the class left")
    ap.add_argument("--drag", action="store_true",
                    help="the class on the gradient view (view=grad unless --query says otherwise): every 2–4 s, "
                         "half the time a knob dragged and let go at a value of its grid (one rerun)")
    ap.add_argument("--waves", type=int, default=1,
                    help="classes that come and go one after another on the same servers (with --leave: memory after "
                         "each has left)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    if any(not 1 <= n <= 500 for n in args.students) or not 1 <= args.duration <= 1800:
        raise SystemExit("--students 1..500 and --duration 1..1800 s")
    rows = []
    if args.drag and not args.query:
        args.query = "view=grad"
    upload = None
    if args.heavy_upload:
        from benchmarks.bench_budget import heaviest_upload

        upload = heaviest_upload(Path(tempfile.mkdtemp()))
    for n in args.students:
        server = _serve(args)
        url, pids, stop = server
        try:
            _check_loopback(url)
            statics = [] if args.return_visit else static_paths(url + ("/?" + args.query if args.query else "/"))
            time.sleep(1.0)
            for wave in range(args.waves):
                before, cpu0 = rss_kb(pids), cpu_seconds(pids)
                if wave == 0:
                    start_kb = before
                res = asyncio.run(run_class(url, n, args.duration, args.arrive, statics, args.query,
                                            args.one_address, args.seed + wave, heavy=args.heavy, upload=upload,
                                            drag=args.drag))
                after, cpu = rss_kb(pids), cpu_seconds(pids) - cpu0
                mem = (after - before) / 1024 / n if pids else None
                left = None
                if args.leave and pids:
                    time.sleep(LEAVE_WAIT)
                    left = (rss_kb(pids) - start_kb) / 1024
                rows.append(summary(res, args.duration, mem, cpu if pids else None, left))
                for e in res.errors[:5]:
                    print("  error:", e, file=sys.stderr)
        finally:
            stop()
    print_table(rows, {"single": "one Streamlit process", "class": "replicas behind HAProxy",
                       "none": args.url}[args.serve] + (", all students behind one address" if args.one_address
                                                       else "") + (", static files in the browsers' cache"
                                                                   if args.return_visit else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0 if all(r["errors"] == 0 for r in rows) else 1


def _serve(args):
    """(url, server process ids, stop) for this run."""
    if args.serve == "none":
        return args.url, [], lambda: None
    from benchmarks.serving import free_port
    if args.serve == "single":
        from benchmarks.serving import start_streamlit
        proc, url = start_streamlit()

        def stop():
            proc.terminate()
            proc.wait(timeout=30)
        return url, [proc.pid], stop
    import tempfile

    from deploy.serve_class import start
    from deploy.serve_class import stop as stop_class
    run = Path(tempfile.mkdtemp(prefix="lv-class-"))
    port = free_port()
    pids = start(port, 2, run, "127.0.0.1", first=free_port(), quiet=True)
    return f"http://127.0.0.1:{port}", pids, lambda: stop_class(run)


if __name__ == "__main__":
    sys.exit(main())
