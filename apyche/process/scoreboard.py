"""The scoreboard: what every worker is doing, in memory the master and all
workers share (Apache's ``include/scoreboard.h``, ``server/scoreboard.c``).

Layout
------
One anonymous shared mapping (``mmap(-1, size)``: MAP_SHARED|MAP_ANONYMOUS),
created by the master before it forks, so every worker inherits it.  Its
size is fixed for the master's life (ServerLimit/ThreadLimit changes need a
full stop, as in Apache).  Four regions, all fixed-size::

    GLOBAL    header: magic, limits, generations, restart time, parent CPU
    STATUS    server_limit * thread_limit status bytes, contiguous, so
              "how many are busy" is two ``bytes.count`` calls and the
              Scoreboard line is one ``translate``
    PROCESS   server_limit records (process_score): pid, generation,
              quiescing, not_accepting, connections lingering off any slot
              (answered at accept), connections accepted, CPU times
    WORKER    server_limit * thread_limit records (worker_score): counters,
              timings and - with ExtendedStatus - client, vhost, request

A *worker slot* is one concurrent connection (what an Apache thread, or a
prefork child, holds).  Status bytes use Apache's numbers (SERVER_DEAD 0 ...
SERVER_IDLE_KILL 10) so mod_status letters map one to one.

Writers: the master writes a process record and sets its slots to STARTING
just before it forks the worker for it, and marks the record free after it
reaped the worker; between the two only that worker writes its process
record and its worker slots (one writer per slot).  Readers (mod_status in
any worker, the master's maintenance) copy what they need; a torn read
costs a wrong number on one status page, never a crash (everything read is
bounded and decoded with ``errors="replace"``).
"""

from __future__ import annotations

import mmap
import os
import struct
import time

# scoreboard.h
SERVER_DEAD = 0
SERVER_STARTING = 1
SERVER_READY = 2
SERVER_BUSY_READ = 3
SERVER_BUSY_WRITE = 4
SERVER_BUSY_KEEPALIVE = 5
SERVER_BUSY_LOG = 6
SERVER_BUSY_DNS = 7
SERVER_CLOSING = 8
SERVER_GRACEFUL = 9
SERVER_IDLE_KILL = 10
SERVER_NUM_STATUS = 11

#: mod_status's status_flags[]: one letter per state.
STATUS_LETTERS = ".S_RWKLDCGI"
_LETTER_TABLE = bytes.maketrans(bytes(range(SERVER_NUM_STATUS)), STATUS_LETTERS.encode())

MAGIC = b"APYSB\x00\x01\x00"

# global_score: magic, server_limit, thread_limit, running generation (MPM
# generation), config generation, restart_time, parent utime/stime/
# cutime/cstime (seconds).
GLOBAL = struct.Struct("<8sIIIId4d")

# process_score: pid, generation, quiescing, not_accepting, connections
# accepted by this process, utime, stime (seconds, written by the worker).
PROCESS = struct.Struct("<iIBBHQdd")
P_PID, P_GEN, P_QUIESCING, P_NOT_ACCEPTING, P_LINGERING, P_ACCEPTED, P_UTIME, P_STIME = range(8)

# worker_score.  String fields are fixed width, NUL padded (Apache keeps
# 32 bytes of client, 64 of request, 32 of vhost).
WORKER = struct.Struct("<iIQQQQQIxxxxddddQ32s16s32s64s")
(W_PID, W_GEN, W_ACCESS, W_BYTES, W_MY_ACCESS, W_MY_BYTES, W_CONN_BYTES,
 W_CONN_COUNT, W_START, W_STOP, W_LAST_USED, W_CONN_START, W_DURATION,
 W_CLIENT, W_PROTOCOL, W_VHOST, W_REQUEST) = range(17)


def _offsets(fmt: str) -> list[int]:
    """Byte offset of each field of a '<' struct format (pad bytes skipped)."""
    import re
    offs, pos = [], 0
    for count, code in re.findall(r"(\d*)([a-zA-Z?])", fmt[1:]):
        n = int(count) if count else 1
        size = struct.calcsize("<" + code)
        if code == "x":
            pos += n
        elif code == "s":
            offs.append(pos)
            pos += n
        else:
            for _ in range(n):
                offs.append(pos)
                pos += size
    return offs


W_OFFSETS = _offsets(WORKER.format)
P_OFFSETS = _offsets(PROCESS.format)
_Q = struct.Struct("<Q")
_H = struct.Struct("<H")
_D = struct.Struct("<d")
_I = struct.Struct("<I")
_W_ACCESS_BLOCK = struct.Struct("<QQQQQ")   # access, bytes, my_access, my_bytes, conn_bytes
_W_TIMES = struct.Struct("<dd")             # start_time, stop_time
# W_ACCESS .. W_DURATION, contiguous: the counters and times one answer
# updates, read and written in one go
_W_COUNTS = struct.Struct("<QQQQQIxxxxddddQ")
# protocol, vhost and request: adjacent in WORKER, written as one block
_W_DETAILS = struct.Struct("16s32s64s")
assert W_OFFSETS[W_VHOST] == W_OFFSETS[W_PROTOCOL] + 16 == W_OFFSETS[W_REQUEST] - 32


class Layout:
    """Offsets of every region for (server_limit, thread_limit)."""

    __slots__ = ("server_limit", "thread_limit", "slots", "status_off", "process_off",
                 "worker_off", "size")

    def __init__(self, server_limit: int, thread_limit: int) -> None:
        if server_limit < 1 or thread_limit < 1:
            raise ValueError("server_limit and thread_limit must be >= 1")
        self.server_limit = server_limit
        self.thread_limit = thread_limit
        self.slots = server_limit * thread_limit
        self.status_off = GLOBAL.size
        self.process_off = _align(self.status_off + self.slots)
        self.worker_off = _align(self.process_off + server_limit * PROCESS.size)
        self.size = self.worker_off + self.slots * WORKER.size

    def status_index(self, proc: int, thread: int) -> int:
        return proc * self.thread_limit + thread

    def process_at(self, proc: int) -> int:
        return self.process_off + proc * PROCESS.size

    def worker_at(self, proc: int, thread: int) -> int:
        return self.worker_off + (proc * self.thread_limit + thread) * WORKER.size


def _align(n: int, to: int = 64) -> int:
    return (n + to - 1) // to * to


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


class Scoreboard:
    """The shared scoreboard.  ``Scoreboard.create`` in the master (before
    forking); workers use the inherited object."""

    def __init__(self, mm, layout: Layout) -> None:
        self.mm = mm
        self.layout = layout

    @classmethod
    def create(cls, server_limit: int, thread_limit: int) -> "Scoreboard":
        layout = Layout(server_limit, thread_limit)
        mm = mmap.mmap(-1, layout.size, flags=mmap.MAP_SHARED,
                       prot=mmap.PROT_READ | mmap.PROT_WRITE)
        sb = cls(mm, layout)
        GLOBAL.pack_into(mm, 0, MAGIC, server_limit, thread_limit, 0, 1, time.time(),
                         0.0, 0.0, 0.0, 0.0)
        return sb

    def close(self) -> None:
        try:
            self.mm.close()
        except (BufferError, ValueError):
            pass

    # -- global --------------------------------------------------------------
    def global_record(self) -> tuple:
        return GLOBAL.unpack_from(self.mm, 0)

    @property
    def generation(self) -> int:
        return self.global_record()[3]

    @property
    def config_generation(self) -> int:
        return self.global_record()[4]

    @property
    def restart_time(self) -> float:
        return self.global_record()[5]

    def set_generations(self, mpm_generation: int, config_generation: int) -> None:
        rec = list(self.global_record())
        rec[3], rec[4] = mpm_generation, config_generation
        GLOBAL.pack_into(self.mm, 0, *rec)

    def set_restart_time(self, when: float | None = None) -> None:
        rec = list(self.global_record())
        rec[5] = time.time() if when is None else when
        GLOBAL.pack_into(self.mm, 0, *rec)

    def set_parent_times(self) -> None:
        t = os.times()
        rec = list(self.global_record())
        rec[6:10] = [t.user, t.system, t.children_user, t.children_system]
        GLOBAL.pack_into(self.mm, 0, *rec)

    def reset_counters(self) -> None:
        """A full restart (SIGHUP) starts every slot from zero, as
        ``ap_create_scoreboard`` clears the image."""
        lay = self.layout
        self.mm[lay.status_off:lay.size] = bytes(lay.size - lay.status_off)
        self.set_restart_time()

    # -- status bytes --------------------------------------------------------
    def status_bytes(self) -> bytes:
        lay = self.layout
        return self.mm[lay.status_off:lay.status_off + lay.slots]

    def set_status(self, proc: int, thread: int, status: int) -> None:
        self.mm[self.layout.status_off + proc * self.layout.thread_limit + thread] = status

    def set_process_status(self, proc: int, status: int, threads: int | None = None) -> None:
        lay = self.layout
        n = lay.thread_limit if threads is None else threads
        start = lay.status_off + proc * lay.thread_limit
        self.mm[start:start + n] = bytes((status,)) * n

    def letters(self, status: bytes | None = None) -> str:
        return (self.status_bytes() if status is None else status).translate(_LETTER_TABLE).decode()

    # -- process records -------------------------------------------------------
    def process(self, proc: int) -> tuple:
        return PROCESS.unpack_from(self.mm, self.layout.process_at(proc))

    def claim_process(self, proc: int, pid: int, generation: int, threads: int) -> None:
        """Master, just before/after fork: the record and slots belong to *pid*."""
        PROCESS.pack_into(self.mm, self.layout.process_at(proc), pid, generation, 0, 0, 0, 0, 0.0,
                          0.0)
        self.set_process_status(proc, SERVER_DEAD)
        self.set_process_status(proc, SERVER_STARTING, threads)
        lay = self.layout
        for t in range(threads):
            off = lay.worker_at(proc, t)
            # per-child counters start again; per-slot totals survive
            _W_ACCESS_BLOCK.pack_into(self.mm, off + W_OFFSETS[W_ACCESS],
                                      *self._worker_totals(off), 0, 0, 0)
            _I.pack_into(self.mm, off + W_OFFSETS[W_PID], pid)
            _I.pack_into(self.mm, off + W_OFFSETS[W_GEN], generation)

    def _worker_totals(self, off: int) -> tuple[int, int]:
        return struct.unpack_from("<QQ", self.mm, off + W_OFFSETS[W_ACCESS])

    def set_pid(self, proc: int, pid: int) -> None:
        struct.pack_into("<i", self.mm, self.layout.process_at(proc) + P_OFFSETS[P_PID], pid)

    def release_process(self, proc: int) -> None:
        """Master, after reaping: the slot is free ("." on the status page)."""
        off = self.layout.process_at(proc)
        struct.pack_into("<i", self.mm, off + P_OFFSETS[P_PID], 0)
        self.mm[off + P_OFFSETS[P_QUIESCING]] = 0
        self.mm[off + P_OFFSETS[P_NOT_ACCEPTING]] = 0
        _H.pack_into(self.mm, off + P_OFFSETS[P_LINGERING], 0)
        self.set_process_status(proc, SERVER_DEAD)

    def set_quiescing(self, proc: int, value: bool = True) -> None:
        self.mm[self.layout.process_at(proc) + P_OFFSETS[P_QUIESCING]] = 1 if value else 0

    def set_not_accepting(self, proc: int, value: bool) -> None:
        self.mm[self.layout.process_at(proc) + P_OFFSETS[P_NOT_ACCEPTING]] = 1 if value else 0

    def add_accepted(self, proc: int) -> None:
        off = self.layout.process_at(proc) + P_OFFSETS[P_ACCEPTED]
        _Q.pack_into(self.mm, off, _Q.unpack_from(self.mm, off)[0] + 1)

    def set_process_times(self, proc: int) -> None:
        t = os.times()
        off = self.layout.process_at(proc)
        struct.pack_into("<dd", self.mm, off + P_OFFSETS[P_UTIME], t.user, t.system)

    # -- worker records --------------------------------------------------------
    def worker(self, proc: int, thread: int) -> dict:
        """A copy of one worker slot (ap_copy_scoreboard_worker)."""
        lay = self.layout
        f = WORKER.unpack_from(self.mm, lay.worker_at(proc, thread))
        return {
            "status": self.mm[lay.status_off + proc * lay.thread_limit + thread],
            "pid": f[W_PID], "generation": f[W_GEN], "access_count": f[W_ACCESS],
            "bytes_served": f[W_BYTES], "my_access_count": f[W_MY_ACCESS],
            "my_bytes_served": f[W_MY_BYTES], "conn_bytes": f[W_CONN_BYTES],
            "conn_count": f[W_CONN_COUNT], "start_time": f[W_START], "stop_time": f[W_STOP],
            "last_used": f[W_LAST_USED], "duration_us": f[W_DURATION],
            "client": _cstr(f[W_CLIENT]), "protocol": _cstr(f[W_PROTOCOL]),
            "vhost": _cstr(f[W_VHOST]), "request": _cstr(f[W_REQUEST]),
        }

    # -- counting (perform_idle_server_maintenance, mod_status) ------------------
    def count_busy(self) -> int:
        """Slots holding a connection, everywhere (for MaxRequestWorkers)."""
        s = self.status_bytes()
        return len(s) - s.count(SERVER_READY) - s.count(SERVER_DEAD) - s.count(SERVER_STARTING)

    def process_slots(self, proc: int) -> bytes:
        lay = self.layout
        start = lay.status_off + proc * lay.thread_limit
        return self.mm[start:start + lay.thread_limit]


class WorkerBoard:
    """One worker's view: its process slot, its free worker slots, and the
    per-connection hook object the protocol layer calls (``open``).

    ``threads`` is how many worker slots this process may fill (ThreadsPerChild,
    1 under prefork); the worker stops accepting when all are in use.
    """

    def __init__(self, sb: Scoreboard, proc: int, threads: int, *, extended: bool,
                 generation: int) -> None:
        self.sb = sb
        self.mm = sb.mm
        self.proc = proc
        self.threads = threads
        self.extended = extended
        self.generation = generation
        self.free = list(range(threads - 1, -1, -1))   # pop() gives slot 0 first
        self.in_use = 0
        self.opened = 0
        self.status_base = sb.layout.status_off + proc * sb.layout.thread_limit
        self.lingering_off = sb.layout.process_at(proc) + P_OFFSETS[P_LINGERING]
        self.lingering = 0
        self.worker_offs = [sb.layout.worker_at(proc, t) for t in range(threads)]
        self._details: dict[int, tuple] = {}   # id(request) -> (request, details block)
        self.on_change = None          # called after open/close (accept control)
        # MaxConnectionsPerChild: on_change also runs when ``opened``
        # reaches it without a slot changing (answered_at_accept)
        self.max_opened = 0
        self.graceful = False
        # request -> "servername:port" (ws->vhost), set by whoever knows the
        # vhosts (site_vhost_namer); the Host header otherwise
        self.vhost_of = None

    def ready(self) -> None:
        """The worker is up: its slots wait for connections ("_")."""
        for t in range(self.threads):
            self.mm[self.status_base + t] = SERVER_READY

    def open(self, client) -> "ConnSlot | None":
        """A connection from ``client`` (its address) was accepted
        (apyche/http/accept.py): its slot, or None when all are in use
        (the connection is served untracked)."""
        self.opened += 1
        if not self.free:
            return None
        thread = self.free.pop()
        self.in_use += 1
        slot = ConnSlot(self, thread, client)
        if self.on_change is not None:
            self.on_change()
        return slot

    def add_lingering(self, delta: int) -> None:
        """A connection answered at accept opened (+1) or closed (-1): they
        hold no slot while they finish writing and linger, but Apache's
        event MPM counts them in its process's connections and
        lingering_close, so the process record does."""
        self.lingering += delta
        _H.pack_into(self.mm, self.lingering_off, min(max(self.lingering, 0), 0xFFFF))

    def write_details(self, off: int, request, remember: bool = True) -> None:
        """ExtendedStatus: the request's protocol, vhost and request line
        into the worker record at ``off`` (ap_update_child_status).  The
        block is kept for a request that will be shown again (a replayed
        answer's sample request), not for a parsed one."""
        cached = self._details.get(id(request)) if remember else None
        if cached is None or cached[0] is not request:
            line = request.request_line
            if len(line) > 63:
                line = line[:63]
            namer = self.vhost_of
            host = namer(request) if namer is not None else (request.get("Host") or "")
            block = _W_DETAILS.pack(f"http/{request.http_version}".encode()[:15],
                                    host.encode("utf-8", "replace")[:31],
                                    line.encode("utf-8", "replace")[:63])
            cached = (request, block)
            if remember:
                if len(self._details) >= 256:
                    self._details.clear()
                self._details[id(request)] = cached
        start = off + W_OFFSETS[W_PROTOCOL]
        self.mm[start:start + _W_DETAILS.size] = cached[1]

    def answered_at_accept(self, client, request, sent: int, duration: float) -> None:
        """A connection answered and handed to lingering close the moment
        it was accepted (apyche/http/accept.py): it counts as opened and
        its request is counted on a free slot, which it never holds (as
        Apache's event MPM keeps lingering connections off its workers) -
        what ConnSlot's open, answered_again and close would write, in one
        go (this is per connection on the one-request path)."""
        self.opened += 1
        if self.free:
            off = self.worker_offs[self.free[-1]]
            mm = self.mm
            now = time.time()
            base = off + W_OFFSETS[W_ACCESS]
            (access, nbytes, my_access, my_bytes, _conn_bytes, _conn_count, _start, _stop,
             _last, conn_start, total_us) = _W_COUNTS.unpack_from(mm, base)
            _W_COUNTS.pack_into(mm, base, access + 1, nbytes + sent, my_access + 1,
                                my_bytes + sent, sent, 1, now - duration, now, now, conn_start,
                                total_us + int(duration * 1e6))
            if self.extended:
                ip = client[0] if client else ""
                struct.pack_into("32s", mm, off + W_OFFSETS[W_CLIENT], ip.encode()[:31])
                if request is not None:
                    self.write_details(off, request)
        # no slot changed hands: accept control only cares when this was
        # the child's last connection
        if self.on_change is not None and self.max_opened and self.opened >= self.max_opened:
            self.on_change()

    def release(self, thread: int) -> None:
        self.mm[self.status_base + thread] = SERVER_GRACEFUL if self.graceful else SERVER_READY
        self.free.append(thread)
        self.in_use -= 1
        if self.on_change is not None:
            self.on_change()

    def set_graceful(self) -> None:
        """Stopping: idle slots show "G" (gracefully finishing) as Apache's do."""
        self.graceful = True
        self.sb.set_quiescing(self.proc)
        for t in self.free:
            self.mm[self.status_base + t] = SERVER_GRACEFUL


def site_vhost_namer(site):
    """ws->vhost as scoreboard.c writes it: the chosen server's name and
    the connection's local port ("localhost:8080")."""
    resolver, settings = site.resolver, site.settings

    def name(request) -> str:
        local = request.server or ("127.0.0.1", 0)
        try:
            view = resolver.select_server(local[0], local[1], request.get("Host"))
            return f"{settings[view.index].server_name}:{local[1]}"
        except Exception:
            return request.get("Host") or ""
    return name


class ConnSlot:
    """The scoreboard hook of one connection (see HttpProtocol's
    ``scoreboard`` parameter).  Every method is a few stores into the
    shared mapping; request details are written only with ExtendedStatus."""

    __slots__ = ("board", "thread", "pos", "off", "mm", "t_start", "conn_bytes", "client",
                 "_shown")

    def __init__(self, board: WorkerBoard, thread: int, client) -> None:
        self.board = board
        self.thread = thread
        self.mm = board.mm
        self.pos = board.status_base + thread
        self.off = board.sb.layout.worker_at(board.proc, thread)
        self.t_start = 0.0
        self.conn_bytes = 0
        self._shown = None       # the request whose details the slot shows
        self.mm[self.pos] = SERVER_BUSY_READ
        off = self.off
        _I.pack_into(self.mm, off + W_OFFSETS[W_CONN_COUNT], 0)
        _Q.pack_into(self.mm, off + W_OFFSETS[W_CONN_BYTES], 0)
        if board.extended:
            ip = client[0] if client else ""
            struct.pack_into("32s", self.mm, off + W_OFFSETS[W_CLIENT], ip.encode()[:31])
            struct.pack_into("64s", self.mm, off + W_OFFSETS[W_REQUEST], b"")
            struct.pack_into("32s", self.mm, off + W_OFFSETS[W_VHOST], b"")

    # state changes -------------------------------------------------------------
    def reading(self) -> None:
        self.mm[self.pos] = SERVER_BUSY_READ

    def writing(self, request) -> None:
        """The request head is in: SERVER_BUSY_WRITE, and the request
        details with ExtendedStatus (ap_update_child_status)."""
        self.mm[self.pos] = SERVER_BUSY_WRITE
        now = time.time()
        self.t_start = now
        _W_TIMES.pack_into(self.mm, self.off + W_OFFSETS[W_START], now, 0.0)
        if self.board.extended and request is not None:
            self._details(request, False)

    def _details(self, request, remember: bool) -> None:
        if request is not self._shown:
            self._shown = request
            self.board.write_details(self.off, request, remember)

    def answered_again(self, request, sent: int, duration: float, keepalive: bool) -> None:
        """A replayed answer (apyche/http/replay.py): ``writing``, ``done``
        and ``keepalive`` in one call - the write took no time to watch."""
        now = time.time()
        self.t_start = now - duration
        if self.board.extended and request is not None:
            self._details(request, True)
        self._count(sent, duration, now, self.t_start)
        self.mm[self.pos] = SERVER_BUSY_KEEPALIVE if keepalive else SERVER_BUSY_WRITE

    def done(self, sent: int, duration: float) -> None:
        """A response went out: the counters (ap_increment_counts) and times."""
        self._count(sent, duration, time.time())

    def _count(self, sent: int, duration: float, now: float, start: float | None = None) -> None:
        base = self.off + W_OFFSETS[W_ACCESS]
        (access, nbytes, my_access, my_bytes, conn_bytes, conn_count, t_start, _stop,
         _last, conn_start, total_us) = _W_COUNTS.unpack_from(self.mm, base)
        _W_COUNTS.pack_into(self.mm, base, access + 1, nbytes + sent, my_access + 1,
                            my_bytes + sent, conn_bytes + sent, conn_count + 1,
                            t_start if start is None else start, now, now, conn_start,
                            total_us + int(duration * 1e6))

    def keepalive(self) -> None:
        self.mm[self.pos] = SERVER_BUSY_KEEPALIVE

    def closing(self) -> None:
        self.mm[self.pos] = SERVER_CLOSING

    def close(self) -> None:
        board, self.board = self.board, None
        if board is not None:
            board.release(self.thread)
