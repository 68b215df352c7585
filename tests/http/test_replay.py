"""Replayed answers (apyche/http/replay.py): a read that repeats a stored
request's bytes is answered from the stored head and the hook's body,
without the parser or the handler - and exactly as the handler would have
answered it: keep-alive countdown, Connection: close, HEAD, Date, and back
to the handler the moment the hook says the answer no longer holds.

An answer is stored the second time its request bytes are seen, so the
handler answers the first two of any series.  A hook that is ``shared``
also stores its answer under the request's shape (line, Host, Connection):
requests that differ only in other fields get it too."""

from __future__ import annotations

import time

import pytest

from apyche.http import ConnectionPolicy, Response

from .conftest import Conn, get


class Counting:
    """A handler that attaches a hook to its answers and counts its calls."""

    def __init__(self, body=b"static body\n", shared=False) -> None:
        self.calls = 0
        self.hooks: list = []
        self.body = body
        self.log: list[tuple] = []
        self.shared = shared    # answers hold whatever the other fields say

    def __call__(self, request):
        self.calls += 1
        body = self.body if request.method == "GET" else b""
        response = Response(200, [("Content-Type", "text/plain"), ("ETag", '"e1"')], body)
        if request.method == "HEAD":
            response.headers.append(("Content-Length", str(len(self.body))))
        hook = _Hook(self.body, self.log)
        hook.shared = self.shared
        self.hooks.append(hook)
        response.replay = hook
        return response


class _Hook:
    def __init__(self, body, log) -> None:
        self.body = body
        self.valid = True
        self.checks = 0
        self.log = log

    def check(self):
        self.checks += 1
        return self.body if self.valid else None

    def served(self, client, start_us, sent, keepalives, keepalive, bytes_in, bytes_out):
        self.log.append((client[0], sent, keepalives, keepalive))
        self.sizes = getattr(self, "sizes", []) + [(bytes_in, bytes_out)]


def _same_but_date(h1, h2):
    strip = lambda h: {k: v for k, v in h.items() if k != "date"}  # noqa: E731
    return strip(h1) == strip(h2)


def test_repeated_bytes_skip_the_handler_and_answer_the_same(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    first = c.send(get("/f")).response()
    answers = [c.send(get("/f")).response() for _ in range(6)]
    assert handler.calls == 2
    assert handler.hooks[0].checks == 0 and handler.hooks[1].checks == 5
    for status, headers, body in answers:
        assert status == 200 and body == b"static body\n"
        assert _same_but_date(headers, first[1])
        assert headers["date"].endswith("GMT")
    # served() is the replayed requests' on_complete: one per answer, with
    # the connection's keep-alive count (it runs just after the write)
    deadline = time.monotonic() + 5
    while len(handler.log) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [entry[1:] for entry in handler.log] == [(12, k, True) for k in range(3, 8)]
    assert srv.wait_completed(2) and len(srv.completed) == 2
    # mod_logio's %I and %O: the request's bytes, and the whole answer's
    # (its head - the same length each time but for Keep-Alive's max - and
    # its 12-byte body)
    sizes = handler.hooks[1].sizes
    assert {size_in for size_in, _ in sizes} == {len(get("/f"))}
    heads = {size_out - 12 for _, size_out in sizes}
    assert len(heads) == 1 and heads.pop() > 100


def test_other_bytes_go_to_the_handler(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    c.send(get("/f")).response()
    c.send(get("/f", extra=b"User-Agent: other\r\n")).response()
    c.send(get("/g")).response()
    assert handler.calls == 3


def test_stale_answer_goes_back_to_the_handler(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    for _ in range(3):
        c.send(get("/f")).response()
    assert handler.calls == 2 and handler.hooks[1].checks == 1
    handler.hooks[1].valid = False
    handler.body = b"new body\n"
    assert c.send(get("/f")).response()[2] == b"new body\n"
    assert handler.calls == 3
    # the new answer is the one replayed now
    assert c.send(get("/f")).response()[2] == b"new body\n"
    assert handler.calls == 3 and handler.hooks[2].checks == 1


def test_keepalive_countdown_still_closes(make_server):
    handler = Counting()
    srv = make_server(handler, policy=ConnectionPolicy(max_keep_alive_requests=3))
    c = Conn(srv.port)
    seen = [c.send(get("/f")).response()[1].get("connection") for _ in range(4)]
    assert seen == [None, None, None, "close"]
    assert c.is_closed()
    assert handler.calls == 2


def test_connection_close_request_is_replayed_with_close(make_server):
    handler = Counting()
    srv = make_server(handler)
    req = get("/f", extra=b"Connection: close\r\n")
    for _ in range(4):
        c = Conn(srv.port)
        status, headers, body = c.send(req).response()
        assert status == 200 and headers["connection"] == "close" and body == b"static body\n"
        assert c.is_closed()
    assert handler.calls == 2


def test_http10_without_keepalive_closes(make_server):
    handler = Counting()
    srv = make_server(handler)
    req = get("/f", version=b"1.0")
    for _ in range(3):
        c = Conn(srv.port)
        status, headers, body = c.send(req).response()
        assert headers["connection"] == "close" and c.is_closed()
    assert handler.calls == 2


@pytest.mark.parametrize("version", [b"1.1", b"1.0"])
def test_keepalive_token_answers_count_down_when_replayed(make_server, version):
    # "Keep-Alive: timeout=5, max=N" counts the requests left: the stored
    # head is rendered around N, down to the answer that closes
    handler = Counting()
    srv = make_server(handler, policy=ConnectionPolicy(max_keep_alive_requests=5))
    c = Conn(srv.port)
    answers = [c.send(get("/f", version=version, extra=b"Connection: keep-alive\r\n")).response()
               for _ in range(6)]
    assert [h.get("keep-alive") for _, h, _ in answers] == \
        [f"timeout=5, max={n}" for n in range(5, 0, -1)] + [None]
    assert [h["connection"] for _, h, _ in answers] == ["Keep-Alive"] * 5 + ["close"]
    assert all(body == b"static body\n" for _, _, body in answers)
    assert handler.calls == 2 and c.is_closed()


def test_keepalive_token_without_a_limit_is_replayed_as_is(make_server):
    handler = Counting()
    srv = make_server(handler, policy=ConnectionPolicy(max_keep_alive_requests=0))
    c = Conn(srv.port)
    seen = [c.send(get("/f", extra=b"Connection: keep-alive\r\n")).response()[1]
            for _ in range(4)]
    assert [(h["keep-alive"], h["connection"]) for h in seen] == \
        [("timeout=5", "Keep-Alive")] * 4
    assert handler.calls == 2


def test_head_is_replayed_without_a_body(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    req = b"HEAD /f HTTP/1.1\r\nHost: a\r\n\r\n"
    for _ in range(4):
        status, headers, body = c.send(req).response(head_only=True)
        assert status == 200 and headers["content-length"] == "12"
    # nothing stray followed the heads: the next answer parses cleanly
    assert c.send(get("/f")).response()[2] == b"static body\n"
    assert handler.calls == 3


def test_pipelined_stored_requests_are_answered_and_the_rest_parsed(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    c.send(get("/f")).response()
    c.send(get("/f")).response()
    c.send(get("/f") + get("/g") + get("/f"))
    assert [c.response()[2] for _ in range(3)] == [b"static body\n"] * 3
    # the first from its stored answer; /g is not stored, so it and all
    # after it are parsed
    assert handler.calls == 4 and handler.hooks[1].checks == 1


def test_pipelined_requests_are_stored_and_answered_again_in_order(make_server):
    paths = ["/a", "/b", "/a", "/c"]
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    batch = b"".join(get(p) for p in paths) + b"HEAD /b HTTP/1.1\r\nHost: a\r\n\r\n"
    for _ in range(4):
        c.send(batch)
        answers = [c.response() for _ in paths] + [c.response(head_only=True)]
        assert [a[2] for a in answers] == [b"static body\n"] * 4 + [b""]
        assert answers[-1][1]["content-length"] == "12"
    # each stored the second time it is parsed (the second /a in the first
    # batch already); a batch is replayed up to its first request not
    # stored, the rest parsed: 5 + 4 handled, then batches 3 and 4 replayed
    assert handler.calls == 9
    deadline = time.monotonic() + 5
    while len(handler.log) < 11 and time.monotonic() < deadline:
        time.sleep(0.01)
    # the connection's count of each replayed request, in order
    assert [entry[2] for entry in handler.log] == [6] + list(range(11, 21))
    assert not c.is_closed(0.2)


def test_a_closing_answer_in_a_pipeline_ends_it(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    close = get("/f", extra=b"Connection: close\r\n")
    for req in (get("/f"), get("/f"), close, close):
        Conn(srv.port).send(req).response()
    assert handler.calls == 4
    c.send(get("/f") + close + get("/f"))
    assert c.response()[1].get("connection") is None
    assert c.response()[1]["connection"] == "close"
    assert c.read_to_eof() == b""       # the request after it is never answered
    assert handler.calls == 4


def test_a_body_after_stored_requests_is_read_as_a_body(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    for _ in range(2):
        c.send(get("/f")).response()
    stored = get("/f")
    c.send(get("/f") + b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(stored)
           + stored + get("/f"))
    assert [c.response()[0] for _ in range(3)] == [200] * 3
    assert handler.calls == 4       # the POST and the request after it


def test_a_stale_answer_in_a_pipeline_goes_to_the_handler(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    for _ in range(2):
        c.send(get("/f")).response()
    handler.hooks[1].valid = False
    handler.body = b"new body\n"
    c.send(get("/f") + get("/f"))
    assert [c.response()[2] for _ in range(2)] == [b"new body\n"] * 2
    assert handler.calls == 4


@pytest.mark.parametrize("stored", [True, False])
def test_many_pipelined_answers_to_a_slow_reader_all_arrive_in_order(make_server, stored):
    # stored: replayed by _answer_pipelined; not: parsed and queued
    handler = Counting(body=b"x" * 60000)
    srv = make_server(handler, policy=ConnectionPolicy(max_keep_alive_requests=0))
    c = Conn(srv.port, rcvbuf=65536)
    for _ in range(2):
        c.send(get("/f")).response()
    n = 200      # 12 MB of answers to 200 requests in one read
    c.send(b"".join(get("/f", extra=b"" if stored else b"X-N: %d\r\n" % i) for i in range(n)))
    time.sleep(0.3)      # not reading: the server must hold back, not buffer it all
    conn = next(iter(srv.server.connections))
    held = conn.transport.get_write_buffer_size()
    assert held < 2 * ConnectionPolicy().write_buffer_high + 2 * 60000, held
    assert all(c.response()[2] == b"x" * 60000 for _ in range(n))
    c.send(get("/f"))
    assert c.response()[0] == 200


def test_a_request_split_over_reads_is_parsed(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    c.send(get("/f")).response()
    c.send(get("/f")).response()
    raw = get("/f")
    c.send(raw[:10])
    time.sleep(0.05)
    c.send(raw[10:])
    assert c.response()[2] == b"static body\n"
    # the tail alone is not the stored request
    assert handler.calls == 3


def test_request_with_a_body_is_not_stored(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    req = b"GET /f HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
    for _ in range(2):
        assert c.send(req).response()[0] == 200
    assert handler.calls == 2


def test_same_bytes_on_another_listener_are_another_key(make_server):
    import socket as socketlib
    extra = socketlib.socket()
    extra.bind(("127.0.0.1", 0))
    extra.listen(16)
    port2 = extra.getsockname()[1]
    handler = Counting()
    srv = make_server(handler, extra_sockets=[extra])
    for _ in range(2):
        Conn(srv.port).send(get("/f")).response()
    Conn(port2).send(get("/f")).response()
    assert handler.calls == 3        # stored for the first port only
    Conn(port2).send(get("/f")).response()
    Conn(port2).send(get("/f")).response()
    assert handler.calls == 4


def test_accepted_sockets_have_nodelay(make_server):
    # the protocol relies on the loop for TCP_NODELAY (no setsockopt of its own)
    import socket as socketlib
    srv = make_server(Counting())
    c = Conn(srv.port)
    c.send(get("/f")).response()
    conn = next(iter(srv.server.connections))
    sock = conn.transport.get_extra_info("socket")
    assert sock.getsockopt(socketlib.IPPROTO_TCP, socketlib.TCP_NODELAY) != 0


def test_an_answer_is_stored_the_second_time_its_bytes_are_seen(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    for i in range(5):      # one-off requests: never stored
        c.send(get("/f", extra=b"X-N: %d\r\n" % i)).response()
    assert all(h.checks == 0 for h in handler.hooks) and handler.calls == 5
    c.send(get("/f", extra=b"X-N: 1\r\n")).response()
    c.send(get("/f", extra=b"X-N: 1\r\n")).response()
    assert handler.calls == 6 and handler.hooks[-1].checks == 1


def test_a_body_that_repeats_a_stored_request_is_still_a_body(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    for _ in range(3):
        c.send(get("/f")).response()
    stored = get("/f")
    c.send(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(stored))
    time.sleep(0.05)
    c.send(stored)                 # the body, in a read of its own
    status, _, body = c.response()
    assert status == 200 and body == b""       # the handler's answer to the POST
    assert handler.calls == 3
    # and the connection is in sync: the next request is answered once
    assert c.send(get("/f")).response()[2] == b"static body\n"


# -- shapes: a shared answer for requests that differ in other fields

def _numbered(i, extra=b""):
    return get("/f", extra=b"X-Request-Number: %d\r\n" % i + extra)


def test_a_shared_answer_is_given_to_requests_differing_in_other_fields(make_server):
    handler = Counting(shared=True)
    srv = make_server(handler)
    c = Conn(srv.port)
    answers = [c.send(_numbered(i)).response() for i in range(6)]
    assert handler.calls == 2 and handler.hooks[1].checks == 4
    for status, headers, body in answers:
        assert status == 200 and body == b"static body\n"
        assert _same_but_date(headers, answers[0][1])
    deadline = time.monotonic() + 5
    while len(handler.log) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [entry[1:] for entry in handler.log] == [(12, k, True) for k in range(3, 7)]
    # another target, Host or Connection is another shape
    c.send(get("/g", extra=b"X-Request-Number: 7\r\n")).response()
    c.send(get("/f", host=b"b", extra=b"X-Request-Number: 8\r\n")).response()
    assert handler.calls == 4
    last = Conn(srv.port).send(_numbered(9, b"Connection: close\r\n")).response()
    assert last[1]["connection"] == "close" and handler.calls == 5


def test_an_answer_not_shared_is_not_given_by_shape(make_server):
    handler = Counting()
    srv = make_server(handler)
    c = Conn(srv.port)
    for i in range(4):
        c.send(_numbered(i)).response()
    assert handler.calls == 4


@pytest.mark.parametrize("extra", [b"Range: bytes=0-3\r\n", b'If-None-Match: "e1"\r\n',
                                   b"If-Modified-Since: Thu, 01 Jan 2026 00:00:00 GMT\r\n",
                                   b"Expect: 100-continue\r\n", b"Host: a\r\n",
                                   b"Bad Name: x\r\n", b"X-Folded: a\r\n b\r\n"])
def test_fields_a_shape_cannot_vouch_for_go_to_the_parser(make_server, extra):
    handler = Counting(shared=True)
    srv = make_server(handler)
    c = Conn(srv.port)
    for i in range(3):
        c.send(_numbered(i)).response()
    assert handler.calls == 2
    status = c.send(_numbered(3, extra)).response()[0]
    # the handler's own answer, or the parser's 400 (a second Host, a bad
    # name, a folded line); never the stored answer
    assert handler.calls == 3 or status == 400


def test_a_stale_shared_answer_goes_back_to_the_handler(make_server):
    handler = Counting(shared=True)
    srv = make_server(handler)
    c = Conn(srv.port)
    for i in range(3):
        c.send(_numbered(i)).response()
    handler.hooks[1].valid = False
    handler.body = b"new body\n"
    assert c.send(_numbered(3)).response()[2] == b"new body\n"
    assert handler.calls == 3
    # the shape was seen before: the new answer is stored at once
    assert c.send(_numbered(4)).response()[2] == b"new body\n"
    assert c.send(_numbered(5)).response()[2] == b"new body\n"
    assert handler.calls == 3 and handler.hooks[2].checks == 2


def test_a_shape_over_the_field_limit_is_the_parsers_400(make_server):
    handler = Counting(shared=True)
    srv = make_server(handler, policy=ConnectionPolicy(limit_request_fields=3))
    c = Conn(srv.port)
    for i in range(3):
        assert c.send(_numbered(i)).response()[0] == 200
    status = c.send(_numbered(3, b"X-A: 1\r\nX-B: 2\r\n")).response()[0]
    assert status == 400 and handler.calls == 2
