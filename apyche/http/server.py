"""Running HttpProtocol on already-bound sockets, and stopping it cleanly.

The process model (apyche's master/workers) binds the listening sockets and
calls :func:`serve` in each worker.  :func:`serve` needs a running loop;
:func:`new_event_loop` picks uvloop when it is installed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Iterable

from .accept import Listener
from .limits import ConnectionPolicy
from .protocol import ErrorResponder, Handler, HttpProtocol, OnComplete, ServerState
from .ticks import loop_tick

log = logging.getLogger("apyche.http")


def new_event_loop(prefer_uvloop: bool = True) -> asyncio.AbstractEventLoop:
    if prefer_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


class HttpServer:
    """The listening side of one worker: servers, shared state, shutdown."""

    def __init__(self, servers: list[Listener], state: ServerState) -> None:
        self.servers = servers
        self.state = state

    @property
    def sockets(self) -> list[socket.socket]:
        return [s for srv in self.servers for s in srv.sockets]

    @property
    def connections(self) -> set[HttpProtocol]:
        return self.state.connections

    async def shutdown(self, grace: float = 10.0) -> None:
        """Stop accepting, close idle keep-alive connections, let in-flight
        requests finish for up to ``grace`` seconds (their responses say
        "Connection: close", as Apache's ``is_mpm_running()`` check makes
        them), then abort what is left."""
        self.state.shutting_down = True
        for srv in self.servers:
            srv.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while True:
            for conn in list(self.state.connections):
                conn.close_if_idle()
            if not self.state.connections or loop.time() >= deadline:
                break
            await asyncio.sleep(0.05)
        for conn in list(self.state.connections):
            if conn.transport is not None:
                conn.transport.abort()
        for srv in self.servers:
            try:
                await asyncio.wait_for(srv.wait_closed(), 1.0)
            except (asyncio.TimeoutError, TimeoutError):
                pass
        tasks = [t for t in self.state.tasks if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)


async def serve(sockets: Iterable[socket.socket], handler: Handler,
                policy: ConnectionPolicy | None = None, *,
                error_response: ErrorResponder | None = None,
                on_complete: OnComplete | None = None,
                backlog: int = 511, scoreboard=None) -> HttpServer:
    """Start serving ``handler`` on each bound socket; return the server.

    ``backlog`` is ListenBacklog (Apache's default 511).  ``scoreboard`` is
    the optional worker board: each listener opens a connection's slot on
    it as it accepts the connection (apyche/process/scoreboard.py).
    """
    loop = asyncio.get_running_loop()
    policy = policy or ConnectionPolicy()
    state = ServerState(loop_tick(loop))

    def factory(first: bytes = b"", slot=None) -> HttpProtocol:
        return HttpProtocol(handler, policy, loop=loop, error_response=error_response,
                            on_complete=on_complete, state=state, slot=slot, first=first)

    servers = [Listener(loop, sock, factory, state, policy, scoreboard=scoreboard,
                        backlog=backlog) for sock in sockets]
    return HttpServer(servers, state)


def run(sockets: Iterable[socket.socket], handler: Handler, policy: ConnectionPolicy | None = None, *,
        prefer_uvloop: bool = True, grace: float = 10.0, on_loop=None, **kwargs) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully (a worker's main).
    ``on_loop(loop)`` is called with the new loop before serving starts."""
    import signal

    loop = new_event_loop(prefer_uvloop)
    asyncio.set_event_loop(loop)
    if on_loop is not None:
        on_loop(loop)
    stop = asyncio.Event()

    async def main() -> None:
        server = await serve(sockets, handler, policy, **kwargs)
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        await stop.wait()
        await server.shutdown(grace)

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
