"""The validation clock of an event loop.

A stored answer (apyche/http/replay.py, apyche/server/replay.py) is checked
against the files it came from - a stat() of each - at most once per
*tick*, not per request: under load one loop wake-up hands over many
requests, and they all arrived before any of them was checked.  What a
tick must never do is let a check made *before* some bytes arrived vouch
for the request in them: a client that got an answer, changed a file and
asked again would get the old file.

So a tick ends

* when the loop next runs its ready callbacks (a ``call_soon`` made by
  whoever opens the tick), and
* when an I/O callback begins after ready callbacks have run (``io()``):
  uvloop (libuv) runs the ready callbacks *before* it polls in the same
  iteration, so a check made by a ready callback (a task, a connection
  handed over after accept) would otherwise cover the reads of the poll
  that follows; and
* when the caller knows it read bytes that may have arrived after the
  checks made so far (``fresh()``: a listener that accepted connections
  beyond those the poll reported).

The protocol calls ``io()`` at the start of every read; the listener calls
``fresh()`` once per accepted batch, after accepting it.  One clock per
loop (``loop_tick``), shared by the connections and the site that checks.
Without a loop (unit tests, a closed loop) every check is a tick of its
own.

What it still allows: within one poll, the read of a connection the poll
reported may hold bytes that came after a check made earlier in that poll
(for another connection).  Only a client that pipelines a further request
on that connection after acting on an answer it got on another one could
notice; that is the price of checking once per poll rather than per
request.
"""

from __future__ import annotations

import weakref

__all__ = ["LoopTick", "loop_tick"]


class LoopTick:
    """A counter of ticks: ``current()`` for a check, ``io()`` and
    ``fresh()`` as the module describes."""

    __slots__ = ("_n", "_open", "_in_io", "_loop")

    def __init__(self, loop=None) -> None:
        self._n = 0
        self._open = False      # an _end is scheduled for the current tick
        self._in_io = False     # the current tick began in an I/O callback
        # weak: loop_tick's table is keyed by the loop
        self._loop = weakref.ref(loop) if loop is not None else _no_loop

    def current(self) -> int:
        """The tick a check made now belongs to."""
        if not self._open:
            self._n += 1
            self._schedule_end()
        return self._n

    def io(self) -> None:
        """An I/O callback begins (a read): the first since the loop ran
        its ready callbacks starts a tick of its own."""
        if not self._in_io:
            self.fresh()

    def fresh(self) -> None:
        """Checks made from now on are new ones (what follows read bytes
        that may have arrived after the checks made so far)."""
        self._n += 1
        self._in_io = True
        if not self._open:
            self._schedule_end()

    def _schedule_end(self) -> None:
        loop = self._loop()
        if loop is None or loop.is_closed():
            self._in_io = False
            return                # no loop: the next check is a new tick
        self._open = True
        loop.call_soon(self._end)

    def _end(self) -> None:
        self._open = False
        self._in_io = False


def _no_loop() -> None:
    return None


_TICKS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def loop_tick(loop) -> LoopTick:
    """The clock of ``loop`` (one per loop, made on first use)."""
    tick = _TICKS.get(loop)
    if tick is None:
        tick = _TICKS[loop] = LoopTick(loop)
    return tick
