"""include_module directives (modules/filters/mod_include.c)."""

from __future__ import annotations

from ..registry import OR_ALL, OR_LIMIT, OR_OPTIONS, RSRC_CONF, ArgForm, Cmd, Directive
from ._util import DirectiveError

INCLUDE = "include_module"


def set_xbithack(cmd: Cmd, arg: str):
    low = arg.lower()
    if low in ("off", "on", "full"):
        return low
    raise DirectiveError("XBitHack must be set to Off, On, or Full")


def _tag(label: str):
    def handler(cmd: Cmd, tag: str):
        if any(c in " \t\n\r\f\v" for c in tag):
            raise DirectiveError(f"{label} may not contain any whitespaces")
        return tag
    return handler


def _string(cmd: Cmd, arg: str):
    return arg


def _flag(cmd: Cmd, flag: bool):
    return flag


DIRECTIVES = (
    Directive("XBitHack", INCLUDE, ArgForm.TAKE1, OR_OPTIONS,
              "Off, On, or Full", set_xbithack, default="off"),
    Directive("SSIErrorMsg", INCLUDE, ArgForm.TAKE1, OR_ALL, "a string",
              _string, default="[an error occurred while processing this directive]"),
    Directive("SSITimeFormat", INCLUDE, ArgForm.TAKE1, OR_ALL,
              "a strftime(3) formatted string", _string,
              default="%A, %d-%b-%Y %H:%M:%S %Z"),
    Directive("SSIStartTag", INCLUDE, ArgForm.TAKE1, RSRC_CONF,
              "SSI Start String Tag", _tag("SSIStartTag"), default="<!--#"),
    Directive("SSIEndTag", INCLUDE, ArgForm.TAKE1, RSRC_CONF,
              "SSI End String Tag", _tag("SSIEndTag"), default="-->"),
    Directive("SSIUndefinedEcho", INCLUDE, ArgForm.TAKE1, OR_ALL,
              "String to be displayed if an echoed variable is undefined",
              _string, default="(none)"),
    Directive("SSILegacyExprParser", INCLUDE, ArgForm.FLAG, OR_LIMIT,
              "Whether to use the legacy expression parser compatible with "
              "<= 2.2.x. Limited to 'on' or 'off'", _flag, default=False),
    Directive("SSILastModified", INCLUDE, ArgForm.FLAG, OR_LIMIT,
              "Whether to set the last modified header or respect an existing "
              "header. Limited to 'on' or 'off'", _flag, default=False),
    Directive("SSIEtag", INCLUDE, ArgForm.FLAG, OR_LIMIT,
              "Whether to allow the generation of ETags within the server. "
              "Existing ETags will be preserved. Limited to 'on' or 'off'",
              _flag, default=False),
)
