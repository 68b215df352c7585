"""HEAD, 100-continue, TRACE, headers, on_complete, lingering close and
client disconnects."""

import socket
import time

from apyche.http import ConnectionPolicy, Response

from .conftest import Conn, get

H = b"Host: a\r\n"


def test_head_has_headers_but_no_body(server):
    c = Conn(server.port)
    _, get_h, get_body = c.send(get("/big")).response()
    status, h, _ = c.send(b"HEAD /big HTTP/1.1\r\nHost: a\r\n\r\n").response(head_only=True)
    assert status == 200 and h["content-length"] == str(len(get_body))
    assert h["content-type"] == get_h["content-type"]
    # the next response follows directly: no body bytes in between
    assert c.send(get("/x")).response()[2] == b"hello /x"


def test_head_of_stream_sends_no_chunks(server):
    c = Conn(server.port)
    status, h, _ = c.send(b"HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\n").response(head_only=True)
    assert status == 200
    assert c.send(get("/x")).response()[2] == b"hello /x"


def test_header_order_and_date_server(make_server):
    srv = make_server(policy=ConnectionPolicy(server_header="Apache/2.4.71 (Debian)"))
    c = Conn(srv.port)
    _, h, _ = c.send(get("/big", extra=b"Connection: keep-alive\r\n")).response()
    assert h["__order__"] == ["Date", "Server", "Content-Length", "Keep-Alive", "Connection", "Content-Type"]
    assert h["server"] == "Apache/2.4.71 (Debian)" and h["date"].endswith(" GMT")


def test_204_has_no_body_or_length(server):
    c = Conn(server.port)
    status, h, _ = c.send(get("/nocontent")).response()
    assert status == 204 and "content-length" not in h
    assert c.send(get("/x")).response()[2] == b"hello /x"


def test_expect_100_continue_sent_when_body_is_read(server):
    c = Conn(server.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    assert c.read_until(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
    c.send(b"hello")
    status, h, body = c.response()
    assert (status, body) == (200, b"hello") and "connection" not in h
    assert c.send(get("/x")).response()[2] == b"hello /x"


def test_expect_100_continue_sent_even_when_the_body_came_with_the_head(server):
    # Apache's input filter sends it at the first read, whatever has arrived
    c = Conn(server.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
           b"hello" + get("/x"))
    assert c.read_until(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert c.response()[::2] == (200, b"hello")
    assert c.response()[2] == b"hello /x"


def test_expect_100_not_sent_when_body_unread_and_connection_closes(server):
    c = Conn(server.port)
    c.send(b"POST /ignored HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    status, h, body = c.response()
    assert status == 200 and h["connection"] == "close"   # r->expecting_100 still set
    assert c.is_closed()


def test_expect_100_ignored_for_http10(server):
    c = Conn(server.port)
    c.send(b"POST /echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok")
    status, h, body = c.response()
    assert (status, body) == (200, b"ok")


def test_trace_echoes_request(server):
    c = Conn(server.port)
    status, h, body = c.send(b"TRACE /t?q HTTP/1.1\r\nHost: a\r\nX-Foo: bar\r\nx-foo: baz\r\n\r\n").response()
    assert status == 200 and h["content-type"] == "message/http" and h["transfer-encoding"] == "chunked"
    assert body == b"TRACE /t?q HTTP/1.1\r\nHost: a\r\nX-Foo: bar, baz\r\n\r\n"


def test_trace_disabled_is_405(make_server):
    srv = make_server(policy=ConnectionPolicy(trace_enable=False))
    assert Conn(srv.port).send(b"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n").response()[0] == 405


def test_request_headers_case_insensitive_and_merged(make_server):
    seen = {}

    def handler(request):
        seen["accept"] = request.get("ACCEPT")
        seen["all"] = request.get_all("accept")
        seen["raw"] = request.headers
        seen["client"] = request.client
        seen["keep_alive"] = request.keep_alive
        return Response(200, [], b"ok")
    srv = make_server(handler)
    Conn(srv.port).send(b"GET / HTTP/1.1\r\nHost: a\r\nAccept: a\r\naccept: b\r\n\r\n").response()
    assert seen["accept"] == "a, b" and seen["all"] == ["a", "b"]
    assert seen["raw"] == [("Host", "a"), ("Accept", "a"), ("accept", "b")]
    assert seen["client"][0] == "127.0.0.1" and seen["keep_alive"] is True


def test_on_complete_once_per_request(server):
    c = Conn(server.port)
    c.send(get("/a") + get("/big") + get("/stream"))
    for _ in range(3):
        c.response()
    c.send(b"GET / HTTP/1.1\r\n\r\n")
    c.response()
    done = server.wait_completed(4)
    time.sleep(0.1)
    assert [(r.path if r else None, st, n) for r, st, n, _ in done] == [
        ("/a", 200, 8), ("/big", 200, 10240), ("/stream", 200, 35), ("/", 400, done[3][2])]
    assert done[3][2] > 0
    assert all(d >= 0 for *_, d in done)


def _client_after_413(port):
    """Send a body over the limit, keep sending after the 413, then report
    how the connection ended: "eof" (FIN after lingering) or "reset"."""
    c = Conn(port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\n\r\n" + b"x" * 200000)
    status, h, body = c.response()
    assert status == 413 and h["connection"] == "close"
    try:
        for _ in range(5):             # the client is still uploading
            c.sock.sendall(b"x" * 20000)
            time.sleep(0.02)
        c.sock.settimeout(5)
        while True:
            if not c.sock.recv(65536):
                return "eof"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"


def test_lingering_close_drains_instead_of_resetting(make_server):
    srv = make_server(policy=ConnectionPolicy(limit_request_body=1000, lingering_read_timeout=0.3))
    assert _client_after_413(srv.port) == "eof"


def test_without_lingering_the_client_gets_a_reset(make_server):
    # the control experiment for the test above: close() with unread input
    # makes the kernel answer with RST (what ap_lingering_close avoids)
    srv = make_server(policy=ConnectionPolicy(limit_request_body=1000, lingering_max=0))
    assert _client_after_413(srv.port) == "reset"


def test_lingering_close_after_chunked_overflow(make_server):
    srv = make_server(policy=ConnectionPolicy(limit_request_body=1000))
    c = Conn(srv.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    try:
        for _ in range(20):
            c.sock.sendall(b"10000\r\n" + b"y" * 65536 + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, h, body = c.response()
    assert status == 413


def test_lingering_close_is_bounded(make_server):
    srv = make_server(policy=ConnectionPolicy(limit_request_body=10, lingering_read_timeout=0.2,
                                              lingering_max=0.6))
    c = Conn(srv.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
    assert c.response()[0] == 413
    t0 = time.monotonic()
    closed = False
    try:
        while time.monotonic() - t0 < 5:
            c.sock.sendall(b"z" * 100)   # a client that never stops
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    assert closed and time.monotonic() - t0 < 3


def test_client_disconnect_mid_response_leaves_server_healthy(server):
    for _ in range(3):
        c = Conn(server.port, rcvbuf=4096)
        c.send(get("/huge"))
        c.read_exact(100)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()   # RST
    c = Conn(server.port)
    assert c.send(get("/x")).response()[2] == b"hello /x"
    deadline = time.monotonic() + 5
    while server.connections() > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.connections() == 1


def test_client_disconnect_while_handler_reads_body_fires_on_complete(server):
    c = Conn(server.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")
    time.sleep(0.1)
    c.close()
    done = server.wait_completed(1)
    assert len(done) == 1 and done[0][0].path == "/echo"


def test_client_disconnect_during_slow_handler(server):
    c = Conn(server.port)
    c.send(get("/slow?0.2"))
    c.close()
    done = server.wait_completed(1, timeout=3)
    assert len(done) == 1  # a FIN is a half-close: the write may still "succeed"
    assert Conn(server.port).send(get("/x")).response()[2] == b"hello /x"


def test_half_close_after_request_still_gets_answer(server):
    c = Conn(server.port)
    c.send(get("/slow?0.1"))
    c.sock.shutdown(socket.SHUT_WR)
    status, h, body = c.response()
    assert body == b"slow:/slow" and h["connection"] == "close"
    assert c.is_closed(1)


def test_http09_simple_request(server):
    c = Conn(server.port)
    c.send(b"GET /nine\r\n\r\n")
    assert c.read_to_eof() == b"hello /nine"


def test_client_not_reading_is_aborted_after_timeout(make_server):
    srv = make_server(policy=ConnectionPolicy(timeout=0.5), sndbuf=8192)
    c = Conn(srv.port, rcvbuf=4096, timeout=10)
    c.send(get("/huge"))
    time.sleep(2.0)     # never read: the server's write stalls
    deadline = time.monotonic() + 5
    while srv.connections() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.connections() == 0
    assert len(srv.wait_completed(1)) == 1


def test_discard_body_sends_100_continue_and_keeps_alive(make_server):
    def handler(request):
        request.discard_body()
        return Response(200, [], b"static")
    srv = make_server(handler)
    c = Conn(srv.port)
    c.send(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
    assert c.read_until(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
    status, h, body = c.response()
    assert (status, body) == (200, b"static") and "connection" not in h
    c.send(b"abc" + get("/x"))
    assert c.response()[2] == b"static"
