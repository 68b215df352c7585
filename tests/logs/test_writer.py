"""Sinks: files, reopen, piped loggers, BufferedLogs, CustomLog conditions."""

from __future__ import annotations

import os
import stat
import sys
import time

import pytest

from apyche.logs.format import LogRecord
from apyche.logs.writer import (LOG_BUFSIZE, AccessLog, BufferedSink,
                                FileSink, LogConfigError, LogSinks, PipeSink,
                                parse_condition)


def _wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def _read(p) -> bytes:
    try:
        with open(p, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


class ListSink:
    target = "list"

    def __init__(self):
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data):
        self.writes.append(data)

    def flush(self):
        pass

    def reopen(self):
        self.writes.append(b"<reopen>")

    def close(self):
        self.closed = True


# --- files -----------------------------------------------------------------

def test_file_sink_appends_and_creates(tmp_path):
    p = tmp_path / "access.log"
    p.write_bytes(b"old\n")
    s = FileSink(str(p))
    s.write(b"a\n")
    s.write(b"b\n")
    s.close()
    assert p.read_bytes() == b"old\na\nb\n"


def test_file_sink_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        s = FileSink(str(tmp_path / "m.log"))
        s.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.log").st_mode) == 0o640


def test_file_reopen_after_rotation(tmp_path):
    p = tmp_path / "access.log"
    s = FileSink(str(p))
    s.write(b"before\n")
    os.rename(p, tmp_path / "access.log.1")
    s.write(b"still old\n")           # the fd follows the renamed file
    s.reopen()
    s.write(b"after\n")
    s.close()
    assert (tmp_path / "access.log.1").read_bytes() == b"before\nstill old\n"
    assert p.read_bytes() == b"after\n"


# --- BufferedLogs ------------------------------------------------------------

def test_buffered_holds_until_buffer_would_overflow():
    inner = ListSink()
    b = BufferedSink(inner, size=100)
    line = b"x" * 39 + b"\n"            # 40 bytes
    b.write(line)
    b.write(line)                        # 80 held
    assert inner.writes == [] and b.pending == 80
    b.write(line)                        # 120 > 100: flush the 80 first
    assert inner.writes == [line * 2] and b.pending == 40


def test_buffered_exactly_full_is_not_flushed():
    inner = ListSink()
    b = BufferedSink(inner, size=80)
    b.write(b"x" * 40)
    b.write(b"y" * 40)                   # len + outcnt == size: no flush
    assert inner.writes == [] and b.pending == 80


def test_buffered_big_line_goes_straight_through_after_flush():
    inner = ListSink()
    b = BufferedSink(inner, size=100)
    b.write(b"a" * 10)
    b.write(b"B" * 100)                  # >= size: flush, then direct write
    assert inner.writes == [b"a" * 10, b"B" * 100] and b.pending == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PIPE_BUF")
def test_buffered_default_size_is_pipe_buf():
    # LOG_BUFSIZE is PIPE_BUF, 4096 on Linux
    assert BufferedSink(ListSink()).size == LOG_BUFSIZE == 4096


def test_buffered_close_flushes_everything(tmp_path):
    p = tmp_path / "b.log"
    b = BufferedSink(FileSink(str(p)))
    lines = [b"line %d\n" % i for i in range(1000)]
    for line in lines:
        b.write(line)
    assert 0 < len(p.read_bytes()) < sum(map(len, lines))
    b.close()
    assert p.read_bytes() == b"".join(lines)


def test_buffered_flush_writes_pending_lines(tmp_path):
    p = tmp_path / "b.log"
    b = BufferedSink(FileSink(str(p)))
    b.write(b"one\n")
    assert p.read_bytes() == b""
    b.flush()
    assert p.read_bytes() == b"one\n"
    b.close()


def test_buffered_reopen_flushes_into_the_old_file(tmp_path):
    p = tmp_path / "b.log"
    b = BufferedSink(FileSink(str(p)))
    b.write(b"old\n")
    os.rename(p, tmp_path / "b.log.1")
    b.reopen()
    b.write(b"new\n")
    b.close()
    assert (tmp_path / "b.log.1").read_bytes() == b"old\n"
    assert p.read_bytes() == b"new\n"


# --- piped logs --------------------------------------------------------------

def test_piped_log_receives_lines_through_shell(tmp_path):
    out = tmp_path / "piped.log"
    s = PipeSink("$cat >> '%s'" % out)
    assert s.argv[:2] == ["/bin/sh", "-c"]
    s.write(b"one\n")
    s.write(b"two\n")
    s.close()
    assert out.read_bytes() == b"one\ntwo\n"


def test_piped_log_runs_program_without_shell(tmp_path):
    out = tmp_path / "direct.log"
    script = "import sys; open(sys.argv[1], 'ab').write(sys.stdin.buffer.read())"
    s = PipeSink('%s -c "%s" %s' % (sys.executable, script, out))
    assert s.argv[0] == sys.executable and s.argv[3] == str(out)
    s.write(b"x\n")
    s.close()
    assert out.read_bytes() == b"x\n"


def test_double_pipe_is_accepted(tmp_path):
    out = tmp_path / "dp.log"
    s = PipeSink("|$cat > '%s'" % out)       # CustomLog "||$..."
    s.write(b"y\n")
    s.close()
    assert out.read_bytes() == b"y\n"


def test_piped_logger_restarted_without_losing_lines(tmp_path):
    out = tmp_path / "restart.log"
    # logger takes one line, then exits
    s = PipeSink("$head -n 1 >> '%s'" % out)
    s.write(b"first\n")
    assert _wait_for(lambda: s.proc.poll() is not None)
    s.write(b"second\n")            # no EPIPE: we hold the read end
    assert s.maintain() is True
    assert _wait_for(lambda: _read(out) == b"first\nsecond\n")
    s.close()
    assert s.restarts == 1


def test_piped_log_bad_program_is_a_config_error():
    with pytest.raises(LogConfigError):
        PipeSink("/nonexistent/logger")


# --- conditions and AccessLog --------------------------------------------------

@pytest.mark.parametrize("clause,env,logged", [
    ("env=LOGME", {"LOGME": "1"}, True),
    ("env=LOGME", {"LOGME": ""}, True),
    ("env=LOGME", {}, False),
    ("env=logme", {"LOGME": "1"}, True),     # APR tables ignore case
    ("ENV=LOGME", {"LOGME": "1"}, True),
    ("env=!dontlog", {}, True),
    ("env=!dontlog", {"dontlog": "1"}, False),
])
def test_env_condition(clause, env, logged):
    assert parse_condition(clause)(env) is logged


@pytest.mark.parametrize("clause,msg", [
    ("env=", "missing environment variable name"),
    ("env=!", "missing environment variable name"),
    ("expr=", "missing condition"),
    ("bogus", "error in condition clause"),
])
def test_condition_errors_use_apaches_words(clause, msg):
    with pytest.raises(LogConfigError) as e:
        parse_condition(clause)
    assert str(e.value) == msg


def test_expr_condition_is_refused_clearly():
    with pytest.raises(LogConfigError) as e:
        parse_condition("expr=%{REQUEST_STATUS} >= 400")
    assert "expr=" in str(e.value) and "not supported" in str(e.value)


def test_access_log_writes_one_line_per_request():
    sink = ListSink()
    log = AccessLog(sink, "%U %>s", condition="env=!skip")
    assert log.log(LogRecord(uri="/a", status=200)) is True
    assert log.log(LogRecord(uri="/b", env={"skip": "1"})) is False
    assert sink.writes == [b"/a 200\n"]


def test_access_log_reports_write_errors_instead_of_raising():
    class Broken(ListSink):
        def write(self, data):
            raise OSError(28, "No space left on device")

    errors = []
    log = AccessLog(Broken(), "%U", on_error=errors.append)
    assert log.log(LogRecord()) is True
    assert errors and errors[0].startswith("AH00646: Error writing to list")


def test_log_sinks_resolve_relative_to_server_root(tmp_path):
    sinks = LogSinks(server_root=str(tmp_path), buffered=True)
    s = sinks.open("logs.txt")
    assert isinstance(s, BufferedSink) and s.target == "logs.txt"
    s.write(b"z\n")
    assert (tmp_path / "logs.txt").read_bytes() == b""
    sinks.flush_all()
    assert (tmp_path / "logs.txt").read_bytes() == b"z\n"
    sinks.close_all()


def test_log_sinks_graceful_close_loses_nothing(tmp_path):
    sinks = LogSinks(server_root=str(tmp_path), buffered=True)
    a = AccessLog(sinks.open("a.log"), "%U")
    b = AccessLog(sinks.open("|$cat > '%s'" % (tmp_path / "p.log")), "%U")
    for i in range(500):
        a.log(LogRecord(uri="/%d" % i))
        b.log(LogRecord(uri="/%d" % i))
    sinks.close_all()
    want = "".join("/%d\n" % i for i in range(500)).encode()
    assert (tmp_path / "a.log").read_bytes() == want
    assert (tmp_path / "p.log").read_bytes() == want


def test_open_failure_is_a_config_error(tmp_path):
    with pytest.raises(LogConfigError) as e:
        LogSinks().open(str(tmp_path / "no" / "such" / "dir.log"))
    assert "could not open transfer log file" in str(e.value)


def test_threadsafe_buffered_sink_keeps_every_line(tmp_path):
    import threading
    p = tmp_path / "t.log"
    b = BufferedSink(FileSink(str(p)), threadsafe=True)
    lines = [b"%02d-%04d\n" % (t, i) for t in range(4) for i in range(2000)]

    def worker(t):
        for i in range(2000):
            b.write(b"%02d-%04d\n" % (t, i))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    b.close()
    assert sorted(p.read_bytes().splitlines(keepends=True)) == sorted(lines)


# --- TickSink: one write per event-loop iteration ------------------------------

def test_tick_sink_without_a_bound_loop_writes_at_once():
    from apyche.logs.writer import TickSink
    inner = ListSink()
    sink = TickSink(inner)
    sink.write(b"a\n")
    sink.write(b"b\n")
    assert inner.writes == [b"a\n", b"b\n"]


def test_tick_sink_batches_lines_of_one_loop_iteration():
    import asyncio
    from apyche.logs.writer import TickSink
    inner = ListSink()
    sink = TickSink(inner)

    async def main():
        sink.loop = asyncio.get_running_loop()   # LogSinks.bind_loop in a worker
        for i in range(3):
            sink.write(b"%d\n" % i)
        assert inner.writes == [] and sink.pending == 6
        await asyncio.sleep(0)          # the iteration ends: one write
        assert inner.writes == [b"0\n1\n2\n"]
        sink.write(b"3\n")
        await asyncio.sleep(0)
        assert inner.writes == [b"0\n1\n2\n", b"3\n"]
        sink.write(b"4\n")
        sink.close()                    # a stop flushes what is pending
        assert inner.writes[-1] == b"4\n" and inner.closed

    asyncio.run(main())


def test_tick_sink_reports_write_errors_like_apache(tmp_path):
    import asyncio
    from apyche.logs.writer import TickSink

    class Failing(ListSink):
        def write(self, data):
            raise OSError(28, "No space left on device")

    errors = []
    sink = TickSink(Failing(), on_error=errors.append)

    async def main():
        sink.loop = asyncio.get_running_loop()
        sink.write(b"x\n")
        await asyncio.sleep(0)

    asyncio.run(main())
    assert errors == ["AH00646: Error writing to list: [Errno 28] No space left on device"]


def test_access_logs_on_files_are_tick_batched_and_pipes_are_not(tmp_path):
    from apyche.logs.writer import LogSinks, PipeSink, TickSink
    sinks = LogSinks(str(tmp_path))
    assert isinstance(sinks.open("access.log", per_tick=True), TickSink)
    pipe = sinks.open("|cat > /dev/null", per_tick=True)
    assert isinstance(pipe, PipeSink)
    sinks.close_all()


def test_bind_loop_reaches_the_tick_sinks(tmp_path):
    import asyncio
    from apyche.logs.writer import LogSinks
    sinks = LogSinks(str(tmp_path))
    sink = sinks.open("access.log", per_tick=True)
    loop = asyncio.new_event_loop()
    try:
        sinks.bind_loop(loop)
        assert sink.loop is loop
        loop.close()
        sink.write(b"after the loop closed\n")     # straight through
        assert (tmp_path / "access.log").read_bytes() == b"after the loop closed\n"
    finally:
        sinks.close_all()
