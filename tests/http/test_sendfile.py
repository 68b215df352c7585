"""The three file senders (sendfile, mmap, read) under the same tests, on
both loops: large files, offsets, zero bytes, slow readers, tiny send
buffers, truncation while sending, fd reuse."""

import asyncio
import hashlib
import os
import socket
import time

import pytest

from apyche.http import ConnectionPolicy, FileBody, Response
from apyche.http.sendfile import SENDERS, send_file

from .conftest import Conn, get, make_handler

SENDER_NAMES = ["sendfile", "mmap", "read"]
MB = 1024 * 1024


@pytest.fixture(params=SENDER_NAMES)
def sender(request):
    return request.param


@pytest.fixture
def files(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(4 * MB + 12345))
    small = tmp_path / "small.txt"
    small.write_bytes(b"small file\n")
    medium = tmp_path / "medium.bin"        # over SMALL_BODY: not sent with the head
    medium.write_bytes(os.urandom(100 * 1024))
    inline = tmp_path / "inline.bin"        # up to SMALL_BODY: sent with the head
    inline.write_bytes(os.urandom(60 * 1024))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    return {"big": big, "small": small, "medium": medium, "inline": inline, "empty": empty, "dir": tmp_path}


def file_server(make_server, files, sender, **kw):
    fd = os.open(files["big"], os.O_RDONLY)
    shared = {"fd": fd}

    def truncating(request):
        victim = files["dir"] / "victim.bin"
        victim.write_bytes(b"v" * (3 * MB))
        size = 3 * MB
        vfd = os.open(victim, os.O_RDONLY)
        os.truncate(victim, MB)          # shrinks after we "stat"ed it
        return Response(200, [], FileBody(vfd, 0, size, sender=sender, close_fd=True))

    def truncating_small(request):
        victim = files["dir"] / "victim_small.bin"
        victim.write_bytes(b"s" * 5000)
        vfd = os.open(victim, os.O_RDONLY)
        os.truncate(victim, 100)
        return Response(200, [], FileBody(vfd, 0, 5000, sender=sender, close_fd=True))

    table = {
        "big": lambda r: FileBody(path=files["big"], sender=sender),
        "bigfd": lambda r: FileBody(shared["fd"], sender=sender),
        "range": lambda r: FileBody(shared["fd"], 1000003, 2 * MB + 7, sender=sender),
        "small": lambda r: FileBody(path=files["small"], sender=sender),
        "medium": lambda r: FileBody(path=files["medium"], sender=sender),
        "inline": lambda r: FileBody(path=files["inline"], sender=sender),
        "empty": lambda r: FileBody(path=files["empty"], sender=sender),
        "truncated": truncating,
        "truncated_small": truncating_small,
    }
    srv = make_server(make_handler(table), **kw)
    srv.shared_fd = fd
    return srv


def sha(b):
    return hashlib.sha256(b).hexdigest()


def test_large_file(make_server, files, sender):
    srv = file_server(make_server, files, sender)
    c = Conn(srv.port)
    expected = files["big"].read_bytes()
    status, h, body = c.send(get("/file/big")).response()
    assert status == 200 and int(h["content-length"]) == len(expected)
    assert sha(body) == sha(expected)
    assert c.send(get("/x")).response()[2] == b"hello /x"   # still in sync
    os.close(srv.shared_fd)


def test_shared_fd_and_offsets_do_not_move_file_position(make_server, files, sender):
    srv = file_server(make_server, files, sender)
    data = files["big"].read_bytes()
    c = Conn(srv.port)
    c.send(get("/file/range") + get("/file/bigfd") + get("/file/range"))
    assert c.response()[2] == data[1000003:1000003 + 2 * MB + 7]
    assert sha(c.response()[2]) == sha(data)
    assert c.response()[2] == data[1000003:1000003 + 2 * MB + 7]
    assert os.lseek(srv.shared_fd, 0, os.SEEK_CUR) == 0
    os.close(srv.shared_fd)


def test_small_and_empty_files(make_server, files, sender):
    srv = file_server(make_server, files, sender)
    c = Conn(srv.port)
    status, h, body = c.send(get("/file/small")).response()
    assert body == b"small file\n"
    status, h, body = c.send(get("/file/empty")).response()
    assert status == 200 and h["content-length"] == "0" and body == b""
    assert c.send(get("/x")).response()[2] == b"hello /x"
    os.close(srv.shared_fd)


def test_head_of_file(make_server, files, sender):
    srv = file_server(make_server, files, sender)
    c = Conn(srv.port)
    status, h, _ = c.send(b"HEAD /file/big HTTP/1.1\r\nHost: a\r\n\r\n").response(head_only=True)
    assert int(h["content-length"]) == 4 * MB + 12345
    assert c.send(get("/x")).response()[2] == b"hello /x"
    os.close(srv.shared_fd)


def test_slow_reader_with_tiny_buffers(make_server, files, sender):
    srv = file_server(make_server, files, sender, sndbuf=4096)
    c = Conn(srv.port, rcvbuf=4096, timeout=10)
    c.send(get("/file/range"))
    head = c.read_until(b"\r\n\r\n")
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    got = bytearray()
    t0 = time.monotonic()
    while len(got) < length:
        want = min(65536, length - len(got))
        got += c.read_exact(want)
        if len(got) < 256 * 1024:
            time.sleep(0.002)   # slow at first: the server sees EAGAIN
    assert time.monotonic() - t0 < 20
    data = files["big"].read_bytes()
    assert bytes(got) == data[1000003:1000003 + 2 * MB + 7]
    assert c.send(get("/x")).response()[2] == b"hello /x"
    os.close(srv.shared_fd)


@pytest.mark.parametrize("name,short", [("truncated", 1 * MB), ("truncated_small", 100)])
def test_truncated_file_stops_and_closes(make_server, files, sender, name, short):
    srv = file_server(make_server, files, sender)
    c = Conn(srv.port, timeout=10)
    c.send(get(f"/file/{name}"))
    head = c.read_until(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    rest = c.read_to_eof()        # must not hang: the server closes
    assert len(rest) == short
    done = srv.wait_completed(1)
    assert done[0][2] == short
    assert Conn(srv.port).send(get("/x")).response()[2] == b"hello /x"
    os.close(srv.shared_fd)


def test_disconnect_mid_file_leaves_server_healthy(make_server, files, sender):
    srv = file_server(make_server, files, sender, sndbuf=8192)
    for _ in range(3):
        c = Conn(srv.port, rcvbuf=4096)
        c.send(get("/file/big"))
        c.read_exact(1000)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()
    assert len(srv.wait_completed(3)) == 3
    assert Conn(srv.port).send(get("/x")).response()[2] == b"hello /x"
    deadline = time.monotonic() + 5
    while srv.connections() > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.connections() <= 1
    os.close(srv.shared_fd)


def test_pipelined_files_keep_order(make_server, files, sender):
    srv = file_server(make_server, files, sender)
    c = Conn(srv.port)
    c.send(get("/file/small") + get("/file/range") + get("/file/empty") + get("/file/small"))
    data = files["big"].read_bytes()
    bodies = [c.response()[2] for _ in range(4)]
    assert bodies == [b"small file\n", data[1000003:1000003 + 2 * MB + 7], b"", b"small file\n"]
    os.close(srv.shared_fd)


def test_pipelined_bodies_to_a_slow_reader_never_overtake_their_heads(make_server, files, sender):
    # Answers sent with their heads fill the socket and then the transport's
    # buffer; the next head is written behind them, and its body must wait
    # until all of that has reached the kernel.
    srv = file_server(make_server, files, sender, sndbuf=4096)
    c = Conn(srv.port, rcvbuf=4096, timeout=20)
    c.send(get("/file/inline") * 6 + get("/file/medium") + get("/file/inline") * 3
           + get("/file/range") + get("/file/medium"))
    time.sleep(0.3)                 # let the server fill the socket and its buffer
    inline, medium = files["inline"].read_bytes(), files["medium"].read_bytes()
    ranged = files["big"].read_bytes()[1000003:1000003 + 2 * MB + 7]
    for body in [inline] * 6 + [medium] + [inline] * 3 + [ranged, medium]:
        status, _, got = c.response()
        assert status == 200 and sha(got) == sha(body)
    os.close(srv.shared_fd)


# -- the sender functions on their own, against a raw transport --------------

@pytest.mark.parametrize("use_uvloop", [True, False])
@pytest.mark.parametrize("name", SENDER_NAMES)
def test_sender_restores_transport_and_handles_zero(tmp_path, name, use_uvloop):
    from apyche.http.server import new_event_loop
    path = tmp_path / "f"
    path.write_bytes(b"abcdef" * 100000)
    loop = new_event_loop(use_uvloop)
    received = bytearray()

    async def main():
        fd = os.open(path, os.O_RDONLY)
        done = loop.create_future()

        class Sink(asyncio.Protocol):
            def data_received(self, data):
                received.extend(data)

            def eof_received(self):
                done.set_result(None)

        srv = await loop.create_server(Sink, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        limits = transport.get_write_buffer_limits()
        transport.write(b"HEAD")
        assert await SENDERS[name](transport, loop, fd, 0, 0) == 0
        n = await SENDERS[name](transport, loop, fd, 6, 600000 - 12)
        assert n == 600000 - 12
        # past EOF: only what exists
        assert await SENDERS[name](transport, loop, fd, 599990, 100) == 10
        if name != "read":
            assert transport.get_write_buffer_limits() == limits
        assert transport.is_reading()
        transport.write_eof()
        await asyncio.wait_for(done, 10)
        transport.close()
        srv.close()
        os.close(fd)

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 20))
    finally:
        loop.close()
    data = path.read_bytes()
    assert bytes(received) == b"HEAD" + data[6:600000 - 6] + data[599990:]


def test_send_file_on_closed_transport_raises(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 1000)
    loop = asyncio.new_event_loop()

    async def main():
        srv = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        transport.close()
        fd = os.open(path, os.O_RDONLY)
        try:
            with pytest.raises(ConnectionError):
                await send_file(transport, loop, fd, 0, 1000)
        finally:
            os.close(fd)
            srv.close()

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 10))
    finally:
        loop.close()


def test_sendfile_hits_eagain_and_recovers(make_server, files, monkeypatch):
    calls = {"ok": 0, "eagain": 0}
    real = os.sendfile

    def counting(*args):
        try:
            n = real(*args)
        except BlockingIOError:
            calls["eagain"] += 1
            raise
        calls["ok"] += 1
        return n
    monkeypatch.setattr(os, "sendfile", counting)
    srv = file_server(make_server, files, "sendfile", sndbuf=4096)
    c = Conn(srv.port, rcvbuf=4096, timeout=10)
    c.send(get("/file/big"))
    c.read_until(b"\r\n\r\n")
    got = 0
    while got < 4 * MB + 12345:
        chunk = c.read_exact(min(32768, 4 * MB + 12345 - got))
        got += len(chunk)
        if got < MB:
            time.sleep(0.001)
    assert calls["eagain"] > 0 and calls["ok"] > 1
    assert c.send(get("/x")).response()[2] == b"hello /x"
    os.close(srv.shared_fd)


@pytest.mark.parametrize("name", SENDER_NAMES)
def test_file_to_client_not_reading_times_out(make_server, files, name):
    srv = file_server(make_server, files, name, sndbuf=8192, policy=ConnectionPolicy(timeout=0.5))
    c = Conn(srv.port, rcvbuf=4096, timeout=10)
    c.send(get("/file/big"))
    deadline = time.monotonic() + 8
    while not srv.completed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(srv.completed) == 1 and srv.completed[0][2] < 4 * MB
    while srv.connections() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.connections() == 0
    os.close(srv.shared_fd)


@pytest.mark.skipif(not hasattr(socket, "TCP_CORK"), reason="TCP_CORK is Linux-only")
def test_socket_is_uncorked_after_a_sendfile_body(make_server, files):
    # the body goes out corked; a corked socket left behind would hold the
    # next small response back for up to 200 ms
    srv = file_server(make_server, files, "sendfile")
    c = Conn(srv.port)
    assert sha(c.send(get("/file/big")).response()[2]) == sha(files["big"].read_bytes())
    conn = next(iter(srv.server.connections))
    sock = conn.transport.get_extra_info("socket")
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 0
    assert c.send(get("/x")).response()[2] == b"hello /x"
    os.close(srv.shared_fd)


def test_a_body_the_socket_takes_at_once_costs_no_wait_setup(make_server, files, monkeypatch):
    # Pausing reading, the (0, 0) limits and the dup() are for a send that
    # has to wait; a small body to a reading client needs none of them.
    import apyche.http.sendfile as sendfile_mod
    starts = []
    real_start = sendfile_mod._Waits.start
    monkeypatch.setattr(sendfile_mod._Waits, "start",
                        lambda self: (starts.append(1), real_start(self))[1])
    srv = file_server(make_server, files, "sendfile")
    c = Conn(srv.port, rcvbuf=1 * MB)      # room for the whole body
    want = sha(files["medium"].read_bytes())
    for _ in range(3):
        assert sha(c.send(get("/file/medium")).response()[2]) == want
    assert starts == []
    # ...while a socket that fills up does wait, and the body still arrives whole
    c2 = Conn(srv.port, rcvbuf=4096, timeout=10)
    c2.send(get("/file/big"))
    c2.read_until(b"\r\n\r\n")
    time.sleep(0.2)                 # let the server fill the socket and wait
    assert sha(c2.read_exact(4 * MB + 12345)) == sha(files["big"].read_bytes())
    assert starts
    os.close(srv.shared_fd)
