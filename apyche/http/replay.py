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
* ``served(client, start_us, sent, keepalives, keepalive)``: the request
  was answered; log it as the handler would have.

What the connection still decides per request, exactly as for a parsed
request: keep-alive (MaxKeepAliveRequests, KeepAlive, graceful stop), the
Date header, the idle timer, the scoreboard.  Only requests whose framing
cannot differ are stored: no body, no "Expect", no "keep-alive" token
(whose response header counts down), no protocol error.
"""

from __future__ import annotations

from .response import http_date_line_bytes

# Bounds of one listener's table: heads longer than this are not stored
# (a 1-2 KiB browser head with cookies is), nor more heads than this.
MAX_KEY_BYTES = 4096
MAX_ENTRIES = 4096


class Replay:
    """One stored answer: its head around the Date line, and the hook."""

    __slots__ = ("hook", "request", "status_line", "rest_keep", "rest_close", "head_only",
                 "keep_alive")

    def __init__(self, hook, request, status_line: bytes, rest_keep: bytes, rest_close: bytes,
                 head_only: bool, keep_alive: bool) -> None:
        self.hook = hook
        self.request = request          # the parsed original (scoreboard details)
        self.status_line = status_line  # "HTTP/1.1 200 OK\r\n"
        self.rest_keep = rest_keep      # the head after Date, connection kept
        self.rest_close = rest_close    # ... with "Connection: close"
        self.head_only = head_only
        self.keep_alive = keep_alive    # the client's side of ap_set_keepalive

    def message(self, body: bytes, keep: bool) -> tuple[bytes, int]:
        """The answer as sent now: the stored head around a fresh Date,
        with or without "Connection: close", then ``body`` (none for HEAD);
        and the body bytes it holds."""
        rest = self.rest_keep if keep else self.rest_close
        if self.head_only:
            return b"".join((self.status_line, http_date_line_bytes(), rest)), 0
        return b"".join((self.status_line, http_date_line_bytes(), rest, body)), len(body)


class ReplayTable(dict):
    """raw request bytes -> Replay, for one listening address.

    A head is stored the second time it is answered, not the first: a
    stream of one-off requests (a counter in a header, a fresh cookie)
    would otherwise pay for building answers nobody asks for again.
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[int] = set()

    def admit(self, raw: bytes) -> bool:
        """Whether to store an answer for *raw* now."""
        if len(raw) > MAX_KEY_BYTES:
            return False
        seen = self._seen
        h = hash(raw)
        if h in seen:
            return True
        if len(seen) >= MAX_ENTRIES:
            seen.clear()
        seen.add(h)
        return False

    def remember(self, raw: bytes, replay: Replay) -> None:
        if len(self) >= MAX_ENTRIES:
            self.clear()    # crude, and rare: a fresh start beats an LRU per request
        self[raw] = replay
