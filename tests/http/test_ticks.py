"""The loop's validation clock (apyche/http/ticks.py): a check of a stored
answer vouches only for requests that had arrived when it was made.

The regression: uvloop runs ready callbacks (a connection handed over after
accept starts in one) *before* it polls in the same iteration, so a check
made there was reused for a read that arrived after it - a client that
changed a file right after an answer could be given the old file.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from apyche.http import Response
from apyche.http.ticks import LoopTick, loop_tick
from apyche.http.server import new_event_loop

from .conftest import LOOP_KINDS, Conn, get


def _run(loop_kind, scenario):
    """Run scenario(loop, tick, done) on a fresh loop until done() is called
    (bounded); return what it recorded."""
    loop = new_event_loop(loop_kind == "uvloop")
    try:
        tick = loop_tick(loop)
        seen: dict = {}
        loop.call_soon(scenario, loop, tick, seen)
        loop.call_later(5.0, loop.stop)     # bound: a broken scenario ends
        loop.run_forever()
        return seen
    finally:
        loop.close()


@pytest.mark.parametrize("loop_kind", LOOP_KINDS)
def test_a_read_after_a_check_in_a_ready_callback_is_a_new_tick(loop_kind):
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)

    def scenario(loop, tick, seen):
        seen["ready"] = tick.current()      # a check, in a ready callback
        a.send(b"x")                        # ... then a client acts on it

        def on_read():
            loop.remove_reader(b.fileno())
            b.recv(16)
            tick.io()
            seen["io"] = tick.current()
            loop.stop()
        loop.add_reader(b.fileno(), on_read)
    try:
        seen = _run(loop_kind, scenario)
    finally:
        a.close()
        b.close()
    assert seen["io"] != seen["ready"]


@pytest.mark.parametrize("loop_kind", LOOP_KINDS)
def test_reads_of_one_poll_share_a_tick_and_the_next_iteration_has_another(loop_kind):
    pairs = [socket.socketpair() for _ in range(3)]
    for a, b in pairs:
        a.setblocking(False)
        b.setblocking(False)
        a.send(b"x")                        # all waiting before the loop polls

    def scenario(loop, tick, seen):
        ticks = seen["io"] = []

        def on_read(b):
            loop.remove_reader(b.fileno())
            b.recv(16)
            tick.io()
            ticks.append(tick.current())
            if len(ticks) == len(pairs):
                loop.call_soon(later)

        def later():
            seen["later"] = tick.current()
            loop.stop()
        for _a, b in pairs:
            loop.add_reader(b.fileno(), on_read, b)
    try:
        seen = _run(loop_kind, scenario)
    finally:
        for a, b in pairs:
            a.close()
            b.close()
    assert len(set(seen["io"])) == 1        # checked once for all three
    assert seen["later"] != seen["io"][0]


def test_fresh_starts_a_new_tick_within_one_callback():
    def scenario(loop, tick, seen):
        seen["before"] = tick.current()
        tick.fresh()
        seen["after"] = tick.current()
        seen["again"] = tick.current()
        loop.stop()
    seen = _run("asyncio", scenario)
    assert seen["after"] != seen["before"]
    assert seen["after"] == seen["again"]


def test_without_a_loop_every_check_is_a_tick_of_its_own():
    tick = LoopTick()
    assert len({tick.current() for _ in range(3)}) == 3
    tick.io()
    assert tick.current() != tick.current()


def test_one_clock_per_loop():
    loop = asyncio.new_event_loop()
    try:
        assert loop_tick(loop) is loop_tick(loop)
    finally:
        loop.close()


# -- through a real server: the check a handed-over connection makes ---------

class TickedFile:
    """A handler whose answers are stored and checked as StaticEntry checks
    a file: one hook per version of the content, checked at most once per
    tick of the loop's clock.  ``act`` runs right after the next check (the
    client acting on the answer)."""

    def __init__(self) -> None:
        self.content = b"one\n"
        self.act = None
        self.hook = _TickedHook(self, self.content)

    def __call__(self, request):
        if self.hook.body != self.content:
            self.hook = _TickedHook(self, self.content)
        response = Response(200, [("Content-Type", "text/plain")], self.content)
        response.replay = self.hook
        return response


class _TickedHook:
    shared = False

    def __init__(self, owner: TickedFile, body: bytes) -> None:
        self.owner = owner
        self.body = body
        self.checked_at = -1

    def check(self):
        tick = loop_tick(asyncio.get_event_loop()).current()
        if self.checked_at != tick:
            if self.owner.content != self.body:
                return None                 # changed: the handler answers anew
            self.checked_at = tick
        act, self.owner.act = self.owner.act, None
        if act is not None:
            act()
        return self.body

    def served(self, *args) -> None:
        pass


@pytest.mark.parametrize("loop_kind", LOOP_KINDS)
def test_a_request_sent_after_a_change_is_not_answered_from_an_older_check(make_server,
                                                                          loop_kind):
    handler = TickedFile()
    srv = make_server(handler, accept_filter="data")
    request = get("/f")
    idle = Conn(srv.port)
    for _ in range(2):                      # stored the second time
        idle.send(request)
        assert idle.response()[2] == b"one\n"

    def change_and_ask_again():
        # inside the check of the handed-over connection's first request:
        # the file changes, then a client asks on its idle connection
        handler.content = b"two\n"
        idle.sock.send(request)
    handler.act = change_and_ask_again

    fresh = Conn(srv.port).send(request)    # read at accept, answered after hand-over
    assert fresh.response()[2] == b"one\n"  # it arrived before the change
    assert idle.response()[2] == b"two\n"   # it was sent after the change
    assert handler.act is None
    fresh.close()
    idle.close()


@pytest.mark.parametrize("loop_kind", LOOP_KINDS)
def test_connections_accepted_after_a_check_in_the_same_poll_are_checked_again(make_server,
                                                                               loop_kind):
    handler = TickedFile()
    srv = make_server(handler, accept_filter="data")
    kept, closing = get("/f"), get("/f", extra=b"Connection: close\r\n")
    idle = Conn(srv.port)
    for _ in range(2):                      # both stored the second time
        idle.send(kept)
        assert idle.response()[2] == b"one\n"
        one_shot = Conn(srv.port)
        assert one_shot.send(closing).response()[2] == b"one\n"
        one_shot.close()
    late = []

    def change_and_connect():
        # inside the check made for the idle connection's read: the file
        # changes, then a client connects and asks
        handler.content = b"two\n"
        late.append(Conn(srv.port).send(closing))
    handler.act = change_and_connect

    # both waiting before the loop polls (it sleeps): the idle connection's
    # read first, then a new connection - so the listener is in that poll
    srv.loop.call_soon_threadsafe(time.sleep, 0.3)
    time.sleep(0.1)
    idle.send(kept)
    early = Conn(srv.port).send(closing)
    assert idle.response()[2] == b"one\n"
    assert early.response()[2] in (b"one\n", b"two\n")   # concurrent with the change
    assert handler.act is None
    assert late[0].response()[2] == b"two\n"   # connected after the change
    for c in (idle, early, late[0]):
        c.close()
