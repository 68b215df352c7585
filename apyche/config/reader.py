"""Physical lines to Apache's logical lines (server/util.c).

Rules kept here, each as Apache's reader has it:

* ``ap_cfg_getline_core``: a backslash immediately before the newline (an
  optional CR between them) joins the next physical line; the backslash and
  the line break are removed, nothing else.  It runs before comment
  detection, so a ``#`` comment ending in a backslash swallows the next
  line.  The line number Apache reports is that of the *last* physical line.
* ``cfg_trim_line``: leading and trailing whitespace (C isspace) removed.
* ``ap_build_config_sub``: a logical line starting with ``#``, or empty, is
  skipped - comments are whole-line only.
* Line length: 16 MiB for server config, 8190 bytes in .htaccess
  (HUGE_STRING_LEN); a longer line is "Line too long".

Bytes that are not UTF-8 are kept (surrogateescape), never an error: Apache
treats config text as bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ConfigError

SERVER_MAX_LINE = 16 * 1024 * 1024
HTACCESS_MAX_LINE = 8190

_SPACE = " \t\n\r\f\v"
# A newline; the continuation test looks at what precedes it.
_LINE_END = re.compile(r"\n")


@dataclass(slots=True)
class LogicalLine:
    text: str       # trimmed
    first: int      # first physical line (1-based)
    last: int       # last physical line: the number Apache reports


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def logical_lines(text: str, name: str = "?",
                  max_len: int = SERVER_MAX_LINE) -> list[LogicalLine]:
    """Split *text* into trimmed logical lines, comments and blanks dropped."""
    out: list[LogicalLine] = []
    physical = text.split("\n")
    ends_with_lf = physical[-1] == ""
    if ends_with_lf:
        physical.pop()
    last_index = len(physical) - 1
    pending: list[str] = []
    first = 0
    lineno = 0

    def emit(line: str, last: int) -> None:
        if len(line) > max_len:
            raise ConfigError(
                f"Error reading {name} at line {last}: Line too long", code="")
        line = line.strip(_SPACE)
        if line and line[0] != "#":
            out.append(LogicalLine(line, first, last))

    for index, raw in enumerate(physical):
        lineno = index + 1
        if not pending:
            first = lineno
        if index < last_index or ends_with_lf:
            # ap_cfg_getline_core: strip [CR]LF; a backslash right before it
            # continues the logical line on the next physical line.
            body = raw[:-1] if raw.endswith("\r") else raw
            if body.endswith("\\"):
                pending.append(body[:-1])
                continue
        if pending:
            pending.append(raw)
            emit("".join(pending), lineno)
            pending = []
        else:
            emit(raw, lineno)
    if pending:
        # A continuation ran into the end of the file: Apache returns what
        # it has, having counted the line it tried to read.
        emit("".join(pending), lineno + 1)
    return out
