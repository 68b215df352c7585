"""Access and error logging, as mod_log_config, mod_logio and server/log.c do it.

This package knows nothing about the config tree or sockets.  The config
layer hands it strings (a LogFormat, a CustomLog target, LogLevel words, an
ErrorLogFormat) and gets back compiled objects; the server fills in a
``LogRecord`` per request and calls ``AccessLog.log(record)``.

- ``format``   -- compile a LogFormat string once into a fast formatter.
- ``writer``   -- sinks (file, piped log, BufferedLogs) and ``AccessLog``.
- ``errorlog`` -- ErrorLog, LogLevel and ErrorLogFormat.

Design note on ``%h`` (no logresolve inside): ``LogRecord.remote_host`` is
the name found by HostnameLookups, or None; ``%h`` prints it when present
and the IP otherwise, exactly as ``ap_get_useragent_host(REMOTE_NAME)``
does.  The formatter never resolves anything itself: Apache's performance
notes recommend ``HostnameLookups Off`` plus ``logresolve`` afterwards, and a
blocking DNS call has no place in the per-request path.
"""

from .format import (
    APACHE_FORMATS,
    DEBIAN_FORMATS,
    DEFAULT_LOG_FORMAT,
    LogFormat,
    LogFormatError,
    LogRecord,
    compile_format,
    connection_status,
    escape_logitem,
    merge_headers,
)
from .writer import (
    AccessLog,
    BufferedSink,
    FileSink,
    LogConfigError,
    LogSinks,
    PipeSink,
    parse_condition,
)
from .errorlog import (
    ErrorLog,
    ErrorLogFormat,
    LogLevels,
    parse_log_level,
)

__all__ = [
    "APACHE_FORMATS", "DEBIAN_FORMATS", "DEFAULT_LOG_FORMAT", "LogFormat",
    "LogFormatError", "LogRecord", "compile_format", "connection_status",
    "escape_logitem", "merge_headers", "AccessLog", "BufferedSink",
    "FileSink", "LogConfigError", "LogSinks", "PipeSink", "parse_condition",
    "ErrorLog", "ErrorLogFormat", "LogLevels", "parse_log_level",
]
