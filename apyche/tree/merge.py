"""Per-directory configuration and how it merges (``ap_merge_per_dir_configs``).

A ``DirConfig`` is what applies to a request after some sections have been
merged: the value of each directive set so far, where each came from, and
the sections still to be matched later in the walk (``<Files>``, ``<If>``)
or consulted at access-check time (``<Limit>``, ``<Require*>``).  It is
immutable; merging makes a new one.  Merged configs are cached by the walk,
so merging runs once per distinct combination of sections, never per
request.

How two values of one directive combine is the directive's own rule in the
registry (``Directive.merge``: "replace", "append" or a function, as each
Apache module's merger does); a directive that appears twice in one section
uses ``Directive.combine`` when that differs.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Callable, Iterable

from ..config.directives import REGISTRY
from ..config.model import (DIRECTORY, DIRECTORY_MATCH, ELSE, ELSEIF, FILES, FILES_MATCH,
                            IF, LIMIT, LIMIT_EXCEPT, LOCATION, LOCATION_MATCH,
                            REQUIRE_ALL, REQUIRE_ANY, REQUIRE_NONE, REQUIRE_NOT_ALL,
                            Section, Setting)

_MISSING = object()

FILE_KINDS = (FILES, FILES_MATCH)
IF_KINDS = (IF, ELSEIF, ELSE)
AUTHZ_KINDS = (LIMIT, LIMIT_EXCEPT, REQUIRE_ALL, REQUIRE_ANY, REQUIRE_NONE, REQUIRE_NOT_ALL)


def _replace(base: Any, new: Any) -> Any:
    return new


def _append(base: Any, new: Any) -> Any:
    if base is None:
        return new
    if not isinstance(base, tuple):
        base = (base,)
    if not isinstance(new, tuple):
        new = (new,)
    return base + new


def _rule(rule) -> Callable[[Any, Any], Any]:
    if rule == "replace" or rule is None:
        return _replace
    if rule == "append":
        return _append
    return rule


@cache
def _rules() -> dict[str, tuple[Callable, Callable]]:
    """name -> (merge across sections, combine within one section)."""
    out = {}
    for d in REGISTRY:
        merge = _rule(d.merge)
        combine = _rule(d.combine) if d.combine is not None else merge
        out[d.name] = (merge, combine)
    return out


_DEFAULTS: dict[str, Any] = {}   # asked for several times per request


def default(name: str) -> Any:
    try:
        return _DEFAULTS[name]
    except KeyError:
        d = REGISTRY.get(name)
        if d is None:
            return None
        _DEFAULTS[name] = d.default
        return d.default


class DirConfig:
    """The merged per-directory configuration at one point of the walk."""

    __slots__ = ("values", "origins", "files", "ifs", "authz", "scopes")

    def __init__(self, values: dict[str, Any], origins: dict[str, Setting],
                 files: tuple[Section, ...] = (), ifs: tuple[Section, ...] = (),
                 authz: tuple[Section, ...] = (),
                 scopes: tuple["ScopeConfig", ...] = ()) -> None:
        self.values = values      # directive name -> merged value
        self.origins = origins    # directive name -> the Setting that set it last
        self.files = files        # <Files>/<FilesMatch> still to match
        self.ifs = ifs            # <If>/<ElseIf>/<Else> to evaluate
        self.authz = authz        # <Limit>/<Require*> for access control
        self.scopes = scopes      # what was merged, in order (for modules that
                                  # merge their own records, and for explain)

    @property
    def trail(self) -> tuple[str, ...]:
        """Labels of what was merged, in order."""
        return tuple(s.label for s in self.scopes)

    def get(self, name: str, fallback: Any = _MISSING) -> Any:
        """The merged value of *name*, else Apache's default for it."""
        value = self.values.get(name, _MISSING)
        if value is not _MISSING:
            return value
        return default(name) if fallback is _MISSING else fallback

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __repr__(self) -> str:
        return f"DirConfig({len(self.values)} directives, trail={list(self.trail)})"


EMPTY = DirConfig({}, {})


class ScopeConfig:
    """One section's (or server level's) own settings, folded once."""

    __slots__ = ("values", "origins", "files", "ifs", "authz", "label", "settings", "path")

    def __init__(self, settings: Iterable[Setting], sections: Iterable[Section],
                 label: str, path: str | None = None) -> None:
        self.path = path          # the section's path (cmd->path), None at server level
        rules = _rules()
        values: dict[str, Any] = {}
        origins: dict[str, Setting] = {}
        settings = tuple(settings)
        for s in settings:
            if s.name in values:
                combine = rules.get(s.name, (_replace, _replace))[1]
                values[s.name] = combine(values[s.name], s.value)
            else:
                values[s.name] = s.value
            origins[s.name] = s
        self.values = values
        self.origins = origins
        self.settings = tuple(settings) if not isinstance(settings, tuple) else settings
        sections = tuple(sections)
        self.files = tuple(s for s in sections if s.kind in FILE_KINDS)
        self.ifs = tuple(s for s in sections if s.kind in IF_KINDS)
        self.authz = tuple(s for s in sections if s.kind in AUTHZ_KINDS)
        self.label = label


def merge(base: DirConfig, scope: ScopeConfig) -> DirConfig:
    """``ap_merge_per_dir_configs(base, scope)``: *scope* is the nearer one."""
    if not scope.values and not scope.files and not scope.ifs and not scope.authz:
        return DirConfig(base.values, base.origins, base.files, base.ifs,
                         base.authz, base.scopes + (scope,))
    rules = _rules()
    values = dict(base.values)
    for name, value in scope.values.items():
        rule = rules.get(name, (_replace, _replace))[0]
        if name in values:
            values[name] = rule(values[name], value)
        elif rule is _replace:
            values[name] = value
        else:
            # Nothing set further out: merge with Apache's default (the
            # server's own per-dir record, e.g. Options FollowSymLinks).
            values[name] = rule(default(name), value)
    origins = dict(base.origins)
    origins.update(scope.origins)
    return DirConfig(values, origins, base.files + scope.files, base.ifs + scope.ifs,
                     base.authz + scope.authz, base.scopes + (scope,))


__all__ = ["DirConfig", "ScopeConfig", "merge", "default", "EMPTY", "DIRECTORY",
           "DIRECTORY_MATCH", "LOCATION", "LOCATION_MATCH"]
