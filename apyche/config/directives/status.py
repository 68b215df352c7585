"""ExtendedStatus and SeeRequestTail.

mod_status has no directives in 2.4; these two are declared in
server/core.c (module core), handled in server/scoreboard.c.
"""

from __future__ import annotations

from ..registry import GLOBAL_ONLY, RSRC_CONF, ArgForm, Cmd, Directive
from ._util import globals_


def set_extended_status(cmd: Cmd, flag: bool):
    """ap_set_extended_status (server/scoreboard.c)."""
    cmd.check_context(GLOBAL_ONLY)
    g = globals_(cmd)
    if isinstance(g, dict):
        g["extended_status_explicit"] = True
    return flag


def set_reqtail(cmd: Cmd, flag: bool):
    cmd.check_context(GLOBAL_ONLY)
    return flag


DIRECTIVES = (
    Directive("ExtendedStatus", "core_module", ArgForm.FLAG, RSRC_CONF,
              "\"On\" to track extended status information, \"Off\" to disable",
              set_extended_status, default=False),
    Directive("SeeRequestTail", "core_module", ArgForm.FLAG, RSRC_CONF,
              "For extended status, \"On\" to see the last 63 chars of the "
              "request line, \"Off\" (default) to see the first 63",
              set_reqtail, default=False),
)
