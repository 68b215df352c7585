"""reqtimeout_module directives (modules/filters/mod_reqtimeout.c)."""

from __future__ import annotations

from ..registry import RSRC_CONF, ArgForm, Cmd, Directive
from ..values import ReqTimeoutStage, c_strtol, merge_reqtimeout
from ..words import getword
from ._util import DirectiveError

REQTIMEOUT = "reqtimeout_module"


def _parse_int(arg: str) -> int:
    value, rest = c_strtol(arg)
    if value is None:
        raise DirectiveError(f"Value '{arg}' not numerical")
    if rest:
        raise DirectiveError(f"Cannot parse '{rest}'")
    if value < 0:
        raise DirectiveError("Value must be non-negative")
    return value


def set_param(key: str, val: str) -> ReqTimeoutStage:
    stage = key.lower()
    if stage not in ("handshake", "header", "body"):
        raise DirectiveError("Unknown RequestReadTimeout parameter")
    timeout = max_timeout = min_rate = 0
    idx = val.lower().find(",minrate=")
    if idx >= 0:
        initial = val[:idx]
        min_rate = _parse_int(val[idx + len(",minrate="):])
        if min_rate == 0:
            raise DirectiveError("Minimum data rate must be larger than 0")
        if "-" in initial:
            initial, _, mx = initial.partition("-")
            max_timeout = _parse_int(mx)
        timeout = _parse_int(initial)
    else:
        if "-" in val:
            raise DirectiveError("Must set MinRate option if using timeout range")
        timeout = _parse_int(val)
    if max_timeout and timeout >= max_timeout:
        raise DirectiveError("Maximum timeout must be larger than initial timeout")
    return ReqTimeoutStage(stage, timeout, max_timeout, min_rate)


def set_reqtimeouts(cmd: Cmd, args: str):
    stages = []
    pos, n = 0, len(args)
    while pos < n:
        word, pos = getword(args, pos)
        key, eq, val = word.partition("=")
        if not eq:
            raise DirectiveError("Invalid RequestReadTimeout parameter. "
                                 "Parameter must be in the form 'key=value'")
        try:
            stages.append(set_param(key, val))
        except DirectiveError as exc:
            raise DirectiveError(
                f"RequestReadTimeout: {key}={val}: {exc.message}") from None
    return tuple(stages)


DIRECTIVES = (
    Directive("RequestReadTimeout", REQTIMEOUT, ArgForm.RAW_ARGS, RSRC_CONF,
              "Set various timeout parameters for TLS handshake and/or "
              "reading request headers and body", set_reqtimeouts,
              merge=merge_reqtimeout,
              default=(ReqTimeoutStage("handshake", 0, 0, 0),
                       ReqTimeoutStage("header", 20, 40, 500),
                       ReqTimeoutStage("body", 20, 0, 500))),
)
