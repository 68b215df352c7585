"""Path helpers with Apache's (APR's) semantics.

* ``server_relative`` - ``ap_server_root_relative``: absolute paths stay,
  relative ones are joined to ServerRoot; "." and ".." segments are merged
  lexically as ``apr_filepath_merge`` does.
* ``has_wildcard`` - ``apr_fnmatch_test``.
* ``fnmatch`` - ``apr_fnmatch`` with APR_FNM_PERIOD (a leading dot must be
  matched literally), as Include uses it; ``*`` and ``?`` never match ``/``.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache


def server_relative(root: str, path: str) -> str:
    if not path.startswith("/"):
        path = posixpath.join(root, path)
    merged = posixpath.normpath(path)
    if merged.startswith("//"):
        merged = "/" + merged.lstrip("/")
    if path.endswith("/") and merged != "/":
        merged += "/"
    return merged


def has_wildcard(text: str) -> bool:
    """True if *text* has an unescaped ``*``, ``?`` or a ``[...]`` set."""
    escaped = False
    bracket = False
    for c in text:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in "*?":
            return True
        elif c == "[":
            bracket = True
        elif c == "]" and bracket:
            return True
    return False


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            j = i + 1
            negate = j < n and pattern[j] in "!^"
            if negate:
                j += 1
            start = j
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))   # no closing bracket: literal
            else:
                body = pattern[start:j].replace("\\", "\\\\")
                out.append(f"[{'^' if negate else ''}{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def fnmatch(pattern: str, name: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return _compile(pattern).match(name) is not None
