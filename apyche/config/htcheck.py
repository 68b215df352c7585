"""Find broken .htaccess files before a request does (``configtest``).

Apache reads an .htaccess only when a request passes through its
directory, so a typo in one is a 500 in production.  This walks every
DocumentRoot and Alias target, and for each directory below it runs the
same directory walk a request would - so each .htaccess is parsed under the
AllowOverride in effect there, with the same errors.
"""

from __future__ import annotations

import os

from .lint import _served_roots
from .model import ServerConfig

MAX_DIRECTORIES = 100_000   # a bound on the walk, for huge trees


def check_htaccess_files(config: ServerConfig):
    """Each ``HtaccessError`` found under the served roots, once per file."""
    from ..tree.walk import Resolver
    resolver = Resolver(config)
    seen: set[str] = set()
    errors = []
    visited = 0
    for view, root, _setting in _served_roots(config, resolver):
        if not os.path.isdir(root):
            continue
        for dirpath, dirnames, _files in os.walk(root, followlinks=False):
            visited += 1
            if visited > MAX_DIRECTORIES:
                return errors
            dirnames.sort()
            walk = resolver.directory_walk(view, dirpath.rstrip("/") + "/")
            if walk.error is not None and walk.error.path not in seen:
                seen.add(walk.error.path)
                errors.append(walk.error)
    return errors
