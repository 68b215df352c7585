"""serve() on several sockets, and run() stopping on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import textwrap

from apyche.http import Response

from .conftest import Conn, ServerThread, get


def test_serve_on_two_sockets(loop_kind):
    extra = socket.socket()
    extra.bind(("127.0.0.1", 0))
    extra.listen(16)
    port2 = extra.getsockname()[1]
    srv = ServerThread(lambda r: Response(200, [], b"two"), None, loop_kind, extra_sockets=[extra]).start()
    try:
        assert Conn(srv.port).send(get()).response()[2] == b"two"
        assert Conn(port2).send(get()).response()[2] == b"two"
    finally:
        srv.stop()


def test_run_stops_gracefully_on_sigterm(tmp_path):
    script = tmp_path / "srv.py"
    script.write_text(textwrap.dedent(f"""
        import socket, sys
        sys.path.insert(0, {os.getcwd()!r})
        from apyche.http import Response
        from apyche.http.server import run
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
        print(s.getsockname()[1], flush=True)
        run([s], lambda r: Response(200, [], b"up"), grace=1.0)
        print("stopped", flush=True)
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        c = Conn(port)
        assert c.send(get()).response()[2] == b"up"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert proc.stdout.read().strip() == "stopped"
        assert c.is_closed(2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
