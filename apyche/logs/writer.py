"""Where log lines go: files, piped loggers, BufferedLogs, and CustomLog.

Mirrors the writer half of modules/loggers/mod_log_config.c
(``ap_default_log_writer``, ``ap_buffered_log_writer``, ``flush_all_logs``)
and the piped-log half of server/log.c (``ap_open_piped_log``,
``piped_log_spawn``, ``piped_log_maintenance``).

Blocking, on purpose
--------------------
Apache writes each access-log line with one ``write(2)`` from the worker
that served the request.  We write from the event loop too: ``os.write`` on
an ``O_APPEND`` fd, no thread hop (a thread or ``aiofiles`` would cost more
than the write).  A small append to a local file goes to the page cache and
costs about a microsecond alone, but under load it measured a quarter of a
small keep-alive request's cost, so an access log on a regular file
(``TickSink``) sends the lines of one loop iteration in one write at its
end: still one ``write(2)`` per batch of whole lines, atomic on an
``O_APPEND`` file, so lines from many processes never interleave.  Pipes
keep one write per line (atomic only up to PIPE_BUF).  The honest risks are
the same as Apache's: a file on a stalled network filesystem, or a piped
logger that stops reading (the pipe fills and writes block).
``BufferedSink`` (BufferedLogs On) cuts the syscalls to one per 4 KiB.

Invariants
----------
- A sink is opened once, at config load, in the process that will fork the
  workers (Apache opens logs in ``open_logs`` in the parent; children
  inherit the fds).  Piped loggers are started once, not per worker.
- No line is dropped on a graceful stop: ``BufferedSink.close`` and
  ``LogSinks.close_all`` flush first.  Apache flushes buffered logs in a
  child-pool cleanup (``flush_all_logs``); the server calls
  ``LogSinks.flush_all()`` at the same point.
- Write errors never propagate into the request: ``AccessLog.log`` reports
  them through ``on_error`` like AH00646 "Error writing to %s".
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from typing import Callable, Mapping, Protocol

from .format import LogFormat, LogRecord, compile_format

__all__ = [
    "LOG_BUFSIZE", "AccessLog", "BufferedSink", "FileSink", "LogConfigError",
    "LogSinks", "PipeSink", "Sink", "TickSink", "check_log_dir", "parse_condition",
    "resolve_log_path",
]

# mod_log_config.c: LOG_BUFSIZE is PIPE_BUF (4096 on Linux), the largest
# write POSIX promises to be atomic on a pipe.
LOG_BUFSIZE = getattr(os, "PIPE_BUF", None) or 4096
if LOG_BUFSIZE < 512:
    LOG_BUFSIZE = 512

# APR_OS_DEFAULT: 0666, narrowed by the umask.
_FILE_MODE = 0o666
_OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


class LogConfigError(ValueError):
    """A CustomLog/ErrorLog argument Apache (or apyche) rejects."""


class Sink(Protocol):
    target: str

    def write(self, data: bytes) -> None: ...
    def flush(self) -> None: ...
    def reopen(self) -> None: ...
    def close(self) -> None: ...


def _write_all(fd: int, data: bytes) -> None:
    n = os.write(fd, data)
    while n < len(data):        # short write (signal, disk full...): finish
        data = data[n:]
        n = os.write(fd, data)


def resolve_log_path(name: str, server_root: str | None) -> str:
    """``ap_server_root_relative``: relative names hang off ServerRoot."""
    if server_root and not os.path.isabs(name):
        return os.path.join(server_root, name)
    return name


def check_log_dir(path: str) -> str | None:
    """``check_log_dir``: the message Apache gives when the directory is bad.

    Returns None when the directory exists; the caller adds
    " defined at FILE:LINE" (AH02297).
    """
    d = os.path.dirname(path) or "."
    if not os.path.exists(d):
        return "Cannot access directory '%s/' for log file '%s'" % (d, path)
    if not os.path.isdir(d):
        return "Cannot access directory '%s/' for log file '%s'" % (d, path)
    return None


class FileSink:
    """An append-only log file; ``reopen()`` after an external rotation."""

    __slots__ = ("target", "path", "fd")

    def __init__(self, path: str, target: str | None = None):
        self.path = path
        self.target = target if target is not None else path
        self.fd = os.open(path, _OPEN_FLAGS, _FILE_MODE)

    def write(self, data: bytes) -> None:
        _write_all(self.fd, data)

    def flush(self) -> None:
        pass                     # unbuffered: every write is a write(2)

    def reopen(self) -> None:
        """Open the path again (logrotate's ``create``), then retire the old fd.

        The new fd is in place before the old one closes, so a concurrent
        writer sees one or the other, never a closed descriptor.
        """
        new = os.open(self.path, _OPEN_FLAGS, _FILE_MODE)
        old, self.fd = self.fd, new
        os.close(old)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __repr__(self) -> str:
        return "FileSink(%r)" % self.path


class PipeSink:
    """A piped logger: ``CustomLog "|prog args"`` / ``"||prog"`` / ``"|$cmd"``.

    ``command`` is the text after the first ``|``.  As in 2.4's
    ``ap_open_piped_log``: a second ``|`` is accepted for compatibility, a
    leading ``$`` runs the rest through ``/bin/sh -c`` (APR_SHELLCMD_ENV),
    otherwise the words are split with shell-like quoting and the program is
    executed directly (APR_PROGRAM_ENV: no shell).

    We own both ends of the pipe and keep the read end open, as Apache's
    ``piped_log`` does, so a logger that dies does not turn writes into
    EPIPE: lines wait in the pipe until ``maintain()`` (called from the
    master's maintenance tick, like ``piped_log_maintenance``) starts a new
    logger on the same pipe.
    """

    __slots__ = ("target", "command", "argv", "read_fd", "write_fd", "proc",
                 "stderr", "restarts")

    def __init__(self, command: str, target: str | None = None,
                 stderr: int | None = None):
        self.target = target if target is not None else "|" + command
        prog = command[1:] if command.startswith("|") else command
        if prog.startswith("$"):
            self.argv = ["/bin/sh", "-c", prog[1:]]
        else:
            try:
                self.argv = shlex.split(prog)
            except ValueError as e:
                raise LogConfigError("Couldn't start piped log process '%s': %s"
                                     % (prog, e)) from None
        if not self.argv or not self.argv[0]:
            raise LogConfigError("Couldn't start piped log process '%s'." % prog)
        self.command = prog
        self.stderr = stderr
        self.restarts = 0
        self.read_fd, self.write_fd = os.pipe()
        os.set_inheritable(self.write_fd, False)
        self.proc: subprocess.Popen[bytes] | None = None
        self._spawn()

    def _spawn(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=self.read_fd, stderr=self.stderr,
                close_fds=True, start_new_session=False)
        except OSError as e:
            raise LogConfigError("Couldn't start piped log process '%s': %s"
                                 % (self.command, e)) from None

    def write(self, data: bytes) -> None:
        _write_all(self.write_fd, data)

    def flush(self) -> None:
        pass

    def reopen(self) -> None:
        pass                     # the logger rotates by itself (rotatelogs)

    def maintain(self) -> bool:
        """Restart a logger that exited; True if one was restarted."""
        if self.proc is not None and self.proc.poll() is not None \
                and self.write_fd >= 0:
            self.restarts += 1
            self._spawn()
            return True
        return False

    def close(self, timeout: float = 5.0) -> None:
        """Close our ends (the logger sees EOF) and reap it, bounded."""
        for attr in ("write_fd", "read_fd"):
            fd = getattr(self, attr)
            if fd >= 0:
                os.close(fd)
                setattr(self, attr, -1)
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()

    def __repr__(self) -> str:
        return "PipeSink(%r)" % self.command


class BufferedSink:
    """BufferedLogs On: ``ap_buffered_log_writer`` over another sink.

    A line that would overflow the buffer flushes it first; a line of
    LOG_BUFSIZE bytes or more is written straight through; otherwise it is
    appended.  Apache flushes only then and at child exit -- call
    ``flush()``/``close()`` on a graceful stop so nothing is lost.

    Apache takes a mutex per buffer only under a threaded MPM
    (``init_child``).  Likewise: ``threadsafe=True`` adds a lock, for
    sinks shared with executor threads; an event-loop-only sink needs none
    (and an uncontended ``threading.Lock`` measured ~350 ns here, more
    than the append it protects).
    """

    __slots__ = ("target", "inner", "size", "_buf", "_len", "_lock")

    def __init__(self, inner: Sink, size: int = LOG_BUFSIZE,
                 threadsafe: bool = False):
        self.inner = inner
        self.target = inner.target
        self.size = size
        self._buf: list[bytes] = []
        self._len = 0
        self._lock = threading.Lock() if threadsafe else None

    def write(self, data: bytes) -> None:
        if self._lock is not None:
            with self._lock:
                self._write(data)
            return
        # unlocked fast path: same steps as _write, inlined
        n = len(data)
        if n + self._len > self.size:
            self._flush_unlocked()
        if n >= self.size:
            self.inner.write(data)
        else:
            self._buf.append(data)
            self._len += n

    def _write(self, data: bytes) -> None:
        n = len(data)
        if n + self._len > self.size:
            self._flush_unlocked()
        if n >= self.size:
            self.inner.write(data)
        else:
            self._buf.append(data)
            self._len += n

    def _flush_unlocked(self) -> None:
        if self._len:
            data = b"".join(self._buf)
            self._buf.clear()
            self._len = 0
            self.inner.write(data)

    @property
    def pending(self) -> int:
        """Bytes held in memory, not yet written."""
        return self._len

    def flush(self) -> None:
        if self._lock is not None:
            with self._lock:
                self._flush_unlocked()
        else:
            self._flush_unlocked()

    def reopen(self) -> None:
        self.flush()               # old lines belong in the old file
        self.inner.reopen()

    def close(self) -> None:
        self.flush()
        self.inner.close()

    def __repr__(self) -> str:
        return "BufferedSink(%r)" % (self.inner,)


class TickSink:
    """BufferedLogs Off, on an event loop: the lines written during one
    loop iteration leave together, in one ``write(2)`` at its end.

    Apache writes each line as it is made; a worker on an event loop answers
    many requests per wakeup, and one write per line measured about a
    quarter of a small keep-alive request's cost (a bare uvloop loop
    serving 10 KB under wrk: 26.7k req/s without a log, 20.3k with one
    write per line).  A line waits at most until the loop finishes the
    callbacks it is running - it never waits for another request - and a
    graceful stop flushes it (``flush``/``close``).  The loop is the one
    the worker bound (``loop``, set after fork by ``LogSinks.bind_loop``;
    asking asyncio for the running loop costs a getpid(2) per call); with
    none bound, or a closed one, writes go straight through.  Only regular
    files are wrapped: one append of many lines is as atomic there as one
    of a single line, which is not true of a pipe past PIPE_BUF.
    """

    __slots__ = ("target", "inner", "_buf", "on_error", "loop")

    def __init__(self, inner: Sink, on_error: Callable[[str], None] | None = None):
        self.inner = inner
        self.target = inner.target
        self._buf: list[bytes] = []
        self.on_error = on_error or _report
        self.loop = None

    def write(self, data: bytes) -> None:
        buf = self._buf
        if buf:
            buf.append(data)
            return
        loop = self.loop
        if loop is None or loop.is_closed():
            self.inner.write(data)
            return
        buf.append(data)
        loop.call_soon(self._flush_at_tick_end)

    def _flush_at_tick_end(self) -> None:
        try:
            self.flush()
        except OSError as e:
            self.on_error("AH00646: Error writing to %s: %s" % (self.target, e))

    @property
    def pending(self) -> int:
        return sum(map(len, self._buf))

    def flush(self) -> None:
        buf = self._buf
        if buf:
            data = buf[0] if len(buf) == 1 else b"".join(buf)
            buf.clear()
            self.inner.write(data)

    def reopen(self) -> None:
        self.flush()
        self.inner.reopen()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.inner.close()

    def __repr__(self) -> str:
        return "TickSink(%r)" % (self.inner,)


def _env_get(env: Mapping[str, str], name: str) -> str | None:
    v = env.get(name)
    if v is None and env:
        lname = name.lower()
        for k, val in env.items():      # APR tables ignore case
            if k.lower() == lname:
                return val
    return v


def parse_condition(clause: str | None) -> Callable[[Mapping[str, str]], bool] | None:
    """The third CustomLog argument (``add_custom_log``) -> test on env.

    ``env=VAR`` logs when VAR is set (to anything, even ""), ``env=!VAR``
    when it is not.  ``expr=`` needs ap_expr, which apyche does not have
    yet: it is refused at config time rather than silently ignored.
    """
    if clause is None:
        return None
    low = clause.lower()
    if low.startswith("env="):
        var = clause[4:]
        if var == "" or var == "!":
            raise LogConfigError("missing environment variable name")
        if var.startswith("!"):
            name = var[1:]
            return lambda env: _env_get(env, name) is None
        return lambda env: _env_get(env, var) is not None
    if low.startswith("expr="):
        if clause[5:] == "":
            raise LogConfigError("missing condition")
        raise LogConfigError(
            "CustomLog expr= conditions are not supported by apyche yet "
            "(no ap_expr evaluator); use SetEnvIf plus env=VAR instead")
    raise LogConfigError("error in condition clause")


def _report(message: str) -> None:
    import sys
    sys.stderr.write(message + "\n")


class AccessLog:
    """One CustomLog/TransferLog: a compiled format, a sink, a condition.

    ``log(record)`` is the whole per-request path: condition check, one
    generated format call, one encode, one sink write.
    """

    __slots__ = ("sink", "format", "condition", "on_error", "_fmt")

    def __init__(self, sink: Sink, fmt: LogFormat | str,
                 condition: Callable[[Mapping[str, str]], bool] | str | None = None,
                 on_error: Callable[[str], None] | None = None):
        self.sink = sink
        self.format = compile_format(fmt) if isinstance(fmt, str) else fmt
        self._fmt = self.format.format
        if isinstance(condition, str):
            condition = parse_condition(condition)
        self.condition = condition
        self.on_error = on_error or _report

    def log(self, record: LogRecord) -> bool:
        """Format and write one line; False if the condition declined it."""
        cond = self.condition
        if cond is not None and not cond(record.env):
            return False
        data = self._fmt(record).encode("utf-8", "surrogateescape")
        try:
            self.sink.write(data)
        except OSError as e:
            self.on_error("AH00646: Error writing to %s: %s"
                          % (self.sink.target, e))
        return True

    def specialize(self, sample: LogRecord) -> Callable[[LogRecord], None] | None:
        """``log`` for records that differ from *sample* only in what varies
        per request (``LogFormat.specialize``); None when the condition
        declines *sample* (it depends on the environment, which does not
        vary)."""
        cond = self.condition
        if cond is not None and not cond(sample.env):
            return None
        fmt = self.format.specialize(sample)
        sink = self.sink
        on_error = self.on_error

        def log(record: LogRecord) -> None:
            try:
                sink.write(fmt(record).encode("utf-8", "surrogateescape"))
            except OSError as e:
                on_error("AH00646: Error writing to %s: %s" % (sink.target, e))
        return log


class LogSinks:
    """Every sink the config opened, so they can be flushed, rotated, closed.

    ``open(target)`` understands CustomLog/ErrorLog targets: ``|...`` is a
    piped logger, anything else a path relative to ServerRoot.  With
    ``buffered=True`` (BufferedLogs On) access-log sinks are wrapped in a
    ``BufferedSink``; otherwise ``per_tick=True`` batches a file's lines per
    event-loop iteration (``TickSink``).  Each call opens a new sink, as each CustomLog line
    does in Apache.
    """

    def __init__(self, server_root: str | None = None,
                 buffered: bool = False):
        self.server_root = server_root
        self.buffered = buffered
        self.sinks: list[Sink] = []

    def open(self, target: str, buffered: bool | None = None,
             stderr: int | None = None, per_tick: bool = False) -> Sink:
        if target.startswith("|"):
            sink: Sink = PipeSink(target[1:], target=target, stderr=stderr)
        else:
            path = resolve_log_path(target, self.server_root)
            try:
                sink = FileSink(path, target=target)
            except OSError as e:
                raise LogConfigError("could not open transfer log file %s. (%s)"
                                     % (path, e.strerror)) from None
        if self.buffered if buffered is None else buffered:
            sink = BufferedSink(sink)
        elif per_tick and isinstance(sink, FileSink):
            sink = TickSink(sink)
        self.sinks.append(sink)
        return sink

    def flush_all(self) -> None:
        for s in self.sinks:
            s.flush()

    def bind_loop(self, loop) -> None:
        """The event loop of this process (a worker, after fork): per-tick
        sinks batch their lines on it."""
        for s in self.sinks:
            if isinstance(s, TickSink):
                s.loop = loop

    def reopen_all(self) -> None:
        for s in self.sinks:
            s.reopen()

    def maintain(self) -> None:
        """Restart dead piped loggers (call from the master's tick)."""
        for s in self.sinks:
            inner = s.inner if isinstance(s, BufferedSink) else s
            if isinstance(inner, PipeSink):
                inner.maintain()

    def close_all(self) -> None:
        for s in self.sinks:
            try:
                s.close()
            except OSError:
                pass
        self.sinks.clear()
