"""Helpers shared by the directive tables (no directives of its own).

What the walker's ``state`` may offer beyond the documented attributes is
read defensively here, so unit tests can use a bare fake state:

* ``state.loaded`` (or ``state.globals["loaded_modules"]``) - identifiers
  of the modules loaded (``alias_module``...).  Absent: every module apyche
  provides counts as loaded.
* the loaded MPM is the MPM among those (``mpm_event_module`` if none).
* ``state.globals["methods"]`` - extra HTTP methods from RegisterHttpMethod.
"""

from __future__ import annotations

import os

from .. import modules as _modules
from ..errors import DirectiveError
from ..registry import Cmd

__all__ = ["DirectiveError", "loaded", "mpm", "warn", "relative", "globals_",
           "server_dict", "is_directory", "on_off"]


def _state(cmd: Cmd):
    return cmd.state


def globals_(cmd: Cmd) -> dict:
    st = _state(cmd)
    g = getattr(st, "globals", None)
    if g is None:
        return {}
    return g


def server_dict(cmd: Cmd) -> dict:
    st = _state(cmd)
    s = getattr(st, "server", None)
    if s is None:
        return {}
    return s


def loaded(cmd: Cmd, ident: str) -> bool:
    """Is module *ident* loaded (or at least provided, without a state)?"""
    mods = _loaded_set(cmd)
    if mods is None:
        return ident in _modules.BY_IDENT
    return ident in mods


def _loaded_set(cmd: Cmd):
    mods = getattr(_state(cmd), "loaded", None)
    if mods is None:
        mods = globals_(cmd).get("loaded_modules")
    return mods


def find_loaded_module(cmd: Cmd, name: str):
    """core.c ``find_module``: a loaded module by identifier or source name."""
    mod = _modules.find(name)
    if mod is None or not loaded(cmd, mod.ident):
        return None
    return mod


def mpm(cmd: Cmd) -> str:
    mods = _loaded_set(cmd)
    if mods:
        for m in _modules.MPMS:
            if m.ident in mods:
                return m.ident
    return globals_(cmd).get("mpm", _modules.DEFAULT_MPM.ident)


def warn(cmd: Cmd, message: str) -> None:
    st = _state(cmd)
    if st is not None and hasattr(st, "warn"):
        st.warn(message)


def limited_methods(cmd: Cmd):
    """The methods an enclosing <Limit>/<LimitExcept> restricts this
    directive to (the walker's MethodSet in ``cmd.extra["ctx"]``), or None
    when it applies to every method (Apache's ``cmd->limited``)."""
    if not cmd.limited:
        return None
    ctx = cmd.extra.get("ctx")
    return getattr(ctx, "limited", None)


def scope_memo(cmd: Cmd, key: str) -> dict:
    """A dict shared by the directives of one scope (one section, or the
    server level), for handlers whose Apache counterpart accumulates state
    in the per-directory config across lines (ForceLanguagePriority,
    MultiviewsMatch).  Keyed by the walker's scope object
    (``cmd.extra["scope"]``); without one, per invocation."""
    scope = cmd.extra.get("scope")
    g = globals_(cmd)
    if scope is None or not isinstance(g, dict):
        return cmd.extra.setdefault(key, {})
    memo = g.setdefault("_scope_memo", {})
    held = memo.get((id(scope), key))
    if held is None or held[0] is not scope:
        held = memo[(id(scope), key)] = (scope, {})
    return held[1]


def info(cmd: Cmd, message: str) -> None:
    """A message Apache logs below the default LogLevel (APLOG_INFO), e.g.
    the MaxClients deprecation: passed to ``state.info`` when it exists."""
    st = _state(cmd)
    if st is not None and hasattr(st, "info"):
        st.info(message)


def relative(cmd: Cmd, path: str) -> str:
    """``ap_server_root_relative``."""
    st = _state(cmd)
    if st is not None and hasattr(st, "server_relative"):
        return st.server_relative(path)
    if os.path.isabs(path):
        return path
    root = getattr(st, "server_root", None) or "/"
    return os.path.join(root, path)


def is_directory(path: str) -> bool:
    """``ap_is_directory``: stat follows symlinks."""
    return os.path.isdir(path)


def on_off(value: str) -> bool | None:
    low = value.lower()
    if low == "on":
        return True
    if low == "off":
        return False
    return None


def where(cmd: Cmd) -> str:
    """"<file>:<line>" of the directive (for warnings worded by Apache)."""
    node = cmd.node
    return f"{getattr(node, 'file', '?')}:{getattr(node, 'line', 0)}"


def line_of(cmd: Cmd) -> tuple[str, int]:
    node = cmd.node
    return getattr(node, "file", "?"), getattr(node, "line", 0)


def check_expr(text: str, prefix: str, *, string_result: bool) -> None:
    """Refuse an ap_expr that does not parse, as ap_expr_parse_cmd does at
    config time (the message is *prefix* and the parser's error).  One the
    evaluator cannot run (a regex feature it lacks) is accepted: it is then
    false, or empty, when requests come."""
    from ...expr import ExprError, ExprUnsupported, parse_expr, parse_string_expr
    try:
        (parse_string_expr if string_result else parse_expr)(text)
    except ExprUnsupported:
        return
    except ExprError as exc:
        raise DirectiveError(f"{prefix}{exc}") from None
