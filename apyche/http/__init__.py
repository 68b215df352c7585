"""apyche's HTTP/1.x protocol layer (config-independent).

Bytes in, :class:`Request` out; :class:`Response` in, bytes out.  It knows
nothing about files, Apache configuration or modules: the rest of apyche
plugs in a handler ``handler(request) -> Response | Awaitable[Response]``.
"""

from .limits import ConnectionPolicy
from .request import ClientDisconnected, Request
from .response import REASONS, FileBody, HttpError, Response, default_error_response, http_date
from .protocol import HttpProtocol, ServerState
from .sendfile import send_file, send_file_mmap, send_file_read
from .server import HttpServer, new_event_loop, run, serve

__all__ = [
    "ConnectionPolicy", "Request", "ClientDisconnected", "Response", "FileBody", "HttpError",
    "REASONS", "default_error_response", "http_date", "HttpProtocol", "ServerState",
    "send_file", "send_file_mmap", "send_file_read", "HttpServer", "serve", "run", "new_event_loop",
]
