"""A table-driven Resolver for in-process tests (no DNS, no network)."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections import Counter

from apyche.logresolve import Address


def _address(text: str) -> Address:
    ip = ipaddress.ip_address(text)
    if ip.version == 4:
        return Address(socket.AF_INET, ip.packed, (text, 0))
    return Address(socket.AF_INET6, ip.packed, (text, 0, 0, 0))


class FakeResolver:
    """``ptr``: address text -> name; ``addr``: name -> [address text].

    A key parses as an address if ``ipaddress`` accepts it, or if it is a
    name listed in ``addr`` (then its first address is used, as APR does),
    or if it is listed in ``aliases`` (key bytes -> address text: lets a
    test make odd keys such as ``b"192.0.2.7\\n"`` "parse").
    ``delay`` (seconds, or a callable key -> seconds) is slept per call;
    in-flight calls are tracked to check the concurrency bound.
    """

    def __init__(self, ptr=None, addr=None, aliases=None, delay=0.0):
        self.ptr = {str(ipaddress.ip_address(k)): v
                    for k, v in (ptr or {}).items()}
        self.addr = {k.lower(): v for k, v in (addr or {}).items()}
        self.aliases = dict(aliases or {})
        self.delay = delay
        self.calls: Counter = Counter()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def _enter(self, what, key):
        with self._lock:
            self.calls[(what, key)] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        d = self.delay(key) if callable(self.delay) else self.delay
        if d:
            time.sleep(d)

    def _leave(self):
        with self._lock:
            self.in_flight -= 1

    def getaddrinfo(self, host: bytes, family: int):
        self._enter("addr", host)
        try:
            if host in self.aliases:
                return _address(self.aliases[host])
            text = host.decode("latin-1")
            try:
                a = _address(text)
            except ValueError:
                addrs = self.addr.get(text.lower())
                if not addrs:
                    return None
                cands = [_address(x) for x in addrs]
                if family != socket.AF_UNSPEC:
                    cands = [c for c in cands if c.family == family]
                return cands[0] if cands else None
            if family not in (socket.AF_UNSPEC, a.family):
                return None
            return a
        finally:
            self._leave()

    def getnameinfo(self, addr: Address):
        self._enter("name", addr.packed)
        try:
            ip = ipaddress.ip_address(addr.packed)
            if ip.version == 6 and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped            # as apr_getnameinfo does
            name = self.ptr.get(str(ip))
            return name.encode() if name is not None else None
        finally:
            self._leave()
