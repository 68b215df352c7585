"""Static answers given again: the site's side of replayed responses.

The full pipeline (``Site._handle``) decides once that a GET/HEAD of a
static file depended on nothing but the URL, the host and the files: no
Range or conditional headers, no symlink checks, no ``<If>``, no
per-request environment or header rewriting, access rules that are the same
for every client (``Site._remember_fast`` lists the conditions).  Such an
answer is remembered as a :class:`StaticEntry`, keyed by (listening
address, Host, target).  Two things replay it:

* ``Site._fast_path``: a request with the same URL and host, parsed, gets
  the stored headers and the kept bytes (a small file) or a fresh file
  body, once the entry still holds.
* the connection (apyche/http/replay.py): a request that repeats another's
  *bytes* is not even parsed; the :class:`StaticReplay` hook attached to
  the answer says whether it still holds (``check``) and logs it
  (``served``) exactly as ``Site.log_access`` would.

A negotiated answer (MultiViews, type maps) also depended on the request's
Accept* headers: its entry is not keyed by URL, only the byte replay uses
it, and its probes add the requested name, the directory and every variant.

Validity is what the pipeline read: the file's identity (inode, size,
mtime) and every .htaccess probed on the way (present or absent), all
stat()ed again - for replayed bytes at most once per tick of the loop's
validation clock (apyche/http/ticks.py): requests that were all waiting
when the loop woke up are checked together, and any request that arrives
later is checked again.
Small files (up to ``BODY_MAX``) are kept in memory, read once per
identity, within a per-site budget.
"""

from __future__ import annotations

import os

from ..http.ticks import LoopTick
from ..tree.walk import stat_key

# Bodies up to this size are replayed from memory (the protocol sends
# bodies this small with the head in one write anyway).
BODY_MAX = 64 * 1024
# Memory for replayed bodies, per site (worker).
BODY_BUDGET = 64 * 1024 * 1024


class ReplayState:
    """What one site (one event loop) shares among its entries: the memory
    left for bodies, and the loop's validation clock (``Site.bind_loop``
    sets the loop's)."""

    __slots__ = ("left", "tick")

    def __init__(self, size: int = BODY_BUDGET) -> None:
        self.left = size
        self.tick = LoopTick()


class StaticEntry:
    """What the pipeline decided for one (address, Host, target)."""

    __slots__ = ("filename", "signature", "probes", "headers", "sender", "exchange",
                 "body", "checked_at", "state", "hooks")

    def __init__(self, filename: str, signature: tuple, probes, headers: tuple, sender: str,
                 exchange, state: ReplayState) -> None:
        self.filename = filename
        self.signature = signature   # (st_ino, st_size, st_mtime_ns)
        self.probes = probes         # ((path, signature or None), ...)
        self.headers = headers
        self.sender = sender
        self.exchange = exchange
        self.state = state
        self.body: bytes | None = None
        self.checked_at = -1          # the tick (http/ticks.py) of the last validation
        self.hooks: dict[tuple, StaticReplay] = {}   # (method, HTTP version) -> shared hook

    def hook_for(self, site, request, response) -> "StaticReplay":
        """The replay hook of a parsed request answered from this entry
        (Site._fast_path).  When no access log of the entry's server reads
        request headers, every request with the same method and HTTP
        version logs the same line but for what varies per request, so
        they share one hook and its specialised formats; otherwise each
        answer gets its own."""
        key = (request.method, request.http_version)
        hook = self.hooks.get(key)
        if hook is None:
            hook = StaticReplay(self, site, request, response)
            if any(log.format.reads_request_headers
                   for log, _inherit in site.access_logs_for(self.exchange)):
                return hook
            hook.shared = True
            self.hooks[key] = hook
        return hook

    def valid(self) -> bool:
        """The file and every probed .htaccess are as they were."""
        if stat_key(self.filename) != self.signature:
            return False
        for path, key in self.probes:
            if stat_key(path) != key:
                return False
        return True

    def check(self) -> bytes | None:
        """The body to replay, or None when the answer no longer holds (or
        the file is too big to keep in memory)."""
        tick = self.state.tick.current()
        if self.checked_at == tick and self.body is not None:
            return self.body
        if not self.valid():
            self.checked_at = -1
            return None
        if self.body is None and not self._load():
            return None
        self.checked_at = tick
        return self.body

    def _load(self) -> bool:
        size = self.signature[1]
        if size > BODY_MAX or size > self.state.left:
            return False
        try:
            fd = os.open(self.filename, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return False
        try:
            st = os.fstat(fd)
            if (st.st_ino, st.st_size, st.st_mtime_ns) != self.signature:
                return False
            data = os.pread(fd, size, 0) if size else b""
        except OSError:
            return False
        finally:
            os.close(fd)
        if len(data) != size:
            return False
        self.body = data
        self.state.left -= size
        return True

    def release(self) -> None:
        if self.body is not None:
            self.state.left += len(self.body)
            self.body = None

    # An entry kept only by replay tables (a negotiated answer) is released
    # when the last table drops it.
    __del__ = release


class StaticReplay:
    """The replay hook of one answer (see apyche/http/replay.py).

    ``check`` is the entry's; ``served`` writes the access-log lines: the
    record of the answered request is built once, from this request, and
    each CustomLog's format is specialised to it, so a replayed request only
    fills in what varies (client, times, counters).
    """

    __slots__ = ("entry", "site", "request", "response", "_loggers", "_record", "check",
                 "shared")

    def __init__(self, entry: StaticEntry, site, request, response) -> None:
        self.shared = False   # serves every parsed request of its kind (hook_for)
        self.entry = entry
        self.site = site
        self.request = request
        self.response = response
        self._loggers = None
        self._record = None
        self.check = entry.check

    def served(self, client, start_us: int, sent: int, keepalives: int, keepalive: bool,
               bytes_in: int, bytes_out: int) -> None:
        loggers = self._loggers
        if loggers is None:
            loggers = self._specialise(client, start_us, sent)
        rec = self._record
        rec.remote_ip = client[0]
        rec.remote_port = client[1]
        rec.request_time_us = start_us
        rec.end_time_us = None
        rec.bytes_sent = sent
        rec.bytes_in = bytes_in
        rec.bytes_out = bytes_out
        rec.keepalives = keepalives
        rec.keepalive = keepalive
        for log in loggers:
            log(rec)

    def _specialise(self, client, start_us: int, sent: int):
        rec = self.site.log_record(self.request, self.entry.exchange, self.response, sent,
                                   start_us, client)
        self._record = rec
        loggers = []
        for access_log, _inherit in self.site.access_logs_for(self.entry.exchange):
            log = access_log.specialize(rec)
            if log is not None:
                loggers.append(log)
        self._loggers = loggers
        return loggers
