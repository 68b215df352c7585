"""Directives Apache executes while reading (EXEC_ON_READ).

Their handlers get the ``Builder`` as ``cmd.state`` and act on it at once:
Include returns the included nodes, Define/UnDefine change the variables,
LoadModule switches a module on, the conditional sections return whether
their contents count.  None of them leaves a node in the tree.
"""

from __future__ import annotations

import os
import re

from ... import SERVER_VERSION
from ..errors import DirectiveError
from ..registry import (ACCESS_CONF, EXEC_ON_READ, GLOBAL_ONLY, NOT_IN_HTACCESS,
                        OR_ALL, RSRC_CONF, ArgForm, Cmd, Directive)
from ..words import getword


def _include(optional: bool):
    def handler(cmd: Cmd, name: str):
        return cmd.state.include(cmd, name, optional)
    return handler


def _define(cmd: Cmd, name: str, value: str | None) -> None:
    cmd.check_context(NOT_IN_HTACCESS)
    if ":" in name:
        raise DirectiveError("Variable name must not contain ':'")
    cmd.state.define(name, value)


def _undefine(cmd: Cmd, name: str) -> None:
    cmd.check_context(NOT_IN_HTACCESS)
    if ":" in name:
        raise DirectiveError("Variable name must not contain ':'")
    cmd.state.undefine(name)


def _load_module(cmd: Cmd, ident: str, filename: str) -> None:
    cmd.check_context(GLOBAL_ONLY)
    cmd.state.load_module(ident, filename)


def _load_file(cmd: Cmd, filename: str) -> None:
    # apyche loads no shared objects: LoadFile only names a library some
    # module would need, so there is nothing to do (and nothing to check:
    # Apache's own failure mode is the dlopen error).
    cmd.check_context(GLOBAL_ONLY)
    return None


def _server_root(cmd: Cmd, path: str) -> str:
    cmd.check_context(GLOBAL_ONLY)
    # apr_filepath_merge with no root: a relative ServerRoot is relative to
    # the working directory, not to the previous ServerRoot.
    root = os.path.normpath(os.path.abspath(path))
    if not cmd.state.isdir(root):
        raise DirectiveError("ServerRoot must be a valid directory")
    cmd.state.server_root = root
    return root


def _condition(test):
    """``start_cond_section``: parse ``[!]arg>`` and evaluate *test*."""
    def handler(cmd: Cmd, raw: str) -> bool:
        end = raw.rfind(">")
        if end < 0:
            raise DirectiveError(f"{cmd.name}> directive missing closing '>'")
        text = raw[:end]
        negate = text.startswith("!")
        if negate:
            text = text[1:]
        word, _ = getword(text)
        if not word:
            raise DirectiveError(f"{cmd.name}> directive requires additional arguments")
        return test(cmd, word) != negate
    return handler


def _if_module(cmd: Cmd, name: str) -> bool:
    return cmd.state.module_loaded(name)


def _if_define(cmd: Cmd, name: str) -> bool:
    return name in cmd.state.defines


def _if_file(cmd: Cmd, path: str) -> bool:
    return cmd.state.exists(cmd.state.server_relative(path))


def _if_directive(cmd: Cmd, name: str) -> bool:
    return cmd.state.lookup(name) is not None


def _if_section(cmd: Cmd, name: str) -> bool:
    return cmd.state.lookup("<" + name) is not None


_SERVER_VERSION = tuple(int(p) for p in SERVER_VERSION.split("/")[1].split("."))
_VERSION = re.compile(r"^(\d+)(?:\.(\d+)(?:\.(\d+))?)?$")


def _if_version(cmd: Cmd, arg1: str, arg2: str | None, arg3: str | None) -> bool:
    """mod_version's ``start_ifversion``: compare against our Apache version."""
    if arg2 is None:
        arg1, arg2 = "=", arg1
    if arg3 is None and arg2 == ">":
        arg1, arg2, arg3 = "=", arg1, ">"
    if not arg2 or (not (arg3 == ">") and not arg2.endswith(">")):
        raise DirectiveError(f"{cmd.name}> directive missing closing '>'")
    version = arg2 if arg3 == ">" else arg2[:-1]
    reverse = arg1.startswith("!")
    op = arg1[1:] if reverse and len(arg1) > 1 else arg1
    if op in ("=", "=="):
        if version.startswith("/"):
            if len(version) < 2 or not version.endswith("/"):
                raise DirectiveError("Missing delimiting / of regular expression.")
            op, version = "~", version[1:-1]
        else:
            match = _compare(version) == 0
            return match != reverse
    if op == "~":
        try:
            match = re.search(version, ".".join(map(str, _SERVER_VERSION))) is not None
        except re.error:
            raise DirectiveError("Unable to compile regular expression") from None
        return match != reverse
    ops = {"<": lambda c: c < 0, "<=": lambda c: c <= 0,
           ">": lambda c: c > 0, ">=": lambda c: c >= 0}
    if op not in ops:
        raise DirectiveError(f"unrecognized operator '{arg1}'")
    return ops[op](_compare(version)) != reverse


def _compare(version: str) -> int:
    """Compare our version with *version* (-1, 0, 1), as compare_version."""
    m = _VERSION.match(version)
    if not m:
        raise DirectiveError("Version appears to be invalid. It must have the "
                             "format major[.minor[.patch]] where major, minor "
                             "and patch are numbers.")
    want = tuple(int(g) if g is not None else None for g in m.groups())
    for ours, theirs in zip(_SERVER_VERSION, want):
        if theirs is None:
            return 0
        if ours != theirs:
            return -1 if ours < theirs else 1
    return 0


_COND = EXEC_ON_READ | OR_ALL

DIRECTIVES = (
    Directive("Include", "core_module", ArgForm.TAKE1,
              RSRC_CONF | ACCESS_CONF | EXEC_ON_READ,
              "Name(s) of the config file(s) to be included; fails if the "
              "wildcard does not match at least one file", _include(False)),
    Directive("IncludeOptional", "core_module", ArgForm.TAKE1,
              RSRC_CONF | ACCESS_CONF | EXEC_ON_READ,
              "Name or pattern of the config file(s) to be included; ignored "
              "if the file does not exist or the pattern does not match any "
              "files", _include(True)),
    Directive("Define", "core_module", ArgForm.TAKE12,
              EXEC_ON_READ | ACCESS_CONF | RSRC_CONF,
              "Define a variable, optionally to a value.  Same as passing -D "
              "to the command line.", _define),
    Directive("UnDefine", "core_module", ArgForm.TAKE1,
              EXEC_ON_READ | ACCESS_CONF | RSRC_CONF,
              "Undefine the existence of a variable. Undo a Define.", _undefine),
    Directive("ServerRoot", "core_module", ArgForm.TAKE1, RSRC_CONF | EXEC_ON_READ,
              "Common directory of server-related files (logs, confs, etc.)",
              _server_root),
    Directive("LoadModule", "so_module", ArgForm.TAKE2, RSRC_CONF | EXEC_ON_READ,
              "a module name and the name of a shared object file to load it from",
              _load_module),
    Directive("LoadFile", "so_module", ArgForm.ITERATE, RSRC_CONF | EXEC_ON_READ,
              "shared object file or library to load into the server at runtime",
              _load_file),
    Directive("<IfModule", "core_module", ArgForm.RAW_ARGS, _COND,
              "Container for directives based on existence of specified modules",
              _condition(_if_module), section=True),
    Directive("<IfDefine", "core_module", ArgForm.RAW_ARGS, _COND,
              "Container for directives based on existence of command line defines",
              _condition(_if_define), section=True),
    Directive("<IfFile", "core_module", ArgForm.RAW_ARGS, _COND,
              "Container for directives based on existence of files on disk",
              _condition(_if_file), section=True),
    Directive("<IfDirective", "core_module", ArgForm.RAW_ARGS, _COND,
              "Container for directives based on existence of named directive",
              _condition(_if_directive), section=True),
    Directive("<IfSection", "core_module", ArgForm.RAW_ARGS, _COND,
              "Container for directives based on existence of named section",
              _condition(_if_section), section=True),
    Directive("<IfVersion", "version_module", ArgForm.TAKE123, _COND,
              "a comparison operator, a version (and a delimiter)",
              _if_version, section=True),
)
