"""Servers ready for requests, and choosing one (server/vhost.c).

``ServerView`` is one server - the main server or a virtual host - with
everything the per-request walks need precomputed at config load: its
server-level settings folded (the main server's, then the vhost's on top,
as ``ap_fixup_virtual_hosts`` merges them), and its sections split by kind
and ordered as ``ap_core_reorder_directories`` orders them.

``select_server`` is Apache 2.4's two-step choice:

1. by address (``ap_update_vhost_given_ip``): the vhosts whose
   <VirtualHost> names the connection's local IP and port; failing that,
   those with a wildcard address (``*``/``_default_``) for that port (or any
   port); failing that, the main server;
2. by name (``ap_update_vhost_from_headers``): among those, the first
   whose ServerName or ServerAlias matches the Host header
   (case-insensitive, ``*``/``?`` wildcards in aliases); failing that, the
   first of them - the default for that address.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
from dataclasses import dataclass, field

from ..config.model import (DIRECTORY, DIRECTORY_MATCH, FILES, FILES_MATCH, IF, ELSE,
                            ELSEIF, LOCATION, LOCATION_MATCH, Scope, Section,
                            ServerConfig, VirtualHost)
from ..config.words import getword
from .merge import DirConfig, ScopeConfig, merge


def _count_dirs(path: str) -> int:
    """``ap_count_dirs``; "/" counts as 0 (``dirsection``)."""
    return 0 if path == "/" else path.count("/")


@dataclass
class SectionEntry:
    """A section with its folded settings (computed once)."""

    section: Section
    scope: ScopeConfig
    components: int = 0
    wildcard: bool = False


@dataclass
class ServerView:
    name: str                     # ServerName's host (or the main one's)
    aliases: tuple[str, ...]      # ServerAlias patterns, lowercased
    vhost: VirtualHost | None
    base: DirConfig               # server-level per-dir settings (lookup_defaults)
    dirs: list[SectionEntry] = field(default_factory=list)        # non-regex, ordered
    dir_regex: list[SectionEntry] = field(default_factory=list)   # config order
    locations: list[SectionEntry] = field(default_factory=list)   # config order
    index: int = 0                # position in the config (0 = main server)
    named_captures: bool = False  # a regex section has named groups (MATCH_*)

    @property
    def label(self) -> str:
        if self.vhost is None:
            return "main server"
        return f"<VirtualHost {' '.join(map(str, self.vhost.addresses))}> " \
               f"({self.vhost.file}:{self.vhost.line})"

    def get(self, name: str, fallback=None):
        return self.base.get(name) if fallback is None else self.base.get(name, fallback)

    def matches_name(self, host: str) -> bool:
        if host == self.name:
            return True
        return any(fnmatch.fnmatchcase(host, pat) if _has_glob(pat) else host == pat
                   for pat in self.aliases)


def _has_glob(text: str) -> bool:
    return "*" in text or "?" in text


def _scope_label(vhost: VirtualHost | None) -> str:
    return "server config" if vhost is None else \
        f"<VirtualHost> ({vhost.file}:{vhost.line})"


def _entries(sections, kinds) -> list[SectionEntry]:
    out = []
    for sec in sections:
        if sec.kind in kinds:
            out.append(SectionEntry(sec, ScopeConfig(sec.settings, sec.sections,
                                                     f"{sec.label()} ({sec.file}:{sec.line})",
                                                     sec.pattern),
                                    _count_dirs(sec.pattern) if sec.kind == DIRECTORY else 0,
                                    sec.regex is None and _has_wildcard(sec.pattern)))
    return out


def _has_wildcard(text: str) -> bool:
    return any(c in text for c in "*?[")


def _server_name(scope: Scope) -> str | None:
    found = scope.all("ServerName")
    if not found:
        return None
    value = found[-1].value
    host = getattr(value, "hostname", None)
    if host is None:
        host = getword(found[-1].args)[0]
    return host.lower()


def _aliases(scope: Scope) -> tuple[str, ...]:
    out = []
    for s in scope.all("ServerAlias"):
        pos = 0
        while pos < len(s.args):
            word, pos = getword(s.args, pos)
            if word:
                out.append(word.lower())
    return tuple(out)


def build_views(config: ServerConfig) -> list[ServerView]:
    """The main server and every vhost, ready for the walks."""
    main_scope = ScopeConfig(config.main.settings, config.main.sections,
                             _scope_label(None))
    main_base = merge(DirConfig({}, {}), main_scope)
    main_name = _server_name(config.main) or "localhost"
    views = [_view(config.main, None, main_base, main_name, (), [])]
    for index, vh in enumerate(config.vhosts, 1):
        vscope = ScopeConfig(vh.scope.settings, vh.scope.sections, _scope_label(vh))
        base = merge(main_base, vscope)
        view = _view(vh.scope, vh, base, _server_name(vh.scope) or main_name,
                     _aliases(vh.scope), config.main.sections)
        view.index = index
        views.append(view)
    return views


def _view(scope: Scope, vhost, base, name, aliases, main_sections) -> ServerView:
    # A vhost's sections come after the main server's of the same kind.
    sections = tuple(main_sections) + tuple(scope.sections)
    dirs = _entries(sections, (DIRECTORY,))
    plain = [e for e in dirs if e.section.regex is None]
    regex = [e for e in dirs if e.section.regex is not None]
    regex += _entries(sections, (DIRECTORY_MATCH,))
    # ap_core_reorder_directories sorts regex sections too: by the number of
    # "/" in the pattern (d_components), config order among equals.
    regex.sort(key=lambda e: (e.section.pattern.count("/"), sections.index(e.section)))
    # ap_core_reorder_directories: stable sort by component count.
    plain.sort(key=lambda e: e.components)
    locs = _entries(sections, (LOCATION, LOCATION_MATCH))
    view = ServerView(name, aliases, vhost, base, plain, regex, locs)
    view.named_captures = any(
        getattr(sec.regex, "groupindex", None)
        for sec in [e.section for e in regex + locs] + list(base.files))
    # Server-level <Files> and <If> are carried in base (merge collects them).
    return view


class ServerSelector:
    """Chooses the server for a connection and Host (see module docstring)."""

    def __init__(self, views: list[ServerView]) -> None:
        self.main = views[0]
        self.by_ip: dict[tuple[str, int | None], list[ServerView]] = {}
        self.wild: dict[int | None, list[ServerView]] = {}
        for view in views[1:]:
            for addr in view.vhost.addresses:
                if addr.is_wildcard:
                    self.wild.setdefault(addr.port, []).append(view)
                else:
                    self.by_ip.setdefault((_norm_ip(addr.host), addr.port), []).append(view)

    def for_connection(self, local_ip: str, local_port: int) -> list[ServerView]:
        """Step 1: the name chain for this address ([] -> main server)."""
        ip = _norm_ip(local_ip)
        chain = self.by_ip.get((ip, local_port)) or self.by_ip.get((ip, None))
        if chain:
            return chain
        return self.wild.get(local_port) or self.wild.get(None) or []

    def select(self, local_ip: str, local_port: int, host: str | None) -> ServerView:
        chain = self.for_connection(local_ip, local_port)
        if not chain:
            return self.main
        if host:
            name = _host_only(host)
            for view in chain:
                if view.matches_name(name):
                    return view
        return chain[0]


@functools.lru_cache(maxsize=256)   # asked per request for the local address
def _norm_ip(text: str) -> str:
    try:
        ip = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return text.lower()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _host_only(host: str) -> str:
    """The Host header's name, lowercased, without port or trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[:end + 1] if end > 0 else host
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.rstrip(".")


__all__ = ["ServerView", "ServerSelector", "build_views", "SectionEntry",
           "FILES", "FILES_MATCH", "IF", "ELSE", "ELSEIF", "LOCATION"]
