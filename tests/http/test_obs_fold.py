"""obs-fold (a header line continued on the next, which starts with SP or
HT): llhttp refuses it, Apache joins the continuation to the field before,
its first blank made a space - and so judges a header line only once the
next one is whole.  (tests/differential/test_wire_diff.py asks Apache the
same questions.)"""

import socket
import time

import pytest

from .conftest import Conn


def _field(server, name):
    return server.wait_completed(1)[0][0].get(name)


def test_a_folded_value_is_joined(server):
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\t\tc\r\n\r\n")
    assert c.response()[2] == b"hello /x"
    assert _field(server, "X") == "a b \tc"


def test_a_folded_empty_value(server):
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost:\r\n a\r\n\r\n")
    assert c.response()[0] == 200
    assert _field(server, "Host").strip() == "a"


def test_a_fold_split_across_reads(server):
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost: a\r\nX: a\r\n")
    time.sleep(0.1)
    c.send(b" b\r\n")
    time.sleep(0.1)
    assert c.send(b"\r\n").response()[2] == b"hello /x"
    assert _field(server, "X") == "a b"


def test_eof_in_a_folded_head_is_400(server):
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost: a\r\nX: a\r\n b")
    c.sock.shutdown(socket.SHUT_WR)
    assert c.response()[0] == 400


@pytest.mark.parametrize("head", [b" Host: a\r\n",               # before any field
                                  b"Host: a\r\nX: a\r\n \r\n",    # a blank continuation
                                  b"Host: a\r\nX: a\x01b\r\n c\r\n"])
def test_refused_folds_are_400(server, head):
    assert Conn(server.port).send(b"GET /x HTTP/1.1\r\n" + head + b"\r\n").response()[0] == 400


def test_a_folded_request_then_a_pipelined_one(server):
    c = Conn(server.port).send(b"GET /a HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"
                               b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
    assert c.response()[2] == b"hello /a"
    assert c.response()[2] == b"hello /b"


# Because a line may be continued, Apache takes a header line only with
# the next one: a bad field is refused once a whole line follows it.
@pytest.mark.parametrize("bad", [b"NoColon\r\n", b"X: a\x01b\r\n", b"Expect\x8e 100-continue\r\n"])
def test_a_bad_field_is_refused_once_the_next_line_is_whole(server, bad):
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost: a\r\n" + bad + b"Y: ")
    assert not c.is_closed(timeout=0.3) and c.buf == b""
    assert c.send(b"z\r\n").response()[0] == 400


def test_eof_after_a_bad_field_is_400(server):
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost: a\r\nNoColon\r\n")
    assert not c.is_closed(timeout=0.3)
    c.sock.shutdown(socket.SHUT_WR)
    assert c.response()[0] == 400


@pytest.mark.parametrize("after", [b" /", b"GET /y HTTP/1.1\r\nHost: a\r\nY: a\r\n b\r\n\r\n"])
def test_a_fold_in_a_later_message_is_not_this_heads(server, after):
    # a bad field, then a fold pipelined behind the head: the bad field is
    # a 400 (the fold was taken for this head's and the head parsed again
    # and again until the recursion limit, answering nothing)
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost: a\r\nX: a\x19b\r\n\r\n" + after)
    assert c.response()[0] == 400


@pytest.mark.parametrize("lines", [b" b\nY: c\r\n", b" b\r\nY: \0c\r\n", b" b\n\r\n"])
def test_a_line_refused_whole_is_400_before_the_folded_head_ends(server, lines):
    # Apache's line reader refuses a bare LF (Strict) or a NUL as it reads
    # the line: no waiting for the head's end (difffuzz --wide seed 223)
    c = Conn(server.port).send(b"GET /x HTTP/1.1\r\nHost: a\r\nX: a\r\n" + lines)
    assert c.response()[0] == 400
