"""Micro-benchmark: ns per formatted access-log line (not a test).

    python tools/bench/logformat_bench.py [-n N]

Reports, per format: the generated formatter alone, formatter + encode,
and the whole AccessLog.log() path into /dev/null, a real file (one
os.write per line) and a BufferedSink (BufferedLogs On); then the cost of
a filtered and of a written ErrorLog.log() call.  Numbers are best-of-5
wall time per line on whatever machine runs it; compare runs on one box.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from apyche.logs.format import APACHE_FORMATS, LogRecord, compile_format, merge_headers  # noqa: E402
from apyche.logs.writer import AccessLog, BufferedSink, FileSink  # noqa: E402

UA = ("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 "
      "Firefox/120.0")


def record(i: int) -> LogRecord:
    now = time.time_ns() // 1000
    return LogRecord(
        request_line="GET /static/app.%d.js?v=3 HTTP/1.1" % i, method="GET",
        uri="/static/app.%d.js" % i, query="v=3", protocol="HTTP/1.1",
        status=200, bytes_sent=12345 + i,
        headers_in=merge_headers([("Host", "www.example.com"),
                                  ("User-Agent", UA),
                                  ("Referer", "https://www.example.com/")]),
        remote_ip="203.0.113.%d" % (i % 250), remote_port=40000 + i,
        local_ip="192.0.2.1", local_port=80, server_hostname="www.example.com",
        request_time_us=now, end_time_us=now + 1234)


def bench(label: str, fn, records, repeat: int = 5) -> float:
    """Best of ``repeat``: CPU ns/line (thread time) and wall ns/line.

    CPU time is the number to compare on a shared, loaded machine; wall
    time adds scheduling noise (and, for file sinks, nothing else: the
    write(2) itself is counted in both).
    """
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
        for r in records:
            fn(r)
        best_cpu = min(best_cpu, (time.thread_time_ns() - c0) / len(records))
        best_wall = min(best_wall,
                        (time.perf_counter_ns() - w0) / len(records))
    print("%-46s %7.0f cpu %7.0f wall ns/line" % (label, best_cpu, best_wall))
    return best_cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=50_000)
    args = ap.parse_args()
    records = [record(i) for i in range(args.n)]
    print("python %s, %d records, best of 5" % (sys.version.split()[0], args.n))
    for name in ("common", "combined"):
        f = compile_format(APACHE_FORMATS[name])
        bench("%s: format() -> str" % name, f.format, records)
        bench("%s: format() + encode" % name,
              lambda r, ff=f.format: ff(r).encode("utf-8", "surrogateescape"),
              records)
    f = compile_format(APACHE_FORMATS["combined"])
    print("-- combined, whole AccessLog.log() path --")
    null = AccessLog(FileSink(os.devnull), f)
    bench("AccessLog -> /dev/null (os.write)", null.log, records)
    with tempfile.TemporaryDirectory() as d:
        flog = AccessLog(FileSink(os.path.join(d, "a.log")), f)
        bench("AccessLog -> file (os.write per line)", flog.log, records)
        blog = AccessLog(BufferedSink(FileSink(os.path.join(d, "b.log"))), f)
        bench("AccessLog -> BufferedSink(file)", blog.log, records)
        blog.sink.close()
        flog.sink.close()
    null.sink.close()
    print("-- error log --")
    from apyche.logs.errorlog import DEBUG, ERROR, ErrorLog, LogLevels
    elog = ErrorLog(FileSink(os.devnull), LogLevels.parse(["warn"]))
    bench("ErrorLog.log(DEBUG) filtered out", lambda r: elog.log(
        DEBUG, "core", "x %s", r.uri), records)
    bench("ErrorLog.log(ERROR) default line -> /dev/null", lambda r: elog.log(
        ERROR, "core", "File does not exist: %s", r.uri, code=128,
        request=r), records[:10000])
    elog.sink.close()
    print("-- line, for reference --")
    print(f(records[0]), end="")


if __name__ == "__main__":
    main()
