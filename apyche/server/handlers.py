"""Named content handlers (``SetHandler NAME`` / ``AddHandler NAME .ext``).

Site asks :func:`find` for the handler a request's configuration names; a
registered function ``func(site, exchange) -> Response | None`` then answers
the request (None means DECLINED: the pipeline goes on as if no handler
were set, as Apache's default handler takes over).

Built-in handlers are imported on first use, so a configuration that never
names them costs one dict lookup per request.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

HandlerFunc = Callable[[Any, Any], Any]

_REGISTRY: dict[str, HandlerFunc] = {}
# name -> "module:function", imported lazily
_BUILTIN = {
    "server-status": "apyche.process.status:handler",
    "application/x-httpd-status": "apyche.process.status:handler",   # STATUS_MAGIC_TYPE
}


def register(name: str, func: HandlerFunc) -> None:
    _REGISTRY[name.lower()] = func


def unregister(name: str) -> None:
    _REGISTRY.pop(name.lower(), None)


def find(name: object) -> HandlerFunc | None:
    """The function registered for handler *name* (any case), or None."""
    if not name:
        return None
    key = str(name).lower()
    func = _REGISTRY.get(key)
    if func is None:
        spec = _BUILTIN.get(key)
        if spec is None:
            return None
        module, _, attr = spec.partition(":")
        func = getattr(importlib.import_module(module), attr)
        _REGISTRY[key] = func
    return func
