"""Build the directive tree: Apache's ``ap_build_config`` (server/config.c).

This is the read phase.  It turns each file into a Lark tree (reader +
grammar), then walks that tree in file order, doing what Apache does while
it reads:

* ``${VAR}`` is expanded on every line before its first word is read
  (``ap_resolve_env``): Define beats the environment; an undefined name is
  left as written, with warning AH00111 unless it contains ``:``.
* Directives flagged EXEC_ON_READ run immediately and never appear in the
  tree: Include/IncludeOptional splice in the included files' nodes,
  Define/UnDefine change what later lines expand to, LoadModule switches a
  module on (so later <IfModule> sees it), ServerRoot moves the root later
  relative paths resolve against, and the conditional sections (<IfModule>,
  <IfDefine>, <IfFile>, <IfDirective>, <IfSection>, <IfVersion>) either
  splice in their children or are "soaked" - skipped with only their
  nesting checked (``ap_soak_end_container``).
* Everything else becomes a ``Node`` for the walk phase to apply.

Errors carry Apache's message and the line Apache names, and come out in
the order Apache finds them, which is why structural problems (a stray
``</X>``, an unclosed section) are reported here, in file order, rather
than by the grammar.

Module switch-on needs one decision before reading: a config that loads
modules gets Apache's behaviour (only the compiled-in modules plus those it
loads); a self-contained config with no LoadModule at all gets every module
apyche provides.  The builder starts in that second mode and restarts in the
first at the first LoadModule it executes.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

from . import modules as modcat
from .directives import REGISTRY
from .errors import CHECK, READ, ConfigError, ConfigWarning, DirectiveError
from . import cache
from .model import IncludedFile
from .grammar import Directive as DirectiveItem
from .grammar import Line, Section as SectionItem, StrayClose, parse_items
from .nodes import Node
from .paths import fnmatch, has_wildcard, server_relative
from .reader import HTACCESS_MAX_LINE, SERVER_MAX_LINE, decode, logical_lines
from .registry import EXEC_ON_READ, OR_ALL, OR_AUTHCFG, OR_LIMIT, RSRC_CONF, Cmd, Directive, invoke
from .words import getword

MAX_INCLUDE_DEPTH = 128        # AP_MAX_INCLUDE_DEPTH (core.c)
CMDLINE_SOURCE = "-c/-C directives"   # the pseudo-file name process_command_config uses
MAX_FNMATCH_DIR_DEPTH = 128    # AP_MAX_FNMATCH_DIR_DEPTH (util.c)

_VAR = re.compile(r"\$\{([^}]*)\}")


class _ReadError(Exception):
    """A read-phase error, located as it leaves each file.

    ``line`` is the line in the file being read (None until known);
    ``origin`` is the innermost (file, line), kept for display.
    """

    def __init__(self, message: str, node_line: int | None = None,
                 origin: tuple[str, int] | None = None):
        super().__init__(message)
        self.message = message
        self.line = node_line
        self.origin = origin


class RestartExplicit(Exception):
    """Raised at the first LoadModule while in self-contained mode."""


@dataclass
class BuildResult:
    nodes: list[Node]
    server_root: str
    modules: list[modcat.Module]       # loaded, in load order
    defines: list[str]                 # names, as IfDefine sees them
    define_vars: dict[str, str]
    warnings: list[ConfigWarning]
    files: list[IncludedFile]
    readtime: dict[str, object]        # values of other EXEC_ON_READ directives
    self_contained: bool               # no LoadModule: every module provided
    deps: list[tuple]                  # what the result depends on (see cache)


@dataclass
class _Source:
    """One config file (or the -C/-c pseudo-file) being read."""

    name: str
    max_len: int = SERVER_MAX_LINE


class Builder:
    """Reads a configuration as Apache's read phase does.

    The public entry is ``build``; the rest is the state Apache keeps in
    globals during reading (defines, loaded modules, ServerRoot...).  It is
    also the ``state`` that read-time directive handlers receive.
    """

    def __init__(self, server_root: str, *, defines: list[str] | None = None,
                 env: dict[str, str] | None = None, self_contained: bool = True) -> None:
        self.server_root = server_root.rstrip("/") or "/"
        self.initial_defines = list(defines or [])
        self.defines: list[str] = list(self.initial_defines)
        self.define_vars: dict[str, str] = {}
        self.env = dict(os.environ if env is None else env)
        self.self_contained = self_contained
        self.warnings: list[ConfigWarning] = []
        self.files: list[IncludedFile] = []
        self.readtime: dict[str, object] = {}
        self.globals: dict = {}
        self.server: dict = {}
        self.include_depth = 0
        self.deps: list[tuple] = []
        # cmd->override while reading: the server level's, or in an
        # .htaccess the AllowOverride bits in effect there.
        self.override = (RSRC_CONF | OR_ALL) & ~(OR_AUTHCFG | OR_LIMIT)
        self._current_include_line = 0
        if self_contained:
            self.modules = [m for m in modcat.MODULES if not m.mpm] + [modcat.DEFAULT_MPM]
        else:
            self.modules = list(modcat.BUILTIN)
        self._loaded = {m.ident for m in self.modules}

    # -- what handlers may use (see registry.Cmd.state) ---------------------
    def server_relative(self, path: str) -> str:
        return server_relative(self.server_root, path)

    def warn(self, message: str, code: str = "", file: str | None = None,
             line: int | None = None, module: str = "core") -> None:
        self.warnings.append(ConfigWarning(message, file, line, code, module))

    def depend(self, dep: tuple) -> None:
        """Record an input of the read (see ``cache.dependency_holds``)."""
        self.deps.append(dep)

    def exists(self, path: str) -> bool:
        found = os.path.exists(path)
        self.deps.append(("exists", path, found))
        return found

    def isdir(self, path: str) -> bool:
        found = os.path.isdir(path)
        self.deps.append(("isdir", path, found))
        return found

    # -- modules ------------------------------------------------------------
    def module_loaded(self, name: str) -> bool:
        """<IfModule> test: identifier or source name, case-sensitive."""
        mod = modcat.find(name)
        return mod is not None and mod.ident in self._loaded

    def lookup(self, name: str) -> Directive | None:
        """The directive *name* if a loaded module defines it."""
        spec = REGISTRY.get(name)
        if spec is None:
            return None
        if spec.module in self._loaded:
            return spec
        # A directive shared by several modules (the MPMs' common ones) names
        # them separated by spaces; any one of them being loaded is enough.
        return spec if any(m in self._loaded for m in spec.module.split()) else None

    # -- entry points -------------------------------------------------------
    def build(self, config_file: str, pre: list[str] = (),
              post: list[str] = ()) -> BuildResult:
        """Read *config_file* (with -C *pre* and -c *post* directives)."""
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20000))
        try:
            nodes: list[Node] = []
            if pre:
                nodes += self._build_text("\n".join(pre) + "\n", _Source(CMDLINE_SOURCE))
            nodes += self._build_file(config_file)
            check_mpm(self.modules)
            if post:
                nodes += self._build_text("\n".join(post) + "\n", _Source(CMDLINE_SOURCE))
        except _ReadError as exc:
            file, line = exc.origin if exc.origin else (None, None)
            err = ConfigError(exc.message, file, line, READ)
            err.warnings = list(self.warnings)
            raise err from None
        except ConfigError as err:
            err.warnings = list(self.warnings)
            raise
        finally:
            sys.setrecursionlimit(limit)
        return BuildResult(nodes, self.server_root, list(self.modules),
                           list(self.defines), dict(self.define_vars),
                           self.warnings, self.files, self.readtime,
                           self.self_contained, self.deps)

    def build_htaccess(self, text: str, name: str) -> list[Node]:
        """Read an .htaccess file (line limit 8190, errors located in it).

        Errors come out as ``ConfigError`` naming the file and line.
        """
        try:
            return self._build_text(text, _Source(name, HTACCESS_MAX_LINE))
        except _ReadError as exc:
            file, line = exc.origin if exc.origin else (name, None)
            raise ConfigError(_strip_location(exc.message), file, line, READ) from None

    # -- files --------------------------------------------------------------
    def _build_file(self, path: str) -> list[Node]:
        """``ap_process_resource_config``: one file, errors located in it."""
        try:
            st = os.stat(path)
            if os.path.isdir(path):
                raise IsADirectoryError(21, "Is a directory")
            self.deps.append(("file", path, cache.file_key(st)))
            items = cache.parsed_items(path, st, lambda: self._parse_file(path))
        except OSError as exc:
            raise _ReadError(f"Could not open configuration file {path}: "
                             f"{_strerror(exc)}") from None
        self.files.append(IncludedFile(path, self.include_depth,
                                       self._current_include_line))
        return self._build_items(items, _Source(path))

    @staticmethod
    def _parse_file(path: str):
        with open(path, "rb") as fh:
            data = fh.read()
        try:
            return parse_items(logical_lines(decode(data), path))
        except ConfigError as exc:
            raise _ReadError(exc.message) from None

    def _build_text(self, text: str, src: _Source) -> list[Node]:
        try:
            lines = logical_lines(text, src.name, src.max_len)
        except ConfigError as exc:
            raise _ReadError(exc.message) from None
        return self._build_items(parse_items(lines), src)

    def _build_items(self, items: list, src: _Source) -> list[Node]:
        out: list[Node] = []
        try:
            self._items(items, src, out)
        except _ReadError as exc:
            if exc.line is None:
                raise
            raise _ReadError(f"Syntax error on line {exc.line} of {src.name}: "
                             f"{exc.message}",
                             origin=exc.origin or (src.name, exc.line)) from None
        return out

    # -- the walk over the Lark tree ---------------------------------------
    def _items(self, items: list, src: _Source, out: list[Node],
               parent_unclosed: bool = False) -> None:
        """``ap_build_config_sub`` for each item, in order.

        *parent_unclosed*: these items belong to a section still open at
        the end of the file, which reports (or, for a true conditional,
        forgives) any section left open inside it.
        """
        for item in items:
            if type(item) is DirectiveItem:
                self._directive(item.line, src, out)
            elif type(item) is StrayClose:
                tok = item.line
                word, _ = getword(self._expand(tok.text, src, tok.last))
                raise _ReadError(f"{word} without matching <{word[2:]} section",
                                 tok.last)
            else:
                self._section(item, src, out, parent_unclosed)

    def _expand(self, text: str, src: _Source, line: int) -> str:
        """``ap_resolve_env`` on a whole line."""
        if "${" not in text:
            return text

        def value(m: re.Match[str]) -> str:
            name = m.group(1)
            found = self.define_vars.get(name)
            if found is None:
                found = self.env.get(name)
                self.deps.append(("env", name, found))
            if found is None:
                if ":" not in name:
                    self.warn(f"Config variable ${{{name}}} is not defined",
                              "AH00111", src.name, line)
                return m.group(0)
            return found

        return _VAR.sub(value, text)

    def _directive(self, tok: Line, src: _Source, out: list[Node]) -> None:
        line = tok.last
        text = self._expand(tok.text, src, line)
        name, pos = getword(text)
        if not name:
            return
        args = text[pos:]
        spec = self.lookup(name)
        if spec is not None and spec.where & EXEC_ON_READ:
            node = Node(spec.name, args, src.name, line, None, tok.first)
            self._exec_on_read(spec, node, args, src, out)
            return
        # Deliberate deviation: Apache classifies a line after ${VAR}
        # expansion, so a variable holding "<Foo" would open a section;
        # the reader classifies before expansion.
        out.append(Node(spec.name if spec else name, args, src.name, line,
                        None, tok.first))

    def _open_words(self, tok: Line, src: _Source) -> tuple[str, str]:
        """A section's name and raw args, as ap_build_config_sub splits them."""
        text = self._expand(tok.text, src, tok.last)
        name, pos = getword(text)
        args = text[pos:]
        if name.endswith(">"):
            name = name[:-1]
        if not args:
            args = ">"
        return name, args

    def _section(self, item: SectionItem, src: _Source, out: list[Node],
                 parent_unclosed: bool) -> None:
        open_tok, inner, close_tok = item
        closed = close_tok is not None
        line = open_tok.last
        name, args = self._open_words(open_tok, src)
        spec = self.lookup(name)

        if spec is not None and spec.where & EXEC_ON_READ:
            node = Node(spec.name, args, src.name, line, [], open_tok.first)
            self._conditional(spec, node, inner, close_tok, src, out)
            return

        node = Node(spec.name if spec else name, args, src.name, line, [],
                    open_tok.first)
        out.append(node)
        self._items(inner, src, node.children, parent_unclosed=not closed)
        if close_tok is None:
            if parent_unclosed:
                return   # the enclosing open section reports the chain
            raise _ReadError(self._unclosed_chain(item, src), line)
        self._check_close(node.name, close_tok, src)

    def _check_close(self, open_name: str, close_tok: Line, src: _Source) -> None:
        """The "</" branch of ap_build_config_sub."""
        cline = close_tok.last
        word, _ = getword(self._expand(close_tok.text, src, cline))
        if not word.endswith(">"):
            raise _ReadError(f"{word}> directive missing closing '>'", cline)
        if word[2:-1].lower() != open_name[1:].lower():
            raise _ReadError(f"Expected </{open_name[1:]}> but saw {word}", cline)

    def _unclosed_chain(self, item: SectionItem, src: _Source) -> str:
        """"F:N: <X> was not closed." for every section open at EOF.

        Apache lists them innermost first and names the outermost's line.
        """
        chain = []
        while item is not None:
            name, _ = self._open_words(item.open, src)
            spec = self.lookup(name)
            if spec is not None and spec.where & EXEC_ON_READ:
                break   # a conditional open at EOF ends its own scope quietly
            chain.append(item.open)
            last = item.items[-1] if item.items else None
            item = last if type(last) is SectionItem and last.close is None else None
        parts = []
        for tok in reversed(chain):
            word, _ = self._open_words(tok, src)
            spec = self.lookup(word)
            shown = spec.name if spec else word
            parts.append(f"{src.name}:{tok.last}: {shown}> was not closed.")
        return "\n".join(parts)

    # -- read-time directives ----------------------------------------------
    def _cmd(self, spec: Directive, node: Node, src: _Source) -> Cmd:
        return Cmd(spec, node, self.override, state=self,
                   in_htaccess=src.max_len == HTACCESS_MAX_LINE)

    def _exec_on_read(self, spec: Directive, node: Node, args: str,
                      src: _Source, out: list[Node]) -> None:
        cmd = self._cmd(spec, node, src)
        cmd.extra["source"] = src
        try:
            value = invoke(cmd, args)
        except DirectiveError as exc:
            raise _ReadError(exc.message, node.line) from None
        except _ReadError as exc:
            # An error inside an included file: located at the Include line.
            raise _ReadError(exc.message, node.line,
                             exc.origin or (src.name, node.line)) from None
        except (RestartExplicit, RecursionError):
            raise
        except Exception as exc:  # a handler bug must not become a traceback
            raise _ReadError(f"apyche internal error while reading {spec.name}: "
                             f"{exc!r}", node.line) from exc
        if isinstance(value, list):          # Include: the included nodes
            out.extend(value)
        elif value is not None:
            self.readtime[spec.name] = value

    def _conditional(self, spec: Directive, node: Node, inner: list,
                     close_tok: Line | None, src: _Source, out: list[Node]) -> None:
        """``start_cond_section``: build the children or soak them."""
        cmd = self._cmd(spec, node, src)
        try:
            truth = invoke(cmd, node.args)
        except DirectiveError as exc:
            raise _ReadError(exc.message, node.line) from None
        if not truth:
            try:
                _soak(spec.name, inner, close_tok)
            except _ReadError as exc:
                raise _ReadError(exc.message, node.line,
                                 (src.name, node.line)) from None
            return
        # ap_build_cont_config: the children are read with no enclosing
        # section, so only an exact "</IfModule>" line ends the block;
        # anything else closing at this level is a stray close.
        self._items(inner, src, out, parent_unclosed=close_tok is None)
        if close_tok is None:
            return   # Apache accepts a true conditional left open at EOF.
        if close_tok.text.lower() != f"</{spec.name[1:].lower()}>":
            word, _ = getword(self._expand(close_tok.text, src, close_tok.last))
            raise _ReadError(f"{word} without matching <{word[2:]} section",
                             close_tok.last)

    # Handlers for the read-time directives (registered in
    # directives/readtime.py) call these.
    def include(self, cmd: Cmd, name: str, optional: bool) -> list[Node]:
        """``include_config`` + ``ap_process_fnmatch_configs``."""
        self.include_depth += 1
        if self.include_depth > MAX_INCLUDE_DEPTH:
            self.include_depth = 0
            raise DirectiveError(f"Exceeded maximum include depth of "
                                 f"{MAX_INCLUDE_DEPTH}, There appears to be a recursion.")
        path = self.server_relative(name)
        saved_line = self._current_include_line
        self._current_include_line = cmd.node.line
        nodes: list[Node] = []
        try:
            if not has_wildcard(path):
                self._include_plain(path, optional, nodes, 0)
            else:
                self._include_glob("/", path.lstrip("/"), optional, nodes, 0)
        except _ReadError:
            self.include_depth = 0
            raise
        finally:
            self._current_include_line = saved_line
        if self.include_depth:
            self.include_depth -= 1
        return nodes

    def _include_plain(self, path: str, optional: bool, out: list[Node],
                       depth: int) -> None:
        """``ap_dir_nofnmatch``: a directory includes every file below it."""
        if self.isdir(path):
            depth += 1
            if depth > MAX_FNMATCH_DIR_DEPTH:
                raise _ReadError(
                    f"Include/IncludeOptional: Directory '{path}' exceeds the "
                    "maximum include directory nesting level of "
                    f"{MAX_FNMATCH_DIR_DEPTH}. You have probably a recursion somewhere.")
            try:
                names = os.listdir(path)
                self.deps.append(("dir", path, os.stat(path).st_mtime_ns))
            except OSError as exc:
                raise _ReadError(f"Include/IncludeOptional: Could not open directory "
                                 f"{path}: {_strerror(exc)}") from None
            for child in sorted((_join(path, n) for n in names), key=os.fsencode):
                self._include_plain(child, optional, out, depth)
            return
        if optional and not self.exists(path):
            return
        out.extend(self._build_file(path))

    def _include_glob(self, base: str, rest: str, optional: bool,
                      out: list[Node], depth: int) -> None:
        """``ap_dir_fnmatch``: wildcards in any path component."""
        head, _, tail = rest.partition("/")
        if not has_wildcard(head):
            path = _join(base, head)
            if not tail:
                self._include_plain(path, optional, out, depth)
            else:
                self._include_glob(path, tail, optional, out, depth)
            return
        try:
            entries = list(os.scandir(base))
            self.deps.append(("dir", base, os.stat(base).st_mtime_ns))
        except FileNotFoundError:
            if optional:
                self.deps.append(("exists", base, False))
                return
            raise _ReadError(f"Include/IncludeOptional: Could not open directory "
                             f"{base}: No such file or directory") from None
        except OSError as exc:
            raise _ReadError(f"Include/IncludeOptional: Could not open directory "
                             f"{base}: {_strerror(exc)}") from None
        matches = []
        for entry in entries:
            if not fnmatch(head, entry.name):
                continue
            if tail and not entry.is_dir(follow_symlinks=False):
                continue
            matches.append(_join(base, entry.name))
        if not matches:
            if not optional:
                raise _ReadError(f"Include/IncludeOptional: No matches for the "
                                 f"wildcard '{head}' in '{base}', failing")
            return
        for path in sorted(matches, key=os.fsencode):
            if tail:
                self._include_glob(path, tail, optional, out, depth)
            else:
                self._include_plain(path, optional, out, depth)

    def define(self, name: str, value: str | None) -> None:
        if name not in self.defines:
            self.defines.append(name)
        if value is not None:
            self.define_vars[name] = value

    def undefine(self, name: str) -> None:
        if name in self.defines:
            self.defines.remove(name)
        self.define_vars.pop(name, None)

    def load_module(self, ident: str, filename: str) -> None:
        """``load_module`` (mod_so), with apyche's native modules."""
        if self.self_contained:
            raise RestartExplicit()
        if ident in self._loaded:
            if any(m.ident == ident and m.builtin for m in self.modules):
                raise DirectiveError(f"module {ident} is built-in and can't be loaded")
            self.warn(f"module {ident} is already loaded, skipping", "AH01574",
                      module="so")
            return
        mod = modcat.BY_IDENT.get(ident)
        if mod is None:
            self.warn(f"module {ident} is not provided by apyche; its "
                      f"<IfModule> is false and its directives are unknown "
                      f"(LoadModule {ident} {filename})", module="so")
            return
        self.modules.append(mod)
        self._loaded.add(mod.ident)


def _soak(name: str, inner: list, close_tok: Line | None) -> None:
    """``ap_soak_end_container``: skip a false conditional, checking nesting.

    Only lines starting with ``<`` matter.  A closing line's first word
    loses its last character (whatever it is) and must then name the
    section being soaked.
    """
    for item in inner:
        if type(item) is SectionItem:
            word, pos = getword(item.open.text)
            if pos >= len(item.open.text) and word.endswith(">"):
                word = word[:-1]
            _soak(word, item.items, item.close)
    if close_tok is None:
        raise _ReadError(f"Expected </{name[1:]}> before end of configuration")
    word, _ = getword(close_tok.text)
    word = word[:-1]
    if word[2:].lower() != name[1:].lower():
        raise _ReadError(f"Expected </{name[1:]}> but saw {word}>")


def _strip_location(message: str) -> str:
    """The message without its "Syntax error on line N of F: " prefix."""
    if message.startswith("Syntax error on line "):
        head, sep, rest = message.partition(": ")
        if sep:
            return rest
    return message


def _join(base: str, name: str) -> str:
    return base + name if base.endswith("/") else f"{base}/{name}"


def _strerror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_mpm(modules) -> None:
    """``ap_check_mpm``: exactly one MPM, checked right after reading."""
    mpms = [m for m in modules if m.mpm]
    if not mpms:
        raise ConfigError("No MPM loaded.", phase=CHECK, code="AH00534")
    if len(mpms) > 1:
        raise ConfigError("More than one MPM loaded.", phase=CHECK, code="AH00534")
