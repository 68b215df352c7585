"""Runs inside tests/logresolve/sandbox.py's namespaces (resolv.conf ->
FakeDNS on 127.0.0.1:53, only loopback up) and exercises HostResolver with
its default libc backend.  Prints one JSON object on stdout.

Not a test module itself; test_sandbox.py and tools/bench/hostlookup_bench.py
start it through ``run_sandboxed``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time

from apyche.server.hostlookup import HostResolver


def _check_isolated() -> None:
    names = [name for _, name in socket.if_nameindex()]
    if names != ["lo"]:
        raise SystemExit(f"probe: refusing to run outside the sandbox ({names})")


async def concurrent(ips: list[str], workers: int, timeout: float) -> dict:
    r = HostResolver(ttl=60, negative_ttl=60, timeout=timeout,
                     max_workers=workers)
    try:
        t0 = time.perf_counter()
        names = await asyncio.wait_for(
            asyncio.gather(*(r.reverse(ip) for ip in ips)), timeout * 4)
        elapsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        one = await asyncio.wait_for(r.reverse(ips[0] if ips else "127.0.0.1"),
                                     timeout * 2)
        single = time.perf_counter() - t1
        return {"names": names, "elapsed": elapsed, "cached_single": single,
                "one": one}
    finally:
        r.close()


async def double(cases: list[str], timeout: float) -> dict:
    r = HostResolver(ttl=60, negative_ttl=60, timeout=timeout, max_workers=8)
    try:
        single = await asyncio.wait_for(
            asyncio.gather(*(r.reverse(ip) for ip in cases)), timeout * 4)
        dbl = await asyncio.wait_for(
            asyncio.gather(*(r.double_reverse(ip) for ip in cases)), timeout * 4)
        return {"reverse": single, "double": dbl,
                "cached_double": [r.cached_double_reverse(ip) for ip in cases]}
    finally:
        r.close()


async def coalesce(ip: str, n: int, timeout: float) -> dict:
    r = HostResolver(ttl=60, negative_ttl=60, timeout=timeout, max_workers=8)
    try:
        res = await asyncio.wait_for(
            asyncio.gather(*(r.double_reverse(ip) for _ in range(n))), timeout * 4)
        return {"double": res, "backend_calls": r.stats["backend_calls"]}
    finally:
        r.close()


def main() -> int:
    _check_isolated()
    spec = json.loads(sys.argv[1])
    mode = spec["mode"]
    t = spec.get("timeout", 3.0)
    if mode == "concurrent":
        out = asyncio.run(concurrent(spec["ips"], spec["workers"], t))
    elif mode == "double":
        out = asyncio.run(double(spec["ips"], t))
    elif mode == "coalesce":
        out = asyncio.run(coalesce(spec["ip"], spec["n"], t))
    else:
        raise SystemExit(f"unknown mode {mode}")
    sys.stdout.write(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
