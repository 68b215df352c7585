#!/usr/bin/env python3
"""What content negotiation costs: requests/s for a MultiViews resource
(/doc, a directory scan and the RVSA algorithm), a type-map resource
(/map.var) and the plain file (/doc.html.en), apyche vs Apache, each server
pinned to CPU 0 and wrk to CPU 1, access log on.

usage: tools/bench/negotiation_bench.py [--duration 5]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

MODS = "/usr/lib/apache2/modules"
CONF = """\
LoadModule mpm_event_module {m}/mod_mpm_event.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule mime_module {m}/mod_mime.so
LoadModule negotiation_module {m}/mod_negotiation.so
ServerName localhost
Listen 127.0.0.1:{port}
ServerRoot {run}
DefaultRuntimeDir {run}
PidFile {run}/{name}.pid
ErrorLog {run}/{name}-error.log
StartServers 1
ServerLimit 1
TypesConfig /dev/null
AddType text/html .html
AddLanguage en .en
AddLanguage fr .fr
AddHandler type-map .var
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog {run}/{name}-access.log common
DocumentRoot {run}/www
<Directory {run}/www>
    Options +MultiViews
    Require all granted
</Directory>
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=int, default=5)
    opts = p.parse_args()
    run = tempfile.mkdtemp(prefix="apyche-negbench-")
    os.makedirs(f"{run}/www")
    for lang in ("en", "fr", "de", "es", "it"):
        with open(f"{run}/www/doc.html.{lang}", "w") as fh:
            fh.write(f"<p>{lang}</p>\n" * 200)
    for i in range(50):                      # other files in the directory
        open(f"{run}/www/other{i}.html", "w").close()
    with open(f"{run}/www/map.var", "w") as fh:
        fh.write("URI: doc\n\nURI: doc.html.en\nContent-Type: text/html\nContent-Language: en\n\n"
                 "URI: doc.html.fr\nContent-Type: text/html\nContent-Language: fr\n")
    os.chmod(run, 0o755)
    print(f"{'server':<8}{'plain':>10}{'MultiViews':>12}{'type-map':>10}   (req/s, keep-alive, c50)")
    for name in ("apache", "apyche"):
        port = free_port()
        conf = f"{run}/{name}.conf"
        with open(conf, "w") as fh:
            fh.write(CONF.format(m=MODS, port=port, run=run, name=name))
        argv = (["apache2", "-f", conf, "-d", run, "-DFOREGROUND"] if name == "apache" else
                [sys.executable, "-m", "apyche", "-X", "-f", conf, "-d", run])
        proc = subprocess.Popen(["taskset", "-c", "0", *argv], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            rates = []
            for path, extra in (("/doc.html.en", []), ("/doc", ["-H", "Accept-Language: fr"]),
                                ("/map.var", ["-H", "Accept-Language: fr"])):
                out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c50",
                                      f"-d{opts.duration}s", *extra,
                                      f"http://127.0.0.1:{port}{path}"],
                                     capture_output=True, text=True,
                                     timeout=opts.duration + 30).stdout
                m = re.search(r"Requests/sec:\s+([\d.]+)", out)
                rates.append(float(m.group(1)) if m else 0.0)
            print(f"{name:<8}{rates[0]:>10.0f}{rates[1]:>12.0f}{rates[2]:>10.0f}")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
