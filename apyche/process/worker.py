"""One worker process: the asyncio server on the inherited listening sockets.

A worker is what an Apache child is: it accepts on every Listen socket the
master opened (inherited over fork), serves connections with the request
pipeline (``Site``) the master built, and reports each connection in its
scoreboard slots.  It never decides how many workers there are; it only
decides whether *it* accepts:

* it stops accepting when all its worker slots are in use (ThreadsPerChild
  connections; one under prefork), or when the scoreboard says
  MaxRequestWorkers connections are open across all workers - pending
  connections then wait in the kernel's backlog for a worker with room,
  as they do in Apache;
* after MaxConnectionsPerChild connections it stops accepting for good,
  finishes what it has and exits (the master starts a replacement);
* SIGUSR1 (graceful restart / graceful stop, sent by the master): stop
  accepting, finish in-flight requests, exit;
* SIGTERM: stop now (in-flight requests get a short grace);
* the master gone (its pid no longer our parent): graceful exit.

Pausing accept: asyncio servers cannot pause.  The worker serves on
*duplicates* of the listening sockets; pausing closes the duplicates (the
shared listening socket stays open in the master and the other workers),
resuming serves on fresh duplicates.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import signal
import sys
from dataclasses import dataclass, field

from .scoreboard import Scoreboard, WorkerBoard

APEXIT_CHILDFATAL = 0xF   # a worker that cannot run at all: the master gives up


# Signals the master blocks from just before it forks a worker until the
# worker's own handlers are in place (Worker.main unblocks them): one sent
# in between would otherwise run the master's handler in the worker.
FORK_BLOCKED = frozenset((signal.SIGTERM, signal.SIGUSR1, signal.SIGHUP, signal.SIGWINCH,
                          signal.SIGINT))


@dataclass
class WorkerSpec:
    """Everything a worker needs, prepared by the master before fork."""

    site: object
    policy: object
    sockets: list
    scoreboard: Scoreboard
    slot: int
    generation: int
    threads: int                   # worker slots (connections) of this process
    max_request_workers: int       # global cap on connections (0: none)
    max_connections_per_child: int
    master_pid: int
    backlog: int = 511
    graceful_timeout: float = 0.0  # 0: wait for in-flight requests as long as they take
    user: tuple | None = None      # (name, uid) when started as root
    group: tuple | None = None     # (name, gid)
    status_context: object = None
    extra: dict = field(default_factory=dict)


def drop_privileges(user, group) -> None:
    """unixd's ap_unixd_setup_child: setgid, initgroups, setuid (root only)."""
    if os.geteuid() != 0:
        return
    if group is not None and group[1] >= 0:
        os.setgid(group[1])
        if user is not None and user[1] >= 0:
            try:
                name = user[0] if not str(user[0]).startswith("#") else pwd.getpwuid(user[1]).pw_name
                os.initgroups(name, group[1])
            except (KeyError, OSError):
                os.setgroups([group[1]])
    if user is not None and user[1] >= 0:
        os.setuid(user[1])


class Worker:
    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.board = WorkerBoard(spec.scoreboard, spec.slot, spec.threads,
                                 extended=bool(getattr(spec.status_context, "extended", True)),
                                 generation=spec.generation)
        self.sb = spec.scoreboard
        if self.board.extended:
            from .scoreboard import site_vhost_namer
            self.board.vhost_of = site_vhost_namer(spec.site)
        self.servers: list = []        # HttpServer objects (one per resume)
        self.accepting = False
        self.stopping = False
        self.stop_grace = 0.0
        self.done: asyncio.Future | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._poll: asyncio.TimerHandle | None = None

    # -- accepting ---------------------------------------------------------------
    async def _resume(self) -> None:
        from ..http.server import serve
        spec = self.spec
        site = spec.site
        dups = [s.dup() for s in spec.sockets]
        server = await serve(dups, site.handle, spec.policy, on_complete=site.log_access,
                             error_response=site.protocol_error, backlog=spec.backlog,
                             scoreboard=self.board)
        self.servers.append(server)
        if not self.accepting:        # paused again while this one was starting
            for srv in server.servers:
                srv.close()
        # servers paused earlier and without connections left are dropped
        self.servers = [s for s in self.servers
                        if s is server or s.connections or any(x.is_serving() for x in s.servers)]

    def _pause(self) -> None:
        for server in self.servers:
            for srv in server.servers:
                srv.close()

    def want_accept(self) -> bool:
        spec = self.spec
        board = self.board
        if self.stopping or board.in_use >= board.threads:
            return False
        if spec.max_request_workers and self.sb.count_busy() >= spec.max_request_workers:
            return False
        return True

    def check_accepting(self) -> None:
        """Called after every connection open/close (WorkerBoard.on_change)."""
        spec = self.spec
        if (spec.max_connections_per_child and not self.stopping
                and self.board.opened >= spec.max_connections_per_child):
            self.begin_stop(graceful=True)
            return
        want = self.want_accept()
        if want and not self.accepting:
            self.accepting = True
            self.sb.set_not_accepting(spec.slot, False)
            self.loop.create_task(self._resume())
        elif not want and self.accepting:
            self.accepting = False
            self.sb.set_not_accepting(spec.slot, True)
            self._pause()
        if not want and not self.stopping and self._poll is None:
            # other workers' connections do not notify us: look again soon
            self._poll = self.loop.call_later(0.05, self._repoll)

    def _repoll(self) -> None:
        self._poll = None
        self.check_accepting()

    # -- stopping --------------------------------------------------------------------
    def begin_stop(self, graceful: bool) -> None:
        if self.stopping and graceful:
            return
        self.stopping = True
        self.stop_grace = (self.spec.graceful_timeout or 1e9) if graceful else 0.5
        if self.accepting:
            self.accepting = False
            self._pause()
        self.board.set_graceful()
        if self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def _shutdown(self) -> None:
        await asyncio.gather(*(s.shutdown(self.stop_grace) for s in self.servers),
                             return_exceptions=True)

    async def _watch_master(self) -> None:
        spec = self.spec
        while not self.stopping:
            await asyncio.sleep(1.0)
            if os.getppid() != spec.master_pid:
                self.begin_stop(graceful=True)
                return
            self.sb.set_process_times(spec.slot)

    async def main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.done = self.loop.create_future()
        loop = self.loop
        self.spec.site.bind_loop(loop)
        loop.add_signal_handler(signal.SIGTERM, self.begin_stop, False)
        loop.add_signal_handler(signal.SIGUSR1, self.begin_stop, True)
        # blocked since before the fork (Master.spawn_worker): one sent
        # meanwhile is delivered now, to these handlers (or ignored)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORK_BLOCKED)
        self.board.on_change = self.check_accepting
        self.board.max_opened = self.spec.max_connections_per_child
        self.board.ready()
        self.check_accepting()
        watcher = loop.create_task(self._watch_master())
        await self.done
        await self._shutdown()
        watcher.cancel()
        if self._poll is not None:
            self._poll.cancel()


def run_worker(spec: WorkerSpec) -> int:
    """The body of a forked worker; returns its exit status."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGWINCH, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:
        pass
    try:
        drop_privileges(spec.user, spec.group)
    except OSError as exc:
        sys.stderr.write(f"apyche worker: cannot switch to User/Group: {exc}\n")
        return APEXIT_CHILDFATAL
    from ..http.server import new_event_loop
    from . import status
    status.install(spec.status_context)
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    worker = Worker(spec)
    try:
        loop.run_until_complete(worker.main())
    finally:
        try:
            spec.site.logs.flush()
        except Exception:
            pass
        loop.close()
    return 0
