"""cgi_module directives (modules/generators/mod_cgi.c ``cgi_cmds``)."""

from __future__ import annotations

from ..registry import ACCESS_CONF, RSRC_CONF, ArgForm, Cmd, Directive
from ..values import c_atoi, parse_timeout
from ._util import DirectiveError, relative

CGI = "cgi_module"


def set_scriptlog(cmd: Cmd, arg: str):
    path = relative(cmd, arg)
    if not path:
        raise DirectiveError(f"Invalid ScriptLog path {arg}")
    return path


def set_int(cmd: Cmd, arg: str):
    return c_atoi(arg)


def set_script_timeout(cmd: Cmd, arg: str):
    """Seconds (float)."""
    usec = parse_timeout(arg, "s")
    if usec is None:
        raise DirectiveError("CGIScriptTimeout has wrong format")
    return usec / 1_000_000


DIRECTIVES = (
    Directive("ScriptLog", CGI, ArgForm.TAKE1, RSRC_CONF,
              "the name of a log for script debugging info", set_scriptlog),
    Directive("ScriptLogLength", CGI, ArgForm.TAKE1, RSRC_CONF,
              "the maximum length (in bytes) of the script debug log",
              set_int, default=10385760),
    Directive("ScriptLogBuffer", CGI, ArgForm.TAKE1, RSRC_CONF,
              "the maximum size (in bytes) to record of a POST request",
              set_int, default=1024),
    Directive("CGIScriptTimeout", CGI, ArgForm.TAKE1, RSRC_CONF | ACCESS_CONF,
              "The amount of time to wait between successful reads from the "
              "CGI script, in seconds.", set_script_timeout),
)
