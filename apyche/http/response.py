"""What a handler returns, and the byte tables used to serialise it.

A :class:`Response` is plain data: status, headers and one of three body
kinds -- ``bytes``, a :class:`FileBody` (sent zero-copy or by mmap/reads, see
``sendfile.py``) or an async iterator of ``bytes``.  The protocol adds the
connection-level headers (Date, Server, Content-Length, Transfer-Encoding,
Connection, Keep-Alive); a handler should not set those except
``Content-Length`` for a streamed body of known size.
"""

from __future__ import annotations

import html
import os
import time
from email.utils import formatdate
from typing import AsyncIterator, Union

# Reason phrases exactly as Apache 2.4 spells them (status_lines[] in
# modules/http/http_protocol.c); Apache always answers "HTTP/1.1".
REASONS: dict[int, str] = {
    100: "Continue", 101: "Switching Protocols", 102: "Processing",
    200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
    204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
    208: "Already Reported", 226: "IM Used",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
    304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
    411: "Length Required", 412: "Precondition Failed", 413: "Request Entity Too Large",
    414: "Request-URI Too Long", 415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable", 417: "Expectation Failed",
    421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
    424: "Failed Dependency", 426: "Upgrade Required", 428: "Precondition Required",
    429: "Too Many Requests", 431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
    510: "Not Extended", 511: "Network Authentication Required",
}

# Precomputed status lines (uvicorn's STATUS_LINE idea), as text so the whole
# head is encoded once.
STATUS_LINES: dict[int, str] = {code: f"HTTP/1.1 {code} {reason}\r\n" for code, reason in REASONS.items()}


def status_line(status: int, reason: str | None = None) -> str:
    if reason is None:
        line = STATUS_LINES.get(status)
        if line is not None:
            return line
        reason = ""
    return f"HTTP/1.1 {status} {reason}\r\n"


_DROPS = frozenset((400, 408, 411, 413, 414, 500, 503, 501))


def drops_connection(status: int) -> bool:
    """ap_status_drops_connection (include/httpd.h)."""
    return status in _DROPS


def status_has_no_body(status: int) -> bool:
    """AP_STATUS_IS_HEADER_ONLY plus 1xx: no body, no Content-Length needed."""
    return status == 204 or status == 304 or status < 200


class FileBody:
    """A region of a file to send.  Give either an open ``fd`` (the protocol
    never closes it unless ``close_fd`` is true) or a ``path`` (opened and
    closed by the protocol).  ``sender`` selects the sender from
    ``sendfile.py``: "sendfile" (EnableSendfile On), "mmap" (EnableMMAP On) or
    "read"."""

    __slots__ = ("fd", "path", "offset", "length", "sender", "close_fd")

    def __init__(self, fd: int | None = None, offset: int = 0, length: int | None = None, *,
                 path: str | os.PathLike | None = None, sender: str = "sendfile",
                 close_fd: bool = False) -> None:
        if (fd is None) == (path is None):
            raise ValueError("FileBody needs exactly one of fd or path")
        if sender not in ("sendfile", "mmap", "read"):
            raise ValueError(f"unknown sender {sender!r}")
        self.fd = fd
        self.path = path
        self.offset = offset
        self.length = length
        self.sender = sender
        self.close_fd = close_fd

    def __repr__(self) -> str:
        src = f"fd={self.fd}" if self.fd is not None else f"path={self.path!r}"
        return f"FileBody({src}, offset={self.offset}, length={self.length}, sender={self.sender!r})"


Body = Union[bytes, bytearray, memoryview, FileBody, AsyncIterator[bytes]]


class Response:
    __slots__ = ("status", "reason", "headers", "body", "close", "replay", "keepalive")

    def __init__(self, status: int = 200, headers: list[tuple[str, str]] | None = None,
                 body: Body = b"", *, reason: str | None = None, close: bool = False) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers if headers is not None else []
        self.body = body
        # Ask the protocol to close the connection after this response
        # (Apache: a handler setting "Connection: close", the "wimpy" case).
        self.close = close
        # The handler's promise that the same request bytes will get this
        # response again while ``replay.check`` holds (see http/replay.py).
        self.replay = None
        # The answering server's (KeepAlive On, KeepAliveTimeout,
        # MaxKeepAliveRequests) where a virtual host sets its own; None:
        # the connection policy's.
        self.keepalive: tuple[bool, float, int] | None = None

    def __repr__(self) -> str:
        return f"<Response {self.status} headers={len(self.headers)} body={type(self.body).__name__}>"


class HttpError(Exception):
    """Raised by the protocol (or a handler) to answer with ``status``.
    ``note`` is a human explanation for logs; ``shown``: it is also
    Apache's "error-notes", which its error page prints (a header field or
    a field count over the limit).  ``simple``: found after the request was
    taken as an HTTP/0.9 simple request, so its page goes out as a simple
    response (the body alone).  ``replaced``: the error whose answer this
    one took over (its page says "Additionally, a ... error")."""

    def __init__(self, status: int, note: str = "", *, simple: bool = False,
                 shown: bool = False, replaced: int | None = None) -> None:
        super().__init__(status, note)
        self.status = status
        self.note = note
        self.simple = simple
        self.shown = shown
        self.replaced = replaced


# ---------------------------------------------------------------------------
# Date header cache: one formatdate() per second at most.

_date_cache: list = [0, "", "", b""]


def http_date(now: float | None = None) -> str:
    t = int(time.time() if now is None else now)
    if _date_cache[0] != t:
        _date_cache[0] = t
        _date_cache[1] = formatdate(t, usegmt=True)
        _date_cache[2] = f"Date: {_date_cache[1]}\r\n"
        _date_cache[3] = _date_cache[2].encode("latin-1")
    return _date_cache[1]


def http_date_line() -> str:
    """"Date: <now>\r\n", recomputed at most once a second."""
    t = int(time.time())
    if _date_cache[0] != t:
        http_date(t)
    return _date_cache[2]


def http_date_line_bytes() -> bytes:
    """The same line, encoded."""
    t = int(time.time())
    if _date_cache[0] != t:
        http_date(t)
    return _date_cache[3]


# ---------------------------------------------------------------------------
# A plain default error page, shaped like Apache's (ap_send_error_response).
# The server layer replaces this with the real thing (ErrorDocument, the
# per-status messages of get_canned_error_string, the <address> line).

_MESSAGES = {
    400: "Your browser sent a request that this server could not understand.<br />\n",
    403: "You don't have permission to access this resource.",
    404: "The requested URL was not found on this server.",
    405: "The requested method is not allowed for this URL.",
    408: "Server timeout waiting for the HTTP request from the client.",
    413: "The requested resource does not allow request data with this request, "
         "or the amount of data provided in the request exceeds the capacity limit.",
    414: "The requested URL's length exceeds the capacity\nlimit for this server.<br />\n",
    417: "The expectation given in the Expect request-header\nfield could not be met by this server.",
    500: "The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.",
    501: "This type of request method is not implemented.",
}


def default_error_response(status: int, request=None) -> Response:
    reason = REASONS.get(status, "Error")
    error = getattr(request, "error", None)
    msg = _MESSAGES.get(status, "") + (error.note if error is not None and error.shown else "")
    body = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n'
        f"<html><head>\n<title>{status} {html.escape(reason)}</title>\n</head><body>\n"
        f"<h1>{html.escape(reason)}</h1>\n<p>{msg}</p>\n</body></html>\n"
    ).encode("latin-1", "replace")
    return Response(status, [("Content-Type", "text/html; charset=iso-8859-1")], body)
