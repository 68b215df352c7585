"""Benchmark: Debian's logresolve vs apyche's, through one slow DNS server.

    sudo python tools/bench/logresolve_bench.py [--lines 5000] [--addrs 400]
        [--latency-ms 30] [--concurrency 64] [--seed 1]

Not a test.  Everything runs inside the sandbox from
tests/logresolve/sandbox.py: private mount + network namespaces whose only
interface is loopback, /etc/resolv.conf bind-mounted to point at FakeDNS
on 127.0.0.1:53, which answers every query after ``--latency-ms``.  No
query can leave the namespace.  Needs root (or CAP_SYS_ADMIN), unshare(1)
and Debian's logresolve (apt-get install apache2-utils).

For plain and ``-c`` modes it reports wall time and DNS queries for
Debian's binary, for ours with concurrency 1 (Apache's one-at-a-time
order, to separate the language from the parallelism) and for ours with
``--concurrency`` lookups in flight; and it checks the three outputs and
``-s`` statistics files are byte-identical.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "logresolve"))

from gen import make_log, make_world  # noqa: E402
from sandbox import run_sandboxed, unavailable_reason  # noqa: E402

DEBIAN = "/usr/bin/logresolve"
TOOL = str(REPO / "tools" / "logresolve")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=5000)
    ap.add_argument("--addrs", type=int, default=400)
    ap.add_argument("--latency-ms", type=float, default=30.0)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="bound on the whole sandbox run, seconds")
    opts = ap.parse_args()

    why = unavailable_reason()
    if why is None and not os.path.exists(DEBIAN):
        why = f"{DEBIAN} not installed (apt-get install apache2-utils)"
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2

    rng = random.Random(opts.seed)
    dns, addrs = make_world(rng, opts.addrs)
    data = make_log(rng, addrs, opts.lines)
    contenders = [
        ("debian logresolve", [DEBIAN], None),
        ("apyche, 1 in flight", [sys.executable, TOOL], "1"),
        (f"apyche, {opts.concurrency} in flight", [sys.executable, TOOL],
         str(opts.concurrency)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        runs, labels = [], []
        for mode, extra in (("plain", []), ("-c", ["-c"])):
            for label, argv, conc in contenders:
                stats = os.path.join(tmp, f"{len(runs)}.stats")
                env = {"APYCHE_LOGRESOLVE_CONCURRENCY": conc} if conc else None
                runs.append({"argv": argv + extra + ["-s", stats],
                             "stdin": data, "env": env, "collect": [stats],
                             "timeout": opts.timeout})
                labels.append((mode, label, stats))
        results = run_sandboxed(dns, runs, delay=opts.latency_ms / 1000,
                                timeout=opts.timeout * len(runs))

    print(f"log: {opts.lines} lines, {len(data)} bytes, {len(addrs)} distinct "
          f"addresses; DNS latency {opts.latency_ms:g} ms per query")
    print(f"{'mode':6} {'program':26} {'wall s':>8} {'queries':>8} "
          f"{'lines/s':>9}  identical")
    ok = True
    for mode in ("plain", "-c"):
        ref = None
        for (m, label, stats), r in zip(labels, results):
            if m != mode:
                continue
            got = (r["rc"], r["stdout"], r["files"][stats])
            if ref is None:
                ref = got
            same = got == ref
            ok &= same
            print(f"{mode:6} {label:26} {r['elapsed']:8.2f} {r['queries']:8d} "
                  f"{opts.lines / r['elapsed']:9.0f}  {'yes' if same else 'NO'}")
    if ok:
        print("all outputs and -s statistics byte-identical to Debian's")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
