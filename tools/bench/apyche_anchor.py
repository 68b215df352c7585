#!/usr/bin/env python3
"""Start apyche on the anchors harness's own Apache config (same semantics).

The shared harness (../shared/bench/anchors.sh) serves the same files with
Apache, nginx and others; this renders its apache.conf.in for apyche - the
same directives, access log on - and runs ``apyche -f CONF -DFOREGROUND``.
Used by serve_bench.sh as an --extra server:

    apyche_anchor.py --port {port} --docroot {docroot} --log {log} --run {run}
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", required=True)
    p.add_argument("--docroot", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--run", required=True)
    shared = Path(os.environ.get("APYCHE_SHARED", HERE.parents[2] / "shared"))
    p.add_argument("--template", default=str(shared / "bench/conf/apache.conf.in"))
    opts = p.parse_args()
    text = Path(opts.template).read_text()
    values = {"@RUN@": opts.run, "@NAME@": "apyche", "@PORT@": opts.port,
              "@DOCROOT@": opts.docroot, "@LOG@": opts.log, "@THREADS@": "512",
              "@APACHE_MODULES@": "/usr/lib/apache2/modules", "@USER_LINES@": ""}
    for key, value in values.items():
        text = text.replace(key, value)
    conf = Path(opts.run) / "apyche.conf"
    conf.write_text(text)
    os.execvp(sys.executable, [sys.executable, "-m", "apyche", "-f", str(conf),
                               "-d", opts.run, "-DFOREGROUND"])


if __name__ == "__main__":
    raise SystemExit(main())
