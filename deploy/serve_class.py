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
import os
import shutil
import signal
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


def start(port: int, replicas: int, run: Path, address: str = "*", first: int = FIRST_REPLICA_PORT,
          quiet: bool = False) -> list[int]:
    """Start the replicas and HAProxy; return every process id started (also written to ``run``)."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise SystemExit("haproxy is not installed: apt-get install haproxy")
    run.mkdir(parents=True, exist_ok=True)
    if (run / "pids").exists():
        raise SystemExit(f"a class is already served from {run}: run `make stop-class` first")
    pids = []
    ports = [first + i for i in range(replicas)]
    for p in ports:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(p),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(run / f"replica{p}.log", "wb"), start_new_session=True)
        pids.append(proc.pid)
    (run / "pids").write_text("\n".join(map(str, pids)) + "\n")
    for p in ports:
        end = time.time() + 90
        while not _healthy(f"http://127.0.0.1:{p}/_stcore/health"):
            if time.time() > end:
                stop(run)
                raise SystemExit(f"the replica on port {p} did not start (see {run}/replica{p}.log)")
            time.sleep(0.3)
    for p in ports:  # the first run of a process is slow (imports, the default model): not a student's
        ok, why = warm(f"http://127.0.0.1:{p}")
        if not ok:
            stop(run)
            raise SystemExit(f"the page did not open on the replica on port {p}: {why} (see {run}/replica{p}.log)")
    servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check inter 2s fall 2 rise 1 cookie r{i}"
                        for i, p in enumerate(ports))
    static_servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check inter 2s fall 2 rise 1"
                               for i, p in enumerate(ports))
    cfg = run / "haproxy.cfg"
    cfg.write_text(CONFIG.format(run=run, address=address, port=port, servers=servers, static_servers=static_servers,
                                 compress=COMPRESSED))
    for args in ([haproxy, "-c", "-q", "-f", str(cfg)], [haproxy, "-D", "-q", "-f", str(cfg)]):
        if subprocess.run(args).returncode != 0:
            stop(run)
            raise SystemExit(f"haproxy refused {cfg} (see above)")
    for _ in range(50):
        if (run / "haproxy.pid").exists():
            break
        time.sleep(0.1)
    pids.append(int((run / "haproxy.pid").read_text().split()[0]))
    (run / "pids").write_text("\n".join(map(str, pids)) + "\n")
    if not quiet:
        shown = "127.0.0.1" if address in ("*", "0.0.0.0") else address
        print(f"serving a class at http://{shown}:{port}/ ({replicas} replicas); stop with: make stop-class")
    return pids


def stop(run: Path) -> None:
    f = run / "pids"
    if not f.exists():
        print("no class is being served")
        return
    for pid in map(int, f.read_text().split()):
        try:  # a replica leads its own process group (its children go with it); HAProxy is one process
            if _is_group_leader(pid):
                os.killpg(pid, signal.SIGTERM)
            else:
                os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    f.unlink()
    (run / "haproxy.pid").unlink(missing_ok=True)
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
