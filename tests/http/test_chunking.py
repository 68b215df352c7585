"""Property: however the byte stream is cut into reads, a pipeline gets the
same answers (parser state, unknown-method recovery and the stash must not
depend on read boundaries).  Driven without sockets through a fake
transport, so hypothesis can try many splits quickly."""

import asyncio

from hypothesis import Phase, given, settings, strategies as st

from apyche.http import ConnectionPolicy, Response
from apyche.http.protocol import HttpProtocol

REQUESTS = [
    b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n",
    b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    b"PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
    b"BREW /d HTTP/1.1\r\nHost: h\r\n\r\n",
    b"\r\nHEAD /e HTTP/1.1\r\nHost: h\r\n\r\n",
    b"get /f HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nzz",
    b"GET /\xc3\xbc HTTP/1.1\r\nHost: h\r\n\r\n",
    b"MKCALENDAR /\xe2\x82\xac?x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nq",
]
EXPECTED = [b"GET /a", b"POST /b", b"PUT /c", b"BREW /d", None, b"get /f", b"GET /\xc3\xbc",
            b"MKCALENDAR /\xe2\x82\xac"]


class FakeTransport(asyncio.Transport):
    def __init__(self):
        super().__init__()
        self.out = bytearray()
        self.closed = False

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 1) if name in ("peername", "sockname") else default

    def set_write_buffer_limits(self, high=None, low=None):
        pass

    def get_write_buffer_size(self):
        return 0

    def write(self, data):
        self.out += data

    def writelines(self, parts):
        for p in parts:
            self.out += p

    def is_closing(self):
        return self.closed

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def can_write_eof(self):
        return True

    def write_eof(self):
        pass

    def close(self):
        self.closed = True

    def abort(self):
        self.closed = True


def handler(request):
    request.discard_body()
    return Response(200, [], f"{request.method} {request.path}".encode("latin-1"))


def run_pipeline(chunks):
    loop = asyncio.new_event_loop()
    try:
        proto = HttpProtocol(handler, ConnectionPolicy(), loop=loop)
        t = FakeTransport()
        proto.connection_made(t)
        for chunk in chunks:
            proto.data_received(chunk)
        return bytes(t.out)
    finally:
        loop.close()


def bodies(raw):
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        is_head = len(out) == 4
        out.append(None if is_head else rest[:length])
        raw = rest if is_head else rest[length:]
    return out


def test_pipeline_in_one_read():
    assert bodies(run_pipeline([b"".join(REQUESTS)])) == EXPECTED


@settings(max_examples=150, deadline=None, database=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
@given(st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=40))
def test_pipeline_any_split(cuts):
    data = b"".join(REQUESTS)
    points = sorted({c % len(data) for c in cuts if c % len(data)})
    chunks, prev = [], 0
    for p in points:
        chunks.append(data[prev:p])
        prev = p
    chunks.append(data[prev:])
    assert bodies(run_pipeline(chunks)) == EXPECTED


def test_pipeline_byte_by_byte():
    data = b"".join(REQUESTS)
    assert bodies(run_pipeline([data[i:i + 1] for i in range(len(data))])) == EXPECTED


def test_sync_handler_creates_no_tasks():
    loop = asyncio.new_event_loop()
    created = []
    real = loop.create_task

    def counting(coro, **kw):
        created.append(coro)
        return real(coro, **kw)
    loop.create_task = counting
    try:
        proto = HttpProtocol(handler, ConnectionPolicy(), loop=loop)
        t = FakeTransport()
        proto.connection_made(t)
        for _ in range(10):
            proto.data_received(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
        assert t.out.count(b"HTTP/1.1 200 OK") == 10
        assert created == []
    finally:
        loop.close()


def test_error_note_reaches_error_response():
    notes = []

    def err(status, request):
        notes.append((status, request.error_note if request else None))
        return Response(status, [], b"e")
    loop = asyncio.new_event_loop()
    try:
        proto = HttpProtocol(handler, ConnectionPolicy(limit_request_fields=1), loop=loop, error_response=err)
        t = FakeTransport()
        proto.connection_made(t)
        proto.data_received(b"GET /a HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\n")
        assert notes == [(400, "The number of request header fields exceeds this server's limit.")]
    finally:
        loop.close()
