"""HTTP/1.x connections: bytes in, handler calls, bytes out.

Theory of operation
-------------------
One :class:`HttpProtocol` per TCP connection; one llhttp parser (httptools)
per protocol.  Parsing and answering are decoupled by a FIFO of *cycles*
(one per request, as uvicorn's RequestResponseCycle):

* ``data_received`` feeds the parser.  Its callbacks collect the request
  line and headers; ``on_headers_complete`` checks them the way Apache's
  ``ap_read_request`` does (http/checks.py) and appends a cycle -- either
  a request for the handler or a protocol error to render.  Body bytes go
  to the cycle's :class:`~apyche.http.request.BodyReader`.
* The head of the queue is the *active* cycle.  Only it is answered; the
  others wait, so pipelined responses leave in request order.  When the
  queue reaches ``policy.max_pipelined`` we pause reading.
* A sync handler returning a :class:`Response` with a ``bytes`` body is
  answered inside ``data_received`` without creating any coroutine: head and
  body leave in one ``write``.  Awaitables, file bodies and streams run in
  one task per cycle.
* After a response, ``_finish`` reports ``on_complete`` (exactly once per
  cycle), pops the cycle and either starts the next one or closes.
* A read that repeats, byte for byte, a stored request (http/replay.py)
  on an idle connection is answered by ``_answer_again`` before the parser
  sees it: the stored head with a fresh Date, the hook's body, keep-alive
  decided as ``_keep_alive`` does, the hook's ``served`` instead of
  ``on_complete``.  ``_remember`` stores answers whose framing cannot
  differ the next time.

Rules
-----
1. Every cycle that reaches the head of the queue gets exactly one
   ``on_complete`` call, whatever happens (handler error, disconnect,
   truncated file).  Cycles still queued when the peer disconnects were never
   started and are dropped silently.
2. Once a protocol error has been queued (or a response decided to close),
   no more bytes are parsed: what follows cannot be trusted (smuggling).  The
   connection then ends with a lingering close (``ap_lingering_close``).
3. Keep-alive is decided per response by :meth:`_keep_alive`, a translation
   of ``ap_set_keepalive`` (modules/http/http_protocol.c); nothing else
   decides it.

Apache behaviours mirrored here (checked against httpd 2.4 source and a
running Debian apache2 2.4):

* "Keep-Alive: timeout=T, max=N" and "Connection: Keep-Alive" are sent only
  when the client sent a "keep-alive" Connection token (HTTP/1.0 style);
  an HTTP/1.1 client gets neither.  N counts down from
  MaxKeepAliveRequests; the request after max=1 gets "Connection: close".
* "Connection: close" is sent whenever the connection will close.
* Statuses 400 408 411 413 414 500 501 503 always close.
* A timeout before a complete request line closes silently (logged as a
  408 on a connection's first request); a timeout inside the header block
  answers 408 (``read_request_line`` vs ``ap_get_mime_headers_core``).
* HTTP/1.1 without Host -> 400 (also for the absolute-form, which Apache
  checks by protocol == 1.1 && !Host).  Two Host fields -> 400, unless the
  target is absolute: its host is r->hostname and no Host field is read.
* Expect other than "100-continue" -> 417, once a body has been read and
  thrown away (ap_die discards it first); a fault or EOF in that body is a
  400 whose page names the 417 (%b counts both pages).  "100 Continue" is
  sent when the handler first reads the body, even one that came with the
  head (or calls ``request.discard_body()``, which is what Apache's default
  handler does for GET); a handler that does neither leaves
  ``expecting_100`` set and the connection closes.
* Transfer-Encoding whose last coding is not chunked -> 400 (Apache checks
  in ``ap_read_request``).  Content-Length together with chunked: the body
  is read as chunked, Content-Length is ignored and the connection closes
  after the response (not rejected: Apache 2.4 answers it; set
  ``ConnectionPolicy.reject_te_with_cl`` to answer 400 instead).  Two
  Content-Length fields (even equal) or a malformed one -> 400.
* HTTP/1.2, HTTP/2.0, HTTP/3.0 in HTTP/1.x syntax are served as HTTP/1.1
  (Apache 2.4 does not answer 505); "HTTP/0.x" other than the 0.9 simple
  request -> 400; "PRI * HTTP/2.0" -> 400.
* Methods llhttp does not know are passed to the handler (Apache's default
  "LenientMethods"; the default handler answers 501); with
  "HttpProtocolOptions RegisteredMethods" a method neither Apache nor the
  config's <Limit> sections know is 501 at once.  An invalid method token
  -> 400.  Octets >= 0x80 in the request-target (raw UTF-8 paths) are
  accepted as Apache does; control characters -> 400.
* "Host:" with an empty value is a missing host (400 for >= HTTP/1.1).
* A request line is judged as Apache judges it once its line end is
  there (http/requestline.py) whenever llhttp cannot: a line llhttp
  refuses, one without a protocol, one with a run of spaces, and any line
  whose head is not whole yet (Apache judges it before it reads a
  header).  Before the line end, the client's
  EOF is silence; a finished line over LimitRequestLine (its CR may take
  the last byte) is 414 before any other verdict; an unfinished one only
  past UNFINISHED_LINE_SLACK more.
* A line without a protocol is an HTTP/0.9 simple request: answered as
  soon as the line ends, with the body alone, then close; no header block
  is read.  HEAD, POST or any method but GET (Strict), "HTTP/0.9" spelt
  out and HttpProtocolOptions Require1.0 get a full 1.x 400 (Apache's
  rrl_failed).
* Header lines as ``ap_get_mime_headers_core`` reads them: each with the
  next, which may continue it (obs-fold is joined), so a bad field is 400
  once a whole line follows it; a line the line reader refuses - longer
  than LimitRequestFieldSize + 1 bytes, holding a NUL, ending in a bare LF
  under Strict - is 400 as soon as it is read.  A field or a field count
  over its limit puts Apache's error-notes on the 400 page.
* EOF inside a header block is 400 (inside the request line: silence).
* TRACE is answered here (TraceEnable): message/http echo, 413 with a body,
  405 when disabled.
* Responses always say "HTTP/1.1".

Known differences from Apache:

* a field line's length is taken as name + ": " + value (llhttp hands
  over neither the separator nor the blanks around a value): a line at
  LimitRequestFieldSize + 1 or + 2 bytes without the space, or with more
  blanks, is judged a byte off.
* more than 10 blank lines pipelined after a request in the same read are
  skipped (Apache's ap_check_pipeline closes the connection).
* a chunk size beyond an off_t is 413 as soon as llhttp sees the 17th
  digit; Apache waits for the line.  A 16-digit size at or above 2**63 is
  taken as a size to wait for (Apache: 413).
* any other fault in a chunked body (a bad size, no CRLF after the data, a
  bad trailer) is 400 as soon as llhttp sees it; Apache waits for the end
  of the line (for a trailer, of the line after it).  A chunk extension
  must be llhttp's token[=value]; Apache takes any text without control
  characters there ("5; a=b", "5;").  A folded trailer line is 400
  (Apache joins it as in a head), and so is a trailer llhttp reads as a
  header it checks (a Content-Length that overflows); Apache ignores it.
* a request-target Apache's ap_parse_request_line refuses (a scheme
  without "//" and a relative path, a fragment, userinfo) is refused once
  the head is whole (checks.check_request), not when the line ends.
* a lone CR between two requests pipelined in one read is skipped by
  llhttp; Apache's read_request_line takes it into the next line (400).
* a 417 carries "Connection: close" and logs %X "-" (Apache says nothing,
  logs "+", and closes all the same).
* an unknown method or raw-octet target right behind more than REPLAY_MAX
  (64 KiB) of a previous message that arrived over several reads cannot be
  located: 501 / 400 instead of reaching the handler.

Deliberately left out: HTTP/2 and h2c upgrades (Upgrade headers are ignored
as Apache without mod_http2 does), chunk extensions and trailers are parsed
and dropped, "TraceEnable extended".
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import time
from collections import deque
from typing import Awaitable, Callable

from httptools import (HttpParserCallbackError, HttpParserError, HttpParserInvalidMethodError,
                       HttpParserInvalidURLError, HttpParserUpgrade)

from .checks import FIELD_TOO_LONG, absolute_form, check_request, connection_tokens
from .limits import ConnectionPolicy
from .llhttp import request_parser
from .replay import MAX_KEY_BYTES, Replay, ReplayTable, shape_key
from .requestline import LineVerdict, judge, logged_line
from .request import BodyReader, ClientDisconnected, Request
from .response import (STATUS_LINES, FileBody, HttpError, Response, default_error_response,
                       drops_connection, http_date_line, status_line)
from .sendfile import SENDERS
from .ticks import LoopTick

log = logging.getLogger("apyche.http")

Handler = Callable[[Request], "Response | Awaitable[Response]"]
ErrorResponder = Callable[[int, "Request | None"], Response]
OnComplete = Callable[["Request | None", Response, int, float], None]

# Bodies up to this size (bytes or small files) go out in the same write as
# the head.
SMALL_BODY = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

# RFC 9110 token characters, for methods llhttp does not know.
_TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

# Bytes kept since the last message boundary, to locate an unknown method.
REPLAY_MAX = 64 * 1024
# How far past LimitRequestLine an unfinished request line (no LF yet) may
# grow before it is 414: Apache reads a line in buffers and checks the
# limit per buffer, so it waits for a line end well past the limit
# (Apache 2.4.71, default limit: silent until EOF at 24,151 bytes, 414 at
# 24,199).  A finished line is held to the limit itself.
UNFINISHED_LINE_SLACK = 16_000
# obs-fold in a header block, and llhttp's refusal of it.
_OBS_FOLD = re.compile(rb"\r\n[ \t]")
_BLANK_FOLD = re.compile(rb"\r\n[ \t]+\r\n")    # Apache: 400
_FOLD_ERRORS = ("Unexpected whitespace after header value", "Invalid header value char")
# Blank lines read_request_line skips before a request line
# (DEFAULT_LIMIT_BLANK_LINES in httpd.h); one more is a 400.
LIMIT_BLANK_LINES = 10
# A request-target Apache takes whole (visible ASCII and octets >= 0x80)
# that llhttp refused.
_RAW_TARGET_OK = re.compile(rb"[\x21-\x7e\x80-\xff]+")
# Targets Apache does not refuse as soon as it has the line: a path, or
# an http(s) absolute form (the scheme in any case).
_TARGET_FORMS = (b"/", b"http:", b"https:")
# A refused line's protocol, and the fields before a faulty one (as
# Apache's reader took them, for the log).
_PROTOCOL = re.compile(rb"HTTP/([0-9]\.[0-9])\r?\Z")
_FIELD_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*\r?\Z")


def _fields_before_fault(message: bytes) -> list[tuple[bytes, bytes]]:
    """The header fields of *message* (a head llhttp refused) up to the
    first line that is not a plain "name: value" one."""
    fields = []
    for line in message.split(b"\n")[1:]:
        m = _FIELD_LINE.match(line)
        if m is None:
            break
        fields.append((m.group(1), m.group(2)))
    return fields


def _uvloop_types() -> frozenset:
    try:
        import uvloop
    except ImportError:
        return frozenset()
    return frozenset((uvloop.Loop,))


# Loops whose TCP transports already have TCP_NODELAY set.
_NODELAY_LOOPS = _uvloop_types()


class _Stop(Exception):
    """Raised from a parser callback after an error cycle was queued."""


class ServerState:
    """What all connections of one server share."""

    __slots__ = ("connections", "shutting_down", "tasks", "replays", "heads", "tick")

    def __init__(self, tick: LoopTick | None = None) -> None:
        self.connections: set[HttpProtocol] = set()
        self.shutting_down = False
        self.tasks: set[asyncio.Task] = set()
        self.replays: dict[object, ReplayTable] = {}
        # id(header tuple) -> (the tuple, its rendered parts)
        self.heads: dict[int, tuple] = {}
        # the loop's validation clock (serve() passes the loop's)
        self.tick = tick or LoopTick()

    def remember_head(self, headers: tuple, parts: tuple) -> tuple:
        if len(self.heads) > 4096:
            self.heads.clear()
        entry = self.heads[id(headers)] = (headers, parts)
        return entry

    def replays_for(self, address) -> ReplayTable:
        """The replay table of one listening address (the same bytes may
        mean another virtual host on another address)."""
        table = self.replays.get(address)
        if table is None:
            table = self.replays[address] = ReplayTable()
        return table


class _Cycle:
    """One request/response exchange.  No __slots__ on purpose: the class
    attributes are the defaults, so creating a cycle stores three fields."""

    body: BodyReader | None = None
    t0 = 0.0
    close = False          # decided by _keep_alive for this response
    force_close = False    # CL+TE, truncated file, ...
    continue_sent = False
    completed = False
    response: Response | None = None
    conn_tokens: frozenset | set = frozenset()
    raw: bytes | None = None   # the whole read, when it held just this request
    # its error is answered once its body is read and thrown away, as
    # ap_die discards it first; a fault in the body, or its end, is a 400
    after_body = False
    # bytes written besides the body (mod_logio's %O): the head, a 100
    # Continue, chunk framing
    framing_out = 0
    chunk_at = 0           # body bytes received when the current chunk began

    def __init__(self, request: Request | None, error: HttpError | None = None) -> None:
        self.request = request
        self.error = error
        self.head_only = request is not None and request.method == "HEAD"


_SPECIAL_OUT = frozenset(("content-type", "content-length", "date", "server", "connection",
                          "keep-alive", "transfer-encoding", "content-encoding",
                          "content-language"))
_METHODS = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE",
                                   "CONNECT", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
                                   "UNLOCK")}


_POLICY_VALUES: dict[int, tuple] = {}


def _policy_values(p: ConnectionPolicy) -> tuple:
    """What a connection derives from its policy, once per policy."""
    key = id(p)
    found = _POLICY_VALUES.get(key)
    if found is None or found[0] is not p:
        values = (*p.head_limits, p.max_pipelined, p.keep_alive_timeout,
                  p.persistent, p.max_keep_alive_requests,
                  f"Server: {p.server_header}\r\n" if p.server_header else "")
        if len(_POLICY_VALUES) > 64:
            _POLICY_VALUES.clear()
        found = _POLICY_VALUES[key] = (p, values)
    return found[1]


def _header_parts(headers) -> tuple:
    """A handler's header list as _send needs it: the lines sent where the
    handler put them, the lines Apache sends after Content-Type
    (Content-Encoding, Content-Language), Content-Type and Content-Length
    values, whether Date and Server are still ours to add, whether the
    handler asked to close, and whether no name or value holds CR or LF."""
    date_line = server_line = True
    content_type = handler_cl = None
    wants_close = False
    hl = []
    after_type = []
    for name, value in headers:
        ln = name.lower()
        if ln in _SPECIAL_OUT:
            if ln == "content-type":
                content_type = value   # sent last, as Apache does
                continue
            if ln == "content-length":
                handler_cl = value
                continue
            if ln == "content-encoding" or ln == "content-language":
                after_type.append(f"{name}: {value}\r\n")
                continue
            if ln == "date":
                date_line = False
            elif ln == "server":
                server_line = False
            else:   # connection, keep-alive, transfer-encoding: ours
                if ln == "connection" and "close" in connection_tokens(value):
                    wants_close = True
                continue
        hl.append(f"{name}: {value}\r\n")
    handler_part = "".join(hl)
    after_part = "".join(after_type)
    safe = not (handler_part.count("\n") != len(hl) or handler_part.count("\r") != len(hl)
                or after_part.count("\n") != len(after_type)
                or after_part.count("\r") != len(after_type)
                or (content_type is not None and ("\n" in content_type or "\r" in content_type)))
    return (handler_part, after_part, content_type, handler_cl, date_line, server_line,
            wants_close, safe)


def _header_fault_due(message: bytes, strict: bool, max_line: int) -> bool:
    """Has Apache read far enough into *message* (a head llhttp refused
    after its request line) to refuse it?  It takes a header line only
    with the next one (which may continue it), so a bad field is refused
    once a whole line follows it - or at once when its line reader refuses
    the line itself: a bare LF under Strict, a NUL (APR_EINVAL), or more
    than *max_line* bytes (APR_ENOSPC).  Found by parsing line by line: an
    error path only."""
    parser = request_parser(_NO_CALLBACKS)
    start = 0
    while True:
        nl = message.find(b"\n", start)
        if nl < 0:
            return False          # the fault is in a line not yet whole
        try:
            parser.feed_data(message[start:nl + 1])
        except HttpParserError as exc:
            line = message[start:nl]
            if start == 0 or (strict and line[-1:] != b"\r") or b"\0" in line \
                    or _line_length(line) > max_line:
                return True       # the request line, or a line refused whole
            if str(exc) in _FRAMING_ERRORS:
                # a framing field's value: Apache judges it with the head
                return _blank_line_after(message, nl)
            return message.find(b"\n", nl + 1) >= 0
        start = nl + 1


def _line_refused_whole(message: bytes, start: int, strict: bool, max_line: int) -> bool:
    """Does a whole header line of *message* from *start* on hold what
    Apache's line reader refuses as it reads it - a bare LF under Strict,
    a NUL, more than *max_line* bytes - whatever lines follow it (a fold
    among them)?"""
    while True:
        nl = message.find(b"\n", start)
        if nl < 0:
            return False
        line = message[start:nl]
        if (strict and line[-1:] != b"\r") or b"\0" in line or _line_length(line) > max_line:
            return True
        start = nl + 1


_NO_CALLBACKS = object()
# llhttp's refusals of a Content-Length value, which Apache checks only
# once it has the whole head (ap_read_request), not as it reads the line
_FRAMING_ERRORS = frozenset(("Content-Length overflow", "Invalid character in Content-Length",
                             "Duplicate Content-Length"))


def _blank_line_after(message: bytes, nl: int) -> bool:
    """Whether the head in *message* ends after the line ending at *nl*."""
    return message.find(b"\n\r\n", nl) >= 0 or message.find(b"\n\n", nl) >= 0


def _line_length(line: bytes) -> int:
    """A line's length as Apache's line reader counts it: without its CR."""
    return len(line) - line.endswith(b"\r")


def _replacing(error: HttpError, first: HttpError) -> HttpError:
    """*error*, found in a body read while *first* was being answered (ap_die
    discards it then): Apache answers *error* with a page that names
    *first*, and counts both pages as sent."""
    return HttpError(error.status, error.note, shown=error.shown, replaced=first.status)


def _split_pipelined(queue, data: bytes) -> None:
    """Give each of the requests one read held its own bytes (``raw``, the
    replay key), when that is sure: none has a body and the read is their
    heads back to back, each ending at its first blank line."""
    for cycle in queue:
        if cycle.error is not None or cycle.request.has_body:
            return
    heads = data.split(b"\r\n\r\n")
    if len(heads) != len(queue) + 1 or heads[-1]:
        return
    for cycle, head in zip(queue, heads):
        cycle.raw = head + b"\r\n\r\n"


def _keep_alive_lines(timeout: float, max_requests: int, left) -> str:
    """ap_set_keepalive's answer to a client that asked with the keep-alive
    token, on a connection it keeps: the timeout and, with
    MaxKeepAliveRequests, how many requests are left."""
    if max_requests:
        return (f"Keep-Alive: timeout={int(timeout)}, max={left}\r\n"
                "Connection: Keep-Alive\r\n")
    return f"Keep-Alive: timeout={int(timeout)}\r\nConnection: Keep-Alive\r\n"


class HttpProtocol(asyncio.Protocol):
    # The class attributes below are the defaults of the per-connection
    # state (as in _Cycle): a new connection stores only what differs,
    # which keeps its instance dict small (measured: building a protocol
    # was 5% of a one-request connection's cost with 50 fields set here).
    transport: asyncio.Transport | None = None
    client = None
    server = None
    _sb = None
    _parser = None
    _active: _Cycle | None = None
    _dispatching = False
    _keepalives = 0           # r->connection->keepalives
    _served = 0
    _closing = False          # no more parsing; lingering or closed
    _parse_stopped = False    # an error (or close) ended parsing
    _lost = False
    _paused_reading = False
    _paused_writing = False
    _write_mark = 0
    _stash = b""
    _two_spaces = False       # a read since the last boundary held "  "
    _blank_lines_read = 0     # before the request line now awaited
    _completed_msgs = 0
    _eof = False
    _replays: ReplayTable | None = None
    _first = b""              # bytes read at accept time (http/accept.py)

    # per-message parse state
    _in_head = False
    _url: bytes = b""
    _url_last = b""
    _head_bytes = 0
    _began_in_feed = False
    _line_done = False
    _method_override: str | None = None
    _target_override: bytes | None = None
    _replay: list[bytes] | None = None
    _replay_base = 0
    _replay_size = 0
    _feed_data = b""          # the read being fed, and whether it began
    _feed_idle = False        # at a message boundary (for _line_verdict)
    _cur: _Cycle | None = None   # cycle whose body is being received

    # timers
    _timer: asyncio.TimerHandle | None = None
    _timer_when = 0.0
    _deadline = 0.0
    _timer_kind: str | None = None
    _ka_overridden = False    # the keep-alive values are an answer's server's
    _linger_until = 0.0

    def __init__(self, handler: Handler, policy: ConnectionPolicy | None = None, *,
                 loop: asyncio.AbstractEventLoop | None = None,
                 error_response: ErrorResponder | None = None,
                 on_complete: OnComplete | None = None,
                 state: ServerState | None = None,
                 slot=None, first: bytes = b"") -> None:
        self.handler = handler
        if first:
            self._first = first
        # Scoreboard hook (apyche.process.scoreboard.ConnSlot), opened by
        # the listener at accept: told reading/writing/done/keepalive/
        # closing/close; None costs one "is not None" test per point.
        if slot is not None:
            self._sb = slot
        self.policy = p = policy or ConnectionPolicy()
        self.loop = loop or asyncio.get_event_loop()
        self.error_response = error_response or default_error_response
        self.on_complete = on_complete
        self.state = state = state or ServerState()
        self._tick_io = state.tick.io
        (self._limit_line, self._limit_field, self._limit_fields, self._max_pipelined,
         self._idle_timeout, self._ka_enabled, self._max_keepalives,
         self._server_line) = _policy_values(p)
        self._queue: deque[_Cycle] = deque()
        self._drain_waiters: list[asyncio.Future] = []
        self._headers: list[tuple[bytes, bytes]] = []

    # ------------------------------------------------------------------
    # asyncio.Protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.transport = transport
        self.client = transport.get_extra_info("peername")
        self.server = transport.get_extra_info("sockname")
        if type(self.loop) not in _NODELAY_LOOPS:
            # Small responses must leave at once, not wait for Nagle.
            # uvloop sets TCP_NODELAY on every TCP transport itself (and
            # asking for the socket object costs two getsockname calls per
            # connection); asyncio's loop only does for sockets made with
            # proto=IPPROTO_TCP.
            sock = transport.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except (OSError, AttributeError):
                    pass
        high = self.policy.write_buffer_high
        transport.set_write_buffer_limits(high=high, low=high // 4)
        self.state.connections.add(self)
        self._replays = self.state.replays_for(self.server)
        self._arm("idle", self.policy.timeout)
        if self._first:
            first, self._first = self._first, b""
            self._received(first)   # read at accept, before any check of this tick

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._closing = True
        self._parse_stopped = True
        self.state.connections.discard(self)
        if self._sb is not None:   # scoreboard hook: connection closed
            self._sb.close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for fut in self._drain_waiters:
            if not fut.done():
                fut.set_exception(ConnectionResetError("connection lost"))
        self._drain_waiters.clear()
        for cycle in self._queue:
            if cycle.body is not None:
                cycle.body.fail(ClientDisconnected("client disconnected"))
        # Cycles never started are dropped (rule 1); the active one finishes
        # through its own path when its handler/writer notices.
        active = self._active
        self._queue.clear()
        if active is not None:
            self._queue.append(active)
        self._parser = None

    def eof_received(self) -> bool | None:
        self._eof = True
        if self._closing:
            return False  # lingering close done: let the transport close
        if self._in_head and self._line_done and not self._parse_stopped:
            # EOF inside a header block: Apache cannot read the next header
            # line and answers 400 (inside the request line it closes
            # silently)
            self._protocol_error(HttpError(400, "client closed inside the request header block"))
            if self._active is None:
                self._run_queue()
            return True
        if self._active is None and not self._queue:
            return False
        # Half-close while a response is pending: finish it, then close.  A
        # body still expected will never come.
        cur = self._cur
        if cur is not None and cur.body is not None and not cur.body.complete:
            cur.body.fail(ClientDisconnected("client closed before sending the whole body"))
            if cur.after_body:
                cur.error = _replacing(HttpError(400, "client closed before sending the "
                                                      "whole body"), cur.error)
        self._cur = None
        self._parse_stopped = True
        self._closing_after_queue()
        if self._queue and self._active is None:
            self._run_queue()
        return True

    def pause_writing(self) -> None:
        self._paused_writing = True
        self._write_mark = self.transport.get_write_buffer_size()
        self._refresh_timer()

    def resume_writing(self) -> None:
        self._paused_writing = False
        waiters = self._drain_waiters
        self._drain_waiters = []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
        if self._queue and self._active is None and not self._dispatching and not self._lost:
            self._run_queue()   # pipelined requests held back while writing was paused
        self._refresh_timer()

    async def wait_drained(self) -> None:
        if self._lost:
            raise ConnectionResetError("connection lost")
        if not self._paused_writing:
            return
        fut = self.loop.create_future()
        self._drain_waiters.append(fut)
        await fut

    # ------------------------------------------------------------------
    # Reading

    def _new_parser(self) -> None:
        self._parser = request_parser(self)

    def data_received(self, data: bytes) -> None:
        # a read from the socket: checks of stored answers made before the
        # loop polled do not vouch for it (apyche/http/ticks.py)
        self._tick_io()
        self._received(data)

    def _received(self, data: bytes) -> None:
        # a stored request? (only reads that begin a request, and only small
        # ones whole: hashing every chunk of an upload would cost more than
        # it finds)
        after_request = False   # data follows a request in the same read
        if self._replays and self._cur is None and not self._in_head and not self._stash:
            if len(data) <= MAX_KEY_BYTES:
                key, replay = self._replays.lookup(data, self._limit_line, self._limit_field,
                                                   self._limit_fields)
                if replay is not None and self._answer_again(replay, key, size=len(data)):
                    return
            end = data.find(b"\r\n\r\n")
            if 0 <= end < len(data) - 4:
                # pipelined: stored requests at the start are answered here
                rest = self._answer_pipelined(data, end)
                if not rest:
                    return
                after_request = len(rest) < len(data)
                data = rest
        if self._parse_stopped:
            if self._closing and self._timer_kind == "linger":
                self._linger_read()
            return  # discarded: lingering close, or parsing has ended
        # a read that may hold exactly one whole request: a replay key
        whole = not self._stash and not self._in_head and self._cur is None and not self._queue
        if self._stash:
            data = self._stash + data
            self._stash = b""
            self._in_head = False  # the stash is replayed into a fresh parser
        self._began_in_feed = False
        done_before = self._completed_msgs
        at_boundary = not self._in_head and self._cur is None
        if at_boundary and data and (data[0] == 13 or data[0] == 10 or self._blank_lines_read) \
                and not after_request:
            data = self._blank_lines(data)
        self._feed(data)
        if whole and not self._in_head and self._cur is None:
            parsed = self._completed_msgs - done_before
            if parsed == 1 and len(self._queue) == 1:
                self._queue[0].raw = data
            elif parsed > 1 and len(self._queue) == parsed:
                _split_pipelined(self._queue, data)
        if self._in_head:
            self._after_partial_head(data, at_boundary and self._completed_msgs == done_before)
        queue = self._queue
        if queue and self._active is None:
            self._run_queue(True)
        if not self._closing:
            if self._paused_reading or len(queue) > self._max_pipelined or self._cur is not None:
                self._flow_control_reading()
            if (self._active is None and not queue and not self._in_head and self._cur is None
                    and not self._paused_writing and not self._stash):
                # the common case, _refresh_timer's first branch inlined:
                # wait for the next request
                deadline = self.loop.time() + (self._idle_timeout if self._served else self.policy.timeout)
                self._timer_kind = "idle"
                self._deadline = deadline
                if self._timer is None or self._timer_when > deadline:
                    self._arm("idle", deadline - self.loop.time())
            else:
                self._refresh_timer()

    def _blank_lines(self, data: bytes) -> bytes:
        """A read that starts where a request line is awaited: the blank
        lines before it, as Apache's read_request_line takes them - at most
        LIMIT_BLANK_LINES (counted across reads), each a CRLF (a bare LF
        only without Strict); a bare LF under Strict, a CR before anything
        but LF or one blank line too many is a 400.  Returns what follows
        them.  (Blank lines that arrive in the same read as the request
        before them are ap_check_pipeline's, which is lenient: llhttp skips
        those.)"""
        count = self._blank_lines_read
        i, n = 0, len(data)
        if data[0] == 10 and self._feed_data[-1:] == b"\r":
            i = 1   # the LF of a blank line pipelined after the last request
        while i < n:
            c = data[i]
            if c == 13:
                if i + 1 == n:
                    # the LF is still to come: keep the CR for the next read
                    self._blank_lines_read = count
                    self._stash = b"\r"
                    return b""
                if data[i + 1] != 10:
                    # a line that is not blank, judged once its LF is there
                    self._blank_lines_read = count
                    eol = data.find(b"\n", i)
                    if eol < 0:
                        self._wait_for_more(data[i:])
                    else:
                        line = data[i:eol]
                        self._blank_line_error(
                            logged_line(line[:-1] if line.endswith(b"\r") else line,
                                        strict=self.policy.strict),
                            "CR not followed by LF before the request line", eol + 1)
                    return b""
                i += 2
            elif c == 10:
                if self.policy.strict:
                    self._blank_line_error(b"\n", "bare LF before the request line", i + 1)
                    return b""
                i += 1
            else:
                self._blank_lines_read = 0   # the request line begins
                return data[i:]
            count += 1
            if count > LIMIT_BLANK_LINES:
                self._blank_line_error(b"", "too many blank lines before the request line", i)
                return b""
        self._blank_lines_read = count
        return b""

    def _blank_line_error(self, line: bytes, why: str, read: int) -> None:
        """Apache's 400 for the blank lines before a request line; it logs
        the line it refused (a bare LF, or a line rebuilt from what follows
        a lone CR), else an empty one; *read* bytes of this read were
        taken (%I)."""
        request = Request("", "", "", None, "1.0", [], self.client, self.server)
        request.start_time = time.time()
        request.head_in = read
        request.the_request = line.decode("latin-1")
        self._queue.append(_Cycle(request, HttpError(400, why)))
        self._stop_parsing()

    def _feed(self, data: bytes) -> None:
        parser = self._parser
        if parser is None:
            if self._parse_stopped:
                return
            # made on the first read that is not a replay (http/replay.py)
            self._new_parser()
            parser = self._parser
        idle_at_start = not self._in_head and self._cur is None
        if idle_at_start:
            # a message boundary: the replay window (see _unknown_method)
            # restarts here
            self._replay_base = self._completed_msgs
        error = upgrade_at = None
        self._feed_data = data
        self._feed_idle = idle_at_start
        if b"  " in data:
            # llhttp takes a run of spaces between the words of a request
            # line; Apache under Strict does not: judge such lines whole
            # (on_headers_complete).  Rare outside header values.
            self._two_spaces = True
        try:
            parser.feed_data(data)
        except HttpParserUpgrade as exc:
            upgrade_at = exc.args[0] if exc.args else len(data)
        except HttpParserError as exc:
            error = exc
        if upgrade_at is not None:
            # Upgrade/CONNECT: we never switch protocols (no mod_http2, no
            # tunnel), so whatever follows is parsed as HTTP/1.x again.
            self._new_parser()
            if upgrade_at < len(data):
                self._feed(data[upgrade_at:])
            return
        if error is not None:
            # Out of the except clause: a parse fed again from here
            # (_unknown_method, _raw_target) that fails in a callback must
            # keep the callback's exception as its context, where httptools
            # puts it; raised inside the clause, Python would replace it
            # with this error.
            self._feed_error(error, data, idle_at_start)
            return
        if not self._in_head:
            self._two_spaces = False
        if self._in_head or self._cur is not None:
            # The read ended inside a message: remember the bytes since the
            # last boundary (bounded), so an unknown method can be located.
            if idle_at_start:
                self._replay_size = len(data)
                self._replay = [data] if len(data) <= REPLAY_MAX else None
            elif self._replay is not None:
                self._replay.append(data)
                self._replay_size += len(data)
                if self._replay_size > REPLAY_MAX:
                    self._replay = None

    def _feed_error(self, exc: HttpParserError, data: bytes, idle_at_start: bool) -> None:
        if isinstance(exc, HttpParserInvalidMethodError):
            self._unknown_method(data, idle_at_start)
        elif isinstance(exc, HttpParserInvalidURLError) and self._target_override is None:
            self._raw_target(data, idle_at_start)
        elif self._cur is None and str(exc) in _FOLD_ERRORS:
            self._obs_fold(data, idle_at_start, str(exc))
        elif isinstance(exc, HttpParserCallbackError):
            ctx = exc.__context__
            if isinstance(ctx, _Stop):
                self._stop_parsing()
            elif isinstance(ctx, HttpError):
                self._protocol_error(ctx)
            else:
                log.error("parser callback failed", exc_info=ctx)
                self._protocol_error(HttpError(500))
        elif self._cur is not None:
            # in a body: a chunk size beyond an off_t is Apache's APR_ENOSPC,
            # which ap_map_http_request_error makes a 413
            why = str(exc)
            self._protocol_error(HttpError(413 if why == "Chunk size overflow" else 400, why))
        else:
            rest = self._failing_message(data, idle_at_start)
            if rest is None:
                self._protocol_error(HttpError(400, str(exc)))
                return
            self._rejected_line(rest, str(exc))

    def _rejected_line(self, rest: bytes, why: str) -> None:
        """llhttp refused the message that starts *rest*.  Apache judges a
        request line only once it has all of it: wait for the line end
        (EOF first: silence), then 414 for a line over LimitRequestLine,
        a simple request if that is what Apache sees, else 400 - with
        Apache's reason when the line itself is at fault, llhttp's when
        the fault is further on (the header block)."""
        eol = rest.find(b"\n")
        if eol < 0:
            self._restart_parser()   # the line is fed again when it is whole
            self._wait_for_more(rest)
            return
        line = rest[:eol]
        if self._line_too_long(line):
            self._protocol_error(HttpError(414))
            return
        verdict = judge(line, strict=self.policy.strict)
        if verdict.simple and verdict.status is None:
            self._simple_request(verdict)
        elif verdict.status is None and not _header_fault_due(
                rest, self.policy.strict, self.policy.max_field_line):
            self._wait_for_head(rest)
        else:
            self._protocol_error(HttpError(400, verdict.reason or why))

    def _line_too_long(self, line: bytes) -> bool:
        """LimitRequestLine: Apache's line buffer holds the limit plus the
        CRLF, and a line whose LF alone overflows it still fits."""
        return _line_length(line) > self._limit_line + 1

    def _simple_request(self, verdict: LineVerdict) -> None:
        """An HTTP/0.9 simple request (a line without a protocol): Apache
        reads no header block after it, so it is answered now, and nothing
        after it is parsed (the connection closes after the body)."""
        method = self._method_override or verdict.method
        target_bytes = self._target_override
        target = target_bytes.decode("latin-1") if target_bytes is not None else verdict.target
        self._method_override = self._target_override = None
        path, qmark, query = target.partition("?")
        request = Request(method, target, path, query if qmark else None, "0.9", [],
                          self.client, self.server)
        request.start_time = time.time()
        cycle = _Cycle(request)
        cycle.error = check_request(request, cycle, "0.9", self.policy, self._limit_fields)
        self._queue.append(cycle)
        self._stop_parsing()

    def _line_verdict(self) -> LineVerdict:
        """The line of the head llhttp just finished, judged as Apache
        judges it: one llhttp took as HTTP/0.9 (no protocol, or "HTTP/0.9"
        spelt out, which Apache refuses), or one with a run of spaces."""
        rest = self._failing_message(self._feed_data, self._feed_idle)
        if rest is None:
            return LineVerdict(None, simple=True)
        eol = rest.find(b"\n")
        return judge(rest[:eol] if eol >= 0 else rest, strict=self.policy.strict)

    def _failing_message(self, data: bytes, idle_at_start: bool) -> bytes | None:
        """The bytes of the message llhttp is on (the one it just rejected,
        or whose head it is in), from its first byte (leading blank lines
        dropped) to the end of ``data``.

        httptools reports no offsets, so we replay: the bytes since the last
        message boundary at a read boundary (``_replay``) plus this read are
        re-parsed by a scratch parser to find where the last complete message
        ends (``_end_of_messages``).  Only error paths pay for this.  None when
        the history is too long to replay (more than REPLAY_MAX bytes since
        the last boundary, e.g. a big body right before).
        """
        if idle_at_start:
            buf = data
        elif self._replay is not None:
            buf = b"".join(self._replay) + data
        else:
            return None
        return self._message_in(buf)

    def _message_in(self, buf: bytes) -> bytes | None:
        """The current message's bytes in *buf*, the bytes since the last
        message boundary at a read boundary (see _failing_message)."""
        completed = self._completed_msgs - self._replay_base
        start = 0 if completed == 0 else _end_of_messages(buf, completed)
        if start is None:
            return None
        return buf[start:].lstrip(b"\r\n")

    def _restart_parser(self) -> None:
        self._new_parser()
        self._reset_head()
        self._in_head = False
        self._replay = None

    def _wait_for_more(self, rest: bytes) -> None:
        """Keep an incomplete request line and replay it with the next read."""
        if len(rest) > self._limit_line + UNFINISHED_LINE_SLACK:
            self._protocol_error(HttpError(414))
            return
        self._stash = rest
        self._in_head = bool(rest)

    def _unknown_method(self, data: bytes, idle_at_start: bool) -> None:
        """llhttp only knows a fixed list of methods; Apache takes any token
        (HttpProtocolOptions LenientMethods, the default).

        Find where the offending message starts, swap its method for one
        llhttp knows (body framing never depends on the method of a
        request), remember the real one and parse on with a fresh parser.
        """
        rest = self._failing_message(data, idle_at_start)
        if rest is None:
            self._protocol_error(HttpError(501, "unknown method"))
            return
        sp = rest.find(b" ")
        self._restart_parser()
        token = rest[:sp] if sp >= 0 else b""
        if not token or len(token) > self._limit_line or not all(c in _TCHAR for c in token):
            # not a method llhttp can be told about: Apache's verdict on
            # the whole line, once it is there
            self._rejected_line(rest, "invalid method token")
            return
        self._method_override = token.decode("ascii")
        self._feed(b"GET" + rest[sp:])

    def _wait_for_head(self, rest: bytes) -> None:
        """Keep a head whose request line is whole, to parse it again with
        the next read (EOF first: 400, as inside any header block) - as
        long as it stays within what a head may take."""
        if len(rest) > self.policy.max_head_bytes:
            self._protocol_error(HttpError(400, FIELD_TOO_LONG, shown=True))
            return
        self._restart_parser()
        self._stash = rest
        self._in_head = self._line_done = True

    def _obs_fold(self, data: bytes, idle_at_start: bool, why: str) -> None:
        """llhttp refuses obs-fold (a header line continued on the next
        line, which starts with SP or HT); Apache appends the continuation
        to the field before, its first blank made a space.  Once the
        message's header block is whole, it is parsed again that way.
        Without a fold, *why* is llhttp's reason for refusing a field (a
        control octet in its value) and the head is judged as any other."""
        rest = self._failing_message(data, idle_at_start)
        if rest is None:
            self._protocol_error(HttpError(400, why))
            return
        eol = rest.find(b"\n")
        end = rest.find(b"\r\n\r\n")
        # a fold of this head's (one in a message pipelined after it is
        # that message's business)
        if eol < 0 or _OBS_FOLD.search(rest, eol - 1, len(rest) if end < 0 else end + 2) is None:
            self._rejected_line(rest, why)    # no fold: a bad field
            return
        line = rest[:eol]
        verdict = judge(line, strict=self.policy.strict)
        if verdict.simple or verdict.status is not None or self._line_too_long(line):
            # Apache judges the request line before it reads a header: a
            # simple request is answered, a bad line refused, folds or not
            self._rejected_line(rest, why)
            return
        line_end = eol + 1
        if end < 0:
            if _line_refused_whole(rest, line_end, self.policy.strict,
                                   self.policy.max_field_line):
                self._protocol_error(HttpError(400, why))
                return
            self._wait_for_head(rest)
            return
        fields = rest[line_end:end + 2]
        if fields[:1] in (b" ", b"\t"):
            self._protocol_error(HttpError(400, "Line folding encountered before first "
                                                "header line"))
            return
        if _BLANK_FOLD.search(fields):
            self._protocol_error(HttpError(400, "a folded header line holds only whitespace"))
            return
        self._restart_parser()
        self._feed(rest[:line_end] + _OBS_FOLD.sub(b" ", fields) + rest[end + 2:])

    def _raw_target(self, data: bytes, idle_at_start: bool) -> None:
        """llhttp refuses targets Apache 2.4 takes: octets >= 0x80 (a raw
        UTF-8 path reaches the handler and usually ends in 404), and an
        absolute form without an authority ("http:/x", "http:?q").  Give
        llhttp a stand-in target ("/": nothing in a message's framing
        depends on it), and the handler the target exactly as sent."""
        rest = self._failing_message(data, idle_at_start)
        if rest is None:
            self._protocol_error(HttpError(400, "invalid character in the request-target"))
            return
        eol = rest.find(b"\n")
        self._restart_parser()
        if eol < 0:
            self._wait_for_more(rest)
            return
        line = rest[:eol].rstrip(b"\r")
        method, sp, tail = line.partition(b" ")
        target, sp2, version = tail.rpartition(b" ")
        if (not sp or not sp2 or not _RAW_TARGET_OK.fullmatch(target)
                or not target[:6].lower().startswith(_TARGET_FORMS)):
            # not a target llhttp can be told about (a line without a
            # protocol, one Apache refuses at once: not a path, not
            # http(s):): Apache's verdict on the line
            self._rejected_line(rest, "invalid character in the request-target")
            return
        self._target_override = target
        self._feed(method + b" / " + version + rest[len(line):])

    def _after_partial_head(self, data: bytes, head_only: bool) -> None:
        """Bound a header block that never ends and track whether the request
        line is complete (for the 408-or-silence timeout decision).
        ``head_only``: the read began at a message boundary and completed no
        message, so all of it is this head (a client that sends an endless
        head in one write gets its 400 at once, as from Apache).  A head
        that began after other messages in the same read counts from the
        next read on (httptools gives no offsets to count it exactly)."""
        if not self._began_in_feed:
            self._head_bytes += len(data)
        elif head_only:
            self._head_bytes = len(data)
        if not self._line_done and self._url_last and self._line_ended(data):
            self._line_done = True
            if self._line_finished():
                return
        if self._head_bytes > self.policy.max_head_bytes:
            line_done = self._line_done
            self._protocol_error(HttpError(400 if line_done else 414, FIELD_TOO_LONG,
                                           shown=line_done))
        elif (self._line_done and data[-1:] == b"\n"
              and self._head_bytes > self._limit_field and self._last_field_too_long()):
            # a field line over the limit is refused once it is read, though
            # llhttp hands it over only when the next line begins
            self._protocol_error(HttpError(400, FIELD_TOO_LONG, shown=True))

    def _current_head(self) -> bytes | None:
        """The bytes of the head being read, when they are at hand (see
        _failing_message)."""
        return self._message_in(b"".join(self._replay)) if self._replay is not None else None

    def _line_ended(self, data: bytes) -> bool:
        """Has the request line of the head being read ended, now that
        *data* is read?  Its message's bytes hold an LF.  (Without them at
        hand: an LF after the last of the target llhttp handed over.)"""
        if b"\n" not in data:
            return False
        head = self._current_head()
        if head is not None:
            return b"\n" in head
        return data.rfind(b"\n") > data.rfind(self._url_last)

    def _last_field_too_long(self) -> bool:
        """Is the last line of the partial head just read a header line
        longer than Apache's line reader takes?  (False when the head's
        bytes are not at hand: on_header judges the field once the next
        line begins.)"""
        head = self._current_head()
        if not head:
            return False
        start = head.rfind(b"\n", 0, len(head) - 1) + 1
        if start == 0:
            return False                    # the request line (LimitRequestLine's)
        return _line_length(head[start:-1]) > self.policy.max_field_line

    def _line_finished(self) -> bool:
        """The request line of the head being read has ended (the rest of
        the head has not): judge it now, as Apache does before it reads any
        header - a line over LimitRequestLine is 414, a line without a
        protocol is a simple request, answered without waiting for a blank
        line llhttp would want, a line llhttp took but Apache does not (a
        run of spaces under Strict, "HTTP/0.9" spelt out) is 400, and "*"
        is only OPTIONS's.  True when that ended the parse."""
        rest = self._current_head()
        eol = rest.find(b"\n") if rest is not None else -1
        if eol < 0:
            return False
        line = rest[:eol]
        if self._line_too_long(line):
            self._protocol_error(HttpError(414))
            return True
        verdict = judge(line, strict=self.policy.strict)
        if not verdict.simple:
            if verdict.status is not None:
                self._protocol_error(HttpError(verdict.status, verdict.reason))
                return True
            if verdict.target == "*" and verdict.method != "OPTIONS":
                # ap_read_request refuses "*" for any other method before
                # it reads a header
                self._protocol_error(HttpError(400, "Invalid request-target"))
                return True
            return False
        if verdict.status is None:
            self._simple_request(verdict)
        else:
            self._protocol_error(HttpError(verdict.status, verdict.reason))
        return True

    # llhttp callbacks ---------------------------------------------------

    def on_message_begin(self) -> None:
        # Per-message fields were reset when the previous head completed
        # (_reset_head), keeping this hot callback to two stores.
        self._in_head = True
        self._began_in_feed = True
        if self._sb is not None:   # scoreboard hook: reading a request
            self._sb.reading()

    def _reset_head(self) -> None:
        self._url = b""
        self._url_last = b""
        self._headers = []
        self._head_bytes = 0
        self._line_done = False

    def on_url(self, url: bytes) -> None:
        if self._url:
            self._url += url
        else:
            self._url = url
        if url:   # llhttp may report an empty span at the start of a read
            self._url_last = url
        if len(self._url) > self._limit_line + UNFINISHED_LINE_SLACK:
            raise HttpError(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        # A field over LimitRequestFieldSize is refused here: Apache's line
        # reader refuses it once its line is read, before any later line
        # arrives (the field count waits for checks.check_request).
        if (len(name) + len(value) > self._limit_field and self._method_registered()
                and self._parser.get_http_version() != "0.9"):
            # (a line without a protocol is a simple request: Apache reads
            # no header after it, and the line's verdict comes first)
            raise HttpError(400, FIELD_TOO_LONG, shown=True)
        self._headers.append((name, value))

    def _method_registered(self) -> bool:
        """Whether the head's method passes RegisteredMethods (Apache's 501
        for one that does not comes before it reads any header; here
        check_request gives it once the head is whole)."""
        known = self.policy.registered_methods
        if known is None:
            return True
        method = self._method_override
        if method is None:
            m = self._parser.get_method()
            method = _METHODS.get(m) or m.decode("ascii")
        return method in known

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._line_done = True
        parser = self._parser
        method = self._method_override
        if method is None:
            m = parser.get_method()
            method = _METHODS.get(m) or m.decode("ascii")
        else:
            self._method_override = None
        version = parser.get_http_version()
        url = self._url
        if self._target_override is not None:
            url = self._target_override   # as sent, not our stand-in
            self._target_override = None
        # the whole request line against LimitRequestLine, now that it is
        # known (see _line_too_long)
        if len(method) + 1 + len(url) + (9 if version != "0.9" else 0) > self._limit_line + 1:
            raise HttpError(414)
        target = url.decode("latin-1")
        headers = self._headers
        if self._two_spaces and version != "0.9" and self.policy.strict:
            verdict = self._line_verdict()
            if verdict.status is not None:
                raise HttpError(verdict.status, verdict.reason)
        if version == "0.9":
            verdict = self._line_verdict()
            if verdict.status is not None:
                raise HttpError(verdict.status, verdict.reason)
            headers = []   # what followed a simple request was never its header block
        # reset the per-message fields for the next head (see on_message_begin)
        self._url = self._url_last = b""
        self._headers = []
        self._head_bytes = 0
        self._line_done = False
        qpos = target.find("?")
        if qpos >= 0:
            request = Request(method, target, target[:qpos], target[qpos + 1:], version,
                              headers, self.client, self.server)
        else:
            request = Request(method, target, target, None, version, headers, self.client, self.server)
        request.start_time = time.time()
        cycle = _Cycle(request)
        error = check_request(request, cycle, version, self.policy, self._limit_fields)
        if error is not None:
            cycle.error = error
            self._queue.append(cycle)
            if error.status != 417 or not request.has_body:
                raise _Stop()
            # Of the errors a head can earn, only 417 leaves the body
            # readable: Apache discards it before it answers, then closes
            cycle.after_body = cycle.force_close = True
            cycle.body = body = BodyReader(self.loop, self.policy.timeout)
            body.drop()
            self._cur = cycle
            return
        if request.has_body and not (method == "CONNECT" and parser.should_upgrade()):
            body = BodyReader(self.loop, self.policy.timeout)
            body.on_first_read = lambda c=cycle: self._on_first_body_read(c)
            body.on_consumed = self._on_body_consumed
            request._body = body
            cycle.body = body
            self._cur = cycle
        self._queue.append(cycle)

    def on_chunk_header(self) -> None:
        cycle = self._cur
        if cycle is not None and cycle.body is not None:
            cycle.chunk_at = cycle.body.received

    def on_chunk_complete(self) -> None:
        # the framing of the chunk just read (its size line, the CRLF after
        # its data; the last chunk's "0" line and final CRLF), for %I
        cycle = self._cur
        if cycle is not None and cycle.body is not None and cycle.request is not None:
            size = cycle.body.received - cycle.chunk_at
            cycle.request.framing_in += len(b"%x" % size) + 4

    def on_body(self, data: bytes) -> None:
        cycle = self._cur
        if cycle is None or cycle.body is None:
            return
        body = cycle.body
        body.feed(data)
        limit = self.policy.limit_request_body
        if limit and body.received > limit:
            err = HttpError(413, "request body exceeds LimitRequestBody")
            body.fail(err)
            if cycle is not self._active and not cycle.completed:
                cycle.error = err
            raise _Stop()

    def on_message_complete(self) -> None:
        self._completed_msgs += 1
        self._in_head = False
        cycle = self._cur
        if cycle is not None:
            self._cur = None
            if cycle.body is not None:
                cycle.body.finish()
        elif self._queue:
            cycle = self._queue[-1]
        if cycle is not None:
            req = cycle.request
            # Requests after one that closes are never parsed (rule 2).
            if req is not None and (not req.keep_alive or cycle.force_close):
                self._parse_stopped = True
                raise _Stop()

    # errors -----------------------------------------------------------------

    def _partial_request(self, status: int) -> Request | None:
        """The request being parsed when the protocol refused it, for the
        error page and the log: what llhttp saw of it, and the line as sent
        (Apache logs r->the_request: a line its reader refused - too long,
        unfinished, or ending in a bare LF under Strict - cut to its line
        buffer; a line it parsed, rebuilt with single spaces)."""
        line = rest = None
        parsed = refused = False
        if self._method_override is None and self._target_override is None:
            rest = self._failing_message(self._feed_data, self._feed_idle)
            if rest:
                line, lf, _ = rest.partition(b"\n")
                if line.endswith(b"\r"):
                    line = line[:-1]
                    parsed = status != 414
                elif lf and self.policy.strict:
                    line += lf
                else:
                    parsed = bool(lf) and status != 414
        version = "1.0"
        headers = self._headers
        if self._url:
            try:
                method = self._method_override or self._parser.get_method().decode("ascii")
                if self._line_done:
                    version = self._parser.get_http_version()
            except Exception:
                return None
            target = self._url if self._target_override is None else self._target_override
            target = target.decode("latin-1")     # as sent, not llhttp's stand-in
        elif line:
            words = line.split(b" ")
            method = words[0].decode("latin-1")
            target = words[1].decode("latin-1") if len(words) > 1 else ""
        else:
            return None
        if line and status != 414:
            # what Apache's line parser still took (r->protocol), and the
            # fields its header reader took before the faulty line (none
            # after a line it refused)
            if not self._line_done:
                words = line.split(b" ")
                proto = _PROTOCOL.match(words[2]) if len(words) == 3 else None
                version = proto.group(1).decode("ascii") if proto else "1.0"
            first = rest.split(b"\n", 1)[0]     # as _rejected_line judges it
            if judge(first, strict=self.policy.strict).status is not None:
                headers = []
                refused = True
            elif not headers:
                headers = _fields_before_fault(rest)
        if status == 414:
            version, headers = "1.0", []    # no header is read after a refused line
            refused = True
        path, _, query = target.partition("?")
        request = Request(method, target, path, query or None, version, headers,
                          self.client, self.server)
        if refused:
            request.fields_read = False
            if rest:        # Apache read the line, all of it, and no more
                eol = rest.find(b"\n")
                request.head_in = eol + 1 if eol >= 0 else len(rest)
        elif rest:
            # the head as Apache's reader took it, faulty lines included
            end = rest.find(b"\r\n\r\n")
            request.head_in = end + 4 if end >= 0 else len(rest)
        if status != 414 and target[:5].lower() in ("http:", "https"):
            absolute_form(request)    # ap_parse_uri took its host (%V), path (%U)
        request.start_time = time.time()
        if line is not None:
            if parsed:
                line = logged_line(line, strict=self.policy.strict)
            request.the_request = line[:self._limit_line + 1].decode("latin-1")
        return request

    def _protocol_error(self, error: HttpError) -> None:
        """Queue an error response for the message being parsed; stop parsing."""
        cur = self._cur
        if cur is not None and cur.body is not None and not cur.body.complete:
            # The error is in the body of a request already queued (bad chunk).
            if cur.after_body:
                error = _replacing(error, cur.error)
            cur.body.fail(error)
            if cur is not self._active and not cur.completed:
                cur.error = error
            self._stop_parsing()
            return
        # _url is non-empty only while a head is being parsed
        self._queue.append(_Cycle(self._partial_request(error.status), error))
        self._stop_parsing()

    def _stop_parsing(self) -> None:
        self._parse_stopped = True
        self._parser = None
        self._in_head = False
        if self._cur is not None and self._cur.body is not None and not self._cur.body.complete:
            self._cur.body.fail(HttpError(400, "request body unusable"))
        self._cur = None
        self._closing_after_queue()

    def _closing_after_queue(self) -> None:
        if self._active is None and not self._queue and not self._dispatching:
            self._start_lingering_close()

    # flow control ---------------------------------------------------------

    def _flow_control_reading(self) -> None:
        transport = self.transport
        want_pause = len(self._queue) > self.policy.max_pipelined or (
            self._cur is not None and self._cur.body is not None
            and self._cur.body.buffered > self.policy.write_buffer_high)
        if want_pause and not self._paused_reading:
            self._paused_reading = True
            transport.pause_reading()
        elif not want_pause and self._paused_reading:
            self._paused_reading = False
            transport.resume_reading()

    def _on_body_consumed(self) -> None:
        if self._paused_reading and not self._closing:
            self._flow_control_reading()

    def _on_first_body_read(self, cycle: _Cycle) -> None:
        req = cycle.request
        if req is not None and req.expect_100 and not cycle.continue_sent:
            cycle.continue_sent = True
            req.expect_100 = False  # Apache clears r->expecting_100 when it sends 100
            if not self._closing:
                self.transport.write(CONTINUE)
                cycle.framing_out += len(CONTINUE)

    # ------------------------------------------------------------------
    # Answering

    def _run_queue(self, from_read: bool = False) -> None:
        if self._dispatching:
            return
        self._dispatching = True
        queue = self._queue
        try:
            # (a client not reading what it asked for stops us answering
            # the requests it pipelined: resume_writing goes on)
            while self._active is None and queue and not self._lost and not self._paused_writing:
                cycle = queue[0]
                if cycle.after_body and not cycle.body.settled:
                    break
                self._active = cycle
                req = cycle.request
                if self._sb is not None:   # scoreboard hook: writing the response
                    self._sb.writing(req)
                if cycle.error is not None or req.method == "TRACE":
                    self._start_special(cycle)
                    continue
                cycle.t0 = req.start_time
                self._served += 1
                # the handler: a sync return is the fast path (no coroutine)
                try:
                    result = self.handler(req)
                except HttpError as exc:
                    req.error = exc
                    result = self._render_error(exc.status, req)
                except Exception:
                    log.exception("handler failed for %r", req)
                    result = self._render_error(500, req)
                if isinstance(result, Response):
                    self._send(cycle, result)
                else:
                    self._spawn(self._await_handler(cycle, result))
        finally:
            self._dispatching = False
        if self._active is None and not queue:
            if self._parse_stopped and not self._closing:
                self._start_lingering_close()
            elif not self._closing and not from_read:
                # data_received does this itself once it is done
                self._flow_control_reading()
                self._refresh_timer()

    def _start_special(self, cycle: _Cycle) -> None:
        """A queued protocol error, or TRACE (answered by the core)."""
        req = cycle.request
        cycle.t0 = req.start_time if req is not None and req.start_time else time.time()
        if cycle.error is not None:
            if req is not None:
                req.error = cycle.error
            self._send(cycle, self._render_error(cycle.error.status, req))
            return
        self._served += 1
        self._send(cycle, self._trace(req))

    def _spawn(self, coro) -> None:
        task = self.loop.create_task(coro)
        tasks = self.state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _await_handler(self, cycle: _Cycle, awaitable) -> None:
        req = cycle.request
        try:
            response = await awaitable
            if not isinstance(response, Response):
                raise TypeError(f"handler returned {type(response).__name__}, not Response")
        except HttpError as exc:
            req.error = exc
            response = self._render_error(exc.status, req)
        except ClientDisconnected:
            self._finish(cycle, Response(400), 0)
            return
        except Exception:
            log.exception("handler failed for %r", req)
            response = self._render_error(500, req)
        self._send(cycle, response)

    def _render_error(self, status: int, request: Request | None) -> Response:
        try:
            response = self.error_response(status, request)
        except Exception:
            log.exception("error_response failed")
            response = default_error_response(status, request)
        return response

    def _trace(self, req: Request) -> Response:
        """ap_send_http_trace: echo the request as message/http."""
        p = self.policy
        extra = p.trace_check(req) if p.trace_check is not None else \
            ([] if p.trace_enable else None)
        if extra is None:
            return self._render_error(405, req)
        if req.has_body:
            return self._render_error(413, req)
        merged: dict[str, list] = {}
        for name, value in req.headers:
            entry = merged.get(name.lower())
            if entry is None:
                merged[name.lower()] = [name, value]
            else:
                entry[1] = f"{entry[1]}, {value}"
        text = req.request_line + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in merged.values()) + "\r\n"

        async def gen(data=text.encode("latin-1")):
            yield data
        return Response(200, [*extra, ("Content-Type", "message/http")], gen())

    def _keep_alive(self, cycle: _Cycle, response: Response, length_known: bool, out: list[str]) -> bool:
        """ap_set_keepalive (modules/http/http_protocol.c), condition by condition."""
        req = cycle.request
        # the answering server's KeepAlive, KeepAliveTimeout and
        # MaxKeepAliveRequests (r->server's): they also decide how long
        # the connection then waits
        ka = response.keepalive
        if ka is not None:
            self._ka_enabled, self._idle_timeout, self._max_keepalives = ka
            self._ka_overridden = True
        elif self._ka_overridden:
            self._restore_keepalive()
        left = self._max_keepalives - self._keepalives
        conn = cycle.conn_tokens
        if (req is not None
                and req.keep_alive                      # client: not "close"; 1.1 or "keep-alive"
                and self._ka_enabled                    # KeepAlive On, KeepAliveTimeout > 0
                and (left > 0 or not self._max_keepalives)
                and not cycle.force_close
                and not response.close                  # the "wimpy" handler
                and not req.expect_100
                and (length_known or cycle.head_only or req.http_version != "1.0")
                and not drops_connection(response.status)
                # parsing has ended (error, close, EOF) and nothing follows us
                and not (self._parse_stopped and self._queue and self._queue[-1] is cycle)
                and not self.state.shutting_down):      # is_mpm_running()
            self._keepalives += 1
            if "keep-alive" in conn:
                out.append(_keep_alive_lines(self._idle_timeout, self._max_keepalives, left))
            return True
        out.append("Connection: close\r\n")
        if self._max_keepalives and left == 0:
            # http1_set_keepalive's update_keepalives: the last request of
            # a connection that reached MaxKeepAliveRequests counts too
            self._keepalives += 1
        return False

    def _restore_keepalive(self) -> None:
        """The policy's keep-alive values again, after an answer from a
        server with its own."""
        values = _policy_values(self.policy)
        self._idle_timeout, self._ka_enabled, self._max_keepalives = values[4:7]
        self._ka_overridden = False

    def _send(self, cycle: _Cycle, response: Response) -> None:
        cycle.response = response
        transport = self.transport
        if self._lost or self._closing:
            self._finish(cycle, response, 0)
            return
        req = cycle.request
        body = response.body
        status = response.status
        status_no_body = status == 204 or status == 304 or status < 200
        no_body = cycle.head_only or status_no_body
        if req is not None and req.http_version == "0.9" and (cycle.error is None
                                                               or cycle.error.simple):
            # HTTP/0.9 simple response: the body only, then close.
            cycle.close = True
            if isinstance(body, (bytes, bytearray, memoryview)):
                transport.write(body)
                self._finish(cycle, response, len(body))
            else:
                file_len = _file_length(body) if isinstance(body, FileBody) else None
                self._spawn(self._send_async(cycle, response, b"", file_len, False))
            return

        # -- head ---------------------------------------------------------
        hdrs = response.headers
        if type(hdrs) is tuple:
            # an immutable header set a handler answers with again and
            # again (the URL fast path): render it once
            cached = self.state.heads.get(id(hdrs))
            if cached is None or cached[0] is not hdrs:
                cached = self.state.remember_head(hdrs, _header_parts(hdrs))
            parts = cached[1]
        else:
            parts = _header_parts(hdrs)
        handler_part, after_part, content_type, handler_cl, date_line, server_line, \
            wants_close, safe = parts
        if wants_close:
            response.close = True
        if not safe or (response.reason is not None
                        and ("\n" in response.reason or "\r" in response.reason)):
            # CR/LF inside a header name or value: response splitting
            # (uvicorn CVE-2020-7695).  Refuse to send it.
            log.error("refusing response with CR/LF in a header for %r", req)
            if status != 500:
                self._send(cycle, self._render_error(500, req))
            else:
                self._abort(cycle, response)
            return
        out = [(STATUS_LINES.get(status) if response.reason is None else None)
               or status_line(status, response.reason),
               http_date_line() if date_line else "",
               self._server_line if server_line else "",
               handler_part]

        file_len = None
        if isinstance(body, (bytes, bytearray, memoryview)):
            length: int | None = len(body)
            if cycle.head_only:
                # HEAD: the length the handler stated, or of the body it
                # built anyway; none for an empty body (Apache builds no
                # error page for HEAD, so its 404 carries no length).
                if handler_cl is not None:
                    length = int(handler_cl)
                elif not body:
                    length = None
        elif isinstance(body, FileBody):
            try:
                file_len = _file_length(body)
            except OSError:
                log.exception("cannot stat %r", body)
                self._send(cycle, self._render_error(500, req))
                return
            length = file_len
        else:
            length = int(handler_cl) if handler_cl is not None else None
        # Apache's order: ..., Content-Length, Keep-Alive, Connection,
        # Transfer-Encoding, Content-Type.
        if status_no_body:
            length_known = True
        elif cycle.head_only:
            length_known = True     # no body follows, whatever the length
            if length is not None:
                out.append(f"Content-Length: {length}\r\n")
        else:
            length_known = length is not None
            if length_known:
                out.append(f"Content-Length: {length}\r\n")
        ka_at = len(out)
        keep = self._keep_alive(cycle, response, length_known, out)
        ka_end = len(out)
        # ap_set_keepalive sets r->chunked only on the way to keeping the
        # connection: a client that said "close" (or awaits 100-continue)
        # gets a close-delimited body instead, and so does an answer that
        # drops the connection (a body error's: bail_out_on_error closes
        # first).  The TRACE echo is chunked even for a client that said
        # "close" (asked of Apache 2.4.71).
        chunked = (not length_known and not no_body and req is not None
                   and req.http_version not in ("0.9", "1.0")
                   and (req.keep_alive or req.method == "TRACE") and not req.expect_100
                   and not drops_connection(response.status))
        if chunked:
            out.append("Transfer-Encoding: chunked\r\n")
        if content_type is not None:
            out.append(f"Content-Type: {content_type}\r\n")
        if after_part:
            out.append(after_part)
        out.append("\r\n")
        head_text = "".join(out)
        head = head_text.encode("latin-1")
        cycle.framing_out += len(head)
        cycle.close = not keep

        # -- body ---------------------------------------------------------
        if no_body:
            transport.write(head)
            if isinstance(body, FileBody):
                _close_file_body(body, None)
            if cycle.raw is not None and response.replay is not None:
                self._remember(cycle, response, out, ka_at, ka_end)
            self._finish(cycle, response, 0)
            return
        if isinstance(body, (bytes, bytearray, memoryview)):
            if len(body) <= SMALL_BODY:
                transport.write(head + body if body else head)
                if cycle.raw is not None and response.replay is not None:
                    self._remember(cycle, response, out, ka_at, ka_end)
            else:
                transport.writelines((head, body))
            self._finish(cycle, response, len(body))
            return
        if isinstance(body, FileBody) and file_len is not None and file_len <= SMALL_BODY:
            # Small file: read it now and send it with the head in one write.
            fd = None
            try:
                fd = _open_file_body(body)
                data = os.pread(fd, file_len, body.offset) if file_len else b""
            except OSError:
                log.exception("cannot read %r", body)
                _close_file_body(body, fd)
                cycle.close = True
                self._abort(cycle, response)
                return
            _close_file_body(body, fd)
            transport.write(head + data)
            if len(data) < file_len:
                cycle.close = True  # truncated: the Content-Length is a lie
                self._finish(cycle, response, len(data), abort=True)
                return
            if cycle.raw is not None and response.replay is not None:
                self._remember(cycle, response, out, ka_at, ka_end)
            self._finish(cycle, response, len(data))
            return
        self._spawn(self._send_async(cycle, response, head, file_len, chunked))

    # -- replayed answers (see http/replay.py) -------------------------------

    def _remember(self, cycle: _Cycle, response: Response, out: list[str], ka_at: int,
                  ka_end: int) -> None:
        """Store the answer just sent under the request's raw bytes, if its
        framing cannot differ the next time (http/replay.py)."""
        req = cycle.request
        raw = cycle.raw
        if (cycle.error is not None or req.has_body or req.expect_100 or cycle.force_close
                or response.close or response.keepalive is not None or not out[1]
                or len(raw) > MAX_KEY_BYTES):
            return   # (a server with keep-alive settings of its own: not stored)
        table = self._replays
        keys = [raw] if table.admit(raw) else []
        if getattr(response.replay, "shared", False):
            # the answer holds for any request of this line and Host: store
            # it under the request's shape too (http/replay.py)
            shape = shape_key(raw, self._limit_line, self._limit_field, self._limit_fields)
            if shape is not None and table.admit(shape):
                keys.append(shape)
        if not keys:
            return
        # out: status line, Date, Server, handler headers..., [Connection
        # headers at ka_at:ka_end], Content-Type, blank line
        rest = "".join(out[2:ka_at])
        tail = "".join(out[ka_end:])
        countdown = None
        if "keep-alive" in cycle.conn_tokens:
            # a kept connection's answer says Keep-Alive, and with
            # MaxKeepAliveRequests how many requests are left: rendered
            # around that number when the answer is given again
            before, mark, after = _keep_alive_lines(self._idle_timeout, self._max_keepalives,
                                                    "\0").partition("\0")
            if mark:
                countdown = ((rest + before).encode("latin-1"), (after + tail).encode("latin-1"))
            keep_text = rest + before + after + tail
        else:
            keep_text = rest + tail
        replay = Replay(response.replay, req, out[0].encode("latin-1"),
                        keep_text.encode("latin-1"),
                        (rest + "Connection: close\r\n" + tail).encode("latin-1"),
                        cycle.head_only, req.keep_alive, countdown)
        for key in keys:
            table.remember(key, replay)

    def _answer_pipelined(self, data: bytes, end: int) -> bytes:
        """Answer the stored requests a read of several begins with, in
        order and with one write; return the rest for the parser (b"" when
        nothing is left or an answer closed the connection).  A stored
        request has no body, so each one is the bytes up to the end of its
        head; the first that is not stored, or whose answer no longer
        holds, starts the rest."""
        table = self._replays
        high = self.policy.write_buffer_high
        out: list[bytes] = []
        pending = pos = 0
        while end >= 0 and end + 4 - pos <= MAX_KEY_BYTES:
            key, replay = table.lookup(data[pos:end + 4], self._limit_line, self._limit_field,
                                       self._limit_fields)
            if replay is None or not self._answer_again(replay, key, out, end + 4 - pos):
                break
            pos = end + 4
            if self._parse_stopped:
                return b""          # that answer closed: nothing after it is read
            pending += len(out[-1])
            if pending > high:      # bounded memory: the transport may pause us
                self.transport.write(b"".join(out))
                out.clear()
                pending = 0
            end = data.find(b"\r\n\r\n", pos)
        if out:
            self.transport.write(b"".join(out))
        return data[pos:]

    def _answer_again(self, replay: Replay, key, out: list[bytes] | None = None,
                      size: int = 0) -> bool:
        """Answer a read that repeats a stored request (*size* bytes), or
        return False to parse it.  The steps of _run_queue/_send/_finish
        for this one case.  With ``out`` (pipelined answers), a kept
        connection's answer is appended there for the caller to write; a
        closing one is written at once, after what ``out`` holds."""
        if (self._active is not None or self._queue or self._in_head or self._cur is not None
                or self._stash or self._parse_stopped or self._paused_writing):
            return False
        body = replay.hook.check()
        if body is None:
            self._replays.pop(key, None)   # stale: the handler decides again
            return False
        start_us = time.time_ns() // 1000
        self._completed_msgs += 1
        self._served += 1
        if self._ka_overridden:
            self._restore_keepalive()   # stored answers are the policy's servers'
        left = self._max_keepalives - self._keepalives
        keep = (replay.keep_alive and self._ka_enabled and (left > 0 or not self._max_keepalives)
                and not self.state.shutting_down)
        if keep:
            self._keepalives += 1
        elif self._max_keepalives and left == 0:
            self._keepalives += 1   # as _keep_alive does
        message, sent = replay.message(body, keep, left)
        if out is None:
            self.transport.write(message)
        elif keep:
            out.append(message)
        else:
            out.append(message)
            self.transport.write(b"".join(out))
            out.clear()
        try:
            replay.hook.served(self.client, start_us, sent, self._keepalives, keep,
                               size, len(message))
        except Exception:
            log.exception("on_complete failed")
        if self._sb is not None:   # scoreboard hook: the whole exchange at once
            self._sb.answered_again(replay.request, sent,
                                    (time.time_ns() // 1000 - start_us) / 1e6, keep)
        if not keep:
            self._stop_for_close()
            return True
        # wait for the next request (data_received's common case)
        deadline = self.loop.time() + self._idle_timeout
        self._timer_kind = "idle"
        self._deadline = deadline
        if self._timer is None or self._timer_when > deadline:
            self._arm("idle", self._idle_timeout)
        return True

    async def _send_async(self, cycle: _Cycle, response: Response, head: bytes,
                          file_len: int | None, chunked: bool) -> None:
        transport = self.transport
        body = response.body
        sent = 0
        abort = False
        try:
            if head:
                transport.write(head)
            if isinstance(body, FileBody):
                fd = _open_file_body(body)
                try:
                    sender = SENDERS[body.sender]
                    sent = await sender(transport, self.loop, fd, body.offset, file_len,
                                        wait_drained=self.wait_drained, timeout=self.policy.timeout)
                finally:
                    _close_file_body(body, fd)
                if sent < file_len:
                    log.warning("file %r ended after %d of %d bytes", body, sent, file_len)
                    abort = True
            else:
                high = self.policy.write_buffer_high
                async for chunk in body:
                    if not chunk:
                        continue
                    if transport.is_closing():
                        raise ConnectionResetError("connection lost")
                    if chunked:
                        size = b"%x\r\n" % len(chunk)
                        transport.writelines((size, chunk, b"\r\n"))
                        cycle.framing_out += len(size) + 2
                    else:
                        transport.write(chunk)
                    sent += len(chunk)
                    if transport.get_write_buffer_size() > high:
                        await asyncio.wait_for(self.wait_drained(), self.policy.timeout)
                if chunked and not transport.is_closing():
                    transport.write(b"0\r\n\r\n")
                    cycle.framing_out += 5
        except (ConnectionError, asyncio.TimeoutError, TimeoutError):
            abort = True
        except Exception:
            log.exception("sending the response body failed for %r", cycle.request)
            abort = True
        finally:
            aclose = getattr(body, "aclose", None)
            if aclose is not None and not isinstance(body, FileBody):
                try:
                    await aclose()
                except Exception:
                    pass
        self._finish(cycle, response, sent, abort=abort)

    def _abort(self, cycle: _Cycle, response: Response) -> None:
        self._finish(cycle, response, 0, abort=True)

    def _finish(self, cycle: _Cycle, response: Response, sent: int, *, abort: bool = False) -> None:
        if not cycle.completed:
            cycle.completed = True
            req = cycle.request
            if req is not None:
                req.keepalives = self._keepalives
                req.bytes_out = cycle.framing_out + sent
                req.connection_kept = not cycle.close and not abort
                req.keep_alive_max = self._max_keepalives
            if self.on_complete is not None:
                try:
                    self.on_complete(cycle.request, response, sent, time.time() - cycle.t0)
                except Exception:
                    log.exception("on_complete failed")
            if self._sb is not None:   # scoreboard hook: counters
                self._sb.done(sent, time.time() - cycle.t0)
        if self._queue and self._queue[0] is cycle:
            self._queue.popleft()
        if self._active is cycle:
            self._active = None
        if self._lost:
            return
        if abort:
            self._parse_stopped = True
            self._closing = True
            self.transport.abort()
            return
        if cycle.close:
            self._stop_for_close()
            return
        if self._sb is not None and len(self._queue) == 0:   # scoreboard hook
            self._sb.keepalive()
        body = cycle.body
        if body is not None and not body.complete:
            body.drop()  # read and discard the rest (ap_discard_request_body)
        if not self._dispatching:
            self._run_queue()

    def _stop_for_close(self) -> None:
        self._parse_stopped = True
        self._parser = None
        self._queue.clear()
        self._cur = None
        self._start_lingering_close()

    # ------------------------------------------------------------------
    # Closing

    def _start_lingering_close(self) -> None:
        """ap_lingering_close: send FIN, then read and discard what the client
        still sends (2 s per read, 30 s in all) so our response is not
        destroyed by a RST caused by unread input."""
        if self._closing and self._timer_kind == "linger":
            return
        self._closing = True
        self._parse_stopped = True
        self._parser = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self._sb is not None:   # scoreboard hook: closing
            self._sb.closing()
        p = self.policy
        if self._eof or not p.lingering_max or not transport.can_write_eof():
            transport.close()
            return
        try:
            transport.write_eof()
        except (OSError, RuntimeError):
            transport.close()
            return
        if self._paused_reading:
            self._paused_reading = False
            transport.resume_reading()
        now = self.loop.time()
        self._linger_until = now + p.lingering_max
        self._arm("linger", p.lingering_read_timeout)

    def _linger_read(self) -> None:
        now = self.loop.time()
        if now >= self._linger_until:
            self.transport.close()
            return
        self._deadline = min(now + self.policy.lingering_read_timeout, self._linger_until)

    def close_if_idle(self) -> bool:
        """Graceful shutdown: close a connection waiting for its next request
        (keep-alive).  A connection that has not sent its first request yet
        is left to send it: it may have been accepted a moment ago with the
        request already on its way (closing it would lose that request); it
        is answered with "Connection: close", or times out."""
        if self._active is None and not self._queue and not self._in_head and self._served:
            if self.transport is not None and not self.transport.is_closing():
                self._closing = True
                self.transport.close()
            return True
        return False

    # ------------------------------------------------------------------
    # Timers: one handle, re-armed lazily (a deadline moved later does not
    # reschedule; the callback notices and sleeps again).

    def _arm(self, kind: str | None, seconds: float) -> None:
        self._timer_kind = kind
        if kind is None:
            return
        deadline = self.loop.time() + seconds
        self._deadline = deadline
        if self._timer is None or self._timer_when > deadline:
            if self._timer is not None:
                self._timer.cancel()
            self._timer_when = deadline
            self._timer = self.loop.call_at(deadline, self._on_timer)

    def _refresh_timer(self) -> None:
        if self._closing:
            return
        if (self._active is None and not self._queue and not self._in_head and self._cur is None
                and not self._paused_writing and not self._stash):
            # the common case after a response: wait for the next request
            self._arm("idle", self._idle_timeout if self._served else self.policy.timeout)
            return
        p = self.policy
        if self._paused_writing:
            self._arm("write", p.timeout)
        elif self._active is not None:
            self._timer_kind = None   # the handler's time is its own
        elif self._in_head or self._stash:
            self._arm("head", p.timeout)
        elif self._cur is not None:
            self._arm("body", p.timeout)
        elif not self._queue:
            self._arm("idle", p.keep_alive_timeout if self._served else p.timeout)
        else:
            self._timer_kind = None

    def _on_timer(self) -> None:
        self._timer = None
        kind = self._timer_kind
        if kind is None or self._lost:
            return
        now = self.loop.time()
        if now < self._deadline - 0.0005:
            self._timer_when = self._deadline
            self._timer = self.loop.call_at(self._deadline, self._on_timer)
            return
        self._timer_kind = None
        transport = self.transport
        if kind == "linger":
            transport.close()
        elif kind == "head" and self._line_done:
            # Timeout inside the header block: 408 (ap_get_mime_headers_core).
            self._protocol_error(HttpError(408))
            self._run_queue()
        elif kind == "write":
            # Apache's TimeOut bounds each write, not the whole body: a client
            # that drained something since the timer was armed gets another
            # period.
            size = transport.get_write_buffer_size()
            if size < self._write_mark:
                self._write_mark = size
                self._arm("write", self.policy.timeout)
            else:
                transport.abort()
        else:
            # idle, keep-alive wait, incomplete request line, stalled body
            # discard: close without a response, as Apache does - but an
            # unfinished line is logged as a 408 nobody was sent: cut to
            # Apache's line buffer when it filled it, else as "-" on a
            # connection's first request (ap_read_request logs a timed-out
            # line only when !keepalives)
            if self._in_head and not self._line_done and self.on_complete is not None:
                request = None
                if max(len(self._stash), len(self._url)) > self._limit_line + 1:
                    request = self._partial_request(408)
                elif self._completed_msgs == 0:
                    request = Request("", "", "", None, "1.0", [], self.client, self.server)
                    request.start_time = time.time()
                    request.the_request = "-"
                if request is not None:
                    self.on_complete(request, Response(408, []), 0, 0.0)
            self._closing = True
            self._parse_stopped = True
            transport.close()


def _end_of_messages(data: bytes, count: int) -> int | None:
    """The offset in ``data`` just after its first ``count`` complete messages
    (parsed from an idle state); None if it cannot be found."""

    class _Counter:
        n = 0

        def on_message_complete(self) -> None:
            self.n += 1

    def completed(n: int) -> int:
        c = _Counter()
        p = request_parser(c)
        try:
            p.feed_data(data[:n])
        except HttpParserError:
            pass
        return c.n

    lo, hi = 0, len(data)
    if completed(hi) < count:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if completed(mid) >= count:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _file_length(body: FileBody) -> int:
    if body.length is not None:
        return body.length
    if body.fd is not None:
        size = os.fstat(body.fd).st_size
    else:
        size = os.stat(body.path).st_size
    return max(0, size - body.offset)


def _open_file_body(body: FileBody) -> int:
    if body.fd is not None:
        return body.fd
    return os.open(body.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))


def _close_file_body(body: FileBody, fd: int | None) -> None:
    if body.fd is None:
        if fd is not None:
            os.close(fd)
    elif body.close_fd:
        try:
            os.close(body.fd)
        except OSError:
            pass
