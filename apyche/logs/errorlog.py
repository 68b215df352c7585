"""ErrorLog, LogLevel and ErrorLogFormat, as server/log.c and core.c do them.

Theory of operation
-------------------
``ErrorLog.log(level, module, message, ...)`` is the one entry point.  Its
first statement compares the level with the module's configured level and
returns, so a filtered ``debug`` call costs one dict lookup and a compare;
``%``-style arguments are only interpolated after that test (pass them as
``*args``), like Apache's varargs.

The filter is ``log_error_core``'s: a message is written when its level is
at or below the module's level, *or* when it is ``notice`` -- Apache always
writes notices to a file error log whatever LogLevel says (that is why
"resuming normal operations" appears under ``LogLevel error``).

Without ErrorLogFormat a line has ``do_errorlog_default``'s shape::

    [Fri Nov 27 01:23:45.123456 2026] [core:info] [pid 1234:tid 5678] \
[client 127.0.0.1:5555] AH00128: File does not exist: /var/www/html/x

plus ``file(line): `` at debug and above, ``(errno)strerror: `` when a
status is given, and ``, referer: ...`` when the request had a Referer.  The
message and header values are escaped by ``ap_escape_errorlog_item`` (like
the access-log escaper, except that ``"`` is left alone).

With ErrorLogFormat the items are interpreted by ``do_errorlog_format``'s
rules: ``% `` and a literal space start a field; an empty item erases its
field unless it has ``-`` (print "-"); ``+`` in a per-request/connection
line drops the whole line; a number before the letter is a minimum level.

``syslog`` targets are refused with a clear message; files and piped
loggers work (``writer.FileSink`` / ``writer.PipeSink``).
"""

from __future__ import annotations

import base64
import logging
import os
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from .format import LogRecord, _MONTHS
from .writer import FileSink, LogConfigError, LogSinks, PipeSink, Sink

__all__ = [
    "EMERG", "ALERT", "CRIT", "ERROR", "WARN", "NOTICE", "INFO", "DEBUG",
    "TRACE1", "TRACE8", "LEVEL_NAMES", "ErrorLog", "ErrorLogFormat",
    "FdSink", "LogLevels", "escape_errorlog_item", "generate_log_id",
    "open_error_log", "parse_log_level",
]

# log.c priorities[] (APLOG_EMERG .. APLOG_TRACE8)
LEVEL_NAMES = ("emerg", "alert", "crit", "error", "warn", "notice", "info",
               "debug", "trace1", "trace2", "trace3", "trace4", "trace5",
               "trace6", "trace7", "trace8")
EMERG, ALERT, CRIT, ERROR, WARN, NOTICE, INFO, DEBUG = range(8)
TRACE1, TRACE8 = 8, 15
_LEVELS = {n: i for i, n in enumerate(LEVEL_NAMES)}
DEFAULT_LOGLEVEL = WARN          # DEFAULT_LOGLEVEL in httpd.h

# MAX_STRING_LEN: the line buffer in log_error_core; write_logline keeps
# room for the newline.
MAX_STRING_LEN = 8192
_MAX_LINE = MAX_STRING_LEN - 2


def parse_log_level(word: str) -> int:
    """``ap_parse_log_level``: a level keyword, any case, to its number."""
    lvl = _LEVELS.get(word.lower())
    if lvl is None:
        raise LogConfigError("Log level keyword must be one of emerg/alert/"
                             "crit/error/warn/notice/info/debug/trace1/.../"
                             "trace8")
    return lvl


def _module_key(name: str) -> str:
    # LogLevel accepts "ssl", "ssl_module" and (via find_module) "mod_ssl.c";
    # lines show the short name (ap_find_module_short_name).
    if name.startswith("mod_") and name.endswith(".c"):
        return name[4:-2]
    if name.endswith("_module"):
        return name[:-7]
    return name


@dataclass(frozen=True, slots=True)
class LogLevels:
    """One context's LogLevel: a level (None = not set here) and overrides.

    ``parse`` applies LogLevel arguments in order, as ``set_loglevel`` is
    called per word (AP_INIT_ITERATE); a bare level resets every module
    override made before it in the same context.  ``merge`` is
    ``ap_merge_log_config``: a context that sets its own level ignores the
    base's module overrides.
    """

    level: int | None = None
    modules: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, args: Iterable[str], base: "LogLevels | None" = None,
              known_modules: Iterable[str] | None = None) -> "LogLevels":
        level = base.level if base is not None else None
        mods = dict(base.modules) if base is not None else {}
        known = None if known_modules is None else {
            _module_key(m) for m in known_modules}
        for arg in args:
            mod, sep, lvl = arg.rpartition(":")
            if not sep:
                level = parse_log_level(arg)
                mods.clear()
                continue
            if not lvl:
                raise LogConfigError("Module specifier '%s' must be followed "
                                     "by a log level keyword" % mod)
            try:
                n = parse_log_level(lvl)
            except LogConfigError as e:
                raise LogConfigError("%s:%s: %s" % (mod, lvl, e)) from None
            key = _module_key(mod)
            if known is not None and key not in known:
                raise LogConfigError("Cannot find module %s" % mod)
            mods[key] = n
        return cls(level, mods)

    def merge(self, base: "LogLevels") -> "LogLevels":
        """This context over ``base`` (vhost over main, dir over server)."""
        if self.level is not None:
            return self
        return LogLevels(base.level, {**base.modules, **self.modules})

    def for_module(self, module: str | None) -> int:
        if module is not None and self.modules:
            lvl = self.modules.get(module)
            if lvl is not None:
                return lvl
        return DEFAULT_LOGLEVEL if self.level is None else self.level


# ---------------------------------------------------------------------------
# ap_escape_errorlog_item
# ---------------------------------------------------------------------------

_ETABLE: dict[int, str] = {}
for _c in list(range(0x00, 0x20)) + [0x5C] + list(range(0x7F, 0x100)):
    _ETABLE[_c] = {0x08: "\\b", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t",
                   0x0B: "\\v", 0x5C: "\\\\"}.get(_c, "\\x%02x" % _c)
for _c in range(0x80, 0x100):
    _ETABLE[0xDC00 + _c] = "\\x%02x" % _c
del _c


def escape_errorlog_item(s: str) -> str:
    """Like ``ap_escape_logitem`` but a double quote stays as it is."""
    if s.isascii() and s.isprintable() and "\\" not in s:
        return s
    out = s.translate(_ETABLE)
    if not out.isascii():
        out = "".join(ch if ord(ch) < 0x80 else "".join(
            "\\x%02x" % b for b in ch.encode("utf-8", "surrogatepass"))
            for ch in out)
    return out


# ---------------------------------------------------------------------------
# Time, ids
# ---------------------------------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


_ctime_cache: dict[tuple[int, bool, bool], tuple[str, str]] = {}


def ctime(us: int, usec: bool = False, compact: bool = False,
          gmtoff: bool = False) -> str:
    """``ap_recent_ctime_ex`` with its AP_CTIME_OPTION_* flags.

    Like ``ap_explode_recent_localtime`` we keep the exploded second
    around: the text before and after the microseconds is cached per
    (second, compact, gmtoff).
    """
    sec = us // 1_000_000
    key = (sec, compact, gmtoff)
    parts = _ctime_cache.get(key)
    if parts is None:
        tm = time.localtime(sec)
        if compact:
            head = "%04d-%02d-%02d %02d:%02d:%02d" % (
                tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec)
            tail = ""
        else:
            head = "%s %s %02d %02d:%02d:%02d" % (
                _DAYS[tm.tm_wday], _MONTHS[tm.tm_mon - 1], tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec)
            tail = " %d" % tm.tm_year
        if gmtoff:
            off = tm.tm_gmtoff
            sign = "+"
            if off < 0:
                sign, off = "-", -off
            tail += " %c%02d%02d" % (sign, off // 3600, off % 3600 // 60)
        if len(_ctime_cache) >= 16:
            _ctime_cache.clear()
        parts = _ctime_cache[key] = (head, tail)
    if usec:
        return "%s.%06d%s" % (parts[0], us % 1_000_000, parts[1])
    return parts[0] + parts[1]


# getpid()/gettid() are system calls; ask once per process / thread.
_pid = os.getpid()
_tls = threading.local()


def _reset_pid() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pid)


def _native_tid() -> int:
    try:
        return _tls.tid
    except AttributeError:
        _tls.tid = threading.get_native_id()
        return _tls.tid


def generate_log_id(request_time_us: int, pid: int | None = None,
                    tid: int | None = None) -> str:
    """``core_generate_log_id``: time ^ pid ^ thread, base64, no final '='."""
    if pid is None:
        pid = _pid
    if tid is None:
        tid = threading.get_ident()
    m = (1 << 64) - 1
    i = request_time_us & m
    i ^= (pid << 40) & m
    i ^= ((pid >> 24) << 56) & m
    i ^= (tid << 32) & m
    return base64.b64encode(struct.pack("=Q", i)).decode("ascii")[:-1]


# ---------------------------------------------------------------------------
# The per-line information (ap_errorlog_info)
# ---------------------------------------------------------------------------

@dataclass(slots=True)
class _Info:
    level: int                      # -1 for once-per-request/conn lines
    module: str | None
    request: LogRecord | None
    client: tuple[str, int] | None
    status: int | None
    file: str | None
    line: int
    now_us: int
    server_hostname: str | None
    pid: int
    tid: int | None                 # None: not a threaded server


def _h_remote(info: _Info, arg: str) -> str:
    r = info.request
    if r is not None and arg[:1] != "c":
        return "%s:%d" % (r.remote_ip, r.remote_port)
    if r is not None:
        return "%s:%d" % (r.client_ip or r.remote_ip, r.remote_port)
    if info.client is not None:
        return "%s:%d" % info.client
    return ""


def _h_local(info: _Info, arg: str) -> str:
    r = info.request
    return "%s:%d" % (r.local_ip, r.local_port) if r is not None else ""


def _table(m: Mapping[str, str] | None, name: str) -> str:
    if not m:
        return ""
    v = m.get(name)
    if v is None:
        ln = name.lower()
        v = m.get(ln)
        if v is None:
            for k, val in m.items():
                if k.lower() == ln:
                    v = val
                    break
    return escape_errorlog_item(v) if v else ""


def _h_env(info: _Info, arg: str) -> str:
    return _table(info.request.env, arg) if info.request else ""


def _h_header(info: _Info, arg: str) -> str:
    return _table(info.request.headers_in, arg) if info.request else ""


def _h_note(info: _Info, arg: str) -> str:
    return _table(info.request.notes, arg) if info.request else ""


def _h_status(info: _Info, arg: str) -> str:
    if not info.status:
        return ""
    return "(%d)%s" % (info.status, os.strerror(info.status))


def _h_file(info: _Info, arg: str) -> str:
    if not info.file:
        return ""
    return "%s(%d)" % (os.path.basename(info.file), info.line)


def _h_keepalives(info: _Info, arg: str) -> str:
    return str(info.request.keepalives) if info.request else ""


def _h_level(info: _Info, arg: str) -> str:
    return LEVEL_NAMES[info.level] if info.level >= 0 else ""


def _h_log_id(info: _Info, arg: str) -> str:
    r = info.request
    if r is None:
        return ""
    if arg.lower() == "c":
        return r.conn_log_id or ""
    return r.log_id or ""


def _h_module(info: _Info, arg: str) -> str:
    return info.module or "-"


def _h_pid(info: _Info, arg: str) -> str:
    return str(info.pid)


def _h_time(info: _Info, arg: str) -> str:
    if arg and "%" in arg:
        return time.strftime(arg, time.localtime(info.now_us // 1_000_000))
    return ctime(info.now_us, usec="u" in arg, compact="c" in arg,
                 gmtoff="z" in arg)


def _h_tid(info: _Info, arg: str) -> str:
    # log_tid: "g" is gettid() and is printed even by prefork; otherwise
    # the pthread id, only under a threaded MPM.
    if arg[:1] == "g":
        return str(_native_tid())
    return "" if info.tid is None else str(info.tid)


def _h_vhost(info: _Info, arg: str) -> str:
    if info.request is not None:
        return info.request.server_hostname or ""
    return info.server_hostname or ""


def _h_server_name(info: _Info, arg: str) -> str:
    r = info.request
    if r is None:
        return ""
    return r.server_hostname if r.server_name is None else r.server_name


_ERR_HANDLERS: dict[str, Callable[[_Info, str], str]] = {
    "a": _h_remote, "A": _h_local, "e": _h_env, "E": _h_status,
    "F": _h_file, "i": _h_header, "k": _h_keepalives, "l": _h_level,
    "L": _h_log_id, "m": _h_module, "n": _h_note, "P": _h_pid,
    "t": _h_time, "T": _h_tid, "v": _h_vhost, "V": _h_server_name,
}

_FIELD_SEP, _REQUIRED, _HYPHEN, _MESSAGE = 1, 2, 4, 8


@dataclass(slots=True)
class _EItem:
    func: Callable[[_Info, str], str] | None = None   # None: constant/message
    arg: str = ""
    flags: int = 0
    min_level: int = 0


def _parse_misc(s: str, i: int, it: _EItem) -> int:
    """``parse_errorlog_misc_string``: a space after text ends the item."""
    out = []
    at_start = True
    n = len(s)
    while i < n and s[i] != "%" and (s[i] != " " or at_start):
        c = s[i]
        if c != "\\":
            if c != " ":
                at_start = False
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= n:
            out.append("\\")
            break
        c = s[i]
        out.append({"r": "\r", "n": "\n", "t": "\t"}.get(c, c))
        i += 1
    it.arg = "".join(out)
    return i


def _parse_eitem(s: str, i: int, it: _EItem) -> int:
    if s[i] != "%":
        if s[i] == " ":
            it.flags |= _FIELD_SEP
        return _parse_misc(s, i, it)
    i += 1
    n = len(s)
    if i < n and s[i] == " ":
        it.flags |= _FIELD_SEP
        i += 1
        if i >= n:
            # recursing on "" reads past the end in C; Apache stops here
            raise LogConfigError("Ran off end of error log format parsing "
                                 "args to some directive")
        return _parse_eitem(s, i, it)
    if i < n and s[i] == "%":
        it.arg = "%"
        return i + 1
    while i < n:
        c = s[i]
        if c == "{":
            end = s.find("}", i + 1)
            if end < 0:
                it.arg, i = s[i + 1:], n
            else:
                it.arg, i = s[i + 1:end], end + 1
        elif c == "+":
            it.flags |= _REQUIRED
            i += 1
        elif c == "-":
            it.flags |= _HYPHEN
            i += 1
        elif "0" <= c <= "9":
            j = i
            while j < n and "0" <= s[j] <= "9":
                j += 1
            it.min_level = int(s[i:j])
            i = j
        elif c == "M":
            it.flags |= _MESSAGE
            return i + 1
        else:
            h = _ERR_HANDLERS.get(c)
            if h is None:
                raise LogConfigError(
                    "Unrecognized error log format directive %" + c)
            it.func = h
            return i + 1
    raise LogConfigError(
        "Ran off end of error log format parsing args to some directive")


class ErrorLogFormat:
    """A parsed ErrorLogFormat line (``parse_errorlog_string``).

    ``kind`` is None for the main format, or "request"/"connection" for the
    once-per-request / once-per-connection lines.
    """

    __slots__ = ("source", "kind", "items")

    def __init__(self, source: str, kind: str | None = None):
        if kind is not None and kind.lower() not in ("request", "connection"):
            raise LogConfigError(
                "ErrorLogFormat type must be one of request, connection")
        self.source = source
        self.kind = kind.lower() if kind else None
        main = self.kind is None
        items: list[_EItem] = []
        seen_msg = False
        i = 0
        while i < len(source):
            it = _EItem()
            i = _parse_eitem(source, i, it)
            if it.flags & _MESSAGE:
                if not main:
                    raise LogConfigError(
                        "%M cannot be used in once-per-request or "
                        "once-per-connection formats")
                seen_msg = True
            if main and it.flags & _REQUIRED:
                raise LogConfigError(
                    "The '+' flag cannot be used in the main error log format")
            if not main and it.min_level:
                raise LogConfigError(
                    "The loglevel cannot be used as a condition in "
                    "once-per-request or once-per-connection formats")
            if it.min_level > TRACE8:
                raise LogConfigError(
                    "The specified loglevel modifier is out of range")
            items.append(it)
        if main and not seen_msg:
            raise LogConfigError(
                "main ErrorLogFormat must contain message format string '%M'")
        self.items = items

    def render(self, info: _Info, message: str) -> str | None:
        """``do_errorlog_format``; None when a required item was empty."""
        buf: list[str] = []
        field_start = 0
        skipping = False
        for it in self.items:
            if it.flags & _FIELD_SEP:
                if skipping:
                    skipping = False
                else:
                    field_start = len(buf)
            if it.flags & _MESSAGE:
                buf.append(message)
                continue
            if skipping:
                continue
            if info.level != -1 and it.min_level > info.level:
                del buf[field_start:]
                skipping = True
                continue
            v = it.arg if it.func is None else it.func(info, it.arg)
            if v:
                buf.append(v)
            elif it.flags & _REQUIRED:
                return None
            elif it.flags & _HYPHEN:
                buf.append("-")
            else:
                del buf[field_start:]
                skipping = True
        return "".join(buf)


# ---------------------------------------------------------------------------
# Sinks and the ErrorLog itself
# ---------------------------------------------------------------------------

class FdSink:
    """An already-open descriptor (stderr before the ErrorLog is open)."""

    __slots__ = ("target", "fd")

    def __init__(self, fd: int = 2, target: str = "stderr"):
        self.fd = fd
        self.target = target

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def flush(self) -> None:
        pass

    def reopen(self) -> None:
        pass

    def close(self) -> None:
        pass


def open_error_log(target: str, sinks: LogSinks | None = None,
                   server_root: str | None = None) -> Sink:
    """Open an ErrorLog target: a file, ``|prog``, ``||prog``, ``|$cmd``.

    ``syslog[:facility]`` is refused: apyche has no syslog writer yet.
    """
    if target == "syslog" or target.startswith("syslog:"):
        raise LogConfigError(
            "ErrorLog %s is not supported by apyche yet; use a file or a "
            "piped logger such as \"|/usr/bin/logger -t apache\"" % target)
    if sinks is not None:
        return sinks.open(target, buffered=False)
    if target.startswith("|"):
        return PipeSink(target[1:], target=target)
    path = target
    if server_root and not os.path.isabs(path):
        path = os.path.join(server_root, path)
    try:
        return FileSink(path, target=target)
    except OSError as e:
        raise LogConfigError("could not open error log file %s. (%s)"
                             % (path, e.strerror)) from None


class ErrorLog:
    """One server's error log.

    ``levels`` is the server's LogLevel; a per-request call may pass the
    per-directory ``levels=`` instead.  ``fmt`` is the main ErrorLogFormat
    (None for Apache's default shape); ``request_formats`` and
    ``connection_formats`` are the once-per-request/connection lines,
    written before the first message logged for a request/connection when
    the caller says it is the first (``first_for_request=True`` ...).
    ``threaded`` prints ``:tid N`` as a threaded MPM does (event/worker);
    prefork prints only the pid.  ``default_tid`` is the build's
    DEFAULT_LOG_TID: "g" prints the kernel thread id (gettid), which is what
    Debian's apache2 writes (``[pid 16290:tid 16299]``, checked against
    2.4.71); None prints ``pthread_self()`` as upstream's default build does.
    """

    def __init__(self, sink: Sink, levels: LogLevels | None = None,
                 fmt: ErrorLogFormat | str | None = None, *,
                 request_formats: Iterable[ErrorLogFormat | str] = (),
                 connection_formats: Iterable[ErrorLogFormat | str] = (),
                 threaded: bool = True, default_tid: str | None = "g",
                 server_hostname: str | None = None,
                 clock: Callable[[], int] = time.time_ns):
        self.sink = sink
        self.threaded = threaded
        self.default_tid = default_tid
        self.server_hostname = server_hostname
        self._clock = clock
        self.format = ErrorLogFormat(fmt) if isinstance(fmt, str) else fmt
        self.request_formats = [
            f if isinstance(f, ErrorLogFormat) else ErrorLogFormat(f, "request")
            for f in request_formats]
        self.connection_formats = [
            f if isinstance(f, ErrorLogFormat)
            else ErrorLogFormat(f, "connection") for f in connection_formats]
        self.set_levels(levels or LogLevels())

    def set_levels(self, levels: LogLevels) -> None:
        self.levels = levels
        # the fast path reads these two attributes only
        self._level = levels.for_module(None)
        self._modules = dict(levels.modules)

    def enabled(self, level: int, module: str | None = "core",
                levels: LogLevels | None = None) -> bool:
        """Would ``log`` write this?  (APLOG_IS_LEVEL / APLOG_R_IS_LEVEL)"""
        if level == NOTICE:
            return True
        if levels is not None:
            return level <= levels.for_module(module)
        return level <= self._modules.get(module, self._level)

    def log(self, level: int, module: str | None, message: str, *args: object,
            client: tuple[str, int] | str | None = None,
            code: int | str | None = None,
            request: LogRecord | None = None,
            status: int | None = None,
            levels: LogLevels | None = None,
            file: str | None = None, line: int = 0,
            startup: bool = False,
            first_for_request: bool = False,
            first_for_connection: bool = False) -> bool:
        """Write one message; False (cheaply) when the level is filtered.

        ``module`` is the short name ("core", "ssl", "proxy_http"), ``code``
        Apache's AH number (128 -> "AH00128: "), ``status`` an errno printed
        as "(2)No such file or directory: ", ``client`` the peer as
        (ip, port) when there is no ``request``.
        """
        if level != NOTICE:
            if levels is None:
                if level > self._modules.get(module, self._level):
                    return False
            elif level > levels.for_module(module):
                return False
        if args:
            message = message % args
        if code is not None:
            message = ("AH%05d: " % code if isinstance(code, int)
                       else "%s: " % code) + message
        if isinstance(client, str):
            ip, _, port = client.rpartition(":")
            client = (ip, int(port or 0))
        if client is None and request is not None:
            client = (request.remote_ip, request.remote_port)
        now = self._clock() // 1000
        if request is not None:
            # log_error_core: add_log_id for the connection and the request
            # whenever a message about them is written, so %L in the access
            # log shows the id the error log used.
            if request.conn_log_id is None:
                request.conn_log_id = generate_log_id(now)
            if request.log_id is None:
                request.log_id = generate_log_id(request.request_time_us or now)
        info = _Info(level, module, request, client, status, file, line, now,
                     server_hostname=self.server_hostname,
                     pid=_pid,
                     tid=threading.get_ident() if self.threaded else None)
        lines: list[str] = []
        if self.format is not None and not startup:
            pre = []
            if first_for_connection:
                pre += self.connection_formats
            if first_for_request and request is not None:
                pre += self.request_formats
            if pre:
                linfo = _Info(-1, None, request, client, None, None, 0, now,
                              self.server_hostname, info.pid, info.tid)
                for f in pre:
                    s = f.render(linfo, "")
                    if s:
                        lines.append(s)
            body = self.format.render(
                info, escape_errorlog_item(message[:MAX_STRING_LEN - 1]))
        else:
            body = self._default_line(info, message, startup)
        if body:
            lines.append(body)
        data = "".join(
            (s if len(s) <= _MAX_LINE else s[:_MAX_LINE]) + "\n"
            for s in lines).encode("utf-8", "surrogateescape")
        try:
            self.sink.write(data)
        except OSError:
            pass                 # nowhere left to report it (as Apache)
        return True

    # logging-style shorthands
    def error(self, module: str | None, message: str, *args: object,
              **kw: object) -> bool:
        return self.log(ERROR, module, message, *args, **kw)  # type: ignore[arg-type]

    def warn(self, module: str | None, message: str, *args: object,
             **kw: object) -> bool:
        return self.log(WARN, module, message, *args, **kw)  # type: ignore[arg-type]

    def info(self, module: str | None, message: str, *args: object,
             **kw: object) -> bool:
        return self.log(INFO, module, message, *args, **kw)  # type: ignore[arg-type]

    def debug(self, module: str | None, message: str, *args: object,
              **kw: object) -> bool:
        return self.log(DEBUG, module, message, *args, **kw)  # type: ignore[arg-type]

    def _default_line(self, info: _Info, message: str, startup: bool) -> str:
        """``do_errorlog_default``."""
        parts: list[str] = []
        if not startup:
            parts.append("[%s] [%s:%s] [pid %d" % (
                ctime(info.now_us, usec=True), info.module or "-",
                LEVEL_NAMES[info.level], info.pid))
            tid = _h_tid(info, self.default_tid or "")
            if tid:
                parts.append(":tid " + tid)
            parts.append("] ")
        if info.level >= DEBUG and info.file:
            parts.append(_h_file(info, "") + ": ")
        if info.status:
            parts.append(_h_status(info, "") + ": ")
        if info.client is not None:
            parts.append("[client %s:%d] " % info.client)
        parts.append(escape_errorlog_item(message[:MAX_STRING_LEN - 1]))
        if info.request is not None:
            ref = _table(info.request.headers_in, "referer")
            if ref:
                parts.append(", referer: " + ref)
        return "".join(parts)

    def close(self) -> None:
        self.sink.close()


class ErrorLogHandler(logging.Handler):
    """A ``logging`` handler that writes to a server's ErrorLog, so that
    what the protocol layer reports through Python's logging (an accept()
    that failed, a hook that raised) reaches the error log in Apache's line
    shape instead of a worker's stderr.  One line per record: an exception
    is named, its traceback is not written."""

    _LEVELS = ((logging.CRITICAL, CRIT), (logging.ERROR, ERROR), (logging.WARNING, WARN),
               (logging.INFO, INFO))

    def __init__(self, error_log: ErrorLog, module: str = "core") -> None:
        super().__init__()
        self.error_log = error_log
        self.module = module

    def emit(self, record: logging.LogRecord) -> None:
        level = next((ours for py, ours in self._LEVELS if record.levelno >= py), DEBUG)
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message = f"{message}: {type(exc).__name__}: {exc}"
        try:
            self.error_log.log(level, self.module, message)
        except Exception:   # the error log itself failing: nothing to tell
            pass

    def install(self, name: str) -> None:
        """Route logger *name* here, instead of on to stderr."""
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, ErrorLogHandler)]:
            logger.removeHandler(old)
        logger.addHandler(self)
        logger.propagate = False
