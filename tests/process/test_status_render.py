"""mod_status output from a scoreboard built by hand."""

import os
import re

from apyche.process.scoreboard import Scoreboard, WorkerBoard
from apyche.process.status import StatusContext, render, show_time

from .test_scoreboard import FakeProto, FakeReq

AUTO_KEYS_EVENT = [
    "ServerVersion", "ServerMPM", "Server Built", "CurrentTime", "RestartTime",
    "ParentServerConfigGeneration", "ParentServerMPMGeneration", "ServerUptimeSeconds",
    "ServerUptime", "Load1", "Load5", "Load15", "Total Accesses", "Total kBytes",
    "Total Duration", "CPUUser", "CPUSystem", "CPUChildrenUser", "CPUChildrenSystem",
    "CPULoad", "Uptime", "ReqPerSec", "BytesPerSec", "BytesPerReq", "DurationPerReq",
    "BusyWorkers", "GracefulWorkers", "IdleWorkers", "Processes", "Stopping", "ConnsTotal",
    "ConnsAsyncWaitIO", "ConnsAsyncWriting", "ConnsAsyncKeepAlive", "ConnsAsyncClosing",
    "Scoreboard"]


def board(mpm="event", extended=True, threads=4, procs=3):
    sb = Scoreboard.create(procs + 1, threads)
    for i in range(procs):
        sb.claim_process(i, os.getpid(), 0, threads)
        WorkerBoard(sb, i, threads, extended=extended, generation=0).ready()
    sb.set_restart_time(sb.restart_time - 3725)
    wb = WorkerBoard(sb, 0, threads, extended=extended, generation=0)
    s = wb.open(FakeProto.client)
    s.writing(FakeReq())
    s.done(3000, 0.25)
    s.keepalive()
    ctx = StatusContext(sb, mpm=mpm, max_servers=procs + 1, threads_per_child=threads,
                        extended=extended, built="Nov 27 2026 00:00:00")
    return ctx


def parse(text):
    """apache_exporter's reading: split on the first ':'; floats must parse."""
    lines = text.splitlines()
    assert ":" not in lines[0]
    out = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        assert sep, line
        out[key] = value.strip()
    return lines[0], out


def test_auto_keys_order_and_values():
    text, headers = render(board(), args="auto", server_name="localhost", local_ip="127.0.0.1")
    assert ("Content-Type", "text/plain; charset=ISO-8859-1") in headers
    name, kv = parse(text)
    assert name == "localhost"
    keys = [k for k in kv]
    expected = [k for k in AUTO_KEYS_EVENT if k != "CPULoad" or "CPULoad" in kv]
    assert keys == expected
    for key, value in kv.items():
        if key not in ("ServerVersion", "ServerMPM", "Server Built", "CurrentTime",
                       "RestartTime", "ServerUptime", "Scoreboard"):
            float(value)                           # the exporter's ParseFloat
    assert re.match(r"^Apache/\d+\.\d+\.\d+ ", kv["ServerVersion"])
    assert kv["ServerMPM"] == "event"
    assert kv["ServerUptime"] == "1 hour 2 minutes 5 seconds"
    assert int(kv["ServerUptimeSeconds"]) in (3725, 3726)
    assert kv["Total Accesses"] == "1"
    assert kv["Total kBytes"] == "2"
    assert kv["Total Duration"] == "250"
    assert kv["Scoreboard"] == "K" + "_" * 11 + "...."
    assert (kv["BusyWorkers"], kv["IdleWorkers"], kv["Processes"]) == ("1", "11", "3")
    assert kv["ConnsAsyncKeepAlive"] == "1"


def test_auto_without_extended_status_and_prefork():
    text, _ = render(board(mpm="prefork", extended=False, threads=1), args="auto",
                     server_name="h", local_ip="127.0.0.1")
    _, kv = parse(text)
    assert list(kv) == ["ServerVersion", "ServerMPM", "Server Built", "CurrentTime",
                        "RestartTime", "ParentServerConfigGeneration",
                        "ParentServerMPMGeneration", "ServerUptimeSeconds", "ServerUptime",
                        "Load1", "Load5", "Load15", "BusyWorkers", "GracefulWorkers",
                        "IdleWorkers", "Scoreboard"]


def test_refresh_and_html():
    text, headers = render(board(), args="refresh=3", server_name="localhost",
                           local_ip="127.0.0.1")
    assert ("Refresh", "3") in headers
    assert ("Content-Type", "text/html; charset=ISO-8859-1") in headers
    assert "<h1>Apache Server Status for localhost (via 127.0.0.1)</h1>" in text
    assert "<dt>Server MPM: event</dt>" in text
    assert "<title>Apache Status</title>" in text
    assert "<td>http/1.1</td><td nowrap>example.org:8080</td>" in text
    assert "1 requests currently being processed, 0 workers gracefully restarting, 11 idle workers" in text
    _, headers = render(board(), args="refresh", server_name="x", local_ip="127.0.0.1")
    assert ("Refresh", "10") in headers


def test_show_time():
    assert show_time(0) == ""
    assert show_time(1) == " 1 second"
    assert show_time(86400 + 7200 + 60 + 2) == " 1 day 2 hours 1 minute 2 seconds"
