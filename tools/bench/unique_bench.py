#!/usr/bin/env python3
"""Repeated vs unique requests: what apyche's stored answers
(apyche/http/replay.py) are worth, and what a request costs without them.

wrk normally sends byte-identical requests, which apyche answers from a
stored answer after the second one.  Here each server (Apache event MPM,
nginx, apyche with one worker - the shared anchors harness's own configs,
access log on) is pinned to CPU 0 and ``wrk -t1 -c50`` to CPU 1, and gets
keep-alive GET /10k.html three ways: identical requests; identical ones
with "Connection: keep-alive" as ab -k and browsers send it (the answer
then counts down "Keep-Alive: ... max=N"); and requests made unique by a
counter header (a Lua script), which apyche answers from the request's
shape (line, Host, Connection) since no log reads other fields; requests
whose query string is a counter (a URL asked once: no stored answer and
no URL fast path - every request takes the whole pipeline); and
identical requests sent 16 at a time in one write (pipelining; wrk counts
each response); and a different 1 KB file on every request (a site whose
files are each asked once: the whole pipeline, and a stat and an open
every time).

usage: tools/bench/unique_bench.py [--duration 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from benchproc import make_site, start_anchor, stop, wrk_rps  # beside this script

PIPELINE_LUA = """\
init = function(args)
   local r = {}
   for i = 1, 16 do r[i] = wrk.format(nil, nil) end
   batch = table.concat(r)
end
request = function() return batch end
"""
LUA = """\
counter = 0
request = function()
   counter = counter + 1
   return wrk.format(nil, nil, {["X-Request-Number"] = tostring(counter)})
end
"""


URL_LUA = """\
counter = 0
request = function()
   counter = counter + 1
   return wrk.format(nil, "/10k.html?" .. counter)
end
"""


# One file per request: each round has its own FILES_PER_ROUND files
# (more than Apache or apyche serve in a run; nginx, faster, wraps round).
FILES_LUA = """\
counter = 0
request = function()
   counter = counter + 1
   return wrk.format(nil, "/many/f" .. (@BASE@ + counter % @SPAN@) .. ".html")
end
"""
FILES_PER_ROUND = 60_000


def make_files(site: Path, count: int) -> None:
    many = site / "many"
    many.mkdir()
    body = b"x" * 1023 + b"\n"
    for i in range(count):
        path = many / f"f{i}.html"
        path.write_bytes(body)
        os.utime(path, (1_600_000_000, 1_600_000_000))   # old: no weak ETag


def wrk(port: int, duration: int, extra: list[str]) -> float:
    return wrk_rps(port, "/10k.html", duration, extra=extra, prefix=["taskset", "-c", "1"])


KINDS = ("same", "token", "unique", "url", "pipelined", "files")
HEADINGS = ("identical requests", "Connection: keep-alive", "unique requests",
            "unique URLs", "16 pipelined per write", "unique files (1 KB)")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--rounds", type=int, default=2)
    opts = p.parse_args()
    run = Path(tempfile.mkdtemp(prefix="apyche-uniquebench-"))
    os.chmod(run, 0o755)
    try:
        make_site(run)
        make_files(run / "site", FILES_PER_ROUND * opts.rounds)
        for r in range(opts.rounds):
            (run / f"files{r}.lua").write_text(FILES_LUA.replace(
                "@BASE@", str(r * FILES_PER_ROUND)).replace("@SPAN@", str(FILES_PER_ROUND)))
        script = run / "unique.lua"
        script.write_text(LUA)
        urls = run / "urls.lua"
        urls.write_text(URL_LUA)
        pipeline = run / "pipeline.lua"
        pipeline.write_text(PIPELINE_LUA)
        names = ["apache", "nginx", "apyche"]
        results: dict[tuple[str, str], list[float]] = {}
        procs = {}
        try:
            for name in names:
                procs[name] = start_anchor(name, run)
            for name in names:                      # warm-up
                wrk(procs[name][1], 1, [])
            for r in range(opts.rounds):
                for i in range(len(names)):
                    name = names[(i + r) % len(names)]
                    port = procs[name][1]
                    per_file = ["-s", str(run / f"files{r}.lua")]
                    for kind, extra in zip(KINDS, ([], ["-H", "Connection: keep-alive"],
                                                   ["-s", str(script)], ["-s", str(urls)],
                                                   ["-s", str(pipeline)], per_file)):
                        results.setdefault((name, kind), []).append(
                            wrk(port, opts.duration, extra))
        finally:
            for proc, _port in procs.values():
                stop(proc)
        base = {kind: statistics.median(results[("apache", kind)]) for kind in KINDS}
        print("| server | " + " | ".join(HEADINGS) + " |")
        print("|---" * (len(KINDS) + 1) + "|")
        for name in names:
            cells = []
            for kind in KINDS:
                rate = statistics.median(results[(name, kind)])
                cells.append(f"{rate:,.0f} (x{rate / base[kind]:.2f})")
            print(f"| {name} | " + " | ".join(cells) + " |")
        print(f"\nkeep-alive GET /10k.html (unique files: /many/fN.html), "
              f"wrk -t1 -c50 on CPU 1, servers on CPU 0; "
              f"medians of {opts.rounds} rounds x {opts.duration} s; ratio to Apache")
    finally:
        shutil.rmtree(run, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
