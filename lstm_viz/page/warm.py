"""Open the page once on a running server, over its websocket, and wait until the run is done.

A process's first run is the slow one (imports, the default model, its trace and charts: about 2 s); every later
student's costs about 0.05 CPU-s. Serving layouts call this before a replica takes students: `serve_class.py`
before HAProxy starts, the Compose health check and the Kubernetes startup probe as

    python lstm_viz/page/warm.py http://127.0.0.1:8501

(the file, not `-m`, so that the check does not import torch). It exits 0 when the server is healthy and the page
has run, and 1 with one line saying why otherwise. A server whose caches have been used (read from its own
/_stcore/metrics) has run the page: the check then costs two HTTP requests and no run, so it can serve as a
periodic health check.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.request
from urllib.parse import urlsplit

SCRIPT_DONE = 0  # ScriptFinishedStatus: FINISHED_SUCCESSFULLY
SCRIPT_RERUN = 2  # FINISHED_EARLY_FOR_RERUN: a newer run follows


def warm(url: str, query: str = "", timeout: float = 120.0) -> tuple[bool, str]:
    """(True, "") when one run of the page at ``url`` finished cleanly within ``timeout`` s, else (False, why)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False, f"not a page address: {url!r}"
    stream = url.rstrip("/").replace("http", "ws", 1) + "/_stcore/stream"

    async def once() -> tuple[bool, str]:
        async with websockets.connect(stream, subprotocols=["streamlit"], additional_headers={"Origin": url},
                                      max_size=2**26, open_timeout=timeout) as ws:
            back = BackMsg()
            back.rerun_script.query_string = query
            await ws.send(back.SerializeToString())
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await ws.recv())
                kind = msg.WhichOneof("type")
                if kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
                    return False, "the page raised an exception on its first run"
                if kind == "script_finished" and msg.script_finished != SCRIPT_RERUN:
                    return (True, "") if msg.script_finished == SCRIPT_DONE else (False, "the run did not finish")

    try:
        return asyncio.run(asyncio.wait_for(once(), timeout))
    except asyncio.TimeoutError:
        return False, f"the page did not finish a run within {timeout:.0f} s"
    except (OSError, websockets.WebSocketException) as err:
        return False, f"cannot reach {url}: {type(err).__name__}"


def has_run(url: str, timeout: float = 5.0) -> bool:
    """Whether the server at ``url`` is healthy and its page's caches hold data (so some session ran the page)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/_stcore/health", timeout=timeout) as r:
            if r.status != 200:
                return False
        with urllib.request.urlopen(url.rstrip("/") + "/_stcore/metrics", timeout=timeout) as r:
            text = r.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return False
    # a cache lookup counted: some run reached the page's caches (the memory family is no use here: Streamlit
    # leaves it out for good if /_stcore/metrics was read before any cache existed)
    return any(line.startswith("cache_lookups_total{") and _count(line) > 0 for line in text.splitlines())


def _count(line: str) -> float:
    try:
        return float(line.rsplit(" ", 1)[1])
    except (IndexError, ValueError):
        return 0.0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python lstm_viz/page/warm.py http://HOST:PORT", file=sys.stderr)
        return 2
    if has_run(args[0]):
        return 0
    ok, why = warm(args[0])
    if not ok:
        print(why, file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
