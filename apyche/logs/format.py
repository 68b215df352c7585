"""LogFormat strings, compiled once into a fast per-request formatter.

Theory of operation
-------------------
Apache parses a LogFormat into an array of ``log_format_item`` (handler,
argument, status conditions, want-original flag) at config time and walks
that array for every request (``parse_log_string`` / ``config_log_transaction``
in modules/loggers/mod_log_config.c).  We do the same parse, then go one step
further: the items are turned into the source of one small Python function
whose body is a single f-string of inline expressions over the
record.  Per request there is one call, no loop over items and no dispatch.

Rule 1: parsing (``_parse``) follows ``parse_log_item`` character for
character -- modifiers ``! < > , {arg} digits`` in any order, then a one-letter
handler (or ``^`` plus two letters), the same backslash rules for literal text
and the same error strings, because users grep for them.

Rule 2: every value is produced the way the matching ``log_*`` handler in
mod_log_config.c produces it, including what is escaped (``ap_escape_logitem``)
and what is not (``%a``, ``%A``, ``%{c}a``, times, numbers), and NULL turning
into ``-`` while an empty string stays empty (``process_item``).

Rule 3: this module does no I/O and knows nothing about sockets or config
objects.  The server fills a ``LogRecord``; ``writer.py`` writes the line.

Strings are Python ``str``.  Byte-oriented values (headers, request line)
are expected to be decoded as latin-1 (one char per byte) or with
``surrogateescape``; the escaper turns both back into the ``\\xhh`` of the
original byte.  A char above U+00FF (which cannot have come from a byte) is
escaped as its UTF-8 bytes.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..semantics.uri import split_authority

__all__ = [
    "APACHE_FORMATS", "DEBIAN_FORMATS", "DEFAULT_LOG_FORMAT", "LogFormat",
    "LogFormatError", "LogRecord", "compile_format", "connection_status",
    "escape_logitem", "merge_headers",
]

# mod_log_config.c: DEFAULT_LOG_FORMAT, also registered as the nickname "CLF".
DEFAULT_LOG_FORMAT = '%h %l %u %t "%r" %>s %b'

# Apache's standard nicknames.  common/combined/combinedio are the lines in
# docs/conf/httpd.conf.in; referer/agent are the examples in the module's
# own header comment and mod_log_config.xml.  Upstream does not define
# vhost_combined; the spelling below is Debian's with upstream's %b.
# None of these exists until a LogFormat line defines it -- these are
# constants for the config layer and for tests, not built-in nicknames
# (only "CLF" is built in, make_config_log_state).
APACHE_FORMATS: dict[str, str] = {
    "CLF": DEFAULT_LOG_FORMAT,
    "common": '%h %l %u %t "%r" %>s %b',
    "combined": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
    "combinedio": ('%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
                   ' %I %O'),
    "referer": "%{Referer}i -> %U",
    "agent": "%{User-agent}i",
    "vhost_combined": ('%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i"'
                       ' "%{User-Agent}i"'),
}

# Debian's /etc/apache2/apache2.conf (it logs %O, bytes on the wire, where
# upstream logs %b).
DEBIAN_FORMATS: dict[str, str] = {
    "vhost_combined": ('%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i"'
                       ' "%{User-Agent}i"'),
    "combined": '%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
    "common": '%h %l %u %t "%r" %>s %O',
    "referer": "%{Referer}i -> %U",
    "agent": "%{User-agent}i",
}


class LogFormatError(ValueError):
    """A LogFormat string Apache would reject; ``str()`` is Apache's text."""


# ---------------------------------------------------------------------------
# The record the server fills in
# ---------------------------------------------------------------------------

# Shared read-only default for the mappings: building five dicts per record
# would cost more than formatting a line.  Assign your own mapping; do not
# mutate the default (it refuses).
class _EmptyMapping(Mapping):
    """An immutable, hashable empty mapping (dataclass-safe default)."""

    __slots__ = ()

    def __getitem__(self, key: str) -> str:
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0

    def get(self, key: str, default: str | None = None) -> str | None:
        return default


_EMPTY: Mapping[str, str] = _EmptyMapping()

@dataclass(slots=True)
class LogRecord:
    """Everything a LogFormat can print about one request.

    The record describes the *final* request (Apache's ``r`` after walking
    ``r->next``); the ``orig_*`` fields hold the first request's values when
    an internal redirect (ErrorDocument, DirectoryIndex, mod_rewrite [PT]...)
    changed them, and stay None otherwise.  ``%s %U %R`` print the original
    by default, ``%>s %>U %>R`` the final one (``want_orig_default`` in
    ``log_pre_config``).

    Header maps: ``headers_in``, ``trailers_in`` and ``trailers_out`` are
    keyed by *lower-case* name with repeated request headers already merged
    with ", " (``merge_headers`` does it, as ``ap_get_mime_headers_core``
    does).  ``headers_out`` is the sent header list in order, because
    ``%{Set-Cookie}o`` joins every Set-Cookie while other names print the
    first.  ``env`` and ``notes`` are looked up exactly first, then without
    regard to case (APR tables are case-insensitive).
    """

    # --- request line (%r %m %U %q %H) ------------------------------------
    request_line: str = ""          # r->the_request, as received
    method: str = "GET"
    uri: str = "/"                  # r->uri: decoded path, no query
    query: str | None = None        # r->args: None = no '?', "" = bare '?'
    protocol: str = "HTTP/1.1"
    # --- response (%s %b %B %o) -------------------------------------------
    status: int = 200               # final status
    bytes_sent: int = 0             # body bytes (r->bytes_sent)
    content_type: str | None = None  # r->content_type (%{Content-Type}o)
    headers_in: Mapping[str, str] = _EMPTY
    headers_out: Sequence[tuple[str, str]] = ()
    trailers_in: Mapping[str, str] = _EMPTY
    trailers_out: Mapping[str, str] = _EMPTY
    env: Mapping[str, str] = _EMPTY
    notes: Mapping[str, str] = _EMPTY
    # --- internal redirects: the first request's values -------------------
    orig_status: int | None = None
    orig_uri: str | None = None
    orig_handler: str | None = None
    # --- who (%h %a %{c}a %l %u) ------------------------------------------
    remote_ip: str = "-"            # r->useragent_ip (mod_remoteip may set)
    remote_port: int = 0
    client_ip: str | None = None    # c->client_ip, None = remote_ip
    remote_host: str | None = None  # HostnameLookups result, None = not done
    client_host: str | None = None  # the same for the connection (%{c}h)
    remote_logname: str | None = None  # identd (IdentityCheck), normally None
    user: str | None = None         # r->user
    # --- where (%A %p %v %V %f %R) ----------------------------------------
    local_ip: str = "-"
    local_port: int = 0
    server_port: int = 80           # canonical port (%p)
    server_hostname: str = ""       # the vhost's ServerName (%v)
    server_name: str | None = None  # per UseCanonicalName (%V); None = %v
    filename: str | None = None     # r->filename (%f)
    handler: str | None = None      # r->handler (%R)
    # --- when (%t %D %T) --------------------------------------------------
    request_time_us: int = 0        # r->request_time, microseconds since epoch
    end_time_us: int | None = None  # None: taken at the first time token
    # --- process and connection (%P %k %X %L) -----------------------------
    pid: int | None = None          # None: this process
    tid: int | None = None          # None: the formatting thread
    keepalives: int = 0             # c->keepalives
    keepalive: bool = False         # c->keepalive == AP_CONN_KEEPALIVE
    keep_alive_max: int = 100       # MaxKeepAliveRequests (0 = unlimited)
    aborted: bool = False           # c->aborted
    log_id: str | None = None
    conn_log_id: str | None = None
    # --- mod_logio (%I %O %S %^FB) -----------------------------------------
    bytes_in: int = 0
    bytes_out: int = 0
    ttfb_us: int | None = None


def merge_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names, repeated fields joined with ", ".

    That is what ``apr_table_compress(r->headers_in, APR_OVERLAP_TABLES_MERGE)``
    leaves in r->headers_in after ``ap_get_mime_headers_core``.
    """
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        old = out.get(key)
        out[key] = value if old is None else old + ", " + value
    return out


def connection_status(aborted: bool, keepalive: bool, keepalives: int,
                      keep_alive_max: int) -> str:
    """``%X``: 'X' aborted, '+' may be kept alive, '-' will close.

    ``log_connection_status``: '+' needs AP_CONN_KEEPALIVE and, when
    MaxKeepAliveRequests is set, requests left on the connection.
    """
    if aborted:
        return "X"
    if keepalive and (not keep_alive_max or keep_alive_max - keepalives > 0):
        return "+"
    return "-"


# ---------------------------------------------------------------------------
# ap_escape_logitem
# ---------------------------------------------------------------------------

# gen_test_char.c: T_ESCAPE_LOGITEM = !isprint(c) || c == '"' || c == '\\'
# || iscntrl(c), in the C locale, i.e. everything outside 0x20..0x7e plus
# the quote and the backslash.  Named escapes first, \xhh for the rest.
_NAMED = {0x08: "\\b", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v",
          0x5C: "\\\\", 0x22: '\\"'}
_ESC_TABLE: dict[int, str] = {}
for _c in list(range(0x00, 0x20)) + [0x22, 0x5C] + list(range(0x7F, 0x100)):
    _ESC_TABLE[_c] = _NAMED.get(_c, "\\x%02x" % _c)
# surrogateescape'd bytes print as the byte they stand for
for _c in range(0x80, 0x100):
    _ESC_TABLE[0xDC00 + _c] = "\\x%02x" % _c
del _c

_ESC_CACHE_MAX = 4096     # values like User-Agent repeat; keep a few
_ESC_CACHE_ITEM_MAX = 512


def _escape_slow(s: str) -> str:
    out = s.translate(_ESC_TABLE)
    if not out.isascii():
        # chars above U+00FF did not come from a single byte: escape their
        # UTF-8 bytes, as Apache would see them.
        parts = []
        for ch in out:
            if ord(ch) < 0x80:
                parts.append(ch)
            else:
                parts.extend("\\x%02x" % b for b in
                             ch.encode("utf-8", "surrogatepass"))
        out = "".join(parts)
    return out


def _escape(s: str) -> str:
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return s
    return _escape_slow(s)


class _EscapeCache(dict):
    """value -> escaped value; ``cache[None]`` is "-".

    Generated code subscripts it (``_E[r.method]``): a hit is a C-level dict
    lookup with no Python call, and most logged values (methods, protocols,
    user agents, referers, vhost names) repeat.  Misses compute, and store
    short values, clearing the whole cache when it grows past its bound.
    """

    __slots__ = ()

    def __missing__(self, s: str | None) -> str:
        if s is None:
            return "-"
        r = _escape(s)
        if len(s) <= _ESC_CACHE_ITEM_MAX:
            if len(self) >= _ESC_CACHE_MAX:
                self.clear()
            self[s] = r
        return r


_E = _EscapeCache()


def escape_logitem(s: str | None) -> str:
    """``ap_escape_logitem``, with None becoming "-" as in ``process_item``."""
    return _E[s]


# ---------------------------------------------------------------------------
# Value helpers used by generated code (kept module-level: fast global loads)
# ---------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

class _ClfCache(dict):
    """second -> "[27/Nov/2026:01:23:45 +0000]" (local time).

    log_request_time keeps a 4-slot cache of CLF strings keyed by second;
    so do we, as a dict subscripted from generated code.
    """

    __slots__ = ()

    def __missing__(self, sec: int) -> str:
        tm = time.localtime(sec)
        off = tm.tm_gmtoff
        sign = "+"
        if off < 0:
            sign, off = "-", -off
        s = "[%02d/%s/%d:%02d:%02d:%02d %c%02d%02d]" % (
            tm.tm_mday, _MONTHS[tm.tm_mon - 1], tm.tm_year, tm.tm_hour,
            tm.tm_min, tm.tm_sec, sign, off // 3600, (off % 3600) // 60)
        if len(self) >= 4:
            self.clear()
        self[sec] = s
        return s


_CLF = _ClfCache()


def _clf_time(us: int) -> str:
    return _CLF[us // 1_000_000]


def _strftime(fmt: str, us: int) -> str:
    # apr_strftime is the C library's strftime on an exploded local time.
    return time.strftime(fmt, time.localtime(us // 1_000_000))


def _end(r: LogRecord) -> int:
    # get_request_end_time: taken once, at the first item that needs it.
    e = r.end_time_us
    if e is None:
        e = r.end_time_us = time.time_ns() // 1000
    return e


def _pfmt(i: int | None) -> str:
    # pfmt(): status <= 0 prints as "-"
    return str(i) if i is not None and i > 0 else "-"


class _StatusCache(dict):
    __slots__ = ()

    def __missing__(self, i: int | None) -> str:
        return _pfmt(i)


_ST = _StatusCache((i, str(i)) for i in range(100, 600))


def _user(u: str | None) -> str:
    if u is None:
        return "-"
    if u == "":
        return '""'
    return escape_logitem(u)


_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21", "ws": "80",
                  "wss": "443"}


def mask_request_line(line: str) -> str:
    """``log_request_line``: hide a password in an absolute request-target.

    When the parsed URI has a password, Apache logs ``method + " " +
    apr_uri_unparse(uri) [+ " " + protocol]`` instead of the raw line: the
    password becomes ``XXXXXXXX`` (even an empty one), a scheme-default
    port is dropped, and single spaces separate the parts.  Anything else
    is returned unchanged.
    """
    parts = line.split()
    if len(parts) < 2:
        return line
    target = parts[1]
    scheme, sep, rest = target.partition("://")
    if not sep:
        return line
    authority, tail = split_authority(rest)
    userinfo, at, hostport = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return line
    user = userinfo.split(":", 1)[0]
    host, colon, port = hostport.rpartition(":") if (
        "]" not in hostport.rsplit(":", 1)[-1]) else ("", "", "")
    if colon and host and (port == "" or
                           port == _DEFAULT_PORTS.get(scheme.lower())):
        hostport = host
    out = "%s %s://%s:XXXXXXXX@%s%s" % (parts[0], scheme, user, hostport,
                                         tail)
    if len(parts) >= 3:
        out += " " + parts[2]
    return out


def _request_line(line: str) -> str:
    # request lines rarely repeat: escape without touching the cache
    if "@" in line:
        line = mask_request_line(line)
    return _escape(line)


def _dash(v: str | None) -> str:
    return "-" if v is None else v


def _tget(m: Mapping[str, str], key: str, lkey: str) -> str | None:
    v = m.get(key)
    if v is None and m:
        for k, val in m.items():
            if k.lower() == lkey:
                return val
    return v


def _hout(headers: Sequence[tuple[str, str]], lname: str) -> str | None:
    for k, v in headers:
        if k.lower() == lname:
            return v
    return None


def _hout_all(headers: Sequence[tuple[str, str]], lname: str) -> str | None:
    # find_multiple_headers: every match, joined with ", "
    vals = [v for k, v in headers if k.lower() == lname]
    return ", ".join(vals) if vals else None


def _content_type(r: LogRecord) -> str | None:
    # log_header_out: r->content_type wins, without parameters
    # (ap_field_noparam: up to ';', trailing whitespace dropped).
    ct = r.content_type
    if ct:
        return ct.split(";", 1)[0].rstrip(" \t")
    return _hout(r.headers_out, "content-type")


_SPACE = " \t\n\r\v\f"


def _cookie(header: str | None, name: str) -> str | None:
    """``log_cookie``: Netscape v0 cookies, names matched without case."""
    if not header:
        return None
    lname = name.lower()
    for cookie in header.split(";"):
        if not cookie:
            continue            # apr_strtok skips empty tokens
        cookie = cookie.lstrip("=")  # ... and leading delimiters
        cname, sep, value = cookie.partition("=")
        if not cname or not value:
            continue
        cname = cname.lstrip(" \t").rstrip(_SPACE)
        if cname.lower() == lname:
            return escape_logitem(value.lstrip(" \t").rstrip(_SPACE))
    return None


_pid_str = str(os.getpid())


def _reset_pid() -> None:
    global _pid_str
    _pid_str = str(os.getpid())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pid)


def _pid(r: LogRecord) -> str:
    return _pid_str if r.pid is None else str(r.pid)


def _tid(r: LogRecord, hexa: bool) -> str:
    # apr_os_thread_current() is pthread_self(), which is what
    # threading.get_ident() returns; "%pT" prints it in decimal, "%pt" hex.
    t = threading.get_ident() if r.tid is None else r.tid
    return format(t, "x") if hexa else str(t)


# ---------------------------------------------------------------------------
# Parsing (parse_log_item / parse_log_misc_string)
# ---------------------------------------------------------------------------

# handler letter -> want_orig default (log_pre_config, mod_logio)
_HANDLERS: dict[str, int] = {
    "h": 0, "a": 0, "A": 0, "l": 0, "u": 0, "t": 0, "f": 0, "b": 0, "B": 0,
    "i": 0, "o": 0, "n": 0, "L": 1, "e": 0, "V": 0, "v": 0, "p": 0, "P": 0,
    "H": 0, "m": 0, "q": 0, "X": 0, "C": 0, "k": 0, "r": 1, "D": 1, "T": 1,
    "U": 1, "s": 1, "R": 1, "^ti": 0, "^to": 0,
    "I": 0, "O": 0, "S": 0, "^FB": 0,
}


@dataclass(frozen=True, slots=True)
class _Item:
    handler: str | None          # None for literal text
    arg: str = ""
    negate: bool = False         # condition_sense
    want_orig: bool = False
    conditions: tuple[int, ...] = ()


def _parse_misc(s: str, i: int) -> tuple[_Item, int]:
    out = []
    n = len(s)
    while i < n and s[i] != "%":
        c = s[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        nxt = s[i] if i < n else ""
        if nxt == "\\":
            out.append("\\")
            i += 1
        elif nxt == "r":
            out.append("\r")
            i += 1
        elif nxt == "n":
            out.append("\n")
            i += 1
        elif nxt == "t":
            out.append("\t")
            i += 1
        else:
            # copy the backslash; the next char is handled normally (so
            # "\%h" is a backslash followed by %h).
            out.append("\\")
    return _Item(None, "".join(out)), i


def _parse_item(s: str, i: int) -> tuple[_Item, int]:
    if s[i] != "%":
        return _parse_misc(s, i)
    i += 1
    n = len(s)
    if i < n and s[i] == "%":
        return _Item(None, "%"), i + 1
    negate = False
    want_orig = -1
    arg = ""
    conds: list[int] = []
    while i < n:
        c = s[i]
        if c == "!":
            negate = not negate
            i += 1
        elif c == "<":
            want_orig = 1
            i += 1
        elif c == ">":
            want_orig = 0
            i += 1
        elif c == ",":
            i += 1
        elif c == "{":
            end = s.find("}", i + 1)
            if end < 0:          # ap_getword: the rest of the string
                arg = s[i + 1:]
                i = n
            else:
                arg = s[i + 1:end]
                i = end + 1
        elif "0" <= c <= "9":
            j = i
            while j < n and "0" <= s[j] <= "9":
                j += 1
            conds.append(int(s[i:j]))
            i = j
        else:
            name = None
            if c == "^" and i + 2 < n:   # '^' + two chars first
                if s[i:i + 3] in _HANDLERS:
                    name = s[i:i + 3]
                    i += 3
            if name is None:
                if c not in _HANDLERS:
                    raise LogFormatError(
                        "Unrecognized LogFormat directive %" + c)
                name = c
                i += 1
            if want_orig == -1:
                want_orig = _HANDLERS[name]
            return _Item(name, arg, negate, bool(want_orig), tuple(conds)), i
    raise LogFormatError(
        "Ran off end of LogFormat parsing args to some directive")


def parse_format(fmt: str) -> list[_Item]:
    """The item list ``parse_log_string`` builds, "\\n" item included."""
    items: list[_Item] = []
    i = 0
    while i < len(fmt):
        item, i = _parse_item(fmt, i)
        items.append(item)
    items.append(_Item(None, "\n"))   # APR_EOL_STR
    return items


# ---------------------------------------------------------------------------
# Code generation
# ---------------------------------------------------------------------------

class _Gen:
    """Collects constants and expressions for one generated function."""

    def __init__(self) -> None:
        self.ns: dict[str, object] = {
            "_E": _E, "_CLF": _CLF, "_ST": _ST,
            "_strftime": _strftime, "_end": _end, "_pfmt": _pfmt,
            "_user": _user, "_dash": _dash, "_tget": _tget, "_hout": _hout,
            "_hout_all": _hout_all, "_content_type": _content_type,
            "_cookie": _cookie, "_pid": _pid, "_tid": _tid,
            "_request_line": _request_line,
            "str": str,
        }
        self.n = 0

    def const(self, value: object) -> str:
        name = "_k%d" % self.n
        self.n += 1
        self.ns[name] = value
        return name


def _time_expr(g: _Gen, a: str) -> str:
    """``log_request_time``: begin:/end: prefix, sec/msec/usec[_frac], strftime."""
    start = "r.request_time_us"
    fmt = a
    kind = "custom"
    if a:
        rest = a
        if rest.startswith("begin"):
            rest = rest[5:]
            if not rest:
                kind = "clf"
            elif rest[0] == ":":
                rest = rest[1:]
                fmt = rest
        elif rest.startswith("end"):
            rest = rest[3:]
            if not rest:
                start = "_end(r)"
                kind = "clf"
            elif rest[0] == ":":
                rest = rest[1:]
                fmt = rest
                start = "_end(r)"
        if rest.startswith("msec"):
            if rest == "msec":
                kind = "msec"
            elif rest == "msec_frac":
                kind = "msec_frac"
        elif rest.startswith("usec"):
            if rest == "usec":
                kind = "usec"
            elif rest == "usec_frac":
                kind = "usec_frac"
        elif rest == "sec":
            kind = "sec"
        elif not rest:
            kind = "clf"
    else:
        kind = "clf"
    if kind == "clf":
        return "_CLF[%s // 1000000]" % start
    if kind == "sec":
        return "str(%s // 1000000)" % start
    if kind == "msec":
        return "str(%s // 1000)" % start
    if kind == "usec":
        return "str(%s)" % start
    if kind == "msec_frac":
        return "'%%03d' %% (%s // 1000 %% 1000)" % start
    if kind == "usec_frac":
        return "'%%06d' %% (%s %% 1000000)" % start
    return "_strftime(%s, %s)" % (g.const(fmt), start)


def _item_expr(g: _Gen, it: _Item) -> str:
    h, a, orig = it.handler, it.arg, it.want_orig
    k = g.const
    if h == "h":
        if a == "c":
            return "_E[r.client_host or r.client_ip or r.remote_ip]"
        return "_E[r.remote_host or r.remote_ip]"
    if h == "a":
        return "(r.client_ip or r.remote_ip)" if a == "c" else "r.remote_ip"
    if h == "A":
        return "r.local_ip"
    if h == "l":
        return "_E[r.remote_logname]"
    if h == "u":
        return "_user(r.user)"
    if h == "t":
        return _time_expr(g, a)
    if h == "f":
        return "_E[r.filename]"
    if h == "b":
        return "(str(r.bytes_sent) if r.bytes_sent else '-')"
    if h == "B":
        return "str(r.bytes_sent)"
    if h == "i":
        return "_E[r.headers_in.get(%s)]" % k(a.lower())
    if h == "o":
        la = a.lower()
        if la == "content-type":
            return "_E[_content_type(r)]"
        if la == "set-cookie":
            return "_E[_hout_all(r.headers_out, %s)]" % k(la)
        return "_E[_hout(r.headers_out, %s)]" % k(la)
    if h == "n":
        return "_E[_tget(r.notes, %s, %s)]" % (k(a), k(a.lower()))
    if h == "e":
        return "_E[_tget(r.env, %s, %s)]" % (k(a), k(a.lower()))
    if h == "L":
        return "_dash(r.conn_log_id)" if a == "c" else "_dash(r.log_id)"
    if h == "V":
        return ("_E[r.server_hostname if r.server_name is None"
                " else r.server_name]")
    if h == "v":
        return "_E[r.server_hostname]"
    if h == "p":
        la = a.lower()
        if la in ("", "canonical"):
            return "str(r.server_port)"
        if la == "remote":
            return "str(r.remote_port)"
        if la == "local":
            return "str(r.local_port)"
        return k(a)                      # bogus format: the argument itself
    if h == "P":
        la = a.lower()
        if la in ("", "pid"):
            return "_pid(r)"
        if la in ("tid", "hextid"):
            return "_tid(r, %s)" % (a[:1] == "h")
        return k(a)
    if h == "H":
        return "_E[r.protocol]"
    if h == "m":
        return "_E[r.method]"
    if h == "q":
        return "('' if r.query is None else '?' + _E[r.query])"
    if h == "X":
        return ("('X' if r.aborted else '+' if r.keepalive and "
                "(not r.keep_alive_max or r.keep_alive_max - r.keepalives"
                " > 0) else '-')")
    if h == "C":
        return "_dash(_cookie(r.headers_in.get('cookie'), %s))" % k(a)
    if h == "k":
        return "str(r.keepalives - 1 if r.keepalives else 0)"
    if h == "r":
        return "_request_line(r.request_line)"
    if h == "D":
        return "str(_end(r) - r.request_time_us)"
    if h == "T":
        la = a.lower()
        if la in ("", "s"):
            return "str((_end(r) - r.request_time_us) // 1000000)"
        if la == "ms":
            return "str((_end(r) - r.request_time_us) // 1000)"
        if la == "us":
            return "str(_end(r) - r.request_time_us)"
        return k(a)
    if h == "U":
        if orig:
            return "_E[r.uri if r.orig_uri is None else r.orig_uri]"
        return "_E[r.uri]"
    if h == "s":
        if orig:
            return "_ST[r.status if r.orig_status is None else r.orig_status]"
        return "_ST[r.status]"
    if h == "R":
        if orig:
            return ("_E[r.handler if r.orig_handler is None"
                    " else r.orig_handler]")
        return "_E[r.handler]"
    if h == "I":
        return "str(r.bytes_in)"
    if h == "O":
        return "str(r.bytes_out)"
    if h == "S":
        return "str(r.bytes_in + r.bytes_out)"
    if h == "^FB":
        return "(str(r.ttfb_us) if r.ttfb_us else '-')"
    if h == "^ti":
        return "_E[r.trailers_in.get(%s)]" % k(a.lower())
    if h == "^to":
        return "_E[r.trailers_out.get(%s)]" % k(a.lower())
    raise AssertionError(h)   # _parse_item only yields known handlers


# Items whose value can differ between two requests that arrived as the same
# bytes and got the same response: the connection (%h %a %{remote}p), the
# clock (%t %D %T, %{...}t), the connection's counters (%k %X), ids (%L %P),
# and byte counts (%b %B %I %O %S %^FB: a client may vanish mid-body).
# Everything else is a function of the request bytes, the config and the
# response headers (see ``LogFormat.specialize``).
_VARYING = frozenset(("h", "a", "t", "D", "T", "k", "X", "L", "P", "b", "B",
                      "I", "O", "S", "^FB"))


# Items that read the request's headers (%{X}i, %{X}C, %{X}^ti): two
# requests for the same URL with the same method and protocol can still
# differ in these.
_FROM_HEADERS = frozenset(("i", "C", "^ti"))


def _varies(it: _Item) -> bool:
    if it.handler == "p":
        return it.arg.lower() == "remote"
    return it.handler in _VARYING


def _generate(items: Sequence[_Item], name: str, sample: LogRecord | None = None
              ) -> tuple[str, Callable[[LogRecord], str]]:
    """The source and function of one formatter over *items*.

    With a *sample* record, items that do not vary (``_varies``) are
    evaluated once against it and become literal text.
    """
    g = _Gen()
    exprs: list[str] = []
    literal: list[str] = []
    for it in items:
        if it.handler is None:
            literal.append(it.arg)
            continue
        e = _item_expr(g, it)
        if not it.conditions and isinstance(g.ns.get(e), str):
            literal.append(g.ns[e])  # a bogus %{x}p etc. prints its arg
            continue
        if it.conditions:
            # process_item tests the *final* request's status
            op = "in" if it.negate else "not in"
            e = "('-' if r.status %s %s else %s)" % (
                op, g.const(frozenset(it.conditions)), e)
        if sample is not None and not _varies(it):
            literal.append(eval("lambda r: " + e, g.ns)(sample))
            continue
        if literal:
            exprs.append(g.const("".join(literal)))
            literal = []
        exprs.append(e)
    if literal:
        exprs.append(g.const("".join(literal)))
    # One f-string: BUILD_STRING joins the parts without a tuple.  The
    # expressions only use single quotes and no backslashes (3.11 rule).
    body = 'f"""%s"""' % "".join("{%s}" % e for e in exprs)
    code = "def _format(r):\n    return %s\n" % body
    exec(compile(code, name, "exec"), g.ns)
    return code, g.ns["_format"]  # type: ignore[return-value]


class LogFormat:
    """A compiled LogFormat.  ``format(record)`` returns the line with "\\n".

    Compile once per distinct string (``compile_format`` caches); calling the
    result costs one generated function call per request.
    """

    __slots__ = ("source", "items", "format", "_code", "reads_request_headers")

    def __init__(self, source: str):
        self.source = source
        self.items = parse_format(source)
        # whether a line depends on request headers (beyond what the
        # request line and the chosen server fix); decided once, here
        self.reads_request_headers = any(it.handler in _FROM_HEADERS for it in self.items)
        self._code, self.format = _generate(self.items, "<LogFormat %r>" % source[:60])

    def __call__(self, record: LogRecord) -> str:
        return self.format(record)

    def format_bytes(self, record: LogRecord) -> bytes:
        return self.format(record).encode("utf-8", "surrogateescape")

    def specialize(self, sample: LogRecord) -> Callable[[LogRecord], str]:
        """A formatter for requests that differ from *sample* only in what
        ``_varies`` (a repeated request for the same file, say): the other
        items are formatted once, here, and become literal text.  Give the
        result records that share *sample*'s other fields."""
        return _generate(self.items, "<LogFormat %r specialized>" % self.source[:60], sample)[1]

    def __repr__(self) -> str:
        return "LogFormat(%r)" % self.source


@functools.lru_cache(maxsize=256)
def compile_format(fmt: str) -> LogFormat:
    """Compile (and share) a LogFormat; raises ``LogFormatError``."""
    return LogFormat(fmt)
