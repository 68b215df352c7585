"""Replayed answers: the same request bytes, the same response.

Most requests a static server sees are repeats: the same client (or the
same kind of client) asking for the same file with byte-for-byte the same
request head.  Parsing that head, choosing the virtual host, walking the
directories, checking access and building the response headers again
gives the same result every time, as long as the files it depended on have
not changed.  So when a handler answers a request with a response that
carries a *replay hook* (``Response.replay``), and the request arrived as
one complete read holding exactly one message, and these bytes were seen
once before, the connection remembers ``raw request bytes -> Replay`` in a
table shared by every connection on the same listening address
(``ServerState.replays_for``).  The next time
an idle connection reads exactly those bytes, it asks the hook whether the
answer still holds and, if so, writes the stored head with a fresh Date
and the hook's body, without running the parser or the handler.

What the hook promises (the server layer implements it):

* ``check() -> bytes | None``: the body to send (ignored for HEAD), or
  None when the answer no longer holds (a file changed).
* ``served(client, start_us, sent, keepalives, keepalive, bytes_in,
  bytes_out)``: the request (*bytes_in* bytes) was answered with *sent*
  body bytes, *bytes_out* in all; log it as the handler would have.

What the connection still decides per request, exactly as for a parsed
request: keep-alive (MaxKeepAliveRequests, KeepAlive, graceful stop) and
with it the count in "Keep-Alive: timeout=5, max=N" for a client that asks
with the keep-alive token, the Date header, the idle timer, the
scoreboard.  Only requests whose framing cannot differ are stored: no
body, no "Expect", no protocol error.

Requests for the same file rarely repeat byte for byte across clients: a
browser's cookies, User-Agent and Accept lines differ, a load generator may
number its requests.  A hook may therefore say that its answer holds for
*every* request with the same request line and Host (``shared``): none of
the other fields changes the answer or its log line.  Such an answer is
also stored under the request's *shape* (:func:`shape_key`): the request
line, the Host value and the Connection value of a head simple enough to
vouch for without the parser - GET or HEAD, origin-form, HTTP/1.0 or 1.1,
CRLF line ends, token names, values of visible ASCII, within the request
limits, and none of the fields that change framing or the answer
(Content-Length, Transfer-Encoding, Expect, Upgrade, Range, If-*).  A read
whose bytes are not stored but whose shape is gets the stored answer.  The
key holds the whole request line, so a shape is only ever found for a line
the parser accepted before; and the fields it skips are ones the parser
accepts too.
"""

from __future__ import annotations

import re

from .response import http_date_line_bytes

# Bounds of one listener's table: heads longer than this are not stored
# (a 1-2 KiB browser head with cookies is), nor more heads than this.
MAX_KEY_BYTES = 4096
MAX_ENTRIES = 4096


# A head shape_key vouches for (see the module's docstring): the request
# line, then fields with an RFC 9110 token name right before the colon and
# a value of visible ASCII, spaces and tabs, each line ending in CRLF.
# Every head it takes, the connection's parser reads alike
# (tests/http/test_shape_key.py checks this against llhttp).
_TCHAR = rb"!#$%&'*+.^_`|~0-9A-Za-z-"
_SIMPLE_HEAD = re.compile(
    rb"((?:GET|HEAD) /[!-\"$-~]* HTTP/1\.[01])\r\n"
    rb"((?:[" + _TCHAR + rb"]+:[ \t!-~]*\r\n)*)\r\n")
# Fields (lowercased, after a newline) that change framing or the answer.
_RULED_OUT = re.compile(rb"\n(?:content-length|transfer-encoding|expect|upgrade"
                        rb"|proxy-connection|range|if-[" + _TCHAR.lower() + rb"]*):")


def _values(fields: bytes, low: bytes, name: bytes) -> list[bytes]:
    """The values of the fields called ``name`` (b"\\nhost:"), as the
    parser gives them (without leading whitespace, with trailing
    whitespace); ``low`` is b"\\n" + fields.lower()."""
    found = []
    at = low.find(name)
    while at >= 0:
        start = at + len(name) - 1      # low is one byte longer
        end = fields.index(b"\r", start)
        found.append(fields[start:end].lstrip(b" \t"))
        at = low.find(name, end)
    return found


def shape_key(data: bytes, limit_line: int, limit_field: int,
              limit_fields: int) -> tuple | None:
    """The shape of a request head: (request line, Host, Connection or
    None), or None when the head is not simple enough to answer from its
    shape (then the connection parses it): one whole message as
    _SIMPLE_HEAD describes it, exactly one Host, none of the fields that
    change framing or the answer, and within the limits -
    LimitRequestLine, LimitRequestFieldSize (of name and value, as the
    protocol counts it) and LimitRequestFields - or the connection answers
    it (414, 400).  Values are as the parser gives them."""
    if len(data) > MAX_KEY_BYTES:
        return None
    m = _SIMPLE_HEAD.fullmatch(data)
    if m is None:
        return None
    line, fields = m.groups()
    if (len(line) > limit_line or len(fields) > limit_field
            or fields.count(b"\n") > limit_fields):
        return None
    low = b"\n" + fields.lower()
    if _RULED_OUT.search(low) is not None:
        return None
    hosts = _values(fields, low, b"\nhost:")
    if len(hosts) != 1:
        return None                     # none, or two: the connection's 400
    connection = _values(fields, low, b"\nconnection:")
    return (line, hosts[0], b", ".join(connection) if connection else None)


class Replay:
    """One stored answer: its head around the Date line, and the hook."""

    __slots__ = ("hook", "request", "status_line", "rest_keep", "rest_close", "head_only",
                 "keep_alive", "countdown")

    def __init__(self, hook, request, status_line: bytes, rest_keep: bytes, rest_close: bytes,
                 head_only: bool, keep_alive: bool,
                 countdown: tuple[bytes, bytes] | None = None) -> None:
        self.hook = hook
        self.request = request          # the parsed original (scoreboard details)
        self.status_line = status_line  # "HTTP/1.1 200 OK\r\n"
        self.rest_keep = rest_keep      # the head after Date, connection kept
        self.rest_close = rest_close    # ... with "Connection: close"
        self.head_only = head_only
        self.keep_alive = keep_alive    # the client's side of ap_set_keepalive
        # the head after Date, connection kept, around the number of
        # requests left ("Keep-Alive: timeout=5, max=N"), when it says one
        self.countdown = countdown

    def message(self, body: bytes, keep: bool, left: int = 0) -> tuple[bytes, int]:
        """The answer as sent now: the stored head around a fresh Date,
        with or without "Connection: close" (kept: with ``left`` requests
        left, if the head counts them), then ``body`` (none for HEAD); and
        the body bytes it holds."""
        if not keep:
            rest = self.rest_close
        elif self.countdown is None:
            rest = self.rest_keep
        else:
            before, after = self.countdown
            rest = b"%b%d%b" % (before, left, after)
        if self.head_only:
            return b"".join((self.status_line, http_date_line_bytes(), rest)), 0
        return b"".join((self.status_line, http_date_line_bytes(), rest, body)), len(body)


class ReplayTable(dict):
    """raw request bytes, or a request's shape -> Replay, for one listening
    address.

    A head is stored the second time it is answered, not the first: a
    stream of one-off requests (a counter in a header, a fresh cookie)
    would otherwise pay for building answers nobody asks for again.
    """

    __slots__ = ("_seen", "has_shapes")

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[int] = set()
        self.has_shapes = False     # any shape_key stored since the last clear

    def lookup(self, data: bytes, limit_line: int, limit_field: int,
               limit_fields: int) -> tuple[object, Replay | None]:
        """The stored answer for a read, and the key it is stored under:
        the read's bytes, else its shape (the limits as for shape_key)."""
        replay = self.get(data)
        if replay is None and self.has_shapes:
            shape = shape_key(data, limit_line, limit_field, limit_fields)
            if shape is not None:
                return shape, self.get(shape)
        return data, replay

    def admit(self, key) -> bool:
        """Whether to store an answer under *key* (raw bytes, or a shape) now."""
        seen = self._seen
        h = hash(key)
        if h in seen:
            return True
        if len(seen) >= MAX_ENTRIES:
            seen.clear()
        seen.add(h)
        return False

    def remember(self, raw, replay: Replay) -> None:
        if len(self) >= MAX_ENTRIES:
            self.clear()    # crude, and rare: a fresh start beats an LRU per request
            self.has_shapes = False
        if type(raw) is tuple:
            self.has_shapes = True
        self[raw] = replay
