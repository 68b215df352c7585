"""ErrorLog: LogLevel filtering, Apache's default line, ErrorLogFormat."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest

from apyche.logs.errorlog import (DEBUG, ERROR, INFO, NOTICE, TRACE8, WARN,
                                  ErrorLog, ErrorLogFormat, LogLevels,
                                  ctime, escape_errorlog_item,
                                  generate_log_id, open_error_log,
                                  parse_log_level)
from apyche.logs.format import LogRecord
from apyche.logs.writer import LogConfigError

T_US = 1_795_742_638_197_036


class ListSink:
    target = "list"

    def __init__(self):
        self.data = b""

    def write(self, data):
        self.data += data

    def flush(self):
        pass

    def reopen(self):
        pass

    def close(self):
        pass

    @property
    def lines(self):
        return self.data.decode("latin-1").splitlines()


def elog(levels=("warn",), **kw):
    sink = ListSink()
    e = ErrorLog(sink, LogLevels.parse(levels), clock=lambda: T_US * 1000,
                 **kw)
    return e, sink


def req(**kw):
    base = dict(remote_ip="127.0.0.1", remote_port=5555, local_ip="127.0.0.1",
                local_port=80, server_hostname="www.test",
                request_time_us=T_US)
    base.update(kw)
    return LogRecord(**base)


STAMP = ctime(T_US, usec=True)


# --- LogLevel ------------------------------------------------------------------

def test_parse_log_level_accepts_any_case():
    assert parse_log_level("Info") == INFO
    assert parse_log_level("trace8") == TRACE8


def test_parse_log_level_error_text():
    with pytest.raises(LogConfigError) as e:
        parse_log_level("loud")
    assert str(e.value) == ("Log level keyword must be one of emerg/alert/"
                            "crit/error/warn/notice/info/debug/trace1/.../"
                            "trace8")


def test_loglevel_with_module_override():
    lv = LogLevels.parse(["info", "ssl:warn"])
    assert lv.for_module("core") == INFO
    assert lv.for_module("ssl") == WARN


@pytest.mark.parametrize("name", ["ssl", "ssl_module", "mod_ssl.c"])
def test_module_names_accepted_like_find_module(name):
    assert LogLevels.parse(["error", name + ":debug"]).for_module("ssl") == DEBUG


def test_bare_level_resets_earlier_module_levels():
    lv = LogLevels.parse(["ssl:debug", "error"])
    assert lv.for_module("ssl") == ERROR


def test_default_level_is_warn():
    assert LogLevels().for_module("core") == WARN


def test_merge_vhost_over_main():
    main = LogLevels.parse(["info", "ssl:debug"])
    assert LogLevels.parse(["rewrite:trace3"]).merge(main).modules == \
        {"ssl": DEBUG, "rewrite": 10}
    # a vhost that sets its own level ignores main's module levels
    v = LogLevels.parse(["error"]).merge(main)
    assert v.for_module("ssl") == ERROR


@pytest.mark.parametrize("args,msg", [
    (["ssl:"], "Module specifier 'ssl' must be followed by a log level keyword"),
    (["ssl:loud"], "ssl:loud: Log level keyword must be one of"),
])
def test_loglevel_errors(args, msg):
    with pytest.raises(LogConfigError) as e:
        LogLevels.parse(args)
    assert str(e.value).startswith(msg)


def test_unknown_module_rejected_when_modules_known():
    with pytest.raises(LogConfigError) as e:
        LogLevels.parse(["nosuch:info"], known_modules=["core", "ssl_module"])
    assert str(e.value) == "Cannot find module nosuch"


# --- filtering ---------------------------------------------------------------

def test_filtered_message_writes_nothing_and_skips_formatting():
    class Boom:
        def __str__(self):
            raise AssertionError("formatted a filtered message")

    e, sink = elog(["warn"])
    assert e.log(INFO, "core", "x %s", Boom()) is False
    assert sink.data == b""


def test_module_override_lets_message_through():
    e, sink = elog(["warn", "rewrite:trace3"])
    assert e.log(10, "rewrite", "traced") is True       # trace3
    assert e.log(11, "rewrite", "trace4: too verbose") is False
    assert e.log(10, "core", "not traced") is False
    assert len(sink.lines) == 1


def test_notice_is_always_written():
    e, sink = elog(["crit"])
    assert e.log(NOTICE, "mpm_event", "resuming normal operations") is True
    assert e.enabled(NOTICE, "core")


def test_per_directory_levels_override():
    e, sink = elog(["warn"])
    assert e.log(DEBUG, "core", "d", levels=LogLevels.parse(["debug"]))


# --- default line shape ---------------------------------------------------------

def test_default_line_shape_like_apache():
    e, sink = elog(["info"])
    e.log(INFO, "core", "File does not exist: %s", "/var/www/html/x",
          code=128, request=req())
    (line,) = sink.lines
    assert re.fullmatch(
        r"\[%s\] \[core:info\] \[pid %d:tid \d+\] \[client 127\.0\.0\.1:5555\] "
        r"AH00128: File does not exist: /var/www/html/x" % (
            re.escape(STAMP), os.getpid()), line), line


def test_timestamp_is_ctime_with_microseconds():
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d\.197036 \d{4}", STAMP)
    assert STAMP.startswith(time.strftime("%a %b %d %H:%M:%S",
                                          time.localtime(T_US // 10**6)))


def test_default_tid_is_kernel_thread_id():
    e, sink = elog()
    e.log(ERROR, "core", "m")
    assert "[pid %d:tid %d]" % (os.getpid(), threading.get_native_id()) \
        in sink.lines[0]


def test_upstream_tid_is_pthread_id():
    e, sink = elog(default_tid=None)
    e.log(ERROR, "core", "m")
    assert ":tid %d]" % threading.get_ident() in sink.lines[0]


def test_prefork_style_has_no_pthread_tid():
    e, sink = elog(threaded=False, default_tid=None)
    e.log(ERROR, "core", "m")
    assert "[pid %d] m" % os.getpid() in sink.lines[0]


def test_status_prefix_and_referer_suffix():
    e, sink = elog()
    e.log(ERROR, "core", "AH00132: file permissions deny server access: %s",
          "/x", status=13, request=req(headers_in={"referer": 'http://r/"1"'}))
    assert sink.lines[0].endswith(
        "] (13)Permission denied: [client 127.0.0.1:5555] AH00132: file "
        'permissions deny server access: /x, referer: http://r/"1"')


def test_debug_lines_carry_file_and_line():
    e, sink = elog(["debug"])
    e.log(DEBUG, "core", "dbg", file="/build/server/request.c", line=123)
    assert "] request.c(123): dbg" in sink.lines[0]


def test_client_without_request():
    e, sink = elog()
    e.log(ERROR, "core", "m", client=("10.0.0.1", 99))
    e.log(ERROR, "core", "m", client="10.0.0.2:98")
    assert "[client 10.0.0.1:99] m" in sink.lines[0]
    assert "[client 10.0.0.2:98] m" in sink.lines[1]


def test_startup_line_is_just_the_message():
    e, sink = elog()
    e.log(ERROR, None, "AH00015: Unable to open logs", startup=True)
    assert sink.lines == ["AH00015: Unable to open logs"]


def test_message_escaping_keeps_quotes():
    e, sink = elog()
    e.log(ERROR, "core", 'a"b\\c\nd\xff')
    assert sink.lines[0].endswith('a"b\\\\c\\nd\\xff')
    assert escape_errorlog_item('"') == '"'


def test_code_may_be_a_string():
    e, sink = elog()
    e.log(ERROR, "x", "msg", code="AH99999")
    assert sink.lines[0].endswith("] AH99999: msg")


def test_long_message_is_truncated_like_max_string_len():
    e, sink = elog()
    e.log(ERROR, "core", "x" * 20000)
    assert len(sink.lines[0]) == 8190


def test_logging_for_a_request_assigns_log_ids():
    r = req()
    e, sink = elog()
    e.log(ERROR, "core", "m", request=r)
    assert r.log_id and len(r.log_id) == 11 and r.conn_log_id


def test_generate_log_id_low_bits_are_request_time():
    import base64
    import struct
    (v,) = struct.unpack("<Q", base64.b64decode(
        generate_log_id(T_US, pid=1234, tid=0) + "="))
    assert v == T_US ^ (1234 << 40)


# --- ErrorLogFormat -----------------------------------------------------------

def test_errorlogformat_like_the_manual_example():
    f = "[%{u}t] [%-m:%l] [pid %P:tid %T] %7F: %E: [client\\ %a] %M% ,\\ referer\\ %{Referer}i"
    e, sink = elog(["info"], fmt=f)
    e.log(INFO, "core", "hello", request=req(headers_in={"referer": "R"}))
    assert sink.lines[0] == (
        "[%s] [core:info] [pid %d:tid %d] [client 127.0.0.1:5555] hello,"
        " referer R" % (STAMP, os.getpid(), threading.get_ident()))


def test_errorlogformat_empty_field_is_dropped():
    e, sink = elog(fmt="%M% [%{X-Missing}i]")
    e.log(ERROR, "core", "m", request=req())
    assert sink.lines == ["m"]


def test_errorlogformat_hyphen_flag():
    e, sink = elog(fmt="%-{X-Missing}i %M")
    e.log(ERROR, "core", "m", request=req())
    assert sink.lines == ["- m"]


def test_errorlogformat_min_level_drops_field():
    # "% " is a zero-width field delimiter (core.xml); "\ " a plain space
    e, sink = elog(["debug"], fmt="%M% \\ file=%7F")
    e.log(ERROR, "core", "m", file="a.c", line=1)
    e.log(DEBUG, "core", "n", file="a.c", line=2)
    assert sink.lines == ["m", "n file=a.c(2)"]


@pytest.mark.parametrize("spec,kw", [
    ("%{c}t", {}), ("%{cuz}t", {}), ("%{%Y}t", {}),
])
def test_errorlogformat_time_variants(spec, kw):
    e, sink = elog(fmt=spec + " %M")
    e.log(ERROR, "core", "m")
    want = {"%{c}t": ctime(T_US, compact=True),
            "%{cuz}t": ctime(T_US, usec=True, compact=True, gmtoff=True),
            "%{%Y}t": time.strftime("%Y", time.localtime(T_US // 10**6))}[spec]
    assert sink.lines == [want + " m"]


def test_errorlogformat_request_lines_and_required_flag():
    e, sink = elog(fmt="%M", request_formats=["request %+{X-Id}i %{c}L"])
    e.log(ERROR, "core", "m", request=req(headers_in={"x-id": "7"}),
          first_for_request=True)
    e.log(ERROR, "core", "n", request=req(), first_for_request=True)
    assert sink.lines[0].startswith("request 7 ")
    assert sink.lines[1:] == ["m", "n"]      # '+' item empty: line skipped


@pytest.mark.parametrize("fmt,kind,msg", [
    ("%t", None, "main ErrorLogFormat must contain message format string '%M'"),
    ("%M %+i", None, "The '+' flag cannot be used in the main error log format"),
    ("%M", "request", "%M cannot be used in once-per-request or "
                      "once-per-connection formats"),
    ("%7t", "connection", "The loglevel cannot be used as a condition in "
                          "once-per-request or once-per-connection formats"),
    ("%16t %M", None, "The specified loglevel modifier is out of range"),
    ("%Q %M", None, "Unrecognized error log format directive %Q"),
    ("%M %{x", None, "Ran off end of error log format parsing args to some directive"),
    ("%M", "bogus", "ErrorLogFormat type must be one of request, connection"),
])
def test_errorlogformat_errors_use_apaches_words(fmt, kind, msg):
    with pytest.raises(LogConfigError) as e:
        ErrorLogFormat(fmt, kind)
    assert str(e.value) == msg


# --- targets ---------------------------------------------------------------------

def test_syslog_is_refused_honestly():
    with pytest.raises(LogConfigError) as e:
        open_error_log("syslog:local7")
    assert "not supported" in str(e.value)


def test_error_log_file_and_pipe(tmp_path):
    f = open_error_log("err.log", server_root=str(tmp_path))
    ErrorLog(f).log(ERROR, "core", "to file")
    f.close()
    assert (tmp_path / "err.log").read_text().endswith("] to file\n")
    out = tmp_path / "piped.err"
    p = open_error_log("|$cat > '%s'" % out)
    ErrorLog(p).log(ERROR, "core", "to pipe")
    p.close()
    assert out.read_text().endswith("] to pipe\n")


def test_library_log_records_reach_the_error_log_in_apaches_shape(tmp_path):
    """What apyche's protocol layer logs through Python's logging (a failed
    accept(), a hook that raised) is written by the server's ErrorLog: one
    line in Apache's shape, no traceback - once Site.bind_loop installed
    the handler, as a worker does."""
    import asyncio
    import logging

    from apyche.config.walk import load_config
    from apyche.logs.errorlog import ErrorLogHandler
    from apyche.server.site import Site

    (tmp_path / "www").mkdir()
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"ServerName x\nErrorLog {tmp_path}/logs/error.log\n"
                    f"DocumentRoot {tmp_path}/www\n")
    site = Site(load_config(str(conf), str(tmp_path), env={}))
    logger = logging.getLogger("apyche.http")
    saved = (list(logger.handlers), logger.propagate)
    loop = asyncio.new_event_loop()
    try:
        site.bind_loop(loop)
        site.bind_loop(loop)          # a second binding replaces the first
        assert sum(isinstance(h, ErrorLogHandler) for h in logger.handlers) == 1
        logger.error("accept: (client socket) %s", OSError(24, "Too many open files"))
        try:
            raise ValueError("bad hook")
        except ValueError:
            logger.exception("on_complete failed")
        logger.debug("not at LogLevel warn")
        site.logs.flush()
    finally:
        logger.handlers[:] = saved[0]
        logger.propagate = saved[1]
        loop.close()
        site.logs.close()
    lines = (tmp_path / "logs" / "error.log").read_text().splitlines()
    assert len(lines) == 2, lines
    assert re.match(r"\[.+\] \[core:error\] \[pid \d+:tid \d+\] accept: \(client socket\) "
                    r"\[Errno 24\] Too many open files$", lines[0]), lines[0]
    assert re.match(r"\[.+\] \[core:error\] \[pid \d+:tid \d+\] on_complete failed: "
                    r"ValueError: bad hook$", lines[1]), lines[1]
