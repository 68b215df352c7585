"""Container directives: <VirtualHost>, <Directory>, <Files>, <Location>,
their Match forms, <If>/<ElseIf>/<Else>, <Limit>/<LimitExcept> and the
<Require*> groups.

Each handler follows its Apache counterpart (core.c ``virtualhost_section``,
``dirsection``, ``urlsection``, ``filesection``, ``ifsection``,
``ap_limit_section``; mod_authz_core ``add_authz_section``): the same
checks in the same order - context, the closing ``>``, the argument - then
the children are walked with the context Apache sets, and only then the
"Multiple ... arguments" complaint.  Each returns the ``Section`` (or
registers the virtual host) for the model.
"""

from __future__ import annotations

import ipaddress
import re
import socket

from ..errors import DirectiveError
from ..model import (DIRECTORY, DIRECTORY_MATCH, ELSE, ELSEIF, FILES, FILES_MATCH,
                     IF, LIMIT, LIMIT_EXCEPT, LOCATION, LOCATION_MATCH, REQUIRE_ALL,
                     REQUIRE_ANY, REQUIRE_NONE, Section, VHostAddress)
from ..paths import server_relative
from ..registry import (ACCESS_CONF, GLOBAL_ONLY, NOT_IN_DIR_CONTEXT, NOT_IN_LIMIT,
                        NOT_IN_LOCATION, OR_ALL, OR_AUTHCFG, OR_LIMIT, RSRC_CONF,
                        ArgForm, Cmd, Directive)
from ..words import getword


def _inside(cmd: Cmd) -> str:
    """The text before the last '>' (unclosed_directive if there is none)."""
    end = cmd.node.args.rfind(">")
    if end < 0:
        raise DirectiveError(f"{cmd.name}> directive missing closing '>'")
    return cmd.node.args[:end]


def _missing_arg(cmd: Cmd) -> DirectiveError:
    return DirectiveError(f"{cmd.name}> directive requires additional arguments")


def _compile(pattern: str) -> re.Pattern[str]:
    """ap_pregcomp with AP_REG_EXTENDED and Apache's default DOTALL /
    DOLLAR_ENDONLY, PCRE syntax translated for Python's re."""
    from ...expr.regex import compile_pcre
    try:
        return compile_pcre(pattern)
    except Exception:  # re.error, the translator's "unsupported" errors...
        raise DirectiveError("Regex could not be compiled") from None


def _section(cmd: Cmd, kind: str, pattern: str, inner, regex=None, **extra) -> Section:
    node = cmd.node
    return Section(kind, pattern, tuple(inner.settings), tuple(inner.sections),
                   node.file, node.line, regex, **extra)


# --- <VirtualHost> -----------------------------------------------------------

def _vhost_address(word: str, state) -> VHostAddress | None:
    """``get_addresses`` (vhost.c) for one word of <VirtualHost>.  A ``:*``
    port is the wildcard port, as is no port at all (None)."""
    text = word
    if text.endswith(":*"):
        text = text[:-2]
    host, port = _parse_addr_port(text)
    if host is None:
        raise DirectiveError("Missing address for VirtualHost")
    if host == "*" or host.lower() == "_default_":
        return VHostAddress(host, port)
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        try:
            socket.getaddrinfo(host, None)
        except (OSError, UnicodeError):
            state.warn(f"Could not resolve host name {host} -- ignoring!", "AH00547",
                       startup=False, level="error")
            return None
    return VHostAddress(host, port)


def _parse_addr_port(text: str) -> tuple[str | None, int | None]:
    """``apr_parse_addr_port``: "host", "host:port", "[v6]:port", "port"."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise DirectiveError("The address or port is invalid")
        host, rest = text[1:end], text[end + 1:]
        if rest and not rest.startswith(":"):
            raise DirectiveError("The address or port is invalid")
        port_text = rest[1:] if rest else ""
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise DirectiveError("The address or port is invalid") from None
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep:
            host, port_text = text, ""
            if text.isdigit():
                host, port_text = None, text
        elif ":" in host:
            # More than one colon without brackets: a bare IPv6 address.
            host, port_text = text, ""
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise DirectiveError("The address or port is invalid")
        port = int(port_text)
    elif text.endswith(":"):
        raise DirectiveError("The address or port is invalid")
    if host == "":
        raise DirectiveError("The address or port is invalid")
    return host, port


def virtualhost(cmd: Cmd, raw: str):
    cmd.check_context(GLOBAL_ONLY)
    arg = _inside(cmd)
    if not arg:
        raise _missing_arg(cmd)
    if cmd.is_virtual:
        raise DirectiveError("<VirtualHost> doesn't nest!")
    addresses = []
    pos = 0
    while pos < len(arg):
        word, pos = getword(arg, pos)
        if not word:
            continue
        address = _vhost_address(word, cmd.state)
        if address is not None:
            addresses.append(address)
    from ..walk import _VHostBuilder
    vhost = _VHostBuilder(tuple(addresses), cmd.node)
    cmd.state.add_vhost(vhost)
    inner = cmd.state.walk_children(cmd, vhost=vhost)
    vhost.scope = inner
    return None


# --- <Directory>, <DirectoryMatch> --------------------------------------------

def _directory(match: bool):
    def handler(cmd: Cmd, raw: str) -> Section:
        cmd.check_context(NOT_IN_DIR_CONTEXT)
        arg = _inside(cmd)
        if not arg:
            raise _missing_arg(cmd)
        path, pos = getword(arg)
        regex = None
        kind = DIRECTORY_MATCH if match else DIRECTORY
        if path == "~" and not match:
            path, pos = getword(arg, pos)
            regex = _compile(path)
        elif match:
            regex = _compile(path)
        elif path != "/":
            # apr_filepath_merge(NULL, path, TRUENAME): canonical, absolute
            # (relative to the working directory), with a trailing slash.
            if "\0" in path:
                raise DirectiveError(f'<Directory "{path}"> path is invalid.')
            path = server_relative(_cwd(), path)
            if not path.endswith("/"):
                path += "/"
        inner = cmd.state.walk_children(cmd, path=path, override=OR_ALL | ACCESS_CONF)
        if pos < len(arg):
            raise DirectiveError(f"Multiple {cmd.name}> arguments not (yet) supported.")
        return _section(cmd, kind, path, inner, regex)
    return handler


def _cwd() -> str:
    import os
    return os.getcwd()


# --- <Location>, <LocationMatch> --------------------------------------------

def _location(match: bool):
    def handler(cmd: Cmd, raw: str) -> Section:
        cmd.check_context(NOT_IN_DIR_CONTEXT)
        arg = _inside(cmd)
        if not arg:
            raise _missing_arg(cmd)
        path, pos = getword(arg)
        regex = None
        if match:
            regex = _compile(path)
        elif path == "~":
            path, pos = getword(arg, pos)
            regex = _compile(path)
        inner = cmd.state.walk_children(cmd, path=path, override=OR_ALL | ACCESS_CONF)
        if pos < len(arg):
            raise DirectiveError(f"Multiple {cmd.name}> arguments not (yet) supported.")
        return _section(cmd, LOCATION_MATCH if match else LOCATION, path, inner, regex)
    return handler


# --- <Files>, <FilesMatch> ------------------------------------------------------

def _files(match: bool):
    def handler(cmd: Cmd, raw: str) -> Section:
        cmd.check_context(NOT_IN_LOCATION | NOT_IN_LIMIT)
        arg = _inside(cmd)
        if not arg:
            raise _missing_arg(cmd)
        path, pos = getword(arg)
        regex = None
        if match:
            regex = _compile(path)
        elif path == "~":
            path, pos = getword(arg, pos)
            regex = _compile(path)
        changes = {"path": path}
        if cmd.path is None:
            changes["override"] = OR_ALL | ACCESS_CONF
        inner = cmd.state.walk_children(cmd, **changes)
        if pos < len(arg):
            raise DirectiveError(f"Multiple {cmd.name}> arguments not (yet) supported.")
        return _section(cmd, FILES_MATCH if match else FILES, path, inner, regex)
    return handler


# --- <If>, <ElseIf>, <Else> ----------------------------------------------------

def _if(kind: str):
    def handler(cmd: Cmd, raw: str) -> Section:
        cmd.check_context(NOT_IN_LIMIT)
        arg = _inside(cmd)
        condition = None
        text = ""
        pos = 0
        if kind == ELSE:
            if arg:
                raise DirectiveError("<Else> does not take an argument")
        else:
            if not arg:
                raise _missing_arg(cmd)
            text, pos = getword(arg)
            condition = _parse_condition(text)
        changes = {"path": "*If"}
        if cmd.path is None:
            changes["override"] = OR_ALL | ACCESS_CONF
        inner = cmd.state.walk_children(cmd, **changes)
        # ap_add_if_conf: an <Else>/<ElseIf> must follow an <If>/<ElseIf>
        # among the <If>-family sections of the same scope (other
        # directives in between don't matter).
        scope = cmd.extra["scope"]
        if kind != IF and scope.last_if not in (IF, ELSEIF):
            raise DirectiveError("<Else> or <ElseIf> section without previous "
                                 "<If> or <ElseIf> section in same scope")
        scope.last_if = kind
        if pos < len(arg):
            raise DirectiveError(f"Multiple {cmd.name}> arguments not supported.")
        return _section(cmd, kind, text, inner, condition=condition)
    return handler


def _parse_condition(text: str):
    try:
        from ...expr import ExprError, parse_expr
    except ImportError:  # the expression module is not installed yet
        return text
    try:
        return parse_expr(text)
    except ExprError as exc:
        raise DirectiveError(f"Cannot parse condition clause: {exc}") from None


# --- <Limit>, <LimitExcept> ----------------------------------------------------

# Methods Apache knows without registration (http_protocol.c).
KNOWN_METHODS = frozenset({
    "GET", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
    "VERSION-CONTROL", "CHECKOUT", "UNCHECKOUT", "CHECKIN", "UPDATE", "LABEL",
    "REPORT", "MKWORKSPACE", "MKACTIVITY", "BASELINE-CONTROL", "MERGE", "HEAD",
})


def known_methods(config) -> frozenset[str]:
    """The methods a request may use without being an invalid one
    (``ap_method_number_of`` != M_INVALID): Apache's own, and those the
    server config's <Limit>/<LimitExcept> sections name - each registers
    its name (``ap_method_register``).  .htaccess files cannot register
    methods."""
    return KNOWN_METHODS | frozenset(m for _vh, sec in config.all_sections()
                                     if sec.kind in (LIMIT, LIMIT_EXCEPT)
                                     for m in sec.methods)


def _limit(except_: bool):
    def handler(cmd: Cmd, raw: str) -> Section:
        from ..walk import MethodSet
        arg = _inside(cmd)
        if not arg:
            raise _missing_arg(cmd)
        methods = []
        pos = 0
        while pos < len(arg):
            method, pos = getword(arg, pos)
            if not method:
                continue
            if method == "TRACE" and not except_:
                raise DirectiveError("TRACE cannot be controlled by <Limit>, see TraceEnable")
            if method not in KNOWN_METHODS and cmd.in_htaccess:
                raise DirectiveError(f"Could not register method '{method}' for "
                                     f"{cmd.name} from .htaccess configuration")
            # HEAD is GET's method number in Apache.
            methods.append("GET" if method == "HEAD" else method)
        limited = MethodSet(frozenset(methods), complement=except_)
        old = cmd.extra["ctx"].limited
        both = old & limited
        if both.empty:
            raise DirectiveError(f"{cmd.name}> directive excludes all methods")
        if both == old:
            raise DirectiveError(f"{cmd.name}> directive specifies methods already excluded")
        inner = cmd.state.walk_children(cmd, limited=both)
        return _section(cmd, LIMIT_EXCEPT if except_ else LIMIT, " ".join(methods),
                        inner, methods=tuple(methods))
    return handler


# --- <RequireAll>, <RequireAny>, <RequireNone>, <RequireNotAll> ----------------

def _require_group(kind: str):
    def handler(cmd: Cmd, raw: str) -> Section:
        from ..walk import MethodSet
        end = raw.rfind(">")
        if end < 0:
            raise DirectiveError(f"{cmd.name}> directive missing closing '>'")
        if raw[:end]:
            raise DirectiveError(f"{cmd.name}> directive doesn't take additional arguments")
        # "trigger NOT_IN_LIMIT errors as if this were a <Limit> directive"
        old = cmd.extra["ctx"].limited
        limited = old & MethodSet(frozenset({"\0require-group"}), complement=True)
        inner = cmd.state.walk_children(cmd, override=OR_AUTHCFG, limited=limited)
        return _section(cmd, kind, "", inner)
    return handler


# Providers apyche's modules register (ap_register_auth_provider).
AUTHN_PROVIDERS = {"file": "authn_file_module"}
AUTHZ_PROVIDERS = {
    "all": "authz_core_module", "env": "authz_core_module",
    "method": "authz_core_module", "expr": "authz_core_module",
    "ip": "authz_host_module", "host": "authz_host_module",
    "forward-dns": "authz_host_module", "local": "authz_host_module",
    "user": "authz_user_module", "valid-user": "authz_user_module",
    "group": "authz_groupfile_module",
}


def _provider_alias(kind: str):
    """mod_authn_core ``authaliassection`` / mod_authz_core
    ``authz_require_alias_section``: a provider under another name, with
    its own directives."""
    providers = AUTHN_PROVIDERS if kind == "authn" else AUTHZ_PROVIDERS
    key = f"{kind}_aliases"

    def handler(cmd: Cmd, raw: str) -> Section:
        cmd.check_context(GLOBAL_ONLY)
        arg = _inside(cmd)
        if not arg:
            raise _missing_arg(cmd)
        name, pos = getword(arg)
        alias, pos = getword(arg, pos)
        if not name or not alias:
            raise _missing_arg(cmd)
        aliases = cmd.state.globals.setdefault(key, set())
        if kind == "authn":
            if name.lower() == alias.lower():
                raise DirectiveError("The alias provider name must be different "
                                     "from the base provider name.")
            if alias in providers or alias in aliases:
                raise DirectiveError(f"The alias provider {alias} has already be "
                                     "registered previously as either a base "
                                     "provider or an alias provider.")
            inner = cmd.state.walk_children(cmd, override=OR_AUTHCFG | ACCESS_CONF)
            if name not in providers or providers[name] not in cmd.state.loaded:
                raise DirectiveError(f"Unknown Authn provider: {name}")
        else:
            if pos < len(arg) and getword(arg, pos)[0]:
                # Only one argument is used; Apache only warns about more.
                pass
            inner = cmd.state.walk_children(cmd, override=OR_AUTHCFG | ACCESS_CONF)
            if name not in providers or providers[name] not in cmd.state.loaded:
                raise DirectiveError(f"Unknown Authz provider: {name}")
        aliases.add(alias)
        return _section(cmd, f"{kind}alias", f"{name} {alias}", inner)
    return handler


DIRECTIVES = (
    Directive("<VirtualHost", "core_module", ArgForm.RAW_ARGS, RSRC_CONF,
              "Container to map directives to a particular virtual host, takes "
              "one or more host addresses", virtualhost, section=True),
    Directive("<Directory", "core_module", ArgForm.RAW_ARGS, RSRC_CONF,
              "Container for directives affecting resources located in the "
              "specified directories", _directory(False), section=True),
    Directive("<DirectoryMatch", "core_module", ArgForm.RAW_ARGS, RSRC_CONF,
              "Container for directives affecting resources located in the "
              "specified directories", _directory(True), section=True),
    Directive("<Location", "core_module", ArgForm.RAW_ARGS, RSRC_CONF,
              "Container for directives affecting resources accessed through "
              "the specified URL paths", _location(False), section=True),
    Directive("<LocationMatch", "core_module", ArgForm.RAW_ARGS, RSRC_CONF,
              "Container for directives affecting resources accessed through "
              "the specified URL paths", _location(True), section=True),
    Directive("<Files", "core_module", ArgForm.RAW_ARGS, OR_ALL,
              "Container for directives affecting files matching specified "
              "patterns", _files(False), section=True),
    Directive("<FilesMatch", "core_module", ArgForm.RAW_ARGS, OR_ALL,
              "Container for directives affecting files matching specified "
              "patterns", _files(True), section=True),
    Directive("<If", "core_module", ArgForm.RAW_ARGS, OR_ALL,
              "Container for directives to be conditionally applied", _if(IF),
              section=True),
    Directive("<ElseIf", "core_module", ArgForm.RAW_ARGS, OR_ALL,
              "Container for directives to be conditionally applied", _if(ELSEIF),
              section=True),
    Directive("<Else", "core_module", ArgForm.RAW_ARGS, OR_ALL,
              "Container for directives to be conditionally applied", _if(ELSE),
              section=True),
    Directive("<Limit", "core_module", ArgForm.RAW_ARGS, OR_LIMIT | OR_AUTHCFG,
              "Container for authentication directives when accessed using "
              "specified HTTP methods", _limit(False), section=True),
    Directive("<LimitExcept", "core_module", ArgForm.RAW_ARGS, OR_LIMIT | OR_AUTHCFG,
              "Container for authentication directives to be applied when any "
              "HTTP method other than those specified is used to access the "
              "resource", _limit(True), section=True),
    # <RequireNotAll> exists only in builds with AUTHZ_EXTRA_CONFIGS, which
    # Debian's is not: there it is an invalid command.
    Directive("<RequireAll", "authz_core_module", ArgForm.RAW_ARGS, OR_AUTHCFG,
              "container for grouping authorization directives of which none "
              "must fail and at least one must pass for a request to succeed",
              _require_group(REQUIRE_ALL), section=True),
    Directive("<RequireAny", "authz_core_module", ArgForm.RAW_ARGS, OR_AUTHCFG,
              "container for grouping authorization directives of which one "
              "must pass for a request to succeed",
              _require_group(REQUIRE_ANY), section=True),
    Directive("<RequireNone", "authz_core_module", ArgForm.RAW_ARGS, OR_AUTHCFG,
              "container for grouping authorization directives of which none "
              "must pass for a request to succeed",
              _require_group(REQUIRE_NONE), section=True),
    Directive("<AuthnProviderAlias", "authn_core_module", ArgForm.RAW_ARGS, RSRC_CONF,
              "container for grouping an authentication provider's directives "
              "under a provider alias", _provider_alias("authn"), section=True),
    Directive("<AuthzProviderAlias", "authz_core_module", ArgForm.RAW_ARGS, RSRC_CONF,
              "container for grouping an authorization provider's directives "
              "under a provider alias", _provider_alias("authz"), section=True),
)
