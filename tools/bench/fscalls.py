#!/usr/bin/env python3
"""Filesystem system calls per request: apyche vs Apache, under strace.

The Performance Notes' cost model is in system calls: an lstat() per path
component without FollowSymLinks, an open() per directory level for
.htaccess with AllowOverride.  This counts them.  For each of
AllowOverride None and All, it serves the same tree with Apache (-X, one
process) and apyche (-X), warms each up, attaches ``strace -f`` and sends N
keep-alive requests for a file three levels deep, then prints the
file-related calls per request by name.

usage: tools/bench/fscalls.py [--requests N]   (needs strace and apache2)
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

MODULES = "/usr/lib/apache2/modules"
CONF = """\
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule mime_module {mods}/mod_mime.so
ServerName localhost
Listen 127.0.0.1:{port}
ErrorLog {root}/error-{port}.log
PidFile {root}/{port}.pid
DocumentRoot {root}/www
TypesConfig /dev/null
AddType text/html .html
EnableSendfile On
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog {root}/access-{port}.log common
<Directory />
    Options FollowSymLinks
    AllowOverride {override}
    Require all granted
</Directory>
"""
FILE_CALLS = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\(")
FS = {"open", "openat", "stat", "lstat", "fstat", "newfstatat", "statx", "access",
      "faccessat", "readlink", "readlinkat", "getdents64", "close"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requests(port: int, n: int) -> None:
    """*n* keep-alive GETs, reconnecting when the server closes (both
    servers end a connection after MaxKeepAliveRequests)."""
    req = b"GET /a/b/index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
    done = 0
    while done < n:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            while done < n:
                s.sendall(req)
                buf = b""
                while b"\r\n\r\n" not in buf:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                if b"\r\n\r\n" not in buf:
                    break       # closed: reconnect and resend
                head, _, body = buf.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                while len(body) < length:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                done += 1
                if re.search(rb"(?i)connection:\s*close", head):
                    break


def wait_port(port: int, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def measure(name: str, argv: list[str], port: int, n: int, root: str) -> dict[str, float]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_port(port)
        requests(port, 50)          # warm caches (ours and the kernel's)
        trace = os.path.join(root, f"{name}.trace")
        st = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, "-p", str(proc.pid)],
                              stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        requests(port, n)
        time.sleep(0.5)
        st.send_signal(signal.SIGINT)
        st.wait(timeout=10)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    with open(trace) as fh:
        for line in fh:
            m = FILE_CALLS.match(line)
            if m:
                total += 1
                if m.group(1) in FS:
                    counts[m.group(1)] += 1
    per = {k: v / n for k, v in sorted(counts.items())}
    per["ALL syscalls"] = total / n
    return per


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=200)
    opts = p.parse_args()
    root = tempfile.mkdtemp(prefix="apyche-fscalls-")
    os.makedirs(f"{root}/www/a/b")
    with open(f"{root}/www/a/b/index.html", "w") as fh:
        fh.write("<p>hello</p>\n" * 100)
    os.chmod(root, 0o755)
    for override in ("None", "All"):
        results = {}
        for name in ("apache", "apyche"):
            port = free_port()
            conf = f"{root}/{name}-{override}.conf"
            with open(conf, "w") as fh:
                fh.write(CONF.format(mods=MODULES, port=port, root=root, override=override))
            argv = (["apache2", "-X", "-f", conf, "-d", root] if name == "apache" else
                    [sys.executable, "-m", "apyche", "-X", "-f", conf, "-d", root])
            results[name] = measure(f"{name}-{override}", argv, port, opts.requests, root)
        keys = sorted(set(results["apache"]) | set(results["apyche"]))
        print(f"\nAllowOverride {override}: system calls per keep-alive request "
              f"for /a/b/index.html ({opts.requests} requests)")
        print(f"{'call':<14}{'apache':>10}{'apyche':>10}")
        for k in keys:
            print(f"{k:<14}{results['apache'].get(k, 0):>10.2f}{results['apyche'].get(k, 0):>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
