"""Start a real apyche master (subprocess, free 127.0.0.1 ports) and talk to it."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CONF = """\
ServerName localhost
Listen 127.0.0.1:{port}
Listen 127.0.0.1:{port2}
PidFile logs/httpd.pid
ErrorLog logs/error_log
LogLevel info
LogFormat "%h %P \\"%r\\" %>s %b" pidfmt
CustomLog logs/access_log pidfmt
KeepAlive On
StartServers 3
ThreadsPerChild 4
ThreadLimit 4
ServerLimit 8
MaxRequestWorkers 32
MinSpareThreads 12
MaxSpareThreads 24
{extra}
DocumentRoot "{root}/htdocs"
<Directory "{root}/htdocs">
    Require all granted
</Directory>
<Location /server-status>
    SetHandler server-status
</Location>
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout: float = 10.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


class Server:
    def __init__(self, root: Path, extra: str = "", args: tuple = ()) -> None:
        self.root = root
        self.port, self.port2 = free_port(), free_port()
        (root / "logs").mkdir(exist_ok=True)
        (root / "htdocs").mkdir(exist_ok=True)
        (root / "htdocs" / "index.html").write_text("hello\n")
        self.conf = root / "httpd.conf"
        self.write_conf(extra)
        self.args = args
        self.proc: subprocess.Popen | None = None

    def write_conf(self, extra: str = "", broken: bool = False) -> None:
        text = CONF.format(port=self.port, port2=self.port2, root=self.root, extra=extra)
        if broken:
            text += "ThisIsNotADirective on\n"
        self.conf.write_text(text)

    def argv(self, *more: str) -> list[str]:
        return [sys.executable, "-m", "apyche", "-f", str(self.conf), "-d", str(self.root), *more]

    def env(self) -> dict:
        return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def start(self) -> "Server":
        self.stderr = open(self.root / "stderr", "wb")
        self.proc = subprocess.Popen(self.argv(*self.args), cwd=str(self.root), env=self.env(),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr, start_new_session=True)
        def ready():
            if self.proc.poll() is not None:
                return True
            try:
                return self.get("/", timeout=1).status == 200
            except OSError:
                return False
        wait_for(ready, 15)
        assert self.proc.poll() is None, (self.root / "stderr").read_text()
        return self

    def _can_connect(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def workers(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.pid)],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def get(self, path: str, port: int | None = None, timeout: float = 5.0):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Connection": "close"})
            resp = conn.getresponse()
            resp.body = resp.read()
            return resp
        finally:
            conn.close()

    def auto(self) -> str:
        return self.get("/server-status?auto").body.decode("latin-1")

    def error_log(self) -> str:
        try:
            return (self.root / "logs" / "error_log").read_text()
        except OSError:
            return ""

    def access_log(self) -> list[str]:
        try:
            return (self.root / "logs" / "access_log").read_text().splitlines()
        except OSError:
            return []

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # whatever is left of our group
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.stderr.close()
