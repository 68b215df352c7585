"""Where the data files that ship with apyche live.

grammar/ and conf.d/ sit at the top of the source tree (so they are easy to
find and edit) and are copied into the package by the wheel build
(pyproject.toml, force-include).  This module is the one place that knows both
layouts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the directory *name* ("grammar" or "conf.d") of this install."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"apyche is installed without its {name}/ directory")


def grammar_file() -> Path:
    return data_dir("grammar") / "httpd.lark"


def default_config() -> Path:
    return data_dir("conf.d") / "httpd.conf"
