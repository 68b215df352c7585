"""The directive registry: one declarative entry per directive.

Each entry says what Apache's ``command_rec`` says - name, module, argument
form, where it may appear (``req_override`` bits), its help text - plus a
value parser of ours.  ``invoke`` applies the argument-form rules exactly as
``invoke_cmd`` (server/config.c) does, with Apache's messages, so "is this
allowed here?" and "how many arguments?" are table lookups, never scattered
``if``s.  What a directive *means* at request time is decided elsewhere (the
model and the per-request resolution); this module only knows shapes.

Handlers receive a ``Cmd`` (our ``cmd_parms``) and the parsed words and
return the directive's value (any immutable object, or None), or raise
``DirectiveError`` with Apache's wording.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .errors import DirectiveError
from .words import getword

if TYPE_CHECKING:  # pragma: no cover
    from .nodes import Node

# --- req_override bits (include/http_config.h) ---------------------------
OR_NONE = 0
OR_LIMIT = 1
OR_OPTIONS = 2
OR_FILEINFO = 4
OR_AUTHCFG = 8
OR_INDEXES = 16
OR_UNSET = 32
ACCESS_CONF = 64
RSRC_CONF = 128
EXEC_ON_READ = 256
NONFATAL_OVERRIDE = 512
NONFATAL_UNKNOWN = 1024
NONFATAL_ALL = NONFATAL_OVERRIDE | NONFATAL_UNKNOWN
PROXY_CONF = 2048
OR_ALL = OR_LIMIT | OR_OPTIONS | OR_FILEINFO | OR_AUTHCFG | OR_INDEXES

# AllowOverride class names -> bits (core.c set_override).
OVERRIDE_CLASSES = {
    "limit": OR_LIMIT,
    "options": OR_OPTIONS,
    "fileinfo": OR_FILEINFO,
    "authconfig": OR_AUTHCFG,
    "indexes": OR_INDEXES,
}

# --- ap_check_cmd_context "forbidden" bits ----------------------------------
NOT_IN_VIRTUALHOST = 0x01
NOT_IN_LIMIT = 0x02
NOT_IN_DIRECTORY = 0x04
NOT_IN_LOCATION = 0x08
NOT_IN_FILES = 0x10
NOT_IN_HTACCESS = 0x20
NOT_IN_PROXY = 0x40
NOT_IN_DIR_LOC_FILE = NOT_IN_DIRECTORY | NOT_IN_LOCATION | NOT_IN_FILES
NOT_IN_DIR_CONTEXT = NOT_IN_LIMIT | NOT_IN_DIR_LOC_FILE | NOT_IN_PROXY
GLOBAL_ONLY = NOT_IN_VIRTUALHOST | NOT_IN_DIR_CONTEXT


class ArgForm(enum.Enum):
    """``cmd_how`` from http_config.h."""

    RAW_ARGS = "raw"
    TAKE1 = "take1"
    TAKE2 = "take2"
    TAKE12 = "take12"
    TAKE3 = "take3"
    TAKE23 = "take23"
    TAKE123 = "take123"
    TAKE13 = "take13"
    ITERATE = "iterate"
    ITERATE2 = "iterate2"
    FLAG = "flag"
    NO_ARGS = "noargs"
    TAKE_ARGV = "argv"


Handler = Callable[..., Any]


def store(cmd: "Cmd", *args: Any) -> Any:
    """The default handler: keep the argument(s) as given (``ap_set_*_slot``)."""
    if len(args) == 1:
        return args[0]
    return args


@dataclass(frozen=True, slots=True)
class Directive:
    """One directive, as Apache's ``command_rec`` declares it.

    ``where`` holds the ``req_override`` bits: RSRC_CONF (server config and
    virtual hosts), ACCESS_CONF (inside <Directory>/<Location>/<Files>),
    OR_* (the AllowOverride class that admits it in .htaccess).
    ``section`` marks a container (``<Directory>``...); its handler walks the
    children itself.  ``merge`` names how per-directory values combine
    (used by the config tree): "replace" (the nearer section wins),
    "append" (values accumulate in merge order), or a callable
    ``merge(base, new)``; ``combine`` does the same within one section.
    """

    name: str
    module: str
    how: ArgForm
    where: int
    help: str | None = None
    handler: Handler = store
    section: bool = False
    merge: str | Callable[[Any, Any], Any] = "replace"
    default: Any = None      # Apache's value when the directive is absent
    # How a second occurrence in the *same* section combines with the first
    # (Apache calls the handler again on the same config record); None
    # means as ``merge``.  DirectoryIndex lines accumulate within a section
    # but the nearer section's list replaces an outer one.
    combine: str | Callable[[Any, Any], Any] | None = None

    @property
    def key(self) -> str:
        return self.name.lower()


class Registry:
    """All directives apyche knows, keyed by lowercased name."""

    def __init__(self) -> None:
        self._by_key: dict[str, Directive] = {}

    def add(self, directive: Directive) -> Directive:
        key = directive.key
        if key in self._by_key:
            raise ValueError(f"directive {directive.name} registered twice")
        self._by_key[key] = directive
        return directive

    def get(self, name: str) -> Directive | None:
        return self._by_key.get(name.lower())

    def __iter__(self):
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def for_module(self, module: str) -> list[Directive]:
        return [d for d in self._by_key.values() if d.module == module]


@dataclass
class Cmd:
    """What a handler may know about where its directive stands (``cmd_parms``).

    * ``override`` - the req_override bits allowed here (server level:
      RSRC_CONF|OR_ALL minus AUTHCFG/LIMIT; inside a section: ACCESS_CONF|OR_ALL;
      in .htaccess: the AllowOverride bits).
    * ``override_list`` - directive names admitted by AllowOverrideList.
    * ``path`` - the section's path or pattern (None at server/vhost level).
    * ``parents`` - the enclosing section nodes, innermost first (their
      names keep Apache's leading ``<``, e.g. ``<Directory``).
    * ``is_virtual`` / ``limited`` / ``in_htaccess`` - as in Apache.
    * ``state`` - the walk's shared state, for handlers that need it:
      ``state.server_root`` (str), ``state.server_relative(path)``
      (``ap_server_root_relative``), ``state.warn(message)`` (a warning
      printed as Apache prints it, e.g. "AH00112: Warning: DocumentRoot
      [/x] does not exist"), ``state.globals`` (a dict shared by the whole
      walk, for process-wide checks such as duplicate Listen) and
      ``state.server`` (a dict scoped to the server or virtual host being
      configured).
    """

    directive: Directive
    node: "Node"
    override: int
    override_list: frozenset[str] = frozenset()
    path: str | None = None
    parents: tuple["Node", ...] = ()
    is_virtual: bool = False
    limited: bool = False
    in_htaccess: bool = False
    state: Any = None
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.directive.name

    def _gt(self) -> str:
        name = self.directive.name
        return ">" if name.startswith("<") and not name.endswith(">") else ""

    def check_context(self, forbidden: int) -> None:
        """``ap_check_cmd_context``: raise Apache's message if *forbidden*."""
        if forbidden & NOT_IN_VIRTUALHOST and self.is_virtual:
            raise DirectiveError(f"{self.name}{self._gt()} cannot occur within "
                                 "<VirtualHost> section")
        if forbidden & NOT_IN_LIMIT and self.limited:
            raise DirectiveError(f"{self.name}{self._gt()} cannot occur within "
                                 "<Limit> or <LimitExcept> section")
        if forbidden & NOT_IN_HTACCESS and self.in_htaccess:
            raise DirectiveError(f"{self.name}{self._gt()} cannot occur within "
                                 "htaccess files")
        if (forbidden & NOT_IN_DIR_LOC_FILE) == NOT_IN_DIR_LOC_FILE:
            if self.path is not None:
                raise DirectiveError(f"{self.name}{self._gt()} cannot occur "
                                     "within directory context")
            if self.directive.where & EXEC_ON_READ:
                return
        if not self.parents or not forbidden & (NOT_IN_DIR_LOC_FILE | NOT_IN_PROXY):
            return
        for bit, names in _SECTION_GROUPS:
            if not forbidden & bit:
                continue
            # find_parent: the nearest enclosing section of each name, in
            # the order Apache tries them.
            for wanted in names:
                for parent in self.parents:
                    if parent.key == wanted:
                        raise DirectiveError(
                            f"{self.name}{self._gt()} cannot occur within "
                            f"{parent.name}> section")


_SECTION_GROUPS = (
    (NOT_IN_DIRECTORY, ("<directory", "<directorymatch")),
    (NOT_IN_LOCATION, ("<location", "<locationmatch")),
    (NOT_IN_FILES, ("<files", "<filesmatch", "<if", "<elseif", "<else")),
    (NOT_IN_PROXY, ("<proxy", "<proxymatch")),
)


def _argerr(d: Directive, text: str) -> DirectiveError:
    if d.help:
        return DirectiveError(f"{d.name} {text}, {d.help}")
    return DirectiveError(f"{d.name} {text}")


def check_allowed(cmd: Cmd) -> None:
    """The override test at the top of ``invoke_cmd``."""
    d = cmd.directive
    if cmd.override & d.where:
        return
    # AllowOverrideList names match case-insensitively (apr_table_get).
    if cmd.override_list and d.name.lower() in {n.lower() for n in cmd.override_list}:
        return
    if cmd.parents:
        raise DirectiveError(
            f"{d.name} not allowed in {cmd.parents[0].name}> context")
    raise DirectiveError(f"{d.name} not allowed here")


def invoke(cmd: Cmd, args: str) -> Any:
    """Split *args* by the directive's form and call its handler.

    Mirrors ``invoke_cmd``: the same checks in the same order and the same
    messages.  Returns the handler's value; for ITERATE/ITERATE2 a tuple of
    the per-word values (None values dropped).
    """
    check_allowed(cmd)
    d = cmd.directive
    how = d.how
    h = d.handler
    if how is ArgForm.RAW_ARGS:
        return h(cmd, args)
    if how is ArgForm.TAKE_ARGV:
        argv = []
        pos, n = 0, len(args)
        while True:
            w, pos = getword(args, pos)
            if w == "" and pos >= n:
                break
            argv.append(w)
            if pos >= n:
                break
        return h(cmd, *argv)
    if how is ArgForm.NO_ARGS:
        if args:
            raise DirectiveError(f"{d.name} takes no arguments")
        return h(cmd)
    if how is ArgForm.FLAG:
        w, _ = getword(args)
        lw = w.lower()
        if lw not in ("on", "off"):
            raise DirectiveError(f"{d.name} must be On or Off")
        return h(cmd, lw == "on")

    n = len(args)
    w, pos = getword(args)
    if how is ArgForm.TAKE1:
        if w == "" or pos < n:
            raise _argerr(d, "takes one argument")
        return h(cmd, w)
    if how is ArgForm.ITERATE:
        if w == "":
            raise _argerr(d, "requires at least one argument")
        out = []
        while w != "":
            v = h(cmd, w)
            if v is not None:
                out.append(v)
            w, pos = getword(args, pos)
        return tuple(out)
    if how is ArgForm.ITERATE2:
        if w == "" or pos >= n:
            raise _argerr(d, "requires at least two arguments")
        out = []
        while True:
            w2, pos = getword(args, pos)
            if w2 == "":
                break
            v = h(cmd, w, w2)
            if v is not None:
                out.append(v)
        return tuple(out)

    w2, pos2 = getword(args, pos)
    if how is ArgForm.TAKE2:
        if w == "" or w2 == "" or pos2 < n:
            raise _argerr(d, "takes two arguments")
        return h(cmd, w, w2)
    if how is ArgForm.TAKE12:
        if w == "" or pos2 < n:
            raise _argerr(d, "takes 1-2 arguments")
        return h(cmd, w, w2 or None)
    if how is ArgForm.TAKE3:
        w3, pos3 = getword(args, pos2)
        if w == "" or w2 == "" or w3 == "" or pos3 < n:
            raise _argerr(d, "takes three arguments")
        return h(cmd, w, w2, w3)
    if how is ArgForm.TAKE23:
        w3, pos3 = getword(args, pos2) if pos2 < n else (None, pos2)
        if w == "" or w2 == "" or pos3 < n:
            raise _argerr(d, "takes two or three arguments")
        return h(cmd, w, w2, w3)
    if how in (ArgForm.TAKE123, ArgForm.TAKE13):
        # Apache only reads a further word while text remains.
        if pos < n:
            w2b, pos2 = getword(args, pos)
        else:
            w2b, pos2 = None, pos
        if pos2 < n:
            w3, pos3 = getword(args, pos2)
        else:
            w3, pos3 = None, pos2
        if how is ArgForm.TAKE123:
            if w == "" or pos3 < n:
                raise _argerr(d, "takes one, two or three arguments")
        elif w == "" or (w2b and w3 is None) or pos3 < n:
            raise _argerr(d, "takes one or three arguments")
        return h(cmd, w, w2b, w3)
    raise DirectiveError(f"{d.name} is improperly configured internally (server bug)")
