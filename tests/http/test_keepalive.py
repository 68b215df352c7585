"""Persistent connections: KeepAlive, KeepAliveTimeout, MaxKeepAliveRequests,
HTTP/1.0 keep-alive and the headers Apache sends for each (ap_set_keepalive)."""

import time

import pytest

from apyche.http import ConnectionPolicy

from .conftest import Conn, get


def test_http11_connection_is_reused_without_keepalive_headers(server):
    c = Conn(server.port)
    for i in range(3):
        status, h, body = c.send(get(f"/n{i}")).response()
        assert status == 200 and body == f"hello /n{i}".encode()
        # Apache sends neither Keep-Alive nor Connection to a 1.1 client
        # that did not send the keep-alive token.
        assert "keep-alive" not in h and "connection" not in h
    assert server.connections() == 1


def test_keepalive_token_gets_timeout_and_countdown(make_server):
    srv = make_server(policy=ConnectionPolicy(max_keep_alive_requests=3, keep_alive_timeout=5))
    c = Conn(srv.port)
    seen = []
    for i in range(4):
        status, h, _ = c.send(get("/", extra=b"Connection: keep-alive\r\n")).response()
        seen.append((h.get("keep-alive"), h.get("connection")))
    assert seen == [("timeout=5, max=3", "Keep-Alive"), ("timeout=5, max=2", "Keep-Alive"),
                    ("timeout=5, max=1", "Keep-Alive"), (None, "close")]
    assert c.is_closed()


def test_max_keepalive_requests_closes_after_n_plus_one(make_server):
    srv = make_server(policy=ConnectionPolicy(max_keep_alive_requests=2))
    c = Conn(srv.port)
    assert c.send(get()).response()[1].get("connection") is None
    assert c.send(get()).response()[1].get("connection") is None
    assert c.send(get()).response()[1].get("connection") == "close"
    assert c.is_closed()


def test_max_keepalive_requests_zero_is_unlimited(make_server):
    srv = make_server(policy=ConnectionPolicy(max_keep_alive_requests=0))
    c = Conn(srv.port)
    for _ in range(120):
        _, h, _ = c.send(get("/", extra=b"Connection: keep-alive\r\n")).response()
        assert h["keep-alive"] == "timeout=5"
    assert not c.is_closed(0.05)


def test_keepalive_off_closes_after_each_response(make_server):
    srv = make_server(policy=ConnectionPolicy(keep_alive=False))
    c = Conn(srv.port)
    status, h, _ = c.send(get()).response()
    assert h["connection"] == "close"
    assert c.is_closed()


def test_keepalive_timeout_closes_idle_connection(make_server):
    srv = make_server(policy=ConnectionPolicy(keep_alive_timeout=0.3))
    c = Conn(srv.port)
    c.send(get()).response()
    t0 = time.monotonic()
    assert c.is_closed(3)
    assert 0.2 < time.monotonic() - t0 < 2.0


def test_http10_without_keepalive_closes(server):
    c = Conn(server.port)
    status, h, body = c.send(b"GET /x HTTP/1.0\r\n\r\n").response()
    assert status == 200 and h["connection"] == "close" and h["__status_line__"] == "HTTP/1.1 200 OK"
    assert c.is_closed()


def test_http10_keepalive(server):
    c = Conn(server.port)
    for i in range(3):
        status, h, body = c.send(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").response()
        assert h["connection"] == "Keep-Alive" and h["keep-alive"] == f"timeout=5, max={100 - i}"
    assert not c.is_closed(0.1)


def test_http10_stream_without_length_is_close_delimited(server):
    c = Conn(server.port)
    status, h, body = c.send(b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").response()
    assert "transfer-encoding" not in h and h["connection"] == "close"
    assert body == b"chunk0;chunk1;chunk2;chunk3;chunk4;"


def test_connection_close_request(server):
    c = Conn(server.port)
    status, h, _ = c.send(get(extra=b"Connection: close\r\n")).response()
    assert h["connection"] == "close"
    assert c.is_closed()


# ap_find_token compares only as many characters as the header's token
# has, so Apache 2.4.71 takes any prefix of "close" or "keep-alive" for it
# (and a non-ASCII octet ends a token).
@pytest.mark.parametrize("value", [b"clo", b"c", b"clos\xe3", b"x, CLO"])
def test_a_prefix_of_close_closes(server, value):
    c = Conn(server.port)
    status, h, _ = c.send(get(extra=b"Connection: " + value + b"\r\n")).response()
    assert h["connection"] == "close"
    assert c.is_closed()


def test_a_longer_token_than_close_keeps_the_connection(server):
    c = Conn(server.port)
    status, h, _ = c.send(get(extra=b"Connection: closed\r\n")).response()
    assert "connection" not in h and not c.is_closed(0.1)


@pytest.mark.parametrize("value", [b"keep", b"k", b"keep-al", b"keep-alive\xe3"])
def test_a_prefix_of_keep_alive_keeps_an_http10_connection(server, value):
    c = Conn(server.port)
    status, h, _ = c.send(b"GET /x HTTP/1.0\r\nConnection: " + value + b"\r\n\r\n").response()
    assert h["connection"] == "Keep-Alive"


def test_handler_asking_to_close(server):
    c = Conn(server.port)
    status, h, body = c.send(get("/close")).response()
    assert body == b"bye" and h["connection"] == "close"
    assert c.is_closed()


def test_idle_new_connection_is_closed_after_timeout_silently(make_server):
    srv = make_server(policy=ConnectionPolicy(timeout=0.3))
    c = Conn(srv.port)
    assert c.is_closed(3)
    assert c.buf == b""


def test_graceful_shutdown_closes_idle_and_finishes_inflight(make_server):
    srv = make_server()
    idle = Conn(srv.port)
    idle.send(get()).response()
    busy = Conn(srv.port)
    busy.send(get("/slow?0.5"))
    time.sleep(0.1)
    srv.stop(grace=3)
    status, h, body = busy.response()
    assert status == 200 and body == b"slow:/slow" and h["connection"] == "close"
    assert idle.is_closed(1)
