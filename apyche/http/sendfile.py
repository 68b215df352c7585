"""Sending a file region to an asyncio transport, three ways.

All three senders share one signature and one contract::

    sent = await sender(transport, loop, fd, offset, count,
                        wait_drained=None, timeout=60.0)

* The file is read with explicit offsets (``os.sendfile``/``pread``/mmap):
  its file position is never used or moved, so one fd may serve many
  requests.
* ``sent < count`` means the file ended early (truncated while we sent it).
  The caller promised ``count`` bytes in Content-Length and must close the
  connection; nothing hangs and nothing raises in that case.
* A peer that went away (EPIPE, ECONNRESET, ENOTCONN, or the transport being
  closed under us) raises ``ConnectionResetError``.  ``timeout`` bounds each
  wait for the socket to accept more data (Apache's TimeOut for a write);
  expiry raises ``TimeoutError``.
* ``wait_drained`` is the protocol's flow-control hook: an async callable that
  returns once the protocol's ``resume_writing`` has been called (or at once
  if writing is not paused).  Without it we poll writability ourselves.

Zero-copy on uvloop (ANCHORS.md section A)
------------------------------------------
uvloop implements neither ``loop.sendfile`` nor ``loop.sock_sendfile`` and
refuses ``add_writer`` on a descriptor its transport owns.  So
:func:`send_file` does what CPython's ``_sendfile_native`` does, by hand:

1. pause reading (if we were reading) so no callbacks interleave;
2. set the transport's write-buffer limits to (0, 0) so ``resume_writing``
   fires exactly when the last buffered byte (the response head) reached the
   kernel, and wait for ``get_write_buffer_size() == 0`` -- headers must
   never arrive after the body (aiohttp#1093 / uvloop#50);
3. ``os.sendfile`` on the transport's socket; on EAGAIN wait for
   writability through ``loop.add_writer`` on a ``dup()`` of it (libuv
   allows one handle per descriptor).  The writer is one-shot, removed in
   its own callback, so a writable socket never spins the loop (uvloop#61);
4. restore the limits and reading state.

Steps 1, 2 and the dup are taken only once the send has to wait: when the
head is still buffered or the socket is full.  A client that reads takes
the head and a whole body in one go, and then a response costs just
``sendfile`` and the two corking calls (strace: 10 syscalls per keep-alive
1 MB response, nginx makes 10).

While the body goes out the socket is corked (TCP_CORK, Linux), as APR's
``apr_socket_sendfile`` does (APR_TCP_NOPUSH): segments leave full-sized
instead of one per sendfile wake-up.  With TCP_NODELAY on, that measured
about 14% more 1 MB responses per second on loopback, where the client's
per-segment work is the bottleneck.

The head is written before corking, so it leaves on its own.  Corking it
with the body (one segment fewer, as nginx and APR send them) measured
worse here: 1 MB keep-alive responses, 6 alternating rounds, median 1,371
against 1,522 a second; the server's CPU per response doubled (about 660
against 345 us) while wrk's fell (about 490 against 645 us).  Likely why
(not proven): on loopback the receiving side's TCP work runs in the
sender's context unless the receiver is reading at the time; a head sent
alone wakes the client, which then takes in the body itself.

The same code runs on the stdlib selector loop (which also refuses
add_writer on a transport's own fd), so one path is tested on both loops.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import mmap
import os
import socket
from typing import Awaitable, Callable

CHUNK = 256 * 1024
SENDFILE_CHUNK = 4 * 1024 * 1024  # per os.sendfile call; the socket buffer limits it anyway

_CLOSED_ERRNOS = {errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.EBADF}

WaitDrained = Callable[[], Awaitable[None]] | None


def transport_fd(transport: asyncio.Transport) -> int | None:
    """The socket descriptor behind a plain TCP transport, or None (TLS, pipes)."""
    if transport.get_extra_info("sslcontext") is not None:
        return None
    sock = transport.get_extra_info("socket")
    if sock is None:
        return None
    try:
        fd = sock.fileno()
    except (OSError, ValueError):
        return None
    return fd if fd >= 0 else None


_TCP_CORK = getattr(socket, "TCP_CORK", None)


def _libc_setsockopt():
    """libc's setsockopt, to cork a descriptor without a socket object:
    uvloop's transport socket builds one per call, and CPython's socket()
    validates the descriptor with getsockname(2) - two syscalls per
    response for nothing."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).setsockopt
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_uint)
    fn.restype = ctypes.c_int
    return fn


_setsockopt = _libc_setsockopt() if _TCP_CORK is not None else None
_ON, _OFF = ctypes.c_int(1), ctypes.c_int(0)


def _cork(fd: int, on: bool) -> bool:
    """TCP_CORK on or off; False where it is not available."""
    if _setsockopt is None:
        return False
    flag = _ON if on else _OFF
    return _setsockopt(fd, socket.IPPROTO_TCP, _TCP_CORK, ctypes.byref(flag),
                       ctypes.sizeof(flag)) == 0


def _closed() -> ConnectionResetError:
    return ConnectionResetError(errno.ECONNRESET, "connection closed during file send")


async def _writable(loop: asyncio.AbstractEventLoop, fd: int, timeout: float | None) -> None:
    """Wait once for ``fd`` to be writable (a one-shot add_writer)."""
    fut = loop.create_future()

    def ready() -> None:
        loop.remove_writer(fd)
        if not fut.done():
            fut.set_result(None)

    loop.add_writer(fd, ready)
    try:
        if timeout:
            await asyncio.wait_for(fut, timeout)
        else:
            await fut
    finally:
        loop.remove_writer(fd)


class _Waits:
    """What a send needs only once it has to wait (steps 1, 2 and the dup
    of step 3 above): reading paused, the write-buffer limits at (0, 0)
    and a ``dup()`` of the socket for ``add_writer``.  Set up at the first
    wait and undone by :meth:`end`; a body the kernel takes at once - the
    usual case for a keep-alive client that reads - costs none of it."""

    __slots__ = ("transport", "loop", "wait_drained", "timeout", "sock_fd", "pause",
                 "started", "paused", "old_limits", "dupfd")

    def __init__(self, transport, loop, wait_drained, timeout, sock_fd: int | None, *,
                 pause: bool) -> None:
        self.transport = transport
        self.loop = loop
        self.wait_drained = wait_drained
        self.timeout = timeout
        self.sock_fd = sock_fd
        self.pause = pause
        self.started = self.paused = False
        self.old_limits = None
        self.dupfd: int | None = None

    def start(self) -> None:
        # Called before an await, while the transport still owns sock_fd.
        self.started = True
        transport = self.transport
        if self.pause:
            self.paused = _pause(transport)
        try:
            self.old_limits = transport.get_write_buffer_limits()  # (low, high)
            transport.set_write_buffer_limits(high=0, low=0)
        except (AttributeError, NotImplementedError):
            self.old_limits = None
        if self.sock_fd is not None:
            self.dupfd = os.dup(self.sock_fd)

    async def drained(self) -> None:
        """Until the transport's write buffer is empty (the response head
        must reach the kernel before the body: aiohttp#1093 / uvloop#50)."""
        if not self.started:
            self.start()
        transport = self.transport
        while transport.get_write_buffer_size():
            if transport.is_closing():
                raise _closed()
            if self.wait_drained is not None:
                if self.timeout:
                    await asyncio.wait_for(self.wait_drained(), self.timeout)
                else:
                    await self.wait_drained()
                if transport.get_write_buffer_size():
                    # resume_writing may precede the final flush bookkeeping
                    # on some loops: give the loop one turn.
                    await asyncio.sleep(0)
            else:
                await _writable(self.loop, self.dupfd, self.timeout)
                await asyncio.sleep(0)  # let the transport flush on this wake-up
        if transport.is_closing():
            raise _closed()

    async def writable(self) -> None:
        """Until the socket takes more (after EAGAIN)."""
        if not self.started:
            self.start()
        await _writable(self.loop, self.dupfd, self.timeout)

    def end(self) -> None:
        if not self.started:
            return
        transport = self.transport
        if self.old_limits is not None and not transport.is_closing():
            low, high = self.old_limits
            transport.set_write_buffer_limits(high=high, low=low)
        if self.paused and not transport.is_closing():
            transport.resume_reading()
        if self.dupfd is not None:
            os.close(self.dupfd)


def _pause(transport) -> bool:
    try:
        if transport.is_reading():
            transport.pause_reading()
            return True
    except (AttributeError, NotImplementedError, RuntimeError):
        pass
    return False


async def send_file(transport: asyncio.Transport, loop: asyncio.AbstractEventLoop, fd: int,
                    offset: int, count: int, *, wait_drained: WaitDrained = None,
                    timeout: float | None = 60.0) -> int:
    """Zero-copy: ``os.sendfile`` from ``fd`` straight into the socket."""
    if count <= 0:
        return 0
    sock_fd = transport_fd(transport)
    if sock_fd is None:
        return await send_file_read(transport, loop, fd, offset, count,
                                    wait_drained=wait_drained, timeout=timeout)
    if transport.is_closing():
        raise _closed()
    waits = _Waits(transport, loop, wait_drained, timeout, sock_fd, pause=True)
    sent = 0
    corked = False
    # sock_fd is the transport's own descriptor: it is used only while the
    # transport is open (checked after every wait), so it cannot have been
    # closed and reused for another connection.
    try:
        if transport.get_write_buffer_size():
            await waits.drained()
        corked = _cork(sock_fd, True)
        remaining = count
        while remaining > 0:
            try:
                n = os.sendfile(sock_fd, fd, offset, min(remaining, SENDFILE_CHUNK))
            except BlockingIOError:
                await waits.writable()
                if transport.is_closing():
                    raise _closed() from None
                continue
            except InterruptedError:
                continue
            except OSError as exc:
                if exc.errno in _CLOSED_ERRNOS:
                    raise _closed() from exc
                raise
            if n == 0:
                break  # end of file: truncated under us
            sent += n
            offset += n
            remaining -= n
        return sent
    finally:
        if corked and not transport.is_closing():
            _cork(sock_fd, False)    # pushes out the last partial segment
        waits.end()


async def send_file_mmap(transport: asyncio.Transport, loop: asyncio.AbstractEventLoop, fd: int,
                         offset: int, count: int, *, wait_drained: WaitDrained = None,
                         timeout: float | None = 60.0) -> int:
    """EnableMMAP: write slices of a read-only mapping.

    A mapping turns a concurrent truncation into SIGBUS when a page past the
    new end is touched.  We re-``fstat`` before every slice and let the
    transport hold at most one slice (drain to empty between slices), which
    narrows that window to one slice -- the same hazard Apache documents for
    EnableMMAP on files that change while served.
    """
    if count <= 0:
        return 0
    size = os.fstat(fd).st_size
    end = min(offset + count, size)
    if end <= offset:
        return 0
    base = offset - offset % mmap.ALLOCATIONGRANULARITY
    sock_fd = transport_fd(transport)
    try:
        mm = mmap.mmap(fd, end - base, access=mmap.ACCESS_READ, offset=base)
    except (OSError, ValueError):
        return await send_file_read(transport, loop, fd, offset, count,
                                    wait_drained=wait_drained, timeout=timeout)
    drain = None
    if sock_fd is not None or wait_drained is not None:
        drain = _Waits(transport, loop, wait_drained, timeout, sock_fd, pause=False)
        drain.start()
    sent = 0
    view = memoryview(mm)
    try:
        pos = offset
        while pos < end:
            if transport.is_closing():
                raise _closed()
            stop = min(pos + CHUNK, end)
            if os.fstat(fd).st_size < stop:
                break  # truncated: stop before touching unmapped pages
            transport.write(view[pos - base:stop - base])
            sent += stop - pos
            pos = stop
            if drain is not None and transport.get_write_buffer_size():
                await drain.drained()
        if drain is not None and transport.get_write_buffer_size():
            await drain.drained()
        return sent
    finally:
        if drain is not None:
            drain.end()
        view.release()
        try:
            mm.close()
        except BufferError:
            pass  # the transport still references a slice; GC unmaps it later


async def send_file_read(transport: asyncio.Transport, loop: asyncio.AbstractEventLoop, fd: int,
                         offset: int, count: int, *, wait_drained: WaitDrained = None,
                         timeout: float | None = 60.0, chunk: int = CHUNK) -> int:
    """Plain ``pread`` + ``transport.write`` with backpressure.

    Reads happen on the loop thread: for page-cached files a pread is cheaper
    than an executor hop (Apache's worker also reads synchronously).
    """
    if count <= 0:
        return 0
    sent = 0
    remaining = count
    sock_fd = transport_fd(transport) if wait_drained is None else None
    while remaining > 0:
        if transport.is_closing():
            raise _closed()
        data = os.pread(fd, min(chunk, remaining), offset)
        if not data:
            break  # truncated
        transport.write(data)
        n = len(data)
        sent += n
        offset += n
        remaining -= n
        if transport.get_write_buffer_size() > chunk:
            if wait_drained is not None:
                if timeout:
                    await asyncio.wait_for(wait_drained(), timeout)
                else:
                    await wait_drained()
            elif sock_fd is not None:
                dupfd = os.dup(sock_fd)
                try:
                    while transport.get_write_buffer_size() > chunk and not transport.is_closing():
                        await _writable(loop, dupfd, timeout)
                        await asyncio.sleep(0)
                finally:
                    os.close(dupfd)
            else:
                await asyncio.sleep(0)
    return sent


SENDERS = {"sendfile": send_file, "mmap": send_file_mmap, "read": send_file_read}
