"""Serve a class from one machine: one Streamlit process per core behind HAProxy (Debian's package). Each
replica opens the page once before HAProxy starts (its first run is the slow one).

    python deploy/serve_class.py start [--port 8501] [--replicas N] [--run-dir DIR]
    python deploy/serve_class.py stop  [--run-dir DIR]

HAProxy listens on the port (all addresses unless --address) and gives each browser a cookie naming its replica,
so that a student's page and websocket always reach the process that holds their session (an address hash would
send a whole classroom behind one NAT to one process). It upgrades websockets, checks each replica's
/_stcore/health every 2 s, compresses text responses, and keeps the page's static files (content-hashed names)
in its own cache, compressed, with a one-year Cache-Control, so they are fetched from Streamlit and compressed once
and then served by the proxy (a browser that does not take gzip gets them plain, past the cache). Every reply
says which replica answered (X-LV-Replica), which the load test uses to check stickiness.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lstm_viz.page.warm import warm  # noqa: E402  (the repository's root is not on the path of a script in deploy/)

RUN_DIR = ROOT / ".class"
FIRST_REPLICA_PORT = 8601
COMPRESSED = ("text/html text/plain text/css text/javascript application/javascript application/json image/svg+xml "
              "font/ttf")

CONFIG = """\
global
    maxconn 4000
    pidfile {run}/haproxy.pid

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 120s
    timeout tunnel 2h
    timeout http-keep-alive 10s
    timeout check 5s

cache static_files
    total-max-size 256
    max-object-size 33554432
    max-age 31536000
    process-vary on

frontend class
    bind {address}:{port}
    compression algo gzip
    compression type {compress}
    acl static path_beg /static/ || path_end .js .css .woff2 .ttf .png .svg .ico
    use_backend static_files if static
    default_backend replicas

# the page's static files (content-hashed names): compressed once by the listener below, then served from the cache
# (HAProxy compresses after its cache in one proxy: two proxies keep the compressed copy)
backend static_files
    http-request cache-use static_files if {{ req.hdr(accept-encoding) -m sub gzip }}
    http-response cache-store static_files if {{ res.hdr(content-encoding) -m str gzip }}
    http-response set-header Cache-Control "public, max-age=31536000, immutable"
    server compressor unix@{run}/static.sock

listen static_compressor
    bind unix@{run}/static.sock
    compression algo gzip
    compression type {compress}
    balance roundrobin
    option httpchk GET /_stcore/health
    http-check expect status 200
{static_servers}

# the page and its websocket: one replica per browser, named by its cookie
backend replicas
    balance leastconn
    cookie LVREPLICA insert indirect nocache httponly attr "SameSite=Lax"
    option httpchk GET /_stcore/health
    http-check expect status 200
    http-response set-header X-LV-Replica %[srv_name]
{servers}
"""


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (so index 0 is the state, 1 the parent, 11/12 user/system CPU
    ticks, 16 the niceness, 19 the start time); OSError if there is no such process."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _identity(pid: int) -> dict | None:
    """What tells this process from a later one with the same id: its start time and command line (None if
    there is no such process)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
        return {"pid": pid, "start": stat_fields(pid)[19], "cmd": cmd}
    except (OSError, IndexError):
        return None


def _recorded(run: Path) -> list[dict]:
    """The processes the pid file lists that are still the ones this script started (same start time and command
    line); a stale file (a reboot, a crash, processes ended otherwise) lists none."""
    f = run / "pids"
    try:
        records = json.loads(f.read_text())
        assert isinstance(records, list)
    except (OSError, ValueError, AssertionError):
        return []
    alive = []
    for r in records:
        if isinstance(r, dict) and isinstance(r.get("pid"), int) and _identity(r["pid"]) == r:
            alive.append(r)
    return alive


def _write_pids(run: Path, pids: list[int]) -> None:
    (run / "pids").write_text(json.dumps([i for i in map(_identity, pids) if i is not None]) + "\n")


def _port_taken(port: int, address: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind(("" if address in ("*", "0.0.0.0") else address, port))
        except OSError:
            return True
    return False


def start(port: int, replicas: int, run: Path, address: str = "*", first: int = FIRST_REPLICA_PORT,
          quiet: bool = False) -> list[int]:
    """Start the replicas and HAProxy; return every process id started (also written to ``run``, each with its
    start time and command line, so that ``stop`` ends only those)."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise SystemExit("haproxy is not installed: apt-get install haproxy")
    run.mkdir(parents=True, exist_ok=True)
    if _recorded(run):
        raise SystemExit(f"a class is already served from {run}: run `make stop-class` first")
    (run / "pids").unlink(missing_ok=True)  # stale: its processes are gone
    ports = [first + i for i in range(replicas)]
    for p, where in ((port, address), *((p, "127.0.0.1") for p in ports)):
        if _port_taken(p, where):
            raise SystemExit(f"port {p} is taken by another program: choose another "
                             + ("with PORT=" if p == port else "first replica port"))
    pids, procs = [], []
    for p in ports:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(p),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(run / f"replica{p}.log", "wb"), start_new_session=True)
        pids.append(proc.pid)
        procs.append(proc)
    _write_pids(run, pids)
    for p, proc in zip(ports, procs):
        end = time.time() + 90
        while not _healthy(f"http://127.0.0.1:{p}/_stcore/health"):
            if proc.poll() is not None:  # it exited: say so now, with what it said last
                stop(run, quiet=True)
                raise SystemExit(f"the replica on port {p} exited with status {proc.returncode}: "
                                 f"{_last_line(run / f'replica{p}.log')} (see {run}/replica{p}.log)")
            if time.time() > end:
                stop(run, quiet=True)
                raise SystemExit(f"the replica on port {p} did not start (see {run}/replica{p}.log)")
            time.sleep(0.3)
    for p in ports:  # the first run of a process is slow (imports, the default model): not a student's
        ok, why = warm(f"http://127.0.0.1:{p}")
        if not ok:
            stop(run, quiet=True)
            raise SystemExit(f"the page did not open on the replica on port {p}: {why} (see {run}/replica{p}.log)")
    servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check inter 2s fall 2 rise 1 cookie r{i}"
                        for i, p in enumerate(ports))
    static_servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check inter 2s fall 2 rise 1"
                               for i, p in enumerate(ports))
    cfg = run / "haproxy.cfg"
    cfg.write_text(CONFIG.format(run=run, address=address, port=port, servers=servers, static_servers=static_servers,
                                 compress=COMPRESSED))
    for args in ([haproxy, "-c", "-q", "-f", str(cfg)], [haproxy, "-D", "-q", "-f", str(cfg)]):
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            stop(run, quiet=True)
            said = " ".join((done.stderr or done.stdout).split())[:400] or f"exit status {done.returncode}"
            raise SystemExit(f"haproxy refused {cfg}: {said}")
    for _ in range(50):
        if (run / "haproxy.pid").exists():
            break
        time.sleep(0.1)
    pids.append(int((run / "haproxy.pid").read_text().split()[0]))
    _write_pids(run, pids)
    if not quiet:
        shown = "127.0.0.1" if address in ("*", "0.0.0.0") else address
        print(f"serving a class at http://{shown}:{port}/ ({replicas} replicas); stop with: make stop-class")
    return pids


def _last_line(log: Path) -> str:
    try:
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1][:300] if lines else "nothing in its log"


def stop(run: Path, quiet: bool = False) -> None:
    """End the processes ``start`` recorded, and only those: a pid now used by another program (the file is
    stale) is left alone."""
    f = run / "pids"
    if not f.exists():
        if not quiet:
            print("no class is being served")
        return
    for r in _recorded(run):
        pid = r["pid"]
        try:  # a replica leads its own process group (its children go with it); HAProxy is one process
            if _is_group_leader(pid):
                os.killpg(pid, signal.SIGTERM)
            else:
                os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    f.unlink()
    (run / "haproxy.pid").unlink(missing_ok=True)
    if not quiet:
        print("stopped")


def _is_group_leader(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="serve_class", description="one Streamlit per core behind HAProxy")
    sub = ap.add_subparsers(dest="command", required=True)
    st = sub.add_parser("start")
    st.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8501))
    st.add_argument("--replicas", type=int, default=os.cpu_count() or 1)
    st.add_argument("--address", default="*")
    st.add_argument("--run-dir", type=Path, default=RUN_DIR)
    sp = sub.add_parser("stop")
    sp.add_argument("--run-dir", type=Path, default=RUN_DIR)
    args = ap.parse_args(argv)
    if args.command == "start":
        if not 1 <= args.port <= 65535 or not 1 <= args.replicas <= 64:
            raise SystemExit("--port must be 1..65535 and --replicas 1..64")
        start(args.port, args.replicas, args.run_dir, args.address)
    else:
        stop(args.run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
