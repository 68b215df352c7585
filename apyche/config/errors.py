"""Config errors worded as Apache words them.

Apache reports a config problem in one of three shapes, depending on the
phase that found it (server/config.c, server/main.c); scripts grep these,
so ``ConfigError.apache_text`` reproduces them byte for byte:

* reading (``ap_build_config``: structure, Include, <IfModule>...)::

      apache2: Syntax error on line 3 of /etc/apache2/apache2.conf: Expected </Directory> but saw </Files>

  An error inside an included file is wrapped once per Include level.
* applying (``ap_walk_config``: every other directive)::

      AH00526: Syntax error on line 12 of /etc/apache2/apache2.conf:
      Invalid command 'Foo', perhaps misspelled or defined by a module not included in the server configuration

* checking the whole (``ap_check_mpm`` ...)::

      AH00534: apache2: Configuration error: No MPM loaded.
"""

from __future__ import annotations


MAX_LOG_LINE = 8190   # MAX_STRING_LEN - 2: ap_log_error's line buffer

_ESCAPES = {0x08: "\\b", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v",
            0x5C: "\\\\"}


def log_escape(text: str) -> str:
    """``ap_escape_errorlog_item``: backslash doubled, control characters
    as \\n-style escapes, other non-printable and non-ASCII bytes as \\xNN
    (a message is bytes to Apache; ours may carry surrogate-escaped bytes)."""
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text
    out = []
    for b in text.encode("utf-8", "surrogateescape"):
        esc = _ESCAPES.get(b)
        if esc is not None:
            out.append(esc)
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\x{b:02x}")
        else:
            out.append(chr(b))
    return "".join(out)


def log_line(text: str) -> str:
    """One escaped log line, truncated as Apache's logger truncates it."""
    line = log_escape(text)
    if len(line) > MAX_LOG_LINE:
        line = line[:MAX_LOG_LINE]
    return line


class DirectiveError(Exception):
    """A directive handler rejected its arguments: just Apache's message.

    The caller knows the node and turns this into a ``ConfigError`` with
    file and line.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


READ = "read"
WALK = "walk"
CHECK = "check"
RAW = "raw"        # preformatted lines; "{argv0}" is replaced


class ConfigError(Exception):
    """A configuration error with the file and line Apache would name.

    ``phase`` picks the output shape (see the module docstring).  ``file``
    and ``line`` are where the problem is (None where Apache names none).
    ``message`` is Apache's text: for the read phase already carrying its
    "Syntax error on line N of F: " prefixes (one per Include level), for
    the walk phase without the location, which ``apache_text`` adds.
    """

    def __init__(self, message: str, file: str | None = None,
                 line: int | None = None, phase: str = WALK, code: str = ""):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.phase = phase
        self.code = code
        self.warnings: list = []   # warnings printed before the error

    def apache_text(self, argv0: str = "apyche") -> str:
        """The lines Apache's logger prints: each message escaped
        (``ap_escape_errorlog_item``) and cut at its 8190-byte limit."""
        if self.phase == READ:
            return log_line(f"{argv0}: {self.message}")
        if self.phase == RAW:
            return self.message.replace("{argv0}", argv0)
        if self.phase == CHECK:
            return log_line(f"{self.code or 'AH00534'}: {argv0}: Configuration error: "
                            f"{self.message}")
        if self.file is None:
            return log_line(self.message)
        return (log_line(f"AH00526: Syntax error on line {self.line} of {self.file}:")
                + "\n" + log_line(self.message))

    def __str__(self) -> str:
        return self.apache_text()


class ConfigWarning:
    """A warning Apache prints while reading (``AH00111`` undefined ${VAR}...)."""

    __slots__ = ("message", "file", "line", "code", "module", "level", "startup")

    def __init__(self, message: str, file: str | None = None,
                 line: int | None = None, code: str = "",
                 module: str = "core", level: str = "warn", startup: bool = False):
        self.message = message
        self.file = file
        self.line = line
        self.code = code
        self.module = module
        self.level = level
        # APLOG_STARTUP messages print bare; others with the error-log prefix.
        self.startup = startup

    def text(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message

    def __repr__(self) -> str:
        return f"ConfigWarning({self.text()!r}, {self.file!r}, {self.line!r})"
