#!/usr/bin/env python3
"""Who is the bottleneck: the server or wrk?

serve_bench.sh pins each server to CPU 0 and ``wrk -t1`` to CPU 1 and
reports requests/s.  A ratio of requests/s says something about the server
only while the server's core is the busy one.  This script runs the
harness's scenarios against the same three servers (Apache event MPM,
nginx, apyche with one worker; ``benchproc.start_anchor``) and reports, per
run, the requests/s together with how busy each side's core was: the CPU
seconds the server's processes and the wrk process used, per second of
the run.  Near 100% for wrk and well below for a server means the number
is wrk's, not the server's.

It also splits the server's CPU per request into user and system time and
turns it into a ceiling: the requests/s one core would give if the server
had it all (1 s / CPU per request), and that ceiling's ratio to Apache's.
This is what a faster client could show at best.  The system share (accept,
the TCP handshake and teardown, sendfile, the copy into the socket) is
kernel work that no server in user space can avoid.  The ceiling is
conservative for a server that was not busy: an idle loop does less work
per wake-up.

usage: tools/bench/client_bound.py [--duration 6] [--rounds 2] [--scenarios c,d]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchproc import make_site, start_anchor, stop  # beside this script

SCENARIOS = {   # as anchors.sh names them
    "a": ("/10k.html", [], 50), "b": ("/1k.html", [], 50),
    "c": ("/10k.html", ["-H", "Connection: close"], 50), "d": ("/1m.bin", [], 50),
    "e": ("/10k.html", [], 500),
}
TICK = os.sysconf("SC_CLK_TCK")


def group_cpu(pgid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of every live process in the group."""
    user = system = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:          # pgrp
            user += int(fields[11])
            system += int(fields[12])
    return user / TICK, system / TICK


def run_wrk(port: int, scenario: str, duration: int) -> tuple[float, float]:
    """One wrk run on CPU 1: (requests/s, wrk's CPU seconds)."""
    path, extra, conns = SCENARIOS[scenario]
    argv = ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{duration}s", *extra,
            f"http://127.0.0.1:{port}{path}"]
    # the servers are children too, but only waited-for children count
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return ((float(m.group(1)) if m else 0.0),
            after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=int, default=6)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--scenarios", default="c,d")
    opts = p.parse_args()
    scenarios = opts.scenarios.split(",")
    run = Path(tempfile.mkdtemp(prefix="apyche-clientbound-"))
    os.chmod(run, 0o755)
    names = ["apache", "nginx", "apyche"]
    # per run: requests/s, server busy, wrk busy, server user and system
    # CPU seconds per request
    rows: dict[tuple[str, str], list[tuple[float, float, float, float, float]]] = {}
    procs = {}
    try:
        make_site(run)
        for name in names:
            procs[name] = start_anchor(name, run)
        for name in names:                              # warm-up
            run_wrk(procs[name][1], "a", 1)
        for r in range(opts.rounds):
            for sc in scenarios:
                for i in range(len(names)):
                    name = names[(i + r) % len(names)]
                    proc, port = procs[name]
                    (user0, sys0), t0 = group_cpu(proc.pid), time.monotonic()
                    rps, client = run_wrk(port, sc, opts.duration)
                    elapsed = time.monotonic() - t0
                    user1, sys1 = group_cpu(proc.pid)
                    user, system = user1 - user0, sys1 - sys0
                    done = max(rps * opts.duration, 1.0)
                    rows.setdefault((sc, name), []).append(
                        (rps, (user + system) / elapsed, client / elapsed,
                         user / done, system / done))
    finally:
        for proc, _port in procs.values():
            stop(proc)
        shutil.rmtree(run, ignore_errors=True)
    print("| scenario | server | requests/s | server core busy | wrk core busy "
          "| server CPU/request user+sys (µs) | one-core ceiling (req/s) | ceiling / Apache's |")
    print("|---|---|---|---|---|---|---|---|")
    for sc in scenarios:
        ceilings = {}
        for name in names:
            got = rows[(sc, name)]
            user = statistics.median(g[3] for g in got) * 1e6
            system = statistics.median(g[4] for g in got) * 1e6
            ceilings[name] = 1e6 / max(user + system, 1e-3)
        for name in names:
            got = rows[(sc, name)]
            user = statistics.median(g[3] for g in got) * 1e6
            system = statistics.median(g[4] for g in got) * 1e6
            print(f"| {sc} | {name} | {statistics.median(g[0] for g in got):,.0f} | "
                  f"{statistics.median(g[1] for g in got):.0%} | "
                  f"{statistics.median(g[2] for g in got):.0%} | "
                  f"{user:.0f}+{system:.0f} | {ceilings[name]:,.0f} | "
                  f"{ceilings[name] / ceilings['apache']:.2f} |")
    print(f"\nserver on CPU 0, wrk -t1 on CPU 1; medians of {opts.rounds} rounds x "
          f"{opts.duration} s; busy = CPU seconds per second of the run; "
          "ceiling = 1 s / the server's CPU per request (d: per 1 MB response)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
