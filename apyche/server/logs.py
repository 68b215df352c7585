"""Logs as a configuration sets them up: ErrorLog/LogLevel per server,
LogFormat nicknames and CustomLog/TransferLog per server (mod_log_config:
a virtual host without its own CustomLog inherits the main server's; with
one, it keeps only its own plus GlobalLog ones).

Opened once per (re)start; every server that names the same target shares
one sink, so lines are never interleaved from two file descriptors.
"""

from __future__ import annotations

import sys

from ..config.model import Scope, ServerConfig
from ..config.words import getword, split_words
from ..logs.errorlog import ErrorLog, LogLevels, open_error_log
from ..logs.format import compile_format
from ..logs.writer import AccessLog, LogConfigError, LogSinks, parse_condition

DEFAULT_FORMAT = '%h %l %u %t "%r" %>s %b'     # mod_log_config's built-in default


class _StderrSink:
    def write(self, data: bytes) -> None:
        try:
            sys.stderr.buffer.write(data)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def flush(self) -> None: ...

    def reopen(self) -> None: ...

    def close(self) -> None: ...


class ServerLogs:
    """The error log and access logs of every server of one config."""

    def __init__(self, config: ServerConfig, views) -> None:
        root = config.server_root
        buffered = bool(config.main.get("BufferedLogs", False))
        self.sinks = LogSinks(root, buffered)
        self._error_sinks: dict[str, object] = {}
        nicknames = self._nicknames(config.main)
        main_access = self._access_logs(config.main, nicknames)
        main_error = self._error_log(config, config.main, None)
        self.error = [main_error]
        self.access = [main_access]
        for view in views[1:]:
            scope = view.vhost.scope
            names = dict(nicknames)
            names.update(self._nicknames(scope))
            own = self._access_logs(scope, names)
            if scope.all("CustomLog") or scope.all("TransferLog"):
                inherited = [log for log, inherit in main_access if inherit]
                logs = own + [(log, True) for log in inherited]
            else:
                logs = main_access
            self.access.append(logs)
            self.error.append(self._error_log(config, scope, main_error)
                              if scope.all("ErrorLog") or scope.all("LogLevel") else main_error)

    @staticmethod
    def _nicknames(scope: Scope) -> dict[str, str]:
        names: dict[str, str] = {}
        default = None
        for s in scope.all("LogFormat"):
            words = split_words(s.args)
            if len(words) >= 2:
                names[words[1]] = words[0]
            elif words:
                default = words[0]
        if default is not None:
            names[None] = default   # type: ignore[index]
        return names

    def _access_logs(self, scope: Scope, nicknames: dict) -> list[tuple[AccessLog, bool]]:
        logs = []
        for s in scope.settings:
            if s.name not in ("CustomLog", "TransferLog", "GlobalLog"):
                continue
            words = split_words(s.args)
            if not words:
                continue
            target = words[0]
            if s.name == "TransferLog":
                fmt = nicknames.get(None, DEFAULT_FORMAT)
                cond = None
            else:
                spec = words[1] if len(words) > 1 else None
                fmt = nicknames.get(spec, spec) if spec is not None else DEFAULT_FORMAT
                cond = words[2] if len(words) > 2 else None
            try:
                condition = parse_condition(cond) if cond else None
                sink = self.sinks.open(target, per_tick=True)
            except (LogConfigError, OSError) as exc:
                raise LogConfigError(f"{s.file}:{s.line}: {exc}") from exc
            logs.append((AccessLog(sink, compile_format(fmt), condition),
                         s.name == "GlobalLog"))
        return logs

    def _error_log(self, config: ServerConfig, scope: Scope, fallback) -> ErrorLog:
        targets = scope.all("ErrorLog")
        target = getword(targets[-1].args)[0] if targets else None
        levels = None
        for s in config.main.all("LogLevel") + ([] if scope is config.main else scope.all("LogLevel")):
            try:
                levels = LogLevels.parse(split_words(s.args), levels)
            except Exception:   # validated at config load; keep the default
                pass
        if target is None and fallback is not None:
            return ErrorLog(fallback.sink, levels or fallback.levels)
        if target is None:
            target = "logs/error_log"
        sink = self._error_sinks.get(target)
        if sink is None:
            try:
                sink = open_error_log(target, self.sinks, config.server_root)
            except (LogConfigError, OSError):
                sink = _StderrSink()
            self._error_sinks[target] = sink
        return ErrorLog(sink, levels)

    def flush(self) -> None:
        self.sinks.flush_all()

    def reopen(self) -> None:
        self.sinks.reopen_all()

    def close(self) -> None:
        self.sinks.close_all()
