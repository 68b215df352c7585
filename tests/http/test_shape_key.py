"""shape_key (apyche/http/replay.py): the part of a request head a shared
stored answer depends on - request line, Host, Connection - for heads simple
enough to vouch for without the parser, and None for every other head."""

from __future__ import annotations

import random

import pytest

from apyche.http.llhttp import request_parser
from apyche.http.replay import MAX_KEY_BYTES, shape_key

LIMITS = (8190, 8188, 100)


def head(line: bytes, *fields: bytes) -> bytes:
    return line + b"\r\n" + b"".join(f + b"\r\n" for f in fields) + b"\r\n"


def key(data: bytes, limits=LIMITS):
    return shape_key(data, *limits)


def test_a_simple_head_is_its_line_host_and_connection():
    data = head(b"GET /a.txt?x=1 HTTP/1.1", b"Host: example.test",
                b"User-Agent: curl/8", b"Cookie: id=42; theme=dark", b"Accept: */*")
    assert key(data) == (b"GET /a.txt?x=1 HTTP/1.1", b"example.test", None)


def test_other_fields_do_not_change_the_shape():
    a = head(b"GET / HTTP/1.1", b"Host: h", b"X-Request-Number: 1")
    b = head(b"GET / HTTP/1.1", b"X-Request-Number: 2", b"Host: h", b"Accept-Language: de")
    assert key(a) == key(b) is not None


def test_names_are_case_insensitive_and_values_are_the_parsers():
    # llhttp drops the whitespace before a value and keeps what follows it
    data = head(b"HEAD /x HTTP/1.0", b"hOsT:\t h:8080  ", b"CONNECTION:  close")
    assert key(data) == (b"HEAD /x HTTP/1.0", b"h:8080  ", b"close")
    assert key(head(b"HEAD /x HTTP/1.0", b"Host: h:8080")) != key(data)


def test_repeated_connection_fields_are_joined():
    data = head(b"GET / HTTP/1.1", b"Host: h", b"Connection: foo", b"Connection: close")
    assert key(data) == (b"GET / HTTP/1.1", b"h", b"foo, close")


def test_the_same_line_with_another_host_or_connection_is_another_shape():
    base = key(head(b"GET / HTTP/1.1", b"Host: h"))
    assert key(head(b"GET / HTTP/1.1", b"Host: other")) != base
    assert key(head(b"GET / HTTP/1.1", b"Host: h", b"Connection: close")) != base
    assert key(head(b"GET / HTTP/1.0", b"Host: h")) != base


@pytest.mark.parametrize("data", [
    head(b"POST / HTTP/1.1", b"Host: h"),
    head(b"OPTIONS * HTTP/1.1", b"Host: h"),
    head(b"GET http://h/ HTTP/1.1", b"Host: h"),
    head(b"GET /a#frag HTTP/1.1", b"Host: h"),
    head(b"GET /\xc3\xa9 HTTP/1.1", b"Host: h"),
    head(b"GET / HTTP/2.0", b"Host: h"),
    head(b"GET / HTTP/1.1 ", b"Host: h"),
    head(b"GET  / HTTP/1.1", b"Host: h"),
    head(b"get / HTTP/1.1", b"Host: h"),
    b"GET / HTTP/1.1\nHost: h\n\n",                      # bare LF line ends
    b"\r\n" + head(b"GET / HTTP/1.1", b"Host: h"),        # a leading blank line
    head(b"GET / HTTP/1.1", b"Host: h", b"X-A: one", b" folded"),
    head(b"GET / HTTP/1.1", b"Host : h"),
    head(b"GET / HTTP/1.1", b"Host: h", b"Bad Name: x"),
    head(b"GET / HTTP/1.1", b"Host: h", b"X-A: a\x01b"),
    head(b"GET / HTTP/1.1", b"Host: h", b"X-A: caf\xe9"),      # obs-text: the parser's call
    head(b"GET / HTTP/1.1", b"Host: h", b"X-A: a\rb"),
    head(b"GET / HTTP/1.1", b"Host: h", b": empty name"),
    head(b"GET / HTTP/1.1"),                                   # no Host
    head(b"GET / HTTP/1.1", b"Host: h", b"host: h"),           # two
    head(b"GET / HTTP/1.1", b"Host: h") + b"GET / HTTP/1.1\r\n",   # pipelined
    head(b"GET / HTTP/1.1", b"Host: h")[:-2],                  # incomplete
])
def test_heads_left_to_the_parser(data):
    assert key(data) is None


@pytest.mark.parametrize("field", [
    b"Content-Length: 0", b"Transfer-Encoding: chunked", b"Expect: 100-continue",
    b"Upgrade: websocket", b"Proxy-Connection: keep-alive", b"Range: bytes=0-1",
    b"If-None-Match: \"x\"", b"If-Modified-Since: Thu, 01 Jan 2026 00:00:00 GMT",
    b"If-Match: *", b"If-Unmodified-Since: Thu, 01 Jan 2026 00:00:00 GMT",
    b"If-Range: \"x\"", b"if-schedule-tag-match: x", b"RANGE: bytes=1-",
])
def test_fields_that_change_framing_or_the_answer_rule_a_shape_out(field):
    assert key(head(b"GET / HTTP/1.1", b"Host: h", field)) is None
    assert key(head(b"GET / HTTP/1.1", b"Host: h", b"X-" + field)) is not None


def test_heads_that_may_break_a_limit_are_left_to_the_parser():
    data = head(b"GET /" + b"a" * 40 + b" HTTP/1.1", b"Host: h", b"X-A: " + b"b" * 30)
    line_len = len(b"GET /" + b"a" * 40 + b" HTTP/1.1")
    assert key(data, (line_len, 8188, 100)) is not None
    assert key(data, (line_len - 1, 8188, 100)) is None      # LimitRequestLine: 414
    assert key(data, (8190, 20, 100)) is None                # LimitRequestFieldSize: 400
    assert key(data, (8190, 8188, 2)) is not None
    assert key(data, (8190, 8188, 1)) is None                # LimitRequestFields: 400
    big = head(b"GET / HTTP/1.1", b"Host: h", b"X-A: " + b"c" * MAX_KEY_BYTES)
    assert key(big) is None


class _Parsed:
    """What the parser makes of a head: the fields shape_key reads."""

    def __init__(self) -> None:
        self.url = b""
        self.fields: list[tuple[bytes, bytes]] = []
        self.complete = 0

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields.append((name, value))

    def on_message_complete(self) -> None:
        self.complete += 1


_CLEAN = [b"a", b"Z", b"0", b"-", b" ", b"\t", b":", b"/", b"\"", b"~", b"!", b"%41", b"?",
          b";", b"(", b","]
_AWKWARD = [b"#", b"\x7f", b"\x00", b"\xff", b"\r", b"\n", b"\r\n", b"\x0b"]


def _random_head(rng: random.Random) -> bytes:
    def bits(n):
        return b"".join(rng.choice(_AWKWARD if rng.random() < 0.05 else _CLEAN)
                        for _ in range(rng.randint(0, n)))
    fields = [rng.choice([b"Host", b"host", b"Connection", b"X-" + bits(3), bits(4)])
              + rng.choice([b":", b": ", b" :"]) + bits(6) for _ in range(rng.randint(0, 4))]
    line = rng.choice([b"GET", b"HEAD"]) + b" /" + bits(5) + rng.choice(
        [b" HTTP/1.1", b" HTTP/1.0"])
    return head(line, *fields)


def test_every_head_shape_key_takes_is_one_the_parser_reads_alike():
    """Random heads built from awkward pieces: whenever shape_key gives a
    shape, llhttp parses the same bytes as one complete request with the
    same method, target, version, Host and Connection."""
    rng = random.Random(20261127)
    taken = 0
    for _ in range(20000):
        data = _random_head(rng)
        shape = key(data)
        if shape is None:
            continue
        taken += 1
        parsed = _Parsed()
        parser = request_parser(parsed)     # as the connection makes its own
        parser.feed_data(data)       # raises if llhttp refuses the head
        assert parsed.complete == 1
        line, host, connection = shape
        method, target, version = line.split(b" ")
        assert parser.get_method() == method and parsed.url == target
        assert version == b"HTTP/" + parser.get_http_version().encode()
        hosts = [v for n, v in parsed.fields if n.lower() == b"host"]
        conns = [v for n, v in parsed.fields if n.lower() == b"connection"]
        assert hosts == [host]
        assert (b", ".join(conns) if conns else None) == connection
    assert taken > 500      # the generator does reach shape_key's side
