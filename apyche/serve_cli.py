"""Serving from the command line: ``apyche -f CONF`` and ``apyche serve DIR``.

This module wires the layers together - config model -> ``Site`` (the
request pipeline) -> the HTTP protocol on bound sockets - and owns nothing
else.  ``apyche -f CONF`` (and ``-k ...``) runs the process model, a master
and its workers (apyche.process); ``-X`` and ``apyche serve`` serve in one
process (``serve_config``), as ``httpd -X`` does.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile

from .config.errors import ConfigError
from .config.model import ServerConfig
from .config.words import split_words


def listen_addresses(config: ServerConfig) -> list[tuple[str | None, int]]:
    """(host, port) of each Listen, in order, duplicates dropped."""
    out: list[tuple[str | None, int]] = []
    for s in config.main.all("Listen"):
        values = s.value if isinstance(s.value, tuple) else (s.value,)
        for v in values:
            host, port = getattr(v, "host", None), getattr(v, "port", None)
            if port is None:
                words = split_words(s.args)
                host, _, port = words[0].rpartition(":")
                port = int(port)
                host = host.strip("[]") or None
            if (host, port) not in out:
                out.append((host, port))
    return out


# core's accf_map where the OS has TCP_DEFER_ACCEPT rather than BSD accept
# filters (server/core.c create_core_server_config)
DEFAULT_ACCEPT_FILTERS = {"http": "data", "https": "data"}


def accept_filters(config: ServerConfig) -> dict[tuple[str | None, int], str | None]:
    """(host, port) of each Listen -> its AcceptFilter, None for "none" or
    a protocol without one (listen.c find_accf_name)."""
    table = dict(DEFAULT_ACCEPT_FILTERS)
    for s in config.main.all("AcceptFilter"):
        table.update(s.value)
    out: dict[tuple[str | None, int], str | None] = {}
    for s in config.main.all("Listen"):
        values = s.value if isinstance(s.value, tuple) else (s.value,)
        for v in values:
            proto = getattr(v, "proto", None)
            if proto is None:
                continue
            accf = table.get(proto)
            out.setdefault((v.host, v.port), None if accf in (None, "none") else accf)
    return out


def apply_accept_filters(config: ServerConfig, listeners) -> None:
    """Set each listening socket's accept filter again on a graceful
    restart (the directive may have changed for a socket it keeps).
    ``listeners``: {(host, port): socket}."""
    from .http.accept import set_accept_filter
    filters = accept_filters(config)
    for addr, sock in listeners.items():
        set_accept_filter(sock, filters.get(addr, DEFAULT_ACCEPT_FILTERS["http"]))


def bind(addresses, backlog: int = 511, filters=None) -> list[socket.socket]:
    """Bind every Listen address (``make_sock``): SO_REUSEADDR, IPv6 with
    IPV6_V6ONLY for an explicit v6 address, the wildcard on both.
    ``filters`` ({(host, port): accept filter}, see accept_filters) are set
    before listen(), so no connection arrives before its filter."""
    from .http.accept import set_accept_filter
    sockets = []
    for host, port in addresses:
        family = socket.AF_INET6 if host and ":" in host else socket.AF_INET
        bind_host = host if host not in (None, "*") else ("::" if socket.has_ipv6 else "0.0.0.0")
        if host in (None, "*") and socket.has_ipv6:
            family = socket.AF_INET6
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                                0 if host in (None, "*") else 1)
            sock.bind((bind_host, port))
            if filters is not None:
                set_accept_filter(sock, filters.get((host, port)))
            sock.listen(backlog)
            # Non-blocking for every process that shares it: O_NONBLOCK
            # belongs to the open file, and socket.dup() copies the timeout
            # of the object it dups (a blocking object would make every
            # worker's dup - and so the shared file - blocking again, and
            # a worker's accept() would then wait for the next client).
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            for s in sockets:
                s.close()
            where = f"{host or '0.0.0.0'}:{port}"
            raise OSError(exc.errno, f"(98)Address already in use: AH00072: make_sock: "
                          f"could not bind to address {where}"
                          if exc.errno == 98 else f"could not bind to address {where}: "
                          f"{exc.strerror}") from None
        sockets.append(sock)
    return sockets


def connection_policy(config: ServerConfig, banner: str, trace_check=None):
    from .http.limits import ConnectionPolicy
    from .config.directives.core import merge_http_protocol_options
    from .config.directives.sections import known_methods
    main = config.main
    trace = str(main.get("TraceEnable", "on") or "on").lower()

    def num(name, default):
        value = main.get(name, None)
        return default if value is None else value

    options = merge_http_protocol_options(None, main.get("HttpProtocolOptions", None))
    return ConnectionPolicy(
        keep_alive=bool(num("KeepAlive", True)),
        keep_alive_timeout=float(num("KeepAliveTimeout", 5.0)),
        max_keep_alive_requests=int(num("MaxKeepAliveRequests", 100)),
        timeout=float(num("Timeout", 60)),
        limit_request_line=int(num("LimitRequestLine", 8190)),
        limit_request_field_size=int(num("LimitRequestFieldsize", 8190)),
        limit_request_fields=int(num("LimitRequestFields", 100)),
        limit_request_body=int(num("LimitRequestBody", 1 << 30)),
        server_header=banner,
        trace_enable=trace != "off",
        trace_check=trace_check,
        strict=options.strict is not False,
        allow09=options.allow09 is not False,
        registered_methods=known_methods(config) if options.registered_methods else None)


def serve_config(config: ServerConfig, *, sockets=None, announce=None) -> int:
    """Serve *config* in the foreground until SIGTERM/SIGINT."""
    from .http.server import run
    from .server.site import Site
    site = Site(config)
    if sockets is None:
        addresses = listen_addresses(config)
        if not addresses:
            sys.stderr.write("AH00015: Unable to open logs\n"
                             "no listening sockets available, shutting down\n")
            return 1
        try:
            sockets = bind(addresses, filters=accept_filters(config))
        except OSError as exc:
            sys.stderr.write(f"{exc.strerror}\nno listening sockets available, "
                             "shutting down\nAH00015: Unable to open logs\n")
            return 1
    if announce:
        announce(sockets)
    board = _single_scoreboard(config, site)   # mod_status in the one-process modes
    try:
        run(sockets, site.handle, connection_policy(config, site.banner, site.trace_check),
            on_complete=site.log_access, error_response=site.protocol_error,
            scoreboard=board, on_loop=site.bind_loop)
    finally:
        site.logs.close()
        for s in sockets:
            s.close()
    return 0


def _single_scoreboard(config: ServerConfig, site):
    """A one-worker scoreboard for -X and ``apyche serve`` (Apache keeps one
    in -X too), installed for mod_status; the WorkerBoard is the protocol's
    scoreboard hook."""
    from .process.master import Limits, extended_status
    from .process.scoreboard import Scoreboard, WorkerBoard, site_vhost_namer
    from .process.status import StatusContext, install, server_built
    limits = Limits.from_config(config)
    sb = Scoreboard.create(1, limits.threads)
    sb.claim_process(0, os.getpid(), 0, limits.threads)
    board = WorkerBoard(sb, 0, limits.threads, extended=extended_status(config), generation=0)
    board.ready()
    if board.extended:
        board.vhost_of = site_vhost_namer(site)
    install(StatusContext(sb, mpm=limits.mpm, max_servers=1, threads_per_child=limits.threads,
                          extended=board.extended, built=server_built()))
    return board


def run_httpd_mode(opts) -> int:
    """``apyche [-f CONF] [-d ROOT] [-DFOREGROUND] [-X] [-k ACTION]``: the
    master and its workers (apyche.process); -X serves in one process."""
    from .cli import load, report_error, report_warnings
    try:
        config = load(opts)
    except ConfigError as err:
        report_error(err)
        return 1
    report_warnings(config.warnings)
    if not opts.debug:
        from .process import control
        if opts.signal is not None:
            done = control.signal_server(opts.signal, config)
            if done is not None:
                return done
        detach = opts.signal is not None and "FOREGROUND" not in opts.defines \
            and "NO_DETACH" not in opts.defines
        return control.start(config, opts, loader=lambda: load(opts), detach=detach)

    def announce(sockets):
        where = ", ".join(_addr(s) for s in sockets)
        sys.stderr.write(f"apyche: serving {config.config_file} on {where} "
                         "(foreground, one worker; Ctrl-C stops)\n")
    return serve_config(config, announce=announce)


def _addr(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


SERVE_TEMPLATE = """\
# Generated by `apyche serve`: the embedded defaults, serving one directory.
ServerName localhost
Listen {listen}
ErrorLog /dev/stderr
LogLevel warn
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog /dev/stdout common
TypesConfig "{types}"
AddDefaultCharset UTF-8
DirectoryIndex index.html index.htm
KeepAlive On
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
DocumentRoot "{root}"
<Directory "{root}">
    Options Indexes FollowSymLinks
    AllowOverride All
    Require all granted
</Directory>
<Files ".ht*">
    Require all denied
</Files>
"""


def serve_cmd(argv: list[str]) -> int:
    """``apyche serve [DIR] [--port N] [--bind ADDR]``: a zero-config dev server
    with Apache semantics (.htaccess honoured, listings on)."""
    from .cli import report_error, report_warnings
    from .config.walk import load_config
    from .resources import data_dir
    p = argparse.ArgumentParser(prog="apyche serve")
    p.add_argument("directory", nargs="?", default=".")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--bind", default="127.0.0.1")
    opts = p.parse_args(argv)
    root = os.path.abspath(opts.directory)
    if not os.path.isdir(root):
        sys.stderr.write(f"apyche serve: {root} is not a directory\n")
        return 1
    listen = f"[{opts.bind}]:{opts.port}" if ":" in opts.bind else f"{opts.bind}:{opts.port}"
    text = SERVE_TEMPLATE.format(listen=listen, root=root,
                                 types=data_dir("conf.d") / "mime.types")
    with tempfile.TemporaryDirectory(prefix="apyche-serve-") as tmp:
        conf = os.path.join(tmp, "httpd.conf")
        with open(conf, "w") as fh:
            fh.write(text)
        try:
            config = load_config(conf, tmp)
        except ConfigError as err:
            report_error(err)
            return 1
        report_warnings(config.warnings)

        def announce(sockets):
            sys.stderr.write(f"apyche: serving {root} on "
                             f"{', '.join(_addr(s) for s in sockets)} (Ctrl-C stops)\n")
        return serve_config(config, announce=announce)


def explain_cmd(argv: list[str]) -> int:
    from .explain import main
    return main(argv)
