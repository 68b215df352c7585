"""Immutable values the directive handlers produce, and the helpers that
parse them exactly as Apache's C helpers do.

Every class here is a frozen dataclass whose docstring names the Apache
function (or struct) it mirrors.  Handlers in ``apyche.config.directives``
return these; the config tree merges them with the ``merge`` rule named in
each ``Directive`` entry.

``merge(base, new)`` combines the values of two *scopes* (``base`` the
inherited one).  Within one scope, a directive whose handler returns a
tuple (Listen, Alias, AddType, Require, CustomLog...: Apache pushes onto
an array) has its tuples concatenated in config order first; any other
value (Options, DocumentRoot, IndexOptions...) is folded through ``merge``
in config order, which for "replace" means the last one wins.

* ``"replace"`` - the nearer (later-merged) value wins, as for Apache's
  ``if (new->x != UNSET) conf->x = new->x``.
* ``"append"`` - the inherited values, then the nearer ones (Apache's
  ``apr_array_append(p, base, add)``), e.g. Header, SetEnvIf, AddType.
* ``merge_prepend`` - the nearer values first, then the inherited ones
  (``apr_array_append(p, add, base)``: mod_alias's aliases and redirects,
  mod_autoindex's icon/alt/description/ignore lists);
* a callable ``merge(base, new) -> merged`` - the Apache merge function's
  logic for that one field, e.g. ``merge_options`` (merge_core_dir_configs),
  ``merge_etag`` and ``merge_index_options`` (merge_autoindex_configs).

Values that stand for ap_expr expressions (SetHandler, AuthType,
AuthName, ``Require expr|host|user|group``, ErrorDocument messages, the
<Location> forms of Alias/Redirect, SetEnvIfExpr, ``Header ... expr=``,
``CustomLog ... expr=``) are kept as their source text: nothing here
parses ap_expr yet.

The helpers (``c_atoi``, ``parse_timeout``, ``ipsubnet_create``,
``parse_addr_port``, ``compile_regex``...) are written from the C sources'
documented behaviour, never copied.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Any

from .errors import DirectiveError

# --- Options bits (include/http_core.h) -------------------------------------
OPT_NONE = 0
OPT_INDEXES = 1
OPT_INCLUDES = 2
OPT_SYM_LINKS = 4
OPT_EXECCGI = 8
OPT_UNSET = 16
OPT_INC_WITH_EXEC = 32
OPT_SYM_OWNER = 64
OPT_MULTI = 128
OPT_ALL = OPT_INDEXES | OPT_INCLUDES | OPT_INC_WITH_EXEC | OPT_SYM_LINKS | OPT_EXECCGI
# cmd->override_opts while reading the main config files (config.c).
OVERRIDE_OPTS_DEFAULT = OPT_ALL | OPT_SYM_OWNER | OPT_MULTI

# Options keyword -> bits, shared by set_options and set_allow_opts.
OPTION_KEYWORDS = {
    "indexes": OPT_INDEXES,
    "includes": OPT_INCLUDES | OPT_INC_WITH_EXEC,
    "includesnoexec": OPT_INCLUDES,
    "followsymlinks": OPT_SYM_LINKS,
    "symlinksifownermatch": OPT_SYM_OWNER,
    "execcgi": OPT_EXECCGI,
    "multiviews": OPT_MULTI,
    "runscripts": OPT_MULTI | OPT_EXECCGI,
}

# --- FileETag bits (include/http_core.h) ------------------------------------
ETAG_UNSET = 0
ETAG_NONE = 1
ETAG_MTIME = 2
ETAG_INODE = 4
ETAG_SIZE = 8
ETAG_DIGEST = 16
ETAG_ALL = ETAG_MTIME | ETAG_INODE | ETAG_SIZE
ETAG_BACKWARD = ETAG_MTIME | ETAG_SIZE


def merge_prepend(base, new):
    """``apr_array_append(p, add, base)``: the nearer section's entries are
    tried first (mod_alias, mod_autoindex)."""
    if not new:
        return base
    if not base:
        return new
    return tuple(new) + tuple(base)


# ---------------------------------------------------------------------------
# C helpers
# ---------------------------------------------------------------------------

_C_SPACE = " \t\n\r\f\v"


def c_atoi(text: str) -> int:
    """C ``atoi``/``atol``: skip leading space, optional sign, then digits.

    Garbage after the digits is ignored and no digits give 0.
    """
    i, n = 0, len(text)
    while i < n and text[i] in _C_SPACE:
        i += 1
    sign = 1
    if i < n and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    start = i
    while i < n and "0" <= text[i] <= "9":
        i += 1
    if i == start:
        return 0
    return sign * int(text[start:i])


def c_strtol(text: str) -> tuple[int | None, str]:
    """C ``strtol(text, &end, 10)``: (value or None if no digits, rest)."""
    i, n = 0, len(text)
    while i < n and text[i] in _C_SPACE:
        i += 1
    j = i
    if j < n and text[j] in "+-":
        j += 1
    k = j
    while k < n and "0" <= text[k] <= "9":
        k += 1
    if k == j:
        return None, text
    return int(text[i:k]), text[k:]


def c_strtod(text: str) -> tuple[float | None, str]:
    """C ``strtod``: the longest leading float, and the rest."""
    m = re.match(r"[ \t\n\r\f\v]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)", text)
    if not m:
        return None, text
    return float(m.group(1)), text[m.end():]


def strtoff(text: str) -> tuple[int | None, str]:
    """``apr_strtoff`` (base 10): None when nothing parses."""
    return c_strtol(text)


def parse_timeout(text: str, default_unit: str = "s") -> int | None:
    """``ap_timeout_parameter_parse``: microseconds, or None if invalid.

    A number optionally followed by ``s``, ``h``, ``ms`` or ``mi``; with no
    unit the default applies.  Negative values are rejected.
    """
    value, rest = c_strtol(text)
    if value is None:       # strtoi64 converts nothing: 0, end at start
        value, rest = 0, text
    unit = rest if rest else default_unit
    int64_max = (1 << 63) - 1
    if value > int64_max or value < 0:      # ERANGE / negative
        return None
    if unit.startswith("s"):
        limit, factor = int64_max // 1_000_000, 1_000_000
    elif unit.startswith("h"):
        limit, factor = (int64_max // 3600) // 1_000_000, 3600 * 1_000_000
    elif unit.startswith("ms"):
        limit, factor = int64_max // 1000, 1000
    elif unit.startswith("mi"):
        limit, factor = (int64_max // 60) // 1_000_000, 60 * 1_000_000
    else:
        return None
    if value > limit:                       # CHECK_OVERFLOW
        return None
    return value * factor


def is_url(text: str) -> bool:
    """``ap_is_url``: a scheme (alnum, ``+``, ``-``, ``.``) then ``:``."""
    i = 0
    for ch in text:
        if ch == ":":
            return i > 0
        if not (ch.isascii() and (ch.isalnum() or ch in "+-.")):
            return False
        i += 1
    return False


def is_matchexp(text: str) -> bool:
    """``ap_is_matchexp``: contains ``*`` or ``?``."""
    return "*" in text or "?" in text


def fnmatch_test(text: str) -> bool:
    """``apr_fnmatch_test``: has an unescaped ``*``, ``?`` or a ``[..]``."""
    nesting = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "?*":
            return True
        if c == "\\":
            i += 1
            if i >= n:
                return False
        elif c == "[":
            nesting += 1
        elif c == "]":
            if nesting:
                return True
        i += 1
    return False


def is_http_redirect(status: int) -> bool:
    """``ap_is_HTTP_REDIRECT``: 300..399."""
    return 300 <= status <= 399


# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------

def inet_pton4(text: str) -> bool:
    """``apr_inet_pton(AF_INET)``: strict dotted quad."""
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p or not p.isascii() or not p.isdigit() or int(p) > 255:
            return False
    return True


def inet_pton6(text: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):
        return False
    return True


class SubnetError(Exception):
    """``apr_ipsubnet_create`` failure; ``kind`` is EINVAL/EBADIP/EBADMASK."""

    MESSAGES = {
        "EBADIP": "The specified IP address is invalid.",
        "EBADMASK": "The specified network mask is invalid.",
    }

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind

    @property
    def text(self) -> str:
        return self.MESSAGES.get(self.kind, "Invalid argument")


@dataclass(frozen=True, slots=True)
class IPSubnet:
    """``apr_ipsubnet_t`` (apr_ipsubnet_create): family, network, mask."""

    family: int          # 4 or 6
    network: int
    mask: int
    text: str

    def contains(self, address: str) -> bool:
        try:
            if self.family == 4:
                value = int.from_bytes(socket.inet_pton(socket.AF_INET, address), "big")
            else:
                value = int.from_bytes(socket.inet_pton(socket.AF_INET6, address), "big")
        except (OSError, ValueError):
            return False
        return (value & self.mask) == self.network


def _looks_like_ip(text: str) -> bool:
    if not text:
        return False
    if ":" in text:
        return True
    return all(c == "." or ("0" <= c <= "9") for c in text)


def ipsubnet_create(ip: str, mask: str | None) -> IPSubnet:
    """``apr_ipsubnet_create``; raises SubnetError(EINVAL|EBADIP|EBADMASK)."""
    if not _looks_like_ip(ip):
        raise SubnetError("EINVAL")
    family = 0
    network = 0
    bits_mask = None
    if inet_pton6(ip):
        raw = socket.inet_pton(socket.AF_INET6, ip)
        if raw[:12] == b"\0" * 10 + b"\xff\xff":
            raise SubnetError("EBADIP")
        family, network, full = 6, int.from_bytes(raw, "big"), (1 << 128) - 1
        bits_mask = full
    elif inet_pton4(ip):
        family, full = 4, 0xFFFFFFFF
        network = int.from_bytes(socket.inet_pton(socket.AF_INET, ip), "big")
        bits_mask = full
    else:
        if mask is not None:
            raise SubnetError("EBADIP")
        # legacy network form "a.b.c." / "10.1"
        if len(ip) >= len("255.255.255.255") + 1:
            raise SubnetError("EBADIP")
        family, full = 4, 0xFFFFFFFF
        shift = 24
        network, bits_mask = 0, 0
        s = ip
        while s:
            m = re.match(r"(\d+)(\.?)", s)
            if not m:
                raise SubnetError("EBADIP")
            rest = s[m.end():]
            if not m.group(2) and rest:
                raise SubnetError("EBADIP")
            if shift < 0:
                raise SubnetError("EBADIP")
            octet = int(m.group(1))
            if octet > 255:
                raise SubnetError("EBADIP")
            network |= octet << shift
            bits_mask |= 0xFF << shift
            s = rest
            shift -= 8
    if mask is not None:
        maxbits = 128 if family == 6 else 32
        value, rest = c_strtol(mask)
        if value is not None and rest == "" and 0 < value <= maxbits:
            bits_mask = (((1 << value) - 1) << (maxbits - value))
        elif family == 4 and inet_pton4(mask):
            bits_mask = int.from_bytes(socket.inet_pton(socket.AF_INET, mask), "big")
        else:
            raise SubnetError("EBADMASK")
    text = ip if mask is None else f"{ip}/{mask}"
    return IPSubnet(family, network & bits_mask, bits_mask, text)


class AddrPortError(Exception):
    """``apr_parse_addr_port`` returned APR_EINVAL."""


def parse_addr_port(text: str) -> tuple[str | None, str | None, int]:
    """``apr_parse_addr_port``: (host or None, scope id or None, port or 0)."""
    if text == "":
        raise AddrPortError(text)
    i = len(text) - 1
    while i >= 0 and text[i].isdigit() and text[i].isascii():
        i -= 1
    if i < 0:
        port = c_atoi(text)
        if port < 1 or port > 65535:
            raise AddrPortError(text)
        return None, None, port
    port = 0
    last = len(text) - 1
    if text[i] == ":" and i < last:
        if i == 0:
            raise AddrPortError(text)
        port = c_atoi(text[i + 1:])
        if port < 1 or port > 65535:
            raise AddrPortError(text)
        last = i - 1
    host = text[:last + 1]
    if host.startswith("["):
        end = host.find("]")
        if end < 0 or end != len(host) - 1:
            raise AddrPortError(text)
        scope = None
        pct = host.find("%")
        if pct >= 0:
            if pct == end - 1:
                raise AddrPortError(text)
            scope = host[pct + 1:end]
            addr = host[1:pct]
        else:
            addr = host[1:end]
        if not inet_pton6(addr):
            raise AddrPortError(text)
        return addr, scope, port
    return host, None, port


@dataclass(frozen=True, slots=True)
class ListenAddr:
    """One ``Listen`` (``ap_set_listener`` / ``alloc_listener``).

    ``host`` is None for the wildcard (``*`` or absent); ``proto`` is
    lowercased, defaulting to "https" for port 443 and "http" otherwise.
    """

    host: str | None
    port: int
    proto: str
    scope_id: str | None = None


# ---------------------------------------------------------------------------
# Regular expressions
# ---------------------------------------------------------------------------

def compile_regex(pattern: str, icase: bool = False) -> re.Pattern | None:
    """``ap_pregcomp(p, pattern, AP_REG_EXTENDED[|AP_REG_ICASE])``.

    Returns None when the pattern does not compile (Apache's NULL, which
    each caller turns into its own message).  Translation of PCRE syntax is
    ``apyche.expr.regex.compile_pcre``'s job; a pattern PCRE accepts but
    Python's ``re`` cannot run faithfully raises ``DirectiveError`` with
    that module's explanation (Apache would accept it; apyche cannot).
    """
    from ..expr.regex import RegexInvalid, RegexUnsupported, compile_pcre
    try:
        return compile_pcre(pattern, icase)
    except RegexInvalid:
        return None
    except RegexUnsupported as exc:
        raise DirectiveError(str(exc)) from None


# ---------------------------------------------------------------------------
# core
# ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Options:
    """core_dir_config's ``opts``/``opts_add``/``opts_remove`` (set_options).

    ``explicit`` is False when every keyword carried ``+``/``-`` (Apache
    leaves ``OPT_UNSET`` set and merges relatively).
    """

    opts: int
    add: int = 0
    remove: int = 0
    explicit: bool = True

    def has(self, bit: int) -> bool:
        return bool(self.opts & bit)


# Server-level default: create_core_dir_config gives OPT_UNSET|OPT_SYM_LINKS.
DEFAULT_OPTIONS = Options(OPT_SYM_LINKS, 0, 0, False)


def merge_options(base: Options | None, new: Options | None) -> Options | None:
    """``merge_core_dir_configs``' handling of Options."""
    if new is None:
        return base
    if base is None:
        base = Options(OPT_NONE, 0, 0, False)
    if not new.explicit:
        add = (base.add & ~new.remove) | new.add
        remove = (base.remove & ~new.add) | new.remove
        opts = (base.opts & ~remove) | add
        if ((base.opts & (OPT_INCLUDES | OPT_INC_WITH_EXEC))
                == (OPT_INCLUDES | OPT_INC_WITH_EXEC)
                and (new.opts & (OPT_INCLUDES | OPT_INC_WITH_EXEC)) == OPT_INCLUDES):
            opts &= ~OPT_INC_WITH_EXEC
        return Options(opts, add, remove, base.explicit)
    return new


@dataclass(frozen=True, slots=True)
class AllowOverride:
    """core_dir_config's ``override``/``override_opts`` (set_override).

    ``override`` holds OR_* and NONFATAL_* bits; ``override_opts`` the
    Options an .htaccess may set (``Options=...``).
    """

    override: int
    override_opts: int = OVERRIDE_OPTS_DEFAULT


@dataclass(frozen=True, slots=True)
class OverrideList:
    """core_dir_config's ``override_list`` (set_override_list)."""

    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileETag:
    """core_dir_config's ``etag_bits``/``etag_add``/``etag_remove``
    (set_etag_bits)."""

    bits: int = ETAG_UNSET
    add: int = ETAG_UNSET
    remove: int = ETAG_UNSET


def merge_etag(base: FileETag | None, new: FileETag | None) -> FileETag | None:
    """``merge_core_dir_configs``' handling of FileETag: relative (+/-)
    settings adjust the inherited bits, absolute ones replace them, and
    ETAG_NONE only survives alone."""
    if new is None:
        return base
    if base is None:
        base = FileETag()
    if new.bits == ETAG_UNSET:
        add = (base.add & ~new.remove) | new.add
        remove = (base.remove & ~new.add) | new.remove
        bits = (base.bits & ~remove) | add
    else:
        bits, add, remove = new.bits, new.add, new.remove
    if bits != ETAG_NONE:
        bits &= ~ETAG_NONE
    return FileETag(bits, add, remove)


@dataclass(frozen=True, slots=True)
class ErrorDocument:
    """One ErrorDocument (set_error_document).

    ``kind`` is "default" (restore the canned response), "message" (text,
    Apache stores it with a leading ``"``), "local" (a /path) or "remote"
    (a URL).  ``value`` is the second argument as given.
    """

    status: int
    kind: str
    value: str


def merge_error_documents(base: tuple | None, new: tuple | None) -> tuple | None:
    """``apr_hash_overlay``: the nearer section's codes win, others inherit."""
    if not new:
        return base
    if not base:
        return new
    seen = {d.status for d in new}
    return tuple(d for d in base if d.status not in seen) + tuple(new)


@dataclass(frozen=True, slots=True)
class AccessFiles:
    """core_server_config's ``access_name`` (set_access_name): the names
    of per-directory config files, in the order they are tried."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecursionLimit:
    """core_server_config's redirect_limit/subreq_limit
    (set_recursion_limit)."""

    redirects: int
    subrequests: int


@dataclass(frozen=True, slots=True)
class Account:
    """unixd_config's user_name/user_id or group_name/group_id
    (unixd_set_user / unixd_set_group)."""

    name: str
    id: int


@dataclass(frozen=True, slots=True)
class ServerName:
    """server_rec's server_scheme/server_hostname/port (server_hostname_port)."""

    hostname: str
    port: int = 0
    scheme: str | None = None


@dataclass(frozen=True, slots=True)
class LogLevel:
    """``struct ap_logconf`` as set by ``set_loglevel``: the main level (or
    None if only module levels were given) and per-module levels."""

    level: int | None
    modules: tuple[tuple[str, int], ...] = ()


LOG_LEVELS = {
    "emerg": 0, "alert": 1, "crit": 2, "error": 3, "warn": 4, "notice": 5,
    "info": 6, "debug": 7, "trace1": 8, "trace2": 9, "trace3": 10,
    "trace4": 11, "trace5": 12, "trace6": 13, "trace7": 14, "trace8": 15,
}
LOG_LEVEL_ERROR = ("Log level keyword must be one of emerg/alert/crit/error/"
                   "warn/notice/info/debug/trace1/.../trace8")


def merge_loglevel(base: LogLevel | None, new: LogLevel | None) -> LogLevel | None:
    """``ap_merge_log_config``: a new main level resets module levels."""
    if new is None:
        return base
    if base is None:
        return new
    if new.level is not None:
        return new
    mods = dict(base.modules)
    mods.update(dict(new.modules))
    return LogLevel(base.level, tuple(mods.items()))


@dataclass(frozen=True, slots=True)
class ErrorLogFormat:
    """One ErrorLogFormat (set_errorlog_format): ``scope`` is "main",
    "connection" or "request"; apyche.logs.errorlog parses ``text``."""

    scope: str
    text: str


@dataclass(frozen=True, slots=True)
class HttpProtocolOptions:
    """core_server_config's http09_enable/http_conformance/http_methods."""

    allow09: bool | None = None
    strict: bool | None = None
    registered_methods: bool | None = None


@dataclass(frozen=True, slots=True)
class Mutex:
    """One Mutex directive (ap_set_mutex / ap_parse_mutex).

    ``mechanism`` is "none", "default", "fcntl", "flock", "posixsem",
    "sysvsem" or "pthread"; ``directory`` the ServerRoot-relative dir.
    """

    mechanism: str
    directory: str | None
    types: tuple[str, ...]
    omit_pid: bool = False


@dataclass(frozen=True, slots=True)
class Limit:
    """A soft/hard rlimit pair (ap_unixd_set_rlimit); None = unchanged,
    "max" = the hard limit."""

    soft: Any
    hard: Any = None


# ---------------------------------------------------------------------------
# mod_log_config
# ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LogFormat:
    """A LogFormat (log_format): the string and its nickname, or None for
    the default format.  apyche.logs.format compiles it (once, cached)."""

    text: str
    name: str | None


@dataclass(frozen=True, slots=True)
class CustomLog:
    """``config_log_state`` (add_custom_log): target, format string or
    nickname (None: the default format), env/expr condition, and whether it
    is a GlobalLog (inherited by virtual hosts)."""

    target: str
    format: str | None
    condition_var: str | None = None
    condition_expr: str | None = None
    inherit: bool = False


# ---------------------------------------------------------------------------
# mod_alias
# ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Alias:
    """``alias_entry`` (add_alias_internal) or, with ``fake`` None, the
    one-argument form inside <Location> (an expression in ``real``)."""

    fake: str | None
    real: str
    regex: bool = False
    handler: str | None = None        # "cgi-script" for ScriptAlias*
    in_location: bool = False


@dataclass(frozen=True, slots=True)
class Redirect:
    """``alias_entry`` for redirects (add_redirect_internal).

    ``fake`` None means the <Location>-context form; ``url`` None for
    non-3xx statuses such as gone/410.
    """

    status: int
    fake: str | None
    url: str | None
    regex: bool = False


# ---------------------------------------------------------------------------
# mod_mime
# ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExtensionMapping:
    """One (extension, field, value) of ``extension_info`` (add_extension_info);
    ``value`` "" for RemoveType's placeholder."""

    field: str        # "type", "encoding", "charset", "language", "handler",
    #                   "input_filters", "output_filters"
    value: str
    extension: str


@dataclass(frozen=True, slots=True)
class ExtensionRemoval:
    """``attrib_info`` (remove_extension_info)."""

    field: str
    extension: str


# ---------------------------------------------------------------------------
# authz / access_compat
# ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RequireRule:
    """``authz_section_conf`` for one Require line (add_authz_provider).

    ``parsed`` holds what the provider's parse_require_line made of the
    arguments: a tuple of IPSubnet for ``ip``, method names for ``method``,
    True/False for ``all``, otherwise the raw argument text.
    """

    provider: str
    args: str
    negate: bool = False
    parsed: Any = None
    limited: Any = None


@dataclass(frozen=True, slots=True)
class AllowDeny:
    """``allowdeny`` (mod_access_compat allow_cmd): ``kind`` is "env",
    "nenv", "all", "ip" or "host"."""

    allow: bool
    kind: str
    value: str
    subnet: IPSubnet | None = None
    limited: Any = None


# ---------------------------------------------------------------------------
# mod_autoindex
# ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class IndexOptions:
    """autoindex_config_rec's option fields after one IndexOptions
    (add_opts): ``opts``/``add``/``remove`` bit sets plus the valued
    settings that were given (name -> value)."""

    opts: int = 0
    add: int = 0
    remove: int = 0
    settings: tuple[tuple[str, Any], ...] = ()


def merge_index_options(base: IndexOptions | None, new: IndexOptions | None):
    """``merge_autoindex_configs``' opts logic: ``None`` clears everything,
    absolute keywords replace the inherited set, +/- only ones adjust it.
    Valued settings (widths, Type=, Charset=...) inherit unless re-set."""
    if new is None:
        return base
    if base is None:
        return new
    settings = dict(base.settings)
    settings.update(dict(new.settings))
    no_options = 1
    if new.opts == no_options:
        return IndexOptions(no_options, 0, 0, tuple(settings.items()))
    if new.opts == 0:
        inc = (base.add | new.add) & ~new.remove
        dec = base.remove | new.remove
        opts = base.opts & ~no_options
    else:
        inc = dec = 0
        opts = new.opts
    opts = (opts | inc) & ~dec
    return IndexOptions(opts, inc, dec, tuple(settings.items()))


@dataclass(frozen=True, slots=True)
class IndexItem:
    """``ai_item`` / ``ai_desc_t``: an icon, alt text, description or
    ignore pattern with the section path it was declared in.  ``alt`` is
    the alt text an ``AddIcon (ALT,/icon)`` form also declares."""

    kind: str          # "path", "type", "encoding", "description", "ignore"
    pattern: str
    data: str | None = None
    path: str | None = None
    alt: str | None = None


@dataclass(frozen=True, slots=True)
class SortOrder:
    """autoindex_config_rec's default_direction/default_keyid
    (set_default_order): "ascending"/"descending" and "name", "date",
    "size" or "description"."""

    direction: str
    key: str


@dataclass(frozen=True, slots=True)
class FakeBasicAuth:
    """auth_basic_config_rec's fakeuser/fakepass expressions
    (add_basic_fake); AuthBasicFake Off is None."""

    user: str
    password: str


# ---------------------------------------------------------------------------
# mod_headers / mod_setenvif / mod_env / mod_reqtimeout
# ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HeaderAction:
    """``header_entry`` (header_inout_cmd)."""

    directive: str        # "Header" or "RequestHeader"
    condition: str        # "onsuccess", "always" or "request"
    action: str
    header: str
    value: str | None = None
    subs: str | None = None
    condition_var: str | None = None
    expr: str | None = None
    early: bool = False


@dataclass(frozen=True, slots=True)
class SetEnvIfRule:
    """``sei_entry`` (add_setenvif_core / add_setenvifexpr)."""

    attribute: str | None       # header/special name, None for SetEnvIfExpr
    pattern: str
    icase: bool
    features: tuple[tuple[str, str], ...]
    expr: bool = False
    # the text of a pattern without regex metacharacters (``pattern``:
    # matched as a substring, its values set as written), else None
    literal: str | None = None
    # the attribute is a regex on the request's field names (``pnamereg``)
    names_regex: bool = False


@dataclass(frozen=True, slots=True)
class EnvAction:
    """mod_env: ``op`` "set", "pass" or "unset"."""

    op: str
    name: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ReqTimeoutStage:
    """``reqtimeout_stage_t`` (set_reqtimeout_param)."""

    stage: str
    timeout: int = 0
    max_timeout: int = 0
    min_rate: int = 0


def merge_reqtimeout(base, new):
    """Stages set later (or nearer) replace the same stage."""
    if not new:
        return base
    if not base:
        return new
    stages = {s.stage: s for s in base}
    stages.update({s.stage: s for s in new})
    return tuple(stages.values())


class FatalConfigError(DirectiveError):
    """A handler failure Apache reports without the "Syntax error on line"
    wrapper because it logs and exits on the spot (``ap_uname2id``'s
    "AH00543: apache2: bad user name x").  ``message`` is the full line
    Apache prints, ``code`` its AH number."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code
