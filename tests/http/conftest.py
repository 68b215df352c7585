"""Real-socket fixtures for the protocol tests.

Each server runs its own event loop (uvloop or the stdlib loop, per the
``loop_kind`` parameter) in a background thread, on 127.0.0.1 port 0.  Tests
talk to it with plain blocking sockets, every read bounded by a timeout, and
every server is shut down at teardown.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time

import pytest

from apyche.http import ConnectionPolicy, HttpError, Response, serve
from apyche.http.server import new_event_loop

LOOP_KINDS = ["uvloop", "asyncio"]
try:
    import uvloop  # noqa: F401
except ImportError:  # pragma: no cover
    LOOP_KINDS = ["asyncio"]


class ServerThread:
    def __init__(self, handler, policy=None, loop_kind="asyncio", sndbuf=None, extra_sockets=(),
                 accept_filter=None, **kwargs):
        self.sndbuf = sndbuf
        self.accept_filter = accept_filter   # AcceptFilter: "data" sets TCP_DEFER_ACCEPT
        self.extra_sockets = list(extra_sockets)
        self.handler = handler
        self.policy = policy or ConnectionPolicy()
        self.loop_kind = loop_kind
        self.kwargs = kwargs
        self.completed: list[tuple] = []
        self.loop = None
        self.server = None
        self.port = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error = None

    def _on_complete(self, request, response, sent, duration):
        self.completed.append((request, response.status, sent, duration))

    def _run(self):
        self.loop = new_event_loop(self.loop_kind == "uvloop")
        asyncio.set_event_loop(self.loop)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.sndbuf:
            # accepted sockets inherit it: forces partial sends / EAGAIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        if self.accept_filter:
            from apyche.http.accept import set_accept_filter
            set_accept_filter(sock, self.accept_filter)
        self.port = sock.getsockname()[1]
        kwargs = dict(self.kwargs)
        kwargs.setdefault("on_complete", self._on_complete)

        async def start():
            self.server = await serve([sock] + self.extra_sockets, self.handler, self.policy, **kwargs)

        try:
            self.loop.run_until_complete(start())
        except BaseException as exc:  # pragma: no cover
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def start(self):
        self._thread.start()
        assert self._ready.wait(10), "server did not start"
        if self._error:
            raise self._error
        return self

    def call(self, coro, timeout=15):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connections(self):
        return len(self.server.connections)

    def stop(self, grace=2.0):
        if self.loop is None or self.loop.is_closed():
            return
        try:
            self.call(self.server.shutdown(grace), timeout=grace + 10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)

    def wait_completed(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.completed) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.completed


# ---------------------------------------------------------------------------
# A tiny client


class Conn:
    def __init__(self, port, timeout=5.0, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)
        return self

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def read_until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            self._fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_to_eof(self) -> bytes:
        try:
            while True:
                self._fill()
        except EOFError:
            pass
        out, self.buf = self.buf, b""
        return out

    def response(self, head_only=False):
        """Read one response: (status, headers dict lower->value, body)."""
        head = self.read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        raw = []
        for line in lines[1:]:
            if line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
                raw.append(k.strip())
        headers["__order__"] = raw
        headers["__status_line__"] = lines[0]
        if head_only or status in (204, 304) or status < 200:
            return status, headers, b""
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int(self.read_until(b"\r\n")[:-2].split(b";")[0], 16)
                if size == 0:
                    self.read_until(b"\r\n")
                    break
                body += self.read_exact(size)
                self.read_until(b"\r\n")
            return status, headers, body
        if "content-length" in headers:
            return status, headers, self.read_exact(int(headers["content-length"]))
        return status, headers, self.read_to_eof()

    def is_closed(self, timeout=3.0) -> bool:
        """True if the server closed (EOF) within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def get(path="/", host=b"a", version=b"1.1", extra=b""):
    return b"GET " + path.encode() + b" HTTP/" + version + b"\r\nHost: " + host + b"\r\n" + extra + b"\r\n"


# ---------------------------------------------------------------------------
# The test handler


def make_handler(files=None):
    files = files or {}

    async def echo(request):
        body = await request.body()
        return Response(200, [("Content-Type", "application/octet-stream")], body)

    async def slow(request):
        await asyncio.sleep(float(request.query or "0.2"))
        return Response(200, [], b"slow:" + request.path.encode())

    async def stream(request):
        n = int(request.query or "5")

        async def gen():
            for i in range(n):
                yield b"chunk%d;" % i
                await asyncio.sleep(0)
        return Response(200, [("Content-Type", "text/plain")], gen())

    async def count_body(request):
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        return Response(200, [], str(total).encode())

    def handler(request):
        path = request.path
        if path == "/echo":
            return echo(request)
        if path == "/count":
            return count_body(request)
        if path == "/slow":
            return slow(request)
        if path == "/stream":
            return stream(request)
        if path == "/method":
            return Response(200, [], request.method.encode())
        if path == "/target":
            return Response(200, [], f"{request.path}|{request.query}|{request.host_from_target}".encode("latin-1"))
        if path == "/big":
            return Response(200, [("Content-Type", "text/plain")], b"x" * (10 * 1024))
        if path == "/huge":
            return Response(200, [], os.urandom(1024) * 4096)
        if path == "/boom":
            raise RuntimeError("handler bug")
        if path == "/teapot":
            raise HttpError(403)
        if path == "/nocontent":
            return Response(204, [])
        if path == "/close":
            return Response(200, [("Connection", "close")], b"bye")
        if path == "/badheader":
            return Response(200, [("X-Evil", "a\r\nSet-Cookie: x=1")], b"no")
        if path.startswith("/file/"):
            name = path[len("/file/"):]
            result = files[name](request)
            if isinstance(result, Response):
                return result
            return Response(200, [("Content-Type", "application/octet-stream")], result)
        return Response(200, [("Content-Type", "text/plain")], b"hello " + path.encode("latin-1"))

    return handler


@pytest.fixture(params=LOOP_KINDS)
def loop_kind(request):
    return request.param


@pytest.fixture
def make_server(loop_kind):
    started = []

    def factory(handler=None, policy=None, **kwargs):
        srv = ServerThread(handler or make_handler(), policy, loop_kind, **kwargs).start()
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture
def server(make_server):
    return make_server()
