"""The process model: a master that binds, forks and supervises workers
(``master``), the workers (``worker``), the shared scoreboard
(``scoreboard``), the spawn-rate policy (``spawn``), mod_status (``status``),
``-k`` and daemonizing (``control``) and ``apyche status`` (``status_cli``).

See ``master`` for how Apache's MPM directives map to async workers.

Accept strategy
---------------
Workers accept on the listening sockets the master opened (inherited over
fork), as Apache's children do; they do not open SO_REUSEPORT sockets of
their own.  Measured with ``tests/process/accept_bench.py`` (apyche's
asyncio server, trivial handler, ``ab`` without keep-alive - one accept per
request - on two Listen ports at once, 2 CPUs, 6000 requests):

==============================  ==========  =================  ==============  ==========
strategy, workers               req/s       latency p50/p99    share/worker    ctxsw/req
==============================  ==========  =================  ==============  ==========
inherited, 2                    4100-5300   5-6 / 23-24 ms     0.45-0.55       0.04-0.05
SO_REUSEPORT, 2                 3600-4200   6-7 / 32-35 ms     0.49-0.51       0.08-0.10
inherited, 4                    2850        9 / 38 ms          0.18-0.30       0.12
SO_REUSEPORT, 4                 3150        7 / 42 ms          0.25 each       0.33
inherited, 2, one stalled 1 s   3400-3900   7-8 / 21-26 ms     0.15-0.23 (*)   0.01
SO_REUSEPORT, 2, one stalled    2050-2550   6-8 / 28-41 ms     0.50 (**)       0.08-0.09
inherited, 4, one stalled       3400        6 / 40 ms, max 152 0.07-0.39 (*)   0.19
SO_REUSEPORT, 4, one stalled    1600        12 / 40 ms, max 1s 0.25 each (**)  0.20
==============================  ==========  =================  ==============  ==========

(*) the others took the stalled worker's share; (**) the kernel kept
hashing connections to the stalled worker's own queue: they waited there
the whole second.  The thundering herd of a shared socket is real but small
here (woken workers that find nothing to accept: fewer context switches per
request than SO_REUSEPORT's, which has other wake-ups); fairness is worse
(a busy worker accepts a little more), latency under a stalled or full
worker is much better, and - decisive for graceful restarts and
MaxConnectionsPerChild - a worker that stops accepting leaves no queue of
its own behind: with SO_REUSEPORT the connections queued on a retiring
worker's socket are reset when it closes.  Several Listen sockets are served
by every worker either way.
"""
