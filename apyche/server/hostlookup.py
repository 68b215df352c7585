"""Client host name lookups (HostnameLookups, ``Require host``,
``Require forward-dns``, ``Allow/Deny from domain``) without blocking the
event loop.

Two layers:

``HostResolver`` (one per worker process / event loop)
    Asynchronous ``reverse`` / ``double_reverse`` / ``forward`` on top of an
    injectable ``DNSBackend``.  Answers are cached (LRU, bounded, positive and
    negative TTLs, injectable clock), every backend call has a timeout (a
    timeout or any error degrades to "no name", as Apache's failed
    ``apr_getnameinfo`` does), and concurrent lookups of the same key share
    one backend call.  ``cached_reverse`` / ``cached_double_reverse`` /
    ``cached_forward`` answer synchronously from the cache, or return
    ``NOT_CACHED`` so the caller can fall back to the async path.

    The default backend is ``ExecutorBackend(LibcResolver())``: libc's
    ``getnameinfo(NI_NAMEREQD)`` / ``getaddrinfo`` (with APR's hints) in a
    small bounded thread pool.  We use libc rather than our own UDP client so
    that the answers are exactly the ones Apache would get: /etc/hosts,
    nsswitch.conf, resolv.conf search/ndots/options all apply.  The cost is
    that libc gives us no DNS TTLs, so ``ttl`` / ``negative_ttl`` are
    configured values.

Pure Apache decision logic
    ``in_domain`` / ``host_matches`` (mod_authz_host and mod_access_compat's
    suffix rule), ``require_host_matches`` (a whole ``Require host`` line),
    ``same_address`` (``apr_sockaddr_equal``), and ``RemoteHost`` + the
    ``remote_host*`` drivers, a transcription of the state machine of
    ``ap_get_remote_host`` / ``ap_get_useragent_host`` (server/core.c):
    what ``%h`` (``REMOTE_NAME``), ``REMOTE_HOST`` (``REMOTE_HOST``) and
    ``Require host`` (``REMOTE_DOUBLE_REV``) see under HostnameLookups
    Off / On / Double, including the per-connection memo that makes the
    order of those calls matter.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import enum
import ipaddress
import socket
import time
from typing import Callable, Generator, Iterable, Protocol, Sequence

__all__ = [
    "NOT_CACHED", "DNSBackend", "BlockingResolver", "LibcResolver",
    "ExecutorBackend", "HostResolver", "Lookups", "parse_hostname_lookups",
    "REMOTE_HOST", "REMOTE_NAME", "REMOTE_NOLOOKUP", "REMOTE_DOUBLE_REV",
    "RemoteHost", "remote_host", "remote_host_cached", "in_domain",
    "host_matches", "require_host_matches", "same_address", "ascii_lower",
    "forward_dns_matches", "forward_dns_matches_cached",
]


class _NotCached:
    """Sentinel: the answer is not (or no longer) in the cache."""

    __slots__ = ()
    _inst = None

    def __new__(cls):
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "NOT_CACHED"

    def __bool__(self) -> bool:
        return False


NOT_CACHED = _NotCached()


# -- small helpers -------------------------------------------------------------

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(s: str) -> str:
    """``ap_str_tolower`` / C-locale ``tolower``: only A-Z change."""
    return s.translate(_LOWER)


def _packed(ip: str) -> bytes | None:
    """The bytes ``apr_sockaddr_equal`` compares, with IPv4-mapped IPv6
    reduced to IPv4 (APR's ``V4MAPPED_EQUAL`` makes those equal both ways);
    None for text that is not an address.  An IPv6 zone is ignored (it is
    not part of ``ipaddr_ptr``)."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped.packed
    return addr.packed


def same_address(a: str, b: str) -> bool:
    """``apr_sockaddr_equal`` on two address strings."""
    pa = _packed(a)
    return pa is not None and pa == _packed(b)


def _canonical_ip(ip: str) -> str | None:
    """Canonical text of an address; IPv4-mapped IPv6 becomes IPv4, as
    ``apr_getnameinfo`` does before calling getnameinfo."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return str(addr)


# -- backends -----------------------------------------------------------------

class DNSBackend(Protocol):
    """What HostResolver needs.  Both coroutines may raise or hang; the
    resolver bounds them with its timeout and treats errors as "no answer"."""

    async def reverse(self, ip: str) -> str | None:
        """PTR name of ``ip`` (canonical text, IPv4-mapped already reduced
        to IPv4), or None."""

    async def forward(self, name: str) -> Sequence[str]:
        """All addresses (IPv4 and IPv6 text) ``name`` resolves to."""


class BlockingResolver(Protocol):
    """A synchronous, thread-safe resolver for ExecutorBackend."""

    def reverse(self, ip: str) -> str | None: ...

    def forward(self, name: str) -> Sequence[str]: ...


class LibcResolver:
    """libc, called the way APR calls it.

    reverse: ``apr_getnameinfo(.., 0)`` = ``getnameinfo(NI_NAMEREQD)``
    (via ctypes where available so non-UTF-8 names from /etc/hosts survive
    as surrogate escapes; see apyche.logresolve).
    forward: ``apr_sockaddr_info_get(name, APR_UNSPEC)`` = ``getaddrinfo``
    with ``SOCK_STREAM`` and ``AI_ADDRCONFIG`` (retried without it on
    EAI_BADFLAGS / EAI_ADDRFAMILY), every AF_INET/AF_INET6 result kept.
    """

    _RETRY = {getattr(socket, n) for n in ("EAI_BADFLAGS", "EAI_ADDRFAMILY")
              if hasattr(socket, n)}

    def __init__(self) -> None:
        from ..logresolve import SystemResolver
        self._sys = SystemResolver()

    def reverse(self, ip: str) -> str | None:
        from ..logresolve import Address
        ip = ip.split("%", 1)[0]
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        try:
            packed = socket.inet_pton(family, ip)
        except OSError:
            return None
        sockaddr = (ip, 0) if family == socket.AF_INET else (ip, 0, 0, 0)
        raw = self._sys.getnameinfo(Address(family, packed, sockaddr))
        if not raw:
            return None
        return raw.decode("utf-8", "surrogateescape")

    def forward(self, name: str) -> list[str]:
        host = name.encode("utf-8", "surrogateescape")
        flags = getattr(socket, "AI_ADDRCONFIG", 0)
        try:
            try:
                infos = socket.getaddrinfo(host, None, socket.AF_UNSPEC,
                                           socket.SOCK_STREAM, 0, flags)
            except socket.gaierror as exc:
                if not (flags and exc.errno in self._RETRY):
                    return []
                infos = socket.getaddrinfo(host, None, socket.AF_UNSPEC,
                                           socket.SOCK_STREAM, 0, 0)
        except (OSError, UnicodeError, ValueError):
            return []
        out: list[str] = []
        for fam, _t, _p, _c, sockaddr in infos:
            if fam in (socket.AF_INET, socket.AF_INET6):
                a = sockaddr[0].split("%", 1)[0]
                if a not in out:
                    out.append(a)
        return out


class ExecutorBackend:
    """Runs a BlockingResolver in its own bounded thread pool.

    When the resolver's timeout cancels a call that has not started yet, the
    queued job is dropped (asyncio propagates the cancellation to the
    concurrent future); a call already inside libc runs to completion in its
    thread (libc's own resolv.conf timeout bounds it) and its result is
    discarded.
    """

    def __init__(self, resolver: BlockingResolver | None = None,
                 max_workers: int = 32) -> None:
        self.resolver = resolver if resolver is not None else LibcResolver()
        self.max_workers = max_workers
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="hostlookup")

    async def reverse(self, ip: str) -> str | None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.resolver.reverse, ip)

    async def forward(self, name: str) -> Sequence[str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.resolver.forward, name)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# -- the per-worker resolver ----------------------------------------------------

class _Cache:
    """LRU map key -> (value, expires_at) with a size bound."""

    __slots__ = ("_d", "max_entries")

    def __init__(self, max_entries: int) -> None:
        self._d: collections.OrderedDict = collections.OrderedDict()
        self.max_entries = max_entries

    def get(self, key, now: float):
        entry = self._d.get(key)
        if entry is None:
            return NOT_CACHED
        if entry[1] <= now:
            del self._d[key]
            return NOT_CACHED
        self._d.move_to_end(key)
        return entry[0]

    def entry(self, key, now: float):
        """(value, expires_at) or None; no LRU refresh."""
        entry = self._d.get(key)
        if entry is None or entry[1] <= now:
            return None
        return entry

    def put(self, key, value, expires: float) -> None:
        d = self._d
        d[key] = (value, expires)
        d.move_to_end(key)
        while len(d) > self.max_entries:
            d.popitem(last=False)

    def __len__(self) -> int:
        return len(self._d)

    def clear(self) -> None:
        self._d.clear()


class HostResolver:
    """Cached, coalescing, time-bounded host lookups for one event loop.

    ``ttl`` applies to positive answers, ``negative_ttl`` to "no name" /
    "no address" answers, errors and timeouts.  ``timeout`` bounds each
    backend call (so ``double_reverse`` waits at most about twice that).
    Keys are the address text as given (pass the canonical form the socket
    reports) and names case-folded (ASCII).  Not thread-safe: use it from its
    event loop only.
    """

    def __init__(self, backend: DNSBackend | None = None, *,
                 ttl: float = 300.0, negative_ttl: float = 30.0,
                 timeout: float = 5.0, max_entries: int = 10000,
                 clock: Callable[[], float] = time.monotonic,
                 max_workers: int = 32) -> None:
        self._own_backend = backend is None
        self.backend = backend if backend is not None else \
            ExecutorBackend(LibcResolver(), max_workers=max_workers)
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.timeout = timeout
        self.clock = clock
        self._ptr = _Cache(max_entries)
        self._fwd = _Cache(max_entries)
        # (name, ip) -> confirmed?  Derived from _fwd (same expiry), so the
        # warm double-reverse path does not re-parse addresses.
        self._conf = _Cache(max_entries)
        self._inflight: dict[tuple[str, str], asyncio.Future] = {}
        self.stats = collections.Counter()

    # -- synchronous cache probes ----------------------------------------

    def cached_reverse(self, ip: str):
        """The lowercased PTR name, None (known to have none), or NOT_CACHED."""
        return self._ptr.get(ip, self.clock())

    def cached_forward(self, name: str):
        """Tuple of addresses (possibly empty), or NOT_CACHED."""
        lit = _literal(name)
        if lit is not None:
            return lit
        return self._fwd.get(ascii_lower(name), self.clock())

    def cached_double_reverse(self, ip: str):
        """The forward-confirmed name, None, or NOT_CACHED."""
        name = self._ptr.get(ip, self.clock())
        if not name:            # None (no PTR) or NOT_CACHED
            return name
        ok = self.cached_confirms(name, ip)
        if ok is NOT_CACHED:
            return NOT_CACHED
        return name if ok else None

    def cached_confirms(self, name: str, ip: str):
        """Does a cached forward lookup of ``name`` contain ``ip``
        (``apr_sockaddr_equal``)?  True / False / NOT_CACHED."""
        now = self.clock()
        key = (name, ip)
        ok = self._conf.get(key, now)
        if ok is not NOT_CACHED:
            return ok
        lit = _literal(name)
        if lit is not None:
            return _confirms(lit, ip)
        entry = self._fwd.entry(ascii_lower(name), now)
        if entry is None:
            return NOT_CACHED
        ok = _confirms(entry[0], ip)
        self._conf.put(key, ok, entry[1])
        return ok

    async def confirms(self, name: str, ip: str) -> bool:
        """``do_double_reverse``'s forward step for a known name."""
        ok = self.cached_confirms(name, ip)
        if ok is NOT_CACHED:
            addrs = await self._lookup("fwd", ascii_lower(name))
            ok = self.cached_confirms(name, ip)     # fills the memo
            if ok is NOT_CACHED:    # already expired (ttl 0): use the answer
                ok = _confirms(addrs, ip)
        else:
            self.stats["hits"] += 1
        return bool(ok)

    # -- async lookups -----------------------------------------------------

    async def reverse(self, ip: str) -> str | None:
        """PTR name (ASCII-lowercased, as ``ap_str_tolower``) or None."""
        hit = self._ptr.get(ip, self.clock())
        if hit is not NOT_CACHED:
            self.stats["hits"] += 1
            return hit
        return await self._lookup("ptr", ip)

    async def forward(self, name: str) -> list[str]:
        """Addresses of ``name`` (``Require forward-dns``); an address
        literal is its own answer, as getaddrinfo would give."""
        lit = _literal(name)
        if lit is not None:
            return list(lit)
        key = ascii_lower(name)
        hit = self._fwd.get(key, self.clock())
        if hit is NOT_CACHED:
            hit = await self._lookup("fwd", key)
        else:
            self.stats["hits"] += 1
        return list(hit)

    async def double_reverse(self, ip: str) -> str | None:
        """``do_double_reverse``: the PTR name if one of its forward
        addresses equals ``ip`` (``apr_sockaddr_equal``), else None."""
        name = await self.reverse(ip)
        if not name:
            return None
        return name if await self.confirms(name, ip) else None

    def _lookup(self, kind: str, key: str) -> "asyncio.Future":
        self.stats["misses"] += 1
        fut = self._inflight.get((kind, key))
        if fut is None:
            fut = asyncio.ensure_future(self._fill(kind, key))
            self._inflight[(kind, key)] = fut
            fut.add_done_callback(
                lambda _f, k=(kind, key): self._inflight.pop(k, None))
        else:
            self.stats["coalesced"] += 1
        # shield: one waiter being cancelled must not cancel the shared call
        return asyncio.shield(fut)

    async def _fill(self, kind: str, key: str):
        self.stats["backend_calls"] += 1
        try:
            if kind == "ptr":
                canon = _canonical_ip(key)
                raw = None if canon is None else await asyncio.wait_for(
                    self.backend.reverse(canon), self.timeout)
                value = ascii_lower(raw) if raw else None
            else:
                raw = await asyncio.wait_for(self.backend.forward(key),
                                             self.timeout)
                value = tuple(a for a in (raw or ()) if _packed(a) is not None)
        except asyncio.TimeoutError:
            self.stats["timeouts"] += 1
            value = None if kind == "ptr" else ()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.stats["errors"] += 1
            value = None if kind == "ptr" else ()
        ttl = self.ttl if value else self.negative_ttl
        cache = self._ptr if kind == "ptr" else self._fwd
        cache.put(key, value, self.clock() + ttl)
        return value

    # -- housekeeping ----------------------------------------------------------

    def clear(self) -> None:
        self._ptr.clear()
        self._fwd.clear()
        self._conf.clear()

    def close(self) -> None:
        if self._own_backend:
            close = getattr(self.backend, "close", None)
            if close is not None:
                close()


def _literal(name: str) -> tuple[str, ...] | None:
    """getaddrinfo's numeric shortcut: an address literal resolves to itself.
    (An IPv4 literal starts with a digit, an IPv6 one contains a colon; the
    pre-check keeps the warm path cheap for ordinary names.)"""
    if not name[:1].isdigit() and ":" not in name:
        return None
    try:
        return (str(ipaddress.ip_address(name.split("%", 1)[0])),)
    except ValueError:
        return None


def _confirms(addrs: Iterable[str], ip: str) -> bool:
    want = _packed(ip)
    return want is not None and any(_packed(a) == want for a in addrs)


# -- Apache's decision rules --------------------------------------------------

def in_domain(domain: str, what: str) -> bool:
    """mod_authz_host / mod_access_compat ``in_domain``: ``what`` ends with
    ``domain`` (ASCII case-insensitive) and the match covers whole labels:
    equal, or ``domain`` starts with a dot, or the byte before the suffix in
    ``what`` is a dot.  Works on the bytes, as the C code does."""
    d = ascii_lower(domain).encode("utf-8", "surrogateescape")
    w = ascii_lower(what).encode("utf-8", "surrogateescape")
    dl, wl = len(d), len(w)
    if wl < dl or w[wl - dl:] != d:
        return False
    if wl == dl:
        return True
    return d[:1] == b"." or w[wl - dl - 1:wl - dl] == b"."


def host_matches(rule_domain: str, name: str | None) -> bool:
    """Does a host rule (``Require host`` word, ``Allow/Deny from`` domain)
    match the client's name?

    ``name`` must be what ``REMOTE_DOUBLE_REV`` yields (see
    ``remote_host``): the forward-confirmed name, or None.  With no name
    the rule never matches -- Apache does not fall back to the numeric
    address (``remotehost == NULL || remotehost_is_ip`` -> denied / no
    match), so ``Require host 192.0.2.1`` does not admit 192.0.2.1."""
    if not name:
        return False
    return in_domain(rule_domain, name)


def require_host_matches(require_args: str, name: str | None) -> bool:
    """``host_check_authorization`` for an already-evaluated ``Require host``
    argument string: text from the first ``#`` on is ignored (a line that
    starts with ``#`` denies), words are split by ``ap_getword_conf``, and
    any word that ``in_domain``-matches grants."""
    if not name:
        return False
    from ..config.words import getword
    hash_at = require_args.find("#")
    if hash_at == 0:
        return False
    if hash_at > 0:
        require_args = require_args[:hash_at]
    pos = 0
    while True:
        w, pos = getword(require_args, pos)
        if not w:
            return False
        if in_domain(w, name):
            return True


def _forward_dns_words(require_args: str) -> list[str]:
    """``forward_dns_check_authorization``'s tokenising: words by
    ``ap_getword_conf``; a word starting with ``#`` ends the list, a word
    containing ``#`` is cut there and is the last one."""
    from ..config.words import getword
    out: list[str] = []
    pos = 0
    while True:
        w, pos = getword(require_args, pos)
        if not w:
            return out
        hash_at = w.find("#")
        if hash_at == 0:
            return out
        if hash_at > 0:
            out.append(w[:hash_at])
            return out
        out.append(w)


async def forward_dns_matches(require_args: str, ip: str,
                              resolver: HostResolver) -> bool:
    """``Require forward-dns``: does any listed name resolve to the client
    address (``apr_sockaddr_equal``)?  Names are looked up in order and the
    first match grants; a name that does not resolve is skipped."""
    for name in _forward_dns_words(require_args):
        if any(same_address(a, ip) for a in await resolver.forward(name)):
            return True
    return False


def forward_dns_matches_cached(require_args: str, ip: str,
                               resolver: HostResolver):
    """Synchronous ``forward_dns_matches``: True / False, or NOT_CACHED as
    soon as a name that must be consulted is not in the cache."""
    for name in _forward_dns_words(require_args):
        addrs = resolver.cached_forward(name)
        if addrs is NOT_CACHED:
            return NOT_CACHED
        if any(same_address(a, ip) for a in addrs):
            return True
    return False


# -- ap_get_remote_host / ap_get_useragent_host -------------------------------

class Lookups(enum.Enum):
    OFF = "off"
    ON = "on"
    DOUBLE = "double"


def parse_hostname_lookups(value) -> Lookups:
    """The effective HostnameLookups (unset = Off), case-insensitive."""
    if isinstance(value, Lookups):
        return value
    v = str(value or "off").strip().lower()
    return {"on": Lookups.ON, "double": Lookups.DOUBLE}.get(v, Lookups.OFF)


REMOTE_HOST = 0        # the name, or None
REMOTE_NAME = 1        # the name, or the address (%h, %{REMOTE_HOST} in expr)
REMOTE_NOLOOKUP = 2    # like REMOTE_NAME but never looks anything up
REMOTE_DOUBLE_REV = 3  # forces a lookup and a double-reverse; name or None


class RemoteHost:
    """Per-connection (or per-request, when mod_remoteip changed the
    useragent address) memo: ``conn->remote_host`` (None = never looked
    up, "" = looked up and failed, else the lowercased name) and
    ``conn->double_reverse`` (0 unknown, 1 confirmed, -1 failed)."""

    __slots__ = ("ip", "host", "double_reverse")

    def __init__(self, ip: str) -> None:
        self.ip = ip
        self.host: str | None = None
        self.double_reverse = 0

    def __repr__(self) -> str:
        return (f"RemoteHost({self.ip!r}, host={self.host!r}, "
                f"double_reverse={self.double_reverse})")


_Step = Generator[tuple[str, str], object, tuple[str | None, bool]]


def _remote_host_steps(state: RemoteHost, type: int, lookups: Lookups,
                       out: list) -> _Step:
    """The C logic as a generator: yields ("ptr", ip) / ("confirm", name)
    requests, receives answers, returns (value, str_is_ip) and leaves the
    new (host, double_reverse) in ``out`` for the driver to commit."""
    ip = state.ip
    host, dr = state.host, state.double_reverse

    def ddr(dr, host):
        if dr:
            return dr
        if not host:
            return -1
        ok = yield ("confirm", host)
        return 1 if ok else -1

    if (type != REMOTE_NOLOOKUP and host is None
            and (type == REMOTE_DOUBLE_REV or lookups is not Lookups.OFF)):
        name = yield ("ptr", ip)
        if name:
            host = name
            if lookups is Lookups.DOUBLE:
                dr = yield from ddr(dr, host)
                if dr != 1:
                    host = None
        if host is None:
            host = ""
    out[:] = [host, dr]
    if type == REMOTE_DOUBLE_REV:
        dr = yield from ddr(dr, host)
        out[:] = [host, dr]
        if dr == -1:
            return None, False
    if host:
        return host, False
    if type in (REMOTE_HOST, REMOTE_DOUBLE_REV):
        return None, False
    return ip, True


def _without_dns(state: RemoteHost, type: int, lookups: Lookups):
    """The answer when no lookup can be needed, else None (a shortcut
    through the same logic, for the common Off / already-memoised cases)."""
    host = state.host
    if type == REMOTE_DOUBLE_REV:
        if host is None or not state.double_reverse and host:
            return None
        if state.double_reverse == -1 or not host:
            state.double_reverse = -1   # do_double_reverse: "" fails at once
            return None, False
        return host, False
    if host is None and type != REMOTE_NOLOOKUP and lookups is not Lookups.OFF:
        return None
    if host:
        return host, False
    if type == REMOTE_HOST:
        return None, False
    return state.ip, True


def remote_host_cached(state: RemoteHost, type: int, lookups, resolver: HostResolver):
    """Synchronous ``ap_get_remote_host``: (value, str_is_ip), or NOT_CACHED
    if it needs an answer the resolver does not hold (``state`` is then left
    unchanged; await ``remote_host`` instead)."""
    if lookups.__class__ is not Lookups:
        lookups = parse_hostname_lookups(lookups)
    quick = _without_dns(state, type, lookups)
    if quick is not None:
        return quick
    out: list = []
    gen = _remote_host_steps(state, type, lookups, out)
    answer = None
    try:
        while True:
            kind, key = gen.send(answer)
            answer = (resolver.cached_reverse(key) if kind == "ptr"
                      else resolver.cached_confirms(key, state.ip))
            if answer is NOT_CACHED:
                gen.close()
                return NOT_CACHED
    except StopIteration as stop:
        state.host, state.double_reverse = out
        return stop.value


async def remote_host(state: RemoteHost, type: int, lookups,
                      resolver: HostResolver) -> tuple[str | None, bool]:
    """``ap_get_remote_host`` / ``ap_get_useragent_host`` for one call:
    returns (value, str_is_ip) and updates ``state`` as Apache updates the
    connection, so later calls on the same connection see the memo.

    * REMOTE_NAME (``%h``): Off -> the address (unless an earlier
      REMOTE_DOUBLE_REV on this connection already looked the name up);
      On -> the PTR name or the address; Double -> the confirmed name or
      the address.
    * REMOTE_HOST (CGI ``REMOTE_HOST``): same, but None instead of the
      address.
    * REMOTE_DOUBLE_REV (``Require host``, ``Allow from domain``): always
      looks up, whatever HostnameLookups says, and gives the name only if
      it forward-confirms.  Under On a failed confirmation leaves the
      single-reverse name in the memo, so ``%h`` / ``REMOTE_HOST`` still
      show it (documented in core.xml HostnameLookups).
    """
    lookups = parse_hostname_lookups(lookups)
    quick = _without_dns(state, type, lookups)
    if quick is not None:
        return quick
    out: list = []
    gen = _remote_host_steps(state, type, lookups, out)
    answer = None
    try:
        while True:
            kind, key = gen.send(answer)
            if kind == "ptr":
                answer = await resolver.reverse(key)
            else:
                answer = await resolver.confirms(key, state.ip)
    except StopIteration as stop:
        state.host, state.double_reverse = out
        return stop.value
