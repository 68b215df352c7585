"""log_config_module (modules/loggers/mod_log_config.c) and logio_module
(modules/loggers/mod_logio.c) directives.

CustomLog, TransferLog and GlobalLog feed one list (Apache's
``config_logs``) in directive order.  A virtual host that has any of them
does not inherit the main server's logs, except those from GlobalLog
(``CustomLog.inherit``); LogFormat nicknames overlay the main server's
(merge_config_log_state).  The ``merge`` rules below approximate that per
directive; the log layer should combine the three as described.
"""

from __future__ import annotations

from ..registry import GLOBAL_ONLY, OR_ALL, RSRC_CONF, ArgForm, Cmd, Directive
from ..values import CustomLog, LogFormat
from ._util import DirectiveError

LOG_CONFIG = "log_config_module"
LOGIO = "logio_module"

COMMON_FORMAT = "%h %l %u %t \"%r\" %>s %b"


def check_format(fmt: str) -> None:
    """``parse_log_string``'s verdict, from the one LogFormat compiler the
    access logs use (apyche.logs.format), with Apache's messages."""
    from ...logs.format import LogFormatError, compile_format
    try:
        compile_format(fmt)
    except LogFormatError as exc:
        raise DirectiveError(str(exc)) from None


def log_format(cmd: Cmd, fmt: str, name: str | None):
    check_format(fmt)
    return (LogFormat(fmt, name),)


def add_custom_log(cmd: Cmd, fn: str, fmt: str | None, envclause: str | None,
                   inherit: bool = False):
    var = expr = None
    if envclause is not None:
        low = envclause.lower()
        if low.startswith("env="):
            if envclause[4:] in ("", "!"):
                raise DirectiveError("missing environment variable name")
            var = envclause[4:]
        elif low.startswith("expr="):
            if envclause[5:] == "":
                raise DirectiveError("missing condition")
            expr = envclause[5:]
        else:
            raise DirectiveError("error in condition clause")
    if fmt is not None:
        check_format(fmt)
    return (CustomLog(fn, fmt, var, expr, inherit),)


def add_global_log(cmd: Cmd, fn: str, fmt: str, envclause: str | None):
    cmd.check_context(GLOBAL_ONLY)
    return add_custom_log(cmd, fn, fmt, envclause, inherit=True)


def set_transfer_log(cmd: Cmd, fn: str):
    return add_custom_log(cmd, fn, None, None)


def set_flag(cmd: Cmd, flag: bool):
    return flag


DIRECTIVES = (
    Directive("CustomLog", LOG_CONFIG, ArgForm.TAKE23, RSRC_CONF,
              "a file name, a custom log format string or format name, and "
              "an optional \"env=\" or \"expr=\" clause (see docs)",
              add_custom_log, merge="replace", default=()),
    Directive("GlobalLog", LOG_CONFIG, ArgForm.TAKE23, RSRC_CONF,
              "Same as CustomLog, but forces virtualhosts to inherit the log",
              add_global_log, merge="append", default=()),
    Directive("TransferLog", LOG_CONFIG, ArgForm.TAKE1, RSRC_CONF,
              "the filename of the access log", set_transfer_log,
              merge="replace", default=()),
    Directive("LogFormat", LOG_CONFIG, ArgForm.TAKE12, RSRC_CONF,
              "a log format string (see docs) and an optional format name",
              log_format, merge="append",
              default=(LogFormat(COMMON_FORMAT, None),)),
    Directive("BufferedLogs", LOG_CONFIG, ArgForm.FLAG, RSRC_CONF,
              "Enable Buffered Logging (experimental)", set_flag,
              default=False),
    Directive("LogIOTrackTTFB", LOGIO, ArgForm.FLAG, OR_ALL,
              "Set to 'ON' to enable tracking time to first byte", set_flag,
              default=False),
)
