"""Apply the directive tree: Apache's ``ap_walk_config`` (server/config.c).

The walk visits every node in file order, looks its directive up among the
loaded modules, checks that it may appear where it stands
(``registry.invoke`` does ``invoke_cmd``'s checks) and records the parsed
value in the scope being built: the main server, a virtual host, or a
section.  Containers are directives too: their handlers (in
``directives/sections.py``) call back into ``Walker.walk_children`` with the
context Apache's handler would set (``cmd->override``, ``cmd->path``,
``cmd->limited``, ``cmd->server``).

The first error stops the walk and is reported at the innermost directive
that failed (``ap_walk_config_sub`` keeps the first ``err_directive``).

After the walk, ``check`` runs the whole-config checks Apache makes before
it says "Syntax OK" (exactly one MPM...).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
from typing import Any

from . import modules as modcat
from .build import Builder, BuildResult, RestartExplicit
from .cache import ModelCache
from .directives import REGISTRY
from .errors import RAW, WALK, ConfigError, ConfigWarning, DirectiveError
from .model import Scope, Section, ServerConfig, Setting, VirtualHost
from .values import FatalConfigError
from .nodes import Node
from .paths import server_relative
from .words import getword
from .registry import NONFATAL_OVERRIDE, NONFATAL_UNKNOWN, EXEC_ON_READ, OR_ALL, OR_AUTHCFG, OR_LIMIT, RSRC_CONF, Cmd, Directive, invoke


class MethodSet:
    """A set of HTTP methods that may be "everything except ..." (Apache's
    ``cmd->limited`` bitmask, which <Limit>/<LimitExcept> narrow)."""

    __slots__ = ("names", "complement")

    def __init__(self, names: frozenset[str] = frozenset(), complement: bool = True):
        self.names = names
        self.complement = complement

    def __and__(self, other: "MethodSet") -> "MethodSet":
        a, b = self, other
        if a.complement and b.complement:
            return MethodSet(a.names | b.names, True)
        if a.complement:
            a, b = b, a
        if b.complement:
            return MethodSet(a.names - b.names, False)
        return MethodSet(a.names & b.names, False)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MethodSet) and self.names == other.names
                and self.complement == other.complement)

    def __hash__(self) -> int:
        return hash((self.names, self.complement))

    @property
    def empty(self) -> bool:
        return not self.complement and not self.names

    @property
    def everything(self) -> bool:
        return self.complement and not self.names


ALL_METHODS = MethodSet()


@dataclass
class _ScopeBuilder:
    settings: list[Setting] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    last_if: str | None = None     # kind of the last <If>-family section here

    def freeze(self) -> Scope:
        return Scope(tuple(self.settings), tuple(self.sections))


@dataclass(frozen=True)
class WalkContext:
    """What ``cmd_parms`` carries down the walk."""

    override: int
    override_list: frozenset[str] = frozenset()
    path: str | None = None
    parents: tuple[Node, ...] = ()
    vhost: Any = None                 # the _VHostBuilder being configured
    limited: MethodSet = ALL_METHODS
    in_htaccess: bool = False
    override_opts: int | None = None  # Options an .htaccess may set


@dataclass
class _VHostBuilder:
    addresses: tuple
    node: Node
    scope: _ScopeBuilder = field(default_factory=_ScopeBuilder)
    server: dict = field(default_factory=dict)


def active_directives(loaded: set[str]) -> dict[str, Directive]:
    """The directives of the loaded modules, by lowercased name.

    A directive several modules define (the MPMs' common ones) names them
    separated by spaces; any one of them being loaded is enough, and the
    loaded MPM's own variant (its help text, its default) is the one used.
    """
    from .directives.mpm import for_mpm
    mpms = [m.ident for m in modcat.MPMS if m.ident in loaded]
    active = {}
    for d in REGISTRY:
        mods = d.module.split()
        if not any(m in loaded for m in mods):
            continue
        if len(mods) > 1 and mpms:
            d = for_mpm(d.name, mpms[0]) or d
        active[d.key] = d
    return active


INTERNAL_ERROR = "apyche internal error while applying"

SERVER_OVERRIDE = (RSRC_CONF | OR_ALL) & ~(OR_AUTHCFG | OR_LIMIT)


class Walker:
    """Walks one built tree into a ``ServerConfig`` (also ``cmd.state``)."""

    def __init__(self, build: BuildResult, config_file: str) -> None:
        self.build = build
        self.config_file = config_file
        self.server_root = build.server_root
        self.loaded = {m.ident for m in build.modules}
        self.globals: dict = {}
        self.main_server: dict = {}
        self.server: dict = self.main_server
        self.warnings: list[ConfigWarning] = list(build.warnings)
        self.vhosts: list[_VHostBuilder] = []
        self._node: Node | None = None
        self._active = active_directives(self.loaded)
        self.info_messages: list[ConfigWarning] = []

    # -- cmd.state API ------------------------------------------------------
    def server_relative(self, path: str) -> str:
        return server_relative(self.server_root, path)

    def warn(self, message: str, code: str = "", *, startup: bool = True,
             level: str = "warn", module: str = "core") -> None:
        """Record a warning; most config-time warnings are APLOG_STARTUP
        (printed bare, e.g. AH00112), pass startup=False for prefixed ones."""
        node = self._node
        self.warnings.append(ConfigWarning(message, node.file if node else None,
                                           node.line if node else None, code,
                                           module, level, startup))

    def info(self, message: str, code: str = "") -> None:
        """A message Apache logs at LogLevel info (not shown by -t)."""
        node = self._node
        self.info_messages.append(ConfigWarning(message, node.file if node else None,
                                                node.line if node else None, code,
                                                level="info", startup=True))

    def lookup(self, name: str) -> Directive | None:
        return self._active.get(name.lower())

    # -- the walk -----------------------------------------------------------
    def run(self) -> ServerConfig:
        main = _ScopeBuilder()
        try:
            self.walk_nodes(self.build.nodes, WalkContext(SERVER_OVERRIDE), main)
            config = self._freeze(main)
            self.check(config)
        except ConfigError as err:
            err.warnings = list(self.warnings)
            raise
        return config

    def walk_nodes(self, nodes: list[Node], ctx: WalkContext,
                   scope: _ScopeBuilder) -> None:
        for node in nodes:
            self.walk_node(node, ctx, scope)

    def walk_node(self, node: Node, ctx: WalkContext, scope: _ScopeBuilder) -> None:
        """``ap_walk_config_sub`` for one node."""
        spec = self._active.get(node.key)
        if spec is None and ctx.override & NONFATAL_UNKNOWN:
            self.warnings.append(ConfigWarning(
                f"Unknown directive {node.key} perhaps misspelled or defined by "
                "a module not included in the server configuration",
                node.file, node.line, "AH02296"))
            return
        if spec is None:
            raise ConfigError(
                f"Invalid command '{node.name}', perhaps misspelled or defined "
                "by a module not included in the server configuration",
                node.file, node.line, WALK)
        if spec.where & EXEC_ON_READ and not spec.section:
            return  # once was enough (it ran while reading)
        if (ctx.override & NONFATAL_OVERRIDE and ctx.in_htaccess
                and not ctx.override & spec.where and spec.name not in ctx.override_list):
            self.warnings.append(ConfigWarning(
                f"{spec.name} in .htaccess forbidden by AllowOverride",
                node.file, node.line, "AH02295"))
            return
        cmd = self.make_cmd(spec, node, ctx)
        cmd.extra["scope"] = scope
        self._node = node
        try:
            value = invoke(cmd, node.args)
        except FatalConfigError as exc:
            # Logged and exited on the spot: no "Syntax error on line" wrapper.
            raise ConfigError(exc.message, node.file, node.line, RAW) from None
        except DirectiveError as exc:
            raise ConfigError(exc.message, node.file, node.line, WALK) from None
        except ConfigError:
            raise
        except Exception as exc:  # a handler bug must not become a traceback
            raise ConfigError(f"{INTERNAL_ERROR} {spec.name}: {exc!r}",
                              node.file, node.line, WALK) from exc
        if spec.section:
            if isinstance(value, Section):
                scope.sections.append(value)
            return
        scope.settings.append(Setting(spec.name, value, node.file, node.line,
                                      spec.module, node.args))

    def make_cmd(self, spec: Directive, node: Node, ctx: WalkContext) -> Cmd:
        extra = {"ctx": ctx}
        if ctx.override_opts is not None:
            extra["override_opts"] = ctx.override_opts
        return Cmd(spec, node, ctx.override, ctx.override_list, ctx.path,
                   ctx.parents, ctx.vhost is not None,
                   not ctx.limited.everything, ctx.in_htaccess, self, extra)

    def walk_children(self, cmd: Cmd, **changes: Any) -> _ScopeBuilder:
        """Walk a section's children with the context *changes* applied.

        Used by container handlers; returns what the children set.
        """
        ctx: WalkContext = cmd.extra["ctx"]
        ctx = replace(ctx, parents=(cmd.node,) + ctx.parents, **changes)
        inner = _ScopeBuilder()
        saved = self.server
        if ctx.vhost is not None:
            self.server = ctx.vhost.server
        try:
            self.walk_nodes(cmd.node.children or [], ctx, inner)
        finally:
            self.server = saved
        self._node = cmd.node
        return inner

    def add_vhost(self, vhost: _VHostBuilder) -> None:
        self.vhosts.append(vhost)

    # -- results ------------------------------------------------------------
    def _freeze(self, main: _ScopeBuilder) -> ServerConfig:
        b = self.build
        mpms = [m for m in b.modules if m.mpm]
        vhosts = tuple(VirtualHost(v.addresses, v.scope.freeze(), v.node.file,
                                   v.node.line) for v in self.vhosts)
        return ServerConfig(
            main=main.freeze(), vhosts=vhosts, server_root=self.server_root,
            config_file=self.config_file,
            modules=tuple(m.ident for m in b.modules),
            mpm=mpms[0].ident[4:-7] if len(mpms) == 1 else None,
            defines=tuple(b.defines), define_vars=tuple(b.define_vars.items()),
            files=tuple(b.files),
            readtime=tuple(b.readtime.items()),
            self_contained=b.self_contained, warnings=tuple(self.warnings))

    def check(self, config: ServerConfig) -> None:
        self.check_model(config)

    @staticmethod
    def check_model(config: ServerConfig) -> None:
        """The check_config hooks Apache runs before "Syntax OK".

        core's ``check_errorlog_dir``: every server's error log must be in
        an existing directory (a vhost without its own ErrorLog inherits the
        main server's and is checked again, as in Apache).
        """
        main_log = _error_log_arg(config.main)
        problems = []
        servers = [(config.main, "main error log")] + [
            (vh.scope, f"error log of vhost defined at {vh.file}:{vh.line}")
            for vh in config.vhosts]
        for scope, desc in servers:
            target = _error_log_arg(scope) or main_log or DEFAULT_ERROR_LOG
            if target.startswith("|") or target == "syslog" or target.startswith("syslog:"):
                continue
            path = server_relative(config.server_root, target)
            directory = path[:path.rfind("/") + 1] or "/"
            try:
                st = os.stat(directory)
                err = None if stat.S_ISDIR(st.st_mode) else (20, "Not a directory")
            except OSError as exc:
                err = (exc.errno, exc.strerror)
            if err:
                problems.append(f"({err[0]}){err[1]}: AH02291: Cannot access "
                                f"directory '{directory}' for {desc}")
        if problems:
            raise ConfigError("\n".join(problems + ["AH00014: Configuration check failed"]),
                              phase=RAW)


DEFAULT_ERROR_LOG = "logs/error_log"


def _error_log_arg(scope: Scope) -> str | None:
    found = scope.all("ErrorLog")
    if not found:
        return None
    return getword(found[-1].args)[0]




def load_config(config_file: str, server_root: str, *, defines: list[str] | None = None,
                env: dict[str, str] | None = None, pre: list[str] = (),
                post: list[str] = (), dump_includes=None) -> ServerConfig:
    """Read, build and walk a configuration: the whole config-language pipeline.

    Raises ``ConfigError`` (Apache's message, file and line) on any problem.
    """
    env = dict(os.environ if env is None else env)
    key = (os.path.abspath(config_file), server_root, tuple(defines or ()),
           tuple(pre), tuple(post), os.getcwd())
    model_cache = ModelCache(key)
    config = model_cache.get(env)
    if config is not None:
        # The cached model's inputs all hold; the whole-config checks that
        # look at the filesystem run again, as they would on a fresh read.
        Walker.check_model(config)
    else:
        try:
            result = Builder(server_root, defines=defines, env=env,
                             self_contained=True).build(config_file, pre, post)
        except RestartExplicit:
            result = Builder(server_root, defines=defines, env=env,
                             self_contained=False).build(config_file, pre, post)
        config = Walker(result, config_file).run()
        model_cache.put(result.deps, config)
    if dump_includes is not None:
        # -t -D DUMP_INCLUDES: the files read, indented by Include depth.
        for f in config.files:
            indent = "  " * (f.depth + 1)
            where = f"({f.include_line})" if f.include_line else "(*)"
            dump_includes(f"{indent}{where} {f.path}")
    return config


__all__ = ["Walker", "WalkContext", "MethodSet", "load_config", "modcat"]


def load_htaccess(text: str, filename: str, directory: str, config: ServerConfig,
                  override: int, override_list: frozenset[str] = frozenset(),
                  override_opts: int | None = None) -> Scope:
    """Read one .htaccess (``ap_parse_htaccess``) under its AllowOverride.

    *directory* is the directory it applies to (with a trailing slash);
    *override* the AllowOverride bits and *override_list* the
    AllowOverrideList names in effect there.  Raises ``ConfigError`` with
    the .htaccess file and line, worded as Apache logs it.
    """
    builder = Builder(config.server_root, defines=list(config.defines),
                      self_contained=False)
    builder.modules = [modcat.BY_IDENT[m] for m in config.modules if m in modcat.BY_IDENT]
    builder._loaded = set(config.modules)
    builder.define_vars = dict(config.define_vars)
    builder.override = override
    try:
        nodes = builder.build_htaccess(text, filename)
    except RestartExplicit:  # pragma: no cover - LoadModule is refused in .htaccess
        raise ConfigError("LoadModule not allowed here", filename, 1, WALK) from None
    result = BuildResult(nodes, config.server_root, builder.modules, builder.defines,
                         builder.define_vars, builder.warnings, [], {}, False, [])
    walker = Walker(result, filename)
    scope = _ScopeBuilder()
    ctx = WalkContext(override, frozenset(override_list), directory,
                      in_htaccess=True, override_opts=override_opts)
    walker.walk_nodes(nodes, ctx, scope)
    return scope.freeze()
