"""headers_module directives (modules/metadata/mod_headers.c)."""

from __future__ import annotations

from ..registry import OR_FILEINFO, ArgForm, Cmd, Directive
from ..values import HeaderAction, compile_regex
from ..words import getword
from ._util import DirectiveError, check_expr

HEADERS = "headers_module"
FORMAT_TAGS = frozenset("DteslibD")

ACTIONS = ("set", "setifempty", "add", "append", "merge", "unset", "echo",
           "edit", "edit*", "note")


def parse_format_string(s: str) -> None:
    """parse_format_string/parse_format_tag: validate ``%`` tags."""
    i, n = 0, len(s)
    while i < n:
        if s[i] != "%":
            i += 1
            continue
        i += 1
        if i >= n or s[i] == "%":
            i += 1
            continue
        if s[i] == "{":
            end = s.find("}", i + 1)
            i = n if end < 0 else end + 1
        if i >= n:
            raise DirectiveError("Unrecognized header format %")
        c = s[i]
        i += 1
        if c not in FORMAT_TAGS:
            raise DirectiveError(f"Unrecognized header format %{c}")


def _header_cmd(kind: str):
    def header_cmd(cmd: Cmd, args: str):
        condition = "request" if kind == "request" else "onsuccess"
        action, pos = getword(args)
        if kind != "request":
            if action.lower() == "always":
                condition = "always"
                action, pos = getword(args, pos)
            elif action.lower() == "onsuccess":
                action, pos = getword(args, pos)
        n = len(args)
        hdr, pos = getword(args, pos)
        val = subs = env = None
        if pos < n:
            val, pos = getword(args, pos)
        if pos < n:
            subs, pos = getword(args, pos)
        if pos < n:
            env, pos = getword(args, pos)
        if pos < n:
            raise DirectiveError(f"{cmd.name} has too many arguments")
        return (_inout(cmd, condition, action, hdr, val, subs, env),)
    return header_cmd


def _inout(cmd: Cmd, condition: str, action: str, hdr: str, value, subs, envclause):
    act = action.lower()
    if act not in ACTIONS:
        raise DirectiveError(
            "first argument must be 'add', 'set', 'setifempty', 'append', "
            "'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'.")
    if act in ("edit", "edit*"):
        if subs is None:
            raise DirectiveError("Header edit requires a match and a substitution")
        if compile_regex(value) is None:
            raise DirectiveError("Header edit regex could not be compiled")
    else:
        if envclause is not None:
            raise DirectiveError("Too many arguments to directive")
        envclause, subs = subs, None
    if act == "unset":
        if value:
            if envclause:
                raise DirectiveError("header unset takes two arguments")
            envclause, value = value, None
    elif act == "echo":
        if value:
            if envclause:
                raise DirectiveError("Header echo takes two arguments")
            envclause, value = value, None
        if condition == "request":
            raise DirectiveError("Header echo only valid on Header directives")
        if compile_regex(hdr) is None:
            raise DirectiveError("Header echo regex could not be compiled")
    elif not value:
        raise DirectiveError("Header requires three arguments")
    condition_var = expr = None
    early = False
    if envclause is not None:
        low = envclause.lower()
        if low == "early":
            early = True
        elif low.startswith("env="):
            if envclause[4:] in ("", "!"):
                raise DirectiveError("error: missing environment variable name. "
                                     "envclause should be in the form env=envar ")
            condition_var = envclause[4:]
        elif low.startswith("expr="):
            expr = envclause[5:]
            check_expr(expr, "Can't parse envclause/expression: ", string_result=False)
        else:
            raise DirectiveError(f"Unknown parameter: {envclause}")
    colon = hdr.find(":")
    if colon >= 0:
        hdr = hdr[:colon]
    if act not in ("unset", "echo"):
        text = subs if act in ("edit", "edit*") else value
        if text is not None and text.startswith("expr="):
            check_expr(text[5:], "Can't parse value expression : ", string_result=True)
        elif text is not None:
            parse_format_string(text)
    return HeaderAction("RequestHeader" if condition == "request" else "Header",
                        condition, act, hdr, value, subs, condition_var, expr,
                        early)


DIRECTIVES = (
    Directive("Header", HEADERS, ArgForm.RAW_ARGS, OR_FILEINFO,
              "an optional condition, an action, header and value followed by "
              "optional env clause", _header_cmd("response"), merge="append",
              default=()),
    Directive("RequestHeader", HEADERS, ArgForm.RAW_ARGS, OR_FILEINFO,
              "an action, header and value followed by optional env clause",
              _header_cmd("request"), merge="append", default=()),
)
