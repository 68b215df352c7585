"""The module catalogue: which Apache modules apyche provides natively.

apyche implements modules in Python, so ``LoadModule`` only switches one on;
its ``.so`` path need not exist.  The catalogue mirrors Debian's apache2
build (``apache2 -l``): the compiled-in modules are always loaded, and
loading one of them again is Apache's error.

A module is named two ways in configs, both compared case-sensitively as
Apache's ``find_module`` does: by identifier (``alias_module``, what
``LoadModule`` names and ``apache2 -M`` prints) and by source file
(``mod_alias.c``, what ``<IfModule>`` most often names).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Module:
    ident: str       # "alias_module"
    source: str      # "mod_alias.c"
    builtin: bool = False   # compiled into Debian's apache2 (apache2 -l)
    mpm: bool = False


def _m(short: str, *, source: str | None = None, builtin: bool = False,
       mpm: bool = False) -> Module:
    return Module(f"{short}_module", source or f"mod_{short}.c", builtin, mpm)


# Order matters: it is the order ``apyche -M`` lists them, as apache2 -M
# lists static modules first, then shared ones in load order.
MODULES: tuple[Module, ...] = (
    _m("core", source="core.c", builtin=True),
    _m("so", builtin=True),
    _m("watchdog", builtin=True),
    _m("http", source="http_core.c", builtin=True),
    _m("log_config", builtin=True),
    _m("logio", builtin=True),
    _m("version", builtin=True),
    _m("unixd", builtin=True),
    _m("mpm_event", source="event.c", mpm=True),
    _m("mpm_worker", source="worker.c", mpm=True),
    _m("mpm_prefork", source="prefork.c", mpm=True),
    _m("access_compat"),
    _m("alias"),
    _m("auth_basic"),
    _m("authn_core"),
    _m("authn_file"),
    _m("authz_core"),
    _m("authz_groupfile"),
    _m("authz_host"),
    _m("authz_user"),
    _m("autoindex"),
    _m("cgi"),
    _m("dir"),
    _m("env"),
    _m("headers"),
    _m("include"),
    _m("mime"),
    _m("negotiation"),
    _m("reqtimeout"),
    _m("setenvif"),
    _m("status"),
)

BY_IDENT: dict[str, Module] = {m.ident: m for m in MODULES}
BY_SOURCE: dict[str, Module] = {m.source: m for m in MODULES}
BUILTIN: tuple[Module, ...] = tuple(m for m in MODULES if m.builtin)
MPMS: tuple[Module, ...] = tuple(m for m in MODULES if m.mpm)

# The MPM a self-contained config (no LoadModule at all) runs with.
DEFAULT_MPM = BY_IDENT["mpm_event_module"]


def find(name: str) -> Module | None:
    """Look a module up by identifier or source file name (case-sensitive)."""
    return BY_IDENT.get(name) or BY_SOURCE.get(name)
