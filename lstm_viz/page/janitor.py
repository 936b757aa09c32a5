"""Sessions that have left give back their memory.

Streamlit keeps a closed tab's session for ``server.disconnectedSessionTTL`` seconds (a phone that locks its
screen comes back to the same session), but drops an expired one only when another session later disconnects, and
never removes the files that session uploaded (they are removed only when a session is shut down, which an expired
session never is). A class of 100 leaving at the bell would keep its sessions until the next one leaves, and its
uploaded models for as long as the process runs.

``start()`` runs one thread per process that, every SWEEP_SECONDS, drops expired sessions and the uploads of every
session that is neither connected nor waiting to reconnect, collects cyclic garbage, then hands freed heap pages
back to the system. The collection is here rather than after every run (Streamlit's ``runner.postScriptGC``, off
in .streamlit/config.toml): a full collection walks every session's objects, so at the end of each of a class's
reruns it cost more than the run itself (49 ms a page open, sampled with py-spy), and grew with the class. It
touches two objects Streamlit does not document (the session storage's cache and its lock); if their shape is
not the one this was written for, it does nothing (tests/test_serving.py checks that it works with the pinned
Streamlit).
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import threading
import time

SWEEP_SECONDS = float(os.environ.get("LSTM_VIZ_SWEEP_SECONDS", "15"))

_started = False
_start_lock = threading.Lock()
_log = logging.getLogger(__name__)


def sweep() -> tuple[int, int]:
    """(expired sessions dropped, sessions whose uploads were removed), after collecting cyclic garbage (a
    module or a trace caught in a reference cycle holds its tensors until then). Safe to call from any thread."""
    from streamlit.runtime import Runtime

    gc.collect()
    if not Runtime.exists():
        _trim()
        return 0, 0
    rt = Runtime.instance()
    mgr = getattr(rt, "_session_mgr", None)
    storage = getattr(mgr, "_session_storage", None)
    ttl_cache = getattr(storage, "_cache", None)
    lock = getattr(mgr, "_storage_lock", None)
    dropped = 0
    if hasattr(ttl_cache, "expire") and lock is not None:
        with lock:  # the server's own lock for moves between connected and stored sessions
            dropped = len(ttl_cache.expire())
    live = {info.session.id for info in mgr.list_sessions()} if mgr is not None else None
    files = rt.uploaded_file_mgr
    held = getattr(files, "file_storage", None)
    removed = 0
    if live is not None and isinstance(held, dict):
        for session_id in [s for s in list(held) if s not in live]:
            files.remove_session_files(session_id)
            removed += 1
    _trim()
    return dropped, removed


def _trim() -> None:
    """Return freed heap pages to the system (glibc's malloc_trim), so resident memory falls when sessions go."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _loop() -> None:
    while True:
        time.sleep(SWEEP_SECONDS)
        try:
            sweep()
        except Exception:  # never take the server down; the next sweep tries again
            _log.warning("lstm_viz: session sweep failed", exc_info=True)


def start() -> None:
    """Start the sweeping thread once per process (a daemon: it ends with the server)."""
    global _started
    with _start_lock:
        if not _started:
            threading.Thread(target=_loop, name="lstm_viz-janitor", daemon=True).start()
            _started = True
