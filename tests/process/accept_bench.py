"""Accept strategy benchmark (not a test): inherited listening sockets that
every worker accepts on, versus one SO_REUSEPORT socket per worker.

    python tests/process/accept_bench.py [--workers 2] [--requests 6000]

Workers run apyche's real asyncio server (apyche.http.server.serve) with a
trivial handler.  Load is ``ab`` without keep-alive (one connection per
request, so every request is an accept) on two Listen ports at once.
Reported per strategy: requests/s, latency percentiles, the share of
connections each worker accepted (fairness), voluntary context switches
per request in the workers (the thundering-herd cost: every worker woken
for a connection only one of them gets), and the same run with one worker
stopped (SIGSTOP) for 1 s - a stalled worker's connections wait in its own
queue under SO_REUSEPORT, and are taken by the others with a shared socket.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen(port: int, reuseport: bool) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    s.listen(511)
    return s


def worker(socks, report_fd: int) -> None:
    import asyncio
    from apyche.http.response import Response
    from apyche.http.server import new_event_loop, serve

    counts = [0]

    class Board:
        def open(self, client):
            counts[0] += 1
            return None

    def handler(req):
        return Response(200, [("Content-Type", "text/plain")], b"ok\n")

    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()

    async def main():
        srv = await serve(socks, handler, scoreboard=Board())
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await srv.shutdown(0.5)

    loop.run_until_complete(main())
    os.write(report_fd, f"{os.getpid()} {counts[0]}\n".encode())
    os._exit(0)


def ctx_switches(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("voluntary_ctxt_switches"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(strategy: str, n_workers: int, requests: int, stall: bool) -> dict:
    ports = [free_port(), free_port()]
    r, w = os.pipe()
    shared = [listen(p, False) for p in ports] if strategy == "inherited" else None
    pids = []
    for _ in range(n_workers):
        socks = shared if shared is not None else [listen(p, True) for p in ports]
        pid = os.fork()
        if pid == 0:
            os.close(r)
            worker(socks, w)
        pids.append(pid)
        if shared is None:
            for s in socks:
                s.close()
    os.close(w)
    time.sleep(0.5)
    before = {p: ctx_switches(p) for p in pids}
    results = []

    def load(port):
        out = subprocess.run(["ab", "-q", "-n", str(requests // 2), "-c", "16",
                              f"http://127.0.0.1:{port}/"], capture_output=True, text=True)
        results.append(out.stdout)

    threads = [threading.Thread(target=load, args=(p,)) for p in ports]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    if stall:
        time.sleep(0.3)
        os.kill(pids[0], signal.SIGSTOP)
        time.sleep(1.0)
        os.kill(pids[0], signal.SIGCONT)
    for t in threads:
        t.join(120)
    elapsed = time.monotonic() - t0
    after = {p: ctx_switches(p) for p in pids}
    for p in pids:
        os.kill(p, signal.SIGTERM)
    for p in pids:
        os.waitpid(p, 0)
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    if shared:
        for s in shared:
            s.close()
    per = {int(a): int(b) for a, b in (ln.split() for ln in data.decode().splitlines())}
    total = sum(per.values()) or 1
    lat = {}
    for text in results:
        for pct in ("50%", "99%", "100%"):
            m = re.search(rf"^\s*{pct}\s+(\d+)", text, re.M)
            if m:
                lat[pct] = max(lat.get(pct, 0), int(m.group(1)))
    failed = sum(int(m) for text in results for m in re.findall(r"Failed requests:\s+(\d+)", text))
    return {
        "strategy": strategy, "stall": stall, "rps": round(requests / elapsed),
        "latency_ms(p50,p99,max)": (lat.get("50%"), lat.get("99%"), lat.get("100%")),
        "share": sorted(round(v / total, 2) for v in per.values()),
        "ctxsw_per_req": round(sum(after[p] - before[p] for p in pids) / requests, 2),
        "failed": failed,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--requests", type=int, default=6000)
    p.add_argument("--rounds", type=int, default=2)
    opts = p.parse_args()
    for stall in (False, True):
        for strategy in ("inherited", "reuseport"):
            for _ in range(opts.rounds):
                print(run(strategy, opts.workers, opts.requests, stall), flush=True)


if __name__ == "__main__":
    main()
