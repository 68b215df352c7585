"""alias_module directives (modules/mappers/mod_alias.c ``alias_cmds``)."""

from __future__ import annotations

from ..registry import (
    ACCESS_CONF, NOT_IN_DIR_CONTEXT, NOT_IN_DIRECTORY, NOT_IN_FILES,
    OR_FILEINFO, RSRC_CONF, ArgForm, Cmd, Directive,
)
from ..values import (
    Alias, Redirect, c_atoi, compile_regex, is_http_redirect, is_url,
    merge_prepend,
)
from ._util import DirectiveError, line_of, warn

ALIAS = "alias_module"


def alias_matches(uri: str, fake: str) -> int:
    """mod_alias ``alias_matches``: characters of *uri* matched, or 0.
    Runs of ``/`` in the alias match runs of ``/`` in the URI."""
    a = u = 0
    la, lu = len(fake), len(uri)
    while a < la:
        if fake[a] == "/":
            if u >= lu or uri[u] != "/":
                return 0
            while a < la and fake[a] == "/":
                a += 1
            while u < lu and uri[u] == "/":
                u += 1
        else:
            if u >= lu or uri[u] != fake[a]:
                return 0
            a += 1
            u += 1
    if la and fake[la - 1] != "/" and u < lu and uri[u] != "/":
        return 0
    return u


def _check_overlap(cmd: Cmd, fake: str) -> None:
    """The AH00671 warning for an alias shadowed by an earlier one (the
    earlier ones are kept per server in ``state.server``)."""
    server = getattr(cmd.state, "server", None)
    if not isinstance(server, dict):
        return
    earlier = server.setdefault("alias.aliases", [])
    for prev in earlier:
        if prev.regex:
            rx = compile_regex(prev.fake)
            hit = rx is not None and rx.search(fake) is not None
        else:
            hit = alias_matches(fake, prev.fake) > 0
        if hit:
            f, line = line_of(cmd)
            warn(cmd, f"AH00671: The {cmd.name} directive in {f} at line {line} "
                      "will probably never match because it overlaps an earlier "
                      f"{'Script' if prev.handler else ''}Alias"
                      f"{'Match' if prev.regex else ''}.")
            break


def _remember(cmd: Cmd, entry: Alias) -> None:
    server = getattr(cmd.state, "server", None)
    if isinstance(server, dict):
        server.setdefault("alias.aliases", []).append(entry)


def _add_alias_internal(cmd: Cmd, fake: str, real: str, use_regex: bool,
                        handler: str | None):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    if use_regex and compile_regex(fake) is None:
        raise DirectiveError("Regular expression could not be compiled.")
    entry = Alias(fake, real, use_regex, handler)
    if not use_regex:
        _check_overlap(cmd, fake)
    _remember(cmd, entry)
    return (entry,)


def _add_alias(handler: str | None):
    def add_alias(cmd: Cmd, fake: str, real: str | None):
        if real:
            return _add_alias_internal(cmd, fake, real, False, handler)
        cmd.check_context(NOT_IN_DIRECTORY | NOT_IN_FILES)
        if cmd.path is None:
            raise DirectiveError("Alias must have two arguments when used globally")
        return (Alias(None, fake, False, handler, in_location=True),)
    return add_alias


def _add_alias_regex(handler: str | None):
    def add_alias_regex(cmd: Cmd, fake: str, real: str):
        return _add_alias_internal(cmd, fake, real, True, handler)
    return add_alias_regex


def _add_redirect_internal(cmd: Cmd, default_status: int, arg1: str,
                           arg2: str | None, arg3: str | None, use_regex: bool):
    status = default_status
    grok = 1
    fake, url = arg2, arg3
    low = arg1.lower()
    if low == "permanent":
        status = 301
    elif low == "temp":
        status = 302
    elif low == "seeother":
        status = 303
    elif low == "gone":
        status, grok = 410, -1
    elif arg1[:1].isdigit() and arg1[:1].isascii():
        status = c_atoi(arg1)
        if not is_http_redirect(status):
            grok = -1
    else:
        grok = 0
    if arg3 and not grok:
        raise DirectiveError("Redirect: invalid first argument (of three)")
    if cmd.path is not None:
        if (grok > 0 and arg2 and not arg3) or (not grok and not arg2):
            target = arg2 if grok else arg1
            return (Redirect(status, None, target, False),)
        if grok < 0 and not arg2:
            return (Redirect(status, None, None, False),)
    if not arg3 and not grok:
        fake, url = arg1, arg2
    if use_regex and compile_regex(fake or "") is None:
        raise DirectiveError("Regular expression could not be compiled.")
    if is_http_redirect(status):
        if not url:
            raise DirectiveError("URL to redirect to is missing")
        if not use_regex and not is_url(url) and url[:1] != "/":
            raise DirectiveError("Redirect to non-URL")
    elif url:
        raise DirectiveError("Redirect URL not valid for this status")
    return (Redirect(status, fake, url, use_regex),)


def add_redirect(cmd: Cmd, a1: str, a2: str | None, a3: str | None):
    return _add_redirect_internal(cmd, 302, a1, a2, a3, False)


def add_redirect_regex(cmd: Cmd, a1: str, a2: str, a3: str | None):
    return _add_redirect_internal(cmd, 302, a1, a2, a3 or None, True)


def _add_redirect2(status: int):
    def add_redirect2(cmd: Cmd, a1: str, a2: str):
        return _add_redirect_internal(cmd, status, a1, a2, None, False)
    return add_redirect2


def _flag(cmd: Cmd, flag: bool):
    return flag


_ALIAS_HELP = "a fakename and a realname, or a realname in a Location"

DIRECTIVES = (
    Directive("Alias", ALIAS, ArgForm.TAKE12, RSRC_CONF | ACCESS_CONF,
              _ALIAS_HELP, _add_alias(None), merge=merge_prepend, default=()),
    Directive("ScriptAlias", ALIAS, ArgForm.TAKE12, RSRC_CONF | ACCESS_CONF,
              _ALIAS_HELP, _add_alias("cgi-script"), merge=merge_prepend, default=()),
    Directive("Redirect", ALIAS, ArgForm.TAKE123, OR_FILEINFO,
              "an optional status, then document to be redirected and "
              "destination URL", add_redirect, merge=merge_prepend, default=()),
    Directive("AliasMatch", ALIAS, ArgForm.TAKE2, RSRC_CONF,
              "a regular expression and a filename",
              _add_alias_regex(None), merge=merge_prepend, default=()),
    Directive("ScriptAliasMatch", ALIAS, ArgForm.TAKE2, RSRC_CONF,
              "a regular expression and a filename",
              _add_alias_regex("cgi-script"), merge=merge_prepend, default=()),
    Directive("RedirectMatch", ALIAS, ArgForm.TAKE23, OR_FILEINFO,
              "an optional status, then a regular expression and "
              "destination URL", add_redirect_regex, merge=merge_prepend,
              default=()),
    Directive("RedirectTemp", ALIAS, ArgForm.TAKE2, OR_FILEINFO,
              "a document to be redirected, then the destination URL",
              _add_redirect2(302), merge=merge_prepend, default=()),
    Directive("RedirectPermanent", ALIAS, ArgForm.TAKE2, OR_FILEINFO,
              "a document to be redirected, then the destination URL",
              _add_redirect2(301), merge=merge_prepend, default=()),
    Directive("RedirectRelative", ALIAS, ArgForm.FLAG, OR_FILEINFO,
              "Set to ON to allow relative redirect targets to be issued as-is",
              _flag, default=False),
    Directive("AliasPreservePath", ALIAS, ArgForm.FLAG, OR_FILEINFO,
              "Set to ON to map the full path after the fakename to the realname.",
              _flag, default=False),
)
