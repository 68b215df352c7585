"""The command line: httpd's options, plus apyche's own subcommands.

``apyche [-d SERVERROOT] [-f FILE] [-C DIRECTIVE] [-c DIRECTIVE] [-D NAME]
[-t] [-S] [-M] [-v] [-V] [-k start|stop|restart|graceful|graceful-stop] [-X]``
behaves as ``httpd``/``apache2`` does, so scripts and habits carry over.
Subcommands: ``configtest`` (as ``apachectl configtest``), ``serve``,
``explain``, ``logresolve`` (as Apache's, resolving concurrently).

Output: Apache's plain lines when stderr is not a terminal (scripts grep
"Syntax OK" and "Syntax error on line"); on a terminal the same lines
followed by the offending line in context (rich).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import SERVER_VERSION, __version__
from .config.errors import ConfigError
from .resources import default_config

SUBCOMMANDS = ("configtest", "serve", "explain", "logresolve", "status")


def _argv0() -> str:
    return "apyche"


def _httpd_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="apyche", add_help=False,
        description="apyche: a web server that runs on Apache httpd 2.4 configuration.")
    p.add_argument("-d", dest="server_root", metavar="SERVERROOT",
                   help="alternate initial ServerRoot")
    p.add_argument("-f", dest="config", metavar="FILE",
                   help="alternate ServerConfigFile (default: the embedded conf.d/httpd.conf)")
    p.add_argument("-C", dest="pre", action="append", default=[], metavar="DIRECTIVE",
                   help="process directive before reading config files")
    p.add_argument("-c", dest="post", action="append", default=[], metavar="DIRECTIVE",
                   help="process directive after reading config files")
    p.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME",
                   help="define a name for use in <IfDefine name> directives")
    p.add_argument("-e", dest="level", metavar="LEVEL", help="show startup errors of level")
    p.add_argument("-E", dest="startup_log", metavar="FILE", help="log startup errors to file")
    p.add_argument("-k", dest="signal",
                   choices=["start", "restart", "graceful", "graceful-stop", "stop"])
    p.add_argument("-t", dest="test", action="store_true", help="run syntax check for config files")
    p.add_argument("-S", dest="vhosts", action="store_true",
                   help="a synonym for -t -D DUMP_VHOSTS -D DUMP_RUN_CFG")
    p.add_argument("-M", dest="modules", action="store_true",
                   help="a synonym for -t -D DUMP_MODULES")
    p.add_argument("-v", dest="version", action="store_true", help="show version number")
    p.add_argument("-V", dest="compile_settings", action="store_true",
                   help="show compile settings")
    p.add_argument("-X", dest="debug", action="store_true",
                   help="debug mode (only one worker, do not detach)")
    p.add_argument("-h", "-?", dest="help", action="store_true", help="list available command line options")
    p.add_argument("--reload", action="store_true",
                   help="(apyche) watch the config files and restart gracefully when one "
                        "changes; a broken edit is reported and the last good config keeps "
                        "serving")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return _subcommand(argv[0], argv[1:])
    parser = _httpd_parser()
    try:
        opts = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 1)
    if opts.help:
        parser.print_help()
        return 0
    if opts.version:
        print(f"Server version: {SERVER_VERSION} (apyche {__version__})")
        print(f"Server built:   apyche {__version__} (Python {sys.version.split()[0]})")
        return 0
    if opts.compile_settings:
        return _show_compile_settings()
    if opts.vhosts:
        opts.defines += ["DUMP_VHOSTS", "DUMP_RUN_CFG"]
    if opts.modules:
        opts.defines += ["DUMP_MODULES"]
    if opts.test or opts.vhosts or opts.modules:
        # Only -t is a config *test* ("Syntax OK"); -S and -M are dumps.
        return configtest(opts, env=dict(os.environ), say_ok=opts.test)
    from .serve_cli import run_httpd_mode  # the serving layers load only when serving
    return run_httpd_mode(opts)


def resolve_paths(opts) -> tuple[str, str]:
    """(config file, server root) as httpd picks them.

    Without -f, the embedded default config (conf.d/httpd.conf) with its own
    directory as ServerRoot.  A relative -f is relative to ServerRoot.
    Deliberate deviation: without -d, ServerRoot defaults to the directory
    of the -f file rather than a compiled-in path.
    """
    if opts.config is None:
        conf = default_config()
        root = opts.server_root or str(conf.parent)
        return str(conf), os.path.abspath(root)
    root = opts.server_root
    config = opts.config
    if root is None:
        root = os.path.dirname(os.path.abspath(config)) if os.path.isabs(config) or \
            os.path.exists(config) else os.getcwd()
    root = os.path.abspath(root)
    if not os.path.isabs(config):
        config = os.path.normpath(os.path.join(root, config))
    return config, root


def load(opts, env: dict[str, str] | None = None, dump_includes=None):
    from .config.walk import load_config
    config_file, root = resolve_paths(opts)
    if opts.config is None:
        env = dict(os.environ if env is None else env)
        env.setdefault("APYCHE_ROOT", str(default_config().parent))
    return load_config(config_file, root, defines=list(opts.defines), env=env,
                       pre=list(opts.pre), post=list(opts.post),
                       dump_includes=dump_includes)


def configtest(opts, env: dict[str, str] | None = None, say_ok: bool = True) -> int:
    """``-t``: Syntax OK (exit 0) or Apache's error (exit 1)."""
    dumps = set(opts.defines)
    if "DUMP_INCLUDES" in dumps:
        print("Included configuration files:")
    try:
        config = load(opts, env=env,
                      dump_includes=print if "DUMP_INCLUDES" in dumps else None)
    except ConfigError as err:
        report_error(err)
        return 1
    report_warnings(config.warnings)
    if "DUMP_VHOSTS" in dumps or "DUMP_RUN_CFG" in dumps:
        from .config.summary import dump_run_cfg, dump_vhosts
        if "DUMP_VHOSTS" in dumps:
            sys.stdout.write(dump_vhosts(config))
        if "DUMP_RUN_CFG" in dumps:
            sys.stdout.write(dump_run_cfg(config))
    if "DUMP_MODULES" in dumps:
        from .config.summary import dump_modules
        sys.stdout.write(dump_modules(config))
    if getattr(opts, "lint", False):
        from .config.lint import lint, render_findings
        findings = lint(config)
        render_findings(findings, sys.stderr)
    broken = []
    if getattr(opts, "htaccess", False):
        from .config.htcheck import check_htaccess_files
        broken = check_htaccess_files(config)
        for err in broken:
            _write_err(f"htaccess: {err.message}\n")
    _fqdn_notice(config)
    if say_ok:
        _write_err("Syntax OK\n")
    if broken:
        _write_err(f"htaccess: {len(broken)} .htaccess file(s) would answer 500/403 "
                   "(Apache finds these only when a request hits them)\n")
        if getattr(opts, "strict", False):
            return 1
    return 0


def _fqdn_notice(config) -> None:
    """AH00558, printed when the main server has no ServerName (as Apache)."""
    if config.main.get("ServerName") is not None:
        return
    import socket
    name = socket.gethostname()
    try:
        fqdn = socket.getfqdn(name)
    except OSError:
        fqdn = name
    if "." in fqdn:
        return
    try:
        addr = socket.gethostbyname(name)
    except OSError:
        addr = "127.0.0.1"
    _write_err(f"AH00558: {_argv0()}: Could not reliably determine the server's "
               f"fully qualified domain name, using {addr}. Set the 'ServerName' "
               "directive globally to suppress this message\n")


def _write_err(text: str) -> None:
    sys.stderr.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stderr.flush()


def report_warnings(warnings) -> None:
    """Warnings in Apache's startup log shape (ap_log_error to stderr)."""
    import time
    now = time.time()
    stamp = time.strftime("%a %b %d %H:%M:%S", time.localtime(now))
    stamp += f".{int(now % 1 * 1e6):06d} {time.strftime('%Y', time.localtime(now))}"
    pid = os.getpid()
    for w in warnings:
        if w.startup:
            _write_err(w.text() + "\n")
        else:
            _write_err(f"[{stamp}] [{w.module}:{w.level}] [pid {pid}:tid {pid}] {w.text()}\n")


def report_error(err: ConfigError) -> None:
    report_warnings(getattr(err, "warnings", ()))
    _write_err(err.apache_text(_argv0()) + "\n")
    if sys.stderr.isatty() and err.file and err.line:
        _show_context(err)


def _show_context(err: ConfigError) -> None:
    """The offending line in context, with a marker (terminal only)."""
    try:
        from rich.console import Console
        from rich.syntax import Syntax
        lines = Path(err.file).read_text(errors="replace").splitlines()
    except (OSError, ImportError):
        return
    start = max(1, err.line - 3)
    end = min(len(lines), err.line + 3)
    console = Console(stderr=True)
    console.print(Syntax("\n".join(lines[start - 1:end]), "apacheconf",
                         line_numbers=True, start_line=start,
                         highlight_lines={err.line}, word_wrap=True),
                  )
    console.print(f"[bold red]{'^' * 3}[/] {err.file}:{err.line}")


def _show_compile_settings() -> int:
    print(f"Server version: {SERVER_VERSION} (apyche {__version__})")
    print(f"Server built:   apyche {__version__}")
    print("Architecture:   64-bit")
    print("Server MPM:     event (asyncio workers)")
    print("Server compiled with....")
    print(f' -D SERVER_CONFIG_FILE="{default_config()}"')
    print(' -D DEFAULT_ERRORLOG="logs/error_log"')
    print(' -D AP_TYPES_CONFIG_FILE="mime.types"')
    return 0


def _subcommand(name: str, argv: list[str]) -> int:
    if name == "configtest":
        return _configtest_cmd(argv)
    if name == "logresolve":
        from .logresolve import main as logresolve_main
        return logresolve_main(argv, prog="apyche logresolve")
    if name == "status":
        from .process.status_cli import main as status_main
        return status_main(argv)
    from .serve_cli import explain_cmd, serve_cmd
    if name == "serve":
        return serve_cmd(argv)
    return explain_cmd(argv)


def _configtest_cmd(argv: list[str]) -> int:
    """``apyche configtest``: as ``apachectl configtest``.

    Like apache2ctl, it reads an ``envvars`` file beside the config (Debian's
    APACHE_RUN_USER and friends) before testing.
    """
    p = argparse.ArgumentParser(prog="apyche configtest")
    p.add_argument("-f", dest="config")
    p.add_argument("-d", dest="server_root")
    p.add_argument("-D", dest="defines", action="append", default=[])
    p.add_argument("-C", dest="pre", action="append", default=[])
    p.add_argument("-c", dest="post", action="append", default=[])
    p.add_argument("--lint", action="store_true",
                   help="also report what the config costs per request (the "
                        "Performance Notes' advice)")
    p.add_argument("--no-htaccess", dest="htaccess", action="store_false",
                   help="do not parse the .htaccess files under the document roots")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when an .htaccess file is broken (Apache's verdict "
                        "ignores them)")
    p.add_argument("--no-envvars", action="store_true",
                   help="do not read the envvars file beside the config")
    opts = p.parse_args(argv)
    env = dict(os.environ)
    config_file, _root = resolve_paths(opts)
    envvars = os.path.join(os.path.dirname(config_file), "envvars")
    if not opts.no_envvars and os.path.isfile(envvars):
        env.update(read_envvars(envvars, env))
    return configtest(opts, env=env)


def read_envvars(path: str, base: dict[str, str]) -> dict[str, str]:
    """Source *path* with /bin/sh as apache2ctl does; return what it exports."""
    import subprocess
    try:
        out = subprocess.run(["/bin/sh", "-c", '. "$1" >/dev/null 2>&1; env -0', "sh", path],
                             env=base, capture_output=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    result = {}
    for item in out.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            result[key.decode(errors="surrogateescape")] = value.decode(errors="surrogateescape")
    return result
