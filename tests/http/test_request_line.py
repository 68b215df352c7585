"""Request lines judged as Apache judges them once they are complete:
HTTP/0.9 simple requests, lines llhttp refuses, LimitRequestLine's exact
bound and EOF inside a request.  (tests/differential/test_wire_diff.py
asks Apache the same questions.)"""

import socket
import time

import pytest

from apyche.http import ConnectionPolicy
from apyche.http.requestline import judge, logged_line

from .conftest import Conn, get

JUDGED = [
    # line (without LF), strict, status, simple
    (b"GET /x\r", True, None, True),
    (b"GET /x \r", True, None, True),          # a trailing space: still no protocol
    (b"HEAD /x\r", True, None, True),          # (GET only: checks.check_request)
    (b"GET /x", True, 400, True),              # Strict wants CRLF
    (b"GET /x", False, None, True),
    (b"GET /x HTTP/1.1\r", True, None, False),
    (b"GET /x HTTP/0.9\r", True, 400, False),  # "HTTP/0.9" spelt out is no simple request
    (b"GET /x http/1.1\r", True, 400, False),
    (b"GET /x http/1.1", False, None, False),
    (b"GET  /x HTTP/1.1\r", True, 400, False),
    (b"GET /x  HTTP/1.1\r", True, 400, False),
    (b"GET /x HTTP/1.1 \r", True, 400, False),
    (b"GET /x HTTP/1.1 ", False, None, False),
    (b"GET /x HTTP/1.1 x\r", True, 400, False),
    (b"GET\t/x HTTP/1.1\r", True, 400, False),
    (b" GET /x HTTP/1.1\r", True, 400, False),
    (b"GE/x /y HTTP/1.1\r", True, 400, False),
    (b"GET\r", True, 400, False),
    (b"GET /a\x01b HTTP/1.1\r", True, 400, False),
    (b"GET /\xc3\xa9 HTTP/1.1\r", True, None, False),   # obs-text is taken
]


@pytest.mark.parametrize("line,strict,status,simple", JUDGED)
def test_judge(line, strict, status, simple):
    verdict = judge(line, strict=strict)
    assert (verdict.status, verdict.simple) == (status, simple)


def _closed_silently(c: Conn) -> bool:
    return c.is_closed() and c.buf == b""


def test_simple_request_is_answered_without_a_blank_line(server):
    c = Conn(server.port).send(b"GET /x\r\n")
    assert c.read_to_eof() == b"hello /x"     # the body alone, then close
    request = server.wait_completed(1)[0][0]
    assert (request.http_version, request.headers) == ("0.9", [])


def test_simple_request_line_in_two_reads(server):
    c = Conn(server.port).send(b"GET /x")
    time.sleep(0.1)
    assert c.send(b"\r\n").read_to_eof() == b"hello /x"


def test_simple_request_reads_no_header_block(server):
    c = Conn(server.port).send(b"GET /x\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n")
    assert c.read_to_eof() == b"hello /x"
    assert server.wait_completed(1)[0][0].headers == []


@pytest.mark.parametrize("head", [b"X: a\r\n b\r\n", b"X: a\r\n b"])
def test_simple_request_is_answered_before_folds_after_it(server, head):
    # a fold in the same read sends the parse to the fold path, which
    # judges the request line first, as Apache does before any header
    assert Conn(server.port).send(b"GET /x\r\n" + head).read_to_eof() == b"hello /x"


@pytest.mark.parametrize("head", [b"X: " + b"a" * 9000 + b"\r\n\r\n", b"X: " + b"a" * 9000])
def test_simple_request_is_answered_whatever_field_follows(server, head):
    # Apache reads no header line after a line without a protocol: one
    # over LimitRequestFieldSize does not make it a 400 (difffuzz --wide 131)
    assert Conn(server.port).send(b"GET /x\r\n" + head).read_to_eof() == b"hello /x"


@pytest.mark.parametrize("line", [b"GET  /x HTTP/1.1", b"OPTIONX  * HTTP/1.1", b"GET /x HTTP/0.9"])
def test_a_line_llhttp_takes_but_apache_refuses_is_400_before_the_head_ends(server, line):
    c = Conn(server.port).send(line + b"\r\nHost: a\r\n")
    assert c.response()[0] == 400


def test_a_bad_line_is_refused_before_folds_after_it(server):
    c = Conn(server.port).send(b"GET  /x HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n")
    assert c.response()[0] == 400


def test_simple_request_with_a_trailing_space(server):
    # llhttp refuses the line; Apache takes it as a simple request
    assert Conn(server.port).send(b"GET /x \r\n").read_to_eof() == b"hello /x"


@pytest.mark.parametrize("raw", [b"HEAD /x\r\n", b"POST /x\r\n", b"FOO /x\r\n",
                                 b"GET /x\n", b"GET /x HTTP/0.9\r\n\r\n"])
def test_refused_simple_requests_get_a_full_400(server, raw):
    c = Conn(server.port)
    status, headers, _ = c.send(raw).response(head_only=raw.startswith(b"HEAD"))
    assert (status, headers["connection"]) == (400, "close")
    assert c.is_closed()


def test_require_1_0_refuses_simple_requests(make_server):
    srv = make_server(policy=ConnectionPolicy(allow09=False))
    assert Conn(srv.port).send(b"GET /x\r\n").response()[0] == 400


@pytest.mark.parametrize("raw", [b"GE/x /y", b"GET /x HTTP/1.Q", b"GET /x HTTP/1.1",
                                 b"G" + b"A" * 9000, b"GET /" + b"a" * 9000])
def test_eof_inside_the_request_line_is_silence(server, raw):
    c = Conn(server.port).send(raw)
    c.sock.shutdown(socket.SHUT_WR)
    assert _closed_silently(c)


@pytest.mark.parametrize("raw", [b"GE/x /y HTTP/1.1\r\n", b"GET /x HTTP/1.Q\r\n"])
def test_a_bad_line_is_refused_once_it_is_complete(server, raw):
    c = Conn(server.port).send(raw[:-2])
    assert not c.is_closed(timeout=0.3)       # waiting for the line end
    assert c.send(b"\r\n").response()[0] == 400


def test_an_unfinished_line_may_grow_past_the_limit(server):
    c = Conn(server.port).send(b"G" + b"A" * 9000)
    assert not c.is_closed(timeout=0.3) and c.buf == b""
    assert c.send(b"\r\n").response()[0] == 414     # judged at its end


def test_an_endless_line_is_414(server):
    c = Conn(server.port)
    try:
        c.send(b"G" + b"A" * 30000)
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert c.response()[0] == 414


def test_a_long_bad_line_is_414_before_400(server):
    raw = b"GET /x HTTP/1." + b"A" * 9000 + b"\r\n\r\n"
    assert Conn(server.port).send(raw).response()[0] == 414


def test_line_limit_counts_the_cr(make_server):
    # Apache's buffer holds LimitRequestLine + 2 bytes: the line and its CR
    # fit; an LF that alone overflows it still ends the line
    srv = make_server(policy=ConnectionPolicy(limit_request_line=100))
    fixed = len(b"GET / HTTP/1.1")
    assert Conn(srv.port).send(get("/" + "a" * (101 - fixed))).response()[0] == 200
    assert Conn(srv.port).send(get("/" + "a" * (102 - fixed))).response()[0] == 414


@pytest.mark.parametrize("raw", [b"GET /x HTTP/1.1\r\nHost: a\r\n", b"GET /x HTTP/1.1\r\nHost: a\r\nX: y",
                                 b"GET /x HTTP/1.1\r\n"])
def test_eof_inside_the_header_block_is_400(server, raw):
    c = Conn(server.port).send(raw)
    c.sock.shutdown(socket.SHUT_WR)
    assert c.response()[0] == 400
    assert c.is_closed()


def test_eof_inside_a_pipelined_head_is_400_after_the_first_answer(server):
    c = Conn(server.port).send(get("/a") + b"GET /b HTTP/1.1\r\nHost:")
    c.sock.shutdown(socket.SHUT_WR)
    first = c.response()
    assert (first[0], first[2]) == (200, b"hello /a")
    assert c.response()[0] == 400
    assert c.is_closed()


# Blank lines before a request line: read_request_line takes ten CRLFs,
# counted across reads; a bare LF (under Strict), a CR before anything but
# LF, or an eleventh is a 400.  Blank lines pipelined after a request in
# the same read are ap_check_pipeline's, which takes LF too.
@pytest.mark.parametrize("lead", [b"\r\n", b"\r\n" * 10])
def test_blank_lines_before_the_first_request_are_skipped(server, lead):
    status, _, body = Conn(server.port).send(lead + get("/x")).response()
    assert (status, body) == (200, b"hello /x")


@pytest.mark.parametrize("lead,logged", [(b"\n", "\n"), (b"\r\n\n", "\n"), (b"\r\r\n", ""),
                                         (b"\r\n" * 11, "")])
def test_bad_blank_lines_before_a_request_are_400(server, lead, logged):
    c = Conn(server.port).send(lead + get("/x"))
    assert c.response()[0] == 400
    assert c.is_closed()
    assert server.wait_completed(1)[0][0].the_request == logged    # what Apache logs


def test_bare_lf_before_a_request_is_taken_without_strict(make_server):
    srv = make_server(policy=ConnectionPolicy(strict=False))
    assert Conn(srv.port).send(b"\n\n" + get("/x")).response()[0] == 200


def test_blank_lines_are_counted_across_reads(server):
    c = Conn(server.port).send(b"\r\n" * 6)
    time.sleep(0.1)
    c.send(b"\r\n" * 4)
    time.sleep(0.1)
    c.send(b"\r")                      # a CR whose LF comes in the next read
    time.sleep(0.1)
    assert c.send(b"\n" + get("/x")).response()[0] == 400    # the eleventh


def test_a_cr_and_its_lf_in_two_reads_are_one_blank_line(server):
    c = Conn(server.port).send(get("/a"))
    assert c.response()[0] == 200
    c.send(b"\r")
    time.sleep(0.1)
    assert c.send(b"\n" + get("/b")).response()[2] == b"hello /b"


def test_a_bare_lf_read_after_an_answer_is_400(server):
    c = Conn(server.port).send(get("/a"))
    assert c.response()[0] == 200
    assert c.send(b"\n" + get("/b")).response()[0] == 400


def test_blank_lines_pipelined_after_a_request_are_lenient(server):
    c = Conn(server.port).send(get("/a") + b"\r\n\n\n" + get("/b"))
    assert c.response()[2] == b"hello /a"
    assert c.response()[2] == b"hello /b"
    # the next read is read_request_line's again: a bare LF is refused
    assert c.send(b"\n" + get("/c")).response()[0] == 400


def test_blank_lines_reset_when_a_request_begins(server):
    c = Conn(server.port).send(b"\r\n" * 8)
    time.sleep(0.1)
    assert c.send(get("/a")).response()[0] == 200
    assert c.send(b"\r\n" * 8 + get("/b")).response()[2] == b"hello /b"


def test_a_pipelined_blank_line_split_between_reads_is_lenient(server):
    c = Conn(server.port).send(get("/a") + b"\r")
    assert c.response()[2] == b"hello /a"
    assert c.send(b"\n" + get("/b")).response()[2] == b"hello /b"


@pytest.mark.parametrize("target", [b"ftp://a/x", b"x:/y", b"x:"])
def test_a_simple_request_for_another_scheme_gets_the_400_page_alone(server, target):
    body = Conn(server.port).send(b"GET " + target + b"\r\n").read_to_eof()
    assert not body.startswith(b"HTTP/") and b"400 Bad Request" in body
    assert server.wait_completed(1)[0][1] == 400


def test_a_simple_request_with_a_relative_scheme_path_gets_a_full_400(server):
    assert Conn(server.port).send(b"GET ftp:x\r\n").response()[0] == 400


@pytest.mark.parametrize("line", [b"GET  /x HTTP/1.1", b"GET /x  HTTP/1.1"])
def test_a_run_of_spaces_in_the_request_line_is_400_under_strict(server, line):
    c = Conn(server.port).send(line + b"\r\nHost: a\r\n\r\n")
    assert c.response()[0] == 400
    # logged as Apache rebuilds r->the_request: single spaces
    assert server.wait_completed(1)[0][0].the_request == "GET /x HTTP/1.1"


def test_a_run_of_spaces_is_taken_without_strict(make_server):
    srv = make_server(policy=ConnectionPolicy(strict=False))
    assert Conn(srv.port).send(b"GET  /x HTTP/1.1\r\nHost: a\r\n\r\n").response()[2] == b"hello /x"


def test_a_run_of_spaces_in_a_header_value_is_fine(server):
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost: a\r\nX: a  b\r\n\r\n")
    assert c.response()[2] == b"hello /x"


def test_a_run_of_spaces_split_across_reads_is_400(server):
    c = Conn(server.port).send(b"GET  /x")
    time.sleep(0.1)
    assert c.send(b" HTTP/1.1\r\nHost: a\r\n\r\n").response()[0] == 400


def test_a_run_of_spaces_in_a_pipelined_line_is_400_after_the_first_answer(server):
    c = Conn(server.port).send(get("/a") + b"GET /b  HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.response()[2] == b"hello /a"
    assert c.response()[0] == 400


@pytest.mark.parametrize("line,logged", [
    (b"GET\r", b"GET"), (b"GET /x\t", b"GET /x"), (b"\tGET /x HTTP/1.1", b"GET /x HTTP/1.1"),
    (b"GET /x HTTP/1.1 junk", b"GET /x HTTP/1.1"), (b"GE/x /y HTTP/1.1", b"GE/x /y HTTP/1.1"),
    (b"GET /x HTTP/1.1\x01", b"GET /x HTTP/1.1"), (b"\tG/ET /x", b"G"), (b" ", b"")])
def test_logged_line_is_rebuilt_as_apache_rebuilds_it(line, logged):
    assert logged_line(line) == logged


def test_a_cr_before_other_than_lf_is_judged_when_the_line_ends(server):
    c = Conn(server.port).send(b"\rE")
    assert not c.is_closed(timeout=0.3) and c.buf == b""
    assert c.send(b"\r\n").response()[0] == 400
