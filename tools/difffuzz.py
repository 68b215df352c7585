"""Differential fuzzing: mutated requests to Apache and apyche on the same
config and files, and the status codes each answered.

    python tools/difffuzz.py [--seed N] [--count N] [--wide] [--show N] [--out FILE]

Both servers are the bench harness's (tools/bench/benchproc.py: Apache's
event MPM and one apyche worker on the same Apache config, site from
make_site).  Each case is one connection: the bytes, then optionally a
half-close (the client's EOF), then whatever comes back within two
seconds.  A case's outcome is the list of status codes in the answer,
"0.9" for an answer without a status line (an HTTP/0.9 body), or "none".
Cases where the two lists differ are grouped by the pair of outcomes and
printed with an example; ``--out`` writes every differing case (repr of
the bytes, eof flag, both outcomes) for replaying.

The mutations are deliberately dumb -- deletions, insertions of junk known
to matter to HTTP parsers (CR, LF, NUL, ':', '%00', overlong fields, odd
Transfer-Encoding), byte flips and truncations -- applied to a handful of
well-formed requests.  Anything Apache answers differently is either a
conformance bug or a deviation to document (see http/protocol.py).
"""

from __future__ import annotations

import argparse
import ast
import collections
import os
import random
import re
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
from benchproc import make_site, start_anchor, stop  # noqa: E402

SEEDS = [
    b"GET /10k.html HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /1k.html HTTP/1.0\r\n\r\n",
    b"HEAD /10k.html HTTP/1.1\r\nHost: a\r\nRange: bytes=0-10,20-30\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET http://a/10k.html?x=1 HTTP/1.1\r\nHost: b\r\nIf-None-Match: \"x\"\r\n"
    b"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /10k.html HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nAccept: text/*;q=0.5\r\n"
    b"Accept-Language: en;q=0.1\r\n\r\n",
    b"GET /nope/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET /1k.html\r\n",
]
# --wide adds these: persistent and pipelined HTTP/1.0 and 1.1, bodies with
# 100-continue, chunk extensions and trailers, ranges with If-Range,
# absolute targets with ports, TRACE and methods the default handler refuses
WIDE_SEEDS = [
    b"GET /10k.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /1k.html HTTP/1.0\r\n\r\n",
    b"GET /1k.html HTTP/1.1\r\nHost: a\r\n\r\nGET /10k.html HTTP/1.1\r\nHost: a\r\n"
    b"Connection: close\r\n\r\n",
    b"GET /10k.html HTTP/1.1\r\nHost: a\r\nRange: bytes=0-0,-1\r\nIf-Range: \"x\"\r\n\r\n",
    b"POST /10k.html HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
    b"GET http://a:80/10k.html HTTP/1.1\r\nHost: a:80\r\n\r\n",
    b"TRACE / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 0\r\n\r\n",
    b"PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n",
    b"DELETE /10k.html HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
    b"HEAD /1k.html HTTP/1.0\r\nIf-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT\r\n\r\n",
]
JUNK = [b"\x00", b"\xff", b"\r", b"\n", b" ", b":", b"%", b"%00", b"..", b"/", b"\t", b"\r\n",
        b"HTTP/9.9", b"Content-Length: 99999999999999999999\r\n",
        b"Transfer-Encoding: gzip, chunked\r\n", b"Host: \r\n", b"Range: bytes=-0,5-2,,\r\n",
        b"If-Range: garbage\r\n", b"A" * 9000]


def mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        pos = rng.randint(0, len(b))
        if op < 0.3 and b:
            del b[pos:pos + rng.randint(1, 5)]
        elif op < 0.6:
            b[pos:pos] = rng.choice(JUNK)
        elif op < 0.8 and b:
            i = rng.randrange(len(b))
            b[i] = rng.randrange(256)
        else:
            b = b[:pos]
    return bytes(b)


def cases(seed: int, count: int, wide: bool = False) -> list[tuple[bytes, bool]]:
    rng = random.Random(seed)
    seeds = SEEDS + WIDE_SEEDS if wide else SEEDS
    out = []
    for _ in range(count):
        if rng.random() < 0.85:
            data = mutate(rng, rng.choice(seeds))
        else:
            data = mutate(rng, rng.choice(seeds)) + mutate(rng, rng.choice(seeds))
        out.append((data, rng.random() < 0.7))
    return out


def ask(port: int, data: bytes, eof: bool, wait: float = 2.0) -> tuple:
    """What the server answers to *data* on a connection of its own: the
    status codes in the answer; for an answer without a status line (an
    HTTP/0.9 simple response) "0.9" and the body, the port in it replaced;
    ("none",) when it closed (or was still silent after *wait* seconds)
    without a byte."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        try:
            s.sendall(data)
            if eof:
                s.shutdown(socket.SHUT_WR)
            end = time.monotonic() + wait
            while time.monotonic() < end:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (socket.timeout, BrokenPipeError, ConnectionResetError):
            pass
    codes = tuple(m.decode() for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", got))
    if codes:
        return codes
    return ("0.9", got.replace(str(port).encode(), b"PORT")) if got else ("none",)


def _shown(outcome: tuple) -> str:
    return "0.9" if outcome[0] == "0.9" else " ".join(outcome)


def answer_all(todo: list[tuple[bytes, bool]]) -> dict[str, list[tuple[str, ...]]]:
    """Each server's outcomes for ``todo``, one server at a time."""
    run = Path(tempfile.mkdtemp(prefix="apyche-difffuzz-"))
    os.chmod(run, 0o755)
    answers = {}
    try:
        make_site(run)
        for name in ("apache", "apyche"):
            proc, port = start_anchor(name, run)
            try:
                answers[name] = [ask(port, d, eof) for d, eof in todo]
            finally:
                stop(proc)
    finally:
        shutil.rmtree(run, ignore_errors=True)
    return answers


def replayed(path: str) -> list[tuple[bytes, bool]]:
    """The cases of an ``--out`` file."""
    out = []
    with open(path) as f:
        for line in f:
            data, eof = line.split("\t")[:2]
            out.append((ast.literal_eval(data), eof == "True"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--show", type=int, default=20, help="groups to print")
    ap.add_argument("--out", help="write every differing case here")
    ap.add_argument("--replay", help="send the cases of an --out file again")
    ap.add_argument("--wide", action="store_true",
                    help="mutate WIDE_SEEDS too (a seed's cases differ from those without)")
    args = ap.parse_args()
    if args.replay:
        todo = replayed(args.replay)
    else:
        todo = cases(args.seed, args.count, args.wide)
    answers = answer_all(todo)
    groups: dict = collections.defaultdict(list)
    for case, a, b in zip(todo, answers["apache"], answers["apyche"]):
        if a != b:
            groups[(a, b)].append(case)
    total = sum(len(v) for v in groups.values())
    origin = args.replay or f"seed {args.seed}{' (wide)' if args.wide else ''}"
    print(f"{origin}: {len(todo)} cases, {total} answered differently")
    for (a, b), found in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:args.show]:
        data, eof = found[0]
        print(f"{len(found):4d}  apache {_shown(a):10s} apyche {_shown(b):10s}"
              f" {'eof ' if eof else ''}{data[:140]!r}")
    if args.out:
        with open(args.out, "w") as f:
            for (a, b), found in groups.items():
                for data, eof in found:
                    print(repr(data), eof, _shown(a), _shown(b), sep="\t", file=f)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
