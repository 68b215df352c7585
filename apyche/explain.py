"""``apyche explain [-f CONF] [-H HOST] [--client IP] URL``: what applies.

For one request, without serving it: the virtual host chosen and why, how
the URL maps to the filesystem, every section and .htaccess merged (in the
order merged, with file:line), the final value of each directive that
differs from Apache's default and where it was set, and what the request
costs in the Performance Notes' terms (lstat() calls from the symlink
options, .htaccess probes, DNS lookups, negotiation scans).  It runs the
same code the server runs (``Site``, the resolver), so it cannot disagree
with it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from urllib.parse import urlsplit

from .config.errors import ConfigError
from .server.mapping import Mapped, Redirected
from .semantics.uri import UriError, map_request_target
from .tree.merge import default
from .tree.walk import FOLLOW, NO_SYMLINKS, OWNER_MATCH, symlink_policy

_POLICY = {NO_SYMLINKS: "refuse symlinks (no FollowSymLinks)",
           OWNER_MATCH: "SymLinksIfOwnerMatch: owner check"}


def explain(site, url: str, host: str | None = None, client: str = "127.0.0.1",
            local: tuple[str, int] | None = None) -> dict:
    """The explanation as a plain dict (what --json prints)."""
    parts = urlsplit(url if "://" in url else "http://" + (host or "localhost") + url)
    host = host or parts.netloc or None
    port = parts.port or 80
    local = local or ("127.0.0.1", port)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    view = site.resolver.select_server(local[0], local[1], host)
    srv = site.settings[view.index]
    out: dict = {"request": {"url": target, "host": host, "client": client,
                             "local": f"{local[0]}:{local[1]}"}}
    chain = site.resolver.selector.for_connection(local[0], local[1])
    if view.vhost is None:
        why = "no <VirtualHost> matches the address: the main server answers"
    elif host and view.matches_name(host.split(":")[0].lower()):
        why = f"ServerName/ServerAlias matches Host {host!r}"
    else:
        why = (f"first <VirtualHost> for {local[0]}:{local[1]} (the default for that "
               f"address; {len(chain)} candidate(s), none named {host!r})")
    out["server"] = {"name": view.name, "defined": view.label, "why": why}
    try:
        path = map_request_target(target, allow_encoded_slashes=srv.allow_encoded_slashes,
                                  merge_slashes=srv.merge_slashes)
    except UriError as err:
        out["result"] = {"status": err.status, "why": err.log or "rejected URL"}
        return out
    uri = path.fs_path
    mapped = srv.aliases.translate(uri, path.query, srv.docroot) if srv.aliases \
        else Mapped(srv.docroot + uri)
    if isinstance(mapped, Redirected):
        out["mapping"] = {"redirect": mapped.status, "location": mapped.location}
        return out
    how = (f"Alias {mapped.alias.fake} -> {mapped.alias.real}" if mapped.alias
           else f"DocumentRoot {srv.docroot}")
    out["mapping"] = {"uri": uri, "filename": mapped.filename, "by": how}
    filename = mapped.filename
    is_dir = os.path.isdir(filename)
    directory = filename.rstrip("/") + "/" if is_dir else filename[:filename.rfind("/") + 1]
    walk = site.resolver.directory_walk(view, directory)
    cfg = site.resolver.regex_walk(view, walk, filename) if view.dir_regex else walk.config
    if not is_dir:
        cfg = site.resolver.file_walk(cfg, filename.rsplit("/", 1)[-1])
    cfg = site.resolver.location_walk(view, cfg, uri)
    out["applied"] = list(cfg.trail)
    if walk.error is not None:
        out["htaccess_error"] = {"status": walk.error.status, "message": walk.error.message}
    settings = {}
    for name, value in sorted(cfg.values.items()):
        if value == default(name):
            continue
        origin = cfg.origins.get(name)
        settings[name] = {"value": origin.args if origin else repr(value),
                          "set_at": origin.where if origin else None}
    out["directives"] = settings
    out["access"] = _access(site, view, srv, cfg, uri, filename, client, host, local)
    checks = list(walk.symlink_checks)
    final = symlink_policy(getattr(cfg.get("Options"), "opts", 4))
    if final != FOLLOW and not is_dir:
        checks.append((filename, final))
    lookups = str(cfg.get("HostnameLookups") or "off").lower()
    host_rules = [r for r in (cfg.get("Require") or ())
                  if getattr(r, "provider", "") in ("host", "forward-dns")]
    negotiation = bool(getattr(cfg.get("Options"), "opts", 0) & 128)
    out["cost"] = {
        "lstat_calls": len(checks),
        "lstat_paths": [{"path": p, "policy": _POLICY[pol]} for p, pol in checks],
        "htaccess_probes": [p for p, _ in walk.htaccess_probes],
        "dns_lookup": ("double reverse (Require host)" if host_rules else
                       {"on": "reverse (HostnameLookups On)",
                        "double": "double reverse (HostnameLookups Double)"}.get(lookups, "none")),
        "negotiation_scan": negotiation and not os.path.exists(filename),
    }
    return out


class _ExplainRequest:
    """Just enough of a request for the access rules to be evaluated."""

    method = "GET"
    http_version = "1.1"

    def __init__(self, target: str, host: str | None, client: str, local) -> None:
        self.target = self.path = target
        self.client = (client, 0)
        self.server = local
        self.headers = [("Host", host)] if host else []
        self.request_line = f"GET {target} HTTP/1.1"

    def get(self, name: str, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default


def _access(site, view, srv, cfg, uri, filename, client, host, local) -> dict:
    """Which rules decide access for this client, and what they say
    (host-based rules are shown as needing a DNS lookup, not resolved)."""
    from .server import hostlookup
    from .server.access import AuthzGroup, evaluate
    from .server.site import Exchange
    ex = Exchange(_ExplainRequest(uri, host, client, local))
    ex.view, ex.settings, ex.uri, ex.filename, ex.config = view, srv, uri, filename, cfg
    ex.allow_lookups = False
    lines: list[str] = []
    group = site.gate.authz_for(cfg)

    def show(node, depth):
        pad = "  " * depth
        if isinstance(node, AuthzGroup):
            lines.append(f"{pad}{'not ' if node.negate else ''}{node.label}")
            for child in node.children:
                show(child, depth + 1)
            return
        neg = "not " if node.negate else ""
        if node.provider in ("host", "forward-dns") and \
                site.hosts.cached_double_reverse(client) is hostlookup.NOT_CACHED:
            verdict = "decided by a double-reverse DNS lookup of the client"
        else:
            verdict = site.gate.check_rule(ex, cfg, node, []).value
        lines.append(f"{pad}Require {neg}{node.provider} {node.args}".rstrip()
                     + f"  -> {verdict}")

    if group is not None:
        show(group, 0)
        result = evaluate(group, lambda rule: site.gate.check_rule(ex, cfg, rule, []), "GET")
        decision = result.value
    else:
        decision = "granted (no Require applies)"
    compat = {name: [getattr(v, "kind", "") + " " + getattr(v, "value", "")
                     for v in (cfg.get(name) or ())]
              for name in ("allow", "deny") if cfg.get(name)}
    if compat or "order" in cfg:
        compat["order"] = str(cfg.get("order") or "deny,allow")
    from .server.access import group_of
    decided = next((scope.label for scope in reversed(cfg.scopes)
                    if group_of(scope.settings, scope.authz, "") is not None), None)
    return {"require": lines, "decided_at": decided,
            "order_allow_deny": compat, "decision_for_client": decision}


def render(data: dict, out) -> None:
    lines = []
    req = data["request"]
    lines.append(f"Request   GET {req['url']}  Host: {req['host']}  from {req['client']}")
    s = data["server"]
    lines.append(f"Server    {s['name']} - {s['defined']}")
    lines.append(f"          why: {s['why']}")
    if "result" in data:
        lines.append(f"Result    {data['result']['status']}: {data['result']['why']}")
    m = data.get("mapping", {})
    if "redirect" in m:
        lines.append(f"Redirect  {m['redirect']} -> {m['location']}")
    elif m:
        lines.append(f"Maps to   {m['filename']}  (by {m['by']})")
    if data.get("applied"):
        lines.append("Applied, in merge order:")
        lines += [f"  {i}. {label}" for i, label in enumerate(data["applied"], 1)]
    if data.get("htaccess_error"):
        e = data["htaccess_error"]
        lines.append(f"Broken    .htaccess -> {e['status']}: {e['message']}")
    if data.get("directives"):
        lines.append("Directives that differ from the default:")
        width = max(len(n) for n in data["directives"])
        for name, d in data["directives"].items():
            lines.append(f"  {name:<{width}}  {d['value']}  ({d['set_at']})")
    a = data.get("access")
    if a:
        lines.append(f"Access for {data['request']['client']}: {a['decision_for_client']}")
        if a["decided_at"]:
            lines.append(f"  Require from {a['decided_at']}")
        lines += [f"  {line}" for line in a["require"]]
        if a["order_allow_deny"]:
            lines.append(f"  Order/Allow/Deny: {a['order_allow_deny']}")
    c = data.get("cost")
    if c:
        lines.append("Cost per request (Performance Notes):")
        lines.append(f"  lstat() calls:    {c['lstat_calls']}")
        for p in c["lstat_paths"]:
            lines.append(f"      {p['path']}: {p['policy']}")
        lines.append(f"  .htaccess probes: {len(c['htaccess_probes'])}"
                     + (f"  ({', '.join(c['htaccess_probes'])})" if c["htaccess_probes"] else ""))
        lines.append(f"  DNS lookup:       {c['dns_lookup']}")
        lines.append(f"  negotiation scan: {'yes' if c['negotiation_scan'] else 'no'}")
    out.write("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    from .cli import load, report_error
    from .server.site import Site
    p = argparse.ArgumentParser(prog="apyche explain")
    p.add_argument("url")
    p.add_argument("-f", dest="config")
    p.add_argument("-d", dest="server_root")
    p.add_argument("-D", dest="defines", action="append", default=[])
    p.add_argument("-H", "--host", dest="host")
    p.add_argument("--client", default="127.0.0.1")
    p.add_argument("--json", action="store_true")
    opts = p.parse_args(argv)
    opts.pre, opts.post = [], []
    try:
        config = load(opts)
    except ConfigError as err:
        report_error(err)
        return 1
    site = Site(config)
    try:
        data = explain(site, opts.url, opts.host, opts.client)
    finally:
        site.logs.close()
    if opts.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render(data, sys.stdout)
    return 0
