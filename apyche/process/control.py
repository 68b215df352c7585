"""``apyche -k start|stop|restart|graceful|graceful-stop`` and starting the
master (``ap_signal_server`` in server/mpm_unix.c, ``apr_proc_detach``).

* ``-k start`` (and ``restart``/``graceful`` when nothing runs) detaches: the
  master forks twice, calls setsid, points stdio at /dev/null; the command
  returns once the master has written its PidFile and started its workers.
  A running server named by the PidFile is refused: "httpd (pid N) already
  running".
* ``-k stop`` / ``restart`` / ``graceful`` / ``graceful-stop`` signal the
  pid in the PidFile (TERM, HUP, USR1, WINCH).
* without ``-k`` (and with ``-DFOREGROUND``) the master stays attached.
  Deviation: Apache detaches when run without ``-k``; apyche keeps its
  documented foreground behaviour there, and ``-k start`` detaches.
* ``-X``: one worker, no master, in the foreground (serve_cli.serve_config).
"""

from __future__ import annotations

import os
import signal
import sys
import time

SIGNALS = {"stop": signal.SIGTERM, "restart": signal.SIGHUP, "graceful": signal.SIGUSR1,
           "graceful-stop": signal.SIGWINCH}


def pidfile_path(config) -> str | None:
    """The PidFile: as configured (relative to ServerRoot), else
    ServerRoot/logs/httpd.pid when that directory exists, else none."""
    found = config.main.all("PidFile")
    if found:
        from ..config.words import getword
        path = getword(found[-1].args)[0]
    else:
        path = "logs/httpd.pid"
        if not os.path.isdir(os.path.join(config.server_root, "logs")):
            return None
    if not os.path.isabs(path):
        path = os.path.join(config.server_root, path)
    return path


def read_pid(path: str | None) -> int | None:
    if not path:
        return None
    try:
        with open(path) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def running_pid(path: str | None) -> int | None:
    pid = read_pid(path)
    if pid is None or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def signal_server(action: str, config) -> int | None:
    """ap_signal_server: act on a running server; None means "go on and start"."""
    path = pidfile_path(config)
    pid = running_pid(path)
    old = read_pid(path)
    status = ("httpd (no pid file) not running" if old is None
              else f"httpd (pid {old}?) not running")
    if action == "start":
        if pid is not None:
            print(f"httpd (pid {pid}) already running")
            return 0
        return None
    if action in ("stop", "graceful-stop"):
        if pid is None:
            print(status)
        else:
            os.kill(pid, SIGNALS[action])
        return 0
    if action in ("restart", "graceful"):
        if pid is None:
            print("httpd not running, trying to start")
            return None
        os.kill(pid, SIGNALS[action])
        return 0
    return None


def daemonize() -> int | None:
    """Detach (apr_proc_detach): fork, setsid, fork, stdio to /dev/null.

    Returns in the daemon (None) - and in the caller, the write end's peer
    fd to wait on is handled here: the original process waits for the
    daemon to say it is ready (or gone), then exits with its status.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid > 0:
        os.close(w)
        os.waitpid(pid, 0)
        deadline = time.monotonic() + 30
        data = b""
        import select
        while time.monotonic() < deadline:
            ready, _, _ = select.select([r], [], [], 0.5)
            if ready:
                data = os.read(r, 16)
                break
        os._exit(0 if data else 1)
    os.close(r)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)
    return w


def start(config, opts, *, loader, detach: bool) -> int:
    """Bind, (detach), run the master until it stops."""
    from ..serve_cli import accept_filters, bind, listen_addresses
    from .master import Master
    addresses = listen_addresses(config)
    if not addresses:
        sys.stderr.write("AH00015: Unable to open logs\nno listening sockets available, "
                         "shutting down\n")
        return 1

    filters = accept_filters(config)

    def bind_map(addrs):
        # a restart's new addresses get the startup filters first; the
        # master then applies the new config's (apply_accept_filters)
        socks = (bind(addrs, int(config.main.get("ListenBacklog", 511) or 511), filters)
                 if addrs else [])
        return dict(zip(addrs, socks))

    try:
        listeners = bind_map(addresses)
    except OSError as exc:
        sys.stderr.write(f"{exc.strerror}\nno listening sockets available, shutting down\n"
                         "AH00015: Unable to open logs\n")
        return 1
    ready_fd = daemonize() if detach else None
    pidfile = pidfile_path(config)
    argv0 = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "apyche"
    if argv0 in ("__main__.py", "-c"):
        argv0 = "apyche"
    command_line = " ".join([argv0] + sys.argv[1:])
    master = Master(config, loader=loader, bind=bind_map, command_line=command_line,
                    pidfile=pidfile, ready_fd=ready_fd,
                    reload=bool(getattr(opts, "reload", False)))
    try:
        master.setup(listeners)
    except OSError as exc:
        sys.stderr.write(f"apyche: cannot start: {exc}\n")
        return 1
    try:
        return master.run()
    except KeyboardInterrupt:
        return master.stop()
