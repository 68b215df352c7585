"""What the bench scripts beside this file share: a free loopback port,
waiting for a server to accept, stopping its process group, one wrk run's
requests per second, and the shared harness's servers (Apache event MPM,
nginx, apyche with one worker on Apache's config) started pinned to CPU 0
on its site."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(os.environ.get("APYCHE_SHARED",
                             Path(__file__).resolve().parents[3] / "shared")) / "bench"


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


def _render(template: str, run: Path, name: str, port: int) -> Path:
    text = (SHARED / "conf" / template).read_text()
    user_lines = {"apache.conf.in": "User www-data\nGroup www-data" if os.geteuid() == 0 else "",
                  "nginx.conf.in": "user www-data;" if os.geteuid() == 0 else ""}
    for key, value in {"@RUN@": str(run), "@NAME@": name, "@PORT@": str(port),
                       "@DOCROOT@": str(run / "site"), "@LOG@": str(run / f"{name}.access.log"),
                       "@THREADS@": "512", "@APACHE_MODULES@": "/usr/lib/apache2/modules",
                       "@USER_LINES@": user_lines["apache.conf.in"],
                       "@USER_LINE@": user_lines["nginx.conf.in"]}.items():
        text = text.replace(key, value)
    path = run / f"{name}.conf"
    path.write_text(text)
    return path


def make_site(run: Path) -> None:
    """The harness's files (10k.html, 1k.html, 1m.bin, ...) in run/site."""
    subprocess.run([sys.executable, str(SHARED / "site" / "make_site.py"), str(run / "site")],
                   check=True, stdout=subprocess.DEVNULL)


def start_anchor(name: str, run: Path) -> tuple[subprocess.Popen, int]:
    """Start "apache", "nginx" or "apyche" (the Apache config, one worker in
    the foreground) on a free port, pinned to CPU 0, serving run/site."""
    port = free_port()
    if name == "apache":
        argv = ["apache2", "-f", str(_render("apache.conf.in", run, name, port)), "-DFOREGROUND"]
    elif name == "nginx":
        argv = ["nginx", "-p", str(run), "-e", str(run / "nginx-error.log"),
                "-c", str(_render("nginx.conf.in", run, name, port))]
    else:
        conf = _render("apache.conf.in", run, name, port)
        conf.write_text(conf.read_text().replace("User www-data\nGroup www-data", ""))
        argv = [sys.executable, "-m", "apyche", "-f", str(conf), "-d", str(run), "-DFOREGROUND"]
    proc = subprocess.Popen(["taskset", "-c", "0", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    if wait_port(port, 15.0):
        return proc, port
    stop(proc)
    raise RuntimeError(f"{name} did not start")
