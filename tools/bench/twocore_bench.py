#!/usr/bin/env python3
"""Both cores: apyche with 2 workers vs Apache (event MPM, its default
process model) vs nginx (worker_processes auto = 2), serving the same files
with the access log on.

How the cores are shared: nothing is pinned.  The server's processes and
wrk (-t2) all run on the machine's 2 cores and compete for them, as on a
small real host; every server gets the same treatment, one after another,
for R rounds (interleaved), and the table gives medians and the ratio to
Apache.

usage: tools/bench/twocore_bench.py [--rounds 2] [--duration 5] [--connections 50]
(needs apache2, nginx and wrk; run as root so apache2/nginx can start)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from benchproc import free_port, stop, wait_port, wrk_rps  # beside this script

MODULES = "/usr/lib/apache2/modules"

APACHE = """\
ServerRoot "{run}"
DefaultRuntimeDir "{run}"
PidFile "{run}/{name}.pid"
Mutex file:{run} default
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule mime_module {mods}/mod_mime.so
ErrorLog "{run}/{name}-error.log"
LogLevel warn
{workers}
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
HostnameLookups Off
EnableSendfile On
DocumentRoot "{docroot}"
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory "{docroot}">
    Require all granted
</Directory>
TypesConfig /dev/null
AddType text/html .html
AddType application/octet-stream .bin
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog "{run}/{name}-access.log" common
"""

NGINX = """\
worker_processes auto;
daemon off;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    types {{ text/html html; application/octet-stream bin; }}
    log_format common '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent';
    access_log {run}/nginx-access.log common;
    sendfile on;
    keepalive_timeout 5;
    keepalive_requests 1000000;
    client_body_temp_path {run}/nb; proxy_temp_path {run}/np; fastcgi_temp_path {run}/nf;
    uwsgi_temp_path {run}/nu; scgi_temp_path {run}/ns;
    server {{ listen 127.0.0.1:{port} backlog=4096; root {docroot}; location / {{ }} }}
}}
"""

SCENARIOS = [("keep-alive 10 KB", "/10k.html", []),
             ("keep-alive 1 KB", "/1k.html", []),
             ("close 10 KB", "/10k.html", ["-H", "Connection: close"])]


def start(name: str, run: str, docroot: str, port: int) -> subprocess.Popen:
    if name == "nginx":
        conf = f"{run}/nginx.conf"
        with open(conf, "w") as fh:
            fh.write(NGINX.format(run=run, docroot=docroot, port=port))
        argv = ["nginx", "-p", run, "-e", f"{run}/nginx-error.log", "-c", conf]
    else:
        # apyche: 2 workers (one per core); Apache: its event defaults.
        workers = ("StartServers 2\nServerLimit 2\nMinSpareThreads 1\nMaxSpareThreads 1024\n"
                   "ThreadsPerChild 256\nMaxRequestWorkers 512\n") if name == "apyche" else ""
        conf = f"{run}/{name}.conf"
        with open(conf, "w") as fh:
            fh.write(APACHE.format(run=run, name=name, port=port, mods=MODULES,
                                   docroot=docroot, workers=workers))
        argv = (["apache2", "-f", conf, "-d", run, "-DFOREGROUND"] if name == "apache" else
                [sys.executable, "-m", "apyche", "-f", conf, "-d", run, "-DFOREGROUND"])
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    if not wait_port(port):
        stop(proc)
        raise RuntimeError(f"{name} did not start")
    return proc


def wrk(port: int, path: str, extra: list[str], duration: int, conns: int) -> float:
    return wrk_rps(port, path, duration, threads=2, conns=conns, extra=extra)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--connections", type=int, default=50)
    opts = p.parse_args()
    for tool in ("apache2", "nginx", "wrk"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    run = tempfile.mkdtemp(prefix="apyche-2core-")
    docroot = f"{run}/www"
    os.makedirs(docroot)
    for name, size in (("10k.html", 10240), ("1k.html", 1024)):
        with open(f"{docroot}/{name}", "wb") as fh:
            fh.write(b"x" * size)
    os.chmod(run, 0o755)
    for root, dirs, files in os.walk(run):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
    servers = ["apache", "nginx", "apyche"]
    results: dict[tuple[str, str], list[float]] = {}
    for rnd in range(opts.rounds):
        for name in servers:
            port = free_port()
            proc = start(name, run, docroot, port)
            try:
                wrk(port, "/1k.html", [], 1, opts.connections)   # warm-up
                for label, path, extra in SCENARIOS:
                    rps = wrk(port, path, extra, opts.duration, opts.connections)
                    results.setdefault((name, label), []).append(rps)
                    print(f"round {rnd + 1} {name:<7} {label:<18} {rps:>10.0f} req/s", flush=True)
            finally:
                stop(proc)
    print("\n| server | " + " | ".join(label for label, _, _ in SCENARIOS) + " |")
    print("|---|" + "---|" * len(SCENARIOS))
    for name in servers:
        cells = []
        for label, _, _ in SCENARIOS:
            med = statistics.median(results[(name, label)])
            base = statistics.median(results[("apache", label)]) or 1
            cells.append(f"{med:,.0f} (x{med / base:.2f})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nnothing pinned: servers and wrk -t2 share both cores; apyche runs 2 workers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
