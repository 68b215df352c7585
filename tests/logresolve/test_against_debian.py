"""tools/logresolve against Debian's /usr/bin/logresolve, byte for byte.

Both programs run inside one sandbox (see sandbox.py: private mount and
network namespaces, resolv.conf pointing at FakeDNS on 127.0.0.1:53), so
they get the same resolver answers from glibc and no query can leave the
namespace.  For every input, in plain and ``-c`` mode, stdout and the
``-s`` statistics file must be identical.  Skipped where unshare or
Debian's logresolve is missing, or namespaces cannot be created.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

import pytest

from .gen import make_log, make_world
from .sandbox import run_sandboxed, unavailable_reason

DEBIAN = "/usr/bin/logresolve"
TOOL = str(Path(__file__).resolve().parents[2] / "tools" / "logresolve")


def _reason() -> str | None:
    if not os.path.exists(DEBIAN):
        return "Debian's logresolve not installed (apt-get install apache2-utils)"
    return unavailable_reason()


_why = _reason()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

EDGE_DNS = {
    "ptr": {"192.0.2.1": "one.example", "192.0.2.2": "two.example",
            "2001:db8::1": "six.example", "192.0.2.3": "liar.example",
            "198.51.100.7": "cafe.example", "192.0.2.9": "multi.example",
            "192.0.2.10": "noforward.example"},
    "addr": {"one.example": ["192.0.2.1"], "two.example": ["192.0.2.2"],
             "six.example": ["2001:db8::1"], "liar.example": ["192.0.2.99"],
             "cafe.example": ["198.51.100.7"], "beef.example": ["192.0.2.1"],
             "multi.example": ["192.0.2.8", "192.0.2.9"]},
    "servfail": ["11.2.0.192.in-addr.arpa"],
}

EDGE_LOG = (
    b"192.0.2.1 - - [27/Nov/2026:01:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n"
    b"192.0.2.1 again\n"
    b"192.0.2.5 no-ptr\n192.0.2.5 no-ptr-again\n"
    b"2001:db8::1 ipv6\n2001:DB8:0::1 ipv6-other-spelling\n"
    b"::ffff:192.0.2.1 v4-mapped\n"
    b"cafe.example hex-name\nbeef.example hex-name\nbeef.example again\n"
    b"face.example unknown-hex-name\nwww.example not-hex\n- dash\n"
    b"\n \n"
    b"192.0.2.2\n192.0.2.2\n"
    b"192.0.2.3 spoofed\n192.0.2.9 second-address\n192.0.2.10 no-forward\n"
    b"192.0.2.11 servfail\n"
    b"1.2.3 short-form\n"
    b"abc\x00def nul-inside\n\x00leading-nul\n"
    b"192.0.2.1\ttab\n"
    b"::1 loopback6\n127.0.0.1 loopback\n"
    b"fe80::1%lo scoped\n"
    b"192.0.2.1 " + b"x" * (128 * 1024 - 1 - 10) + b"192.0.2.2 split-tail\n"
    + b"a" * 200000 + b"\n"
    + b"192.0.2.2"            # no final newline
)


def _inputs():
    yield "edge", EDGE_DNS, EDGE_LOG
    for seed in range(4):
        rng = random.Random(seed)
        dns, addrs = make_world(rng, 40)
        yield f"random-{seed}", dns, make_log(rng, addrs, 400)


@pytest.fixture(scope="module")
def outcomes():
    """All runs, in one sandbox per input: {(name, mode, prog): result}."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, dns, data in _inputs():
            runs, keys = [], []
            for mode in ("plain", "c"):
                for prog, argv in (("debian", [DEBIAN]),
                                   ("apyche", [sys.executable, TOOL])):
                    stats = os.path.join(tmp, f"{name}-{mode}-{prog}.stats")
                    args = ["-s", stats] + (["-c"] if mode == "c" else [])
                    runs.append({"argv": argv + args, "stdin": data,
                                 "collect": [stats], "timeout": 60})
                    keys.append((name, mode, prog, stats))
            for (n, m, p, stats), r in zip(keys, run_sandboxed(
                    dns, runs, timeout=120)):
                r["stats"] = r["files"][stats]
                results[(n, m, p)] = r
    return results


CASES = [(name, mode) for name, _d, _l in _inputs() for mode in ("plain", "c")]


@pytest.mark.parametrize("name,mode", CASES)
def test_output_identical_to_debian_logresolve(outcomes, name, mode):
    deb, ours = outcomes[(name, mode, "debian")], outcomes[(name, mode, "apyche")]
    assert deb["rc"] == 0 and ours["rc"] == 0, ours["stderr"]
    assert ours["stdout"] == deb["stdout"]
    assert ours["stderr"] == deb["stderr"] == b""


@pytest.mark.parametrize("name,mode", CASES)
def test_statistics_identical_to_debian_logresolve(outcomes, name, mode):
    deb, ours = outcomes[(name, mode, "debian")], outcomes[(name, mode, "apyche")]
    assert deb["stats"] is not None
    assert ours["stats"] == deb["stats"]


def test_edge_log_really_exercises_the_branches(outcomes):
    """Guard against a vacuous comparison: every counter is non-zero."""
    text = outcomes[("edge", "c", "debian")]["stats"].decode()
    for label in ("With name", "Resolves", "No reverse",
                  "Double lookup failed", "Cache hits"):
        line = next(ln for ln in text.splitlines() if label in ln)
        assert int(line.rsplit(":", 1)[1]) > 0, text
    out = outcomes[("edge", "plain", "debian")]["stdout"]
    assert b"one.example - - [27/Nov" in out and out.endswith(b"two.example \n")


def test_identical_under_latency_with_concurrent_lookups():
    """Same bytes when answers take 15 ms and ours has 32 lookups in flight."""
    rng = random.Random(99)
    dns, addrs = make_world(rng, 60)
    data = make_log(rng, addrs, 300)
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for argv in ([DEBIAN], [sys.executable, TOOL]):
            stats = os.path.join(tmp, f"{len(runs)}.stats")
            runs.append({"argv": argv + ["-c", "-s", stats], "stdin": data,
                         "collect": [stats], "timeout": 60,
                         "env": {"APYCHE_LOGRESOLVE_CONCURRENCY": "32"}})
        deb, ours = run_sandboxed(dns, runs, delay=0.015, timeout=120)
    assert deb["rc"] == ours["rc"] == 0
    assert ours["stdout"] == deb["stdout"]
    assert list(ours["files"].values()) == list(deb["files"].values())
    assert ours["elapsed"] < deb["elapsed"]


def test_identical_for_hosts_file_names_that_are_not_utf8():
    """/etc/hosts names reach the output as raw bytes (no UTF-8 decoding)."""
    extra = (b"192.0.2.8\tcaf\xe9.example\n192.0.2.9\tb\xc3\xa9.example\n"
             b"192.0.2.10 UP.Example alias\n2001:db8::8 six8\n"
             b"fe80::1 linklocal.example\n")
    data = (b"".join(b"192.0.2.%d x\n" % i for i in range(8, 12))
            + b"2001:db8::8 y\nfe80::1%lo z\nfe80::1 w\n::ffff:192.0.2.8 q\n")
    for mode in ([], ["-c"]):
        runs = [{"argv": argv + mode, "stdin": data, "timeout": 60}
                for argv in ([DEBIAN], [sys.executable, TOOL])]
        deb, ours = run_sandboxed({"ptr": {}, "addr": {}}, runs,
                                  hosts_extra=extra, timeout=120)
        assert deb["rc"] == ours["rc"] == 0
        assert b"caf\xe9.example x\n" in deb["stdout"]
        assert ours["stdout"] == deb["stdout"]
