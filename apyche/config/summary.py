"""What ``-S`` (DUMP_VHOSTS, DUMP_RUN_CFG) and ``-M`` (DUMP_MODULES) print.

The shapes follow ``ap_dump_vhosts`` (vhost.c), core's ``dump_config`` hook
and ``ap_show_modules`` so tools that scrape them keep working.
"""

from __future__ import annotations

import grp
import os
import pwd

from . import modules as modcat
from .model import ServerConfig, VirtualHost
from .words import getword


def _first_word(setting) -> str:
    return getword(setting.args)[0] if setting is not None else ""


def _last(scope, name):
    found = scope.all(name)
    return found[-1] if found else None


def vhost_name(config: ServerConfig, vh: VirtualHost) -> str:
    """The name -S shows for a vhost: its ServerName, else the main one's."""
    setting = _last(vh.scope, "ServerName") or _last(config.main, "ServerName")
    if setting is None:
        import socket
        return socket.gethostname()
    name = _first_word(setting)
    scheme, sep, rest = name.partition("://")
    name = rest if sep else name
    if name.startswith("["):
        return name[:name.find("]") + 1]
    return name.split(":")[0]


def dump_vhosts(config: ServerConfig) -> str:
    """``ap_dump_vhosts``: addresses with their vhosts, most specific first.

    Apache lists IP-specific addresses before wildcard ones, and for an
    address shared by several vhosts, the default (first) one then each
    name-based vhost.
    """
    lines = ["VirtualHost configuration:"]
    groups: dict[str, list[VirtualHost]] = {}
    for vh in config.vhosts:
        for addr in vh.addresses:
            groups.setdefault(str(addr), []).append(vh)
    ordered = sorted(groups.items(), key=lambda kv: kv[0].startswith(("*", "_default_")))
    for key, vhosts in ordered:
        if len(vhosts) == 1:
            vh = vhosts[0]
            lines.append(f"{key:<22} {vhost_name(config, vh)} ({vh.file}:{vh.line})")
            continue
        lines.append(f"{key:<22} is a NameVirtualHost")
        first = vhosts[0]
        lines.append(f"         default server {vhost_name(config, first)} "
                     f"({first.file}:{first.line})")
        for vh in vhosts:
            port = key.rsplit(":", 1)[1]
            lines.append(f"         port {port} namevhost {vhost_name(config, vh)} "
                         f"({vh.file}:{vh.line})")
            for alias in vh.scope.all("ServerAlias"):
                pos = 0
                while pos < len(alias.args):
                    word, pos = getword(alias.args, pos)
                    if word:
                        lines.append(f"                 alias {word}")
    return "\n".join(lines) + "\n"


def dump_run_cfg(config: ServerConfig) -> str:
    """core's ``dump_config`` (DUMP_RUN_CFG)."""
    main = config.main
    root = config.server_root
    docroot = _first_word(_last(main, "DocumentRoot")) or "/var/www/html"
    errlog = _first_word(_last(main, "ErrorLog")) or "logs/error_log"
    if not errlog.startswith(("|", "syslog")):
        errlog = os.path.join(root, errlog)
    pidfile = _first_word(_last(main, "PidFile")) or "logs/apyche.pid"
    pidfile = os.path.join(root, pidfile)
    lines = [f'ServerRoot: "{root}"',
             f'Main DocumentRoot: "{os.path.join(root, docroot)}"',
             f'Main ErrorLog: "{errlog}"',
             f'PidFile: "{pidfile}"']
    for name in config.defines:
        lines.append(f"Define: {name}")
    for name, value in config.define_vars:
        lines.append(f"Define: {name}={value}")
    for label, setting, lookup in (("User", _last(main, "User"), pwd.getpwnam),
                                   ("Group", _last(main, "Group"), grp.getgrnam)):
        name = _first_word(setting) if setting else "#-1"
        ident = 4294967295
        if name.startswith("#"):
            try:
                ident = int(name[1:]) & 0xFFFFFFFF
            except ValueError:
                pass
        else:
            try:
                entry = lookup(name)
                ident = entry[2]
            except KeyError:
                pass
        lines.append(f'{label}: name="{name}" id={ident}')
    return "\n".join(lines) + "\n"


def dump_modules(config: ServerConfig) -> str:
    """``ap_show_modules`` as -M prints it."""
    lines = ["Loaded Modules:"]
    for ident in config.modules:
        mod = modcat.BY_IDENT.get(ident)
        kind = "static" if mod is not None and mod.builtin else "shared"
        lines.append(f" {ident} ({kind})")
    return "\n".join(lines) + "\n"
