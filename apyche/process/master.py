"""The master process: listeners, PidFile, scoreboard, and workers.

The master reads the configuration, binds every Listen socket, writes the
PidFile, creates the shared scoreboard and forks the workers; it never
serves a request.  Its loop reads like gunicorn's arbiter (a list of
verbs), with Apache's meaning for every signal:

    wait for a signal or the next tick -> handle it -> reap workers ->
    every second: maintain the worker count (SpawnPolicy)

Signals (server/mpm/event/event.c, prefork.c):

=========  =====================================================================
TERM, INT  stop: workers get SIGTERM, stragglers SIGKILL after 3 s (AH00491)
HUP        restart: stop all workers, re-read the config, start afresh (AH00494)
USR1       graceful restart: re-read the config, old workers finish their
           requests (SIGUSR1) while new ones accept (AH00493)
WINCH      graceful stop: workers finish, then the master exits (AH00492)
CHLD       a worker exited: reaped; the error log says why when it was a
           crash (AH00052 "child pid N exit signal Segmentation fault (11)")
=========  =====================================================================

A restart whose configuration does not load (or whose Listen sockets do not
bind) keeps the running configuration, logs why, and still reopens the logs
and renews the workers, so log rotation keeps working.

Worker counts - the mapping of Apache's directives to async workers
(a "worker slot" is one concurrent connection):

* prefork: a worker holds one connection at a time, as a prefork child
  does; StartServers, Min/MaxSpareServers (idle workers), ServerLimit and
  MaxRequestWorkers (workers) keep their meaning exactly.
* event/worker: a worker holds up to ThreadsPerChild connections, as a
  child's threads do; Min/MaxSpareThreads count idle connection slots,
  StartServers and ServerLimit count workers, MaxRequestWorkers caps the
  connections of all workers together (and so the workers:
  MaxRequestWorkers / ThreadsPerChild).
"""

from __future__ import annotations

import errno
import os
import select
import signal
import sys
import time
from dataclasses import dataclass

from ..logs.errorlog import ERROR, INFO, NOTICE, WARN
from .scoreboard import Scoreboard
from .spawn import SpawnPolicy

TICK = 1.0                 # maintenance interval (Apache's one second)
RECLAIM_TIMEOUT = 3.0      # SIGTERM -> SIGKILL for workers that do not stop

_SIGNAL_NAMES = {signal.SIGTERM: "TERM", signal.SIGINT: "INT", signal.SIGHUP: "HUP",
                 signal.SIGUSR1: "USR1", signal.SIGWINCH: "WINCH", signal.SIGCHLD: "CHLD"}


@dataclass
class Limits:
    """The MPM directives, resolved as the MPM's post_config does."""

    mpm: str
    start: int
    server_limit: int
    threads: int                # worker slots per worker
    thread_limit: int           # scoreboard slots per worker
    daemons_limit: int          # workers at most (ap_daemons_limit)
    max_request_workers: int
    min_spare: int
    max_spare: int
    max_connections_per_child: int
    graceful_timeout: float

    @classmethod
    def from_config(cls, config) -> "Limits":
        main = config.main
        mpm = config.mpm or "event"

        def num(name, default):
            value = main.get(name, None)
            return default if value is None else int(value)

        mcpc = num("MaxConnectionsPerChild", 0)
        grace = float(num("GracefulShutdownTimeout", 0))
        if mpm == "prefork":
            server_limit = max(1, num("ServerLimit", 256))
            mrw = max(1, min(num("MaxRequestWorkers", 256), server_limit))
            min_spare = max(1, num("MinSpareServers", 5))
            max_spare = max(num("MaxSpareServers", 10), min_spare + 1)
            start = max(1, min(num("StartServers", 5), mrw))
            return cls(mpm, start, server_limit, 1, 1, mrw, mrw, min_spare, max_spare, mcpc, grace)
        server_limit = max(1, num("ServerLimit", 16))
        thread_limit = max(1, num("ThreadLimit", 64))
        threads = max(1, min(num("ThreadsPerChild", 25), thread_limit))
        mrw = max(threads, num("MaxRequestWorkers", 400))
        daemons = max(1, min(mrw // threads, server_limit))
        mrw = daemons * threads
        min_spare = max(1, num("MinSpareThreads", 75))
        max_spare = max(num("MaxSpareThreads", 250), min_spare + threads)
        start = max(1, min(num("StartServers", 3), daemons))
        return cls(mpm, start, server_limit, threads, max(thread_limit, threads), daemons, mrw,
                   min_spare, max_spare, mcpc, grace)


@dataclass
class Child:
    pid: int
    slot: int
    generation: int
    graceful_since: float | None = None   # asked to stop gracefully at
    terminated: bool = False


def _file_signatures(config) -> dict[str, tuple | None]:
    """(size, mtime, inode) of each file the config read; None if gone."""
    out: dict[str, tuple | None] = {}
    for included in getattr(config, "files", ()):
        path = getattr(included, "path", included)
        try:
            st = os.stat(path)
            out[path] = (st.st_size, st.st_mtime_ns, st.st_ino)
        except OSError:
            out[path] = None
    return out


class Master:
    def __init__(self, config, *, loader, bind, command_line: str = "apyche",
                 pidfile: str | None = None, foreground: bool = True,
                 ready_fd: int | None = None, reload: bool = False) -> None:
        self.config = config
        # --reload (dev server): watch every file the config read and do a
        # graceful restart when one changes; a broken edit keeps serving.
        self.watch = reload
        self._watched = _file_signatures(config) if reload else {}
        self.loader = loader              # () -> ServerConfig (raises ConfigError)
        self.bind = bind                  # [(host, port)] -> {(host, port): socket}
        self.command_line = command_line
        self.pidfile = pidfile
        self.ready_fd = ready_fd
        self.children: dict[int, Child] = {}
        self.signals: list[int] = []
        self.generation = 0               # MPM generation
        self.config_generation = 1
        self.listeners: dict = {}
        self.site = None
        self.retired_sites: list = []     # (generation, site): closed when that generation is gone
        self.limits = Limits.from_config(config)
        self.policy = SpawnPolicy(self.limits.min_spare, self.limits.max_spare, self.limits.mpm)
        self.scoreboard: Scoreboard | None = None
        self._wake_r = self._wake_w = -1
        self._next_tick = 0.0
        self._exit_code = 0

    # -- logging -------------------------------------------------------------------
    @property
    def error_log(self):
        return self.site.logs.error[0]

    @property
    def mpm_module(self) -> str:
        return f"mpm_{self.limits.mpm}"

    def log(self, level: int, module: str, message: str, code=None) -> None:
        try:
            self.error_log.log(level, module, message, code=code)
        except Exception:
            sys.stderr.write(message + "\n")

    # -- setup -----------------------------------------------------------------------
    def setup(self, sockets: dict) -> None:
        """Listeners bound already (so errors reach the terminal); build the
        pipeline the workers inherit, the scoreboard, the signal pipe."""
        from ..server.site import Site
        self.listeners = sockets
        lim = self.limits
        self.scoreboard = Scoreboard.create(lim.server_limit, lim.thread_limit)
        self.site = Site(self.config)
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
            os.set_inheritable(fd, False)
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        for sig in _SIGNAL_NAMES:
            signal.signal(sig, self._on_signal)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        self.write_pidfile()
        self.announce()

    def _on_signal(self, signum, frame) -> None:
        # handlers only queue: the loop does the work (gunicorn's SIG_QUEUE).
        # SIGCHLD only wakes the loop (the wakeup fd); it reaps every tick.
        if signum != signal.SIGCHLD and signum not in self.signals and len(self.signals) < 8:
            self.signals.append(signum)

    def announce(self) -> None:
        from .status import server_built, server_description
        self.log(NOTICE, self.mpm_module, f"{server_description()} configured -- resuming "
                 "normal operations", code=163 if self.limits.mpm == "prefork" else 489)
        self.log(INFO, self.mpm_module, f"Server built: {server_built()}",
                 code=164 if self.limits.mpm == "prefork" else 490)
        self.log(NOTICE, "core", f"Command line: '{self.command_line}'", code=94)

    def write_pidfile(self) -> None:
        if not self.pidfile:
            return
        tmp = f"{self.pidfile}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        os.replace(tmp, self.pidfile)

    def remove_pidfile(self) -> None:
        if not self.pidfile:
            return
        try:
            with open(self.pidfile) as fh:
                if int(fh.read().strip() or 0) != os.getpid():
                    return
            os.unlink(self.pidfile)
            self.log(INFO, "core", f"removed PID file {self.pidfile} (pid={os.getpid()})", code=96)
        except (OSError, ValueError):
            pass

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> int:
        """Start the workers and supervise them until a stop."""
        self.spawn(self.limits.start)
        if self.ready_fd is not None:
            try:
                os.write(self.ready_fd, b"1")
                os.close(self.ready_fd)
            except OSError:
                pass
            self.ready_fd = None
        self._next_tick = time.monotonic() + TICK
        while True:
            sig = self.wait_for_signal()
            if sig is not None:
                outcome = self.handle_signal(sig)
                if outcome is not None:
                    return outcome
            self.reap_workers()
            if time.monotonic() >= self._next_tick:
                self._next_tick = time.monotonic() + TICK
                self.maintain()
                if self.watch and self._config_changed():
                    self.signals.append(signal.SIGUSR1)

    def _config_changed(self) -> bool:
        """--reload: did any file the running config read change?"""
        now = _file_signatures(self.config)
        if now == self._watched:
            return False
        self._watched = now
        self.log(NOTICE, "core", "configuration file changed: doing a graceful restart (--reload)")
        return True

    def wait_for_signal(self) -> int | None:
        """The next queued signal, or None after the tick's timeout."""
        if self.signals:
            return self.signals.pop(0)
        timeout = max(0.0, self._next_tick - time.monotonic())
        try:
            select.select([self._wake_r], [], [], timeout)
        except InterruptedError:
            pass
        try:
            while os.read(self._wake_r, 512):
                pass
        except OSError:
            pass
        return self.signals.pop(0) if self.signals else None

    def handle_signal(self, sig: int) -> int | None:
        if sig == signal.SIGCHLD:
            return None
        if sig in (signal.SIGTERM, signal.SIGINT):
            return self.stop()
        if sig == signal.SIGWINCH:
            return self.graceful_stop()
        if sig == signal.SIGHUP:
            self.restart(graceful=False)
        elif sig == signal.SIGUSR1:
            self.restart(graceful=True)
        return None

    # -- workers -----------------------------------------------------------------------
    def free_slots(self) -> list[int]:
        used = {c.slot for c in self.children.values()}
        return [i for i in range(self.limits.server_limit) if i not in used]

    def spawn(self, n: int) -> int:
        """Fork up to *n* workers into free process slots (make_child)."""
        started = 0
        current = sum(1 for c in self.children.values() if c.generation == self.generation
                      and c.graceful_since is None)
        free = self.free_slots()
        while started < n and free and current + started < self.limits.daemons_limit:
            slot = free.pop(0)
            self.spawn_worker(slot)
            started += 1
        return started

    def spawn_worker(self, slot: int) -> int:
        from .status import StatusContext, server_built
        from .worker import FORK_BLOCKED, WorkerSpec, run_worker
        from ..serve_cli import connection_policy
        lim = self.limits
        sb = self.scoreboard
        sb.claim_process(slot, 0, self.generation, lim.threads)
        main = self.config.main
        user = main.get("User")
        group = main.get("Group")
        spec = WorkerSpec(
            site=self.site,
            policy=connection_policy(self.config, self.site.banner, self.site.trace_check),
            sockets=list(self.listeners.values()), scoreboard=sb, slot=slot,
            generation=self.generation, threads=lim.threads,
            max_request_workers=lim.max_request_workers,
            max_connections_per_child=lim.max_connections_per_child,
            master_pid=os.getpid(), backlog=int(main.get("ListenBacklog", 511) or 511),
            graceful_timeout=0.0,   # GracefulShutdownTimeout is the master's (graceful_stop)
            user=_account(user), group=_account(group),
            status_context=StatusContext(sb, mpm=lim.mpm, max_servers=lim.daemons_limit,
                                         threads_per_child=lim.threads,
                                         extended=extended_status(self.config),
                                         built=server_built()))
        # Signals stay blocked across the fork (worker.FORK_BLOCKED): one
        # sent to a worker that still has the master's handlers would run
        # them in the worker and be lost (a graceful stop right after a
        # worker was spawned waited for it forever).
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, FORK_BLOCKED)
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:    # the master, forked or not
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if pid == 0:   # the worker
            code = 1
            try:
                signal.set_wakeup_fd(-1)     # before closing the master's pipe
                os.close(self._wake_r)
                os.close(self._wake_w)
                code = run_worker(spec)
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                os._exit(code)
        sb.set_pid(slot, pid)
        self.children[pid] = Child(pid, slot, self.generation)
        return pid

    def reap_workers(self) -> None:
        """waitpid every exited worker; free its slot; say why it died."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.pop(pid, None)
            if child is None:
                continue          # a piped logger or some other child
            self.scoreboard.release_process(child.slot)
            self.report_exit(pid, status)
            self.close_retired_sites()

    def report_exit(self, pid: int, status: int) -> None:
        """ap_process_child_status: crashes are logged, orderly exits are not
        (SIGTERM, SIGHUP, SIGUSR1 and SIGKILL are the master's own)."""
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGKILL):
                self.log(INFO, "core", f"child pid {pid} exit signal "
                         f"{signal.strsignal(sig) or sig} ({sig}), replaced as needed")
                return
            desc = signal.strsignal(sig) or f"signal {sig}"
            if os.WCOREDUMP(status):
                where = self.config.main.get("CoreDumpDirectory") or self.config.server_root
                self.log(NOTICE, "core", f"child pid {pid} exit signal {desc} ({sig}), "
                         f"possible coredump in {where}", code=51)
            else:
                self.log(NOTICE, "core", f"child pid {pid} exit signal {desc} ({sig})", code=52)
        elif os.WIFEXITED(status) and os.WEXITSTATUS(status) not in (0, 0xF):
            # not an Apache message: a worker that failed (its traceback went
            # to stderr) is worth a line; it is replaced as needed
            self.log(WARN, "core", f"child pid {pid} exit status {os.WEXITSTATUS(status)}")
        elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0xF:
            self.log(1, "core", f"Child {pid} returned a Fatal error... Apache is exiting!",
                     code=50)
            self.signals.insert(0, signal.SIGTERM)
            self._exit_code = 1

    def maintain(self) -> None:
        """perform_idle_server_maintenance, once a tick."""
        sb = self.scoreboard
        sb.set_parent_times()
        try:
            self.site.logs.sinks.maintain()
        except Exception:
            pass
        status = sb.status_bytes()
        lim = self.limits
        idle = active = stopping = 0
        for child in self.children.values():
            if child.generation != self.generation or child.graceful_since is not None:
                stopping += 1
                continue
            active += 1
            base = child.slot * lim.thread_limit
            mine = status[base:base + lim.threads]
            idle += mine.count(1) + mine.count(2)      # STARTING counts as idle
        decision = self.policy.tick(idle=idle, free_process_slots=min(
            len(self.free_slots()), lim.daemons_limit - active), active=active, stopping=stopping)
        for level, code, text in decision.messages:
            self.log(ERROR if level == "error" else INFO, self.mpm_module, text,
                     code=int(code[2:]))
        if decision.retire:
            self.retire_one()
        if decision.spawn:
            self.spawn(decision.spawn)

    def retire_one(self) -> None:
        """Too many idle slots: one current worker with nothing to do stops."""
        lim = self.limits
        status = self.scoreboard.status_bytes()
        current = [c for c in self.children.values()
                   if c.generation == self.generation and c.graceful_since is None]
        if len(current) <= 1:
            return
        for child in sorted(current, key=lambda c: -c.slot):
            base = child.slot * lim.thread_limit
            if status[base:base + lim.threads].count(2) == lim.threads:
                self.ask_graceful(child)
                return

    def ask_graceful(self, child: Child) -> None:
        child.graceful_since = time.monotonic()
        self.scoreboard.set_quiescing(child.slot)
        _kill(child.pid, signal.SIGUSR1)

    # -- restart & stop ------------------------------------------------------------------
    def reload(self):
        """The new config and its listeners, or None (logged) to keep the old."""
        from ..config.errors import ConfigError
        try:
            config = self.loader()
        except ConfigError as err:
            text = err.apache_text("apyche").replace("\n", " ")
            self.log(ERROR, "core", f"{text} -- restart aborted, keeping the running "
                     "configuration")
            if self.watch:
                # The dev server shows the broken edit where the developer is
                # looking (with the line in context on a terminal).
                from ..cli import report_error
                report_error(err)
                sys.stderr.write("apyche: keeping the last good configuration\n")
            return None
        except Exception as exc:   # a bug must not kill a running server
            self.log(ERROR, "core", f"cannot reload the configuration ({exc!r}) -- restart "
                     "aborted, keeping the running configuration")
            return None
        from ..serve_cli import apply_accept_filters, listen_addresses
        wanted = listen_addresses(config)
        if not wanted:
            self.log(ERROR, "core", "no listening sockets available in the new configuration "
                     "-- restart aborted, keeping the running configuration", code=15)
            return None
        keep = {k: s for k, s in self.listeners.items() if k in wanted}
        try:
            new = self.bind([a for a in wanted if a not in keep])
        except OSError as exc:
            self.log(ERROR, "core", f"{exc.strerror} -- restart aborted, keeping the running "
                     "configuration")
            return None
        listeners = {a: keep.get(a) or new[a] for a in wanted}
        apply_accept_filters(config, listeners)
        return config, listeners

    def apply(self, config, listeners) -> None:
        from ..server.site import Site
        try:
            site = Site(config)
        except Exception as exc:
            self.log(ERROR, "core", f"cannot open the logs of the new configuration ({exc}) "
                     "-- restart aborted, keeping the running configuration")
            for key, sock in listeners.items():
                if self.listeners.get(key) is not sock:
                    sock.close()
            return
        for key, sock in self.listeners.items():
            if listeners.get(key) is not sock:
                sock.close()
        self.listeners = listeners
        self.retired_sites.append((self.generation, self.site))
        self.site = site
        self.config = config
        new_limits = Limits.from_config(config)
        if (new_limits.server_limit, new_limits.thread_limit) != (
                self.limits.server_limit, self.limits.thread_limit):
            self.log(WARN, self.mpm_module, "changing ServerLimit or ThreadLimit needs a full "
                     "stop and start; keeping the previous values")
            new_limits.server_limit = self.limits.server_limit
            new_limits.thread_limit = self.limits.thread_limit
            new_limits.threads = min(new_limits.threads, new_limits.thread_limit)
            new_limits.daemons_limit = min(new_limits.daemons_limit, new_limits.server_limit)
        self.limits = new_limits
        self.policy = SpawnPolicy(new_limits.min_spare, new_limits.max_spare, new_limits.mpm)

    def close_retired_sites(self) -> None:
        gens = {c.generation for c in self.children.values()}
        keep = []
        for gen, site in self.retired_sites:
            if gen in gens:
                keep.append((gen, site))
            else:
                try:
                    site.logs.close()
                except Exception:
                    pass
        self.retired_sites = keep

    def restart(self, graceful: bool) -> None:
        if graceful:
            self.log(NOTICE, self.mpm_module, "SIGUSR1 received.  Doing graceful restart"
                     if self.limits.mpm != "prefork" else "Graceful restart requested, doing restart",
                     code=171 if self.limits.mpm == "prefork" else 493)
        else:
            self.log(NOTICE, self.mpm_module, "SIGHUP received.  Attempting to restart",
                     code=173 if self.limits.mpm == "prefork" else 494)
        loaded = self.reload()
        old = list(self.children.values())
        if graceful:
            for child in old:
                if child.graceful_since is None:
                    self.ask_graceful(child)
        else:
            self.reclaim(old)
        if loaded is not None:
            self.apply(*loaded)
        else:
            self.retired_sites.append((self.generation, None))
            self.site.logs.reopen()     # rotation still works with a broken config
        self.generation += 1
        self.config_generation += 1
        self.scoreboard.set_generations(self.generation, self.config_generation)
        if not graceful:
            self.scoreboard.reset_counters()
            self.scoreboard.set_generations(self.generation, self.config_generation)
        self.policy.graceful_restart(self.limits.start)
        self.announce()
        self.spawn(self.limits.start)

    def reclaim(self, children: list[Child], timeout: float = RECLAIM_TIMEOUT) -> None:
        """ap_reclaim_child_processes: SIGTERM, wait, then SIGKILL."""
        for child in children:
            _kill(child.pid, signal.SIGTERM)
        self._wait_children(children, timeout)
        for child in children:
            if child.pid in self.children:
                _kill(child.pid, signal.SIGKILL)
        self._wait_children(children, 2.0)

    def _wait_children(self, children: list[Child], timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while any(c.pid in self.children for c in children):
            self.reap_workers()
            if deadline is not None and time.monotonic() >= deadline:
                return
            if self.signals and self.signals[0] in (signal.SIGTERM, signal.SIGINT) \
                    and deadline is None:
                return
            time.sleep(0.02)

    def stop(self) -> int:
        self.close_listeners()
        self.reclaim(list(self.children.values()))
        self.remove_pidfile()
        self.log(NOTICE, self.mpm_module, "caught SIGTERM, shutting down",
                 code=169 if self.limits.mpm == "prefork" else 491)
        self.cleanup()
        return self._exit_code

    def graceful_stop(self) -> int:
        self.log(NOTICE, self.mpm_module, "caught SIGWINCH, shutting down gracefully",
                 code=170 if self.limits.mpm == "prefork" else 492)
        self.close_listeners()
        children = list(self.children.values())
        for child in children:
            if child.graceful_since is None:
                self.ask_graceful(child)
        timeout = self.limits.graceful_timeout or None
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.children:
            sig = self.wait_for_signal_short()
            if sig in (signal.SIGTERM, signal.SIGINT):
                break
            self.reap_workers()
            if deadline is not None and time.monotonic() >= deadline:
                break
        self.reclaim(list(self.children.values()))
        self.remove_pidfile()
        self.cleanup()
        return 0

    def wait_for_signal_short(self) -> int | None:
        self._next_tick = time.monotonic() + 0.1
        return self.wait_for_signal()

    def close_listeners(self) -> None:
        for sock in self.listeners.values():
            try:
                sock.close()
            except OSError:
                pass

    def cleanup(self) -> None:
        for _gen, site in self.retired_sites:
            if site is not None:
                try:
                    site.logs.close()
                except Exception:
                    pass
        try:
            self.site.logs.close()
        except Exception:
            pass
        signal.set_wakeup_fd(-1)


def extended_status(config) -> bool:
    """ExtendedStatus as set, else On when mod_status is loaded (2.4: loading
    mod_status turns it on), else Off."""
    if config.main.all("ExtendedStatus"):
        return bool(config.main.get("ExtendedStatus"))
    return config.has_module("status_module")


def _account(value) -> tuple | None:
    """User/Group (config.values.Account) as (name, id); None when unset (#-1)."""
    ident = getattr(value, "id", -1)
    if ident is None or ident < 0:
        return None
    return (value.name, ident)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
    except OSError as exc:
        if exc.errno != errno.ESRCH:
            raise
