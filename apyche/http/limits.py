"""Connection-level knobs that Apache's configuration sets.

This module owns no behaviour; it only names the numbers.  The config layer
builds one :class:`ConnectionPolicy` per listener (or per server) from the
directives below and hands it to :func:`apyche.http.server.serve`.  Defaults
are Apache 2.4's, from ``docs/manual/mod/core.xml`` and
``server/connection.c``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

GIB = 1 << 30
_NO_LIMIT = 1 << 62


@dataclass(frozen=True, slots=True)
class ConnectionPolicy:
    # KeepAlive On|Off
    keep_alive: bool = True
    # KeepAliveTimeout: idle wait for the next request on a persistent
    # connection.  0 disables persistence, as ap_set_keepalive checks
    # "keep_alive_timeout > 0".
    keep_alive_timeout: float = 5.0
    # MaxKeepAliveRequests: 0 = unlimited.  With N, a connection carries
    # N + 1 requests: the Keep-Alive header counts max=N, N-1, ... 1 and the
    # request after that is answered with "Connection: close".
    max_keep_alive_requests: int = 100
    # TimeOut: a stalled request line, header block, body read or write.
    timeout: float = 60.0
    # LimitRequestLine / LimitRequestFieldSize / LimitRequestFields (0: no
    # limit on the number of fields, as in Apache).
    limit_request_line: int = 8190
    limit_request_field_size: int = 8190
    limit_request_fields: int = 100
    # LimitRequestBody: 0 = unlimited (the default before 2.4.54).
    limit_request_body: int = GIB
    # ap_lingering_close: SECONDS_TO_LINGER per read, MAX_SECS_TO_LINGER in
    # total (server/connection.c).
    lingering_read_timeout: float = 2.0
    lingering_max: float = 30.0
    # The Server header value (ServerTokens decides it); None omits it.
    server_header: str | None = "Apache"
    # TraceEnable On|Off (Off answers TRACE with 405).  "extended" is not
    # supported: a TRACE body is always refused with 413 as "On" does.
    trace_enable: bool = True
    # The server layer's word on a TRACE (Site.trace_check): None when the
    # request's virtual host has TraceEnable Off, else the header fields
    # the echo also carries (a Vary); unset: ``trace_enable`` for every
    # request.
    trace_check: Callable[[Any], list | None] | None = None
    # Content-Length together with "Transfer-Encoding: chunked": Apache 2.4
    # reads the body as chunked, drops Content-Length and closes the
    # connection after the response; True rejects such requests with 400
    # instead (stricter than Apache, as h11 and RFC 9112 6.1 allow).
    reject_te_with_cl: bool = False
    # HttpProtocolOptions Strict (the default) or Unsafe: Strict also
    # refuses host names RFC 3986 and RFC 1123 do not allow (numeric-only,
    # dotted quads that are not four plain numbers, other characters).
    strict: bool = True
    # HttpProtocolOptions Allow0.9 (the default) or Require1.0: whether a
    # request line without a protocol (an HTTP/0.9 simple request) is
    # answered - with the body alone - or refused with 400.
    allow09: bool = True
    # HttpProtocolOptions RegisteredMethods: the methods a request may use
    # (Apache's own and those the config's <Limit> sections register);
    # any other is refused with 501 before the request is read on.  None
    # (LenientMethods, the default) lets every method token through.
    registered_methods: frozenset[str] | None = None
    # How many parsed-but-unanswered pipelined requests we hold before we
    # stop reading from the socket.  Not an Apache directive: Apache reads
    # one request at a time, so its effective value is 1.
    max_pipelined: int = 16
    # Transport write buffer high-water mark for streamed bodies.
    write_buffer_high: int = 256 * 1024

    @property
    def persistent(self) -> bool:
        """Whether a connection may outlive its request at all
        (ap_set_keepalive: KeepAlive On and KeepAliveTimeout > 0)."""
        return self.keep_alive and self.keep_alive_timeout > 0

    @property
    def head_limits(self) -> tuple[int, int, int]:
        """LimitRequestLine, LimitRequestFieldSize and LimitRequestFields as
        the protocol checks a parsed head.  Apache's line reader takes a
        field line of up to LimitRequestFieldSize + 1 bytes (asked: 8191
        with the default); llhttp hands over name and value without what
        lies between, taken to be ": " as clients send it, so name and value
        may have the limit minus one.  No limit on fields is a number no
        head reaches."""
        return (self.limit_request_line, self.limit_request_field_size - 1,
                self.limit_request_fields or _NO_LIMIT)

    @property
    def max_field_line(self) -> int:
        """The longest header line (CRLF aside) Apache's line reader takes."""
        return self.limit_request_field_size + 1

    @property
    def max_head_bytes(self) -> int:
        """The most bytes a head may take before it is refused whole: the
        line's buffer and, for each field allowed and the blank line, a
        field's buffer and its CRLF."""
        fields = self.limit_request_fields or _NO_LIMIT
        return self.limit_request_line + 2 + (fields + 1) * (self.limit_request_field_size + 4)

    def __post_init__(self) -> None:
        for name in ("keep_alive_timeout", "timeout", "lingering_read_timeout", "lingering_max"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("max_keep_alive_requests", "limit_request_line", "limit_request_field_size",
                     "limit_request_fields", "limit_request_body"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.max_pipelined < 1:
            raise ValueError("max_pipelined must be at least 1")
