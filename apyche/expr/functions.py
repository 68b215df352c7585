"""The variables, functions and operators ap_expr knows (server/util_expr_eval.c).

Names are resolved at parse time, as Apache's expr_lookup hook does, by a
``Lookup``; a failed lookup is Apache's message ("Variable 'X' does not
exist", ...).  ``CORE`` is the core set; modules add theirs with
``Lookup.extend`` (mod_ssl's SSL_* variables, PeerExtList...).

Provider signatures (``ctx`` is an ``ExprContext``):

* variable:         fn(ctx) -> str | None
* string function:  fn(ctx, arg: str) -> str | None
* list function:    fn(ctx, arg: str) -> list[str] | None
* unary operator:   fn(ctx, data, arg: str) -> bool
* binary operator:  fn(ctx, data, left: str, right: str) -> bool

``data`` is what an operator's argument parser made of a constant argument
at parse time (-R / -ipmatch: the subnet), else the operator's name.
Failing at evaluation time is ``raise EvalError(message)``.

Strings are text (str).  Where Apache works on the bytes (md5, sha1,
base64, escape, file), text is encoded as UTF-8 with surrogateescape, the
convention of apyche.config.reader; see ``to_bytes`` / ``to_text``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import stat as _stat
import time
from dataclasses import dataclass, field
from typing import Any, Callable

# MODULE_MAGIC_NUMBER_MAJOR of httpd 2.4 (include/ap_mmn.h)
API_VERSION = "20120211"


class EvalError(Exception):
    """Evaluation failed (Apache: the expression gives an error, -1)."""


class LookupError_(Exception):
    """A name did not resolve; the message is Apache's."""



def _osenv(ctx, name: str):
    """The process environment's *name*; a name the OS cannot hold (a lone
    surrogate, a NUL) is simply not set, never an exception."""
    try:
        return ctx.osenv.get(name)
    except (UnicodeError, ValueError):
        return None

def to_bytes(s: str) -> bytes:
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:          # a lone surrogate outside U+DC80..DCFF
        return s.encode("utf-8", "surrogatepass")


def to_text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _c_string(s: str) -> str:
    """What a C string holding *s* reads as: cut at the first NUL."""
    i = s.find("\0")
    return s if i < 0 else s[:i]


# ---------------------------------------------------------------------------
# variables
# ---------------------------------------------------------------------------

def _vary(ctx, name: str) -> None:
    vary = getattr(ctx, "vary", None)
    if vary is not None and name.lower() != "host":
        vary.append(name)


def _header_var(header: str):
    def fn(ctx):
        _vary(ctx, header)
        return ctx.request_headers.get(header)
    return fn


def _ctx_var(name: str):
    def fn(ctx):
        return ctx.vars.get(name)
    return fn


def _localtime(ctx):
    return time.localtime(ctx.now())


def _time_var(fmt):
    return lambda ctx: fmt(_localtime(ctx))


def _ipv6(ctx):
    ip = ctx.conn_remote_ip or ""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "off"
    if addr.version == 6 and addr.ipv4_mapped is None:
        return "on"
    return "off"


def _last_modified(ctx):
    """LAST_MODIFIED: r->mtime as local YYYYmmddHHMMSS; the context gives it
    in vars (as text); unset is r->mtime == 0, i.e. the epoch."""
    v = ctx.vars.get("LAST_MODIFIED")
    if v is not None:
        return v
    return time.strftime("%Y%m%d%H%M%S", time.localtime(0))


def _server_software(ctx):
    v = ctx.vars.get("SERVER_SOFTWARE")
    if v is not None:
        return v
    from .. import SERVER_VERSION
    return SERVER_VERSION


CORE_VARIABLES: dict[str, Callable] = {
    # misc_var_names
    "TIME_YEAR": _time_var(lambda t: "%04d" % t.tm_year),
    "TIME_MON": _time_var(lambda t: "%02d" % t.tm_mon),
    "TIME_DAY": _time_var(lambda t: "%02d" % t.tm_mday),
    "TIME_HOUR": _time_var(lambda t: "%02d" % t.tm_hour),
    "TIME_MIN": _time_var(lambda t: "%02d" % t.tm_min),
    "TIME_SEC": _time_var(lambda t: "%02d" % t.tm_sec),
    "TIME_WDAY": _time_var(lambda t: "%d" % ((t.tm_wday + 1) % 7)),
    "TIME": _time_var(lambda t: time.strftime("%Y%m%d%H%M%S", t)),
    "SERVER_SOFTWARE": _server_software,
    "API_VERSION": lambda ctx: API_VERSION,
    # req_header_var_names
    "HTTP_USER_AGENT": _header_var("User-Agent"),
    "HTTP_PROXY_CONNECTION": _header_var("Proxy-Connection"),
    "HTTP_REFERER": _header_var("Referer"),
    "HTTP_COOKIE": _header_var("Cookie"),
    "HTTP_FORWARDED": _header_var("Forwarded"),
    "HTTP_HOST": _header_var("Host"),
    "HTTP_ACCEPT": _header_var("Accept"),
    # request_var_names
    "REQUEST_METHOD": lambda ctx: ctx.method,
    "REQUEST_SCHEME": lambda ctx: ctx.scheme,
    "REQUEST_URI": lambda ctx: ctx.uri,
    "REQUEST_FILENAME": lambda ctx: ctx.filename,
    "REMOTE_HOST": _ctx_var("REMOTE_HOST"),
    "REMOTE_IDENT": _ctx_var("REMOTE_IDENT"),
    "REMOTE_USER": _ctx_var("REMOTE_USER"),
    "SERVER_ADMIN": _ctx_var("SERVER_ADMIN"),
    "SERVER_NAME": _ctx_var("SERVER_NAME"),
    "SERVER_PORT": _ctx_var("SERVER_PORT"),
    "SERVER_PROTOCOL": lambda ctx: ctx.protocol,
    "SCRIPT_FILENAME": lambda ctx: ctx.filename,
    "PATH_INFO": lambda ctx: ctx.path_info,
    "QUERY_STRING": lambda ctx: ctx.query,
    "IS_SUBREQ": lambda ctx: "true" if ctx.is_subreq else "false",
    "DOCUMENT_ROOT": _ctx_var("DOCUMENT_ROOT"),
    "AUTH_TYPE": _ctx_var("AUTH_TYPE"),
    "THE_REQUEST": lambda ctx: ctx.the_request,
    "CONTENT_TYPE": _ctx_var("CONTENT_TYPE"),
    "HANDLER": _ctx_var("HANDLER"),
    "REQUEST_LOG_ID": _ctx_var("REQUEST_LOG_ID"),
    "SCRIPT_USER": lambda ctx: ctx.vars.get("SCRIPT_USER", ""),
    "SCRIPT_GROUP": lambda ctx: ctx.vars.get("SCRIPT_GROUP", ""),
    "DOCUMENT_URI": lambda ctx: ctx.env.get("DOCUMENT_URI") or ctx.uri,
    "LAST_MODIFIED": _last_modified,
    "CONTEXT_PREFIX": _ctx_var("CONTEXT_PREFIX"),
    "CONTEXT_DOCUMENT_ROOT": _ctx_var("CONTEXT_DOCUMENT_ROOT"),
    "REQUEST_STATUS": lambda ctx: str(ctx.status) if ctx.status else "",
    "REMOTE_ADDR": lambda ctx: ctx.remote_ip,
    "REMOTE_PORT": lambda ctx: str(ctx.remote_port),
    # conn_var_names
    "HTTPS": lambda ctx: "on" if ctx.https else "off",
    "IPV6": _ipv6,
    "CONN_LOG_ID": _ctx_var("CONN_LOG_ID"),
    "CONN_REMOTE_ADDR": lambda ctx: ctx.conn_remote_ip,
    "HTTP2": lambda ctx: "on" if ctx.http2 else "off",
}

# ---------------------------------------------------------------------------
# string functions
# ---------------------------------------------------------------------------

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

# T_OS_ESCAPE_PATH (server/gen_test_char.c): all but alnum and these
_PATH_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       b"0123456789$-_.+!*'(),:;@&=/~")
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64_ALPHABET)}
_HEX = "0123456789abcdefABCDEF"


def _req(ctx, arg):
    _vary(ctx, arg)
    return ctx.request_headers.get(arg)


def _resp(ctx, arg):
    v = ctx.response_headers.get(arg)
    if v is not None:
        return v
    return ctx.err_response_headers.get(arg)


def _env(ctx, arg):
    v = ctx.notes.get(arg)
    if v is None:
        v = ctx.env.get(arg)
    if v is None:
        v = _osenv(ctx, arg)
    return v


def escape(arg: str) -> str:
    """ap_escape_uri: %-escape (lower-case hex) all but alnum and $-_.+!*'(),:;@&=/~"""
    out = []
    for b in to_bytes(arg):
        out.append(chr(b) if b in _PATH_SAFE else "%%%02x" % b)
    return "".join(out)


def unescape(ctx, arg: str) -> str:
    """ap_unescape_url_keep2f(s, 0): %2F stays, %00 or a bad %-escape -> ""."""
    if "%" not in arg:
        return arg
    raw = to_bytes(arg)
    out = bytearray()
    i, n = 0, len(raw)
    bad = None
    while i < n:
        b = raw[i]
        if b != 0x25:
            out.append(b)
            i += 1
            continue
        h = raw[i + 1:i + 3]
        if len(h) < 2 or chr(h[0]) not in _HEX or chr(h[1]) not in _HEX:
            bad = bad or "Bad"
            out.append(b)
            i += 1
            continue
        v = int(h, 16)
        if v == 0:
            bad = "Forbidden" if bad is None else bad
            out.append(v)
            i += 3
        elif v == 0x2F:
            out += raw[i:i + 3]
            i += 3
        else:
            out.append(v)
            i += 3
    if bad:
        # AH00538 at debug level; the function then gives ""
        log = getattr(ctx, "log", None)
        if log is not None:
            log("debug", f"{bad} % escape in unescape('{arg}')")
        return ""
    return to_text(bytes(out))


def base64_encode(arg: str) -> str:
    import base64
    return base64.b64encode(to_bytes(arg)).decode("ascii")


def base64_decode(arg: str) -> str:
    """apr_base64_decode: the run of alphabet characters at the start, cut at NUL."""
    data = to_bytes(arg)
    n = 0
    while n < len(data) and data[n] in _B64_VALUE:
        n += 1
    vals = [_B64_VALUE[c] for c in data[:n]]
    out = bytearray()
    for i in range(0, n, 4):
        q = vals[i:i + 4]
        if len(q) >= 2:
            out.append(((q[0] << 2) | (q[1] >> 4)) & 0xFF)
        if len(q) >= 3:
            out.append(((q[1] << 4) | (q[2] >> 2)) & 0xFF)
        if len(q) >= 4:
            out.append(((q[2] << 6) | q[3]) & 0xFF)
    return _c_string(to_text(bytes(out)))


MAX_FILE_SIZE = 10 * 1024 * 1024


def _file(ctx, arg):
    """file(): the whole file, as apr_file_open/apr_file_info_get/read do.

    The size comes from stat first, so special files (size 0) give "" and
    are never read, and nothing over 10 MB is read.
    """
    st = ctx.stat(arg)
    if st is None:
        raise EvalError(f"Cannot open file {arg}")
    if st.st_size > MAX_FILE_SIZE:
        raise EvalError(f"File {arg} too large")
    if st.st_size == 0:
        return ""
    if _stat.S_ISDIR(st.st_mode):
        raise EvalError(f"Cannot read from file {arg}")
    try:
        data = ctx.read_file(arg)
    except (OSError, ValueError):
        raise EvalError(f"Cannot open file {arg}") from None
    return _c_string(to_text(data[:st.st_size]))


def _filesize(ctx, arg):
    st = ctx.stat(arg)
    if st is not None and _stat.S_ISREG(st.st_mode) and st.st_size > 0:
        return str(st.st_size)
    return "0"


def ldap_escape(arg: str) -> str:
    """apr_pescape_ldap(APR_ESCAPE_LDAP_ALL): \\xx for DN and filter specials.

    Checked against apache2 for \\ + , ; < > * ( ) = # and space (the
    last three are kept); leading '#' / spaces are not special-cased.
    """
    out = []
    for b in to_bytes(arg):
        if b in b'\\"+,;<>*()' or b == 0:
            out.append("\\%02x" % b)
        else:
            out.append(chr(b))
    return "".join(out)


CORE_STRING_FUNCS: dict[str, tuple[Callable, bool]] = {
    # name: (fn(ctx, arg), restricted)
    "osenv": (lambda ctx, a: _osenv(ctx, a), False),
    "env": (_env, False),
    "resp": (_resp, False),
    "req": (_req, False),
    "http": (_req, False),
    "note": (lambda ctx, a: ctx.notes.get(a), False),
    "reqenv": (lambda ctx, a: ctx.env.get(a), False),
    "req_novary": (lambda ctx, a: ctx.request_headers.get(a), False),
    "tolower": (lambda ctx, a: a.translate(_LOWER), False),
    "toupper": (lambda ctx, a: a.translate(_UPPER), False),
    "escape": (lambda ctx, a: escape(a), False),
    "unescape": (unescape, False),
    "file": (_file, True),
    "filesize": (_filesize, True),
    "base64": (lambda ctx, a: base64_encode(a), False),
    "unbase64": (lambda ctx, a: base64_decode(a), False),
    "sha1": (lambda ctx, a: hashlib.sha1(to_bytes(a)).hexdigest(), False),
    "md5": (lambda ctx, a: hashlib.md5(to_bytes(a)).hexdigest(), False),
    "ldap": (lambda ctx, a: ldap_escape(a), False),
}

# ---------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------


_DOTTED_QUAD = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")


def _inet_pton4(text: str) -> int | None:
    """inet_pton(AF_INET): exactly a.b.c.d, no leading zeros."""
    if not _DOTTED_QUAD.fullmatch(text) or not text.isascii():
        return None
    parts = [int(p) for p in text.split(".")]
    if any(p > 255 for p in parts):
        return None
    return (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]


def _inet_pton6(text: str) -> ipaddress.IPv6Address | None:
    if "%" in text or not text.isascii():
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def _parse_network(text: str):
    """APR parse_network: the legacy "10.1" / "10.1.2." network forms."""
    if len(text) >= 16:
        return None
    sub = mask = 0
    shift = 24
    i, n = 0, len(text)
    while i < n:
        j = i
        if not ("0" <= text[j] <= "9"):
            return None
        while j < n and "0" <= text[j] <= "9":
            j += 1
        octet = int(text[i:j])
        if j < n:
            if text[j] != ".":
                return None
            j += 1
        if shift < 0 or octet > 255:
            return None
        sub |= octet << shift
        mask |= 0xFF << shift
        i = j
        shift -= 8
    return ("v4", sub, mask)


def _strtol(text: str) -> tuple[int, bool]:
    """strtol(text, &end, 10): (value, whole string consumed)."""
    m = re.match(r"[ \t\n\v\f\r]*([+-]?[0-9]+)", text)
    if not m:
        return 0, text == ""
    return int(m.group(1)), m.end() == len(text)


def parse_subnet(text: str):
    """apr_ipsubnet_create(addr, mask) as the expression code calls it.

    Returns ("v4", sub, mask) / ("v6", sub, mask) as integers, or None
    ("parsing of subnet/netmask failed").
    """
    addr, slash, maskstr = text.partition("/")
    has_mask = bool(slash)
    # looks_like_ip
    if not addr:
        return None
    if ":" not in addr and any(c != "." and not ("0" <= c <= "9") for c in addr):
        return None
    # parse_ip
    v6 = _inet_pton6(addr)
    if v6 is not None:
        if v6.ipv4_mapped is not None:
            return None          # APR refuses IPv4-mapped subnets
        family, sub, bits = "v6", int(v6), 128
        mask = (1 << 128) - 1
    else:
        v4 = _inet_pton4(addr)
        if v4 is not None:
            family, sub, bits = "v4", v4, 32
            mask = 0xFFFFFFFF
        elif not has_mask:
            return _parse_network(addr)
        else:
            return None
    if has_mask:
        n, whole = _strtol(maskstr)
        if whole and 0 < n <= bits:
            mask = ((1 << bits) - 1) ^ ((1 << (bits - n)) - 1)
        else:
            m4 = _inet_pton4(maskstr)
            if m4 is None or family != "v4":
                return None
            mask = m4
    return (family, sub & mask, mask)


def _sockaddr(text: str):
    """apr_sockaddr_info_get for a numeric address: ("v4", int) / ("v6", int).

    IPv4 takes the inet_aton forms getaddrinfo accepts ("127.1", "0x7f.1");
    host names are not resolved (no DNS at request time): None.
    """
    if ":" in text:
        v6 = _inet_pton6(text)
        if v6 is None:
            return None
        if v6.ipv4_mapped is not None:
            return ("mapped", int(v6.ipv4_mapped))
        return ("v6", int(v6))
    try:
        packed = socket.inet_aton(text)
    except (OSError, ValueError):
        return None
    if text != text.strip() or not text:
        return None
    return ("v4", int.from_bytes(packed, "big"))


def subnet_test(subnet, ip_text: str) -> bool:
    """apr_ipsubnet_test."""
    sa = _sockaddr(ip_text)
    if sa is None:
        return False
    family, sub, mask = subnet
    kind, value = sa
    if kind in ("v4", "mapped"):
        return family == "v4" and (value & mask) == sub
    return family == "v6" and (value & mask) == sub


def _subnet_arg(name: str, arg: str | None):
    if arg is None:
        raise LookupError_(f"-{name} requires subnet/netmask as constant argument")
    subnet = parse_subnet(arg)
    if subnet is None:
        raise LookupError_("parsing of subnet/netmask failed")
    return subnet


def _op_nz(ctx, data, arg):
    return (arg == "") if data == "z" else (arg != "")


def _op_T(ctx, data, arg):
    if arg == "":
        return False
    c = arg[0]
    if c in "oO":
        return arg.lower() != "off"
    if c in "nN":
        return arg.lower() != "no"
    if c in "fF":
        return arg.lower() != "false"
    if c == "0":
        return len(arg) != 1
    return True


def _op_file_min(ctx, data, arg):
    st = ctx.stat(arg)
    if st is None:
        return False
    if data == "d":
        return _stat.S_ISDIR(st.st_mode)
    if data == "e":
        return True
    if data == "f":
        return _stat.S_ISREG(st.st_mode)
    return _stat.S_ISREG(st.st_mode) and st.st_size > 0     # s


def _op_file_link(ctx, data, arg):
    st = ctx.stat(arg, follow_symlinks=False)
    return st is not None and _stat.S_ISLNK(st.st_mode)


def _op_file_xbit(ctx, data, arg):
    st = ctx.stat(arg, follow_symlinks=False)
    return st is not None and bool(st.st_mode & 0o111)


def _op_R(ctx, data, arg):
    return subnet_test(data, ctx.remote_ip or "")


def _op_F(ctx, data, arg):
    return bool(ctx.subreq_file(arg))


def _op_U(ctx, data, arg):
    return bool(ctx.subreq_uri(arg))


def apr_fnmatch(pattern: str, string: str, pathname: bool = False,
                casefold: bool = False) -> bool:
    """apr_fnmatch with APR_FNM_PATHNAME / APR_FNM_CASE_BLIND (no PERIOD)."""
    return _fnmatch_re(pattern, pathname, casefold).fullmatch(string) is not None


_FNMATCH_CACHE: dict[tuple[str, bool, bool], re.Pattern] = {}


def _fnmatch_re(pattern: str, pathname: bool, casefold: bool) -> re.Pattern:
    key = (pattern, pathname, casefold)
    cached = _FNMATCH_CACHE.get(key)
    if cached is not None:
        return cached
    any_char = "[^/]" if pathname else "."
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append(any_char + "*")
            i += 1
        elif c == "?":
            out.append(any_char)
            i += 1
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif c == "[":
            j = i + 1
            neg = False
            if j < n and pattern[j] in "!^":
                neg, j = True, j + 1
            items = []
            first = True
            closed = False
            while j < n:
                ch = pattern[j]
                if ch == "]" and not first:
                    closed = True
                    break
                first = False
                if ch == "\\" and j + 1 < n:
                    ch = pattern[j + 1]
                    j += 1
                if pathname and ch == "/":
                    break
                if j + 2 < n and pattern[j + 1] == "-" and pattern[j + 2] != "]":
                    hi = pattern[j + 2]
                    if hi == "\\" and j + 3 < n:
                        hi = pattern[j + 3]
                        j += 1
                    items.append(re.escape(ch) + "-" + re.escape(hi) if ch <= hi else "")
                    j += 3
                else:
                    items.append(re.escape(ch))
                    j += 1
            if not closed:
                out.append(re.escape("["))   # no closing bracket: literal [
                i += 1
                continue
            body = "".join(items)
            if neg:
                out.append(f"[^{body}{'/' if pathname else ''}]" if body or pathname else "(?s:.)")
            else:
                out.append(f"[{body}]" if body else "(?!)")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    flags = re.DOTALL | (re.IGNORECASE if casefold else 0)
    rx = re.compile("".join(out), flags)
    if len(_FNMATCH_CACHE) < 4096:
        _FNMATCH_CACHE[key] = rx
    return rx


def _op_ipmatch(ctx, data, left, right):
    return subnet_test(data, left)


CORE_UNARY: dict[str, tuple[Callable, Callable | None, bool]] = {
    # name: (fn, argument parser, restricted); names are case sensitive
    "n": (_op_nz, None, False),
    "z": (_op_nz, None, False),
    "R": (_op_R, _subnet_arg, False),
    "T": (_op_T, None, False),
    "d": (_op_file_min, None, True),
    "e": (_op_file_min, None, True),
    "f": (_op_file_min, None, True),
    "s": (_op_file_min, None, True),
    "L": (_op_file_link, None, True),
    "h": (_op_file_link, None, True),
    "x": (_op_file_xbit, None, True),
    "F": (_op_F, None, False),
    "U": (_op_U, None, False),
    "A": (_op_U, None, False),
}

CORE_BINARY: dict[str, tuple[Callable, Callable | None, bool]] = {
    # names are case insensitive
    "ipmatch": (_op_ipmatch, _subnet_arg, False),
    "fnmatch": (lambda ctx, d, a, b: apr_fnmatch(b, a, pathname=True), None, False),
    "strmatch": (lambda ctx, d, a, b: apr_fnmatch(b, a), None, False),
    "strcmatch": (lambda ctx, d, a, b: apr_fnmatch(b, a, casefold=True), None, False),
}


# ---------------------------------------------------------------------------
# lookup
# ---------------------------------------------------------------------------

@dataclass
class Lookup:
    """Name resolution for one parse (ap_expr_lookup_fn_t).

    ``restricted`` is AP_EXPR_FLAG_RESTRICTED (mod_include): the file
    functions and operators are refused.  ``on_variable`` is called with
    each variable name looked up (mod_authz_core uses it to notice
    REMOTE_USER).
    """

    variables: dict[str, Callable] = field(default_factory=lambda: dict(CORE_VARIABLES))
    string_funcs: dict[str, tuple[Callable, bool]] = field(
        default_factory=lambda: dict(CORE_STRING_FUNCS))
    list_funcs: dict[str, Callable] = field(default_factory=dict)
    unary: dict[str, tuple[Callable, Callable | None, bool]] = field(
        default_factory=lambda: dict(CORE_UNARY))
    binary: dict[str, tuple[Callable, Callable | None, bool]] = field(
        default_factory=lambda: dict(CORE_BINARY))
    # prefix providers: (prefix, fn(name) -> provider | None), e.g. mod_ssl's SSL_*
    variable_prefixes: list[tuple[str, Callable[[str], Any]]] = field(default_factory=list)
    restricted: bool = False
    on_variable: Callable[[str], None] | None = None

    def __post_init__(self):
        self._vars_ci = {k.upper(): v for k, v in self.variables.items()}
        self._funcs_ci = {k.lower(): v for k, v in self.string_funcs.items()}
        self._binary_ci = {k.lower(): v for k, v in self.binary.items()}

    def extend(self, *, variables=None, string_funcs=None, list_funcs=None,
               unary=None, binary=None) -> "Lookup":
        """A copy with more providers (later ones win)."""
        new = Lookup(
            variables={**self.variables, **(variables or {})},
            string_funcs={**self.string_funcs, **(string_funcs or {})},
            list_funcs={**self.list_funcs, **(list_funcs or {})},
            unary={**self.unary, **(unary or {})},
            binary={**self.binary, **(binary or {})},
            variable_prefixes=list(self.variable_prefixes),
            restricted=self.restricted, on_variable=self.on_variable)
        return new

    def variable(self, name: str):
        if self.on_variable is not None:
            self.on_variable(name)
        fn = self._vars_ci.get(name.upper())
        if fn is None:
            for prefix, make in self.variable_prefixes:
                if name.startswith(prefix):
                    fn = make(name)
                    if fn is not None:
                        break
        if fn is None:
            raise LookupError_(f"Variable '{name}' does not exist")
        return fn

    def string_func(self, name: str):
        entry = self._funcs_ci.get(name.lower())
        if entry is None:
            raise LookupError_(f"Function '{name}' does not exist")
        fn, restricted = entry
        if restricted and self.restricted:
            raise LookupError_(f"{name.lower()} not available in restricted context")
        return fn

    def list_func(self, name: str):
        fn = self.list_funcs.get(name)
        if fn is None:
            raise LookupError_(f"List-returning function '{name}' does not exist")
        return fn

    def unary_op(self, name: str, const_arg: str | None):
        entry = self.unary.get(name)
        if entry is None:
            raise LookupError_(f"Unary operator '-{name}' does not exist")
        fn, parse_arg, restricted = entry
        if restricted and self.restricted:
            raise LookupError_(f"-{name} not available in restricted context")
        data = parse_arg(name, const_arg) if parse_arg else name
        return fn, data

    def binary_op(self, name: str, const_arg: str | None):
        entry = self._binary_ci.get(name.lower())
        if entry is None:
            raise LookupError_(f"Binary operator '-{name}' does not exist")
        fn, parse_arg, restricted = entry
        if restricted and self.restricted:
            raise LookupError_(f"-{name.lower()} not available in restricted context")
        data = parse_arg(name, const_arg) if parse_arg else name.lower()
        return fn, data


CORE = Lookup()
