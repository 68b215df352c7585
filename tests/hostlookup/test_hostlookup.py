"""apyche.server.hostlookup with injected backends and clocks: no network."""

from __future__ import annotations

import asyncio
import collections
import time

import pytest

from apyche.server import hostlookup as hl
from apyche.server.hostlookup import (
    NOT_CACHED, REMOTE_DOUBLE_REV, REMOTE_HOST, REMOTE_NAME, REMOTE_NOLOOKUP,
    HostResolver, Lookups, RemoteHost)

PTR = {"192.0.2.1": "One.Example", "192.0.2.3": "liar.example",
       "192.0.2.9": "multi.example", "2001:db8::1": "six.example",
       "192.0.2.20": "192.0.2.20"}
ADDR = {"one.example": ["192.0.2.1"], "liar.example": ["192.0.2.99"],
        "multi.example": ["192.0.2.8", "192.0.2.9"],
        "six.example": ["2001:db8::1"], "www.example": ["198.51.100.1"]}


class FakeBackend:
    def __init__(self, ptr=PTR, addr=ADDR, delay=0.0, hang=(), fail=()):
        self.ptr, self.addr = ptr, addr
        self.delay, self.hang, self.fail = delay, set(hang), set(fail)
        self.calls = collections.Counter()

    async def _wait(self, key):
        if self.delay:
            await asyncio.sleep(self.delay)
        if key in self.hang:
            await asyncio.sleep(3600)
        if key in self.fail:
            raise OSError("resolver exploded")

    async def reverse(self, ip):
        self.calls["ptr", ip] += 1
        await self._wait(ip)
        return self.ptr.get(ip)

    async def forward(self, name):
        self.calls["fwd", name] += 1
        await self._wait(name)
        return list(self.addr.get(name, ()))


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def make(**kw):
    backend = kw.pop("backend", None) or FakeBackend()
    clock = kw.pop("clock", None) or Clock()
    return HostResolver(backend, clock=clock, **kw), backend, clock


def run(coro, limit=5.0):
    return asyncio.run(asyncio.wait_for(coro, limit))


# -- caching -----------------------------------------------------------------

def test_reverse_caches_and_lowercases():
    r, b, _ = make()

    async def go():
        return [await r.reverse("192.0.2.1") for _ in range(3)]
    assert run(go()) == ["one.example"] * 3
    assert b.calls["ptr", "192.0.2.1"] == 1
    assert r.cached_reverse("192.0.2.1") == "one.example"
    assert r.stats["hits"] == 2


def test_not_cached_sentinel_is_distinct_from_none():
    r, _, _ = make()
    assert r.cached_reverse("192.0.2.5") is NOT_CACHED
    run(r.reverse("192.0.2.5"))
    assert r.cached_reverse("192.0.2.5") is None
    assert repr(NOT_CACHED) == "NOT_CACHED" and not NOT_CACHED


def test_positive_ttl_expiry_with_injected_clock():
    r, b, clock = make(ttl=60, negative_ttl=5)
    run(r.reverse("192.0.2.1"))
    clock.t += 59.9
    assert r.cached_reverse("192.0.2.1") == "one.example"
    clock.t += 0.2
    assert r.cached_reverse("192.0.2.1") is NOT_CACHED
    assert run(r.reverse("192.0.2.1")) == "one.example"
    assert b.calls["ptr", "192.0.2.1"] == 2


def test_negative_caching_uses_negative_ttl():
    r, b, clock = make(ttl=60, negative_ttl=5)
    assert run(r.reverse("192.0.2.5")) is None
    assert run(r.reverse("192.0.2.5")) is None
    assert b.calls["ptr", "192.0.2.5"] == 1
    clock.t += 5.1
    assert r.cached_reverse("192.0.2.5") is NOT_CACHED
    run(r.reverse("192.0.2.5"))
    assert b.calls["ptr", "192.0.2.5"] == 2
    # forward: no addresses is negative too
    assert run(r.forward("nothing.example")) == []
    assert r.cached_forward("nothing.example") == ()
    clock.t += 5.1
    assert r.cached_forward("nothing.example") is NOT_CACHED


def test_cache_size_is_bounded_lru():
    r, b, _ = make(max_entries=2)

    async def go():
        await r.reverse("192.0.2.1")
        await r.reverse("192.0.2.3")
        await r.reverse("192.0.2.1")      # refresh: .3 is now oldest
        await r.reverse("192.0.2.9")
    run(go())
    assert r.cached_reverse("192.0.2.3") is NOT_CACHED
    assert r.cached_reverse("192.0.2.1") == "one.example"
    assert r.cached_reverse("192.0.2.9") == "multi.example"


# -- timeouts and failures --------------------------------------------------------

def test_timeout_degrades_to_no_name_and_is_bounded():
    r, b, clock = make(backend=FakeBackend(hang={"192.0.2.1"}), timeout=0.05)
    t0 = time.perf_counter()
    assert run(r.reverse("192.0.2.1")) is None
    assert time.perf_counter() - t0 < 1.0
    assert r.stats["timeouts"] == 1
    assert r.cached_reverse("192.0.2.1") is None       # negatively cached
    assert run(r.double_reverse("192.0.2.1")) is None


def test_forward_timeout_in_double_reverse():
    r, _, _ = make(backend=FakeBackend(hang={"one.example"}), timeout=0.05)
    assert run(r.double_reverse("192.0.2.1")) is None
    assert run(r.reverse("192.0.2.1")) == "one.example"


def test_backend_error_degrades_to_no_name():
    r, _, _ = make(backend=FakeBackend(fail={"192.0.2.1", "www.example"}))
    assert run(r.reverse("192.0.2.1")) is None
    assert run(r.forward("www.example")) == []
    assert r.stats["errors"] == 2


def test_garbage_answers_are_ignored():
    b = FakeBackend(addr={"one.example": ["not-an-ip", "192.0.2.1"]})
    r, _, _ = make(backend=b)
    assert run(r.forward("one.example")) == ["192.0.2.1"]
    assert run(r.reverse("not an address")) is None
    assert b.calls["ptr", "not an address"] == 0


# -- coalescing -----------------------------------------------------------------

def test_concurrent_lookups_of_one_address_coalesce():
    r, b, _ = make(backend=FakeBackend(delay=0.05))

    async def go():
        return await asyncio.gather(*(r.double_reverse("192.0.2.1")
                                      for _ in range(50)))
    assert run(go()) == ["one.example"] * 50
    assert b.calls == {("ptr", "192.0.2.1"): 1, ("fwd", "one.example"): 1}
    assert r.stats["coalesced"] >= 49


def test_distinct_lookups_run_concurrently():
    r, b, _ = make(backend=FakeBackend(delay=0.2))
    ips = [f"192.0.2.{i}" for i in range(30, 60)]

    async def go():
        t0 = time.perf_counter()
        await asyncio.gather(*(r.reverse(ip) for ip in ips))
        return time.perf_counter() - t0
    assert run(go()) < 1.0               # serial would be 6 s


def test_cancelled_waiter_does_not_cancel_shared_lookup():
    r, b, _ = make(backend=FakeBackend(delay=0.1))

    async def go():
        a = asyncio.ensure_future(r.reverse("192.0.2.1"))
        c = asyncio.ensure_future(r.reverse("192.0.2.1"))
        await asyncio.sleep(0.01)
        a.cancel()
        return await c
    assert run(go()) == "one.example"
    assert b.calls["ptr", "192.0.2.1"] == 1


# -- double reverse ----------------------------------------------------------

def test_spoofed_ptr_is_rejected_by_double_reverse():
    r, _, _ = make()
    assert run(r.reverse("192.0.2.3")) == "liar.example"
    assert run(r.double_reverse("192.0.2.3")) is None
    assert r.cached_double_reverse("192.0.2.3") is None


def test_double_reverse_accepts_any_forward_address():
    # do_double_reverse walks the whole sa list (logresolve -c only the first)
    r, _, _ = make()
    assert run(r.double_reverse("192.0.2.9")) == "multi.example"


def test_double_reverse_ipv6_and_v4_mapped():
    r, b, _ = make()
    assert run(r.double_reverse("2001:db8::1")) == "six.example"
    # apr_getnameinfo reduces v4-mapped to IPv4; apr_sockaddr_equal treats
    # ::ffff:a.b.c.d and a.b.c.d as equal.
    assert run(r.double_reverse("::ffff:192.0.2.1")) == "one.example"
    assert b.calls["ptr", "192.0.2.1"] == 1


def test_ptr_name_that_looks_like_an_address():
    # getaddrinfo("192.0.2.20") is the address itself: confirms, no query.
    r, b, _ = make()
    assert run(r.double_reverse("192.0.2.20")) == "192.0.2.20"
    assert b.calls["fwd", "192.0.2.20"] == 0


def test_cached_double_reverse_states():
    r, _, _ = make()
    assert r.cached_double_reverse("192.0.2.1") is NOT_CACHED
    run(r.reverse("192.0.2.1"))
    assert r.cached_double_reverse("192.0.2.1") is NOT_CACHED  # fwd missing
    run(r.double_reverse("192.0.2.1"))
    assert r.cached_double_reverse("192.0.2.1") == "one.example"
    run(r.reverse("192.0.2.5"))
    assert r.cached_double_reverse("192.0.2.5") is None


def test_forward_literal_and_case():
    r, b, _ = make()
    assert run(r.forward("192.0.2.7")) == ["192.0.2.7"]
    assert run(r.forward("WWW.Example")) == ["198.51.100.1"]
    assert r.cached_forward("www.example") == ("198.51.100.1",)
    assert not any(k == "fwd" and v == "192.0.2.7" for k, v in b.calls)


# -- Apache's in_domain --------------------------------------------------------

@pytest.mark.parametrize("rule,name,ok", [
    ("example.com", "example.com", True),
    ("example.com", "www.example.com", True),
    ("example.com", "a.b.example.com", True),
    ("example.com", "nogood-example.com", False),
    ("example.com", "badexample.com", False),        # whole label only
    (".example.com", "www.example.com", True),
    (".example.com", "example.com", False),          # leading dot: a subdomain
    ("Example.COM", "www.example.com", True),        # case-insensitive
    ("example.com", "WWW.EXAMPLE.COM", True),
    ("www.example.com", "example.com", False),       # rule longer than name
    ("com", "example.com", True),
    ("m", "example.com", False),
    ("example.com", "example.com.evil.net", False),  # suffix, not prefix
    ("example.com", "example.com.", False),
    ("example.com.", "www.example.com", False),
    ("2.0.192", "host.2.0.192", True),              # Apache has no IP special case
    ("192.0.2.1", "192.0.2.1", True),
    ("2.1", "192.0.2.1", True),
])
def test_in_domain_table(rule, name, ok):
    assert hl.in_domain(rule, name) is ok
    assert hl.host_matches(rule, name) is ok


def test_in_domain_is_ascii_case_insensitive_only():
    assert hl.in_domain("ÉCOLE.example", "école.example") is False
    assert hl.in_domain("école.EXAMPLE", "école.example") is True


def test_host_rule_never_matches_without_a_name():
    # no PTR / unconfirmed: Apache does not compare the numeric address
    assert hl.host_matches("192.0.2.5", None) is False
    assert hl.host_matches("example.com", "") is False


@pytest.mark.parametrize("line,name,ok", [
    ("example.com", "www.example.com", True),
    ("other.net example.com", "www.example.com", True),
    ("other.net", "www.example.com", False),
    ("localhost# example.com", "www.example.com", False),   # comment dropped
    ("example.com #later", "www.example.com", True),
    ("#example.com", "www.example.com", False),              # only a comment
    ('"example.com" x', "www.example.com", True),            # ap_getword_conf
    ("", "www.example.com", False),
    ("example.com", None, False),
])
def test_require_host_line(line, name, ok):
    assert hl.require_host_matches(line, name) is ok


# -- ap_get_remote_host --------------------------------------------------------

def ask(resolver, state, type, lookups):
    return run(hl.remote_host(state, type, lookups, resolver))


@pytest.mark.parametrize("lookups,ip,h,remote_host_var", [
    # %h (REMOTE_NAME) and CGI REMOTE_HOST (REMOTE_HOST)
    ("Off", "192.0.2.1", "192.0.2.1", None),
    ("On", "192.0.2.1", "one.example", "one.example"),
    ("On", "192.0.2.3", "liar.example", "liar.example"),   # single reverse
    ("On", "192.0.2.5", "192.0.2.5", None),
    ("Double", "192.0.2.1", "one.example", "one.example"),
    ("Double", "192.0.2.3", "192.0.2.3", None),            # not confirmed
    ("Double", "192.0.2.5", "192.0.2.5", None),
])
def test_percent_h_and_remote_host(lookups, ip, h, remote_host_var):
    r, b, _ = make()
    assert ask(r, RemoteHost(ip), REMOTE_NAME, lookups)[0] == h
    assert ask(r, RemoteHost(ip), REMOTE_HOST, lookups)[0] == remote_host_var
    if lookups == "Off":
        assert not b.calls
    is_ip = ask(r, RemoteHost(ip), REMOTE_NAME, lookups)[1]
    assert is_ip is (h == ip)


def test_lookups_off_makes_no_dns_query_for_logging():
    r, b, _ = make()
    st = RemoteHost("192.0.2.1")
    assert ask(r, st, REMOTE_NAME, Lookups.OFF) == ("192.0.2.1", True)
    assert ask(r, st, REMOTE_NOLOOKUP, "on") == ("192.0.2.1", True)
    assert not b.calls and st.host is None


@pytest.mark.parametrize("lookups", ["Off", "On", "Double"])
def test_require_host_forces_double_reverse(lookups):
    r, b, _ = make()
    assert ask(r, RemoteHost("192.0.2.1"), REMOTE_DOUBLE_REV, lookups) \
        == ("one.example", False)
    assert ask(r, RemoteHost("192.0.2.3"), REMOTE_DOUBLE_REV, lookups) \
        == (None, False)
    assert ask(r, RemoteHost("192.0.2.5"), REMOTE_DOUBLE_REV, lookups) \
        == (None, False)
    assert b.calls["fwd", "liar.example"] == 1


def test_on_keeps_single_reverse_name_after_failed_double():
    # core.xml: with HostnameLookups On, REMOTE_HOST gets the single-reverse
    # result whether or not the double-reverse for Require host failed.
    r, _, _ = make()
    st = RemoteHost("192.0.2.3")
    assert ask(r, st, REMOTE_DOUBLE_REV, "On") == (None, False)
    assert ask(r, st, REMOTE_HOST, "On") == ("liar.example", False)
    assert (st.host, st.double_reverse) == ("liar.example", -1)


def test_off_then_require_host_memo_shows_in_percent_h():
    # The lookup forced by REMOTE_DOUBLE_REV fills conn->remote_host, so a
    # later %h on the same connection logs the name even under Off.
    r, _, _ = make()
    st = RemoteHost("192.0.2.3")
    assert ask(r, st, REMOTE_NAME, "Off") == ("192.0.2.3", True)
    assert ask(r, st, REMOTE_DOUBLE_REV, "Off") == (None, False)
    assert ask(r, st, REMOTE_NAME, "Off") == ("liar.example", False)


def test_double_failure_blanks_the_name_for_everyone():
    r, _, _ = make()
    st = RemoteHost("192.0.2.3")
    assert ask(r, st, REMOTE_NAME, "Double") == ("192.0.2.3", True)
    assert (st.host, st.double_reverse) == ("", -1)
    assert ask(r, st, REMOTE_DOUBLE_REV, "Double") == (None, False)


def test_memo_means_one_lookup_per_connection():
    r, b, clock = make(ttl=1, negative_ttl=1)
    st = RemoteHost("192.0.2.5")
    ask(r, st, REMOTE_NAME, "On")
    clock.t += 10                        # resolver cache expired...
    ask(r, st, REMOTE_NAME, "On")        # ...but conn->remote_host is ""
    assert b.calls["ptr", "192.0.2.5"] == 1


def test_require_host_with_numeric_rule_and_no_ptr_denies():
    r, _, _ = make()
    name, is_ip = ask(r, RemoteHost("192.0.2.5"), REMOTE_DOUBLE_REV, "Off")
    assert not hl.require_host_matches("192.0.2.5", None if is_ip else name)


def test_sync_path_not_cached_then_warm():
    r, _, _ = make()
    st = RemoteHost("192.0.2.1")
    assert hl.remote_host_cached(st, REMOTE_DOUBLE_REV, "Off", r) is NOT_CACHED
    assert st.host is None and st.double_reverse == 0     # untouched
    run(r.double_reverse("192.0.2.1"))
    assert hl.remote_host_cached(st, REMOTE_DOUBLE_REV, "Off", r) \
        == ("one.example", False)
    assert (st.host, st.double_reverse) == ("one.example", 1)
    # Off + REMOTE_NAME needs no DNS at all: always synchronous
    assert hl.remote_host_cached(RemoteHost("192.0.2.7"), REMOTE_NAME, "Off", r) \
        == ("192.0.2.7", True)


@pytest.mark.parametrize("lookups", ["Off", "On", "Double"])
@pytest.mark.parametrize("ip", ["192.0.2.1", "192.0.2.3", "192.0.2.5",
                                "192.0.2.9", "::ffff:192.0.2.1"])
def test_sync_and_async_agree_when_warm(lookups, ip):
    r, _, _ = make()
    run(r.double_reverse(ip))
    for seq in ([REMOTE_NAME, REMOTE_DOUBLE_REV, REMOTE_HOST],
                [REMOTE_DOUBLE_REV, REMOTE_NAME, REMOTE_HOST]):
        a, s = RemoteHost(ip), RemoteHost(ip)
        for t in seq:
            assert hl.remote_host_cached(s, t, lookups, r) == ask(r, a, t, lookups)
            assert (s.host, s.double_reverse) == (a.host, a.double_reverse)


def test_parse_hostname_lookups():
    p = hl.parse_hostname_lookups
    assert p(None) is Lookups.OFF and p("off") is Lookups.OFF
    assert p("ON") is Lookups.ON and p("Double") is Lookups.DOUBLE


def test_same_address():
    assert hl.same_address("::ffff:192.0.2.1", "192.0.2.1")
    assert hl.same_address("2001:DB8::1", "2001:db8:0::1")
    assert not hl.same_address("::192.0.2.1", "192.0.2.1")
    assert not hl.same_address("bogus", "bogus")


def test_default_backend_is_bounded_executor():
    r = HostResolver(max_workers=3)
    try:
        assert isinstance(r.backend, hl.ExecutorBackend)
        assert r.backend.max_workers == 3
    finally:
        r.close()


def test_confirmation_memo_expires_with_the_forward_answer():
    r, b, clock = make(ttl=60)
    run(r.double_reverse("192.0.2.1"))
    clock.t += 30
    run(r.reverse("192.0.2.1"))             # still cached
    clock.t += 31
    assert r.cached_double_reverse("192.0.2.1") is NOT_CACHED
    assert run(r.double_reverse("192.0.2.1")) == "one.example"
    assert b.calls["fwd", "one.example"] == 2


def test_zero_ttl_still_answers():
    r, b, _ = make(ttl=0, negative_ttl=0)
    assert run(r.double_reverse("192.0.2.1")) == "one.example"
    assert r.cached_reverse("192.0.2.1") is NOT_CACHED


# -- the executor backend keeps the loop free ------------------------------------

class BlockingFake:
    def __init__(self, delay):
        self.delay = delay

    def reverse(self, ip):
        time.sleep(self.delay)
        return PTR.get(ip)

    def forward(self, name):
        time.sleep(self.delay)
        return ADDR.get(name, [])


def test_executor_backend_does_not_block_the_loop():
    backend = hl.ExecutorBackend(BlockingFake(0.2), max_workers=4)
    r = HostResolver(backend, timeout=2)

    async def go():
        ticks = 0
        stop = False

        async def ticker():
            nonlocal ticks
            while not stop:
                await asyncio.sleep(0.01)
                ticks += 1
        t = asyncio.ensure_future(ticker())
        t0 = time.perf_counter()
        names = await asyncio.gather(*(r.reverse(ip) for ip in
                                       ["192.0.2.1", "192.0.2.3",
                                        "192.0.2.9", "192.0.2.5"]))
        elapsed = time.perf_counter() - t0
        stop = True
        await t
        return names, elapsed, ticks
    try:
        names, elapsed, ticks = run(go())
    finally:
        backend.close()
    assert names == ["one.example", "liar.example", "multi.example", None]
    assert elapsed < 0.6                      # 4 in parallel, not 0.8 s
    assert ticks >= 8                         # the loop kept running


def test_executor_backend_timeout():
    backend = hl.ExecutorBackend(BlockingFake(1.0), max_workers=2)
    r = HostResolver(backend, timeout=0.05)
    try:
        t0 = time.perf_counter()
        assert run(r.reverse("192.0.2.1")) is None
        assert time.perf_counter() - t0 < 0.5
        assert r.stats["timeouts"] == 1
    finally:
        backend.close()


# -- Require forward-dns ------------------------------------------------------------

@pytest.mark.parametrize("line,ip,ok", [
    ("www.example", "198.51.100.1", True),
    ("nothing.example www.example", "198.51.100.1", True),   # skips failures
    ("www.example", "198.51.100.2", False),
    ("multi.example", "192.0.2.8", True),                    # any address
    ("www.example#x", "198.51.100.1", True),                 # cut at '#'
    ("nothing.example#x www.example", "198.51.100.1", False),  # then stop
    ("#www.example", "198.51.100.1", False),
    ("six.example", "2001:db8::1", True),
    ("192.0.2.7", "192.0.2.7", True),                        # literal
    ("www.example", "::ffff:198.51.100.1", True),            # v4-mapped
])
def test_forward_dns(line, ip, ok):
    r, b, _ = make()
    assert hl.forward_dns_matches_cached(line, ip, r) in (NOT_CACHED, ok)
    assert run(hl.forward_dns_matches(line, ip, r)) is ok
    assert hl.forward_dns_matches_cached(line, ip, r) is ok


def test_forward_dns_cached_stops_at_first_unknown():
    r, b, _ = make()
    assert hl.forward_dns_matches_cached("www.example", "198.51.100.1", r) \
        is NOT_CACHED
    assert not b.calls
