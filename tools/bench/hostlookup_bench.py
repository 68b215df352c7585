"""Benchmark: per-request cost of apyche.server.hostlookup, warm vs cold.

    python tools/bench/hostlookup_bench.py [--latency-ms 20] [--addrs 400]
        [--workers 8,64] [--warm-iters 200000]

Not a test.  The DNS part runs inside the sandbox from
tests/logresolve/sandbox.py: private mount + network namespaces whose only
interface is loopback, /etc/resolv.conf bind-mounted to point at FakeDNS
on 127.0.0.1:53, answering every query after ``--latency-ms``.  No query
can leave the namespace.  Needs root (or CAP_SYS_ADMIN) and unshare(1).

Reported, in microseconds per lookup:

* warm: the synchronous fast path (``cached_reverse``,
  ``cached_double_reverse``, ``remote_host_cached`` for ``%h`` under On and
  for ``Require host``), the awaited warm path (``await reverse``) and the
  HostnameLookups Off baseline (no DNS at all);
* cold, one at a time: what a single request waits (reverse, double);
* cold, many distinct addresses at once: amortised cost with the default
  libc-in-a-thread-pool backend at several pool sizes;
* for the design choice: the same cold batch through a bare asyncio UDP
  PTR client (bench-only code, not what apyche uses) with zero latency
  vs the executor backend with zero latency, i.e. the per-lookup CPU
  overhead of each approach.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import struct
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


# -- inside the sandbox ------------------------------------------------------

def _ips(n: int) -> list[str]:
    return [f"10.{i // 250}.{i % 250}.1" for i in range(n)]


def _ptr_query(ip: str, qid: int) -> bytes:
    qname = ipaddress_reverse(ip)
    out = bytearray(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0))
    for label in qname.split("."):
        out.append(len(label))
        out += label.encode()
    out += b"\0" + struct.pack("!HH", 12, 1)
    return bytes(out)


def ipaddress_reverse(ip: str) -> str:
    import ipaddress
    return ipaddress.ip_address(ip).reverse_pointer


async def _udp_batch(ips: list[str]) -> float:
    """Bench-only async UDP PTR client: one socket, ids to futures."""
    loop = asyncio.get_running_loop()
    pending: dict[int, asyncio.Future] = {}

    class P(asyncio.DatagramProtocol):
        def datagram_received(self, data, addr):
            fut = pending.pop(struct.unpack("!H", data[:2])[0], None)
            if fut is not None and not fut.done():
                fut.set_result(data)

    transport, _ = await loop.create_datagram_endpoint(
        P, remote_addr=("127.0.0.1", 53))
    try:
        sem = asyncio.Semaphore(64)     # a burst of hundreds overflows lo

        async def one(i: int, ip: str):
            async with sem:
                for _attempt in range(5):
                    fut = loop.create_future()
                    pending[i] = fut
                    transport.sendto(_ptr_query(ip, i))
                    try:
                        return await asyncio.wait_for(fut, 1.0)
                    except asyncio.TimeoutError:
                        continue
                raise RuntimeError(f"no answer for {ip}")
        t0 = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(one(i + 1, ip) for i, ip in enumerate(ips))), 60)
        return time.perf_counter() - t0
    finally:
        transport.close()


def _timeit(fn, iters: int) -> float:
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters * 1e6


async def _inner(spec: dict) -> dict:
    from apyche.server import hostlookup as hl
    names = [n for _, n in socket.if_nameindex()]
    if names != ["lo"]:
        raise SystemExit(f"refusing to run outside the sandbox ({names})")
    ips = _ips(spec["addrs"])
    out: dict = {}
    if spec.get("udp_compare"):
        r = hl.HostResolver(ttl=600, timeout=10, max_workers=8)
        t0 = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(r.reverse(ip) for ip in ips)), 60)
        out["executor8_zero_latency_us"] = (time.perf_counter() - t0) / len(ips) * 1e6
        r.close()
        out["udp_zero_latency_us"] = await _udp_batch(ips) / len(ips) * 1e6
        return out

    # cold, one request at a time
    r = hl.HostResolver(ttl=600, timeout=10, max_workers=8)
    seq = ips[:20]
    t0 = time.perf_counter()
    for ip in seq:
        await r.reverse(ip)
    out["cold_reverse_serial_us"] = (time.perf_counter() - t0) / len(seq) * 1e6
    seq2 = ips[20:40]
    t0 = time.perf_counter()
    for ip in seq2:
        await r.double_reverse(ip)
    out["cold_double_serial_us"] = (time.perf_counter() - t0) / len(seq2) * 1e6
    r.close()

    # cold, many at once, per pool size
    for w in spec["workers"]:
        r = hl.HostResolver(ttl=600, timeout=30, max_workers=w)
        t0 = time.perf_counter()
        res = await asyncio.wait_for(
            asyncio.gather(*(r.double_reverse(ip) for ip in ips)), 120)
        dt = time.perf_counter() - t0
        assert all(res), "lookups failed"
        out[f"cold_double_batch_workers{w}_us"] = dt / len(ips) * 1e6
        r.close()

    # warm
    r = hl.HostResolver(ttl=600, timeout=10, max_workers=8)
    ip = ips[0]
    await r.double_reverse(ip)
    n = spec["warm_iters"]
    out["warm_cached_reverse_us"] = _timeit(lambda: r.cached_reverse(ip), n)
    out["warm_cached_double_reverse_us"] = _timeit(
        lambda: r.cached_double_reverse(ip), n)
    out["warm_remote_host_cached_h_on_us"] = _timeit(
        lambda: hl.remote_host_cached(hl.RemoteHost(ip), hl.REMOTE_NAME,
                                      hl.Lookups.ON, r), n)
    out["warm_remote_host_cached_require_host_us"] = _timeit(
        lambda: hl.remote_host_cached(hl.RemoteHost(ip), hl.REMOTE_DOUBLE_REV,
                                      hl.Lookups.OFF, r), n)
    out["off_remote_host_cached_h_us"] = _timeit(
        lambda: hl.remote_host_cached(hl.RemoteHost(ip), hl.REMOTE_NAME,
                                      hl.Lookups.OFF, r), n)
    k = max(1000, n // 20)
    t0 = time.perf_counter()
    for _ in range(k):
        await r.reverse(ip)
    out["warm_await_reverse_us"] = (time.perf_counter() - t0) / k * 1e6
    t0 = time.perf_counter()
    for _ in range(k):
        await r.double_reverse(ip)
    out["warm_await_double_reverse_us"] = (time.perf_counter() - t0) / k * 1e6
    r.close()
    return out


# -- outside -----------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--addrs", type=int, default=400)
    ap.add_argument("--workers", default="8,64")
    ap.add_argument("--warm-iters", type=int, default=200000)
    ap.add_argument("--inner", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        sys.stdout.write(json.dumps(asyncio.run(_inner(json.loads(args.inner)))))
        return 0

    sys.path.insert(0, str(REPO / "tests" / "logresolve"))
    from sandbox import run_sandboxed, unavailable_reason  # noqa: E402
    why = unavailable_reason()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    ips = _ips(args.addrs)
    dns = {"ptr": {ip: f"h{i}.bench.example" for i, ip in enumerate(ips)},
           "addr": {f"h{i}.bench.example": [ip] for i, ip in enumerate(ips)}}
    spec = {"addrs": args.addrs, "warm_iters": args.warm_iters,
            "workers": [int(w) for w in args.workers.split(",")]}
    me = str(Path(__file__).resolve())

    def go(s: dict, delay: float) -> dict:
        res = run_sandboxed(dns, [{"argv": [sys.executable, me, "--inner",
                                            json.dumps(s)], "timeout": 600}],
                            delay=delay, timeout=900)[0]
        if res["rc"] != 0:
            raise SystemExit(res["stderr"].decode(errors="replace"))
        return json.loads(res["stdout"])

    main_res = go(spec, args.latency_ms / 1000)
    cmp_res = go({**spec, "udp_compare": True}, 0.0)
    print(f"FakeDNS latency {args.latency_ms:g} ms, {args.addrs} distinct "
          f"addresses, python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for k, v in {**main_res, **cmp_res}.items():
        print(f"  {k:45s} {v:12.2f} us/lookup")
    return 0


if __name__ == "__main__":
    sys.exit(main())
