"""core_module directives (server/core.c ``core_cmds``).

Containers and read-time directives of core.c (<Directory>, Include,
Define, ServerRoot...) live in ``sections`` and ``readtime``; the
mpm_common ones core.c also declares (PidFile, MaxConnectionsPerChild...)
live in ``mpm``; ExtendedStatus/SeeRequestTail in ``status``.
"""

from __future__ import annotations

from ..registry import (
    ACCESS_CONF, EXEC_ON_READ, GLOBAL_ONLY, NONFATAL_ALL, NONFATAL_OVERRIDE,
    NONFATAL_UNKNOWN, NOT_IN_DIR_CONTEXT, NOT_IN_FILES, NOT_IN_HTACCESS,
    NOT_IN_LOCATION, OR_ALL, OR_AUTHCFG, OR_FILEINFO, OR_INDEXES, OR_LIMIT,
    OR_NONE, OR_OPTIONS, RSRC_CONF, ArgForm, Cmd, Directive,
)
from ..values import (
    ETAG_ALL, ETAG_DIGEST, ETAG_INODE, ETAG_MTIME, ETAG_NONE, ETAG_SIZE,
    ETAG_UNSET, LOG_LEVEL_ERROR, LOG_LEVELS, OPT_ALL, OPT_NONE,
    OPTION_KEYWORDS, OVERRIDE_OPTS_DEFAULT, AccessFiles, AllowOverride,
    ErrorDocument, ErrorLogFormat, FileETag,
    HttpProtocolOptions, Limit, LogLevel, Mutex, Options, OverrideList,
    RecursionLimit, ServerName, c_atoi, fnmatch_test, is_url,
    merge_error_documents, merge_etag, merge_loglevel, merge_options, strtoff,
)
from ..words import getword
from ._util import (
    DirectiveError, find_loaded_module, globals_, is_directory, line_of,
    loaded, mpm, relative, warn,
)

CORE = "core_module"
UINT32_MAX = 4294967295
INT32_MAX = 2147483647


def _d(name, how, where, help, handler=None, **kw):
    if handler is None:
        return Directive(name, CORE, how, where, help, **kw)
    return Directive(name, CORE, how, where, help, handler, **kw)


# --- simple per-dir keyword directives ------------------------------------

def _keyword(choices: dict, message: str):
    """A TAKE1 handler accepting ap_cstr_casecmp keywords."""

    def handler(cmd: Cmd, arg: str):
        try:
            return choices[arg.lower()]
        except KeyError:
            raise DirectiveError(message) from None

    return handler


def set_add_default_charset(cmd: Cmd, arg: str):
    """set_add_default_charset: False (Off), or the charset name."""
    low = arg.lower()
    if low == "off":
        return False
    if low == "on":
        return "iso-8859-1"
    return arg


def set_access_name(cmd: Cmd, arg: str):
    """set_access_name: RAW_ARGS kept whole (split on use, as Apache does
    in ap_parse_htaccess with ap_getword_conf)."""
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    words = []
    pos = 0
    while True:
        w, pos = getword(arg, pos)
        if w == "":
            break
        words.append(w)
    return AccessFiles(tuple(words))


def generate_error(cmd: Cmd, arg: str):
    if not arg:
        raise DirectiveError("The Error directive was used with no message.")
    if arg[0] in "\"'" and arg[-1] == arg[0]:
        raise DirectiveError(arg[1:-1])
    raise DirectiveError(arg)


def set_document_root(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    path = relative(cmd, arg)
    if not is_directory(path):
        if cmd.is_virtual:
            warn(cmd, f"AH00112: Warning: DocumentRoot [{path}] does not exist")
            return path
        raise DirectiveError(
            f"DocumentRoot '{path}' is not a directory, or is not readable")
    return path


# status codes ap_index_of_response knows (http_protocol.c status_lines).
KNOWN_STATUS = frozenset(
    [100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
     300, 301, 302, 303, 304, 305, 307, 308]
    + list(range(400, 418)) + [421, 422, 423, 424, 426, 428, 429, 431, 451]
    + list(range(500, 509)) + [510, 511])


def set_error_document(cmd: Cmd, code: str, msg: str):
    number = c_atoi(code)
    if number != 500 and number not in KNOWN_STATUS:
        raise DirectiveError(f"Unsupported HTTP response code {code}")
    if " " in msg:
        kind = "message"
    elif msg.startswith("/"):
        kind = "local"
    elif is_url(msg):
        kind = "remote"
    else:
        kind = "message"
    if number == 401 and kind == "remote":
        f, line = line_of(cmd)
        warn(cmd, f"AH00113: {f}:{line} cannot use a full URL in a 401 "
                  "ErrorDocument directive --- ignoring!")
        return None
    if msg.lower() == "default":
        kind = "default"
    return (ErrorDocument(number, kind, msg),)


def _allow_opts(text: str) -> int:
    """set_allow_opts (Apache 2.4.71 reports an unknown option)."""
    opts = OPT_NONE
    for w in text.split(","):
        if not w:
            continue
        low = w.lower()
        if low in OPTION_KEYWORDS:
            opts |= OPTION_KEYWORDS[low]
        elif low == "none":
            pass
        elif low == "all":
            opts |= OPT_ALL
        else:
            raise DirectiveError(f"Illegal option {w}")
    return opts


def _context_error(cmd: Cmd, forbidden: int) -> bool:
    try:
        cmd.check_context(forbidden)
    except DirectiveError:
        return True
    return False


def set_override(cmd: Cmd, args: str):
    if _context_error(cmd, NOT_IN_LOCATION | NOT_IN_FILES):
        f, line = line_of(cmd)
        warn(cmd, f"AH00114: Useless use of AllowOverride in line {line} of {f}.")
    cmd.check_context(NOT_IN_HTACCESS)
    override = OR_NONE
    override_opts = None
    pos, n = 0, len(args)
    while pos < n:
        w, pos = getword(args, pos)
        k, eq, v = w.partition("=")
        low = k.lower()
        if low == "limit":
            override |= OR_LIMIT
        elif low == "options":
            override |= OR_OPTIONS
            override_opts = _allow_opts(v) if eq else OPT_ALL
        elif low == "fileinfo":
            override |= OR_FILEINFO
        elif low == "authconfig":
            override |= OR_AUTHCFG
        elif low == "indexes":
            override |= OR_INDEXES
        elif low == "nonfatal":
            if not eq:
                raise DirectiveError(
                    f"=Override, =Unknown or =All expected after {k}")
            lv = v.lower()
            if lv == "override":
                override |= NONFATAL_OVERRIDE
            elif lv == "unknown":
                override |= NONFATAL_UNKNOWN
            elif lv == "all":
                override |= NONFATAL_ALL
        elif low == "none":
            override = OR_NONE
        elif low == "all":
            override = OR_ALL
        else:
            raise DirectiveError(f"Illegal override option {k}")
    return AllowOverride(override, override_opts)


def set_override_list(cmd: Cmd, *argv: str):
    if _context_error(cmd, NOT_IN_LOCATION | NOT_IN_FILES):
        f, line = line_of(cmd)
        warn(cmd, f"AH00115: Useless use of AllowOverrideList at {f}:{line}")
    cmd.check_context(NOT_IN_HTACCESS)
    from . import REGISTRY
    names = []
    f, line = line_of(cmd)
    for arg in argv:
        if arg.lower() == "none":
            if len(argv) != 1:
                raise DirectiveError("'None' not allowed with other directives "
                                     "in AllowOverrideList")
            return OverrideList(())
        d = REGISTRY.get(arg)
        if d is None or not any(loaded(cmd, m) for m in d.module.split()):
            warn(cmd, f"AH00116: Discarding unrecognized directive `{arg}' in "
                      f"AllowOverrideList at {f}:{line}")
            continue
        if not d.where & (OR_ALL | ACCESS_CONF):
            warn(cmd, f"AH02304: Discarding directive `{arg}' not allowed in "
                      f"AllowOverrideList at {f}:{line}")
            continue
        names.append(arg)
    return OverrideList(tuple(names))


_BAD_MIX = "Either all Options must start with + or -, or no Option may."


def set_options(cmd: Cmd, args: str):
    allowed = cmd.extra.get("override_opts", OVERRIDE_OPTS_DEFAULT)
    first, merge, all_none, explicit = True, False, False, False
    opts = add = remove = 0
    pos, n = 0, len(args)
    while pos < n:
        w, pos = getword(args, pos)
        action = ""
        if w[:1] in ("+", "-"):
            action, w = w[0], w[1:]
            if not merge and not first and not all_none:
                raise DirectiveError(_BAD_MIX)
            merge = True
        elif first:
            opts, explicit = OPT_NONE, True
        elif merge:
            raise DirectiveError(_BAD_MIX)
        low = w.lower()
        if low in OPTION_KEYWORDS:
            opt = OPTION_KEYWORDS[low]
        elif low == "none":
            if not first:
                raise DirectiveError("'Options None' must be the first Option given.")
            if merge:
                raise DirectiveError("You may not use 'Options +None' or 'Options -None'.")
            opt, all_none = OPT_NONE, True
        elif low == "all":
            if not first:
                raise DirectiveError("'Options All' must be the first option given.")
            if merge:
                raise DirectiveError("You may not use 'Options +All' or 'Options -All'.")
            opt, all_none = OPT_ALL, True
        else:
            raise DirectiveError(f"Illegal option {w}")
        if (allowed & opt) != opt:
            raise DirectiveError(f"Option {w} not allowed here")
        if action == "-":
            remove |= opt
            add &= ~opt
            opts &= ~opt
        elif action == "+":
            add |= opt
            remove &= ~opt
            opts |= opt
        else:
            opts |= opt
        first = False
    return Options(opts, add, remove, explicit)


def set_default_type(cmd: Cmd, arg: str):
    if arg.lower() not in ("off", "none"):
        f, line = line_of(cmd)
        warn(cmd, f"AH00117: Ignoring deprecated use of DefaultType in line "
                  f"{line} of {f}.")
    return None


def set_etag_bits(cmd: Cmd, args: str):
    bits = add = remove = ETAG_UNSET
    pos, n = 0, len(args)
    while pos < n:
        token, pos = getword(args, pos)
        action = "*"
        valid = True
        bit = ETAG_UNSET
        if token[:1] in ("+", "-"):
            action, token = token[0], token[1:]
        low = token.lower()
        if low == "none":
            if action != "*":
                valid = False
            else:
                bits = bit = ETAG_NONE
        elif low == "all":
            if action != "*":
                valid = False
            else:
                bits = bit = ETAG_ALL
        elif low == "size":
            bit = ETAG_SIZE
        elif low in ("lmtime", "mtime", "lastmodified"):
            bit = ETAG_MTIME
        elif low == "inode":
            bit = ETAG_INODE
        elif low == "digest":
            bit = ETAG_DIGEST
        else:
            raise DirectiveError(f"Unknown keyword '{token}' for {cmd.name} directive")
        if not valid:
            raise DirectiveError(
                f"{cmd.name} keyword '{token}' cannot be used with '+' or '-'")
        if action == "+":
            add |= bit
            remove &= ~bit
        elif action == "-":
            remove |= bit
            add &= ~bit
        else:
            bits |= bit
            add = remove = ETAG_UNSET
    return FileETag(bits, add, remove)


def _on_off_param(cmd: Cmd, arg: str):
    low = arg.lower()
    if low == "on":
        return True
    if low == "off":
        return False
    raise DirectiveError("parameter must be 'on' or 'off'")


def _size_between(low: int, high: int):
    """set_read_buf_size & co.: apr_strtoff within [low, high]."""
    def handler(cmd: Cmd, arg: str):
        value, rest = strtoff(arg)
        if value is None or rest or value < low or value > high:
            # APR_STRINGIFY(APR_UINT32_MAX) / (APR_INT32_MAX) as printed.
            if low == 0:
                raise DirectiveError("parameter must be a number between 0 and "
                                     f"(4294967295U)): {arg}")
            raise DirectiveError("parameter must be a number between -1 and "
                                 f"(2147483647): {arg}")
        return value
    return handler


def set_protocol(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    return arg.lower()


def set_accf_map(cmd: Cmd, proto: str, accf: str):
    cmd.check_context(GLOBAL_ONLY)
    return ((proto.lower(), accf.lower()),)


def set_deprecated(cmd: Cmd, *args):
    """ap_set_deprecated: the help text is the error."""
    raise DirectiveError(cmd.directive.help or f"{cmd.name} is deprecated")


def server_string_slot(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    return arg


def server_hostname_port(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    if fnmatch_test(arg):
        raise DirectiveError(f'Invalid ServerName "{arg}" use ServerAlias to '
                             'set multiple server names.')
    scheme = None
    part = arg
    idx = arg.find("://")
    if idx >= 0:
        scheme = arg[:idx].lower()
        part = arg[idx + 3:]
    colon = part.find(":")
    if colon >= 0:
        host = part[:colon]
        port = c_atoi(part[colon + 1:])
        if port <= 0 or port >= 65536:
            raise DirectiveError(f'The port number "{arg}" is outside the '
                                 'appropriate range (i.e., 1..65535).')
    else:
        host, port = part, 0
    return ServerName(host, port, scheme)


def set_server_alias(cmd: Cmd, args: str):
    if not cmd.is_virtual:
        raise DirectiveError("ServerAlias only used in <VirtualHost>")
    names = []
    pos, n = 0, len(args)
    while pos < n:
        w, pos = getword(args, pos)
        names.append(w)
    return tuple(names)


def set_runtime_dir(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    path = relative(cmd, arg)
    if not is_directory(path):
        raise DirectiveError("DefaultRuntimeDir must be a valid directory, "
                             "absolute or relative to ServerRoot")
    return path


def set_timeout(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    return c_atoi(arg)


def set_allow2f(cmd: Cmd, arg: str):
    """set_allow2f: "on", "off" or "nodecode" (allow without decoding)."""
    low = arg.lower()
    if low in ("on", "off", "nodecode"):
        return low
    raise DirectiveError(f"{cmd.name} must be On, Off, or NoDecode")


def set_serverpath(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    return arg


def _flag(cmd: Cmd, flag: bool):
    return flag


def set_loglevel(cmd: Cmd, arg: str):
    """set_loglevel for one word (LogLevel is ITERATE)."""
    colon = arg.rfind(":")
    if colon < 0:
        level = LOG_LEVELS.get(arg.lower())
        if level is None:
            raise DirectiveError(LOG_LEVEL_ERROR)
        return LogLevel(level)
    name, level_str = arg[:colon], arg[colon + 1:]
    if not level_str:
        raise DirectiveError(f"Module specifier '{name}' must be followed by "
                             "a log level keyword")
    level = LOG_LEVELS.get(level_str.lower())
    if level is None:
        raise DirectiveError(f"{name}:{level_str}: {LOG_LEVEL_ERROR}")
    mod = find_loaded_module(cmd, name) or find_loaded_module(cmd, name + "_module")
    if mod is None:
        raise DirectiveError(f"Cannot find module {name}")
    return LogLevel(None, ((mod.ident, level),))


def merge_loglevels(base, new):
    """LogLevel values are tuples of per-word LogLevel; fold in order."""
    out = None
    for seq in (base or ()), (new or ()):
        if isinstance(seq, LogLevel):
            seq = (seq,)
        for v in seq:
            out = merge_loglevel(out, v)
    return (out,) if out is not None else None


def set_name_virtual_host(cmd: Cmd, arg: str):
    f, line = line_of(cmd)
    warn(cmd, f"AH00548: NameVirtualHost has no effect and will be removed in "
              f"the next release {f}:{line}")
    return arg


def set_serv_tokens(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    table = {
        "os": "OS", "min": "Minimal", "minimal": "Minimal", "major": "Major",
        "minor": "Minor", "prod": "ProductOnly", "productonly": "ProductOnly",
        "full": "Full",
    }
    try:
        return table[arg.lower()]
    except KeyError:
        raise DirectiveError(
            "ServerTokens takes 1 argument: 'Prod(uctOnly)', 'Major', "
            "'Minor', 'Min(imal)', 'OS', or 'Full'") from None


def _nonneg_limit(label: str, suffix: str):
    def handler(cmd: Cmd, arg: str):
        cmd.check_context(NOT_IN_DIR_CONTEXT)
        lim = c_atoi(arg)
        if lim < 0:
            raise DirectiveError(f'{label} "{arg}" {suffix}')
        return lim
    return handler


def set_limit_req_body(cmd: Cmd, arg: str):
    value, rest = strtoff(arg)
    if value is not None and not -(1 << 63) <= value < (1 << 63):
        raise DirectiveError("LimitRequestBody argument is not parsable.")
    if value is None or rest or value < 0:
        raise DirectiveError("LimitRequestBody requires a non-negative integer.")
    return value


AP_MAX_LIMIT_XML_BODY = (2**64 - 1) // 6 - 1   # APR_SIZE_MAX / 6 - 1


def set_limit_xml_req_body(cmd: Cmd, arg: str):
    value = max(min(c_atoi(arg), 2**63 - 1), -2**63)    # atol saturates
    if value < 0:
        raise DirectiveError("LimitXMLRequestBody requires a non-negative integer.")
    if value > AP_MAX_LIMIT_XML_BODY:
        raise DirectiveError(
            f"LimitXMLRequestBody must not exceed {AP_MAX_LIMIT_XML_BODY}")
    return value


def _ranges(label: str):
    def handler(cmd: Cmd, arg: str):
        low = arg.lower()
        if low == "none":
            return -1          # AP_MAXRANGES_NORANGES
        if low == "default":
            return -2          # AP_MAXRANGES_DEFAULT
        if low == "unlimited":
            return -3          # AP_MAXRANGES_UNLIMITED
        val = c_atoi(arg)
        if val <= 0:
            raise DirectiveError(f"{label} requires 'none', 'default', "
                                 "'unlimited' or a positive integer")
        return val
    return handler


def _rlimit_value(word):
    if word is None or word == "":
        return None
    if word.lower() == "max":
        return "max"
    return c_atoi(word)


def set_rlimit(cmd: Cmd, soft: str, hard: str | None):
    """ap_unixd_set_rlimit: problems are logged, never fatal."""
    return Limit(_rlimit_value(soft), _rlimit_value(hard))


def set_regex_default_options(cmd: Cmd, args: str):
    cmd.check_context(GLOBAL_ONLY)
    names = {"icase": 0x01, "dotall": 0x100, "dollar_endonly": 0x200}
    cflags = 0x100 | 0x200    # AP_REG_DEFAULT: DOTALL|DOLLAR_ENDONLY
    pos, n = 0, len(args)
    while pos < n:
        name, pos = getword(args, pos)
        if name.lower() == "none":
            cflags = 0
            continue
        how = 0
        if name[:1] == "+":
            name, how = name[1:], 1
        elif name[:1] == "-":
            name, how = name[1:], -1
        flag = names.get(name.lower())
        if not flag:
            raise DirectiveError(f"{cmd.name}: option '{name}' unknown")
        if how > 0:
            cflags |= flag
        elif how < 0:
            cflags &= ~flag
        else:
            cflags = flag
    return cflags


def set_recursion_limit(cmd: Cmd, arg1: str, arg2: str | None):
    limit = c_atoi(arg1)
    if limit <= 0:
        raise DirectiveError("The recursion limit must be greater than zero.")
    if limit < 4:
        warn(cmd, "AH00119: Limiting internal redirects to very low numbers "
                  "may cause normal requests to fail.")
    redirect = limit
    if arg2:
        limit = c_atoi(arg2)
        if limit <= 0:
            raise DirectiveError("The recursion limit must be greater than zero.")
        if limit < 4:
            warn(cmd, "AH00120: Limiting the subrequest depth to a very low "
                      "level may cause normal requests to fail.")
    return RecursionLimit(redirect, limit)


def set_cgi_var(cmd: Cmd, var: str, rule: str):
    rule = rule.lower()
    if var == "REQUEST_URI":
        if rule not in ("current-uri", "original-uri"):
            raise DirectiveError(
                "Valid rules for REQUEST_URI are 'current-uri' and 'original-uri'")
    else:
        raise DirectiveError(f'Unrecognized CGI variable: "{var}"')
    return ((var, rule),)


def set_string_lower(cmd: Cmd, arg: str):
    return arg.lower()


def set_sethandler(cmd: Cmd, arg: str):
    """set_sethandler: an ap_expr string; kept as its text here."""
    return arg


def set_scoreboard(cmd: Cmd, arg: str):
    """ap_set_scoreboard (server/scoreboard.c)."""
    cmd.check_context(GLOBAL_ONLY)
    return arg


def set_trace_enable(cmd: Cmd, arg: str):
    low = arg.lower()
    if low in ("on", "off", "extended"):
        return low
    raise DirectiveError("TraceEnable must be one of 'on', 'off', or 'extended'")


def set_protocols(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    return arg


def set_protocols_honor_order(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    low = arg.lower()
    if low == "on":
        return True
    if low == "off":
        return False
    raise DirectiveError("ProtocolsHonorOrder must be 'on' or 'off'")


_HPO_KEYS = {
    "allow0.9": ("allow09", True), "require1.0": ("allow09", False),
    "strict": ("strict", True), "unsafe": ("strict", False),
    "registeredmethods": ("registered", True),
    "lenientmethods": ("registered", False),
}
_HPO_CLASH = {
    "allow09": "HttpProtocolOptions 'Allow0.9' and 'Require1.0' are mutually exclusive",
    "strict": "HttpProtocolOptions 'Strict' and 'Unsafe' are mutually exclusive",
    "registered": ("HttpProtocolOptions 'RegisteredMethods' and "
                   "'LenientMethods' are mutually exclusive"),
}


def set_http_protocol_options(cmd: Cmd, arg: str):
    """One word; the bits accumulate per server (state.server) as Apache's
    http09_enable/http_conformance/http_methods do, so clashes across
    words and across directives are both caught."""
    try:
        key, value = _HPO_KEYS[arg.lower()]
    except KeyError:
        raise DirectiveError(
            "HttpProtocolOptions accepts 'Unsafe' or 'Strict' (default), "
            "'RegisteredMethods' or 'LenientMethods' (default), and "
            "'Require1.0' or 'Allow0.9' (default)") from None
    seen = cmd.extra.setdefault("hpo", {})
    server = getattr(cmd.state, "server", None)
    if isinstance(server, dict):
        seen = server.setdefault("core.http_protocol_options", seen)
    bits = seen.setdefault(key, set())
    bits.add(value)
    if len(bits) > 1:
        raise DirectiveError(_HPO_CLASH[key])
    return (key, value)


def merge_http_protocol_options(base, new):
    """HttpProtocolOptions' words become a HttpProtocolOptions value."""
    out = {}
    for seq in (base, new):
        if isinstance(seq, HttpProtocolOptions):
            for k in ("allow09", "strict", "registered_methods"):
                if getattr(seq, k) is not None:
                    out[k] = getattr(seq, k)
        elif seq:
            for key, value in seq:
                out["registered_methods" if key == "registered" else key] = value
    return HttpProtocolOptions(**out)


def set_http_method(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    methods = globals_(cmd)
    if isinstance(methods, dict):
        methods.setdefault("methods", set()).add(arg)
    return arg


def _check_errorlog_format(text: str, kind: str | None) -> None:
    """``parse_errorlog_string``'s verdict, from the one ErrorLogFormat
    parser the error log uses (apyche.logs.errorlog), with Apache's text."""
    from ...logs.errorlog import ErrorLogFormat as Parsed
    from ...logs.writer import LogConfigError
    try:
        Parsed(text, kind)
    except LogConfigError as exc:
        raise DirectiveError(str(exc)) from None


def set_errorlog_format(cmd: Cmd, arg1: str, arg2: str | None):
    if arg2 is None:
        _check_errorlog_format(arg1, None)
        return (ErrorLogFormat("main", arg1),)
    low = arg1.lower()
    if low in ("connection", "request"):
        if arg2:
            _check_errorlog_format(arg2, low)
        return (ErrorLogFormat(low, arg2),)
    raise DirectiveError("ErrorLogFormat type must be one of request, connection")


# --- Mutex (server/util_mutex.c) -------------------------------------------

MUTEX_MECHS = ("Mutex mechanisms are: 'none', 'default', "
               "'flock:/path/to/file', 'fcntl:/path/to/file', "
               "'file:/path/to/file', 'pthread', 'sysvsem', 'posixsem', 'sem'")


def mutex_types(cmd: Cmd) -> set[str]:
    """Types registered at pre_config by the loaded modules."""
    types = {"default"}
    if loaded(cmd, "watchdog_module"):
        types.add("watchdog-callback")
    if mpm(cmd) in ("mpm_prefork_module", "mpm_worker_module"):
        types.add("mpm-accept")
    extra = globals_(cmd).get("mutex_types")
    if extra:
        types |= set(extra)
    return types


def ap_set_mutex(cmd: Cmd, args: str):
    cmd.check_context(GLOBAL_ONLY)
    mechdir, pos = getword(args)
    if mechdir == "":
        raise DirectiveError(f"Mutex requires at least a mechanism argument ({MUTEX_MECHS})")
    meth, colon, file = mechdir.partition(":")
    file = file or None
    low = meth.lower()
    directory = None
    if low in ("none", "no"):
        mech = "none"
    elif low in ("default", "yes"):
        mech = "default"
    elif low in ("fcntl", "file"):
        mech = "fcntl"
    elif low == "flock":
        mech = "flock"
    elif low in ("posixsem", "sem"):
        mech = "posixsem"
        if file:
            directory, file = file, None
    elif low == "sysvsem":
        mech = "sysvsem"
    elif low == "pthread":
        mech = "pthread"
    else:
        raise DirectiveError(f"Invalid Mutex argument {mechdir} ({MUTEX_MECHS})")
    if mech != "none":
        if file:
            directory = relative(cmd, file)
        if directory and not is_directory(directory):
            raise DirectiveError(f"Invalid Mutex directory in argument {mechdir}")
    omit_pid = False
    types = []
    n = len(args)
    while pos < n:
        s, pos = getword(args, pos)
        if s.lower() == "omitpid":
            omit_pid = True
        else:
            types.append(s)
    if not types:
        types.append("default")
    known = mutex_types(cmd)
    for t in reversed(types):
        if t not in known:
            raise DirectiveError(f"Mutex type {t} is not valid")
        if mech == "none" and t not in cmd.extra.get("mutex_allow_none", ()):
            raise DirectiveError(f"None is not allowed for mutex type {t}")
    return (Mutex(mech, directory, tuple(types), omit_pid),)


set_read_buf_size = _size_between(0, UINT32_MAX)
set_flush_max_threshold = _size_between(0, UINT32_MAX)
set_flush_max_pipelined = _size_between(-1, INT32_MAX)


_APPEND = "append"

DIRECTIVES = (
    _d("AddDefaultCharset", ArgForm.TAKE1, OR_FILEINFO,
       "The name of the default charset to add to any Content-Type without "
       "one or 'Off' to disable", set_add_default_charset, default=False),
    _d("AcceptPathInfo", ArgForm.TAKE1, OR_FILEINFO,
       "Set to on or off for PATH_INFO to be accepted by handlers, or "
       "default for the per-handler preference",
       _keyword({"on": "on", "off": "off", "default": "default"},
                "AcceptPathInfo must be set to on, off or default"),
       default="default"),
    _d("Error", ArgForm.RAW_ARGS, OR_ALL,
       "Generate error message from within configuration", generate_error),
    _d("AccessFileName", ArgForm.RAW_ARGS, RSRC_CONF,
       "Name(s) of per-directory config files (default: .htaccess)",
       set_access_name, default=AccessFiles((".htaccess",))),
    _d("DocumentRoot", ArgForm.TAKE1, RSRC_CONF,
       "Root directory of the document tree", set_document_root,
       default="/var/www/html"),
    _d("ErrorDocument", ArgForm.TAKE2, OR_FILEINFO,
       "Change responses for HTTP errors", set_error_document,
       merge=merge_error_documents, default=()),
    _d("AllowOverride", ArgForm.RAW_ARGS, ACCESS_CONF,
       "Controls what groups of directives can be configured by "
       "per-directory config files", set_override,
       default=AllowOverride(OR_NONE, None)),
    _d("AllowOverrideList", ArgForm.TAKE_ARGV, ACCESS_CONF,
       "Controls what individual directives can be configured by "
       "per-directory config files", set_override_list,
       default=OverrideList(())),
    _d("Options", ArgForm.RAW_ARGS, OR_OPTIONS,
       "Set a number of attributes for a given directory", set_options,
       merge=merge_options, default=Options(4, 0, 0, False)),
    _d("DefaultType", ArgForm.TAKE1, OR_FILEINFO,
       "the default media type for otherwise untyped files (DEPRECATED)",
       set_default_type),
    _d("FileETag", ArgForm.RAW_ARGS, OR_FILEINFO,
       "Specify components used to construct a file's ETag", set_etag_bits,
       merge=merge_etag, default=FileETag(ETAG_MTIME | ETAG_SIZE)),
    _d("EnableMMAP", ArgForm.TAKE1, OR_FILEINFO,
       "Controls whether memory-mapping may be used to read files",
       _on_off_param, default=True),
    _d("EnableSendfile", ArgForm.TAKE1, OR_FILEINFO,
       "Controls whether sendfile may be used to transmit files",
       _on_off_param, default=False),
    _d("ReadBufferSize", ArgForm.TAKE1, ACCESS_CONF | RSRC_CONF,
       "Size (in bytes) of the memory buffers used to read data",
       set_read_buf_size, default=8192),
    _d("FlushMaxThreshold", ArgForm.TAKE1, RSRC_CONF,
       "Maximum threshold above which pending data are flushed to the network",
       set_flush_max_threshold, default=65536),
    _d("FlushMaxPipelined", ArgForm.TAKE1, RSRC_CONF,
       "Maximum number of pipelined responses (pending) above which they are "
       "flushed to the network", set_flush_max_pipelined, default=5),
    _d("Protocol", ArgForm.TAKE1, RSRC_CONF,
       "Set the Protocol for httpd to use.", set_protocol),
    _d("AcceptFilter", ArgForm.TAKE2, RSRC_CONF,
       "Set the Accept Filter to use for a protocol", set_accf_map,
       merge=_APPEND, default=(("http", "data"), ("https", "data"))),
    _d("Port", ArgForm.TAKE1, RSRC_CONF,
       "Port was replaced with Listen in Apache 2.0", set_deprecated),
    _d("HostnameLookups", ArgForm.TAKE1, ACCESS_CONF | RSRC_CONF,
       "\"on\" to enable, \"off\" to disable reverse DNS lookups, or "
       "\"double\" to enable double-reverse DNS lookups",
       _keyword({"on": "on", "off": "off", "double": "double"},
                "parameter must be 'on', 'off', or 'double'"), default="off"),
    _d("ServerAdmin", ArgForm.TAKE1, RSRC_CONF,
       "The email address of the server administrator", server_string_slot,
       default="[no address given]"),
    _d("ServerName", ArgForm.TAKE1, RSRC_CONF,
       "The hostname and port of the server", server_hostname_port),
    _d("ServerSignature", ArgForm.TAKE1, OR_ALL,
       "En-/disable server signature (on|off|email)",
       _keyword({"on": "on", "off": "off", "email": "email"},
                "ServerSignature: use one of: off | on | email"),
       default="off"),
    _d("DefaultRuntimeDir", ArgForm.TAKE1, RSRC_CONF | EXEC_ON_READ,
       "Common directory for run-time files (shared memory, locks, etc.)",
       set_runtime_dir, default="/etc/apache2/logs"),
    _d("ErrorLog", ArgForm.TAKE1, RSRC_CONF,
       "The filename of the error log", server_string_slot,
       default="logs/error_log"),
    _d("ErrorLogFormat", ArgForm.TAKE12, RSRC_CONF,
       "Format string for the ErrorLog", set_errorlog_format, merge=_APPEND),
    _d("ServerAlias", ArgForm.RAW_ARGS, RSRC_CONF,
       "A name or names alternately used to access the server",
       set_server_alias, merge=_APPEND, default=()),
    _d("ServerPath", ArgForm.TAKE1, RSRC_CONF,
       "The pathname the server can be reached at", set_serverpath),
    _d("Timeout", ArgForm.TAKE1, RSRC_CONF, "Timeout duration (sec)",
       set_timeout, default=60),
    _d("ContentDigest", ArgForm.FLAG, OR_OPTIONS,
       "whether or not to send a Content-MD5 header with each request",
       _flag, default=False),
    _d("UseCanonicalName", ArgForm.TAKE1, RSRC_CONF | ACCESS_CONF,
       "How to work out the ServerName : Port when constructing URLs",
       _keyword({"on": "on", "off": "off", "dns": "dns"},
                "parameter must be 'on', 'off', or 'dns'"), default="off"),
    _d("UseCanonicalPhysicalPort", ArgForm.TAKE1, RSRC_CONF | ACCESS_CONF,
       "Whether to use the physical Port when constructing URLs",
       _on_off_param, default=False),
    _d("LogLevel", ArgForm.ITERATE, RSRC_CONF | ACCESS_CONF,
       "Level of verbosity in error logging", set_loglevel,
       merge=merge_loglevels, default=(LogLevel(4),)),
    _d("NameVirtualHost", ArgForm.TAKE1, RSRC_CONF,
       "A numeric IP address:port, or the name of a host",
       set_name_virtual_host),
    _d("ServerTokens", ArgForm.TAKE1, RSRC_CONF,
       "Determine tokens displayed in the Server: header - Min(imal), "
       "Major, Minor, Prod(uctOnly), OS, or Full", set_serv_tokens,
       default="Full"),
    _d("LimitRequestLine", ArgForm.TAKE1, RSRC_CONF,
       "Limit on maximum size of an HTTP request line",
       _nonneg_limit("LimitRequestLine", "must be a non-negative integer"),
       default=8190),
    _d("LimitRequestFieldsize", ArgForm.TAKE1, RSRC_CONF,
       "Limit on maximum size of an HTTP request header field",
       _nonneg_limit("LimitRequestFieldsize", "must be a non-negative integer"),
       default=8190),
    _d("LimitRequestFields", ArgForm.TAKE1, RSRC_CONF,
       "Limit (0 = unlimited) on max number of header fields in a request message",
       _nonneg_limit("LimitRequestFields",
                     "must be a non-negative integer (0 = no limit)"),
       default=100),
    _d("LimitRequestBody", ArgForm.TAKE1, OR_ALL,
       "Limit (in bytes) on maximum size of request message body",
       set_limit_req_body, default=1073741824),
    _d("LimitXMLRequestBody", ArgForm.TAKE1, OR_ALL,
       "Limit (in bytes) on maximum size of an XML-based request body",
       set_limit_xml_req_body, default=1000000),
    _d("Mutex", ArgForm.RAW_ARGS, RSRC_CONF,
       "mutex (or \"default\") and mechanism", ap_set_mutex, merge=_APPEND),
    _d("MaxRanges", ArgForm.TAKE1, RSRC_CONF | ACCESS_CONF,
       "Maximum number of Ranges in a request before returning the entire "
       "resource, or 0 for unlimited", _ranges("MaxRanges"), default=-2),
    _d("MaxRangeOverlaps", ArgForm.TAKE1, RSRC_CONF | ACCESS_CONF,
       "Maximum number of overlaps in Ranges in a request before returning "
       "the entire resource, or 0 for unlimited",
       _ranges("MaxRangeOverlaps"), default=-2),
    _d("MaxRangeReversals", ArgForm.TAKE1, RSRC_CONF | ACCESS_CONF,
       "Maximum number of reversals in Ranges in a request before returning "
       "the entire resource, or 0 for unlimited",
       _ranges("MaxRangeReversals"), default=-2),
    _d("RLimitCPU", ArgForm.TAKE12, OR_ALL,
       "Soft/hard limits for max CPU usage in seconds", set_rlimit),
    _d("RLimitMEM", ArgForm.TAKE12, OR_ALL,
       "Soft/hard limits for max memory usage per process", set_rlimit),
    _d("RLimitNPROC", ArgForm.TAKE12, OR_ALL,
       "soft/hard limits for max number of processes per uid", set_rlimit),
    _d("RegexDefaultOptions", ArgForm.RAW_ARGS, RSRC_CONF,
       "default options for regexes (prefixed by '+' to add, '-' to del)",
       set_regex_default_options),
    _d("LimitInternalRecursion", ArgForm.TAKE12, RSRC_CONF,
       "maximum recursion depth of internal redirects and subrequests",
       set_recursion_limit, default=RecursionLimit(10, 10)),
    _d("CGIPassAuth", ArgForm.FLAG, OR_AUTHCFG,
       "Controls whether HTTP authorization headers, normally hidden, will "
       "be passed to scripts", _flag, default=False),
    _d("CGIVar", ArgForm.TAKE2, OR_FILEINFO,
       "Controls how some CGI variables are set", set_cgi_var, merge=_APPEND),
    _d("QualifyRedirectURL", ArgForm.FLAG, OR_FILEINFO,
       "Controls whether the REDIRECT_URL environment variable is fully "
       "qualified", _flag, default=False),
    _d("StrictHostCheck", ArgForm.FLAG, RSRC_CONF,
       "Controls whether a hostname match is required", _flag, default=False),
    _d("ForceType", ArgForm.TAKE1, OR_FILEINFO,
       "a mime type that overrides other configured type", set_string_lower),
    _d("SetHandler", ArgForm.TAKE1, OR_FILEINFO,
       "a handler name that overrides any other configured handler",
       set_sethandler),
    _d("SetOutputFilter", ArgForm.TAKE1, OR_FILEINFO,
       "filter (or ; delimited list of filters) to be run on the request content"),
    _d("SetInputFilter", ArgForm.TAKE1, OR_FILEINFO,
       "filter (or ; delimited list of filters) to be run on the request body"),
    _d("AllowEncodedSlashes", ArgForm.TAKE1, RSRC_CONF,
       "Allow URLs containing '/' encoded as '%2F'", set_allow2f,
       default="off"),
    _d("ScoreBoardFile", ArgForm.TAKE1, RSRC_CONF,
       "A file for Apache to maintain runtime process management information",
       set_scoreboard, default="logs/apache_runtime_status"),
    _d("TraceEnable", ArgForm.TAKE1, RSRC_CONF,
       "'on' (default), 'off' or 'extended' to trace request body content",
       set_trace_enable, default="on"),
    _d("MergeTrailers", ArgForm.FLAG, RSRC_CONF,
       "merge request trailers into request headers or not", _flag,
       default=False),
    _d("Protocols", ArgForm.ITERATE, RSRC_CONF,
       "Controls which protocols are allowed", set_protocols,
       default=("http/1.1",)),
    _d("ProtocolsHonorOrder", ArgForm.TAKE1, RSRC_CONF,
       "'off' (default) or 'on' to respect given order of protocols, by "
       "default the client specified order determines selection",
       set_protocols_honor_order, default=False),
    _d("HttpProtocolOptions", ArgForm.ITERATE, RSRC_CONF,
       "'Allow0.9' or 'Require1.0' (default); 'RegisteredMethods' or "
       "'LenientMethods' (default); 'Unsafe' or 'Strict' (default). Sets "
       "HTTP acceptance rules", set_http_protocol_options,
       merge=merge_http_protocol_options,
       default=HttpProtocolOptions(False, True, False)),
    _d("RegisterHttpMethod", ArgForm.ITERATE, RSRC_CONF,
       "Registers non-standard HTTP methods", set_http_method, merge=_APPEND),
    _d("MergeSlashes", ArgForm.FLAG, RSRC_CONF,
       "Controls whether consecutive slashes in the URI path are merged",
       _flag, default=True),
)
