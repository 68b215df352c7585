"""Authentication/authorization directives:

* authz_core_module (modules/aaa/mod_authz_core.c): Require, AuthMerging,
  AuthzSendForbiddenOnFailure (its containers are in ``sections``);
* authz_host / authz_user: no directives, but the Require providers they
  register (ip, host, forward-dns, local; user, valid-user);
* authz_groupfile_module: AuthGroupFile (+ group, file-group providers);
* authn_core_module: AuthType, AuthName;
* authn_file_module: AuthUserFile (+ the "file" authn provider);
* auth_basic_module: AuthBasicProvider, AuthBasicAuthoritative,
  AuthBasicFake, AuthBasicUseDigestAlgorithm.
"""

from __future__ import annotations

from ..registry import OR_AUTHCFG, ArgForm, Cmd, Directive
from ..values import FakeBasicAuth, RequireRule, SubnetError, ipsubnet_create
from ..words import getword
from ._util import DirectiveError, globals_, limited_methods, loaded, relative

# Require providers -> the module that registers them.
AUTHZ_PROVIDERS = {
    "env": "authz_core_module",
    "all": "authz_core_module",
    "method": "authz_core_module",
    "expr": "authz_core_module",
    "ip": "authz_host_module",
    "host": "authz_host_module",
    "forward-dns": "authz_host_module",
    "local": "authz_host_module",
    "user": "authz_user_module",
    "valid-user": "authz_user_module",
    "group": "authz_groupfile_module",
    "file-group": "authz_groupfile_module",
}
AUTHN_PROVIDERS = {"file": "authn_file_module"}

# ap_method_number_of's built-in methods (case-sensitive).
BUILTIN_METHODS = frozenset(
    "GET HEAD PUT POST DELETE CONNECT OPTIONS TRACE PATCH PROPFIND PROPPATCH "
    "MKCOL COPY MOVE LOCK UNLOCK VERSION-CONTROL CHECKOUT UNCHECKOUT CHECKIN "
    "UPDATE LABEL REPORT MKWORKSPACE MKACTIVITY BASELINE-CONTROL MERGE".split())


def _provider_known(cmd: Cmd, name: str, table: dict, alias_key: str) -> bool:
    """ap_lookup_provider (exact, case-sensitive names)."""
    if name in globals_(cmd).get(alias_key, ()):
        return True
    mod = table.get(name)
    return mod is not None and loaded(cmd, mod)


def _words(text: str) -> list[str]:
    out, pos = [], 0
    while True:
        w, pos = getword(text, pos)
        if not w:
            return out
        out.append(w)


def _parse_all(cmd: Cmd, args: str):
    low = args.lower()
    if low == "granted":
        return True
    if low == "denied":
        return False
    raise DirectiveError("Argument for 'Require all' must be 'granted' or 'denied'")


def _parse_method(cmd: Cmd, args: str):
    methods = []
    extra = globals_(cmd).get("methods", ())
    for w in _words(args):
        if w not in BUILTIN_METHODS and w not in extra:
            raise DirectiveError(f"Invalid Method '{w}'")
        methods.append(w)
    return tuple(methods)


def _parse_expr(cmd: Cmd, args: str):
    if args.startswith('"') and args.endswith('"') and len(args) >= 2:
        return args[1:-1]
    if args == '"':
        return ""
    return args


def _parse_ip(cmd: Cmd, args: str):
    words = _words(args)
    if not words:
        raise DirectiveError("'require ip' requires an argument")
    subnets = []
    for w in words:
        addr, slash, mask = w.partition("/")
        try:
            subnets.append(ipsubnet_create(addr, mask if slash else None))
        except SubnetError as exc:
            if exc.kind == "EINVAL":
                raise DirectiveError(
                    f"ip address '{w}' appears to be invalid") from None
            raise DirectiveError(
                f"ip address '{w}' appears to be invalid: {exc.text}") from None
    return tuple(subnets)


PARSERS = {"all": _parse_all, "method": _parse_method, "expr": _parse_expr,
           "ip": _parse_ip}


def _enclosing_logic(cmd: Cmd) -> str | None:
    """format_authz_command for the section a Require sits in, or None when
    that section ANDs its children (negation allowed)."""
    for parent in cmd.parents:
        key = parent.key
        if key in ("<requireall", "<requirenotall"):
            return None
        if key == "<requireany":
            return "<RequireAny>"
        if key == "<requirenone":
            return "<RequireNone>"
    return "<RequireAny>"


def add_authz_provider(cmd: Cmd, args: str):
    name, pos = getword(args)
    negate = False
    if name.lower() == "not":
        name, pos = getword(args, pos)
        negate = True
    rest = args[pos:]
    if not _provider_known(cmd, name, AUTHZ_PROVIDERS, "authz_aliases"):
        raise DirectiveError(f"Unknown Authz provider: {name}")
    parser = PARSERS.get(name)
    parsed = parser(cmd, rest) if parser else rest
    if negate:
        where = _enclosing_logic(cmd)
        if where is not None:
            raise DirectiveError(
                f"negative {cmd.name} directive has no effect in {where} directive")
    return (RequireRule(name, rest, negate, parsed, limited_methods(cmd)),)


def authz_merge_sections(cmd: Cmd, arg: str):
    low = arg.lower()
    if low in ("off", "and", "or"):
        return low
    raise DirectiveError(f"{cmd.name} must be one of: Off | And | Or")


def set_authtype(cmd: Cmd, arg: str):
    """An ap_expr string ("None" disables auth at request time)."""
    return arg


def set_file_slot(cmd: Cmd, arg: str):
    """ap_set_file_slot: ServerRoot-relative path."""
    path = relative(cmd, arg)
    if path is None:
        raise DirectiveError(f"{cmd.name}: Invalid file path '{arg}'")
    return path


def add_authn_provider(cmd: Cmd, arg: str):
    if not _provider_known(cmd, arg, AUTHN_PROVIDERS, "authn_aliases"):
        raise DirectiveError(f"Unknown Authn provider: {arg}")
    return arg


def add_basic_fake(cmd: Cmd, user: str, password: str | None):
    """FakeBasicAuth(user expr, password expr), or None for "off"."""
    if user.lower() == "off":
        return None
    return FakeBasicAuth(user, password if password is not None else "password")


def set_use_digest_algorithm(cmd: Cmd, alg: str):
    if alg.lower() not in ("off", "md5"):
        raise DirectiveError(
            f"Invalid algorithm in AuthBasicUseDigestAlgorithm: {alg}")
    return alg


def _flag(cmd: Cmd, flag: bool):
    return flag


DIRECTIVES = (
    Directive("Require", "authz_core_module", ArgForm.RAW_ARGS, OR_AUTHCFG,
              "specifies authorization directives which one must pass (or "
              "not) for a request to suceeed", add_authz_provider,
              merge="append", default=()),
    Directive("AuthMerging", "authz_core_module", ArgForm.TAKE1, OR_AUTHCFG,
              "controls how a <Directory>, <Location>, or similar "
              "directive's authorization directives are combined with those "
              "of its predecessor", authz_merge_sections, default="off"),
    Directive("AuthzSendForbiddenOnFailure", "authz_core_module",
              ArgForm.FLAG, OR_AUTHCFG,
              "Controls if an authorization failure should result in a "
              "'403 FORBIDDEN' response instead of the HTTP-conforming "
              "'401 UNAUTHORIZED'", _flag, default=False),
    Directive("AuthGroupFile", "authz_groupfile_module", ArgForm.TAKE1,
              OR_AUTHCFG, "text file containing group names and member user "
              "IDs", set_file_slot),
    Directive("AuthType", "authn_core_module", ArgForm.TAKE1, OR_AUTHCFG,
              "an HTTP authorization type (e.g., \"Basic\")", set_authtype),
    Directive("AuthName", "authn_core_module", ArgForm.TAKE1, OR_AUTHCFG,
              "the authentication realm (e.g. \"Members Only\")", set_authtype),
    Directive("AuthUserFile", "authn_file_module", ArgForm.TAKE1, OR_AUTHCFG,
              "text file containing user IDs and passwords", set_file_slot),
    Directive("AuthBasicProvider", "auth_basic_module", ArgForm.ITERATE,
              OR_AUTHCFG, "specify the auth providers for a directory or "
              "location", add_authn_provider, default=("file",)),
    Directive("AuthBasicAuthoritative", "auth_basic_module", ArgForm.FLAG,
              OR_AUTHCFG, "Set to 'Off' to allow access control to be passed "
              "along to lower modules if the UserID is not known to this "
              "module", _flag, default=True),
    Directive("AuthBasicFake", "auth_basic_module", ArgForm.TAKE12,
              OR_AUTHCFG, "Fake basic authentication using the given "
              "expressions for username and password, 'off' to disable. "
              "Password defaults to 'password' if missing.", add_basic_fake),
    Directive("AuthBasicUseDigestAlgorithm", "auth_basic_module",
              ArgForm.TAKE1, OR_AUTHCFG, "Set to 'MD5' to use the auth "
              "provider's authentication check for digest auth, using a hash "
              "of 'user:realm:pass'", set_use_digest_algorithm, default="Off"),
)
