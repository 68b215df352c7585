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
from ..values import CustomLog, LogFormat, LogItem
from ._util import DirectiveError

LOG_CONFIG = "log_config_module"
LOGIO = "logio_module"

# Format letters registered with log_pfn_register: mod_log_config's own and
# mod_logio's (I, O, S, ^FB), both compiled into Debian's apache2.
LOG_HANDLERS = frozenset("haAlutfbBionLeVvpPHmqXCkrDTUsRIOS")
LOG_HANDLERS_3 = frozenset({"^ti", "^to", "^FB"})

COMMON_FORMAT = "%h %l %u %t \"%r\" %>s %b"


def _misc_string(s: str, i: int) -> tuple[str, int]:
    """parse_log_misc_string: text up to the next ``%`` with \\n \\t \\r \\\\."""
    out = []
    n = len(s)
    while i < n and s[i] != "%":
        c = s[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        if i < n and s[i] in "\\rnt":
            out.append({"\\": "\\", "r": "\r", "n": "\n", "t": "\t"}[s[i]])
            i += 1
        else:
            out.append("\\")
    return "".join(out), i


def parse_log_string(s: str) -> tuple[LogItem, ...]:
    """parse_log_string: the items, then the trailing newline item."""
    items: list[LogItem] = []
    i, n = 0, len(s)
    while i < n:
        if s[i] != "%":
            text, i = _misc_string(s, i)
            items.append(LogItem("const", text))
            continue
        i += 1
        if i < n and s[i] == "%":
            items.append(LogItem("const", "%"))
            i += 1
            continue
        negate = False
        want_orig = None
        conditions: list[int] = []
        arg = ""
        done = False
        while i < n:
            c = s[i]
            if c == "!":
                negate = not negate
                i += 1
            elif c == "<":
                want_orig = 1
                i += 1
            elif c == ">":
                want_orig = 0
                i += 1
            elif c == ",":
                i += 1
            elif c == "{":
                end = s.find("}", i + 1)
                if end < 0:
                    arg, i = s[i + 1:], n
                else:
                    arg, i = s[i + 1:end], end + 1
            elif c.isdigit():
                j = i
                while j < n and s[j].isdigit():
                    j += 1
                conditions.append(int(s[i:j]))
                i = j
            else:
                tag = None
                if c == "^" and i + 2 < n and s[i:i + 3] in LOG_HANDLERS_3:
                    tag, i = s[i:i + 3], i + 3
                elif c in LOG_HANDLERS:
                    tag, i = c, i + 1
                if tag is None:
                    raise DirectiveError(f"Unrecognized LogFormat directive %{c}")
                items.append(LogItem(tag, arg, tuple(conditions), negate, want_orig))
                done = True
                break
        if not done:
            raise DirectiveError(
                "Ran off end of LogFormat parsing args to some directive")
    items.append(LogItem("const", "\n"))
    return tuple(items)


def log_format(cmd: Cmd, fmt: str, name: str | None):
    items = parse_log_string(fmt)
    return (LogFormat(fmt, name, items),)


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
    items = parse_log_string(fmt) if fmt is not None else None
    return (CustomLog(fn, fmt, var, expr, inherit, items),)


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
              default=(LogFormat(COMMON_FORMAT, None,
                                 parse_log_string(COMMON_FORMAT)),)),
    Directive("BufferedLogs", LOG_CONFIG, ArgForm.FLAG, RSRC_CONF,
              "Enable Buffered Logging (experimental)", set_flag,
              default=False),
    Directive("LogIOTrackTTFB", LOGIO, ArgForm.FLAG, OR_ALL,
              "Set to 'ON' to enable tracking time to first byte", set_flag,
              default=False),
)
