"""The directive tables, one module file per Apache module.

Each file defines ``DIRECTIVES``: a tuple of ``registry.Directive`` for one
or more Apache modules.  ``REGISTRY`` gathers them all.  Containers
(<Directory>, <VirtualHost>...) live in ``apyche.config.sections`` because
their handlers walk children; read-time directives (Include, Define,
<IfModule>, LoadModule...) are executed by ``apyche.config.build`` and are
registered in ``readtime``.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..registry import Registry

REGISTRY = Registry()


def _load() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for directive in getattr(module, "DIRECTIVES", ()):
            REGISTRY.add(directive)


_load()
