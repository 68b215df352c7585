"""The real master with several workers, as a subprocess (bounded waits; the
fixture kills the process group at the end)."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from .harness import wait_for
from .test_status_render import parse


def pids_in(lines, marker="GET / "):
    return {ln.split()[1] for ln in lines if marker in ln}


def test_requests_spread_across_workers_and_both_listeners(make_server):
    srv = make_server().start()
    assert len(wait_for(lambda: len(srv.workers()) == 3 and srv.workers(), 5)) == 3
    results = []

    def client(port):
        for _ in range(15):
            results.append(srv.get("/", port=port).status)

    threads = [threading.Thread(target=client, args=(p,)) for p in (srv.port, srv.port2) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200] * 90
    assert wait_for(lambda: len([ln for ln in srv.access_log() if "GET / " in ln]) == 91, 5)
    served_by = pids_in(srv.access_log())
    assert len(served_by) >= 2, served_by
    assert served_by <= {str(p) for p in srv.workers()}
    assert str(srv.pid) not in served_by           # the master never serves


def test_kill_9_is_healed_and_crash_is_logged(make_server):
    srv = make_server().start()
    workers = wait_for(lambda: len(srv.workers()) == 3 and srv.workers(), 5)
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    healed = wait_for(lambda: len(srv.workers()) == 3 and victim not in srv.workers()
                      and srv.workers(), 6)
    assert healed, srv.workers()
    assert srv.get("/").status == 200
    crash = srv.workers()[0]
    os.kill(crash, signal.SIGSEGV)
    assert wait_for(lambda: f"AH00052: child pid {crash} exit signal Segmentation fault (11)"
                    in srv.error_log() or "possible coredump" in srv.error_log(), 5), srv.error_log()
    # replaced at the next tick; the spawn rate doubled by the first heal may
    # start two (prefork's idle_spawn_rate only resets on a tick with enough spares)
    assert wait_for(lambda: len(srv.workers()) >= 3 and crash not in srv.workers(), 6)
    assert f"child pid {victim} exit signal Killed (9)" in srv.error_log()


class LoadClients:
    """Keep-alive clients in threads, bounded by time.  A request sent on a
    reused connection that the server closed while idle is retried once on a
    new connection (what browsers and urllib3 do for idempotent requests)."""

    def __init__(self, port: int, n: int = 4) -> None:
        self.port = port
        self.ok = 0
        self.failures: list = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(n)]

    def run(self) -> None:
        conn = None
        deadline = time.monotonic() + 30
        while not self.stop.is_set() and time.monotonic() < deadline:
            for attempt in (0, 1):
                fresh = conn is None
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                try:
                    conn.request("GET", "/?load")
                    resp = conn.getresponse()
                    body = resp.read()
                    if resp.status != 200 or body != b"hello\n":
                        self.failures.append((resp.status, body))
                    elif resp.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                    with self.lock:
                        self.ok += 1
                    break
                except (http.client.RemoteDisconnected, ConnectionResetError,
                        BrokenPipeError) as exc:
                    conn.close()
                    conn = None
                    if fresh or attempt:
                        self.failures.append(repr(exc))
                        break
                except OSError as exc:
                    self.failures.append(repr(exc))
                    conn.close()
                    conn = None
                    break
        if conn is not None:
            conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(15)


def test_graceful_restart_under_load_loses_nothing(make_server):
    srv = make_server().start()
    with LoadClients(srv.port) as load:
        time.sleep(0.7)
        before = set(srv.workers())
        os.kill(srv.pid, signal.SIGUSR1)
        assert wait_for(lambda: srv.error_log().count("resuming normal operations") == 2, 5)
        time.sleep(0.7)
        os.kill(srv.pid, signal.SIGUSR1)
        assert wait_for(lambda: srv.error_log().count("resuming normal operations") == 3, 5)
        time.sleep(0.7)
    assert load.failures == []
    assert load.ok > 50
    assert wait_for(lambda: not (before & set(srv.workers())), 10)   # old generation gone
    auto = srv.auto()
    assert "ParentServerMPMGeneration: 2" in auto
    logged = wait_for(lambda: len([ln for ln in srv.access_log() if "/?load" in ln]) == load.ok, 5)
    assert logged, (len([ln for ln in srv.access_log() if "/?load" in ln]), load.ok)
    assert "AH00493: SIGUSR1 received.  Doing graceful restart" in srv.error_log()


def test_broken_config_on_restart_keeps_serving_and_logs_why(make_server):
    srv = make_server().start()
    srv.write_conf(broken=True)
    for sig in (signal.SIGUSR1, signal.SIGHUP):
        os.kill(srv.pid, sig)
        assert wait_for(lambda: "restart aborted, keeping the running configuration"
                        in srv.error_log() and srv.proc.poll() is None, 5)
        assert srv.get("/").status == 200
    assert "Invalid command 'ThisIsNotADirective'" in srv.error_log()
    # fixed config: the next graceful restart takes it
    srv.write_conf(extra="Header always set X-Gen two\nLoadModule headers_module x.so")
    srv.write_conf(extra="")
    os.kill(srv.pid, signal.SIGUSR1)
    assert wait_for(lambda: srv.error_log().count("resuming normal operations") == 4, 5)
    assert srv.get("/").status == 200


def test_logs_reopened_on_graceful_restart(make_server):
    srv = make_server().start()
    assert srv.get("/").status == 200
    logs = srv.root / "logs"
    assert wait_for(lambda: any("GET / " in ln for ln in srv.access_log()), 3)
    os.rename(logs / "access_log", logs / "access_log.1")
    os.kill(srv.pid, signal.SIGUSR1)
    assert wait_for(lambda: (logs / "access_log").exists(), 5)
    assert wait_for(lambda: srv.error_log().count("resuming normal operations") == 2, 5)
    time.sleep(0.3)
    for _ in range(5):
        assert srv.get("/after").status == 404
    assert wait_for(lambda: sum("/after" in ln for ln in srv.access_log()) == 5, 5)


def test_max_connections_per_child_recycles_without_a_failed_request(make_server):
    srv = make_server(extra="MaxConnectionsPerChild 5").start()
    first = set(wait_for(lambda: len(srv.workers()) == 3 and srv.workers(), 5))
    statuses = [srv.get("/", timeout=10).status for _ in range(40)]
    assert statuses == [200] * 40
    served = pids_in(srv.access_log())
    assert len(served) >= 5, served                 # 40 connections, 5 per worker
    assert wait_for(lambda: len(srv.workers()) >= 3, 5)
    assert not first <= set(srv.workers())
    assert "exit signal" not in srv.error_log()


def test_max_connections_per_child_counts_connections_answered_at_accept(make_server):
    """A file asked again on one-request connections is answered the moment
    it is accepted (apyche/http/accept.py); those connections count too."""
    srv = make_server(extra="MaxConnectionsPerChild 5")
    index = srv.root / "htdocs" / "index.html"
    os.utime(index, (time.time() - 100,) * 2)
    srv.start()
    first = set(wait_for(lambda: len(srv.workers()) == 3 and srv.workers(), 5))
    statuses = [srv.get("/index.html", timeout=10).status for _ in range(40)]
    assert statuses == [200] * 40
    served = pids_in(srv.access_log(), "GET /index.html ")
    assert len(served) >= 5, served                 # 40 connections, 5 per worker
    assert wait_for(lambda: not first <= set(srv.workers()), 5)
    assert "exit signal" not in srv.error_log()


def test_max_request_workers_caps_connections(make_server):
    srv = make_server(extra="ServerLimit 2\nThreadsPerChild 2\nThreadLimit 2\n"
                            "MaxRequestWorkers 4\nStartServers 2\nMinSpareThreads 1\n"
                            "MaxSpareThreads 4")
    srv.start()
    held = []
    try:
        for _ in range(4):                          # 4 slots: all reading a request
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\n")
            held.append(s)
        time.sleep(0.5)                             # accepted by the two workers
        extra = socket.create_connection(("127.0.0.1", srv.port2), timeout=5)
        extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        extra.settimeout(1.0)
        with pytest.raises(socket.timeout):         # waits in the backlog
            extra.recv(100)
        held.pop().close()                          # a slot frees: it is served
        extra.settimeout(5)
        assert extra.recv(100).startswith(b"HTTP/1.1 200")
        extra.close()
    finally:
        for s in held:
            s.close()


def test_auto_parses_with_apaches_keys(make_server):
    srv = make_server(extra="ExtendedStatus On").start()
    for _ in range(3):
        srv.get("/")
    # a worker counts an answer just after sending it: on a loaded machine
    # the board may catch up a moment later (bounded wait)
    seen = []

    def counted():
        seen[:] = [parse(srv.auto())]
        return int(seen[0][1]["Total Accesses"]) >= 3
    assert wait_for(counted, 5), seen
    name, kv = seen[0]
    assert name == "127.0.0.1"
    keys = list(kv)
    assert keys[:12] == ["ServerVersion", "ServerMPM", "Server Built", "CurrentTime",
                         "RestartTime", "ParentServerConfigGeneration",
                         "ParentServerMPMGeneration", "ServerUptimeSeconds", "ServerUptime",
                         "Load1", "Load5", "Load15"]
    assert keys[-11:] == ["BusyWorkers", "GracefulWorkers", "IdleWorkers", "Processes",
                          "Stopping", "ConnsTotal", "ConnsAsyncWaitIO", "ConnsAsyncWriting",
                          "ConnsAsyncKeepAlive", "ConnsAsyncClosing", "Scoreboard"]
    # StartServers 3; idle-server maintenance may have added one (with
    # MinSpareThreads 12 of 3 x 4, a busy moment asks for more, as in Apache)
    assert 3 <= int(kv["Processes"]) <= 8
    assert re.fullmatch(r"[._SRWKDCLGI]{32}", kv["Scoreboard"])
    page = srv.get("/server-status?refresh=2")
    assert page.getheader("Refresh") == "2"
    html = page.body.decode("latin-1")
    assert f"<td nowrap>localhost:{srv.port}</td><td nowrap>GET /server-status?refresh=2 HTTP/1.1</td>" in html
    assert "<dt>Parent Server MPM Generation: 0</dt>" in html
    version = kv["ServerVersion"].split()[0].split("/")[1].split(".")
    assert [int(x) for x in version[:3]]            # apache_exporter's unchecked indexing
    apache = _apache_auto_keys(srv.root)
    if apache is not None:
        ours = [k for k in keys if k not in ("CPULoad", "ReqPerSec", "BytesPerSec",
                                             "BytesPerReq", "DurationPerReq")]
        theirs = [k for k in apache if k not in ("CPULoad", "ReqPerSec", "BytesPerSec",
                                                 "BytesPerReq", "DurationPerReq")]
        assert ours == theirs


def _apache_auto_keys(tmp):
    """Debian's apache2 on a free port, mod_status, ?auto keys (None: no apache2)."""
    apache = shutil.which("apache2") or (os.path.exists("/usr/sbin/apache2") and "/usr/sbin/apache2")
    mods = "/usr/lib/apache2/modules"
    if not apache or not os.path.exists(f"{mods}/mod_status.so"):
        return None
    from .harness import free_port
    port = free_port()
    root = tmp / "apache"
    root.mkdir()
    (root / "httpd.conf").write_text(f"""
ServerRoot {root}
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule status_module {mods}/mod_status.so
ServerName localhost
Listen 127.0.0.1:{port}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
DocumentRoot {root}
<Location /server-status>
SetHandler server-status
</Location>
""")
    proc = subprocess.Popen([apache, "-f", str(root / "httpd.conf"), "-DFOREGROUND"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        def fetch():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/server-status?auto")
                return conn.getresponse().read().decode()
            except OSError:
                return None
        text = wait_for(fetch, 10)
        if not text:
            return None
        return list(parse(text)[1])
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


def test_k_start_stop_with_pidfile(make_server):
    srv = make_server()
    env = srv.env()
    run = lambda *a: subprocess.run(srv.argv(*a), env=env, capture_output=True, text=True,  # noqa: E731
                                    timeout=30, cwd=str(srv.root))
    pidfile = srv.root / "logs" / "httpd.pid"
    out = run("-k", "start")
    try:
        assert out.returncode == 0, out.stderr
        pid = int(pidfile.read_text())
        assert os.getsid(pid) != os.getsid(0)       # detached: a session of its own
        assert srv.get("/").status == 200
        again = run("-k", "start")
        assert again.stdout.strip() == f"httpd (pid {pid}) already running"
        assert srv.get("/").status == 200
        out = run("-k", "graceful")
        assert out.returncode == 0
        assert wait_for(lambda: srv.error_log().count("resuming normal operations") == 2, 5)
        out = run("-k", "stop")
        assert out.returncode == 0
        assert wait_for(lambda: not pidfile.exists(), 10)
        assert wait_for(lambda: not _alive(pid), 5)
        assert run("-k", "stop").stdout.strip() == "httpd (no pid file) not running"
    finally:
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of a daemon (reparented to init) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_graceful_stop_finishes_and_removes_pidfile(make_server):
    srv = make_server().start()
    pidfile = srv.root / "logs" / "httpd.pid"
    assert int(pidfile.read_text()) == srv.pid
    os.kill(srv.pid, signal.SIGWINCH)
    assert srv.proc.wait(10) == 0
    assert not pidfile.exists()
    assert "AH00492: caught SIGWINCH, shutting down gracefully" in srv.error_log()


def test_single_process_mode_has_status(make_server):
    srv = make_server(args=("-X",)).start()
    assert srv.workers() == []
    name, kv = parse(srv.auto())
    assert kv["Processes"] == "1"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch User/Group")
def test_workers_switch_to_user_and_group():
    import pwd
    import tempfile
    from pathlib import Path

    from .harness import Server
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody")
    root = Path(tempfile.mkdtemp(prefix="apyche-unixd-"))   # traversable by nobody
    root.chmod(0o755)
    srv = Server(root, extra=f"User nobody\nGroup #{nobody.pw_gid}")
    try:
        srv.start()
        workers = wait_for(lambda: len(srv.workers()) == 3 and srv.workers(), 5)
        for pid in workers:
            status = open(f"/proc/{pid}/status").read()
            uid = re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.M).groups()
            gid = re.search(r"^Gid:\s+(\d+)\s+(\d+)", status, re.M).groups()
            assert uid == (str(nobody.pw_uid),) * 2
            assert gid == (str(nobody.pw_gid),) * 2
        assert os.stat(f"/proc/{srv.pid}").st_uid == 0     # the master keeps root
        assert srv.get("/").status == 200
        assert wait_for(lambda: any("GET / " in ln for ln in srv.access_log()), 3)
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_status_cli_once_against_a_live_server(make_server, capsys):
    from apyche.process.status_cli import main, parse_auto
    srv = make_server().start()
    assert main(["--once", f"http://127.0.0.1:{srv.port}/server-status"]) == 0
    out = capsys.readouterr().out
    assert "ServerMPM: event" in out
    assert re.search(r"^Scoreboard: [._SRWKDCLGI]+$", out, re.M)
    data = parse_auto(srv.auto())
    assert data["_server"] == "127.0.0.1" and data["Processes"] == 3.0
    assert main(["--once", f"http://127.0.0.1:{srv.port2}/nothing-here"]) == 1


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_ipv6_listener(make_server):
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1")
    from .harness import free_port
    port6 = free_port()
    srv = make_server(extra=f"Listen [::1]:{port6}").start()
    conn = http.client.HTTPConnection("::1", port6, timeout=5)
    conn.request("GET", "/")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b"hello\n"
    conn.close()
    assert wait_for(lambda: any(ln.startswith("::1 ") for ln in srv.access_log()), 3)


def test_spawn_rate_doubles_and_busy_line_is_logged(make_server):
    srv = make_server(extra="ServerLimit 20\nThreadsPerChild 1\nThreadLimit 1\n"
                            "MaxRequestWorkers 20\nStartServers 1\nMinSpareThreads 16\n"
                            "MaxSpareThreads 40").start()
    # ticks start 1, 2, 4, 8 workers: the fourth says the server seems busy
    assert wait_for(lambda: "AH00486: server seems busy" in srv.error_log(), 8), srv.error_log()
    line = [ln for ln in srv.error_log().splitlines() if "AH00486" in ln][0]
    assert "[mpm_event:info]" in line and "spawning 8 children, there are around 8 idle threads, " \
        "8 active children, and 0 children that are shutting down" in line
    assert wait_for(lambda: len(srv.workers()) == 16, 5)


def test_add_handler_names_server_status_and_post_declines(make_server):
    srv = make_server(extra="AddHandler server-status .stat", args=("-X",))
    (srv.root / "htdocs" / "board.stat").write_text("not served as a file\n")
    srv.start()
    resp = srv.get("/board.stat?auto")
    assert resp.status == 200
    assert resp.body.decode().splitlines()[1].startswith("ServerVersion: Apache/2.4.71")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("POST", "/server-status", body=b"x")
    assert conn.getresponse().status == 404        # DECLINED: the default handler's 404
    conn.close()


def test_workers_leave_when_the_master_dies(make_server):
    srv = make_server().start()
    workers = wait_for(lambda: len(srv.workers()) == 3 and srv.workers(), 5)
    os.kill(srv.pid, signal.SIGKILL)
    srv.proc.wait(5)
    assert wait_for(lambda: not any(_alive(p) for p in workers), 6)


def test_in_flight_response_survives_graceful_restart(make_server):
    srv = make_server()
    size = 16 * 1024 * 1024
    (srv.root / "htdocs" / "big.bin").write_bytes(b"x" * size)
    srv.start()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    got = s.recv(65536)
    os.kill(srv.pid, signal.SIGUSR1)
    assert wait_for(lambda: srv.error_log().count("resuming normal operations") == 2, 5)
    time.sleep(0.5)
    status = parse(srv.auto())[1]
    assert int(status["GracefulWorkers"]) == 0          # old generation: quiescing, not counted
    assert int(status["Stopping"]) >= 1                 # the old worker still sending
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += chunk
        head, sep, body = got.partition(b"\r\n\r\n")
        if sep and len(body) >= size:
            break
    s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and len(body) == size
    assert b"Connection: close" not in head              # decided before the restart


def test_replayed_requests_are_counted_on_the_scoreboard(make_server):
    # repeated identical requests skip the pipeline (apyche/http/replay.py)
    # but not the scoreboard: Total Accesses and kBytes count every answer
    srv = make_server(extra="ExtendedStatus On").start()
    path = srv.root / "htdocs" / "ten.txt"
    path.write_bytes(b"x" * 10240)
    old = time.time() - 100
    os.utime(path, (old, old))
    # a worker counts an answer just after sending it: the client may ask
    # another worker for ?auto before that lands, so let counts settle
    time.sleep(0.3)
    _, before = parse(srv.auto())
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    try:
        for _ in range(20):     # the same request bytes each time
            conn.request("GET", "/ten.txt")
            r = conn.getresponse()
            assert r.status == 200 and len(r.read()) == 10240
    finally:
        conn.close()
    time.sleep(0.3)
    _, after = parse(srv.auto())
    # the 20 answers plus the first ?auto request
    assert int(after["Total Accesses"]) - int(before["Total Accesses"]) == 21
    assert int(after["Total kBytes"]) - int(before["Total kBytes"]) >= 200


def test_lingering_connections_answered_at_accept_show_in_server_status(make_server):
    """Connections answered at accept hold no slot while they linger, but
    ?auto counts them as Apache's event MPM does: ConnsTotal and
    ConnsAsyncClosing (its lingering_close)."""
    srv = make_server(extra="ExtendedStatus On")
    index = srv.root / "htdocs" / "index.html"
    os.utime(index, (time.time() - 100,) * 2)
    srv.start()
    for _ in range(12):     # stored in each worker that answers it twice
        assert srv.get("/index.html").status == 200
    request = b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    held = []
    try:
        for _ in range(8):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(request)
            data = b""
            while not data.endswith(b"hello\n"):
                data += s.recv(4096)
            held.append(s)      # read, but not closed: the server lingers
        # every held connection lingers: on a slot ("C") if it reached a
        # transport, off the slots if it was answered at accept.  A worker
        # tells the board after it sent the answer, so a loaded machine
        # may show the last one a moment later (bounded wait)
        seen = []

        def all_closing():
            seen[:] = [parse(srv.auto())[1]]
            return int(seen[0]["ConnsAsyncClosing"]) >= 8
        assert wait_for(all_closing, 5), seen
        kv = seen[0]
        assert int(kv["ConnsTotal"]) >= int(kv["ConnsAsyncClosing"])
    finally:
        for s in held:
            s.close()
    assert wait_for(lambda: int(parse(srv.auto())[1]["ConnsAsyncClosing"]) == 0, 5)


# A worker that takes its time before it installs its own signal handlers
# (as a loaded machine makes any worker do, for a moment): a signal the
# master sends it meanwhile must still reach it.
_SLOW_WORKER = """\
import sys, time
from apyche.process import worker
real = worker.run_worker
def slow(spec):
    time.sleep(1.0)
    return real(spec)
worker.run_worker = slow
from apyche.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_a_graceful_stop_reaches_a_worker_still_starting(make_server):
    srv = make_server(extra="StartServers 1\nMinSpareThreads 1\nMaxSpareThreads 32")
    argv = srv.argv()
    srv.stderr = open(srv.root / "stderr", "wb")
    srv.proc = subprocess.Popen([argv[0], "-c", _SLOW_WORKER, *argv[3:]], cwd=str(srv.root),
                                env=srv.env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=srv.stderr,
                                start_new_session=True)
    # forked, and asleep before run_worker; the master has its handlers
    # (it announces itself after setting them; a child seen before that
    # need not be a worker)
    assert wait_for(lambda: "resuming normal operations" in srv.error_log() and srv.workers(),
                    10)
    os.kill(srv.pid, signal.SIGWINCH)
    assert srv.proc.wait(10) == 0
    assert "AH00492: caught SIGWINCH, shutting down gracefully" in srv.error_log()
