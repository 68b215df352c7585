"""Run Debian's apache2 on a free 127.0.0.1 port with a throw-away config.

Used by the comparison tests: start it, send raw requests with sockets,
stop it by PID, read the logs.  Every wait is bounded.
"""

from __future__ import annotations

import os
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import tempfile
import time

APACHE2 = "/usr/sbin/apache2"
MODDIR = "/usr/lib/apache2/modules"
MODULES = ["mpm_event", "authz_core", "mime", "dir", "headers", "env",
           "setenvif"]


def available() -> str | None:
    """None if apache2 can be used, else the reason to skip."""
    if not os.path.exists(APACHE2):
        return "apache2 not installed (%s missing)" % APACHE2
    for m in MODULES:
        if not os.path.exists(os.path.join(MODDIR, "mod_%s.so" % m)):
            return "apache2 module mod_%s.so missing" % m
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_user() -> tuple[str, str] | None:
    if os.getuid() != 0:
        return None
    for u, g in (("www-data", "www-data"), ("nobody", "nogroup")):
        try:
            pwd.getpwnam(u)
            grp.getgrnam(g)
            return u, g
        except KeyError:
            continue
    return None


class Apache:
    def __init__(self, extra_conf: str, files: dict[str, bytes] | None = None):
        self.root = tempfile.mkdtemp(prefix="apyche-logs-")
        os.chmod(self.root, 0o755)
        self.docroot = os.path.join(self.root, "htdocs")
        os.mkdir(self.docroot)
        os.chmod(self.docroot, 0o755)
        os.mkdir(os.path.join(self.root, "run"))
        for name, data in (files or {}).items():
            p = os.path.join(self.docroot, name)
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, 0o644)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        user = _run_user()
        lines = ["ServerRoot \"%s\"" % self.root,
                 "ServerName apyche.test",
                 "Listen 127.0.0.1:%d" % self.port,
                 "PidFile \"%s/run/httpd.pid\"" % self.root,
                 "DefaultRuntimeDir \"%s/run\"" % self.root]
        lines += ["LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m)
                  for m in MODULES]
        if user:
            lines += ["User %s" % user[0], "Group %s" % user[1]]
        lines += ["DocumentRoot \"%s\"" % self.docroot,
                  "<Directory \"%s\">" % self.docroot,
                  "  Require all granted", "</Directory>",
                  "ErrorLog \"%s/error.log\"" % self.root,
                  "TypesConfig %s" % ("/etc/mime.types"
                                      if os.path.exists("/etc/mime.types")
                                      else "/dev/null")]
        lines.append(extra_conf.replace("@ROOT@", self.root))
        self.conf = os.path.join(self.root, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def start(self, timeout: float = 10.0) -> None:
        env = dict(os.environ, LANG="C", LC_ALL="C")
        self.proc = subprocess.Popen(
            [APACHE2, "-f", self.conf, "-DFOREGROUND"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace")
                raise RuntimeError("apache2 exited: %s" % out)
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("apache2 did not start listening in %ss" % timeout)

    def request(self, raw: bytes, timeout: float = 5.0) -> tuple[bytes, tuple[str, int]]:
        """Send raw bytes, read to EOF; return (response, client address)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout) as s:
            local = s.getsockname()
            s.sendall(raw)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        return b"".join(chunks), local

    def requests_on_one_connection(self, raws: list[bytes],
                                   timeout: float = 5.0):
        """Send requests one at a time on one connection (keep-alive).

        Each request waits for its full response (Content-Length framing),
        so the server sees no pipelining.  Returns ([responses], address).
        """
        out = []
        with socket.create_connection(("127.0.0.1", self.port), timeout) as s:
            local = s.getsockname()
            buf = b""
            for raw in raws:
                s.sendall(raw)
                while b"\r\n\r\n" not in buf:
                    b = s.recv(65536)
                    if not b:
                        break
                    buf += b
                head, _, rest = buf.partition(b"\r\n\r\n")
                clen = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        clen = int(v.strip())
                if raw.startswith(b"HEAD"):
                    clen = 0
                while len(rest) < clen:
                    b = s.recv(65536)
                    if not b:
                        break
                    rest += b
                out.append(head + b"\r\n\r\n" + rest[:clen])
                buf = rest[clen:]
            # read to EOF for the last one (Connection: close)
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
            except OSError:
                pass
        return out, local

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def read(self, name: str) -> bytes:
        with open(self.path(name), "rb") as f:
            return f.read()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
