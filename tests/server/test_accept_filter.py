"""AcceptFilter through the real server.  On Linux, Apache applies any
filter but "none" as TCP_DEFER_ACCEPT (30 s): a client that connects and
says nothing stays in the kernel, so TimeOut only starts once it speaks.
With "AcceptFilter http none" the connection is accepted at once and
TimeOut closes it.  Both hold for apache2 too (APYCHE_E2E_TARGET=apache)."""

from __future__ import annotations

import socket
import time

import pytest

from apyche.config.walk import load_config
from apyche.serve_cli import accept_filters

pytestmark = pytest.mark.skipif(not hasattr(socket, "TCP_DEFER_ACCEPT"),
                                reason="TCP_DEFER_ACCEPT is Linux's")

CONF = """\
Timeout 1
<Directory @DOCROOT@>
    Require all granted
</Directory>
"""


def _silent_then_speak(site, silence=2.0):
    s = socket.create_connection(("127.0.0.1", site.port), timeout=5)
    try:
        time.sleep(silence)
        try:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return data
                data += chunk
        except ConnectionResetError:
            return b""
    finally:
        s.close()


def test_a_silent_client_is_answered_when_it_speaks(make_site):
    site = make_site(CONF, {"a.txt": "a\n"})
    assert _silent_then_speak(site).startswith(b"HTTP/1.1 200 ")


def test_without_a_filter_timeout_closes_a_silent_client(make_site):
    site = make_site(CONF + "AcceptFilter http none\n", {"a.txt": "a\n"})
    assert _silent_then_speak(site) == b""


def test_each_listen_gets_its_protocols_filter(tmp_path):
    (tmp_path / "www").mkdir()
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"ServerName x\nErrorLog {tmp_path}/e.log\nDocumentRoot {tmp_path}/www\n"
                    "Listen 127.0.0.1:18001\nListen 127.0.0.1:18443 https\n"
                    "Listen 127.0.0.1:18021 ftp\nListen 127.0.0.1:443\n"
                    "AcceptFilter http none\nAcceptFilter ftp dataready\n")
    assert accept_filters(load_config(str(conf), str(tmp_path), env={})) == {
        ("127.0.0.1", 18001): None, ("127.0.0.1", 18443): "data",
        ("127.0.0.1", 18021): "dataready", ("127.0.0.1", 443): "data"}
    conf.write_text(f"ServerName x\nErrorLog {tmp_path}/e.log\nDocumentRoot {tmp_path}/www\n"
                    "Listen 127.0.0.1:18001\nListen 127.0.0.1:18021 ftp\n")
    assert accept_filters(load_config(str(conf), str(tmp_path), env={})) == {
        ("127.0.0.1", 18001): "data", ("127.0.0.1", 18021): None}


def test_bound_sockets_stay_non_blocking_when_dupped():
    """O_NONBLOCK belongs to the open file that the master and every
    worker's dup share, and socket.dup() copies the timeout of the object
    it dups: a blocking master socket made every worker's accept() wait
    for the next client once a new worker dupped it."""
    import fcntl
    import os

    from apyche.serve_cli import bind
    (sock,) = bind([("127.0.0.1", 0)])
    try:
        dup = sock.dup()
        try:
            assert dup.gettimeout() == 0.0
            assert fcntl.fcntl(sock.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK
            with pytest.raises(BlockingIOError):
                dup.accept()
        finally:
            dup.close()
    finally:
        sock.close()
