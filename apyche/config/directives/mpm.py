"""MPM directives: mpm_common (declared in server/core.c, module core),
the listener commands every MPM includes (include/ap_listen.h
``LISTEN_COMMANDS``, server/listen.c), GracefulShutdownTimeout
(include/mpm_common.h) and the event/worker/prefork tables.

Apache attaches Listen & co. and StartServers/ServerLimit/... to *each*
MPM module, with per-MPM help text (prefork's MaxRequestWorkers counts
children, event's threads).  A registry entry holds one module, so
``DIRECTIVES`` carries the event variant (apyche's default MPM) for the
names all MPMs share, with ``module`` listing every MPM that declares the
name (space-separated, as the walker's lookup expects);
``MPM_VARIANTS[mpm_ident]`` gives each MPM's own table (prefork's help for
MaxRequestWorkers/ServerLimit and its defaults differ) so the walker can
pick the entry of the MPM actually loaded with ``for_mpm``.
"""

from __future__ import annotations

from ..registry import GLOBAL_ONLY, RSRC_CONF, ArgForm, Cmd, Directive
import socket

from ..values import (
    AddrPortError, ListenAddr, c_atoi, c_strtod, c_strtol, inet_pton4,
    inet_pton6, parse_addr_port,
)
from ._util import (
    DirectiveError, globals_, info, is_directory, mpm, relative, warn,
)

CORE = "core_module"
EVENT = "mpm_event_module"
WORKER = "mpm_worker_module"
PREFORK = "mpm_prefork_module"


# --- mpm_common (server/mpm_common.c, declared in core.c) -----------------

def set_pidfile(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    if cmd.is_virtual:
        raise DirectiveError("PidFile directive not allowed in <VirtualHost>")
    return arg


def set_max_requests(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    if cmd.name.lower() == "maxrequestsperchild":
        info(cmd, "AH00545: MaxRequestsPerChild is deprecated, use "
                  "MaxConnectionsPerChild instead.")
    return c_atoi(arg)


def set_coredumpdir(cmd: Cmd, arg: str):
    import os
    cmd.check_context(GLOBAL_ONLY)
    fname = relative(cmd, arg)
    if not os.path.exists(fname):
        raise DirectiveError(f"CoreDumpDirectory {fname} does not exist")
    if not is_directory(fname):
        raise DirectiveError(f"CoreDumpDirectory {fname} is not a directory")
    return fname


def _strtol_nonneg(label: str):
    def handler(cmd: Cmd, arg: str):
        cmd.check_context(GLOBAL_ONLY)
        value, _ = c_strtol(arg)
        value = value or 0
        if value < 0 or value > (1 << 63) - 1:
            raise DirectiveError(f"Invalid {label} value: {arg}")
        return value
    return handler


def set_graceful_shutdown(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    return c_atoi(arg)


# --- listeners (server/listen.c) ------------------------------------------

def set_listener(cmd: Cmd, *argv: str):
    """ap_set_listener + alloc_listener's duplicate check."""
    cmd.check_context(GLOBAL_ONLY)
    if len(argv) < 1 or len(argv) > 2:
        raise DirectiveError("Listen requires 1 or 2 arguments.")
    try:
        host, scope, port = parse_addr_port(argv[0])
    except AddrPortError:
        raise DirectiveError("Invalid address or port") from None
    if host == "*":
        host = None
    if not port:
        raise DirectiveError("Port must be specified")
    if len(argv) != 2:
        proto = "https" if port == 443 else "http"
    else:
        proto = argv[1].lower()
    if host is not None and not (inet_pton4(host) or inet_pton6(host)):
        # alloc_listener: apr_sockaddr_info_get resolves the name now.
        try:
            socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            code = abs(getattr(exc, "errno", 0) or 0)
            text = getattr(exc, "strerror", None) or str(exc)
            warn(cmd, f"(EAI {code}){text}: AH00077: alloc_listener: failed "
                      f"to set up sockaddr for {host}")
            raise DirectiveError("Listen setup failed") from None
    g = globals_(cmd)
    seen = g.setdefault("listen", set()) if isinstance(g, dict) else set()
    key = (host, port, scope)
    if key in seen:
        raise DirectiveError("Cannot define multiple Listeners on the same IP:port")
    seen.add(key)
    return (ListenAddr(host, port, proto, scope),)


def _positive(label: str):
    def handler(cmd: Cmd, arg: str):
        cmd.check_context(GLOBAL_ONLY)
        b = c_atoi(arg)
        if b < 1:
            raise DirectiveError(f"{label} must be > 0")
        return b
    return handler


def _buffer_size(label: str):
    def handler(cmd: Cmd, arg: str):
        s = c_atoi(arg)
        cmd.check_context(GLOBAL_ONLY)
        if s < 512 and s != 0:
            raise DirectiveError(
                f"{label} must be >= 512 bytes, or 0 for system default.")
        return s
    return handler


# --- event / worker / prefork ---------------------------------------------

def set_int_global(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    return c_atoi(arg)


def set_max_workers(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    if cmd.name.lower() == "maxclients":
        which = mpm(cmd)
        code = "AH00188" if which == PREFORK else (
            "AH00324" if which == WORKER else "AH00521")
        info(cmd, f"{code}: MaxClients is deprecated, use MaxRequestWorkers "
                  "instead.")
    return c_atoi(arg)


def set_worker_factor(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    val, rest = c_strtod(arg)
    if val is None:
        val, rest = 0.0, arg
    if rest:
        raise DirectiveError("error parsing value")
    if val <= 0:
        raise DirectiveError(
            "AsyncRequestWorkerFactor argument must be a positive number")
    return val


def _listen_commands(module: str) -> tuple[Directive, ...]:
    return (
        Directive("ListenBacklog", module, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum length of the queue of pending connections, as "
                  "used by listen(2)", _positive("ListenBacklog"), default=511),
        Directive("ListenCoresBucketsRatio", module, ArgForm.TAKE1, RSRC_CONF,
                  "Ratio between the number of CPU cores (online) and the "
                  "number of listeners buckets",
                  _positive("ListenCoresBucketsRatio"), default=0),
        Directive("Listen", module, ArgForm.TAKE_ARGV, RSRC_CONF,
                  "A port number or a numeric IP address and a port number, "
                  "and an optional protocol", set_listener, merge="append",
                  default=()),
        Directive("SendBufferSize", module, ArgForm.TAKE1, RSRC_CONF,
                  "Send buffer size in bytes", _buffer_size("SendBufferSize"),
                  default=0),
        Directive("ReceiveBufferSize", module, ArgForm.TAKE1, RSRC_CONF,
                  "Receive buffer size in bytes",
                  _buffer_size("ReceiveBufferSize"), default=0),
        Directive("GracefulShutdownTimeout", module, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum time in seconds to wait for child processes to "
                  "complete transactions during shutdown",
                  set_graceful_shutdown, default=0),
    )


_START = "Number of child processes launched at server startup"
_DEPRECATED = "Deprecated name of MaxRequestWorkers"


def _threaded(module: str, *, event: bool) -> tuple[Directive, ...]:
    """event.c / worker.c tables (same names and help, event adds
    AsyncRequestWorkerFactor).  Defaults are the compiled-in ones."""
    out = _listen_commands(module) + (
        Directive("StartServers", module, ArgForm.TAKE1, RSRC_CONF, _START,
                  set_int_global, default=3),
        Directive("ServerLimit", module, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum number of child processes for this run of Apache",
                  set_int_global, default=16),
        Directive("MinSpareThreads", module, ArgForm.TAKE1, RSRC_CONF,
                  "Minimum number of idle threads, to handle request spikes",
                  set_int_global, default=75),
        Directive("MaxSpareThreads", module, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum number of idle threads", set_int_global,
                  default=250),
        Directive("MaxClients", module, ArgForm.TAKE1, RSRC_CONF, _DEPRECATED,
                  set_max_workers),
        Directive("MaxRequestWorkers", module, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum number of threads alive at the same time",
                  set_max_workers, default=400),
        Directive("ThreadsPerChild", module, ArgForm.TAKE1, RSRC_CONF,
                  "Number of threads each child creates", set_int_global,
                  default=25),
        Directive("ThreadLimit", module, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum number of worker threads per child process for "
                  "this run of Apache - Upper limit for ThreadsPerChild",
                  set_int_global, default=64),
    )
    if event:
        out += (
            Directive("AsyncRequestWorkerFactor", module, ArgForm.TAKE1,
                      RSRC_CONF, "How many additional connects will be "
                      "accepted per idle worker thread", set_worker_factor,
                      default=2.0),
        )
    return out


def _prefork() -> tuple[Directive, ...]:
    m = PREFORK
    return _listen_commands(m) + (
        Directive("StartServers", m, ArgForm.TAKE1, RSRC_CONF, _START,
                  set_int_global, default=5),
        Directive("MinSpareServers", m, ArgForm.TAKE1, RSRC_CONF,
                  "Minimum number of idle children, to handle request spikes",
                  set_int_global, default=5),
        Directive("MaxSpareServers", m, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum number of idle children", set_int_global,
                  default=10),
        Directive("MaxClients", m, ArgForm.TAKE1, RSRC_CONF, _DEPRECATED,
                  set_max_workers),
        Directive("MaxRequestWorkers", m, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum number of children alive at the same time",
                  set_max_workers, default=256),
        Directive("ServerLimit", m, ArgForm.TAKE1, RSRC_CONF,
                  "Maximum value of MaxRequestWorkers for this run of Apache",
                  set_int_global, default=256),
    )


MPM_VARIANTS: dict[str, dict[str, Directive]] = {
    EVENT: {d.key: d for d in _threaded(EVENT, event=True)},
    WORKER: {d.key: d for d in _threaded(WORKER, event=False)},
    PREFORK: {d.key: d for d in _prefork()},
}


def for_mpm(name: str, mpm_ident: str) -> Directive | None:
    """The entry *name* has under MPM *mpm_ident* (None: unknown there)."""
    return MPM_VARIANTS.get(mpm_ident, {}).get(name.lower())


MPM_COMMON = (
    Directive("PidFile", CORE, ArgForm.TAKE1, RSRC_CONF,
              "A file for logging the server process ID", set_pidfile,
              default="/run/apache2.pid"),
    Directive("MaxRequestsPerChild", CORE, ArgForm.TAKE1, RSRC_CONF,
              "Maximum number of connections a particular child serves "
              "before dying. (DEPRECATED, use MaxConnectionsPerChild)",
              set_max_requests),
    Directive("MaxConnectionsPerChild", CORE, ArgForm.TAKE1, RSRC_CONF,
              "Maximum number of connections a particular child serves "
              "before dying.", set_max_requests, default=0),
    Directive("CoreDumpDirectory", CORE, ArgForm.TAKE1, RSRC_CONF,
              "The location of the directory Apache changes to before "
              "dumping core", set_coredumpdir),
    Directive("MaxMemFree", CORE, ArgForm.TAKE1, RSRC_CONF,
              "Maximum number of 1k blocks a particular child's allocator "
              "may hold.", _strtol_nonneg("MaxMemFree"), default=2048),
    Directive("ThreadStackSize", CORE, ArgForm.TAKE1, RSRC_CONF,
              "Size in bytes of stack used by threads handling client "
              "connections", _strtol_nonneg("ThreadStackSize"), default=0),
)

ALL_MPMS = f"{EVENT} {WORKER} {PREFORK}"
THREADED = f"{EVENT} {WORKER}"


def _shared(name: str, modules: str) -> Directive:
    """The event entry, declared for every MPM in *modules* (the walker's
    lookup accepts a space-separated module list)."""
    src = MPM_VARIANTS[EVENT].get(name.lower()) or MPM_VARIANTS[PREFORK][name.lower()]
    return Directive(src.name, modules, src.how, src.where, src.help,
                     src.handler, merge=src.merge, default=src.default)


_SHARED = {
    "ListenBacklog": ALL_MPMS, "ListenCoresBucketsRatio": ALL_MPMS,
    "Listen": ALL_MPMS, "SendBufferSize": ALL_MPMS,
    "ReceiveBufferSize": ALL_MPMS, "GracefulShutdownTimeout": ALL_MPMS,
    "StartServers": ALL_MPMS, "ServerLimit": ALL_MPMS,
    "MaxClients": ALL_MPMS, "MaxRequestWorkers": ALL_MPMS,
    "MinSpareThreads": THREADED, "MaxSpareThreads": THREADED,
    "ThreadsPerChild": THREADED, "ThreadLimit": THREADED,
    "AsyncRequestWorkerFactor": EVENT,
    "MinSpareServers": PREFORK, "MaxSpareServers": PREFORK,
}

DIRECTIVES = MPM_COMMON + tuple(_shared(n, m) for n, m in _SHARED.items())

# Deprecated spellings and the directive whose setting they write (the
# same handler in Apache; the last of either wins).  Apache notes the
# deprecation at LogLevel info only (AH00521/AH00324/AH00188, AH00545).
DEPRECATED_ALIASES = {
    "maxclients": "MaxRequestWorkers",
    "maxrequestsperchild": "MaxConnectionsPerChild",
}
