"""Malformed requests, limits and request smuggling: the status Apache 2.4
answers, and the connection closed cleanly afterwards (a conformance table in
the spirit of httpd-tests t/apache/http_strict.t)."""

import socket
import time

import pytest

from apyche.http import ConnectionPolicy
from apyche.http.checks import host_is_valid

from .conftest import Conn, get

H = b"Host: a\r\n"

# (name, raw request, expected status); every one of these closes.
CASES = [
    ("missing host", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("absolute form without host", b"GET http://x/ HTTP/1.1\r\n\r\n", 400),
    ("two hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("empty host", b"GET / HTTP/1.1\r\nHost:\r\n\r\n", 400),
    ("HTTP/0.9 POST", b"POST /\r\n\r\n", 400),
    ("garbage request line", b"GARBAGE\r\n\r\n", 400),
    ("bad method token", b"G(T / HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("fragment in target", b"GET /a#b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("relative target", b"GET a/b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("bad scheme", b"GET ftp://x/ HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("userinfo", b"GET http://u:p@x/ HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("HTTP/0.5", b"GET / HTTP/0.5\r\n" + H + b"\r\n", 400),
    ("LF only", b"GET / HTTP/1.1\n" + H.replace(b"\r", b"") + b"\n", 400),
    ("space in header name", b"GET / HTTP/1.1\r\n" + H + b"X Y: 1\r\n\r\n", 400),
    ("CR in header value", b"GET / HTTP/1.1\r\n" + H + b"X: a\rb\r\n\r\n", 400),
    ("h2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    ("expectation", b"GET / HTTP/1.1\r\n" + H + b"Expect: teapot\r\n\r\n", 417),
    # smuggling
    ("two content-lengths", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    ("two equal content-lengths", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
    ("bad content-length", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3x\r\n\r\nabc", 400),
    ("negative content-length", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", 400),
    ("TE identity", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: identity\r\n\r\n", 400),
    ("TE chunked then gzip", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
    ("TE with space before colon", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
    ("bad chunk size", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ("negative chunk size", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n", 400),
    # a chunk size beyond an off_t: APR_ENOSPC, which Apache maps to 413
    ("chunk overflow", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 413),
    ("chunk missing CRLF", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400),
    # limits
    ("request line", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    # parsed a second time (a raw octet, a method llhttp does not know): the
    # limit still answers 414, not 500 (Apache's answers, asked alike)
    ("request line with a raw octet", b"GET /" + b"a" * 5000 + b"\xae" + b"a" * 4000
     + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    ("request line with an unknown method", b"FOO /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H
     + b"\r\n", 414),
    ("request line with both", b"FOO /" + b"a" * 5000 + b"\xae" + b"a" * 4000
     + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    ("field size", b"GET / HTTP/1.1\r\n" + H + b"X: " + b"a" * 9000 + b"\r\n\r\n", 400),
    ("field count", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X%d: a\r\n" % i for i in range(101)) + b"\r\n", 400),
    ("body over limit", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 2000000000\r\n\r\n", 413),
    ("TRACE with body", b"TRACE / HTTP/1.1\r\n" + H + b"Content-Length: 2\r\n\r\nab", 413),
]


@pytest.mark.parametrize("raw,status", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rejected_and_closed(server, raw, status):
    c = Conn(server.port)
    got, h, body = c.send(raw + get("/smuggled")).response()
    assert got == status
    assert h["connection"] == "close"
    assert c.is_closed()
    assert b"smuggled" not in c.buf
    # the error went through on_complete
    assert server.wait_completed(1)[0][1] == status


def test_cl_and_te_is_read_as_chunked_then_closed(server):
    # Apache 2.4 answers it (TE wins, Content-Length dropped) and closes the
    # connection; the bytes after the chunked body are never a request.
    c = Conn(server.port)
    c.send(b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"3\r\nabc\r\n0\r\n\r\n" + get("/smuggled"))
    status, h, body = c.response()
    assert (status, body, h["connection"]) == (200, b"abc", "close")
    assert c.is_closed() and b"smuggled" not in c.buf


@pytest.mark.parametrize("te", [b"chunked, chunked", b"chunked\r\nTransfer-Encoding: chunked",
                                b"chunked, gzip, chunked"])
def test_a_final_chunked_coding_is_one_chunked_body(server, te):
    # ap_is_chunked reads the final coding only (Apache 2.4.71 serves these);
    # the body is decoded once, and the next request is parsed after it
    c = Conn(server.port)
    c.send(b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: " + te + b"\r\n\r\n"
           b"3\r\nabc\r\n0\r\n\r\n" + get("/next"))
    assert c.response()[:3:2] == (200, b"abc")
    assert c.response()[0] == 200


@pytest.mark.parametrize("size_line", [b"3 ", b"3\t", b"3  ;x=y", b"3\t;x=y"])
def test_blanks_after_a_chunk_size_are_taken(server, size_line):
    # Apache's chunk-size parser skips blanks after the size (BWS)
    c = Conn(server.port)
    c.send(b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
           + size_line + b"\r\nabc\r\n0 \r\n\r\n" + get("/next"))
    assert c.response()[:3:2] == (200, b"abc")
    assert c.response()[0] == 200


def test_an_unknown_expectation_is_answered_after_the_body(server):
    # Apache discards the body before its 417 (ap_die), then closes
    c = Conn(server.port).send(b"POST /echo HTTP/1.1\r\n" + H + b"Expect: 100-cnue\r\n"
                               b"Content-Length: 5\r\n\r\nhe")
    assert not c.is_closed(timeout=0.3) and c.buf == b""
    c.send(b"llo" + get("/next"))
    status, headers, _ = c.response()
    assert (status, headers["connection"]) == (417, "close")
    assert c.is_closed()


@pytest.mark.parametrize("rest", [b"Content-Length: 5\r\n\r\nhe",
                                  b"Transfer-Encoding: chunked\r\n\r\n5\r\nhe"])
def test_an_unknown_expectation_with_a_cut_body_is_400(server, rest):
    c = Conn(server.port).send(b"POST /echo HTTP/1.1\r\n" + H + b"Expect: 100-cnue\r\n" + rest)
    c.sock.shutdown(socket.SHUT_WR)
    assert c.response()[0] == 400


def test_an_unknown_expectation_with_a_bad_chunk_is_400(server):
    c = Conn(server.port).send(b"POST /echo HTTP/1.1\r\n" + H + b"Expect: 100-cnue\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert c.response()[0] == 400


def test_gzip_then_chunked_is_accepted(server):
    c = Conn(server.port)
    status, h, body = c.send(b"POST /count HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n"
                             b"2\r\nab\r\n0\r\n\r\n").response()
    assert (status, body) == (200, b"2")


@pytest.mark.parametrize("version", [b"1.2", b"2.0", b"3.0"])
def test_other_versions_in_1x_syntax_are_served_as_11(server, version):
    # Apache 2.4 does not answer 505 here: it serves the request.
    c = Conn(server.port)
    status, h, body = c.send(get("/v", version=version)).response()
    assert (status, body, h["__status_line__"]) == (200, b"hello /v", "HTTP/1.1 200 OK")


def test_small_limits(make_server):
    srv = make_server(policy=ConnectionPolicy(limit_request_line=100, limit_request_field_size=50,
                                              limit_request_fields=3, limit_request_body=10))
    def status_of(raw):
        c = Conn(srv.port)
        return c.send(raw).response()[0]
    assert status_of(get("/" + "a" * 70)) == 200
    assert status_of(get("/" + "a" * 100)) == 414
    assert status_of(get("/", extra=b"X: " + b"b" * 40 + b"\r\n")) == 200
    assert status_of(get("/", extra=b"X: " + b"b" * 50 + b"\r\n")) == 400
    assert status_of(get("/", extra=b"A: 1\r\nB: 2\r\n")) == 200
    assert status_of(get("/", extra=b"A: 1\r\nB: 2\r\nC: 3\r\n")) == 400
    assert status_of(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789") == 200
    assert status_of(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n0123456789a") == 413
    assert status_of(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"6\r\n012345\r\n6\r\n6789ab\r\n0\r\n\r\n") == 413


def test_a_field_line_may_have_the_limit_plus_one_bytes(make_server):
    # Apache's line reader takes a field line of LimitRequestFieldSize + 1
    # bytes (asked: "X: " and 8188 octets under the default 8190)
    srv = make_server(policy=ConnectionPolicy(limit_request_field_size=50))
    def status_of(raw):
        return Conn(srv.port).send(raw).response()[0]
    assert status_of(get("/", extra=b"X: " + b"b" * 48 + b"\r\n")) == 200
    assert status_of(get("/", extra=b"X: " + b"b" * 49 + b"\r\n")) == 400


@pytest.mark.parametrize("tail", [b"\r\n", b"\r\nY", b"\r\nY: z\r\n"])
def test_a_field_over_the_limit_is_refused_once_its_line_is_read(make_server, tail):
    # Apache refuses the line as it reads it: no later line, nor the blank
    # line, is waited for; its page says why (the request's error-notes)
    srv = make_server(policy=ConnectionPolicy(limit_request_field_size=50, timeout=30))
    c = Conn(srv.port)
    status, _, body = c.send(b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"b" * 60 + tail).response()
    assert status == 400
    assert b"Size of a request header field exceeds server limit." in body


def test_a_field_over_the_limit_across_reads(make_server):
    srv = make_server(policy=ConnectionPolicy(limit_request_field_size=50, timeout=30))
    c = Conn(srv.port).send(b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"b" * 30)
    time.sleep(0.1)
    assert c.send(b"b" * 30 + b"\r\n").response()[0] == 400


def test_a_long_request_line_is_not_a_long_field(make_server):
    # a request line LimitRequestLine allows, longer than a field may be,
    # ending a read: it is no header line
    srv = make_server(policy=ConnectionPolicy(limit_request_line=400, limit_request_field_size=50))
    c = Conn(srv.port).send(b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n")
    time.sleep(0.1)
    assert c.send(b"Host: a\r\n\r\n").response()[0] == 200


def test_too_many_fields_page_says_why(make_server):
    srv = make_server(policy=ConnectionPolicy(limit_request_fields=3))
    status, _, body = Conn(srv.port).send(get("/", extra=b"A: 1\r\nB: 2\r\nC: 3\r\n")).response()
    assert status == 400
    assert b"The number of request header fields exceeds this server's limit." in body


def test_other_400s_page_has_no_notes(server):
    status, _, body = Conn(server.port).send(get("/", extra=b"NoColon\r\n")).response()
    assert status == 400 and b"exceeds" not in body


@pytest.mark.parametrize("tail", [b"\r\n", b"\r\n\r"])
def test_a_field_with_a_nul_is_refused_once_its_line_is_read(server, tail):
    # the line reader refuses a line holding a NUL (APR_EINVAL) at once;
    # other bad fields wait for the next line, which may continue them
    c = Conn(server.port)
    assert c.send(b"GET / HTTP/1.1\r\nHost: a\r\nC\x00onnection: close" + tail).response()[0] == 400


def test_an_absolute_target_makes_host_headers_unread(server):
    # r->hostname comes from the target, so two Host headers are no fault;
    # without one they merge into "a, b", which is not a hostname
    two = b"Host: b\r\nHost: c\r\n\r\n"
    assert Conn(server.port).send(b"GET http://a/x HTTP/1.1\r\n" + two).response()[0] == 200
    assert Conn(server.port).send(b"GET /x HTTP/1.1\r\n" + two).response()[0] == 400


def test_no_limit_on_the_number_of_fields(make_server):
    srv = make_server(policy=ConnectionPolicy(limit_request_fields=0))
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(300))
    assert Conn(srv.port).send(get("/", extra=fields)).response()[0] == 200


def test_unterminated_header_is_bounded(make_server):
    srv = make_server(policy=ConnectionPolicy(limit_request_field_size=100, limit_request_fields=5))
    c = Conn(srv.port)
    c.send(b"GET / HTTP/1.1\r\nHost: a\r\nX: ")
    try:
        for _ in range(100):
            c.send(b"y" * 1000)
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert c.response()[0] == 400


def test_unterminated_header_in_one_write_is_bounded(make_server):
    # the whole endless head arrives in one read (as a loaded server reads
    # what a client sent meanwhile): 400 at once, not after Timeout
    srv = make_server(policy=ConnectionPolicy(limit_request_field_size=100, limit_request_fields=5,
                                              timeout=30))
    c = Conn(srv.port)
    c.send(b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"y" * 20000)
    assert c.response()[0] == 400


def test_a_long_head_after_a_pipelined_request_is_not_miscounted(make_server):
    # a read that completes a request with a body and begins the next head:
    # the body's bytes are not the next head's
    srv = make_server(policy=ConnectionPolicy(limit_request_field_size=100, limit_request_fields=5))
    body = b"b" * 20000
    c = Conn(srv.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body)
           + body + b"GET /x HTTP/1.1\r\n")
    time.sleep(0.05)
    c.send(b"Host: a\r\n\r\n")
    assert c.response()[2] == body
    assert c.response()[2] == b"hello /x"


def test_unknown_method_reaches_handler(server):
    c = Conn(server.port)
    c.send(b"FOO /method HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.response()[2] == b"FOO"
    # pipelined after a known one, in the same packet, and lower case
    c.send(get("/x") + b"BREW /method HTTP/1.1\r\nHost: a\r\n\r\n" + b"get /method HTTP/1.1\r\nHost: a\r\n\r\n")
    assert [c.response()[2] for _ in range(3)] == [b"hello /x", b"BREW", b"get"]


def test_unknown_method_split_across_reads(server):
    c = Conn(server.port)
    c.send(b"BR")
    time.sleep(0.05)
    c.send(b"EW /method HTTP/1.1\r\nContent-Length: 3\r\nHost: a\r\n\r\nabc" + get("/after"))
    assert c.response()[2] == b"BREW"
    assert c.response()[2] == b"hello /after"


def test_absolute_form_target(server):
    c = Conn(server.port)
    status, h, body = c.send(b"GET http://example.com:8080/target?q=1 HTTP/1.1\r\nHost: a\r\n\r\n").response()
    assert body == b"/target|q=1|example.com:8080"


def test_handler_exception_is_500_and_closes(server):
    c = Conn(server.port)
    status, h, body = c.send(get("/boom")).response()
    assert status == 500 and h["connection"] == "close"
    assert c.is_closed()


def test_handler_http_error_keeps_connection(server):
    c = Conn(server.port)
    status, h, body = c.send(get("/teapot")).response()
    assert status == 403 and "connection" not in h
    assert c.send(get("/x")).response()[2] == b"hello /x"


def test_response_splitting_refused(server):
    c = Conn(server.port)
    status, h, body = c.send(get("/badheader")).response()
    assert status == 500 and "set-cookie" not in h


def test_custom_error_response(make_server):
    from apyche.http import Response
    calls = []

    def err(status, request):
        calls.append((status, request.method if request else None))
        return Response(status, [("Content-Type", "text/plain")], b"custom %d" % status)
    srv = make_server(error_response=err)
    c = Conn(srv.port)
    assert c.send(b"GET / HTTP/1.1\r\n\r\n").response()[2] == b"custom 400"
    assert calls == [(400, "GET")]


def test_timeout_in_request_line_closes_silently(make_server):
    srv = make_server(policy=ConnectionPolicy(timeout=0.3))
    c = Conn(srv.port)
    c.send(b"GET /index.html HT")
    assert c.is_closed(3)
    assert c.buf == b""


def test_timeout_in_headers_is_408(make_server):
    srv = make_server(policy=ConnectionPolicy(timeout=0.3))
    c = Conn(srv.port)
    c.send(b"GET / HTTP/1.1\r\nHost: a\r\nX-Part")
    status, h, _ = c.response()
    assert status == 408 and h["connection"] == "close"
    assert c.is_closed()
    assert srv.wait_completed(1)[0][1] == 408


def test_timeout_reading_body_is_408(make_server):
    srv = make_server(policy=ConnectionPolicy(timeout=0.3))
    c = Conn(srv.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    status, h, _ = c.response()
    assert status == 408 and h["connection"] == "close"


MALFORMED_HOSTS = ["1.2.3", "01.2.3.4", "123", "x:0", "x:99999", "x:", "x:abc", "a.1", "a..b",
                   "a/b", "a b", "a,b", "[::1", "::1", "[fe80::1%eth0]", "Connection: close",
                   "\u00e9.com"]
TAKEN_HOSTS = ["a", "A.B", "127.0.0.1:80", "a.", ".a", "a.b1", "x_y.com", "-a.com", "[::1]",
               "[::1]:80", "0.0.0.0", "256.1.1.1", "xn--e1a.com"]


@pytest.mark.parametrize("host", MALFORMED_HOSTS + TAKEN_HOSTS)
def test_host_names_as_fix_hostname_takes_them(host):
    # tests/differential/test_serving_diff.py asks Apache the same
    assert host_is_valid(host) is (host in TAKEN_HOSTS)


def test_unsafe_takes_what_only_strict_refuses():
    assert host_is_valid("123", strict=False) and host_is_valid("1.2.3", strict=False)
    assert host_is_valid("a.1", strict=False) and host_is_valid("Connection: close", strict=False)
    for host in ("x:0", "a..b", "a/b", "[::1"):       # refused either way
        assert not host_is_valid(host, strict=False)


def test_malformed_host_is_400_and_closes(make_server):
    srv = make_server()
    c = Conn(srv.port)
    c.send(b"GET / HTTP/1.1\r\nHost: Connection: close\r\n\r\n" + get("/smuggled"))
    status, h, _ = c.response()
    assert status == 400 and h["connection"] == "close"
    assert c.is_closed() and b"smuggled" not in c.buf
    lenient = make_server(policy=ConnectionPolicy(strict=False))
    assert Conn(lenient.port).send(b"GET / HTTP/1.1\r\nHost: 123\r\n\r\n").response()[0] == 200


def test_http_protocol_options_unsafe_reaches_the_policy(tmp_path):
    from apyche.config.walk import load_config
    from apyche.serve_cli import connection_policy
    (tmp_path / "logs").mkdir()
    for words, strict in (("", True), ("HttpProtocolOptions Unsafe", False),
                          ("HttpProtocolOptions Strict", True)):
        conf = tmp_path / "httpd.conf"
        conf.write_text(f"Listen 127.0.0.1:8080\nServerName a\n{words}\n")
        assert connection_policy(load_config(str(conf), str(tmp_path)), "Apache").strict is strict


def test_http_protocol_options_require_1_0_reaches_the_policy(tmp_path):
    from apyche.config.walk import load_config
    from apyche.serve_cli import connection_policy
    (tmp_path / "logs").mkdir()
    for words, allow09 in (("", True), ("HttpProtocolOptions Require1.0", False),
                           ("HttpProtocolOptions Allow0.9", True)):
        conf = tmp_path / "httpd.conf"
        conf.write_text(f"Listen 127.0.0.1:8080\nServerName a\n{words}\n")
        policy = connection_policy(load_config(str(conf), str(tmp_path)), "Apache")
        assert policy.allow09 is allow09


def test_cl_and_te_rejected_when_policy_says_so(make_server):
    srv = make_server(policy=ConnectionPolicy(reject_te_with_cl=True))
    c = Conn(srv.port)
    c.send(b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"3\r\nabc\r\n0\r\n\r\n" + get("/smuggled"))
    status, h, body = c.response()
    assert status == 400 and h["connection"] == "close"
    assert c.is_closed() and b"smuggled" not in c.buf


def test_upgrade_header_is_ignored_and_parsing_continues(server):
    c = Conn(server.port)
    c.send(get("/up", extra=b"Upgrade: websocket\r\nConnection: Upgrade\r\n") + get("/after"))
    assert c.response()[2] == b"hello /up"
    assert c.response()[2] == b"hello /after"


def test_connect_goes_to_handler(server):
    c = Conn(server.port)
    status, h, body = c.send(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").response()
    # authority-form is not a path: refused like any non-origin target
    assert status == 400


def test_raw_utf8_target_reaches_handler_as_sent(server):
    # Apache 2.4 accepts octets >= 0x80 in the request-target (llhttp does not)
    c = Conn(server.port)
    raw = "/caf\u00e9?q=\u00fc".encode("utf-8")
    c.send(b"GET " + raw + b" HTTP/1.1\r\nHost: a\r\n\r\n" + get("/after"))
    body = c.response()[2]
    assert body == b"hello " + "/caf\u00e9".encode("utf-8")
    assert c.response()[2] == b"hello /after"
    c.send(b"BREW /m\xc3\xa9thod HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.response()[0] == 200


def test_raw_target_split_across_reads(server):
    c = Conn(server.port)
    c.send(b"GET /target\xc3")
    time.sleep(0.05)
    c.send(b"\xa9 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.response()[2] == b"hello /target\xc3\xa9"


def test_control_characters_in_target_still_rejected(server):
    c = Conn(server.port)
    assert c.send(b"GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n").response()[0] == 400


def test_a_bad_field_over_the_limit_is_refused_once_its_line_is_read(make_server):
    # a line without a colon waits for the next line (which may continue
    # it), unless the line reader already refused it for its length
    srv = make_server(policy=ConnectionPolicy(limit_request_field_size=50, timeout=30))
    c = Conn(srv.port).send(b"GET / HTTP/1.1\r\nHost: a\r\n" + b"A" * 52 + b"\r\n")
    assert c.response()[0] == 400
    c = Conn(srv.port).send(b"GET / HTTP/1.1\r\nHost: a\r\n" + b"A" * 51 + b"\r\n")
    assert not c.is_closed(timeout=0.3) and c.buf == b""


@pytest.mark.parametrize("head", [b"GET / HTTP/1.1\r\nHost: a\r\nAccept: text/",
                                  b"GET /a HTTP/1.1\r\nHost: /a",
                                  b"GET /a\x81b HTTP/1.1\r\nHost: a\r\nX:/"])
def test_eof_in_a_head_whose_last_line_repeats_the_target_is_400(server, head):
    # the request line had ended (an LF in the message), however the last
    # line of the read ends: EOF inside the header block is Apache's 400
    c = Conn(server.port).send(head)
    c.sock.shutdown(socket.SHUT_WR)
    assert c.response()[0] == 400


@pytest.mark.parametrize("field", [b"Content-Length: 99999999999999999999",
                                   b"Content-Length: 1x",
                                   b"Content-Length: 1\r\nContent-Length: 2"])
def test_a_bad_content_length_is_judged_with_the_whole_head(make_server, field):
    # Apache checks Content-Length once it has read the head: while the
    # head is unfinished there is no answer, nor the connection closed
    srv = make_server(policy=ConnectionPolicy(timeout=30))
    c = Conn(srv.port).send(b"POST /echo HTTP/1.1\r\nHost: a\r\n" + field + b"\r\nX: y\r\nZ: 1")
    assert not c.is_closed(timeout=0.3) and not c.buf
    c.send(b"\r\n\r\n")
    assert c.response()[0] == 400
