"""HostResolver's default (libc) backend against FakeDNS, inside the
logresolve sandbox: a private network namespace whose only interface is
loopback and a private mount namespace whose /etc/resolv.conf names
127.0.0.1 -- no query can leave the box.  FakeDNS answers with 0.2 s of
latency so serialisation would show.  Skipped where namespaces cannot be
created.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.logresolve.sandbox import run_sandboxed, unavailable_reason

PROBE = str(Path(__file__).resolve().parent / "sandbox_probe.py")
DELAY = 0.2

_why = unavailable_reason()
pytestmark = pytest.mark.skipif(
    _why is not None, reason=f"network-namespace sandbox unavailable: {_why}")

N = 16
IPS = [f"192.0.2.{i}" for i in range(100, 100 + N)]
DNS = {
    "ptr": {**{ip: f"host-{ip.rsplit('.', 1)[1]}.example" for ip in IPS},
            "192.0.2.1": "One.Example", "192.0.2.3": "liar.example",
            "192.0.2.9": "multi.example", "2001:db8::1": "six.example"},
    "addr": {**{f"host-{ip.rsplit('.', 1)[1]}.example": [ip] for ip in IPS},
             "one.example": ["192.0.2.1"], "liar.example": ["192.0.2.99"],
             "multi.example": ["192.0.2.8", "192.0.2.9"],
             "six.example": ["2001:db8::1"]},
    "servfail": ["11.2.0.192.in-addr.arpa"],
}


def _run(specs: list[dict]) -> list[dict]:
    runs = [{"argv": [sys.executable, PROBE, json.dumps(s)], "timeout": 30}
            for s in specs]
    results = run_sandboxed(DNS, runs, delay=DELAY, timeout=120,
                            hosts_extra=b"192.0.2.50\tHosts-Only.example\n")
    for r in results:
        assert r["rc"] == 0, r["stderr"].decode(errors="replace")
    return results


@pytest.fixture(scope="module")
def results():
    return _run([
        {"mode": "concurrent", "ips": IPS, "workers": N},
        {"mode": "double", "ips": ["192.0.2.1", "192.0.2.3", "192.0.2.9",
                                   "192.0.2.5", "192.0.2.11", "2001:db8::1",
                                   "::ffff:192.0.2.1"]},
        {"mode": "coalesce", "ip": "192.0.2.1", "n": 20},
        {"mode": "double", "ips": ["192.0.2.50"]},
    ])


def test_concurrent_lookups_do_not_serialize(results):
    r = results[0]
    out = json.loads(r["stdout"])
    assert out["names"] == [f"host-{ip.rsplit('.', 1)[1]}.example" for ip in IPS]
    # Serial would be N * DELAY = 3.2 s; parallel is about one DELAY.
    assert out["elapsed"] < N * DELAY / 3, out["elapsed"]
    assert out["elapsed"] >= DELAY * 0.9      # the latency was real
    assert out["cached_single"] < DELAY / 4   # second ask: from the cache
    assert r["queries"] == N                  # one PTR each, nothing more


def test_real_ptr_and_forward_answers(results):
    out = json.loads(results[1]["stdout"])
    assert out["reverse"] == ["one.example", "liar.example", "multi.example",
                              None, None, "six.example", "one.example"]
    # liar.example's A record is not 192.0.2.3: spoofed, rejected.
    # multi.example: the second A record confirms (Apache walks sa->next).
    assert out["double"] == ["one.example", None, "multi.example",
                             None, None, "six.example", "one.example"]
    assert out["cached_double"] == out["double"]


def test_concurrent_identical_lookups_coalesce(results):
    r = results[2]
    out = json.loads(r["stdout"])
    assert out["double"] == ["one.example"] * 20
    assert out["backend_calls"] == 2          # one PTR, one getaddrinfo
    # glibc: 1 PTR + A and AAAA for the forward lookup, not 20 of each.
    assert r["queries"] <= 4, r["queries"]


def test_etc_hosts_is_honoured_like_apache(results):
    # libc (nsswitch "files dns") answers from /etc/hosts, as Apache's
    # apr_getnameinfo would; no DNS query is sent.
    r = results[3]
    out = json.loads(r["stdout"])
    assert out["reverse"] == ["hosts-only.example"]
    assert out["double"] == ["hosts-only.example"]
    assert r["queries"] == 0
