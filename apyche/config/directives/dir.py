"""dir_module directives (modules/mappers/mod_dir.c ``dir_cmds``)."""

from __future__ import annotations

from ..registry import OR_INDEXES, ArgForm, Cmd, Directive
from ..values import c_atoi, is_http_redirect
from ..words import getword
from ._util import DirectiveError

DIR = "dir_module"
DIR_CMD_PERMS = OR_INDEXES


def add_index(cmd: Cmd, args: str):
    """add_index: the names, or () for a lone "disabled" (which clears the
    list; "disabled" among other names is just a name)."""
    names = []
    pos = 0
    while True:
        w, pos = getword(args, pos)
        if not w:
            break
        if not names and w.lower() == "disabled":
            nxt, _ = getword(args, pos)
            if nxt == "":
                return ()
        names.append(w)
    return tuple(names)


def merge_index(base, new):
    """mod_dir keeps the nearer list; several DirectoryIndex lines in one
    section accumulate (apr_array_push onto the same array)."""
    return new if new is not None else base


def configure_redirect(cmd: Cmd, arg: str):
    """302/301/303/3xx, or 0 for Off (REDIRECT_OFF)."""
    low = arg.lower()
    if low == "on":
        return 302
    if low == "off":
        return 0
    if low == "permanent":
        return 301
    if low == "temp":
        return 302
    if low == "seeother":
        return 303
    if arg[:1].isdigit() and arg[:1].isascii():
        status = c_atoi(arg)
        if not is_http_redirect(status):
            raise DirectiveError(
                "DirectoryIndexRedirect only accepts values between 300 and 399")
        return status
    raise DirectiveError("DirectoryIndexRedirect ON|OFF|permanent|temp|seeother|3xx")


def _flag(cmd: Cmd, flag: bool):
    return flag


def _string(cmd: Cmd, arg: str):
    return arg


DIRECTIVES = (
    Directive("FallbackResource", DIR, ArgForm.TAKE1, DIR_CMD_PERMS,
              "Set a default handler", _string),
    Directive("DirectoryIndex", DIR, ArgForm.RAW_ARGS, DIR_CMD_PERMS,
              "a list of file names", add_index, merge=merge_index,
              default=("index.html",)),
    Directive("DirectorySlash", DIR, ArgForm.FLAG, DIR_CMD_PERMS,
              "On or Off", _flag, default=True),
    Directive("DirectoryCheckHandler", DIR, ArgForm.FLAG, DIR_CMD_PERMS,
              "On or Off", _flag, default=False),
    Directive("DirectoryIndexRedirect", DIR, ArgForm.TAKE1, DIR_CMD_PERMS,
              "On, Off, or a 3xx status code.", configure_redirect, default=0),
)
