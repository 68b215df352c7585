"""The fixture itself: a started server accepts connections, a stopped one
leaves no process and no listening socket behind."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from tests.server.conftest import GRANTED, LiveSite
from tests.server.harness import ServerFailed, ServerProcess, free_port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes only once reaped; Popen.wait reaps.
    return True


def test_stop_leaves_nothing_behind(tmp_path):
    # The server drops to "User nobody": give it a tree it may read.
    root = tmp_path / "world"
    root.mkdir()
    for p in (tmp_path.parent.parent, tmp_path.parent, tmp_path, root):
        os.chmod(p, 0o755)
    site = LiveSite(root, GRANTED, {"f.txt": "x\n"})
    for p in [root, *root.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    site.server.kind = "apyche"      # whatever APYCHE_E2E_TARGET says
    site.start()
    try:
        pid = site.server.proc.pid
        assert site.get("/f.txt").status == 200
    finally:
        site.stop()
    assert not _alive(pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", site.port), timeout=1).close()


def test_bad_config_fails_fast_with_the_error(tmp_path):
    site = LiveSite(tmp_path, "NoSuchDirective x\n")
    site.server.kind = "apyche"
    with pytest.raises(ServerFailed) as info:
        site.start()
    assert "NoSuchDirective" in str(info.value)
    assert site.server.proc is None


def test_sigterm_ignored_is_killed_after_the_bound(tmp_path):
    # A stand-in server that ignores SIGTERM: stop() must SIGKILL it.
    script = tmp_path / "stubborn.py"
    port = free_port()
    script.write_text(
        "import signal, socket, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port})); s.listen(5)\n"
        "time.sleep(60)\n")

    class Stubborn(ServerProcess):
        def argv(self):
            return [sys.executable, str(script)]

    server = Stubborn(tmp_path / "unused.conf", tmp_path, port, "stub")
    server.start()
    proc = server.proc
    server.stop(timeout=0.5)
    assert proc.returncode is not None and proc.returncode < 0
