"""Access control: mod_access_compat (Order/Allow/Deny) and mod_authz_core
(Require and the <Require*> containers), as merged per directory.

Each section's Require lines form an implicit <RequireAny>; containers nest.
Across sections ``AuthMerging`` decides: Off (the default) - a section that
has Require lines replaces what it inherits; And/Or - combines them
(``merge_authz_core_dir_config``).  Evaluation follows mod_authz_core's
``apply_authz_sections``: each rule gives GRANTED, DENIED, DENIED_NO_USER
or NEUTRAL; ``not`` turns GRANTED into DENIED and DENIED into NEUTRAL; a
rule limited to other methods (<Limit>) is NEUTRAL; the request is allowed
only if the whole tree says GRANTED - no Require at all allows it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable

from ..config.model import LIMIT, LIMIT_EXCEPT, REQUIRE_ALL, REQUIRE_ANY, REQUIRE_NONE


class Result(enum.Enum):
    GRANTED = "granted"
    DENIED = "denied"
    DENIED_NO_USER = "denied (no authenticated user yet)"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class AuthzGroup:
    """<RequireAny> (op "any"), <RequireAll> ("all"), <RequireNone> ("any",
    negated) - or a section's implicit group."""

    op: str
    negate: bool
    children: tuple          # RequireRule | AuthzGroup
    label: str = "<RequireAny>"


def _rules(settings) -> list:
    out = []
    for s in settings:
        if s.name == "Require":
            out.extend(s.value if isinstance(s.value, tuple) else (s.value,))
    return out


def group_of(settings, sections, label: str) -> AuthzGroup | None:
    """A section's authorization: its Require lines (including those in its
    <Limit>s) and <Require*> containers, as an implicit <RequireAny>."""
    children: list = _rules(settings)
    for sec in sections:
        if sec.kind in (LIMIT, LIMIT_EXCEPT):
            children.extend(_rules(sec.settings))
        elif sec.kind in (REQUIRE_ALL, REQUIRE_ANY, REQUIRE_NONE):
            inner = group_of(sec.settings, sec.sections, sec.label())
            if inner is not None:
                op = "all" if sec.kind == REQUIRE_ALL else "any"
                children.append(AuthzGroup(op, sec.kind == REQUIRE_NONE,
                                           inner.children, f"<{sec.label()[1:].split()[0]}>"))
    if not children:
        return None
    return AuthzGroup("any", False, tuple(children), label)


def merge_authz(base: AuthzGroup | None, new: AuthzGroup | None, mode: str) -> AuthzGroup | None:
    """``merge_authz_core_dir_config``: AuthMerging Off/And/Or."""
    if new is None:
        return base
    if base is None or mode == "off":
        return new
    op = "all" if mode == "and" else "any"
    return AuthzGroup(op, False, (base, new), f"<Require{op.capitalize()}>")


def authz_from_origins(cfg) -> AuthzGroup | None:
    """Require as mod_authz_core merges it: each merged scope's own Require
    lines and <Require*> containers form its group, combined with what it
    inherits per that scope's AuthMerging (Off: replace)."""
    merged = None
    for scope in cfg.scopes:
        own = group_of(scope.settings, scope.authz, "<RequireAny>")
        if own is None:
            continue
        mode = str(scope.values.get("AuthMerging") or "off").lower()
        merged = merge_authz(merged, own, mode)
    return merged


def applies_to(group: AuthzGroup, method: str) -> bool:
    """Whether any Require in the tree applies to *method* (mod_authz_core
    keeps, per section, the methods its rules are <Limit>ed to)."""
    for child in group.children:
        if isinstance(child, AuthzGroup):
            if applies_to(child, method):
                return True
        elif _method_applies(getattr(child, "limited", None), method):
            return True
    return False


def client_independent(group: AuthzGroup | None) -> bool:
    """True when the Require tree's answer is the same for every request
    (only "Require all ..." rules, not limited to some methods)."""
    if group is None:
        return True
    for child in group.children:
        if isinstance(child, AuthzGroup):
            if not client_independent(child):
                return False
        elif child.provider != "all" or getattr(child, "limited", None) is not None:
            return False
    return True


def _method_applies(limited, method: str) -> bool:
    if limited is None:
        return True
    names = getattr(limited, "names", ())
    method = "GET" if method == "HEAD" else method
    if getattr(limited, "complement", False):
        return method not in names
    return method in names


def evaluate(group: AuthzGroup, check: Callable[[Any], Result], method: str) -> Result:
    """``apply_authz_sections`` on *group*; *check* evaluates one rule."""
    results = []
    for child in group.children:
        if isinstance(child, AuthzGroup):
            r = evaluate(child, check, method)
        elif not _method_applies(getattr(child, "limited", None), method):
            r = Result.NEUTRAL
        else:
            r = check(child)
            if child.negate:
                r = {Result.GRANTED: Result.DENIED,
                     Result.DENIED: Result.NEUTRAL}.get(r, r)
        results.append(r)
    if group.op == "all":
        if Result.DENIED in results:
            out = Result.DENIED
        elif Result.DENIED_NO_USER in results:
            out = Result.DENIED_NO_USER
        elif Result.GRANTED in results:
            out = Result.GRANTED
        else:
            out = Result.NEUTRAL
    else:
        if Result.GRANTED in results:
            out = Result.GRANTED
        elif Result.DENIED_NO_USER in results:
            out = Result.DENIED_NO_USER
        elif Result.DENIED in results:
            out = Result.DENIED
        else:
            out = Result.NEUTRAL
    if group.negate:
        out = {Result.GRANTED: Result.DENIED,
               Result.DENIED: Result.NEUTRAL}.get(out, out)
    return out


# --- mod_access_compat ------------------------------------------------------

def _matches(entry, client_ip: str, env: dict[str, str]) -> bool:
    kind = entry.kind
    if kind == "all":
        return True
    if kind == "env":
        return entry.value in env
    if kind == "nenv":
        return entry.value not in env
    if kind == "ip":
        return entry.subnet is not None and entry.subnet.contains(client_ip)
    return False   # "host": needs a DNS answer the caller did not provide


def order_allows(order: str, allows: list, denies: list, client_ip: str, env: dict[str, str],
                 method: str, host_check: Callable[[Any], bool] | None = None) -> bool:
    """mod_access_compat ``check_dir_access`` for one request."""
    def hit(entries):
        for e in entries:
            if not _method_applies(getattr(e, "limited", None), method):
                continue
            if e.kind == "host":
                if host_check is not None and host_check(e):
                    return True
            elif _matches(e, client_ip, env):
                return True
        return False
    order = (order or "deny,allow").lower()
    if order == "allow,deny":
        return hit(allows) and not hit(denies)
    if order == "mutual-failure":
        return hit(allows) and not hit(denies)
    # deny,allow: allowed unless denied and not allowed
    return not hit(denies) or hit(allows)
