"""A tiny authoritative DNS server for logresolve tests and benchmarks.

It answers PTR, A and AAAA questions over UDP from an in-memory table and
nothing else; it never forwards a query anywhere.  An optional per-query
delay (answered with ``loop.call_later`` so concurrent queries overlap, as
they would against a real resolver) stands in for network latency.

Table format (JSON-friendly, so it can cross a process boundary)::

    {"ptr":  {"192.0.2.1": "host-1.example", ...},     # address -> name
     "addr": {"host-1.example": ["192.0.2.1", ...]},   # name -> addresses
     "servfail": ["broken.example", ...]}              # names answered SERVFAIL

Names are matched without regard to case and without the trailing dot.  A
name present in either direction but lacking records of the asked type gets
NOERROR with no answers (NODATA); anything else gets NXDOMAIN.

Wire format follows RFC 1035 section 4; only what glibc's stub resolver
sends is understood (one question, optional EDNS OPT in the additional
section, which is ignored).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
import threading
from collections import Counter

QTYPE_A = 1
QTYPE_PTR = 12
QTYPE_AAAA = 28
QCLASS_IN = 1

RCODE_NOERROR = 0
RCODE_SERVFAIL = 2
RCODE_NXDOMAIN = 3
RCODE_NOTIMP = 4


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


def encode_name(name: str) -> bytes:
    """RFC 1035 3.1: a sequence of length-prefixed labels ending in 0."""
    out = bytearray()
    for label in _norm(name).split("."):
        if label:
            raw = label.encode("latin-1")
            out.append(len(raw))
            out += raw
    out.append(0)
    return bytes(out)


def decode_name(msg: bytes, off: int) -> tuple[str, int]:
    """Read a (possibly compressed) name; return (name, offset after it)."""
    labels: list[str] = []
    end = None
    hops = 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 32:
                raise ValueError("compression loop")
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("latin-1"))
        off += n
    return ".".join(labels), (end if end is not None else off)


class Table:
    """Resolved view of the JSON table: qname -> records by type."""

    def __init__(self, spec: dict):
        self.records: dict[str, dict[int, list[bytes]]] = {}
        self.servfail = {_norm(n) for n in spec.get("servfail", ())}
        for ip, names in spec.get("ptr", {}).items():
            if isinstance(names, str):
                names = [names]
            qname = _norm(ipaddress.ip_address(ip).reverse_pointer)
            for name in names:
                self._add(qname, QTYPE_PTR, encode_name(name))
        for name, addrs in spec.get("addr", {}).items():
            if isinstance(addrs, str):
                addrs = [addrs]
            for a in addrs:
                ip = ipaddress.ip_address(a)
                qtype = QTYPE_A if ip.version == 4 else QTYPE_AAAA
                self._add(_norm(name), qtype, ip.packed)
            self.records.setdefault(_norm(name), {})

    def _add(self, qname: str, qtype: int, rdata: bytes) -> None:
        self.records.setdefault(qname, {}).setdefault(qtype, []).append(rdata)

    def lookup(self, qname: str, qtype: int) -> tuple[int, list[bytes]]:
        qname = _norm(qname)
        if qname in self.servfail:
            return RCODE_SERVFAIL, []
        recs = self.records.get(qname)
        if recs is None:
            return RCODE_NXDOMAIN, []
        return RCODE_NOERROR, list(recs.get(qtype, ()))


def build_response(query: bytes, table: Table) -> tuple[bytes, str, int]:
    """Answer one query datagram; returns (response, qname, qtype)."""
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    qname, off = decode_name(query, 12)
    qtype, qclass = struct.unpack("!HH", query[off:off + 4])
    question = query[12:off + 4]
    rd = flags & 0x0100
    if qdcount != 1 or qclass != QCLASS_IN:
        rcode, answers = RCODE_NOTIMP, []
    elif qtype in (QTYPE_A, QTYPE_AAAA, QTYPE_PTR):
        rcode, answers = table.lookup(qname, qtype)
    else:
        rcode, answers = table.lookup(qname, -1)
        answers = []
    # QR=1, AA=1, RD copied, RA=1.
    rflags = 0x8000 | 0x0400 | rd | 0x0080 | rcode
    out = bytearray(struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0))
    out += question
    for rdata in answers:
        # Name: pointer to the question name at offset 12; TTL 60.
        out += struct.pack("!HHHIH", 0xC00C, qtype, QCLASS_IN, 60, len(rdata))
        out += rdata
    return bytes(out), qname, qtype


class _Proto(asyncio.DatagramProtocol):
    def __init__(self, server: "FakeDNS"):
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        try:
            resp, qname, qtype = build_response(data, self.server.table)
        except Exception:  # malformed: drop it, as a server would
            return
        self.server._note(qname, qtype)
        loop = asyncio.get_running_loop()
        delay = self.server.delay
        if delay > 0:
            loop.call_later(delay, self._send, resp, addr)
        else:
            self._send(resp, addr)

    def _send(self, resp, addr):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(resp, addr)


class FakeDNS:
    """UDP DNS server in a background thread.  Use as a context manager.

    ``host`` must be a loopback address; the server refuses anything else
    so a misconfigured test can never answer (or be asked) off the box.
    """

    def __init__(self, spec: dict, host: str = "127.0.0.1", port: int = 0,
                 delay: float = 0.0):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("FakeDNS binds loopback addresses only")
        self.table = Table(spec)
        self.host = host
        self.port = port
        self.delay = delay
        self.queries: Counter = Counter()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._transport = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _note(self, qname: str, qtype: int) -> None:
        with self._lock:
            self.queries[(_norm(qname), qtype)] += 1

    @property
    def total_queries(self) -> int:
        with self._lock:
            return sum(self.queries.values())

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((self.host, self.port))
            self.port = sock.getsockname()[1]
            transport, _ = loop.run_until_complete(
                loop.create_datagram_endpoint(lambda: _Proto(self), sock=sock))
            self._transport = transport
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            transport.close()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def start(self) -> "FakeDNS":
        self._thread = threading.Thread(target=self._run, name="fakedns",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("FakeDNS did not start within 10s")
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            if self._thread.is_alive():
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(10)
        self._thread = None

    def __enter__(self) -> "FakeDNS":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
