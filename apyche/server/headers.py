"""The request's environment and response headers: mod_setenvif, mod_env,
mod_headers.

* ``request_env``: SetEnvIf/SetEnvIfNoCase/BrowserMatch* (regex on a
  request header or on Remote_Addr, Remote_Host, Server_Addr,
  Request_Method, Request_Protocol, Request_URI; ``$1`` substitutions;
  ``!var`` unsets), then SetEnv/UnsetEnv/PassEnv - each in config order.
* ``apply_response_headers``: ``Header`` actions in order - the "onsuccess"
  table only for responses below 400 (Apache drops ``r->headers_out`` for
  errors and keeps ``err_headers_out``, which "always" writes to), with
  ``env=``/``env=!`` conditions and the format specifiers %{VAR}e, %t, %D,
  %%.
"""

from __future__ import annotations

import os
import re
import time
from functools import lru_cache


@lru_cache(maxsize=512)
def _regex(pattern: str, icase: bool):
    from ..expr.regex import compile_pcre
    return compile_pcre(pattern, icase=icase)


_SPECIAL = {"remote_addr", "remote_host", "server_addr", "request_method",
            "request_protocol", "request_uri"}


def _subject(attribute: str, ex) -> str | None:
    req = ex.request
    low = attribute.lower()
    if low in _SPECIAL:
        if low == "remote_addr" or low == "remote_host":
            return (req.client or ("",))[0]
        if low == "server_addr":
            return (req.server or ("",))[0]
        if low == "request_method":
            return req.method
        if low == "request_protocol":
            return f"HTTP/{req.http_version}"
        return ex.uri
    value = req.get(attribute)
    if value is None and attribute in ex.env:
        return ex.env[attribute]
    return value


def _expand(value: str, match: re.Match[str]) -> str:
    return re.sub(r"\$([0-9])", lambda m: match.group(int(m.group(1))) or ""
                  if int(m.group(1)) <= (match.re.groups or 0) else "", value)


def request_env(ex, cfg) -> None:
    """Fill ``ex.env`` from the merged config (setenvif, then mod_env)."""
    env = ex.env
    for name in ("SetEnvIf", "SetEnvIfNoCase", "BrowserMatch", "BrowserMatchNoCase"):
        for rule in cfg.get(name) or ():
            if getattr(rule, "expr", False) or rule.attribute is None:
                continue
            subject = _subject(rule.attribute, ex)
            if subject is None:
                continue
            try:
                match = _regex(rule.pattern, bool(rule.icase)).search(subject)
            except Exception:
                continue
            if match is None:
                continue
            for var, value in rule.features:
                if value == "!":
                    env.pop(var, None)
                else:
                    env[var] = _expand(value, match) if "$" in value else value
    for name in ("SetEnv", "UnsetEnv", "PassEnv"):
        for action in cfg.get(name) or ():
            op = getattr(action, "op", None)
            if op == "set":
                env[action.name] = action.value or ""
            elif op == "unset":
                env.pop(action.name, None)
            elif op == "pass" and action.name in os.environ:
                env[action.name] = os.environ[action.name]


_FORMAT = re.compile(r"%(?:\{([^}]*)\})?([a-zA-Z%])")


def _format(value: str, ex, now_us: int) -> str:
    """mod_headers' format string: %{VAR}e, %t, %D, %%."""
    if "%" not in value:
        return value

    def repl(m: re.Match[str]) -> str:
        arg, tag = m.group(1), m.group(2)
        if tag == "%":
            return "%"
        if tag == "e":
            return ex.env.get(arg or "", "(null)")
        if tag == "t":
            return f"t={ex.start_us}"
        if tag == "D":
            return f"D={max(0, now_us - ex.start_us)}"
        return m.group(0)
    return _FORMAT.sub(repl, value)


def _condition_holds(action, ex) -> bool:
    var = action.condition_var
    if not var:
        return True
    if var.startswith("!"):
        return var[1:] not in ex.env
    return var in ex.env


def apply_response_headers(ex, cfg, status: int, headers: list[tuple[str, str]]) -> list:
    """Run the merged ``Header`` actions over *headers* (a new list)."""
    actions = [a for a in (cfg.get("Header") or ()) if getattr(a, "directive", "") == "Header"]
    if not actions:
        return headers
    out = list(headers)
    now_us = time.time_ns() // 1000
    for a in actions:
        if a.condition != "always" and status >= 400:
            continue
        if a.early or a.expr or not _condition_holds(a, ex):
            continue
        name = a.header
        low = name.lower()
        act = a.action
        if act == "unset":
            out = [(k, v) for k, v in out if k.lower() != low]
            continue
        if act == "echo":
            pattern = _regex(name, True)
            for k, v in ex.request.headers:
                if pattern.search(k):
                    out.append((k, v))
            continue
        value = _format(a.value or "", ex, now_us)
        present = [v for k, v in out if k.lower() == low]
        if act == "set":
            out = [(k, v) for k, v in out if k.lower() != low] + [(name, value)]
        elif act == "setifempty":
            if not present:
                out.append((name, value))
        elif act == "add":
            out.append((name, value))
        elif act == "append":
            if present:
                joined = ", ".join(present + [value])
                out = [(k, v) for k, v in out if k.lower() != low] + [(name, joined)]
            else:
                out.append((name, value))
        elif act == "merge":
            tokens = [t.strip() for v in present for t in v.split(",")]
            if value not in tokens:
                joined = ", ".join(present + [value]) if present else value
                out = [(k, v) for k, v in out if k.lower() != low] + [(name, joined)]
        elif act in ("edit", "edit*"):
            pattern = _regex(a.value or "", False)
            count = 0 if act == "edit*" else 1
            out = [(k, pattern.sub(lambda m: _expand(a.subs or "", m), v, count=count)
                    if k.lower() == low else v) for k, v in out]
    return out
