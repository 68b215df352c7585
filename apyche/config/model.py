"""The validated, immutable config model.

What the walk phase produces and every later stage reads: the main server,
its virtual hosts, and their sections, each holding the directives that
apply there as ``Setting``s (name, parsed value, where it was written), in
config order.  Nothing here is merged yet - merging per directory is the
config tree's job - and nothing here knows about requests.

Frozen dataclasses and tuples throughout: a model is built once per
(re)start and shared by every request and worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass(frozen=True, slots=True)
class Setting:
    name: str       # canonical spelling, e.g. "DocumentRoot"
    value: Any      # what the directive's handler parsed
    file: str
    line: int
    module: str = "core_module"
    args: str = ""  # the argument text as written (after ${VAR} expansion)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


# Section kinds, named after Apache's containers.
DIRECTORY = "directory"             # <Directory path> and <Directory ~ re>
DIRECTORY_MATCH = "directorymatch"
FILES = "files"
FILES_MATCH = "filesmatch"
LOCATION = "location"
LOCATION_MATCH = "locationmatch"
IF = "if"
ELSEIF = "elseif"
ELSE = "else"
LIMIT = "limit"
LIMIT_EXCEPT = "limitexcept"
REQUIRE_ALL = "requireall"
REQUIRE_ANY = "requireany"
REQUIRE_NONE = "requirenone"
REQUIRE_NOT_ALL = "requirenotall"


@dataclass(frozen=True, slots=True)
class Section:
    """One container and what it holds.

    ``pattern`` is the path, URL, file name or pattern as Apache stores it
    (a <Directory> path is canonical with a trailing slash); ``regex`` is
    set for the Match forms and ``~`` forms; ``condition`` holds a parsed
    <If> expression; ``methods`` the method names of <Limit>/<LimitExcept>.
    Nested sections (<Files> in <Directory>, <Limit>, <If>, <Require*>) are
    in ``sections``.
    """

    kind: str
    pattern: str
    settings: tuple[Setting, ...]
    sections: tuple["Section", ...]
    file: str
    line: int
    regex: re.Pattern[str] | None = None
    condition: Any = None
    methods: tuple[str, ...] = ()

    @property
    def is_regex(self) -> bool:
        return self.regex is not None

    def label(self) -> str:
        """How Apache's manual writes this section, e.g. <Directory "/x">."""
        name = {DIRECTORY: "Directory", DIRECTORY_MATCH: "DirectoryMatch",
                FILES: "Files", FILES_MATCH: "FilesMatch", LOCATION: "Location",
                LOCATION_MATCH: "LocationMatch", IF: "If", ELSEIF: "ElseIf",
                ELSE: "Else", LIMIT: "Limit", LIMIT_EXCEPT: "LimitExcept",
                REQUIRE_ALL: "RequireAll", REQUIRE_ANY: "RequireAny",
                REQUIRE_NONE: "RequireNone",
                REQUIRE_NOT_ALL: "RequireNotAll",
                "authnalias": "AuthnProviderAlias",
                "authzalias": "AuthzProviderAlias"}[self.kind]
        tilde = "~ " if self.regex is not None and self.kind in (DIRECTORY, FILES, LOCATION) else ""
        if self.kind == ELSE:
            return "<Else>"
        return f'<{name} {tilde}"{self.pattern}">'


@dataclass(frozen=True, slots=True)
class VHostAddress:
    """One address of a <VirtualHost>: host ("*", "_default_", an IP or a
    name) and port (None for any port)."""

    host: str
    port: int | None

    @property
    def is_wildcard(self) -> bool:
        return self.host == "*" or self.host.lower() == "_default_"

    def __str__(self) -> str:
        port = "*" if self.port is None else str(self.port)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{port}"


@dataclass(frozen=True, slots=True)
class Scope:
    """Settings and sections at server (or virtual host) level."""

    settings: tuple[Setting, ...]
    sections: tuple[Section, ...]

    def get(self, name: str, default: Any = None) -> Any:
        """The last value of *name* set at this level (Apache's "last wins")."""
        key = name.lower()
        for s in reversed(self.settings):
            if s.name.lower() == key:
                return s.value
        return default

    def all(self, name: str) -> list[Setting]:
        key = name.lower()
        return [s for s in self.settings if s.name.lower() == key]


@dataclass(frozen=True, slots=True)
class VirtualHost:
    addresses: tuple[VHostAddress, ...]
    scope: Scope
    file: str
    line: int

    @property
    def server_name(self) -> str | None:
        value = self.scope.get("ServerName")
        return value if isinstance(value, str) else getattr(value, "name", value)


@dataclass(frozen=True, slots=True)
class IncludedFile:
    """A file read, as -t -D DUMP_INCLUDES lists it."""

    path: str
    depth: int          # Include nesting (0 for the main file)
    include_line: int   # line of the Include in the parent (0 for the main file)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """The whole configuration, as one (re)start reads it."""

    main: Scope
    vhosts: tuple[VirtualHost, ...]
    server_root: str
    config_file: str
    modules: tuple[str, ...]                 # loaded module identifiers, in order
    mpm: str | None                          # "event", "worker", "prefork"
    defines: tuple[str, ...]
    define_vars: tuple[tuple[str, str], ...]
    files: tuple[IncludedFile, ...]          # every file read, in order
    readtime: tuple[tuple[str, Any], ...] = ()
    self_contained: bool = False
    warnings: tuple[Any, ...] = field(default=(), compare=False)

    def has_module(self, ident: str) -> bool:
        return ident in self.modules

    def all_sections(self) -> Iterator[tuple[VirtualHost | None, Section]]:
        """Every section, depth first, with the vhost it is in (or None)."""
        def walk(sections, vhost):
            for sec in sections:
                yield vhost, sec
                yield from walk(sec.sections, vhost)
        yield from walk(self.main.sections, None)
        for vh in self.vhosts:
            yield from walk(vh.scope.sections, vh)
