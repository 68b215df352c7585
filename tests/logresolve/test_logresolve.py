"""apyche.logresolve in process, against a table-driven resolver.

No DNS and no network: every test injects FakeResolver.  The behaviour
checked here is Apache's support/logresolve.c; the byte-for-byte
comparison with Debian's binary is test_against_debian.py.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from apyche import logresolve as lr
from .fakeresolver import FakeResolver

TOOL = Path(__file__).resolve().parents[2] / "tools" / "logresolve"

PTR = {"192.0.2.1": "one.example", "192.0.2.2": "two.example",
       "192.0.2.3": "liar.example", "192.0.2.9": "multi.example",
       "2001:db8::1": "six.example", "198.51.100.7": "cafe.example"}
ADDR = {"one.example": ["192.0.2.1"], "two.example": ["192.0.2.2"],
        "liar.example": ["192.0.2.99"], "six.example": ["2001:db8::1"],
        "multi.example": ["192.0.2.8", "192.0.2.9"],
        "cafe.example": ["198.51.100.7"], "beef.example": ["192.0.2.1"]}


def run(data: bytes, *, double=False, resolver=None, **kw):
    out = io.BytesIO()
    stats = lr.logresolve(io.BytesIO(data), out, double=double,
                          resolver=resolver or FakeResolver(PTR, ADDR), **kw)
    return out.getvalue(), stats


# -- the loop, branch by branch ----------------------------------------------

def test_first_field_replaced_by_ptr_name():
    out, st_ = run(b'192.0.2.1 - - [x] "GET / HTTP/1.1" 200 1\n')
    assert out == b'one.example - - [x] "GET / HTTP/1.1" 200 1\n'
    assert (st_.entries, st_.resolves, st_.cachesize) == (1, 1, 1)


def test_address_without_ptr_is_left_and_counted_no_reverse():
    out, st_ = run(b"192.0.2.5 a\n192.0.2.5 b\n")
    assert out == b"192.0.2.5 a\n192.0.2.5 b\n"
    assert (st_.noreverse, st_.cachehits, st_.cachesize) == (1, 1, 1)


def test_repeated_address_is_a_cache_hit():
    out, st_ = run(b"192.0.2.1 a\n192.0.2.1 b\n192.0.2.1 c\n")
    assert out == b"one.example a\none.example b\none.example c\n"
    assert (st_.resolves, st_.cachehits) == (1, 2)


def test_ipv6_address_is_resolved():
    assert run(b"2001:db8::1 x\n")[0] == b"six.example x\n"


def test_v4_mapped_ipv6_is_reverse_resolved_as_ipv4():
    assert run(b"::ffff:192.0.2.1 x\n")[0] == b"one.example x\n"


def test_double_lookup_v4_mapped_fails_without_aaaa():
    # The forward lookup asks for the original (IPv6) family.
    out, st_ = run(b"::ffff:192.0.2.1 x\n", double=True)
    assert out == b"::ffff:192.0.2.1 x\n" and st_.doublefailed == 1


def test_double_lookup_keeps_address_when_forward_disagrees():
    out, st_ = run(b"192.0.2.3 x\n192.0.2.3 y\n", double=True)
    assert out == b"192.0.2.3 x\n192.0.2.3 y\n"
    assert (st_.doublefailed, st_.cachehits) == (1, 1)


def test_double_lookup_compares_only_the_first_forward_address():
    assert run(b"192.0.2.9 x\n", double=True)[0] == b"192.0.2.9 x\n"
    assert run(b"192.0.2.9 x\n")[0] == b"multi.example x\n"


def test_double_lookup_confirmed_name_is_used():
    assert run(b"192.0.2.1 x\n", double=True)[0] == b"one.example x\n"


def test_first_field_not_hex_or_colon_is_copied_without_lookup():
    res = FakeResolver(PTR, ADDR)
    out, st_ = run(b"www.example x\n- x\n", resolver=res)
    assert out == b"www.example x\n- x\n"
    assert st_.withname == 2 and not res.calls


def test_hex_looking_name_is_resolved_forward_then_reverse():
    # apr_sockaddr_info_get is a full getaddrinfo, not numeric-only.
    out, st_ = run(b"beef.example y\ncafe.example z\nface.example w\n")
    assert out == b"one.example y\ncafe.example z\nface.example w\n"
    assert (st_.resolves, st_.withname) == (2, 1)


def test_non_address_is_not_cached_and_counted_each_time():
    out, st_ = run(b"abc x\nabc y\n")
    assert out == b"abc x\nabc y\n"
    assert (st_.withname, st_.cachehits, st_.cachesize) == (2, 0, 0)


def test_empty_line_is_an_entry_with_name():
    out, st_ = run(b"\n\n")
    assert out == b"\n\n" and (st_.entries, st_.withname) == (2, 2)


def test_line_without_space_keeps_newline_in_key():
    # "192.0.2.1\n" is the key; getaddrinfo refuses it, the line is copied.
    out, st_ = run(b"192.0.2.1\n")
    assert out == b"192.0.2.1\n" and st_.withname == 1


def test_resolved_line_without_space_gets_space_newline():
    # Apache's " \n" dummy: last line without newline, resolved.
    out, _ = run(b"192.0.2.1 a\n192.0.2.2")
    assert out == b"one.example a\ntwo.example \n"


def test_unresolved_trailing_line_without_newline_is_copied_as_is():
    assert run(b"192.0.2.5")[0] == b"192.0.2.5"


def test_cache_hit_on_key_without_space_appends_space_newline():
    # Reachable when the resolver accepts "addr\n"; Apache then writes
    # cached + " " + "\n" for the second occurrence.
    res = FakeResolver(PTR, ADDR, aliases={b"192.0.2.7\n": "192.0.2.7"})
    out, st_ = run(b"192.0.2.7\n192.0.2.7\n", resolver=res)
    assert out == b"192.0.2.7\n192.0.2.7\n \n"
    assert (st_.noreverse, st_.cachehits) == (1, 1)


def test_nul_byte_ends_the_line_there():
    out, st_ = run(b"abc\0def x\n192.0.2.1 a\0b\n")
    assert out == b"abcone.example a"
    assert st_.entries == 2


def test_chunk_starting_with_nul_is_skipped_uncounted():
    out, st_ = run(b"\x00" b"192.0.2.1 x\n192.0.2.1 y\n")
    assert out == b"one.example y\n" and st_.entries == 1


def test_long_line_is_split_into_131071_byte_chunks():
    first = b"192.0.2.5 " + b"x" * (lr.MAX_CHUNK - 10)
    data = first + b"192.0.2.1 rest\n"
    out, st_ = run(data)
    # The tail arrives as its own "line" and its first field is resolved.
    assert out == first + b"one.example rest\n"
    assert st_.entries == 2


def test_long_line_split_exactly_before_newline_yields_empty_entry():
    data = b"a" * lr.MAX_CHUNK + b"\n"
    out, st_ = run(data)
    assert out == data and (st_.entries, st_.withname) == (2, 2)


def test_tab_is_not_a_field_separator():
    out, st_ = run(b"192.0.2.1\tx y\n")
    assert out == b"192.0.2.1\tx y\n" and st_.withname == 1


# -- statistics ---------------------------------------------------------------

def test_statistics_format_matches_print_statistics():
    s = lr.Stats(entries=5, withname=1, resolves=3, noreverse=1,
                 doublefailed=2, cachehits=1, cachesize=3)
    assert s.format() == ("logresolve Statistics:\n"
                          "Entries: 5\n"
                          "    With name   : 1\n"
                          "    Resolves    : 3\n"
                          "    - No reverse : 1\n"
                          "    - Double lookup failed : 2\n"
                          "Cache hits      : 1\n"
                          "Cache size      : 3\n")


def test_statistics_omit_zero_failure_lines():
    text = lr.Stats(entries=1, resolves=1, cachesize=1).format()
    assert "No reverse" not in text and "Double" not in text


# -- concurrency, order, streaming --------------------------------------------

def _many(n_addrs=60, n_lines=600, seed=7):
    rng = random.Random(seed)
    ips = [f"198.18.{i // 250}.{i % 250 + 1}" for i in range(n_addrs)]
    ptr = {ip: f"h{i}.example" for i, ip in enumerate(ips) if i % 5}
    lines = b"".join(b"%s - - line %d\n" % (rng.choice(ips).encode(), i)
                     for i in range(n_lines))
    return ips, ptr, lines


def test_output_order_kept_when_lookups_finish_out_of_order():
    ips, ptr, data = _many()
    rng = random.Random(3)
    delays = {ip.encode(): rng.uniform(0, 0.01) for ip in ips}
    res = FakeResolver(ptr, delay=lambda k: delays.get(k, 0))
    out, _ = run(data, resolver=res, concurrency=16)
    seq, _ = run(data, resolver=FakeResolver(ptr), concurrency=1)
    assert out == seq


def test_each_distinct_key_is_looked_up_once():
    ips, ptr, data = _many()
    res = FakeResolver(ptr)
    run(data, resolver=res, concurrency=8)
    assert all(n == 1 for n in res.calls.values())


def test_lookups_run_concurrently_within_the_bound():
    ips, ptr, data = _many(n_addrs=40, n_lines=200)
    res = FakeResolver(ptr, delay=0.02)
    t0 = time.perf_counter()
    run(data, resolver=res, concurrency=8)
    elapsed = time.perf_counter() - t0
    assert 1 < res.max_in_flight <= 8
    assert elapsed < 40 * 2 * 0.02  # a sequential run needs >= 1.6 s


class _CountingReader(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.lines_read = 0

    def readline(self, size=-1):
        chunk = super().readline(size)
        if chunk:
            self.lines_read += 1
        return chunk


class _LagWriter(io.BytesIO):
    """Records how far reading ran ahead of writing at every write."""

    def __init__(self, reader):
        super().__init__()
        self.reader = reader
        self.written = 0
        self.max_lag = 0

    def write(self, b):
        self.written += 1
        self.max_lag = max(self.max_lag, self.reader.lines_read - self.written)
        return super().write(b)


def test_window_bounds_lines_held_in_memory():
    ips, ptr, data = _many(n_addrs=50, n_lines=500)
    res = FakeResolver(ptr, delay=0.002)
    reader = _CountingReader(data)
    writer = _LagWriter(reader)
    lr.logresolve(reader, writer, resolver=res, concurrency=4, window=10)
    assert writer.written == 500
    assert writer.max_lag <= 10


def _reference(data: bytes, resolver, double: bool) -> tuple[bytes, lr.Stats]:
    """logresolve.c's loop, sequential, as literally as Python allows."""
    out = bytearray()
    s = lr.Stats()
    cache: dict[bytes, bytes] = {}
    f = io.BytesIO(data)
    while True:
        line = f.readline(lr.LINE_BUF_SIZE - 1)
        if not line:
            break
        line = line.split(b"\0", 1)[0]
        if not line:
            continue
        s.entries += 1
        if line[0] not in b"0123456789abcdefABCDEF:":
            s.withname += 1
            out += line
            continue
        sp = line.find(b" ")
        key, rest = (line, b"\n") if sp < 0 else (line[:sp], line[sp + 1:])
        if key in cache:
            out += cache[key] + b" " + rest
            s.cachehits += 1
            continue
        ip = resolver.getaddrinfo(key, 0)
        if ip is None:
            s.withname += 1
            out += line
            continue
        s.resolves += 1
        s.cachesize += 1
        name = resolver.getnameinfo(ip)
        if name is None:
            out += line
            s.noreverse += 1
            cache[key] = key
            continue
        if double:
            d = resolver.getaddrinfo(name, ip.family)
            if d is None or d.packed != ip.packed:
                out += line
                s.doublefailed += 1
                cache[key] = key
                continue
        out += name + b" " + rest
        cache[key] = name
    return bytes(out), s


_field = st.sampled_from([b"192.0.2.1", b"192.0.2.2", b"192.0.2.3",
                          b"192.0.2.5", b"192.0.2.9", b"2001:db8::1",
                          b"::ffff:192.0.2.1", b"beef.example", b"abc", b"-",
                          b"www.example", b"", b"\0", b"192.0.2.7\n"])
_tail = st.sampled_from([b" x\n", b"\n", b"", b" ", b" a b\n", b"\t\n",
                         b" \0z\n", b" y"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_field, _tail), max_size=30), st.booleans(),
       st.integers(1, 5), st.integers(1, 6))
def test_concurrent_pipeline_equals_sequential_loop(parts, double, conc, win):
    data = b"".join(a + b for a, b in parts)
    aliases = {b"192.0.2.7\n": "192.0.2.1"}
    want = _reference(data, FakeResolver(PTR, ADDR, aliases), double)
    got = run(data, double=double, resolver=FakeResolver(PTR, ADDR, aliases),
              concurrency=conc, window=win)
    assert got[0] == want[0]
    assert got[1] == want[1]


# -- command line -------------------------------------------------------------

def _main(args, data=b"", **kw):
    out = io.BytesIO()
    rc = lr.main(args, stdin=io.BytesIO(data), stdout=out,
                 resolver=FakeResolver(PTR, ADDR), **kw)
    return rc, out.getvalue()


def test_stats_file_written_with_s(tmp_path):
    p = tmp_path / "stats"
    rc, out = _main(["-s", str(p)], b"192.0.2.1 a\n192.0.2.1 b\nx\n")
    assert rc == 0 and out == b"one.example a\none.example b\nx\n"
    assert p.read_text() == ("logresolve Statistics:\nEntries: 3\n"
                             "    With name   : 1\n    Resolves    : 1\n"
                             "Cache hits      : 1\nCache size      : 1\n")


def test_c_enables_double_lookups():
    assert _main(["-c"], b"192.0.2.3 x\n")[1] == b"192.0.2.3 x\n"


@pytest.mark.parametrize("args,first", [
    (["-x"], "logresolve: illegal option -- x\n"),
    (["-s"], "logresolve: option requires an argument -- s\n"),
    (["-c", "-c"], ""), (["-cc"], ""), (["-sA", "-sB"], ""),
    (["-:"], "logresolve: illegal option -- :\n"),
])
def test_usage_errors_exit_1_with_apache_text(args, first, capsys):
    rc, out = _main(args, b"192.0.2.1 x\n")
    err = capsys.readouterr().err
    assert rc == 1 and out == b""
    assert err == first + lr.USAGE.format("logresolve")


@pytest.mark.parametrize("args", [["foo", "-x"], ["--", "-x"], ["-"],
                                  ["-c-", "-x"]])
def test_option_parsing_stops_at_first_non_option(args):
    assert _main(args, b"192.0.2.1 x\n") == (0, b"one.example x\n")


def test_unwritable_stats_file_is_reported_after_output(tmp_path, capsys):
    bad = str(tmp_path / "no" / "such" / "dir")
    rc, out = _main(["-s", bad], b"192.0.2.1 x\n")
    assert rc == 1 and out == b"one.example x\n"
    assert capsys.readouterr().err == \
        f"logresolve: Could not open {bad} for writing."


def test_tools_script_runs_and_reports_usage():
    r = subprocess.run([sys.executable, str(TOOL), "-x"], input=b"",
                       capture_output=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.startswith(b"logresolve: illegal option -- x\n"
                               b"logresolve -- Resolve IP-addresses")


def test_tools_script_copies_lines_needing_no_lookup():
    # Nothing here starts with a hex digit or ':', so no lookup happens.
    data = b"www.example - -\n- x\n\nzz"
    r = subprocess.run([sys.executable, str(TOOL)], input=data,
                       capture_output=True, timeout=60,
                       env={**os.environ, "APYCHE_LOGRESOLVE_CONCURRENCY": "2"})
    assert r.returncode == 0 and r.stdout == data


# -- the system resolver's plumbing (numeric only: no DNS is sent) ------------

@pytest.mark.parametrize("text", ["192.0.2.1", "2001:db8::1", "::1"])
def test_system_resolver_parses_numeric_addresses(text):
    import ipaddress
    a = lr.SystemResolver().getaddrinfo(text.encode(), 0)
    assert a is not None and a.packed == ipaddress.ip_address(text).packed


@pytest.mark.skipif(lr._libc_getnameinfo is None, reason="no libc via ctypes")
@pytest.mark.parametrize("text", ["192.0.2.1", "2001:db8::1"])
def test_raw_sockaddr_round_trips_through_libc(text):
    import socket
    a = lr.SystemResolver().getaddrinfo(text.encode(), 0)
    assert lr._raw_getnameinfo(a, socket.NI_NUMERICHOST) == text.encode()


class _ClosedPipe(io.BytesIO):
    def write(self, b):
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_pipe_ends_quietly():
    rc = lr.main([], stdin=io.BytesIO(b"x\n" * 10), stdout=_ClosedPipe(),
                 resolver=FakeResolver(PTR, ADDR))
    assert rc == 1


def test_window_bytes_bounds_memory_for_long_lines():
    ips, ptr, _ = _many(n_addrs=20)
    data = b"".join(b"%s %s\n" % (ip.encode(), b"y" * 5000) for ip in ips * 3)
    res = FakeResolver(ptr, delay=0.002)
    reader = _CountingReader(data)
    writer = _LagWriter(reader)
    lr.logresolve(reader, writer, resolver=res, concurrency=4,
                  window=1000, window_bytes=20000)
    assert writer.written == 60 and writer.max_lag <= 4


class _Exploding(FakeResolver):
    def getnameinfo(self, addr):
        raise RuntimeError("resolver bug")


def test_resolver_exception_propagates_instead_of_hanging():
    with pytest.raises(RuntimeError, match="resolver bug"):
        run(b"192.0.2.1 x\n192.0.2.1 y\n", resolver=_Exploding(PTR, ADDR))
