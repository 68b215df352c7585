"""Real servers on real sockets, for the end-to-end and differential tests.

* :class:`ServerProcess` runs ``python -m apyche -f CONF -d ROOT`` (or
  Debian's ``apache2 -f CONF -DFOREGROUND``) as a child process, waits -
  bounded - until it accepts connections on 127.0.0.1, and stops it by PID:
  SIGTERM, then SIGKILL after a bound.  Nothing is ever left running.
* :func:`request` / :class:`Conn` are a tiny HTTP/1.1 client on raw
  sockets (every read bounded by a timeout) that returns the status, the
  headers exactly as sent, and the body (Content-Length, chunked, or EOF).
* :func:`write_tree` lays out a document tree from a dict.

Only the standard library is used: no ``requests``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APACHE = os.environ.get("APYCHE_APACHE_BIN", "/usr/sbin/apache2")
MODDIR = Path(os.environ.get("APYCHE_APACHE_MODULES", "/usr/lib/apache2/modules"))

# The modules the test configs use.  apyche provides all of them natively
# (apyche/config/modules.py); LoadModule only switches them on.
MODULES = ["mpm_event", "authz_core", "authz_host", "access_compat", "alias", "dir",
           "mime", "autoindex"]

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
IO_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def apache_missing(module_files) -> str | None:
    """Why Debian's apache2 cannot run a test that loads *module_files*
    (``mod_x.so`` names), or None when it can."""
    if not (os.path.isfile(APACHE) and os.access(APACHE, os.X_OK)):
        return f"apache2 not installed at {APACHE} (set APYCHE_APACHE_BIN)"
    missing = [m for m in module_files if not (MODDIR / m).is_file()]
    if missing:
        return f"apache2 modules {missing} not present in {MODDIR}"
    return None


def load_modules(modules=MODULES) -> str:
    return "".join(f"LoadModule {m}_module {MODDIR}/mod_{m}.so\n" for m in modules)


def write_tree(base: Path, files: dict) -> None:
    """{relative path: content}: str/bytes -> file, None -> directory,
    ("symlink", target) -> symbolic link."""
    for rel, content in files.items():
        path = base / rel
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple) and content[0] == "symlink":
            if path.is_symlink() or path.exists():
                path.unlink()
            os.symlink(content[1], path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


# --- a tiny HTTP client -------------------------------------------------------


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    raw_head: str = ""

    def get(self, name: str, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def __repr__(self) -> str:  # pragma: no cover - failure messages
        return f"<Response {self.status} {self.headers!r} body={self.body[:200]!r}>"


class Conn:
    """One client connection; reads are bounded by ``timeout``."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = IO_TIMEOUT) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:  # pragma: no cover
            pass

    def send(self, data: bytes) -> "Conn":
        self.sock.sendall(data)
        return self

    def _fill(self) -> None:
        data = self.sock.recv(262144)
        if not data:
            raise EOFError("connection closed by the server")
        self.buf += data

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            self._fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _eof(self) -> bytes:
        try:
            while True:
                self._fill()
        except (EOFError, ConnectionResetError):
            pass
        out, self.buf = self.buf, b""
        return out

    def read_response(self, method: str = "GET") -> Response:
        head = self._until(b"\r\n\r\n").decode("latin-1")
        lines = head[:-4].split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        resp = Response(status, reason, headers, b"", head)
        if method == "HEAD" or status in (204, 304) or status < 200:
            return resp
        if (resp.get("Transfer-Encoding") or "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._until(b"\r\n")[:-2].split(b";")[0], 16)
                if size == 0:
                    while self._until(b"\r\n") != b"\r\n":
                        pass
                    break
                body += self._exact(size)
                self._until(b"\r\n")
            resp.body = body
        elif resp.has("Content-Length"):
            resp.body = self._exact(int(resp.get("Content-Length")))
        else:
            resp.body = self._eof()
        return resp

    def request(self, method: str, target: str, headers: dict | list | None = None,
                body: bytes = b"", host: str | None = "localhost",
                version: str = "1.1") -> Response:
        self.send(build_request(method, target, headers, body, host, version))
        return self.read_response(method)

    def closed_by_server(self, timeout: float = 3.0) -> bool:
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


def build_request(method: str, target: str, headers=None, body: bytes = b"",
                  host: str | None = "localhost", version: str = "1.1") -> bytes:
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in items}
    if host is not None and "host" not in names:
        items.insert(0, ("Host", host))
    if body and "content-length" not in names:
        items.append(("Content-Length", str(len(body))))
    head = f"{method} {target} HTTP/{version}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in items) + "\r\n"
    return head.encode("latin-1") + body


def request(port: int, method: str, target: str, headers=None, body: bytes = b"",
            host: str | None = "localhost", version: str = "1.1",
            timeout: float = IO_TIMEOUT) -> Response:
    """One request on its own connection (``Connection: close``)."""
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if not any(k.lower() == "connection" for k, _ in items):
        items.append(("Connection", "close"))
    with Conn(port, timeout=timeout) as c:
        return c.request(method, target, items, body, host, version)


def raw_request(port: int, data: bytes, timeout: float = IO_TIMEOUT) -> bytes:
    """Send raw bytes, read to EOF (bounded)."""
    with Conn(port, timeout=timeout) as c:
        c.send(data)
        return c._eof()


# --- server processes ---------------------------------------------------------


class ServerFailed(RuntimeError):
    pass


@dataclass
class ServerProcess:
    """A server child process: apyche (``kind="apyche"``) or apache2."""

    conf: Path
    root: Path
    port: int                 # the port to wait for (the first Listen)
    kind: str = "apyche"
    env: dict = field(default_factory=dict)
    port2: int | None = None  # a second Listen port, if the config has one
    proc: subprocess.Popen | None = None
    stderr_path: Path | None = None

    def argv(self) -> list[str]:
        if self.kind == "apache":
            return [APACHE, "-d", str(self.root), "-f", str(self.conf), "-DFOREGROUND"]
        return [sys.executable, "-m", "apyche", "-f", str(self.conf), "-d", str(self.root)]

    def start(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        env = {**os.environ, "TZ": "UTC", **self.env}
        if self.kind == "apyche":
            env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        self.stderr_path = self.root / f"{self.kind}.stderr"
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv(), cwd=str(self.root), env=env,
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise ServerFailed(f"{self.kind} exited at startup (status {code}): "
                                   f"{self.stderr()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise ServerFailed(f"{self.kind} did not accept connections on "
                                       f"127.0.0.1:{self.port} within {timeout} s: "
                                       f"{self.stderr()}")
                time.sleep(0.05)

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace") if self.stderr_path else ""
        except OSError:
            return ""

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to our own child's PID, SIGKILL after *timeout* seconds."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
            except ProcessLookupError:  # pragma: no cover
                pass
        if self.kind == "apache":
            # apache2 -DFOREGROUND is the parent of its children; make sure
            # none survived in its session (by the PIDs in our own group).
            try:
                os.killpg(proc.pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):  # pragma: no cover
                pass

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns a true value (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
