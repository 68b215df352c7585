"""watchdog_module directives (modules/core/mod_watchdog.c)."""

from __future__ import annotations

from ..registry import GLOBAL_ONLY, RSRC_CONF, ArgForm, Cmd, Directive
from ..values import parse_timeout
from ._util import DirectiveError

AP_WD_TM_SLICE = 100_000   # microseconds


def set_interval(cmd: Cmd, arg: str):
    """Seconds (float)."""
    cmd.check_context(GLOBAL_ONLY)
    usec = parse_timeout(arg, "s")
    if usec is None:
        raise DirectiveError("Unparse-able WatchdogInterval setting")
    if usec < AP_WD_TM_SLICE:
        raise DirectiveError("Invalid WatchdogInterval: minimal value 100ms")
    return usec / 1_000_000


DIRECTIVES = (
    Directive("WatchdogInterval", "watchdog_module", ArgForm.TAKE1, RSRC_CONF,
              "Watchdog interval in seconds", set_interval, default=1.0),
)
