"""Server CPU-seconds per rerun, by view: one Streamlit process, one simulated student at a time over the
websocket (benchmarks/load_class.py's own client), the server's user+system CPU read from /proc around each run.

For every view, three numbers (median over --repeats):
- first open: a new session opens ``/?view=V`` while no session has seen this view (model, input, figures cold);
- open: another new session opens the same address (what the 2nd…100th student of a class costs);
- switch: a session already on the page switches to this view from the one-step view;
and the kilobytes the student read off its socket for an open and for a switch (on the wire, after websocket
compression, which the client offers as Chromium does).

    python benchmarks/rerun_cpu.py [--repeats 5] [--query "task=brackets"]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load_class import Results, Student, _rerun, count_wire, cpu_seconds  # noqa: E402
from lstm_viz.i18n import tr  # noqa: E402
from lstm_viz.teach.settings import VIEWS  # noqa: E402


async def _session(url: str, query: str, pid: int, switch_to: str | None, res: Results) -> tuple[float, float, int]:
    """(CPU of opening the page, CPU of switching to ``switch_to`` afterwards or nan, bytes the server sent for
    the last of the two). The websocket offers compression, as Chromium does."""
    import websockets

    st = Student(0, url, "127.0.0.1", random.Random(0))
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    async with websockets.connect(ws_url, subprotocols=["streamlit"], additional_headers={"Origin": url},
                                  max_size=2**26) as ws:
        count_wire(ws, st)
        c0, b0 = cpu_seconds([pid]), st.wire_bytes
        await _rerun(ws, st, query, res)
        await asyncio.sleep(0.05)
        opened = cpu_seconds([pid]) - c0
        sent = st.wire_bytes - b0
        switched = float("nan")
        if switch_to is not None:
            st.states[st.widget_ids["view"]] = ("strings", [tr(f"v_{switch_to}", "en")])
            c0, b0 = cpu_seconds([pid]), st.wire_bytes
            await _rerun(ws, st, query, res)
            await asyncio.sleep(0.05)
            switched = cpu_seconds([pid]) - c0
            sent = st.wire_bytes - b0
    return opened, switched, sent


def measure(url: str, pid: int, base: str, repeats: int) -> list[tuple]:
    rows = []
    res = Results()
    for view in VIEWS:
        q = "&".join(p for p in (base, f"view={view}") if p)
        first = asyncio.run(_session(url, q, pid, None, res))[0]
        opens = [asyncio.run(_session(url, q, pid, None, res)) for _ in range(repeats)]
        step_q = "&".join(p for p in (base, "view=step") if p)
        switches = [asyncio.run(_session(url, step_q, pid, view, res)) for _ in range(repeats)]
        row = (view, first, statistics.median(o[0] for o in opens), statistics.median(s[1] for s in switches),
               statistics.median(o[2] for o in opens) / 1024, statistics.median(s[2] for s in switches) / 1024)
        rows.append(row)
        print("| {} | {:.3f} | {:.3f} | {:.3f} | {:.0f} | {:.0f} |".format(*row), flush=True)
    if res.errors:
        print("errors:", *res.errors[:5], sep="\n  ", file=sys.stderr)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--query", default="", help="settings every address carries besides view=")
    ap.add_argument("--no-compression", action="store_true", help="the server does not compress its websocket")
    args = ap.parse_args(argv)
    from benchmarks.serving import start_streamlit

    proc, url = start_streamlit(("--server.enableWebsocketCompression", "false") if args.no_compression else ())
    try:
        print(f"\nServer CPU-seconds per rerun{' for ' + args.query if args.query else ''} (median of "
              f"{args.repeats}):\n")
        print("| view | first open (cold) | open (warm) | switch from one step | KB sent: open | KB sent: switch |")
        print("|---|---|---|---|---|---|")
        measure(url, proc.pid, args.query, args.repeats)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
