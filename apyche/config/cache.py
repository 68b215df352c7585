"""Caches that make re-reading a large configuration cheap.

Reading is deterministic given its inputs, so its results can be reused
while the inputs are unchanged.  Two levels:

* ``parsed_items``: one file's parsed items (reader + grammar), keyed by
  the file's path, size and mtime - in memory for the process, and on disk.
* ``ModelCache``: the whole validated ``ServerConfig``, keyed by the
  command line (config file, ServerRoot, -D/-C/-c, working directory) and
  valid while every recorded dependency still holds: each file read (size
  and mtime), each directory listed for an Include (mtime: adding or
  removing a file changes it), each existence test (IfFile, optional
  includes, ServerRoot), each environment variable a ``${VAR}`` used.

Deliberate limit: directive handlers' own filesystem checks that only warn
(e.g. "DocumentRoot does not exist") are not dependencies; the error-log
directory check runs on every load, cached or not.

Set ``APYCHE_NO_CACHE=1`` to read everything afresh.  Cache files live in
``$XDG_CACHE_HOME/apyche`` (default ``~/.cache/apyche``); failing to write
them is never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from typing import Any, Callable

from .. import __version__

_FORMAT = 2   # bumped when a pickled model class changes shape
_memory: dict[str, tuple[tuple, Any]] = {}


def enabled() -> bool:
    return os.environ.get("APYCHE_NO_CACHE", "") in ("", "0")


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "apyche")


def _path_for(kind: str, key: Any) -> str:
    digest = hashlib.sha256(repr((_FORMAT, __version__, key)).encode(
        "utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(cache_dir(), kind, digest + ".pickle")


def _load(path: str) -> Any:
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # missing, truncated, from another version: a miss
        return None


def _store(path: str, value: Any) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # read-only home, unpicklable value...: no cache
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except Exception:
            pass


def file_key(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def parsed_items(path: str, st: os.stat_result, parse: Callable[[], Any]) -> Any:
    """The parsed items of *path*, from cache when its size/mtime match."""
    key = file_key(st)
    hit = _memory.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]
    use_disk = enabled()
    disk = _path_for("parse", path) if use_disk else None
    if disk:
        stored = _load(disk)
        if stored is not None and stored[0] == key:
            _memory[path] = stored
            return stored[1]
    items = parse()
    _memory[path] = (key, items)
    if disk:
        _store(disk, (key, items))
    return items


# --- dependencies ---------------------------------------------------------

def _exists(path: str) -> bool:
    return os.path.exists(path)


def dependency_holds(dep: tuple) -> bool:
    kind = dep[0]
    try:
        if kind == "file":
            return file_key(os.stat(dep[1])) == dep[2]
        if kind == "dir":
            return os.stat(dep[1]).st_mtime_ns == dep[2]
        if kind == "exists":
            return _exists(dep[1]) == dep[2]
        if kind == "isdir":
            return os.path.isdir(dep[1]) == dep[2]
        if kind == "env":
            return os.environ.get(dep[1]) == dep[2]
    except OSError:
        return False
    return False


class ModelCache:
    """The validated model of one command line, while its inputs hold."""

    def __init__(self, key: Any) -> None:
        self.path = _path_for("model", key) if enabled() else None

    def get(self, env: dict[str, str]) -> Any:
        if self.path is None:
            return None
        stored = _load(self.path)
        if stored is None:
            return None
        deps, model = stored
        for dep in deps:
            if dep[0] == "env":
                if env.get(dep[1]) != dep[2]:
                    return None
            elif not dependency_holds(dep):
                return None
        return model

    def put(self, deps: list[tuple], model: Any) -> None:
        if self.path is not None:
            _store(self.path, (deps, model))
