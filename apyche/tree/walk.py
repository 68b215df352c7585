"""The per-request walks (server/request.c): which configuration applies.

This module never touches sockets; it only turns (server, URL, filesystem)
into a merged ``DirConfig``.  It owns the order of the walks, as Apache's
``ap_process_request_internal`` does - do not decide it anywhere else:

1. **directory walk** (``ap_directory_walk``): from ``/`` down to the
   file's directory, at each level the non-regex <Directory> sections of
   that depth (shorter paths first, config order for equal depth, the main
   server's before a vhost's), then that directory's .htaccess if
   AllowOverride/AllowOverrideList admit anything there; then the regex
   sections (<Directory ~>, <DirectoryMatch>) in config order, matched
   against the full file name;
2. **file walk** (``ap_file_walk``): <Files>/<FilesMatch> collected so far
   (server level, matched directories, .htaccess) against the base name;
3. **location walk** (``ap_location_walk``): <Location>/<LocationMatch> in
   config order against the URL path;
4. <If> sections are evaluated per request by the caller, in the order
   ``DirConfig.ifs`` lists them.

Rule: the merged result of a walk is cached and reused by later requests.
The directory walk's cache entry remembers every .htaccess it probed and
the file's identity (inode, size, mtime) - or its absence - and is reused
only while a stat of each still agrees, so an edited, added or removed
.htaccess is seen by the next request.  With ``AllowOverride None`` along
the path nothing is probed, so nothing is re-checked: zero filesystem calls.
Symlink checks are not cached: they are made per request by the caller
from ``DirWalk.symlink_checks``, because Apache's guarantee is about the
filesystem as it is now.
"""

from __future__ import annotations

import fnmatch as _fnmatch
import os
import stat
from collections import OrderedDict
from dataclasses import dataclass

from ..config.errors import ConfigError
from ..config.model import ServerConfig
from ..config.paths import fnmatch as apr_fnmatch
from ..config.walk import load_htaccess
from .merge import DirConfig, ScopeConfig, merge
from .server import SectionEntry, ServerSelector, ServerView, build_views

# Options bits (include/http_core.h), as the registry's values use them.
OPT_SYM_LINKS = 4
OPT_SYM_OWNER = 64

# Symlink policy of a path component (what the caller must check).
FOLLOW = 0          # FollowSymLinks without SymLinksIfOwnerMatch: no lstat
OWNER_MATCH = 1     # SymLinksIfOwnerMatch: lstat, owner of link == target's
NO_SYMLINKS = 2     # neither: lstat, refuse any symlink


def symlink_policy(opts: int) -> int:
    if opts & OPT_SYM_OWNER:
        return OWNER_MATCH
    if opts & OPT_SYM_LINKS:
        return FOLLOW
    return NO_SYMLINKS


@dataclass(frozen=True)
class HtaccessError:
    """An .htaccess that could not be used: 500 if it failed to parse, 403
    if it exists but could not be opened (as ``ap_parse_htaccess``)."""

    path: str
    message: str      # as Apache logs it: "/x/.htaccess: Invalid command ..."
    status: int = 500
    # When Apache logs more than the one alert line: (level, errno, text).
    lines: tuple[tuple[str, int, str], ...] = ()
    notes: str | None = None     # the error page's "error-notes"


@dataclass(frozen=True)
class DirWalk:
    """The result of the directory walk for one directory."""

    config: DirConfig
    # (directory, policy) for each level whose Options require lstat():
    # the component named by the key is checked against the policy.
    symlink_checks: tuple[tuple[str, int], ...]
    htaccess_probes: tuple[tuple[str, tuple | None], ...]
    error: HtaccessError | None = None


def _options(cfg: DirConfig) -> int:
    value = cfg.get("Options")
    return getattr(value, "opts", OPT_SYM_LINKS)


def _overrides(cfg: DirConfig) -> tuple[int, frozenset[str], int | None]:
    ao = cfg.get("AllowOverride")
    bits = getattr(ao, "override", 0) if ao is not None else 0
    opts = getattr(ao, "override_opts", None) if ao is not None else None
    aol = cfg.get("AllowOverrideList")
    names = frozenset(getattr(aol, "names", ()) or ()) if aol is not None else frozenset()
    return bits, names, opts


def _access_names(cfg: DirConfig) -> tuple[str, ...]:
    value = cfg.get("AccessFileName")
    value = getattr(value, "names", value)
    if isinstance(value, str):
        return (value,)
    return tuple(value or (".htaccess",))


def stat_key(path: str) -> tuple | None:
    """A file's identity for "has it changed?": (inode, size, mtime in ns),
    None when it does not exist (or cannot be stat()ed)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def stat_members(directory: str) -> list[tuple[str, os.stat_result]]:
    """A directory's members with their stat (links followed); members that
    vanish or cannot be stat()ed while we look are left out.  OSError if
    the directory cannot be read."""
    members = []
    with os.scandir(directory) as it:
        for entry in it:
            try:
                members.append((entry.name, entry.stat()))
            except OSError:
                continue
    return members


def _prefixes(directory: str) -> list[str]:
    """"/var/www/" -> ["/", "/var/", "/var/www/"]."""
    out = ["/"]
    pos = 1
    while True:
        nxt = directory.find("/", pos)
        if nxt < 0:
            break
        out.append(directory[:nxt + 1])
        pos = nxt + 1
    return out


class Resolver:
    """Resolves requests against one ``ServerConfig`` (one per worker)."""

    def __init__(self, config: ServerConfig, *, cache_size: int = 4096) -> None:
        self.config = config
        self.views = build_views(config)
        self.selector = ServerSelector(self.views)
        self._dir_cache: dict[tuple[int, str], DirWalk] = {}
        self._file_cache: OrderedDict = OrderedDict()
        self._loc_cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self._scopes: dict[int, ScopeConfig] = {}   # nested section -> folded
        # Counters for tests and `apyche explain`.
        self.stats = {"dir_hits": 0, "dir_misses": 0, "htaccess_parsed": 0}

    # -- server ----------------------------------------------------------
    def select_server(self, local_ip: str, local_port: int, host: str | None) -> ServerView:
        return self.selector.select(local_ip, local_port, host)

    # -- directory walk -----------------------------------------------------
    def directory_walk(self, view: ServerView, directory: str) -> DirWalk:
        """The merged config for files in *directory* (absolute, ending "/")."""
        key = (view.index, directory)
        hit = self._dir_cache.get(key)
        if hit is not None and all(stat_key(p) == k for p, k in hit.htaccess_probes):
            self.stats["dir_hits"] += 1
            return hit
        self.stats["dir_misses"] += 1
        result = self._walk_directories(view, directory)
        if len(self._dir_cache) >= self._cache_size * 4:
            self._dir_cache.clear()
        self._dir_cache[key] = result
        return result

    def _walk_directories(self, view: ServerView, directory: str) -> DirWalk:
        cfg = view.base
        checks: list[tuple[str, int]] = []
        probes: list[tuple[str, tuple | None]] = []
        error = None
        entries = view.dirs
        index = 0
        for depth, prefix in enumerate(_prefixes(directory)):
            # lstat() of this component is governed by the options merged
            # for its parent (Apache checks the link before merging it).
            if depth > 0:
                policy = symlink_policy(_options(cfg))
                if policy != FOLLOW:
                    checks.append((prefix.rstrip("/"), policy))
            components = 0 if depth == 0 else prefix.count("/")   # ap_count_dirs
            while index < len(entries) and entries[index].components < components:
                index += 1
            j = index
            while j < len(entries) and entries[j].components == components:
                entry = entries[j]
                if _dir_matches(entry, prefix):
                    cfg = merge(cfg, entry.scope)
                j += 1
            if error is None:
                cfg, error = self._htaccess(cfg, prefix, probes)
        return DirWalk(cfg, tuple(checks), tuple(probes), error)

    def _htaccess(self, cfg: DirConfig, directory: str,
                  probes: list) -> tuple[DirConfig, HtaccessError | None]:
        """``ap_parse_htaccess`` for one directory, if anything is allowed."""
        override, names, override_opts = _overrides(cfg)
        if not (override & 31) and not names:
            return cfg, None
        for access_name in _access_names(cfg):
            path = directory + access_name
            try:
                fd = os.open(path, os.O_RDONLY)
            except (FileNotFoundError, NotADirectoryError):
                probes.append((path, None))
                continue
            except OSError as exc:
                # Apache: anything but ENOENT/ENOTDIR is a 403.
                probes.append((path, None))
                return cfg, HtaccessError(
                    path, f"{path} pcfg_openfile: unable to check htaccess file, "
                          f"ensure it is readable and that "
                          f"'{directory.rstrip('/') or '/'}' is executable "
                          f"({exc.strerror})", 403)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    os.close(fd)
                    probes.append((path, (st.st_ino, st.st_size, st.st_mtime_ns)))
                    opening = (f"AH00529: {path} pcfg_openfile: unable to check htaccess "
                               f"file, ensure it is readable and that '{directory}' is "
                               "executable")
                    return cfg, HtaccessError(
                        path, opening, 403,
                        lines=(("error", 0, f"AH00554: Access to file {path} denied by "
                                            "server: not a regular file"),
                               ("crit", 9, opening)),
                        notes="Server unable to read htaccess file, denying access to be safe")
                with os.fdopen(fd, "rb") as fh:
                    data = fh.read()
            except OSError:
                probes.append((path, None))
                continue
            probes.append((path, (st.st_ino, st.st_size, st.st_mtime_ns)))
            self.stats["htaccess_parsed"] += 1
            try:
                scope = load_htaccess(data.decode("utf-8", "surrogateescape"), path,
                                      directory, self.config, override, names,
                                      override_opts)
            except ConfigError as err:
                return cfg, HtaccessError(path, f"{path}: {err.message}")
            return merge(cfg, ScopeConfig(scope.settings, scope.sections, path, directory)), None
        return cfg, None

    def regex_walk(self, view: ServerView, walk: DirWalk, filename: str) -> DirConfig:
        """The regex directory sections, matched against the full file name."""
        cfg = walk.config
        for entry in view.dir_regex:
            if entry.section.regex.search(filename):
                cfg = merge(cfg, entry.scope)
        return cfg

    def captures(self, view: ServerView, filename: str | None, uri: str) -> dict[str, str]:
        """Named groups of the regex sections that match, as Apache sets them
        in the environment: ``MATCH_<NAME>`` (upper case), later sections
        winning - <DirectoryMatch> on the file name, <FilesMatch> on its base
        name, <LocationMatch> on the URL."""
        env: dict[str, str] = {}
        tests = []
        if filename is not None:
            tests += [(e.section.regex, filename) for e in view.dir_regex]
            base = filename.rstrip("/").rsplit("/", 1)[-1]
            tests += [(sec.regex, base) for sec in view.base.files if sec.regex is not None]
        tests += [(e.section.regex, uri) for e in view.locations if e.section.regex is not None]
        for regex, subject in tests:
            if not regex.groupindex:
                continue
            m = regex.search(subject)
            if m is None:
                continue
            for name, value in m.groupdict().items():
                if value is not None:
                    env[f"MATCH_{name.upper()}"] = value
        return env

    # -- file walk -------------------------------------------------------------
    def file_walk(self, cfg: DirConfig, basename: str) -> DirConfig:
        """``ap_file_walk``: <Files>/<FilesMatch> against the base name."""
        if not cfg.files:
            return cfg
        key = (id(cfg), basename)
        hit = self._file_cache.get(key)
        if hit is not None and hit[0] is cfg:
            return hit[1]
        merged = cfg
        for sec in cfg.files:
            if _files_match(sec, basename):
                merged = merge(merged, self._scope_of(sec))
        self._remember(self._file_cache, key, (cfg, merged))
        return merged

    # -- location walk ---------------------------------------------------------
    def location_walk(self, view: ServerView, cfg: DirConfig, uri: str) -> DirConfig:
        """``ap_location_walk``: <Location>/<LocationMatch> in config order."""
        if not view.locations:
            return cfg
        key = (id(cfg), view.index, uri)
        hit = self._loc_cache.get(key)
        if hit is not None and hit[0] is cfg:
            return hit[1]
        merged = cfg
        for entry in view.locations:
            if _location_matches(entry, uri):
                merged = merge(merged, entry.scope)
        self._remember(self._loc_cache, key, (cfg, merged))
        return merged

    def _scope_of(self, section) -> ScopeConfig:
        """The folded settings of a nested section.  Keyed by identity: the
        resolver keeps its config - and so every section - alive."""
        scope = self._scopes.get(id(section))
        if scope is None:
            scope = ScopeConfig(section.settings, section.sections,
                                f"{section.label()} ({section.file}:{section.line})",
                                section.pattern)
            self._scopes[id(section)] = scope
        return scope

    def _remember(self, cache: OrderedDict, key, value) -> None:
        cache[key] = value
        if len(cache) > self._cache_size:
            cache.popitem(last=False)

    # -- everything, for one request path ------------------------------------
    def resolve(self, view: ServerView, filename: str | None, uri: str) -> DirConfig:
        """Directory (+regex), file and location walks for *filename*.

        *filename* is the mapped file (None for a URL that maps to no file,
        e.g. a handler-only <Location>); *uri* the decoded URL path.
        """
        if filename is None:
            cfg = view.base
        else:
            directory = filename if filename.endswith("/") else filename[:filename.rfind("/") + 1]
            walk = self.directory_walk(view, directory)
            cfg = self.regex_walk(view, walk, filename) if view.dir_regex else walk.config
            base = filename.rstrip("/").rsplit("/", 1)[-1]
            cfg = self.file_walk(cfg, base)
        return self.location_walk(view, cfg, uri)


def _dir_matches(entry: SectionEntry, prefix: str) -> bool:
    pattern = entry.section.pattern
    if entry.wildcard:
        return apr_fnmatch_path(pattern, prefix)
    return pattern == prefix


def apr_fnmatch_path(pattern: str, path: str) -> bool:
    """fnmatch with APR_FNM_PATHNAME: wildcards don't cross "/"."""
    p_parts = pattern.rstrip("/").split("/")
    s_parts = path.rstrip("/").split("/")
    if len(p_parts) != len(s_parts):
        return False
    return all(_fnmatch.fnmatchcase(s, p) for p, s in zip(p_parts, s_parts))


def _files_match(section, basename: str) -> bool:
    if section.regex is not None:
        return section.regex.search(basename) is not None
    pattern = section.pattern
    if any(c in pattern for c in "*?["):
        return apr_fnmatch(pattern, basename) or _fnmatch.fnmatchcase(basename, pattern)
    return pattern == basename


def _location_matches(entry: SectionEntry, uri: str) -> bool:
    """Apache's location match: regex search, fnmatch, or a prefix match
    that ends at a "/" boundary (``/foo`` matches ``/foo`` and ``/foo/x``
    but not ``/foobar``), with slashes in the pattern merged."""
    sec = entry.section
    if sec.regex is not None:
        return sec.regex.search(uri) is not None
    pattern = sec.pattern
    if entry.wildcard:
        return _fnmatch.fnmatchcase(uri, pattern)
    if not uri.startswith(pattern):
        return False
    if len(uri) == len(pattern) or pattern.endswith("/"):
        return True
    return uri[len(pattern)] == "/"
