"""setenvif_module directives (modules/metadata/mod_setenvif.c)."""

from __future__ import annotations

import re

from ..registry import OR_FILEINFO, ArgForm, Cmd, Directive
from ..values import SetEnvIfRule, compile_regex
from ..words import getword
from ._util import DirectiveError, check_expr

SETENVIF = "setenvif_module"
SPECIAL = ("remote_addr", "remote_host", "request_uri", "request_method",
           "request_protocol", "server_addr")
_HEADER_NAME = re.compile(r"^[-A-Za-z0-9_]*$")


def non_regex_pattern(s: str) -> str | None:
    """non_regex_pattern: the literal a regex-free pattern stands for."""
    out = []
    in_escape = False
    for c in s:
        if c in "^.$|()[]*+?{}":
            if not in_escape:
                return None
            in_escape = False
            out.append(c)
        elif c == "\\":
            if not in_escape:
                in_escape = True
            else:
                in_escape = False
                out.append(c)
        else:
            if in_escape:
                return None
            out.append(c)
    return "".join(out)


def _envvars(cmd: Cmd, args: str, pos: int):
    """add_envvars: ``var=value``, ``!var`` (unset) or ``var`` (=1)."""
    features = []
    while True:
        feature, pos = getword(args, pos)
        if not feature:
            break
        var, eq, value = feature.partition("=")
        if value:
            features.append((var, value))
        elif var.startswith("!"):
            features.append((var[1:], "!"))
        else:
            features.append((var, "1"))
    if not features:
        raise DirectiveError(f"Missing envariable expression for {cmd.name}")
    return tuple(features)


def _core(cmd: Cmd, fname: str, args: str, pos: int, icase: bool):
    regex, pos = getword(args, pos)
    if not regex:
        raise DirectiveError(f"Missing regular expression for {cmd.name}")
    literal = non_regex_pattern(regex)
    if literal is None and compile_regex(regex, icase) is None:
        raise DirectiveError(f"{cmd.name} regex could not be compiled.")
    names_regex = fname.lower() not in SPECIAL and not _HEADER_NAME.match(fname)
    if names_regex and compile_regex(fname, icase) is None:
        raise DirectiveError(f"{cmd.name}Header name regex could not be compiled.")
    return SetEnvIfRule(fname, regex, icase, _envvars(cmd, args, pos), literal=literal,
                        names_regex=names_regex)


def _setenvif(icase: bool):
    def add_setenvif(cmd: Cmd, args: str):
        fname, pos = getword(args)
        if not fname:
            raise DirectiveError(f"Missing header-field name for {cmd.name}")
        return (_core(cmd, fname, args, pos, icase),)
    return add_setenvif


def _browser(icase: bool):
    def add_browser(cmd: Cmd, args: str):
        return (_core(cmd, "User-Agent", args, 0, icase),)
    return add_browser


def add_setenvifexpr(cmd: Cmd, args: str):
    expr, pos = getword(args)
    if not expr:
        raise DirectiveError(f"Missing expression for {cmd.name}")
    check_expr(expr, f'Could not parse expression "{expr}": ', string_result=False)
    return (SetEnvIfRule(None, expr, False, _envvars(cmd, args, pos), expr=True),)


DIRECTIVES = (
    Directive("SetEnvIf", SETENVIF, ArgForm.RAW_ARGS, OR_FILEINFO,
              "A header-name, regex and a list of variables.",
              _setenvif(False), merge="append", default=()),
    Directive("SetEnvIfNoCase", SETENVIF, ArgForm.RAW_ARGS, OR_FILEINFO,
              "a header-name, regex and a list of variables.",
              _setenvif(True), merge="append", default=()),
    Directive("SetEnvIfExpr", SETENVIF, ArgForm.RAW_ARGS, OR_FILEINFO,
              "an expression and a list of variables.", add_setenvifexpr,
              merge="append", default=()),
    Directive("BrowserMatch", SETENVIF, ArgForm.RAW_ARGS, OR_FILEINFO,
              "A browser regex and a list of variables.", _browser(False),
              merge="append", default=()),
    Directive("BrowserMatchNoCase", SETENVIF, ArgForm.RAW_ARGS, OR_FILEINFO,
              "A browser regex and a list of variables.", _browser(True),
              merge="append", default=()),
)
