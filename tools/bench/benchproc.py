"""What the bench scripts beside this file share: a free loopback port,
waiting for a server to accept, stopping its process group, and one wrk
run's requests per second."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


def wrk_rps(port: int, path: str, duration: int, *, threads: int = 1, conns: int = 50,
            extra: list[str] = (), prefix: list[str] = ()) -> float:
    """Requests/s of one wrk run (``prefix``: e.g. ``taskset -c 1``); 0 if
    wrk printed none."""
    out = subprocess.run([*prefix, "wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s",
                          *extra, f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, timeout=duration + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(m.group(1)) if m else 0.0
