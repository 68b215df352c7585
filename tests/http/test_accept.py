"""Answers at accept time (apyche/http/accept.py): with TCP_DEFER_ACCEPT on
the listening socket, a fresh connection whose first read is a stored
request with a closing answer is answered by the listener itself - no
transport, no protocol - then finished (partial writes) and closed the way
ap_lingering_close does.  Everything else goes to an HttpProtocol that
starts from the bytes already read."""

from __future__ import annotations

import errno
import socket
import struct
import time

import pytest

from apyche.http import ConnectionPolicy
from apyche.http import accept as accept_module
from apyche.http import protocol as protocol_module
from apyche.http.accept import defers_accept, set_accept_filter

from .conftest import Conn, get
from .test_replay import Counting

pytestmark = pytest.mark.skipif(not hasattr(socket, "TCP_DEFER_ACCEPT"),
                                reason="TCP_DEFER_ACCEPT is Linux's")

CLOSE = b"Connection: close\r\n"


@pytest.fixture
def made(monkeypatch):
    """How many HttpProtocols got a connection."""
    count = [0]
    real = protocol_module.HttpProtocol.connection_made

    def counting(self, transport):
        count[0] += 1
        return real(self, transport)
    monkeypatch.setattr(protocol_module.HttpProtocol, "connection_made", counting)
    return count


def _listener(srv):
    return srv.server.servers[0]


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def one_shot(port, data, head_only=False, **kw):
    c = Conn(port, **kw)
    c.send(data)
    status, headers, body = c.response(head_only=head_only)
    rest = c.read_to_eof()
    c.close()
    return status, headers, body, rest


REQUEST = get("/x", extra=CLOSE)


def stored_then_sent(srv, **conn_kw) -> Conn:
    """Store the answer to REQUEST (stored the second time it is answered),
    then send REQUEST on a new connection: it is answered at accept."""
    for _ in range(2):
        one_shot(srv.port, REQUEST)
    return Conn(srv.port, **conn_kw).send(REQUEST)


def test_accept_filter_sets_and_clears_defer_accept():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        assert not defers_accept(s)
        assert set_accept_filter(s, "data") and defers_accept(s)
        assert not set_accept_filter(s, None) and not defers_accept(s)


def test_closing_repeats_are_answered_without_a_protocol(make_server, made):
    handler = Counting()
    srv = make_server(handler, accept_filter="data")
    request = get("/x", extra=CLOSE)
    answers = [one_shot(srv.port, request) for _ in range(5)]
    # stored the second time it is answered; then answered at accept
    assert handler.calls == 2 and made[0] == 2
    for status, headers, body, rest in answers:
        assert status == 200 and body == b"static body\n" and rest == b""
        assert headers["connection"] == "close"
        assert {k: v for k, v in headers.items() if k != "date"} == \
            {k: v for k, v in answers[0][1].items() if k != "date"}
    # logged after the answer is sent: the client may be faster
    assert _wait(lambda: len(handler.log) == 3)
    assert [entry[1:] for entry in handler.log] == [(12, 0, False)] * 3
    assert _wait(lambda: _listener(srv).open_answers == 0)


def test_closing_requests_differing_in_other_fields_share_a_shared_answer(make_server, made):
    handler = Counting(shared=True)
    srv = make_server(handler, accept_filter="data")
    answers = [one_shot(srv.port, get("/x", extra=b"X-N: %d\r\n" % i + CLOSE))
               for i in range(5)]
    # stored under its shape the second time one is answered; then
    # answered at accept whatever the other fields say
    assert handler.calls == 2 and made[0] == 2
    assert [a[2] for a in answers] == [b"static body\n"] * 5
    assert _wait(lambda: len(handler.log) == 3)
    # a stale shape goes back to the handler, as stale bytes do
    handler.hooks[1].valid = False
    handler.body = b"new body\n"
    assert one_shot(srv.port, get("/x", extra=b"X-N: 9\r\n" + CLOSE))[2] == b"new body\n"
    assert handler.calls == 3 and made[0] == 3


def test_head_and_http10_one_shots(make_server, made):
    handler = Counting()
    srv = make_server(handler, accept_filter="data")
    head = b"HEAD /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    for _ in range(4):
        status, headers, body, rest = one_shot(srv.port, head, head_only=True)
        assert status == 200 and body == b"" and rest == b""
        assert headers["content-length"] == "12"
    for _ in range(4):
        status, headers, body, rest = one_shot(srv.port, get("/x", version=b"1.0"))
        assert status == 200 and body == b"static body\n"
    assert handler.calls == 4 and made[0] == 4


def test_a_keep_alive_answer_goes_to_a_protocol_with_the_bytes_read(make_server, made):
    handler = Counting()
    srv = make_server(handler, accept_filter="data")
    for i in range(4):
        c = Conn(srv.port)
        for _ in range(2):
            status, headers, body = c.send(get("/x")).response()
            assert status == 200 and body == b"static body\n" and "connection" not in headers
        assert not c.is_closed(0.2)
        c.close()
    assert made[0] == 4
    assert handler.calls == 2   # the rest were replays, in the protocol


def test_without_the_accept_filter_every_connection_gets_a_protocol(make_server, made):
    handler = Counting()
    srv = make_server(handler)
    for _ in range(4):
        assert one_shot(srv.port, get("/x", extra=CLOSE))[2] == b"static body\n"
    assert made[0] == 4


def test_a_stale_answer_goes_back_to_the_handler(make_server, made):
    handler = Counting()
    srv = make_server(handler, accept_filter="data")
    for _ in range(3):
        one_shot(srv.port, REQUEST)
    assert handler.calls == 2
    for hook in handler.hooks:
        hook.valid = False
    handler.body = b"new body\n"
    assert one_shot(srv.port, REQUEST)[2] == b"new body\n"
    assert handler.calls == 3


def test_pipelined_requests_in_the_first_read_are_parsed(make_server, made):
    handler = Counting()
    srv = make_server(handler, accept_filter="data")
    stored_then_sent(srv).close()
    c = Conn(srv.port)
    c.send(get("/x") + REQUEST)
    assert c.response()[2] == b"static body\n"
    status, headers, body = c.response()
    assert body == b"static body\n" and headers["connection"] == "close"
    assert c.is_closed()
    c.close()


def _segments_in(sock: socket.socket) -> int:
    """tcpi_segs_in of the socket's TCP_INFO (Linux 4.2+): how many
    segments it has received."""
    return struct.unpack_from("I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256),
                              140)[0]


def _segments_from_plain_server(request: bytes, answer: bytes, flags: int) -> int:
    """What a client receives from a plain listener (deferring accept, as
    ours) that answers with one send(flags) and a shutdown: the fewest of a
    few tries (a delayed ACK can add one)."""
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        set_accept_filter(ls, "data")
        ls.listen(8)
        counts = []
        for _ in range(3):
            c = Conn(ls.getsockname()[1]).send(request)
            s, _ = ls.accept()
            with s:
                s.recv(65536)
                s.send(answer, flags)
                s.shutdown(socket.SHUT_WR)
                assert c.read_to_eof() == answer
                counts.append(_segments_in(c.sock))
                c.close()
        return min(counts)


@pytest.mark.skipif(not hasattr(socket, "MSG_MORE"), reason="MSG_MORE is Linux's")
def test_the_answer_and_the_fin_leave_in_one_segment(make_server, made):
    # One segment fewer for the client to take in, per connection.
    srv = make_server(Counting(), accept_filter="data")
    counts = []
    for _ in range(3):      # a delayed ACK of the request may add a segment
        c = stored_then_sent(srv)
        answer = c.read_to_eof()
        assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"static body\n")
        counts.append(_segments_in(c.sock))
        c.close()
    assert made[0] == 2         # storing the answer; every try is answered at accept
    apart = _segments_from_plain_server(REQUEST, answer, 0)
    together = _segments_from_plain_server(REQUEST, answer, socket.MSG_MORE)
    assert together == apart - 1
    assert min(counts) == together


def test_a_partial_write_is_finished(make_server, made):
    big = bytes(range(256)) * 240        # 60 KiB: stored (<= 64 KiB), and more
                                         # than one send takes with these buffers
    handler = Counting(big)
    srv = make_server(handler, accept_filter="data", sndbuf=8192)
    c = stored_then_sent(srv, rcvbuf=8192)
    time.sleep(0.2)                       # let the server fill the buffers
    assert _listener(srv).open_answers == 1
    status, headers, body = c.response()
    assert status == 200 and body == big
    assert c.is_closed()
    c.close()
    assert made[0] == 2
    assert _wait(lambda: _listener(srv).open_answers == 0)


def test_a_client_that_stops_reading_is_dropped_after_timeout(make_server, made):
    big = b"y" * 60000
    srv = make_server(Counting(big), ConnectionPolicy(timeout=0.5), accept_filter="data",
                      sndbuf=8192)
    c = stored_then_sent(srv, rcvbuf=8192)
    assert _wait(lambda: _listener(srv).open_answers == 1)
    assert _wait(lambda: _listener(srv).open_answers == 0, timeout=5)
    c.close()


def test_lingering_lasts_until_the_client_closes(make_server, made):
    srv = make_server(Counting(), accept_filter="data")
    c = stored_then_sent(srv)
    assert c.response()[2] == b"static body\n"
    assert c.read_to_eof() == b""          # our side is shut down ...
    c.send(b"late bytes the server reads and discards")
    time.sleep(0.1)
    assert _listener(srv).open_answers == 1   # ... theirs is still open
    c.close()
    assert _wait(lambda: _listener(srv).open_answers == 0)


def test_lingering_ends_after_the_read_timeout(make_server, made):
    srv = make_server(Counting(), ConnectionPolicy(lingering_read_timeout=0.3),
                      accept_filter="data")
    c = stored_then_sent(srv)
    assert c.response()[2] == b"static body\n"
    assert _wait(lambda: _listener(srv).open_answers == 1)
    assert _wait(lambda: _listener(srv).open_answers == 0, timeout=3)
    c.close()


def test_no_lingering_closes_at_once(make_server, made):
    srv = make_server(Counting(), ConnectionPolicy(lingering_max=0), accept_filter="data")
    request = get("/x", extra=CLOSE)
    for _ in range(3):
        assert one_shot(srv.port, request)[2] == b"static body\n"
    assert _listener(srv).open_answers == 0


def test_a_stop_closes_lingering_answers(make_server, made):
    srv = make_server(Counting(), accept_filter="data")
    c = stored_then_sent(srv)
    assert c.response()[2] == b"static body\n"
    assert _wait(lambda: _listener(srv).open_answers == 1)
    t0 = time.monotonic()
    srv.stop(grace=5.0)
    assert time.monotonic() - t0 < 4.0
    assert _listener(srv).open_answers == 0
    c.close()


class _FailingAccepts:
    """A listening socket whose next accept()s fail with EMFILE."""

    def __init__(self, sock, failures):
        self._real = sock
        self.failures = failures

    def _accept(self):
        if self.failures:
            self.failures -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return self._real._accept()

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_out_of_descriptors_pauses_accepting_then_resumes(make_server, monkeypatch, caplog):
    monkeypatch.setattr(accept_module, "ACCEPT_RETRY_SECONDS", 0.2)
    srv = make_server(Counting(), accept_filter="data")
    listener = _listener(srv)
    failing = _FailingAccepts(listener._sock, 1)
    listener._sock = failing
    t0 = time.monotonic()
    with caplog.at_level("ERROR", logger="apyche.http"):
        status, _, body, _ = one_shot(srv.port, REQUEST)
    assert status == 200 and body == b"static body\n"
    assert failing.failures == 0
    assert time.monotonic() - t0 >= 0.15          # it waited, it did not spin
    assert any("Too many open files" in r.getMessage() for r in caplog.records)
