"""The timer wheel behind connection deadlines (apyche/http/timers.py)."""

from __future__ import annotations

import asyncio

from apyche.http.timers import GRAIN, TimerWheel


class Conn:
    def __init__(self, wheel, deadline, log, fail=False):
        self.deadline = deadline
        self.log = log
        self.fail = fail
        self._timer_slot = wheel.add(self, deadline)

    def _on_timer(self):
        self._timer_slot = None
        self.log.append((self, asyncio.get_running_loop().time()))
        if self.fail:
            raise RuntimeError("boom")


def test_deadlines_fire_in_order_never_early_and_at_most_a_grain_late():
    async def main():
        loop = asyncio.get_running_loop()
        wheel = TimerWheel(loop)
        log = []
        now = loop.time()
        conns = [Conn(wheel, now + d, log) for d in (0.3, 0.1, 0.2, 0.1)]
        for _ in range(200):
            if len(log) == 4:
                break
            await asyncio.sleep(0.02)
        assert len(log) == 4
        for conn, fired in log:
            assert fired >= conn.deadline
            assert fired <= conn.deadline + GRAIN + 0.1   # loop scheduling slack
        assert [c.deadline for c, _ in log] == sorted(c.deadline for c in conns)
        assert wheel.handle is None            # nothing pending: the loop timer stops
    asyncio.run(main())


def test_a_connection_that_moved_or_closed_is_skipped():
    async def main():
        loop = asyncio.get_running_loop()
        wheel = TimerWheel(loop)
        log = []
        closed = Conn(wheel, loop.time() + 0.05, log)
        closed._timer_slot = None                 # connection_lost
        moved = Conn(wheel, loop.time() + 0.05, log)
        moved.deadline = loop.time() + 0.2
        moved._timer_slot = wheel.add(moved, moved.deadline)     # filed again, later
        for _ in range(100):
            if log:
                break
            await asyncio.sleep(0.02)
        assert [c for c, _ in log] == [moved]
        assert log[0][1] >= moved.deadline      # at the new deadline, not the old one
    asyncio.run(main())


def test_one_failing_connection_does_not_stop_the_others():
    async def main():
        loop = asyncio.get_running_loop()
        wheel = TimerWheel(loop)
        log = []
        Conn(wheel, loop.time() + 0.05, log, fail=True)
        Conn(wheel, loop.time() + 0.05, log)
        for _ in range(100):
            if len(log) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(log) == 2
    asyncio.run(main())
