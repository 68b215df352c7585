"""http_module directives (modules/http/http_core.c ``http_cmds``)."""

from __future__ import annotations

from ..registry import NOT_IN_DIR_CONTEXT, RSRC_CONF, ArgForm, Cmd, Directive
from ..values import c_atoi, parse_timeout
from ._util import DirectiveError

HTTP = "http_module"


def set_keep_alive_timeout(cmd: Cmd, arg: str):
    """Seconds as a float (ap_timeout_parameter_parse, default unit s)."""
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    usec = parse_timeout(arg, "s")
    if usec is None:
        raise DirectiveError("KeepAliveTimeout has wrong format")
    return usec / 1_000_000


def set_keep_alive_max(cmd: Cmd, arg: str):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    return c_atoi(arg)


def set_keep_alive(cmd: Cmd, flag: bool):
    cmd.check_context(NOT_IN_DIR_CONTEXT)
    return flag


DIRECTIVES = (
    Directive("KeepAliveTimeout", HTTP, ArgForm.TAKE1, RSRC_CONF,
              "Keep-Alive timeout duration (sec)", set_keep_alive_timeout,
              default=5.0),
    Directive("MaxKeepAliveRequests", HTTP, ArgForm.TAKE1, RSRC_CONF,
              "Maximum number of Keep-Alive requests per connection, or 0 "
              "for infinite", set_keep_alive_max, default=100),
    Directive("KeepAlive", HTTP, ArgForm.FLAG, RSRC_CONF,
              "Whether persistent connections should be On or Off",
              set_keep_alive, default=True),
)
