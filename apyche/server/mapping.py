"""URL to filesystem: mod_alias and the core's DocumentRoot (translate_name).

``translate`` runs the server's Redirect*/Alias*/ScriptAlias* entries in
mod_alias's order - redirects first (``translate_alias_redir`` runs the
redirect list before the alias list), each list in config order with the
virtual host's entries before the main server's (``merge_alias_config``
appends the base list after the override's) - and falls back to
DocumentRoot + URL path (``core_translate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config.values import Alias, Redirect
from ..expr.regex import match_groups, pregsub


@dataclass(frozen=True)
class Mapped:
    """A URL mapped to a file: ``filename`` (may not exist), the alias that
    did it (None for DocumentRoot) and its handler (ScriptAlias)."""

    filename: str
    alias: Alias | None = None
    handler: str | None = None


@dataclass(frozen=True)
class Redirected:
    status: int
    location: str | None      # None for gone (410) and other non-3xx


def _alias_matches(fake: str, uri: str) -> int:
    """``alias_matches``: length of *uri* matched by *fake*, slashes merged,
    and the match must end at a "/" boundary; 0 for no match."""
    aliasp, urip = 0, 0
    end_fake = len(fake)
    while aliasp < end_fake:
        if fake[aliasp] == "/":
            if urip >= len(uri) or uri[urip] != "/":
                return 0
            while aliasp < end_fake and fake[aliasp] == "/":
                aliasp += 1
            while urip < len(uri) and uri[urip] == "/":
                urip += 1
        else:
            if urip >= len(uri) or uri[urip] != fake[aliasp]:
                return 0
            urip += 1
            aliasp += 1
    if aliasp > 0 and fake[aliasp - 1] != "/" and urip < len(uri) and uri[urip] != "/":
        return 0
    return urip


def _expand(template: str, match: re.Match[str]) -> str:
    return pregsub(template, match_groups(match))


def _compiled(entry) -> re.Pattern[str]:
    pattern = getattr(entry, "_compiled", None)
    return pattern if pattern is not None else _regex(entry.fake)


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _regex(text: str) -> re.Pattern[str]:
    pattern = _REGEX_CACHE.get(text)
    if pattern is None:
        from ..expr.regex import compile_pcre
        pattern = _REGEX_CACHE[text] = compile_pcre(text)
    return pattern


class AliasTable:
    """One server's Redirect and Alias lists, precomputed at config load."""

    def __init__(self, redirects: list[Redirect], aliases: list[Alias]) -> None:
        self.redirects = [r for r in redirects if r.fake is not None]
        self.aliases = [a for a in aliases if a.fake is not None]

    def __bool__(self) -> bool:
        return bool(self.redirects or self.aliases)

    def translate(self, uri: str, query: str | None, docroot: str):
        """Redirected, Mapped, or Mapped under DocumentRoot."""
        for r in self.redirects:
            hit = self._match_redirect(r, uri, query)
            if hit is not None:
                return hit
        for a in self.aliases:
            if a.regex:
                m = _regex(a.fake).search(uri)
                if m is not None:
                    return Mapped(_expand(a.real, m), a, a.handler)
                continue
            n = _alias_matches(a.fake, uri)
            if n:
                return Mapped(a.real + uri[n:], a, a.handler)
        return Mapped(docroot + uri)

    @staticmethod
    def _match_redirect(r: Redirect, uri: str, query: str | None):
        if r.regex:
            m = _regex(r.fake).search(uri)
            if m is None:
                return None
            target = _expand(r.url, m) if r.url else None
            if target is not None and query is not None and "?" not in target:
                target += "?" + query
        else:
            n = _alias_matches(r.fake, uri)
            if not n:
                return None
            target = None
            if r.url is not None:
                # The rest of the path is re-escaped (ap_escape_uri, lower-case
                # hex); the query is kept.
                from ..semantics.autoindex import os_escape_path
                target = r.url + os_escape_path(uri[n:], partial=True)
                if query:
                    target += "?" + query
        return Redirected(r.status, target)


def alias_table(main_settings, vhost_settings) -> AliasTable:
    """The vhost's entries first, then the main server's (merge_alias_config)."""
    redirects: list = []
    aliases: list = []
    for settings in (vhost_settings, main_settings):
        for s in settings:
            values = s.value if isinstance(s.value, tuple) else (s.value,)
            for v in values:
                if isinstance(v, Redirect):
                    redirects.append(v)
                elif isinstance(v, Alias):
                    aliases.append(v)
    return AliasTable(redirects, aliases)
