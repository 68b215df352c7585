"""``apyche configtest --lint``: what a configuration costs per request.

Each rule is one mechanism from Apache's Performance Notes
(shared/spec/apache-performance-notes.txt), reported at the file and line
that causes it, with the Notes' remedy.  A configuration already tuned the
way the Notes advise produces no finding.

The per-path costs (symlink lstat() calls, .htaccess probes) are computed
with the real config tree walk, for every DocumentRoot and Alias target,
so they are the costs apyche and Apache actually pay there.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import IO

from .model import ServerConfig, Setting
from .words import getword, split_words

KEEPALIVE_TIMEOUT_LIMIT = 60
LOW_REQUESTS_PER_CHILD = 1000


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    cost: str        # the mechanism, in the Notes' words
    message: str
    remedy: str

    def text(self) -> str:
        return f"{self.file}:{self.line}: [{self.cost}] {self.message} Remedy: {self.remedy}"


def _first(setting: Setting) -> str:
    return getword(setting.args)[0].lower()


def _all_settings(config: ServerConfig):
    """Every setting in the config, at any level, with the scope's label."""
    scopes = [config.main] + [vh.scope for vh in config.vhosts]
    for scope in scopes:
        yield from scope.settings
    for _vh, section in config.all_sections():
        yield from section.settings


def _is_address(word: str) -> bool:
    """Allow/Deny/Require ip arguments that need no DNS: IPs, partial IPs,
    networks, "all", env=."""
    low = word.lower()
    if low in ("all", "from", "none") or low.startswith("env="):
        return True
    candidate = word.split("/")[0]
    try:
        ipaddress.ip_address(candidate)
        return True
    except ValueError:
        pass
    parts = candidate.rstrip(".").split(".")
    return all(p.isdigit() for p in parts if p)   # partial address "10.1"


def lint(config: ServerConfig) -> list[Finding]:
    findings: list[Finding] = []
    add = findings.append
    for s in _all_settings(config):
        name = s.name
        if name == "HostnameLookups" and _first(s) in ("on", "double"):
            add(Finding(s.file, s.line, "HostnameLookups",
                        f"HostnameLookups {_first(s).capitalize()} makes every request "
                        "wait for a DNS lookup" + (" (reverse, then forward to confirm)"
                                                   if _first(s) == "double" else "") + ".",
                        "HostnameLookups Off; log IP addresses and resolve them later "
                        "with logresolve (apyche logresolve), or scope the lookups to "
                        "the few resources that need them, e.g. <Files ~ \"\\.(html|cgi)$\">."))
        elif name.lower() in ("allow", "deny"):
            hosts = [w for w in split_words(s.args)[1:] if not _is_address(w)]
            if hosts:
                add(Finding(s.file, s.line, "HostnameLookups",
                            f"{name.capitalize()} from {' '.join(hosts)} names hosts by domain, which "
                            "forces a double reverse DNS lookup on every request it "
                            "is checked for.", "use IP addresses or networks instead of names."))
        elif name == "Require":
            words = split_words(s.args)
            if words and words[0].lower() == "not":
                words = words[1:]
            if words and words[0].lower() in ("host", "forward-dns"):
                add(Finding(s.file, s.line, "HostnameLookups",
                            f"Require {' '.join(words)} forces a double reverse DNS "
                            "lookup on every request it is checked for.",
                            "Require ip with the addresses or networks instead."))
        elif name == "DirectoryIndex":
            bare = [w for w in split_words(s.args)
                    if "." not in w.rsplit("/", 1)[-1] and w.lower() != "disabled"]
            if bare:
                add(Finding(s.file, s.line, "Negotiation",
                            f"DirectoryIndex {' '.join(bare)} names a file without an "
                            "extension, so each directory request runs content "
                            "negotiation (a directory scan).",
                            "list the complete names, most common first, e.g. "
                            "DirectoryIndex index.html index.php."))
        elif name == "Options" and "multiviews" in s.args.lower().replace("+", " ").split():
            add(Finding(s.file, s.line, "Negotiation",
                        "Options MultiViews makes a request for a missing file scan its "
                        "directory for variants.",
                        "use type-map files (AddHandler type-map .var) for the resources "
                        "that need negotiation, or name files completely."))
        elif name == "ExtendedStatus" and _first(s) == "on":
            add(Finding(s.file, s.line, "mod_status",
                        "ExtendedStatus On records two clock readings and the request "
                        "details in the scoreboard for every request.",
                        "ExtendedStatus Off unless you read the per-request details."))
        elif name == "KeepAliveTimeout":
            try:
                seconds = float(_first(s).rstrip("ms")) / (1000 if _first(s).endswith("ms") else 1)
            except ValueError:
                continue
            if seconds > KEEPALIVE_TIMEOUT_LIMIT:
                add(Finding(s.file, s.line, "KeepAliveTimeout",
                            f"KeepAliveTimeout {_first(s)} keeps idle connections (and "
                            "their worker slots) for over a minute.",
                            "a few seconds (the default is 5) serves keep-alive clients "
                            "without tying up slots."))
        elif name in ("MaxRequestsPerChild", "MaxConnectionsPerChild"):
            try:
                count = int(_first(s))
            except ValueError:
                continue
            if 0 < count < LOW_REQUESTS_PER_CHILD:
                add(Finding(s.file, s.line, "MaxRequestsPerChild",
                            f"{name} {count} replaces each worker after only {count} "
                            "connections: process creation on a busy server.",
                            "0 (never) or a large value such as 10000; use it only to "
                            "contain leaks."))
    findings += _path_costs(config)
    return findings


def _served_roots(config: ServerConfig, resolver) -> list[tuple[object, str, Setting | None]]:
    """(server view, directory, the setting that serves it) for each
    DocumentRoot and Alias target."""
    out = []
    for view in resolver.views:
        scopes = [config.main] if view.vhost is None else [view.vhost.scope, config.main]
        root_setting = next((sc.all("DocumentRoot")[-1] for sc in scopes
                             if sc.all("DocumentRoot")), None)
        if root_setting is not None:
            root = getword(root_setting.args)[0]
            out.append((view, config_path(config, root), root_setting))
        for sc in scopes:
            for alias in sc.all("Alias") + sc.all("ScriptAlias"):
                words = split_words(alias.args)
                if len(words) == 2:
                    out.append((view, config_path(config, words[1]), alias))
    return out


def config_path(config: ServerConfig, path: str) -> str:
    if not path.startswith("/"):
        path = os.path.join(config.server_root, path)
    return os.path.normpath(path)


def _path_costs(config: ServerConfig) -> list[Finding]:
    from ..tree.walk import FOLLOW, OWNER_MATCH, Resolver, symlink_policy
    resolver = Resolver(config)
    findings = []
    seen = set()
    for view, directory, setting in _served_roots(config, resolver):
        walk = resolver.directory_walk(view, directory.rstrip("/") + "/")
        where = setting if setting is not None else None
        # Symlink checks: each component whose governing Options lack
        # FollowSymLinks or carry SymLinksIfOwnerMatch costs an lstat().
        # The files served from the directory are checked under its own
        # merged Options, the path down to it under each parent's.
        inside = symlink_policy(getattr(walk.config.get("Options"), "opts", 4))
        if walk.symlink_checks or inside != FOLLOW:
            opts = walk.config.origins.get("Options")
            origin = opts or where
            key = ("symlink", origin.file, origin.line)
            if key not in seen:
                seen.add(key)
                policies = [p for _, p in walk.symlink_checks] + [inside]
                owner = OWNER_MATCH in policies
                count = len(walk.symlink_checks) + (inside != FOLLOW)
                findings.append(Finding(
                    origin.file, origin.line, "FollowSymLinks",
                    f"requests under {directory} cost {count} extra lstat() call(s) "
                    f"(the path down to it and the file), plus one per level "
                    f"below, because "
                    + ("Options SymLinksIfOwnerMatch is set" if owner
                       else "Options FollowSymLinks is not set") + " there.",
                    "Options FollowSymLinks (without SymLinksIfOwnerMatch) wherever you "
                    "can; keep the checks only in the directories that need them."))
        if walk.htaccess_probes:
            ao = walk.config.origins.get("AllowOverride")
            origin = ao or where
            key = ("htaccess", origin.file, origin.line)
            if key not in seen:
                seen.add(key)
                findings.append(Finding(
                    origin.file, origin.line, "AllowOverride",
                    f"requests under {directory} try to open {len(walk.htaccess_probes)} "
                    ".htaccess file(s) on the way down, plus one per level below, "
                    "because AllowOverride is not None there.",
                    "AllowOverride None, and move the .htaccess contents into "
                    "<Directory> sections."))
    return findings


def render_findings(findings: list[Finding], out: IO[str]) -> None:
    if not findings:
        out.write("lint: no per-request costs found (the config follows the "
                  "Performance Notes' advice)\n")
        return
    if out.isatty():
        try:
            from rich.console import Console
            from rich.table import Table
            table = Table(title="What this configuration costs per request",
                          show_lines=True)
            table.add_column("where")
            table.add_column("cost")
            table.add_column("why")
            table.add_column("remedy")
            for f in findings:
                table.add_row(f"{f.file}:{f.line}", f.cost, f.message, f.remedy)
            Console(file=out).print(table)
            return
        except ImportError:  # pragma: no cover
            pass
    for f in findings:
        out.write(f"lint: {f.text()}\n")
