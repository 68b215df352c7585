#!/usr/bin/env python3
"""What resolving a request's config costs: 500 <Directory> and 100
<FilesMatch> sections, cold (first request for a directory and file name)
and cached (every later one), with the server's own resolver.

usage: tools/bench/resolve_bench.py
"""

from __future__ import annotations

import os
import tempfile
import time

from apyche.config.walk import load_config
from apyche.tree.walk import Resolver


def main() -> int:
    root = tempfile.mkdtemp(prefix="apyche-resolve-")
    lines = [f"ServerName x\nErrorLog {root}/error.log\nDocumentRoot {root}/www\n"]
    dirs = []
    for i in range(500):   # 50 trees of 10 nested levels
        path = f"{root}/www/t{i // 10}" + "".join(f"/d{j}" for j in range(i % 10 + 1))
        dirs.append(path)
        os.makedirs(path, exist_ok=True)
        lines.append(f"<Directory {path}>\n    DirectoryIndex i{i}.html\n    "
                     f"AddType text/x-{i} .x{i}\n</Directory>\n")
    for i in range(100):
        lines.append(f'<FilesMatch "^f{i}[a-z]*\\.txt$">\n    ForceType text/x-files{i}\n'
                     "</FilesMatch>\n")
    conf = f"{root}/httpd.conf"
    with open(conf, "w") as fh:
        fh.write("".join(lines))
    config = load_config(conf, root, env={})
    deepest = [d for d in dirs if d.endswith("/d9")]

    resolver = Resolver(config)
    view = resolver.select_server("127.0.0.1", 80, "x")
    t = time.perf_counter()
    n = 0
    for d in deepest:
        for k in range(20):   # a fresh directory x file name each time
            resolver.resolve(view, f"{d}/f{k}abc.txt", f"/x/f{k}abc.txt")
            n += 1
    cold = (time.perf_counter() - t) / n
    t = time.perf_counter()
    m = 0
    for _ in range(50):
        for d in deepest:
            resolver.resolve(view, f"{d}/f7abc.txt", "/x/f7abc.txt")
            m += 1
    warm = (time.perf_counter() - t) / m
    cfg = resolver.resolve(view, f"{deepest[0]}/f7abc.txt", "/x/f7abc.txt")
    print(f"500 <Directory> + 100 <FilesMatch>: {len(cfg.scopes)} scopes merged for a "
          f"file 11 levels down")
    print(f"cold (first request for that directory and name): {cold * 1e6:8.1f} us")
    print(f"cached (the same again):                          {warm * 1e6:8.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
