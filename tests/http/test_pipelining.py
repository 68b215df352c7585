"""Pipelined requests: answered in order, bodies framed right."""

from apyche.http import ConnectionPolicy

from .conftest import Conn, get


def test_pipelined_requests_answered_in_order(server):
    c = Conn(server.port)
    # a slow one first: the fast ones must still come after it
    reqs = get("/slow?0.2") + get("/a") + b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" + get("/b")
    c.send(reqs)
    bodies = [c.response()[2] for _ in range(4)]
    assert bodies == [b"slow:/slow", b"hello /a", b"hello", b"hello /b"]


def test_many_pipelined_requests_pause_and_resume(make_server):
    srv = make_server(policy=ConnectionPolicy(max_keep_alive_requests=0))
    c = Conn(srv.port)
    n = 200
    c.send(b"".join(get(f"/p{i}") for i in range(n)))
    for i in range(n):
        assert c.response()[2] == f"hello /p{i}".encode()


def test_chunked_body_then_pipelined_request(server):
    c = Conn(server.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n" + get("/after"))
    assert c.response()[2] == b"hello world"
    assert c.response()[2] == b"hello /after"


def test_unread_body_is_discarded_before_next_request(server):
    c = Conn(server.port)
    c.send(b"POST /ignored HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789" + get("/next"))
    assert c.response()[2] == b"hello /ignored"
    assert c.response()[2] == b"hello /next"


def test_unread_body_arriving_late_is_discarded(server):
    c = Conn(server.port)
    c.send(b"POST /ignored HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n")
    assert c.response()[2] == b"hello /ignored"
    c.send(b"z" * 100000 + get("/next"))
    assert c.response()[2] == b"hello /next"


def test_large_streamed_body_is_counted(server):
    c = Conn(server.port)
    size = 3 * 1024 * 1024
    c.send(b"POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % size)
    c.send(b"q" * size)
    assert c.response()[2] == str(size).encode()


def test_leading_blank_lines_are_skipped(server):
    c = Conn(server.port)
    assert c.send(b"\r\n\r\n" + get("/x")).response()[2] == b"hello /x"


def test_requests_after_connection_close_are_ignored(server):
    c = Conn(server.port)
    c.send(get("/one", extra=b"Connection: close\r\n") + get("/two"))
    assert c.response()[2] == b"hello /one"
    assert c.is_closed()
    assert c.buf == b""
