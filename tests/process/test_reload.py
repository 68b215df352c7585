"""--reload: an edit to the config is picked up by a graceful restart; a
broken edit is reported and the last good config keeps serving."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def header(port: int, name: str) -> str | None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        k, _, v = line.decode().partition(":")
        if k.lower() == name.lower():
            return v.strip()
    return None


def until(predicate, timeout: float = 10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.2)
    return predicate()


@pytest.fixture
def server():
    root = Path(tempfile.mkdtemp(prefix="apyche-reload-"))
    os.chmod(root, 0o755)
    (root / "www").mkdir(mode=0o755)
    (root / "www" / "a.txt").write_text("a\n")
    os.chmod(root / "www" / "a.txt", 0o644)
    port = free_port()
    conf = root / "httpd.conf"
    conf.write_text(f"ServerName x\nListen 127.0.0.1:{port}\nErrorLog {root}/error.log\n"
                    f"PidFile {root}/httpd.pid\nUser nobody\nDocumentRoot {root}/www\n"
                    f"<Directory {root}/www>\n    Require all granted\n"
                    "    Header set X-Gen one\n</Directory>\n")
    proc = subprocess.Popen([sys.executable, "-m", "apyche", "--reload", "-f", str(conf),
                             "-d", str(root), "-DFOREGROUND"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        assert until(lambda: header(port, "X-Gen") == "one"), "server did not start"
        yield conf, port, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)


def test_edit_is_served_after_a_graceful_restart(server):
    conf, port, _proc = server
    conf.write_text(conf.read_text().replace("X-Gen one", "X-Gen two"))
    assert until(lambda: header(port, "X-Gen") == "two")


def test_broken_edit_keeps_the_last_good_config(server):
    conf, port, proc = server
    conf.write_text(conf.read_text().replace("Header set X-Gen one", "Bogus directive"))
    log = Path(conf.parent / "error.log")
    assert until(lambda: "Invalid command 'Bogus'" in log.read_text())
    assert header(port, "X-Gen") == "one"
    os.killpg(proc.pid, signal.SIGTERM)
    _out, err = proc.communicate(timeout=15)
    assert b"keeping the last good configuration" in err
