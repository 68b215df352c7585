"""What an expression can see of the request it is evaluated for.

``ExprContext`` is the protocol the evaluator reads (the request_rec,
conn_rec and server_rec parts ap_expr uses); ``SimpleContext`` is a plain
dataclass implementation for tests and for callers without a live request.

Values Apache would hold as NULL are ``None`` here; the evaluator turns
them into "" exactly where Apache does.  Header mappings must look names
up case-insensitively (``Headers`` below does; apr_table_get does).

Two attributes are written by evaluation:

* ``captures`` - the regex back-references $0..$9: set by ``=~`` / ``!~``
  against a regex with capture groups (a list of 10 strings, "" for an
  unset group), set to False by such a match failing (Apache's
  ``re_source`` is then NULL: mod_setenvif sets its values as written),
  untouched by a regex without groups.  ``Expr.evaluate`` starts from
  ``captures=None`` (as ap_expr_exec does) unless asked to keep the
  caller's.
* ``vary`` - request header names the expression read through
  %{HTTP_*} variables or req()/http(), for the caller to add to the Vary
  response header (Apache leaves "Host" out); None to not collect.
"""

from __future__ import annotations

import os
import stat as _stat
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, MutableMapping, Protocol, runtime_checkable


class Headers(MutableMapping[str, str]):
    """A small case-insensitive str->str mapping (apr_table_t's lookups)."""

    __slots__ = ("_d",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()):
        self._d: dict[str, tuple[str, str]] = {}
        pairs = items.items() if isinstance(items, Mapping) else items
        for k, v in pairs:
            self[k] = v

    def __getitem__(self, key: str) -> str:
        return self._d[key.lower()][1]

    def __setitem__(self, key: str, value: str) -> None:
        self._d[key.lower()] = (key, value)

    def __delitem__(self, key: str) -> None:
        del self._d[key.lower()]

    def __iter__(self):
        return (k for k, _ in self._d.values())

    def __len__(self) -> int:
        return len(self._d)

    def get(self, key: str, default=None):
        item = self._d.get(key.lower())
        return default if item is None else item[1]

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@runtime_checkable
class ExprContext(Protocol):
    # request line and URI mapping (request_rec)
    method: str                      # REQUEST_METHOD
    scheme: str                      # REQUEST_SCHEME (ap_http_scheme)
    uri: str                         # REQUEST_URI: r->uri, the decoded path
    filename: str | None             # REQUEST_FILENAME / SCRIPT_FILENAME
    path_info: str | None            # PATH_INFO
    query: str | None                # QUERY_STRING: r->args
    protocol: str                    # SERVER_PROTOCOL ("HTTP/1.1")
    the_request: str                 # THE_REQUEST
    is_subreq: bool                  # IS_SUBREQ
    status: int                      # REQUEST_STATUS (0: not yet set)
    # connection
    remote_ip: str                   # REMOTE_ADDR: r->useragent_ip
    remote_port: int                 # REMOTE_PORT
    conn_remote_ip: str              # CONN_REMOTE_ADDR: c->client_ip
    https: bool                      # HTTPS
    http2: bool                      # HTTP2
    # tables
    request_headers: Mapping[str, str]        # headers_in
    response_headers: Mapping[str, str]       # headers_out
    err_response_headers: Mapping[str, str]   # err_headers_out
    env: MutableMapping[str, str]             # subprocess_env (reqenv)
    notes: MutableMapping[str, str]           # r->notes
    osenv: Mapping[str, str]                  # the process environment
    # everything else by its ap_expr name; missing means NULL (""):
    #   SERVER_NAME   ap_get_server_name_for_url (the Host header's name
    #                 under UseCanonicalName Off - verified with apache2)
    #   SERVER_PORT SERVER_ADMIN DOCUMENT_ROOT CONTEXT_PREFIX
    #   CONTEXT_DOCUMENT_ROOT REMOTE_HOST REMOTE_IDENT REMOTE_USER AUTH_TYPE
    #   CONTENT_TYPE HANDLER REQUEST_LOG_ID CONN_LOG_ID SCRIPT_USER
    #   SCRIPT_GROUP LAST_MODIFIED (YYYYmmddHHMMSS, local time)
    #   SERVER_SOFTWARE (default: apyche.SERVER_VERSION)
    vars: Mapping[str, str]
    # written by evaluation (see the module docstring)
    captures: list[str] | None | bool
    vary: list[str] | None

    def stat(self, path: str, follow_symlinks: bool = True) -> os.stat_result | None:
        """os.stat / os.lstat, or None when the path cannot be stat'ed."""

    def read_file(self, path: str) -> bytes:
        """The file's bytes (raise OSError when it cannot be read)."""

    def now(self) -> float:
        """The current time (seconds since the epoch) for TIME_*."""

    def subreq_file(self, path: str) -> bool:
        """-F: a file subrequest for *path* gives status < 300 and exists."""

    def subreq_uri(self, uri: str) -> bool:
        """-U / -A: a URI subrequest for *uri* gives status < 400."""

    def log(self, level: str, message: str) -> None:
        """Apache's ap_log_rerror for what evaluation logs (debug, error)."""


@dataclass
class SimpleContext:
    """A plain ``ExprContext``: every field settable, file access real."""

    method: str = "GET"
    scheme: str = "http"
    uri: str = "/"
    filename: str | None = None
    path_info: str | None = None
    query: str | None = None
    protocol: str = "HTTP/1.1"
    the_request: str = "GET / HTTP/1.1"
    is_subreq: bool = False
    status: int = 0
    remote_ip: str = "127.0.0.1"
    remote_port: int = 54321
    conn_remote_ip: str | None = None
    https: bool = False
    http2: bool = False
    request_headers: Mapping[str, str] = field(default_factory=Headers)
    response_headers: Mapping[str, str] = field(default_factory=Headers)
    err_response_headers: Mapping[str, str] = field(default_factory=Headers)
    env: MutableMapping[str, str] = field(default_factory=dict)
    notes: MutableMapping[str, str] = field(default_factory=dict)
    osenv: Mapping[str, str] = field(default_factory=lambda: os.environ)
    vars: Mapping[str, str] = field(default_factory=dict)
    captures: list[str] | None | bool = None
    vary: list[str] | None = field(default_factory=list)
    clock: Callable[[], float] = time.time
    files: Mapping[str, bytes] | None = None   # a fake file system, if set
    subreq_files: Callable[[str], bool] | None = None
    subreq_uris: Callable[[str], bool] | None = None
    logged: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        if not isinstance(self.request_headers, Headers):
            self.request_headers = Headers(self.request_headers)
        if not isinstance(self.response_headers, Headers):
            self.response_headers = Headers(self.response_headers)
        if not isinstance(self.err_response_headers, Headers):
            self.err_response_headers = Headers(self.err_response_headers)
        if self.conn_remote_ip is None:
            self.conn_remote_ip = self.remote_ip

    def stat(self, path: str, follow_symlinks: bool = True):
        if self.files is not None:
            if path in self.files:
                data = self.files[path]
                return os.stat_result((_stat.S_IFREG | 0o644, 0, 0, 1, 0, 0,
                                       len(data), 0, 0, 0))
            prefix = path.rstrip("/") + "/"
            if any(p.startswith(prefix) for p in self.files):
                return os.stat_result((_stat.S_IFDIR | 0o755, 0, 0, 2, 0, 0,
                                       0, 0, 0, 0))
            return None
        try:
            return os.stat(path) if follow_symlinks else os.lstat(path)
        except (OSError, ValueError):
            return None

    def read_file(self, path: str) -> bytes:
        if self.files is not None:
            if path not in self.files:
                raise FileNotFoundError(path)
            return self.files[path]
        with open(path, "rb") as f:
            return f.read()

    def now(self) -> float:
        return self.clock()

    def subreq_file(self, path: str) -> bool:
        if self.subreq_files is not None:
            return self.subreq_files(path)
        return self.stat(path) is not None

    def subreq_uri(self, uri: str) -> bool:
        if self.subreq_uris is not None:
            return self.subreq_uris(uri)
        return False

    def log(self, level: str, message: str) -> None:
        self.logged.append((level, message))
