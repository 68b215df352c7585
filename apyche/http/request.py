"""The parsed request as handlers see it.

A :class:`Request` is built by the protocol once the header block is complete
(``on_headers_complete``).  Header names and values are kept as sent (decoded
as latin-1, the HTTP/1.1 octet-preserving choice); lookups ignore case and,
like Apache's ``apr_table_get`` after ``ap_get_mime_headers_core`` merged
duplicates, ``get()`` joins repeated fields with ", ".

The body is not read until a handler asks for it (``await request.body()`` or
``async for chunk in request.stream()``).  The first read is what sends
"100 Continue", as Apache's HTTP_IN filter does.  A body nobody reads is
discarded by the protocol so the next pipelined request parses right.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Callable

from .response import HttpError, drops_connection


class ClientDisconnected(ConnectionError):
    """The peer went away while the handler was reading the body."""


class BodyReader:
    """A one-consumer queue of body chunks fed by the parser callbacks.

    Owned by the protocol: ``feed``/``finish``/``fail`` are called from
    ``data_received``; ``read_chunk`` by the handler.  ``on_first_read``
    (100-continue) and ``on_consumed`` (resume reading) are protocol hooks.
    """

    __slots__ = ("_chunks", "_buffered", "complete", "received", "_error", "_waiter",
                 "_loop", "_timeout", "on_first_read", "on_consumed", "read_started", "discard")

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._chunks: list[bytes] = []
        self._buffered = 0
        self.complete = False
        self.received = 0
        self._error: BaseException | None = None
        self._waiter: asyncio.Future | None = None
        self._loop = loop
        self._timeout = timeout
        self.on_first_read: Callable[[], None] | None = None
        self.on_consumed: Callable[[], None] | None = None
        self.read_started = False
        self.discard = False

    # -- protocol side ------------------------------------------------------
    @property
    def buffered(self) -> int:
        return self._buffered

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self.discard:
            return
        self._chunks.append(data)
        self._buffered += len(data)
        self._wake()

    def finish(self) -> None:
        self.complete = True
        self._wake()

    def fail(self, exc: BaseException) -> None:
        if self._error is None and not self.complete:
            self._error = exc
        self._wake()

    @property
    def settled(self) -> bool:
        """Whole, or failed: nothing more will come."""
        return self.complete or self._error is not None

    def drop(self) -> None:
        """Stop keeping data: the rest of the body is read and thrown away."""
        self.discard = True
        self._chunks.clear()
        self._buffered = 0

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    # -- handler side -------------------------------------------------------
    def start(self) -> None:
        """The handler begins to read (which is when a client waiting for
        "100 Continue" gets it, as Apache's input filter sends it)."""
        if not self.read_started:
            self.read_started = True
            if self.on_first_read is not None:
                self.on_first_read()

    async def read_chunk(self) -> bytes:
        """Return the next chunk, or b"" at the end of the body."""
        self.start()
        while not self._chunks:
            if self._error is not None:
                raise self._error
            if self.complete:
                return b""
            self._waiter = self._loop.create_future()
            timer = self._loop.call_later(self._timeout, self._expire) if self._timeout else None
            try:
                await self._waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        if len(self._chunks) == 1:
            data = self._chunks[0]
            self._chunks.clear()
        else:
            data = b"".join(self._chunks)
            self._chunks.clear()
        self._buffered = 0
        if self.on_consumed is not None:
            self.on_consumed()
        return data

    def _expire(self) -> None:
        # Timeout while reading the body: Apache's HTTP_IN returns APR_TIMEUP
        # and the handler answers 408.
        self.fail(HttpError(408, "timeout reading the request body"))


class Request:
    # No __slots__: the class attributes below are the defaults of fields
    # most requests never set, so building a request stores only nine.
    keep_alive = False
    """The client's persistence intent: HTTP/1.1 without "close", or
    HTTP/1.0 with "keep-alive"."""
    bytes_out = 0
    """What the answer put on the wire, head and framing included (%O)."""
    framing_in = 0
    """The chunked body's framing bytes read (size lines, CRLFs), for %I."""
    fields_read = True
    """False when the line was refused: Apache read nothing after it."""
    body_discarded = True
    """Whether Apache would read a body nobody wants, to keep the
    connection (not once Content-Length came with Transfer-Encoding)."""
    head_in: int | None = None
    """The head's size as received, when known exactly or before
    RequestHeader edits its fields (``request_size`` counts otherwise)."""
    expect_100 = False
    scheme: str | None = None
    host_from_target: str | None = None
    has_body = False
    start_time = 0.0
    # The connection as the response left it (for %k and %X): its
    # keep-alive count (c->keepalives), whether it stays open, and its
    # MaxKeepAliveRequests (0: unlimited).
    keepalives = 0
    connection_kept = False
    keep_alive_max = 100
    # The error the protocol answers this request with (set before
    # error_response is called): its note, its page's error-notes, the
    # error it took over from.
    error: HttpError | None = None
    # The request line as sent, when the protocol refused it (a bad
    # version): what request_line reports instead of the parts.
    the_request: str | None = None
    _headers: list[tuple[str, str]] | None = None
    _index: dict[str, str] | None = None
    _body: BodyReader | None = None
    _cached_body: bytes | None = None

    def __init__(self, method: str, target: str, path: str, query: str | None,
                 http_version: str, raw_headers: list[tuple[bytes, bytes]],
                 client: tuple | None = None, server: tuple | None = None) -> None:
        self.method = method
        # The request-target exactly as sent (r->unparsed_uri); ``path`` and
        # ``query`` are its raw (still %-encoded) parts.  For the
        # absolute-form, ``host_from_target`` and ``scheme`` are set.
        self.target = target
        self.path = path
        self.query = query
        self.http_version = http_version
        # Header fields as received (bytes); decoded on first use.
        self._raw = raw_headers
        self.client = client
        self.server = server

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target} HTTP/{self.http_version}>"

    # -- headers ------------------------------------------------------------
    @property
    def headers(self) -> list[tuple[str, str]]:
        """[(name, value), ...] in received order, latin-1 decoded."""
        h = self._headers
        if h is None:
            h = self._headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in self._raw]
        return h

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return self._raw

    def _build_index(self) -> dict[str, str]:
        idx: dict[str, str] = {}
        for name, value in self._raw:
            key = name.lower().decode("latin-1")
            old = idx.get(key)
            value = value.decode("latin-1")
            idx[key] = value if old is None else f"{old}, {value}"
        self._index = idx
        return idx

    def replace_headers(self, fields: list[tuple[str, str]]) -> None:
        """The request's header fields from now on (RequestHeader edits
        ``r->headers_in`` in place)."""
        self._raw = [(n.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                     for n, v in fields]
        self._headers = list(fields)
        self._index = None

    def get(self, name: str, default: str | None = None) -> str | None:
        """The field's value, repeated fields joined with ", " (case-insensitive)."""
        idx = self._index
        if idx is None:
            idx = self._build_index()
        return idx.get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        key = name.lower()
        return [v for n, v in self.headers if n.lower() == key]

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    @property
    def error_note(self) -> str | None:
        """Why the protocol refused this request, for logs."""
        return self.error.note or None if self.error is not None else None

    @property
    def request_line(self) -> str:
        """Apache's r->the_request."""
        if self.the_request is not None:
            return self.the_request
        return f"{self.method} {self.target} HTTP/{self.http_version}" if self.http_version != "0.9" \
            else f"{self.method} {self.target}"

    # -- body ---------------------------------------------------------------
    async def body(self) -> bytes:
        """Read and return the whole body (b"" when there is none)."""
        if self._cached_body is not None:
            return self._cached_body
        reader = self._body
        if reader is None:
            self._cached_body = b""
            return b""
        parts = []
        while True:
            chunk = await reader.read_chunk()
            if not chunk:
                break
            parts.append(chunk)
        self._cached_body = b"".join(parts)
        return self._cached_body

    def discard_body(self) -> None:
        """ap_discard_request_body: we will not use the body.  Sends
        "100 Continue" if the client waits for it (so the connection can stay
        persistent, as Apache's default handler does for GET) and throws the
        body away as it arrives.  Callable from a sync handler."""
        reader = self._body
        if reader is None or reader.discard:
            return
        if not reader.read_started:
            reader.read_started = True
            if reader.on_first_read is not None:
                reader.on_first_read()
        reader.drop()
        self._cached_body = b""

    async def stream(self) -> AsyncIterator[bytes]:
        if self._cached_body is not None:
            if self._cached_body:
                yield self._cached_body
            return
        reader = self._body
        if reader is None:
            return
        while True:
            chunk = await reader.read_chunk()
            if not chunk:
                return
            yield chunk


def request_size(request, status: int = 200) -> int:
    """mod_logio's %I for a parsed request answered with *status*: its
    line, its fields as "Name: value" lines, the blank line and the body
    bytes read.  No handler here reads a body: Apache reads one to throw
    it away (ap_discard_request_body), except before an answer that drops
    the connection or once the connection is known to close.  (A head
    with other spacing or folded lines is counted as if written plainly.)"""
    size = getattr(request, "head_in", None)
    if not getattr(request, "method", None):
        return size or 0            # blank lines refused before any line
    if size is None:
        size = head_size(request)
    body = request._body
    if body is not None and request.body_discarded and not drops_connection(status):
        size += body.received + request.framing_in
    return size


def head_size(request) -> int:
    """The request head's size as its line and fields read (see
    ``request_size``)."""
    size = len(request.request_line) + 2
    if request.http_version != "0.9" and request.fields_read:
        size += 2 + sum(len(name) + len(value) + 4 for name, value in request.headers)
    return size
