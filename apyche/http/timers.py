"""Connection deadlines on one loop timer: a timer wheel.

Every connection always has a deadline (Timeout for a request, the
KeepAliveTimeout between requests, the lingering-close reads), and most
never expire.  A loop timer per connection cost about 6 µs to create and
cancel on uvloop - 12 µs of a one-request connection's Python time with
its two deadlines.  Here a connection's deadline goes into a slot of
``GRAIN`` seconds (a list append); one loop timer per server ticks every
``GRAIN`` while any slot is pending and calls each due connection's
``_on_timer``.  Deadlines therefore fire up to ``GRAIN`` late, never early
- Apache's own timeout queues are as coarse.

Deadlines that move are handled lazily, as before: a connection whose
deadline moved later stays in its old slot, and its ``_on_timer`` (seeing
the deadline still ahead) files itself again.  A connection closed in the
meantime clears ``_timer_slot`` and its stale entries are skipped.
"""

from __future__ import annotations

import heapq
import logging

log = logging.getLogger("apyche.http")

GRAIN = 0.05


class TimerWheel:
    __slots__ = ("loop", "slots", "order", "handle")

    def __init__(self, loop) -> None:
        self.loop = loop
        self.slots: dict[int, list] = {}
        self.order: list[int] = []      # heap of the slot numbers in ``slots``
        self.handle = None

    def add(self, conn, deadline: float) -> int:
        """File *conn* to be called at (or just after) *deadline*; returns
        the slot, which the connection keeps in ``_timer_slot``."""
        slot = int(deadline / GRAIN) + 1
        pending = self.slots.get(slot)
        if pending is None:
            pending = self.slots[slot] = []
            heapq.heappush(self.order, slot)
        pending.append(conn)
        if self.handle is None:
            self.handle = self.loop.call_later(GRAIN, self._tick)
        return slot

    def _tick(self) -> None:
        self.handle = None
        now_slot = int(self.loop.time() / GRAIN)
        order, slots = self.order, self.slots
        while order and order[0] <= now_slot:
            slot = heapq.heappop(order)
            for conn in slots.pop(slot):
                if conn._timer_slot == slot:
                    try:
                        conn._on_timer()
                    except Exception:   # one connection's bug must not stop the others
                        log.exception("connection timer failed")
        if order:
            self.handle = self.loop.call_later(GRAIN, self._tick)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        self.slots.clear()
        self.order.clear()
