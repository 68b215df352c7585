"""Accepting connections, and answering those one read settles.

asyncio's ``create_server`` turns every accepted socket into a transport
and a protocol.  For a connection that carries one request and closes (a
client saying "Connection: close", HTTP/1.0, a load balancer's health
check) that setup and teardown costs more than the answer itself when the
answer is a stored one (``http/replay.py``): measured on the harness's
one-connection-per-request scenario, a bare uvloop transport server spent
about 100 us of CPU per connection, the same answer written on the
accepted socket about 85 us.

So a :class:`Listener` accepts by itself.  With ``AcceptFilter http data``
(Apache's default on Linux, which sets TCP_DEFER_ACCEPT) the kernel hands
over a connection only once its first bytes have arrived, so one recv()
right after accept() holds the request.  When those bytes are a stored
request whose answer closes the connection, the listener answers on the
spot: one send(), then the socket joins :class:`Tails`, which finishes a
partial write and does Apache's lingering close (shut down our side, read
and discard until the client closes, 2 s per read and 30 s in all) on an
epoll set of its own, with no transport, protocol or timer per connection.

Every other connection - nothing read yet, a request not stored, an answer
that keeps the connection open - becomes a transport whose HttpProtocol
starts from the bytes already read, exactly as if it had read them itself.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import select
import socket
import time
from functools import partial
from typing import Callable

from .limits import ConnectionPolicy
from .replay import MAX_KEY_BYTES

log = logging.getLogger("apyche.http")

# accept() calls per readiness event: enough to drain a burst, few enough
# that workers sharing the socket each get some of it
ACCEPT_BATCH = 32
# the first read: a request head (LimitRequestLine + fields fit a transport's
# later reads; this only has to hold what a stored request can be)
FIRST_READ = 64 * 1024
# how often Tails looks for sockets past their deadline
SWEEP_SECONDS = 0.5
# accept() failing for lack of descriptors or memory: wait this long
# before trying again (asyncio's loop waits as long)
ACCEPT_RETRY_SECONDS = 1.0
_RESOURCE_ERRNOS = frozenset((errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM))

_HAVE_EPOLL = hasattr(select, "epoll")
_DEFER_ACCEPT = getattr(socket, "TCP_DEFER_ACCEPT", None)
# An answer at accept is the connection's last write: MSG_MORE holds its
# part segment back until the shutdown() that follows adds the FIN to it,
# so the client takes in answer and FIN as one segment, not two.  Not
# without lingering: close() with unread input sends a reset, which would
# discard what is held back.
_SEND_LAST = socket.MSG_DONTWAIT | getattr(socket, "MSG_MORE", 0)


def set_accept_filter(sock: socket.socket, accept_filter: str | None) -> bool:
    """Apply ``AcceptFilter`` to a listening socket as ap_apply_accept_filter
    does where there are no BSD accept filters: any filter but "none" sets
    TCP_DEFER_ACCEPT to 30 seconds; no filter clears it (a graceful restart
    may change the directive on a socket it keeps).  Returns whether the
    option is now set."""
    if _DEFER_ACCEPT is None:
        return False
    seconds = 30 if accept_filter else 0
    try:
        sock.setsockopt(socket.IPPROTO_TCP, _DEFER_ACCEPT, seconds)
    except OSError as exc:
        if seconds:
            log.warning("Failed to enable APR_TCP_DEFER_ACCEPT: %s", exc)
        return False
    return bool(seconds)


def defers_accept(sock: socket.socket) -> bool:
    if _DEFER_ACCEPT is None:
        return False
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, _DEFER_ACCEPT) > 0
    except OSError:
        return False


class Tails:
    """Sockets answered at accept time, until they are closed: the rest of
    a partial write (each send bounded by TimeOut, as Apache bounds each
    write), then ap_lingering_close.  One epoll set for all of them; one
    timer sweeps deadlines while any are left."""

    def __init__(self, loop: asyncio.AbstractEventLoop, policy: ConnectionPolicy,
                 on_count: Callable[[int], None] | None = None) -> None:
        self._loop = loop
        # told how many sockets came (+) or went (-) since it was last told,
        # once per batch of accepts, of events, of a sweep (report())
        self._on_count = on_count
        self._reported = 0
        self._write_timeout = policy.timeout
        self._read_timeout = policy.lingering_read_timeout
        self._linger_max = policy.lingering_max
        self._ep = select.epoll()
        # fd -> [socket, unsent bytes or None, deadline, end of lingering]
        self._socks: dict[int, list] = {}
        self._sweep: asyncio.TimerHandle | None = None
        self._closing = False
        self._emptied: asyncio.Future | None = None
        loop.add_reader(self._ep.fileno(), self._on_events)

    def __len__(self) -> int:
        return len(self._socks)

    @property
    def closed(self) -> bool:
        return self._ep.closed

    def add(self, sock: socket.socket, unsent: memoryview | None) -> None:
        fd = sock.fileno()
        entry = [sock, None, 0.0, 0.0]
        self._socks[fd] = entry
        if unsent:
            entry[1] = unsent
            entry[2] = self._loop.time() + self._write_timeout
            self._ep.register(fd, select.EPOLLOUT)
        elif not self._linger(fd, entry, register=True):
            return
        if self._sweep is None:
            self._sweep = self._loop.call_later(SWEEP_SECONDS, self._on_sweep)

    def _linger(self, fd: int, entry: list, register: bool) -> bool:
        """Everything is sent: shut down our side and wait for the client's."""
        sock = entry[0]
        if not self._linger_max:
            self._drop(fd)
            return False
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._drop(fd)
            return False
        now = self._loop.time()
        entry[1] = None
        entry[3] = now + self._linger_max
        entry[2] = min(now + self._read_timeout, entry[3])
        if register:
            self._ep.register(fd, select.EPOLLIN)
        else:
            self._ep.modify(fd, select.EPOLLIN)
        return True

    def _drop(self, fd: int) -> None:
        entry = self._socks.pop(fd, None)
        if entry is not None:
            entry[0].close()    # also leaves the epoll set
        if not self._socks and self._closing:
            self._shut()

    def report(self) -> None:
        """Tell on_count what changed since it was last told."""
        n = len(self._socks)
        if n != self._reported and self._on_count is not None:
            self._on_count(n - self._reported)
            self._reported = n

    def _on_events(self) -> None:
        socks = self._socks
        for fd, _events in self._ep.poll(0):
            entry = socks.get(fd)
            if entry is None:
                continue
            sock, unsent = entry[0], entry[1]
            if unsent is not None:
                try:
                    n = sock.send(unsent, socket.MSG_DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:         # the client went away mid-answer
                    self._drop(fd)
                    continue
                if n < len(unsent):
                    entry[1] = unsent[n:]
                    entry[2] = self._loop.time() + self._write_timeout
                else:
                    self._linger(fd, entry, register=False)
                continue
            try:
                chunk = sock.recv(4096, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            now = self._loop.time()
            if not chunk or now >= entry[3]:
                self._drop(fd)
            else:
                entry[2] = min(now + self._read_timeout, entry[3])
        self.report()

    def _on_sweep(self) -> None:
        self._sweep = None
        now = self._loop.time()
        for fd in [fd for fd, entry in self._socks.items() if now >= entry[2]]:
            self._drop(fd)
        self.report()
        if self._socks:
            self._sweep = self._loop.call_later(SWEEP_SECONDS, self._on_sweep)

    def close(self) -> None:
        """No more sockets will come: go away once the last one is closed."""
        self._closing = True
        if not self._socks:
            self._shut()

    def abort_lingering(self) -> None:
        """Stopping: close every socket whose answer is fully sent (its FIN
        is out; lingering only protects the answer from a reset)."""
        for fd in [fd for fd, entry in self._socks.items() if entry[1] is None]:
            self._drop(fd)
        self.report()

    def _shut(self) -> None:
        if self._ep.closed:
            return
        self.report()
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        try:
            self._loop.remove_reader(self._ep.fileno())
        except (RuntimeError, ValueError):   # the loop is already closed
            pass
        self._ep.close()
        if self._emptied is not None and not self._emptied.done():
            self._emptied.set_result(None)

    async def wait_empty(self) -> None:
        if self._ep.closed:
            return
        if self._emptied is None:
            self._emptied = self._loop.create_future()
        await self._emptied


class Listener:
    """One listening socket served on the running loop: the part of
    ``asyncio.Server`` the server and the worker use (``close``,
    ``is_serving``, ``wait_closed``, ``sockets``), plus accept-time answers.

    ``factory(first, slot)`` makes the protocol of a handed-over connection,
    with the bytes already read from it and its scoreboard slot.  ``state``
    is the server's shared state (its replay tables); ``scoreboard`` the
    worker's board (``open(client)``, ``answered_at_accept``) or None.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket,
                 factory: Callable, state, policy: ConnectionPolicy, *,
                 scoreboard=None, backlog: int = 511) -> None:
        self._loop = loop
        self._sock = sock
        self._factory = factory
        self._state = state
        self._board = scoreboard
        self._persistent = policy.persistent
        self._limits = policy.head_limits
        self._send_flags = _SEND_LAST if policy.lingering_max else socket.MSG_DONTWAIT
        sock.setblocking(False)
        sock.listen(backlog)
        self._fd = sock.fileno()
        # socket.accept() turns family and type into enums on every call
        # (measured: 5% of a one-request connection); ours are fixed
        self._kind = (int(sock.family), int(sock.type), sock.proto)
        local = sock.getsockname()
        # a wildcard listener's connections each have their own local
        # address (vhosts by IP): ask the accepted socket for it
        self._local = None if local[0] in ("0.0.0.0", "::") else local
        self._tails = (Tails(loop, policy, scoreboard.add_lingering if scoreboard else None)
                       if _HAVE_EPOLL and sock.type == socket.SOCK_STREAM and defers_accept(sock)
                       else None)
        self._retry: asyncio.TimerHandle | None = None
        self._serving = True
        loop.add_reader(self._fd, self._on_readable)

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,) if self._serving else ()

    @property
    def open_answers(self) -> int:
        """Connections answered here and not closed yet (writing the rest,
        or lingering)."""
        return len(self._tails) if self._tails is not None else 0

    def is_serving(self) -> bool:
        return self._serving

    def close(self) -> None:
        """Stop accepting.  Connections already answered here finish."""
        if not self._serving:
            return
        self._serving = False
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        else:
            self._loop.remove_reader(self._fd)
        self._sock.close()
        if self._tails is not None:
            self._tails.close()

    async def wait_closed(self) -> None:
        """Until every socket answered here is closed; a stop makes the
        ones merely lingering close at once."""
        if self._tails is not None:
            if self._state.shutting_down:
                self._tails.abort_lingering()
            await self._tails.wait_empty()

    # -- accepting ------------------------------------------------------------------
    def _on_readable(self) -> None:
        # Accept (and read) the whole batch first, answer after: every
        # request of a batch then arrived before any answer of it left -
        # and before the checks of stored answers that start after it
        # (the loop's clock is made fresh: this accept() loop may have
        # taken connections made after checks earlier in this poll; see
        # http/ticks.py).  So a stored answer is validated once per batch
        # and never stale for a client that acted on an earlier answer.
        # No more connections than the worker has free slots: the board
        # may stop it accepting after.
        board = self._board
        limit = ACCEPT_BATCH if board is None else max(1, min(ACCEPT_BATCH, len(board.free)))
        accept = self._sock._accept
        family, kind, proto = self._kind
        new_socket = socket.socket
        reads = self._tails is not None
        batch = []
        for _ in range(limit):
            try:
                fd, client = accept()
                conn = new_socket(family, kind, proto, fd)
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                break
            except OSError as exc:
                if exc.errno in _RESOURCE_ERRNOS:
                    # out of descriptors: stop for a moment rather than
                    # spin on a readable socket
                    log.error("accept: (client socket) %s", exc)
                    self._loop.remove_reader(self._fd)
                    self._retry = self._loop.call_later(ACCEPT_RETRY_SECONDS, self._resume)
                else:
                    log.error("accept: %s", exc)
                break
            first = b""
            if reads:
                try:
                    first = conn.recv(FIRST_READ, socket.MSG_DONTWAIT)
                except OSError:    # nothing yet, or a reset: the transport finds out
                    first = b""
            batch.append((conn, client, first))
        self._state.tick.fresh()
        for conn, client, first in batch:
            if not (first and self._answer(conn, client, first)):
                self._hand_over(conn, client, first)
        if self._tails is not None:
            self._tails.report()

    def _resume(self) -> None:
        self._retry = None
        if self._serving:
            self._loop.add_reader(self._fd, self._on_readable)

    def _hand_over(self, conn: socket.socket, client, first: bytes) -> None:
        # The slot is opened now, not when the transport is made: the board
        # may stop this worker accepting (all slots in use) before the next
        # accept() of this batch.
        slot = self._board.open(client) if self._board is not None else None
        factory = (partial(self._factory, first, slot) if first or slot is not None
                   else self._factory)
        task = self._loop.create_task(self._loop.connect_accepted_socket(factory, conn))
        tasks = self._state.tasks
        tasks.add(task)
        task.add_done_callback(_task_done(tasks, slot))

    def _answer(self, conn: socket.socket, client, first: bytes) -> bool:
        """Answer ``first`` here if it is a stored request whose answer
        closes the connection (what HttpProtocol._answer_again would do on
        a fresh connection); False to leave it to a transport."""
        state = self._state
        if (not state.replays or len(first) > MAX_KEY_BYTES or state.shutting_down
                or self._tails.closed):
            return False
        local = self._local
        if local is None:
            try:
                local = conn.getsockname()
            except OSError:
                return False
        replays = state.replays.get(local)
        if not replays:
            return False
        key, replay = replays.lookup(first, *self._limits)
        # ap_set_keepalive on a connection's first request: it stays open
        # when the client wants it and KeepAlive allows it
        if replay is None or (replay.keep_alive and self._persistent):
            return False
        body = replay.hook.check()
        if body is None:
            replays.pop(key, None)   # stale: the handler decides again
            return False
        start_us = time.time_ns() // 1000
        message, sent = replay.message(body, False)
        try:
            n = conn.send(message, self._send_flags)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:            # reset already: logged as answered, as Apache does
            n = -1
        if n < 0:
            conn.close()
        else:
            self._tails.add(conn, memoryview(message)[n:] if n < len(message) else None)
        try:
            replay.hook.served(client, start_us, sent, 0, False, len(first), len(message))
        except Exception:
            log.exception("on_complete failed")
        if self._board is not None:
            self._board.answered_at_accept(client, replay.request, sent,
                                           (time.time_ns() // 1000 - start_us) / 1e6)
        return True


def _task_done(tasks: set, slot):
    def done(task: asyncio.Task) -> None:
        tasks.discard(task)
        if task.cancelled() or task.exception() is not None:
            # no transport was made (a stop, or the socket is gone): the
            # loop closed the socket; the slot is ours to give back
            if slot is not None:
                slot.close()
    return done
