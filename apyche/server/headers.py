"""The request's environment and response headers: mod_setenvif, mod_env,
mod_headers.

* ``setenvif_env``: SetEnvIf/SetEnvIfNoCase/BrowserMatch* (regex on a
  request header or on Remote_Addr, Remote_Host, Server_Addr,
  Request_Method, Request_Protocol, Request_URI; ``$1`` substitutions;
  ``!var`` unsets), in config order, before access control.
* ``env_fixups``: after access control, SetEnv/UnsetEnv/PassEnv;
  ``request_header_fixups``: then RequestHeader (which Header echo,
  ``%{X}i`` and later phases see).
* ``apply_response_headers``: ``Header`` actions in order, each on its own
  table - "onsuccess" on the handler's fields (not on error pages and
  redirects), "always" on a table of its own - with ``env=``/``env=!``
  conditions and the format specifiers %{VAR}e, %t, %D, %l, %i, %b, %%.
"""

from __future__ import annotations

import os
import re
import time
from functools import lru_cache

from ..expr import holds
from ..expr.regex import match_groups, pregsub
from ..http.request import head_size


@lru_cache(maxsize=512)
def _regex(pattern: str, icase: bool):
    from ..expr.regex import compile_pcre
    return compile_pcre(pattern, icase=icase)


@lru_cache(maxsize=512)
def _expr(text: str, string_result: bool):
    """A parsed ap_expr (SetEnvIfExpr, ``expr=`` conditions and values),
    or None when it does not parse: the condition is then false."""
    from ..expr import parse_expr, parse_string_expr
    try:
        return (parse_string_expr if string_result else parse_expr)(text)
    except Exception:
        return None


_SPECIAL = {"remote_addr", "remote_host", "server_addr", "request_method",
            "request_protocol", "request_uri"}


def _subject(rule, ex) -> str | None:
    """What a SetEnvIf rule matches: a special attribute, or the request
    field (else the variable) of that name.  A name with other characters
    than letters, digits, - and _ is a regex on the field names: the last
    field it matches gives the value."""
    attribute = rule.attribute
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
    if rule.names_regex:
        names = _regex(attribute, bool(rule.icase))
        value = None
        for name, field in req.headers:
            if names.search(name):
                value = field
        return value
    value = req.get(attribute)
    if value is None and attribute in ex.env:
        return ex.env[attribute]
    return value


def _expand(value: str, match: re.Match[str]) -> str:
    return pregsub(value, match_groups(match))


SETENVIF_DIRECTIVES = ("SetEnvIf", "SetEnvIfNoCase", "SetEnvIfExpr", "BrowserMatch",
                       "BrowserMatchNoCase")


def setenvif_rules(cfg) -> tuple:
    """The merged SetEnvIf* and BrowserMatch* rules of *cfg*."""
    return tuple(rule for name in SETENVIF_DIRECTIVES for rule in cfg.get(name) or ())


def setenvif_env(ex, rules, expr_context=None) -> None:
    """mod_setenvif: *rules* (setenvif_rules) into ``ex.env``.  Apache
    runs the server's at post_read_request, before the walks, and the
    sections' at header_parser, after them - both before access control,
    so ``Require env`` sees them.  *expr_context(ex)* gives what
    SetEnvIfExpr's expression reads."""
    env = ex.env
    # $0..$9 of the pass's last regex match.  Apache's match vector lives
    # for the whole pass: a SetEnvIfExpr without a capturing regex of its
    # own substitutes from the rule before it.
    groups: tuple = ()
    for rule in rules:
        if getattr(rule, "expr", False):
            if expr_context is None:
                continue
            ctx = expr_context(ex)
            if not holds(_expr(rule.pattern, False), ctx):
                continue
            captures = ctx.captures
            if captures is False:
                # its last capturing regex failed: no source to substitute
                # from, and Apache sets the values as written
                _set_features(env, rule.features, None)
                continue
            if captures:
                groups = captures
            _set_features(env, rule.features, groups)
            continue
        if rule.attribute is None:
            continue
        subject = _subject(rule, ex)
        if subject is None:
            subject = ""        # an absent field matches as "" (so ^$ works)
        literal = rule.literal
        if literal is not None:
            found = (literal.lower() in subject.lower()) if rule.icase else literal in subject
            if found:
                _set_features(env, rule.features, None)
            continue
        try:
            match = _regex(rule.pattern, bool(rule.icase)).search(subject)
        except Exception:
            continue
        if match is None:
            continue
        groups = match_groups(match)
        _set_features(env, rule.features, groups)


def _set_features(env, features, groups) -> None:
    """Set or unset each variable; with *groups* (a regex or an expression
    matched) values go through ap_pregsub, else they are set as written."""
    for var, value in features:
        if value == "!":
            env.pop(var, None)
        else:
            env[var] = value if groups is None else pregsub(value, groups)


def env_fixups(ex, cfg) -> None:
    """mod_env's fixups, after access control: SetEnv, UnsetEnv and
    PassEnv.  A request refused before them (403, 401) has none of them:
    Apache documents that ``Require env`` cannot see SetEnv."""
    env = ex.env
    for name in ("SetEnv", "UnsetEnv", "PassEnv"):
        for action in cfg.get(name) or ():
            op = getattr(action, "op", None)
            if op == "set":
                env[action.name] = action.value or ""
            elif op == "unset":
                env.pop(action.name, None)
            elif op == "pass" and action.name in os.environ:
                env[action.name] = os.environ[action.name]


class _Pass:
    """One run of Header or RequestHeader actions: the exchange, the time
    %D counts to, and the ap_expr context (built on first use)."""

    __slots__ = ("ex", "now_us", "_make_context", "_context")

    def __init__(self, ex, expr_context) -> None:
        self.ex = ex
        self.now_us = time.time_ns() // 1000
        self._make_context = expr_context
        self._context = None

    def expr_holds(self, text: str) -> bool:
        return self._make_context is not None and holds(_expr(text, False), self.context())

    def expr_value(self, text: str) -> str:
        expr = _expr(text, True)
        if expr is None or self._make_context is None:
            return ""
        try:
            return expr.evaluate_string(self.context())
        except Exception:
            return ""

    def context(self):
        if self._context is None:
            self._context = self._make_context(self.ex)
        return self._context


def request_header_fixups(ex, cfg, expr_context=None) -> None:
    """mod_headers' fixup (APR_HOOK_LAST, after mod_env's and mod_dir's):
    RequestHeader edits the request's fields, which Header echo, ``%{X}i``
    and the handler then see.  *expr_context(ex)*: what ``expr=`` reads."""
    actions = [a for a in cfg.get("RequestHeader") or () if not a.early]
    if actions:
        run = _Pass(ex, expr_context)
        req = ex.request
        if req.head_in is None:
            req.head_in = head_size(req)    # %I counts the fields as received
        fields = list(req.headers)
        for a in actions:
            if _condition_holds(a, run):
                fields = _apply(a, fields, run)
        req.replace_headers(fields)


_FORMAT = re.compile(r"%(?:\{([^}]*)\})?([a-zA-Z%])")


def _format(value: str, run: _Pass) -> str:
    """mod_headers' value: an ``expr=`` string expression, or a format
    string with %{VAR}e, %t, %D, %l (load average), %i and %b (idle and
    busy shares of the scoreboard), %%."""
    if value.startswith("expr="):
        return run.expr_value(value[5:])
    if "%" not in value:
        return value
    ex = run.ex

    def repl(m: re.Match[str]) -> str:
        arg, tag = m.group(1), m.group(2)
        if tag == "%":
            return "%"
        if tag == "e":
            return ex.env.get(arg or "", "(null)")
        if tag == "t":
            return f"t={ex.start_us}"
        if tag == "D":
            return f"D={max(0, run.now_us - ex.start_us)}"
        if tag == "l":
            return "l=%.2f/%.2f/%.2f" % os.getloadavg()
        if tag == "i" or tag == "b":
            from ..process.status import server_load
            load = server_load() or (0, 0)
            return f"i={load[0]}" if tag == "i" else f"b={load[1]}"
        return m.group(0)
    return _FORMAT.sub(repl, value)


def _condition_holds(action, run: _Pass) -> bool:
    """The action's ``env=``/``env=!`` or ``expr=`` clause."""
    if action.expr:
        return run.expr_holds(action.expr)
    var = action.condition_var
    if not var:
        return True
    if var.startswith("!"):
        return var[1:] not in run.ex.env
    return var in run.ex.env


def apply_response_headers(ex, cfg, headers: list[tuple[str, str]], error_page: bool,
                           expr_context=None) -> list[tuple[str, str]]:
    """Run the merged ``Header`` actions over a response's *headers*
    (returns a new list), as mod_headers' output filters do.

    Apache keeps two tables: ``headers_out``, which the handler filled and
    plain ``Header`` (onsuccess) edits, and ``err_headers_out``, which
    ``Header always`` edits; both are sent.  An error page or a redirect
    (*error_page*: ``ap_send_error_response``) starts ``headers_out``
    afresh with the page's own fields, and only ``always`` runs - so it
    can add fields but not touch the page's Location.  Content-Type is
    not in either table but ``r->content_type``: ``set``/``setifempty``/
    ``edit`` of it change that, and it replaces whatever the tables say
    about Content-Type when the head is written.  *expr_context(ex)*: what
    ``expr=`` reads."""
    actions = [a for a in (cfg.get("Header") or ())
               if not a.early and (a.condition == "always" or not error_page)]
    if not actions:
        return headers
    content_type = None
    handler_table = []
    for k, v in headers:
        if k.lower() == "content-type":
            content_type = v
        else:
            handler_table.append((k, v))
    always_table: list[tuple[str, str]] = []
    run = _Pass(ex, expr_context)
    for a in actions:
        if not _condition_holds(a, run):
            continue
        table = always_table if a.condition == "always" else handler_table
        if content_type is not None and a.header.lower() == "content-type":
            content_type = _content_type_action(a, table, content_type, run)
        new = _apply(a, table, run)
        if a.condition == "always":
            always_table = new
        else:
            handler_table = new
    out = always_table + handler_table
    if content_type is not None:
        out = [(k, v) for k, v in out if k.lower() != "content-type"]
        out.append(("Content-Type", content_type))
    return out


def _content_type_action(a, table, content_type: str, run: _Pass) -> str:
    """``r->content_type`` after action *a* (do_headers_fixup's special
    case for Content-Type)."""
    if a.action == "set" or (a.action == "setifempty"
                             and not any(k.lower() == "content-type" for k, _ in table)):
        return _format(a.value or "", run)
    if a.action in ("edit", "edit*"):
        pattern = _regex(a.value or "", False)
        return pattern.sub(lambda m: _expand(a.subs or "", m), content_type,
                           count=0 if a.action == "edit*" else 1)
    return content_type


def _apply(a, table: list[tuple[str, str]], run: _Pass) -> list[tuple[str, str]]:
    """One Header/RequestHeader action on one table (a new list)."""
    name = a.header
    low = name.lower()
    act = a.action
    if act == "unset":
        return [(k, v) for k, v in table if k.lower() != low]
    if act == "echo":
        pattern = _regex(name, True)
        return table + [(k, v) for k, v in run.ex.request.headers if pattern.search(k)]
    if act in ("edit", "edit*"):
        pattern = _regex(a.value or "", False)
        count = 0 if act == "edit*" else 1
        return [(k, pattern.sub(lambda m: _expand(a.subs or "", m), v, count=count)
                 if k.lower() == low else v) for k, v in table]
    value = _format(a.value or "", run)
    present = [v for k, v in table if k.lower() == low]
    others = [(k, v) for k, v in table if k.lower() != low]
    if act == "set":
        return others + [(name, value)]
    if act == "setifempty":
        return table if present else table + [(name, value)]
    if act == "add":
        return table + [(name, value)]
    if act == "append":
        return others + [(name, ", ".join(present + [value]))]
    if act == "merge":
        tokens = [t.strip() for v in present for t in v.split(",")]
        if value in tokens:
            return table
        return others + [(name, ", ".join(present + [value]))]
    return table   # "note": a request note, nothing to send
