"""Scoreboard layout and the per-connection hook, without processes."""

import os

from apyche.process.scoreboard import (GLOBAL, P_LINGERING, PROCESS, SERVER_BUSY_KEEPALIVE, SERVER_BUSY_READ,
                                       SERVER_BUSY_WRITE, SERVER_DEAD,
                                       SERVER_GRACEFUL, SERVER_READY, SERVER_STARTING,
                                       STATUS_LETTERS, WORKER, Layout, Scoreboard, WorkerBoard)


class FakeReq:
    method = "GET"
    request_line = "GET /a-very-long-path/" + "x" * 100 + " HTTP/1.1"
    http_version = "1.1"

    def get(self, name):
        return "example.org:8080" if name == "Host" else None


class FakeProto:
    client = ("192.0.2.7", 5555)


def test_letters_are_apaches():
    # scoreboard.h numbers -> mod_status's status_flags
    assert STATUS_LETTERS[SERVER_DEAD] == "."
    assert STATUS_LETTERS[SERVER_STARTING] == "S"
    assert STATUS_LETTERS[SERVER_READY] == "_"
    assert STATUS_LETTERS[SERVER_BUSY_READ] == "R"
    assert STATUS_LETTERS[SERVER_BUSY_WRITE] == "W"
    assert STATUS_LETTERS[SERVER_BUSY_KEEPALIVE] == "K"
    assert STATUS_LETTERS == ".S_RWKLDCGI"


def test_layout_is_fixed_size_and_aligned():
    lay = Layout(16, 64)
    assert lay.slots == 1024
    assert lay.status_off == GLOBAL.size
    assert lay.process_off % 64 == 0 and lay.worker_off % 64 == 0
    assert lay.process_off >= lay.status_off + lay.slots
    assert lay.worker_off >= lay.process_off + 16 * PROCESS.size
    assert lay.size == lay.worker_off + 1024 * WORKER.size
    # slots never overlap
    assert lay.worker_at(0, 1) - lay.worker_at(0, 0) == WORKER.size
    assert lay.worker_at(1, 0) - lay.worker_at(0, 63) == WORKER.size


def test_claim_release_and_letters():
    sb = Scoreboard.create(3, 2)
    assert sb.letters() == "......"
    sb.claim_process(1, 4242, 0, 2)
    assert sb.letters() == "..SS.."
    assert sb.process(1)[0] == 4242
    board = WorkerBoard(sb, 1, 2, extended=True, generation=0)
    board.ready()
    assert sb.letters() == "..__.."
    sb.release_process(1)
    assert sb.letters() == "......"
    assert sb.process(1)[0] == 0


def _watched_board(procs: int, threads: int):
    """Process 0's board (ExtendedStatus on), ready, and the list its
    on_change appends the slots in use to."""
    sb = Scoreboard.create(procs, threads)
    sb.claim_process(0, os.getpid(), 0, threads)
    board = WorkerBoard(sb, 0, threads, extended=True, generation=0)
    board.ready()
    changes = []
    board.on_change = lambda: changes.append(board.in_use)
    return sb, board, changes


def test_connection_hook_walks_the_states_and_counts():
    sb, board, changes = _watched_board(2, 2)
    slot = board.open(FakeProto.client)
    assert sb.letters()[0] == "R"
    slot.writing(FakeReq())
    assert sb.letters()[0] == "W"
    slot.done(1500, 0.002)
    slot.keepalive()
    assert sb.letters()[0] == "K"
    slot.reading()
    slot.writing(FakeReq())
    slot.done(500, 0.001)
    slot.closing()
    assert sb.letters()[0] == "C"
    assert sb.count_busy() == 1
    slot.close()
    assert sb.letters()[:2] == "__"
    assert changes == [1, 0]
    w = sb.worker(0, 0)
    assert (w["access_count"], w["bytes_served"], w["conn_count"], w["conn_bytes"]) == (2, 2000, 2, 2000)
    assert w["client"] == "192.0.2.7"
    assert w["vhost"] == "example.org:8080"          # no namer: the Host header
    assert w["protocol"] == "http/1.1"
    assert len(w["request"]) == 63 and w["request"].startswith("GET /a-very-long-path/")
    assert w["duration_us"] == 3000


def test_a_connection_answered_at_accept_counts_without_holding_a_slot():
    sb, board, changes = _watched_board(1, 2)
    for _ in range(3):
        board.answered_at_accept(("192.0.2.9", 4444), FakeReq(), 700, 0.001)
    assert sb.letters() == "__"
    # no slot changed hands: accept control is not asked ...
    assert board.opened == 3 and board.in_use == 0 and changes == []
    w = sb.worker(0, 0)     # the slot open() would hand out next
    assert (w["access_count"], w["bytes_served"], w["conn_count"], w["conn_bytes"]) == \
        (3, 2100, 1, 700)   # conn_* are the last connection's
    assert w["client"] == "192.0.2.9" and w["request"].startswith("GET /a-very-long-path/")
    board.add_lingering(1)   # they linger off the slots, counted per process
    board.add_lingering(1)
    board.add_lingering(-1)
    assert sb.process(0)[P_LINGERING] == 1 and sb.letters() == "__"
    board.max_opened = 4     # ... until MaxConnectionsPerChild is reached
    board.answered_at_accept(("192.0.2.9", 4444), FakeReq(), 700, 0.001)
    assert changes == [0]
    board.set_graceful()
    board.answered_at_accept(("192.0.2.9", 4444), FakeReq(), 700, 0.001)
    assert sb.letters() == "GG"


def test_one_writer_per_slot_and_slot_exhaustion():
    sb = Scoreboard.create(1, 2)
    board = WorkerBoard(sb, 0, 2, extended=False, generation=0)
    board.ready()
    a, b = board.open(FakeProto.client), board.open(FakeProto.client)
    assert {a.thread, b.thread} == {0, 1}
    assert board.open(FakeProto.client) is None        # no third slot: untracked
    assert board.opened == 3
    a.close()
    a.close()                                     # idempotent
    c = board.open(FakeProto.client)
    assert c.thread == a.thread


def test_graceful_marks_free_slots_and_quiescing():
    sb = Scoreboard.create(1, 3)
    board = WorkerBoard(sb, 0, 3, extended=False, generation=0)
    board.ready()
    busy = board.open(FakeProto.client)
    board.set_graceful()
    assert sb.letters() == "RGG"
    assert sb.process(0)[2] == 1
    busy.close()
    assert sb.letters() == "GGG"


def test_counters_survive_a_new_child_in_the_slot_but_per_child_ones_restart():
    sb = Scoreboard.create(1, 1)
    sb.claim_process(0, 1, 0, 1)
    board = WorkerBoard(sb, 0, 1, extended=False, generation=0)
    s = board.open(FakeProto.client)
    s.writing(FakeReq())
    s.done(100, 0.0)
    s.close()
    sb.release_process(0)
    sb.claim_process(0, 2, 1, 1)
    w = sb.worker(0, 0)
    assert (w["access_count"], w["bytes_served"], w["my_access_count"], w["my_bytes_served"]) \
        == (1, 100, 0, 0)
    assert (w["pid"], w["generation"]) == (2, 1)


def test_shared_across_fork():
    sb = Scoreboard.create(2, 1)
    pid = os.fork()
    if pid == 0:
        try:
            sb.claim_process(1, os.getpid(), 0, 1)
            sb.set_status(1, 0, SERVER_GRACEFUL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert sb.letters() == ".G"
    assert sb.process(1)[0] == pid
