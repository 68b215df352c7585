"""How many workers to start or stop on each maintenance tick.

``SpawnPolicy`` is prefork's ``perform_idle_server_maintenance`` (and
event's, which has the same shape with threads) as a pure function of
what the scoreboard says, so it can be unit-tested without processes:

* too few idle slots (below the minimum spare): start ``rate`` workers,
  at most as many as there are free process slots; then double ``rate``
  (1, 2, 4 ... up to ``MAX_SPAWN_RATE`` 32) for the next tick, unless a
  graceful restart asked to hold off once.  With no free process slot,
  say once that MaxRequestWorkers was reached (AH00161 / AH00484) and
  reset the rate.
* when a tick spawns 8 or more (prefork tests ``idle_spawn_rate >= 8``,
  i.e. more than 4 in one second), an info line says the server seems busy
  (AH00162 / AH00486).
* too many idle slots (above the maximum spare): retire one worker
  gracefully; reset the rate.
* otherwise: reset the rate to 1.

The 1.3 Performance Notes describe the same rule: "spawn one, wait a
second, then spawn two, wait a second, then spawn four, ... until it is
spawning 32 children per second".
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_SPAWN_RATE = 32


@dataclass
class Decision:
    spawn: int = 0                 # workers to start now
    retire: int = 0                # workers to stop gracefully now
    messages: list = field(default_factory=list)   # (level, code, text)


@dataclass
class SpawnPolicy:
    """``min_spare``/``max_spare`` count idle worker slots (idle children
    under prefork, where a child has one slot; idle threads under
    event/worker, where a child has ThreadsPerChild)."""

    min_spare: int
    max_spare: int
    mpm: str = "event"
    rate: int = 1
    hold_off: int = 0              # hold_off_on_exponential_spawning
    maxclients_reported: bool = False

    def tick(self, *, idle: int, free_process_slots: int, active: int,
             stopping: int = 0) -> Decision:
        """One maintenance pass.  ``idle``: idle slots in live, current,
        non-quiescing workers (STARTING counts as idle, as in Apache);
        ``free_process_slots``: process slots free under the daemon limit;
        ``active``: live current-generation workers."""
        d = Decision()
        if idle > self.max_spare:
            d.retire = 1
            self.rate = 1
            return d
        if idle >= self.min_spare:
            self.rate = 1
            return d
        if free_process_slots <= 0:
            if not self.maxclients_reported:
                code = "AH00161" if self.mpm == "prefork" else "AH00484"
                d.messages.append(("error", code, "server reached MaxRequestWorkers setting, "
                                   "consider raising the MaxRequestWorkers setting"))
                self.maxclients_reported = True
            self.rate = 1
            return d
        n = min(self.rate, free_process_slots)
        if self.rate >= 8:
            if self.mpm == "prefork":
                d.messages.append(("info", "AH00162",
                                   "server seems busy, (you may need to increase StartServers, "
                                   "or Min/MaxSpareServers), spawning %d children, there are %d "
                                   "idle, and %d total children" % (self.rate, idle, active)))
            else:
                d.messages.append(("info", "AH00486",
                                   "server seems busy, (you may need to increase StartServers, "
                                   "ThreadsPerChild or Min/MaxSpareThreads), spawning %d children, "
                                   "there are around %d idle threads, %d active children, and %d "
                                   "children that are shutting down" % (n, idle, active, stopping)))
        d.spawn = n
        if self.hold_off:
            self.hold_off -= 1
        elif self.rate < MAX_SPAWN_RATE:
            self.rate *= 2
        return d

    def graceful_restart(self, started: int) -> None:
        """After a graceful restart, do not double the rate for the ticks that
        merely refill what was started (retained->hold_off_on_exponential_spawning)."""
        self.hold_off = started
        self.rate = 1
        self.maxclients_reported = False
