"""Benchmark apyche's protocol layer alone with wrk.

Starts one server process per scenario pinned to CPU 0 (``taskset -c 0``)
and runs ``wrk -t1 -c50 -d5s`` pinned to CPU 1, keep-alive:

* ``memory``   -- a sync handler returning a fixed 10 KB body from memory
* ``file10k``  -- a FileBody of a 10 KB file (small: read and sent with the head)
* ``sendfile`` -- a FileBody of a 1 MB file through os.sendfile (zero-copy)
* ``mmap1m`` / ``read1m`` -- the same 1 MB file through the fallback senders
* ``bare``     -- the floor: a minimal uvloop+httptools protocol writing a
  canned 10 KB response, measured in the same window (this machine is shared,
  so absolute numbers drift; compare against ``bare``)

Usage: python tools/bench/http_core_bench.py [--loop uvloop|asyncio] [scenario ...]
Reference points measured on the dev machine (10 KB keep-alive): a bare
uvloop+httptools loop ~88k req/s, nginx ~72k, Apache ~27k.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

SCENARIOS = ["bare", "memory", "file10k", "sendfile", "mmap1m", "read1m"]


def serve_bare(port: int) -> None:
    import asyncio

    import httptools
    import uvloop

    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 10240\r\nContent-Type: text/plain\r\n\r\n" + b"x" * 10240

    class Bare(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport
            self.parser = httptools.HttpRequestParser(self)

        def data_received(self, data):
            self.parser.feed_data(data)

        def on_message_complete(self):
            self.transport.write(resp)

    loop = uvloop.new_event_loop()
    loop.run_until_complete(loop.create_server(Bare, "127.0.0.1", port, backlog=1024))
    loop.run_forever()


def serve(mode: str, port: int, loop_kind: str, datadir: str) -> None:
    if mode == "bare":
        serve_bare(port)
        return
    sys.path.insert(0, ROOT)
    from apyche.http import ConnectionPolicy, FileBody, Response
    from apyche.http.server import run

    body10k = b"x" * 10240
    headers = [("Content-Type", "text/plain")]
    small = os.path.join(datadir, "10k.bin")
    big = os.path.join(datadir, "1m.bin")
    small_fd = os.open(small, os.O_RDONLY)
    big_fd = os.open(big, os.O_RDONLY)
    big_len = os.fstat(big_fd).st_size
    small_len = os.fstat(small_fd).st_size
    sender = {"sendfile": "sendfile", "mmap1m": "mmap", "read1m": "read"}.get(mode)

    if mode == "memory":
        def handler(request):
            return Response(200, headers, body10k)
    elif mode == "file10k":
        def handler(request):
            return Response(200, headers, FileBody(small_fd, 0, small_len))
    else:
        def handler(request):
            return Response(200, headers, FileBody(big_fd, 0, big_len, sender=sender))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    policy = ConnectionPolicy(max_keep_alive_requests=0)
    run([sock], handler, policy, prefer_uvloop=(loop_kind == "uvloop"), grace=1.0)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not come up")


def bench(mode: str, loop_kind: str, datadir: str, duration: int = 5) -> dict:
    port = free_port()
    server = subprocess.Popen(["taskset", "-c", "0", sys.executable, __file__, "--serve", mode,
                               "--port", str(port), "--loop", loop_kind, "--data", datadir])
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}/"
        # warm-up
        subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c50", "-d1s", url],
                       capture_output=True, timeout=30)
        out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c50", f"-d{duration}s", url],
                             capture_output=True, text=True, timeout=duration + 30).stdout
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    tps = re.search(r"Transfer/sec:\s+([\d.]+\w+)", out)
    lat = re.search(r"Latency\s+([\d.]+\w+)", out)
    errors = re.search(r"Socket errors:.*|Non-2xx.*", out)
    return {"mode": mode, "loop": loop_kind, "rps": float(rps.group(1)) if rps else 0.0,
            "transfer": tps.group(1) if tps else "?", "latency": lat.group(1) if lat else "?",
            "errors": errors.group(0) if errors else "", "raw": out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve")
    ap.add_argument("--port", type=int)
    ap.add_argument("--data")
    ap.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio"])
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=1, help="interleaved rounds; the best is kept")
    ap.add_argument("scenarios", nargs="*")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.loop, args.data)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk not found")
    datadir = tempfile.mkdtemp(prefix="apyche-bench-")
    try:
        with open(os.path.join(datadir, "10k.bin"), "wb") as f:
            f.write(b"y" * 10240)
        with open(os.path.join(datadir, "1m.bin"), "wb") as f:
            f.write(os.urandom(1 << 20))
        modes = args.scenarios or SCENARIOS
        results: dict[str, list] = {m: [] for m in modes}
        for _ in range(args.repeat):
            for mode in modes:
                results[mode].append(bench(mode, args.loop, datadir, args.duration))
        print(f"wrk -t1 -c50 -d{args.duration}s, server on CPU 0, wrk on CPU 1, best of {args.repeat}")
        print(f"{'scenario':10s} {'loop':8s} {'req/s':>10s} {'all runs':>24s} {'transfer':>12s} {'latency':>9s}")
        for mode in modes:
            runs = results[mode]
            best = max(runs, key=lambda r: r["rps"])
            all_runs = "/".join(f"{r['rps']:.0f}" for r in runs)
            loop_kind = "uvloop" if mode == "bare" else best["loop"]
            print(f"{mode:10s} {loop_kind:8s} {best['rps']:10.0f} {all_runs:>24s} {best['transfer']:>12s} "
                  f"{best['latency']:>9s} {best['errors']}", flush=True)
    finally:
        shutil.rmtree(datadir, ignore_errors=True)


if __name__ == "__main__":
    main()
