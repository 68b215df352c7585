"""mod_status: ``SetHandler server-status``, the HTML page, ``?auto``,
``?refresh=N`` and ``?notable`` (modules/generators/mod_status.c).

The handler reads the shared scoreboard (``apyche.process.scoreboard``)
that the master created; the worker says where it is with
:func:`install`.  Keys, their order and number formats are Apache's own
(checked against Debian's apache2 2.4.71): exporters such as
apache_exporter split each line on the first ':' and parse the values as
floats, and parse ServerVersion as ``name/MAJOR.MINOR.PATCH``.

Numbers Apache computes in single precision (``(float) count /
(float) up_time``) are computed in single precision here too, so ``%g``
prints the same digits.
"""

from __future__ import annotations

import html
import os
import struct
import time
from dataclasses import dataclass

from .. import SERVER_VERSION
from .scoreboard import (P_GEN, P_LINGERING, P_NOT_ACCEPTING, P_PID, P_QUIESCING, P_STIME,
                         P_UTIME, SERVER_DEAD, SERVER_GRACEFUL, SERVER_IDLE_KILL, SERVER_READY,
                         SERVER_STARTING, STATUS_LETTERS, Scoreboard)

KBYTE = 1024
MBYTE = 1048576
GBYTE = 1073741824
STATUS_MAXLINE = 64


@dataclass
class StatusContext:
    """What the handler needs besides the request: set once per worker."""

    scoreboard: Scoreboard
    mpm: str = "event"              # ServerMPM
    max_servers: int = 1            # ap_daemons_limit: process slots in use
    threads_per_child: int = 1
    extended: bool = True           # ExtendedStatus
    built: str = ""


_context: StatusContext | None = None


def install(context: StatusContext | None) -> None:
    global _context
    _context = context


def context() -> StatusContext | None:
    return _context


def server_description() -> str:
    """ap_get_server_description: always the full version."""
    return f"{SERVER_VERSION} (Unix)"


def server_built() -> str:
    """ap_get_server_built, upstream's ``__DATE__ " " __TIME__`` shape, from
    the installed package's modification time."""
    try:
        mtime = os.stat(os.path.join(os.path.dirname(__file__), "..", "__init__.py")).st_mtime
    except OSError:
        mtime = 0
    return time.strftime("%b %d %Y %H:%M:%S", time.gmtime(mtime))


def _f32(x: float) -> float:
    """A C ``float``: Apache's divisions are single precision."""
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return x


def _g(x: float) -> str:
    return "%g" % x


def _ht_time(t: float) -> str:
    """ap_ht_time(DEFAULT_TIME_FORMAT, local): "Friday, 27-Nov-2026 02:12:36 UTC"."""
    return time.strftime("%A, %d-%b-%Y %H:%M:%S %Z", time.localtime(t))


def show_time(tsecs: int) -> str:
    secs = tsecs % 60
    tsecs //= 60
    mins = tsecs % 60
    tsecs //= 60
    hrs = tsecs % 24
    days = tsecs // 24
    out = []
    if days:
        out.append(" %d day%s" % (days, "" if days == 1 else "s"))
    if hrs:
        out.append(" %d hour%s" % (hrs, "" if hrs == 1 else "s"))
    if mins:
        out.append(" %d minute%s" % (mins, "" if mins == 1 else "s"))
    if secs:
        out.append(" %d second%s" % (secs, "" if secs == 1 else "s"))
    return "".join(out)


def format_byte_out(n: int) -> str:
    if n < 5 * KBYTE:
        return "%d B" % n
    if n < MBYTE / 2:
        return "%.1f kB" % _f32(n / KBYTE)
    if n < GBYTE / 2:
        return "%.1f MB" % _f32(n / MBYTE)
    return "%.1f GB" % _f32(n / GBYTE)


def format_kbyte_out(kb: int) -> str:
    if kb < KBYTE:
        return "%d kB" % kb
    if kb < MBYTE:
        return "%.1f MB" % _f32(kb / KBYTE)
    return "%.1f GB" % _f32(kb / MBYTE)


@dataclass
class Snapshot:
    """Everything status_handler's first loop computes."""

    stat: list            # per process: list of letters (' ' = disabled)
    pids: list
    idle: int = 0
    graceful: int = 0
    busy: int = 0
    count: int = 0
    kbcount: int = 0
    duration_us: int = 0
    tu: float = 0.0
    ts: float = 0.0
    gu: float = 0.0
    gs: float = 0.0
    gcu: float = 0.0
    gcs: float = 0.0
    procs: list | None = None    # (slot, pid, quiescing, old, conns, accepting, busy, graceful, idle, keepalive, closing)
    mpm_generation: int = 0
    config_generation: int = 1
    restart_time: float = 0.0


def server_load() -> tuple[int, int] | None:
    """``ap_get_sload``: the idle and busy shares (percent) of every
    worker slot, for mod_headers' %i and %b (a graceful slot is busy
    there); None without a scoreboard."""
    ctx = _context
    if ctx is None:
        return None
    snap = snapshot(ctx)
    lay = ctx.scoreboard.layout
    total = lay.server_limit * lay.thread_limit
    return snap.idle * 100 // total, (snap.busy + snap.graceful) * 100 // total


def snapshot(ctx: StatusContext) -> Snapshot:
    sb = ctx.scoreboard
    lay = sb.layout
    g = sb.global_record()
    mpm_gen = g[3]
    status = sb.status_bytes()
    snap = Snapshot(stat=[], pids=[], mpm_generation=mpm_gen, config_generation=g[4],
                    restart_time=g[5], gu=g[6], gs=g[7], gcu=g[8], gcs=g[9], procs=[])
    bcount = 0
    for i in range(lay.server_limit):
        ps = sb.process(i)
        pid, gen, quiescing, not_accepting = ps[P_PID], ps[P_GEN], ps[P_QUIESCING], \
            ps[P_NOT_ACCEPTING]
        letters = []
        t_busy = t_grace = t_idle = t_ka = t_close = t_conns = 0
        for j in range(lay.thread_limit):
            res = status[i * lay.thread_limit + j]
            if (i >= ctx.max_servers or j >= ctx.threads_per_child) and res == SERVER_DEAD:
                letters.append(" ")
            else:
                letters.append(STATUS_LETTERS[res] if res < len(STATUS_LETTERS) else "?")
            if not quiescing and pid:
                if res == SERVER_READY:
                    if gen == mpm_gen:
                        snap.idle += 1
                    t_idle += 1
                elif res not in (SERVER_DEAD, SERVER_STARTING, SERVER_IDLE_KILL):
                    if res == SERVER_GRACEFUL:
                        snap.graceful += 1
                        t_grace += 1
                    else:
                        snap.busy += 1
                        t_busy += 1
            if res not in (SERVER_DEAD, SERVER_STARTING, SERVER_READY, SERVER_GRACEFUL,
                           SERVER_IDLE_KILL):
                t_conns += 1
                if res == 5:
                    t_ka += 1
                elif res == 8:
                    t_close += 1
            if ctx.extended:
                w = sb.worker(i, j)
                if w["access_count"] or (res != SERVER_READY and res != SERVER_DEAD):
                    snap.count += w["access_count"]
                    bcount += w["bytes_served"]
                    snap.duration_us += w["duration_us"]
                    if bcount >= KBYTE:
                        snap.kbcount += bcount >> 10
                        bcount &= 0x3FF
        if pid and (ps[P_UTIME] or ps[P_STIME]):
            snap.tu += ps[P_UTIME]
            snap.ts += ps[P_STIME]
        # connections answered at accept and lingering hold no slot
        t_conns += ps[P_LINGERING]
        t_close += ps[P_LINGERING]
        snap.stat.append(letters)
        snap.pids.append(pid)
        if pid:
            snap.procs.append((i, pid, bool(quiescing), gen != mpm_gen, t_conns,
                               not not_accepting, t_busy, t_grace, t_idle, t_ka, t_close))
    return snap


def render(ctx: StatusContext, *, args: str | None, server_name: str, local_ip: str,
           now: float | None = None) -> tuple[str, list[tuple[str, str]]]:
    """(body, extra headers) for one request: status_handler."""
    now = time.time() if now is None else now
    headers: list[tuple[str, str]] = []
    short = notable = False
    ctype = "text/html; charset=ISO-8859-1"
    if args:
        loc = args.find("refresh")
        if loc >= 0:
            rest = args[loc + 7:]
            t = 0
            if rest.startswith("="):
                t = _atol(rest[1:])
            headers.append(("Refresh", str(10 if t < 1 else t)))
        if "notable" in args:
            notable = True
        if "auto" in args:
            ctype = "text/plain; charset=ISO-8859-1"
            short = True
    headers.append(("Content-Type", ctype))
    s = snapshot(ctx)
    is_async = ctx.mpm == "event"
    up_time = max(0, int(now - s.restart_time))
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    out: list[str] = []
    w = out.append
    if not short:
        w('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" '
          '"http://www.w3.org/TR/html4/strict.dtd">\n'
          "<html><head>\n<title>Apache Status</title>\n</head><body>\n"
          "<h1>Apache Server Status for ")
        w(f"{html.escape(server_name, quote=False)} (via {local_ip})</h1>\n\n")
        w(f"<dl><dt>Server Version: {server_description()}</dt>\n")
        w(f"<dt>Server MPM: {ctx.mpm}</dt>\n")
        w(f"<dt>Server Built: {ctx.built or server_built()}\n</dt></dl><hr /><dl>\n")
        w(f"<dt>Current Time: {_ht_time(now)}</dt>\n")
        w(f"<dt>Restart Time: {_ht_time(s.restart_time)}</dt>\n")
        w(f"<dt>Parent Server Config. Generation: {s.config_generation}</dt>\n")
        w(f"<dt>Parent Server MPM Generation: {s.mpm_generation}</dt>\n")
        w(f"<dt>Server uptime: {show_time(up_time)}</dt>\n")
        w("<dt>Server load: %.2f %.2f %.2f</dt>\n" % load)
    else:
        w(f"{server_name}\n")
        w(f"ServerVersion: {server_description()}\n")
        w(f"ServerMPM: {ctx.mpm}\n")
        w(f"Server Built: {ctx.built or server_built()}\n")
        w(f"CurrentTime: {_ht_time(now)}\n")
        w(f"RestartTime: {_ht_time(s.restart_time)}\n")
        w(f"ParentServerConfigGeneration: {s.config_generation}\n")
        w(f"ParentServerMPMGeneration: {s.mpm_generation}\n")
        w(f"ServerUptimeSeconds: {up_time}\n")
        w(f"ServerUptime:{show_time(up_time)}\n")
        w("Load1: %.2f\nLoad5: %.2f\nLoad15: %.2f\n" % load)

    if ctx.extended:
        cpu = s.gu + s.gs + s.gcu + s.gcs + s.tu + s.ts
        duration_ms = s.duration_us // 1000
        if short:
            w(f"Total Accesses: {s.count}\nTotal kBytes: {s.kbcount}\n"
              f"Total Duration: {duration_ms}\n")
            w(f"CPUUser: {_g(s.gu + s.tu)}\nCPUSystem: {_g(s.gs + s.ts)}\n"
              f"CPUChildrenUser: {_g(s.gcu)}\nCPUChildrenSystem: {_g(s.gcs)}\n")
            if cpu:
                w(f"CPULoad: {_g(cpu / up_time * 100.0 if up_time else float('inf'))}\n")
            w(f"Uptime: {up_time}\n")
            if up_time > 0:
                w(f"ReqPerSec: {_g(_f32(_f32(s.count) / _f32(up_time)))}\n")
                w(f"BytesPerSec: {_g(_f32(KBYTE * _f32(s.kbcount) / _f32(up_time)))}\n")
            if s.count > 0:
                w(f"BytesPerReq: {_g(_f32(KBYTE * _f32(s.kbcount) / _f32(s.count)))}\n")
                w(f"DurationPerReq: {_g(_f32(_f32(duration_ms) / _f32(s.count)))}\n")
        else:
            w(f"<dt>Total accesses: {s.count} - Total Traffic: {format_kbyte_out(s.kbcount)}"
              f" - Total Duration: {duration_ms}</dt>\n")
            w(f"<dt>CPU Usage: u{_g(s.gu + s.tu)} s{_g(s.gs + s.ts)} cu{_g(s.gcu)} cs{_g(s.gcs)}")
            if cpu:
                w(" - %.3g%% CPU load</dt>\n" % (cpu / up_time * 100.0 if up_time else float("inf")))
            else:
                w("</dt>\n")
            w("<dt>")
            if up_time > 0:
                w("%.3g requests/sec - " % _f32(_f32(s.count) / _f32(up_time)))
                w(format_byte_out(int(_f32(KBYTE * _f32(s.kbcount) / _f32(up_time)))))
                w("/second")
            if s.count > 0:
                if up_time > 0:
                    w(" - ")
                w(format_byte_out(int(_f32(KBYTE * _f32(s.kbcount) / _f32(s.count)))))
                w("/request - %s ms/request" % _g(_f32(_f32(duration_ms) / _f32(s.count))))
            w("</dt>\n")

    if not short:
        w(f"<dt>{s.busy} requests currently being processed, {s.graceful} workers gracefully "
          f"restarting, {s.idle} idle workers</dt>\n")
        w("</dl>")
    else:
        w(f"BusyWorkers: {s.busy}\nGracefulWorkers: {s.graceful}\nIdleWorkers: {s.idle}\n")

    if is_async:
        procs = len(s.procs)
        stopping = sum(1 for p in s.procs if p[2])
        conns = sum(p[4] for p in s.procs)
        keep_alive = sum(p[9] for p in s.procs)
        closing = sum(p[10] for p in s.procs)
        if not short:
            w('\n\n<table rules="all" cellpadding="1%">\n'
              '<tr><th rowspan="2">Slot</th><th rowspan="2">PID</th><th rowspan="2">Stopping</th>'
              '<th colspan="2">Connections</th>\n'
              '<th colspan="3">Threads</th><th colspan="4">Async connections</th></tr>\n'
              "<tr><th>total</th><th>accepting</th><th>busy</th><th>graceful</th><th>idle</th>"
              "<th>wait-io</th><th>writing</th><th>keep-alive</th><th>closing</th></tr>\n")
            for (slot, pid, quiescing, old, c, accepting, tb, tg, ti, ka, cl) in s.procs:
                w(f"<tr><td>{slot}</td><td>{pid}</td><td>{'yes' if quiescing else 'no'}"
                  f"{' (old gen)' if old else ''}</td><td>{c}</td><td>{'yes' if accepting else 'no'}"
                  f"</td><td>{tb}</td><td>{tg}</td><td>{ti}</td><td>0</td><td>0</td><td>{ka}</td>"
                  f"<td>{cl}</td></tr>\n")
            w(f"<tr><td>Sum</td><td>{procs}</td><td>{stopping}</td><td>{conns}</td><td>&nbsp;</td>"
              f"<td>{s.busy}</td><td>{s.graceful}</td><td>{s.idle}</td><td>0</td><td>0</td>"
              f"<td>{keep_alive}</td><td>{closing}</td></tr>\n</table>\n")
        else:
            w(f"Processes: {procs}\nStopping: {stopping}\nConnsTotal: {conns}\n"
              f"ConnsAsyncWaitIO: 0\nConnsAsyncWriting: 0\nConnsAsyncKeepAlive: {keep_alive}\n"
              f"ConnsAsyncClosing: {closing}\n")

    w("<pre>" if not short else "Scoreboard: ")
    written = 0
    for letters in s.stat:
        for c in letters:
            if c != " ":
                w(c)
                if written % STATUS_MAXLINE == STATUS_MAXLINE - 1 and not short:
                    w("\n")
                written += 1
    if short:
        w("\n")
    else:
        w("</pre>\n"
          "<p>Scoreboard Key:<br />\n"
          "\"<b><code>_</code></b>\" Waiting for Connection, \n"
          "\"<b><code>S</code></b>\" Starting up, \n"
          "\"<b><code>R</code></b>\" Reading Request,<br />\n"
          "\"<b><code>W</code></b>\" Sending Reply, \n"
          "\"<b><code>K</code></b>\" Keepalive (read), \n"
          "\"<b><code>D</code></b>\" DNS Lookup,<br />\n"
          "\"<b><code>C</code></b>\" Closing connection, \n"
          "\"<b><code>L</code></b>\" Logging, \n"
          "\"<b><code>G</code></b>\" Gracefully finishing,<br /> \n"
          "\"<b><code>I</code></b>\" Idle cleanup of worker, \n"
          "\"<b><code>.</code></b>\" Open slot with no current process<br />\n"
          "</p>\n")
        if not ctx.extended:
            w("PID Key: <br />\n<pre>\n")
            k = 0
            for i, letters in enumerate(s.stat):
                for c in letters:
                    if c != ".":
                        w(f"   {s.pids[i]} in state: {c} ")
                        k += 1
                        if k >= 3:
                            w("\n")
                            k = 0
                        else:
                            w(",")
            w("\n</pre>\n")
    if ctx.extended and not short:
        _details(ctx, s, now, notable, w)
    elif not short:
        w("<hr />To obtain a full report with current status information you need to use "
          "the <code>ExtendedStatus On</code> directive.\n")
    if not short:
        w("</body></html>\n")
    return "".join(out), headers


_MODE = {0: ".", 1: "<b>S</b>", 2: "_", 3: "<b>R</b>", 4: "<b>W</b>", 5: "<b>K</b>",
         6: "<b>L</b>", 7: "<b>D</b>", 8: "<b>C</b>", 9: "G", 10: "I"}
_MODE_NOTABLE = {0: "Dead", 1: "Starting", 2: "Ready", 3: "<b>Read</b>", 4: "<b>Write</b>",
                 5: "<b>Keepalive</b>", 6: "<b>Logging</b>", 7: "<b>DNS lookup</b>",
                 8: "<b>Closing</b>", 9: "Graceful", 10: "Dying"}


def _details(ctx: StatusContext, s: Snapshot, now: float, notable: bool, w) -> None:
    from ..logs.format import escape_logitem
    sb = ctx.scoreboard
    lay = sb.layout
    esc = lambda v: html.escape(v, quote=False)   # noqa: E731
    if notable:
        w("<hr /><h2>Server Details</h2>\n\n")
    else:
        w('\n\n<table border="0"><tr><th>Srv</th><th>PID</th><th>Acc</th><th>M</th>'
          "<th>CPU\n</th><th>SS</th><th>Req</th><th>Dur</th><th>Conn</th><th>Child</th>"
          "<th>Slot</th><th>Client</th><th>Protocol</th><th>VHost</th><th>Request</th></tr>\n\n")
    for i in range(lay.server_limit):
        ps = sb.process(i)
        for j in range(lay.thread_limit):
            r = sb.worker(i, j)
            st = r["status"]
            if r["access_count"] == 0 and st in (SERVER_READY, SERVER_DEAD):
                continue
            req_time = 0 if not r["start_time"] else max(0, int((r["stop_time"] - r["start_time"]) * 1000))
            pid = r["pid"] or ps[P_PID]
            gen = r["generation"] if r["pid"] else ps[P_GEN]
            ss = int(now - r["last_used"]) if r["last_used"] else int(now)
            dur = r["duration_us"] // 1000
            request = esc(escape_logitem(r["request"]))
            if notable:
                pid_text = "(-)" if st == SERVER_DEAD else f"({pid})"
                w(f"<b>Server {i}-{gen}</b> {pid_text}: {r['conn_count']}|{r['my_access_count']}|"
                  f"{r['access_count']} [{_MODE_NOTABLE.get(st, '?STATE?')}] u0 s0 cu0 cs0"
                  f"\n {ss} {req_time} {dur}(")
                w(f"{format_byte_out(r['conn_bytes'])}|{format_byte_out(r['my_bytes_served'])}|"
                  f"{format_byte_out(r['bytes_served'])})\n")
                w(f" <i>{esc(r['client'])} {{{request}}}</i> <i>({esc(r['protocol'])})</i> "
                  f"<b>[{esc(r['vhost'])}]</b><br />\n\n")
            else:
                pid_text = "-" if st == SERVER_DEAD else str(pid)
                w(f"<tr><td><b>{i}-{gen}</b></td><td>{pid_text}</td><td>{r['conn_count']}/"
                  f"{r['my_access_count']}/{r['access_count']}</td><td>{_MODE.get(st, '?')}\n</td>"
                  f"<td>0.00</td><td>{ss}</td><td>{req_time}</td><td>{dur}")
                w("</td><td>%-1.1f</td><td>%-2.2f</td><td>%-2.2f\n" % (
                    _f32(r["conn_bytes"] / KBYTE), _f32(r["my_bytes_served"] / MBYTE),
                    _f32(r["bytes_served"] / MBYTE)))
                w(f"</td><td>{esc(r['client'])}</td><td>{esc(r['protocol'])}</td>"
                  f"<td nowrap>{esc(r['vhost'])}</td><td nowrap>{request}</td></tr>\n\n")
    if not notable:
        w("</table>\n \
<hr /> \
<table>\n \
<tr><th>Srv</th><td>Child Server number - generation</td></tr>\n \
<tr><th>PID</th><td>OS process ID</td></tr>\n \
<tr><th>Acc</th><td>Number of accesses this connection / this child / this slot</td></tr>\n \
<tr><th>M</th><td>Mode of operation</td></tr>\n"
          "<tr><th>CPU</th><td>CPU usage, number of seconds</td></tr>\n"
          "<tr><th>SS</th><td>Seconds since beginning of most recent request</td></tr>\n \
<tr><th>Req</th><td>Milliseconds required to process most recent request</td></tr>\n \
<tr><th>Dur</th><td>Sum of milliseconds required to process all requests</td></tr>\n \
<tr><th>Conn</th><td>Kilobytes transferred this connection</td></tr>\n \
<tr><th>Child</th><td>Megabytes transferred this child</td></tr>\n \
<tr><th>Slot</th><td>Total megabytes transferred this slot</td></tr>\n \
</table>\n")


def _atol(text: str) -> int:
    n, i = 0, 0
    text = text.lstrip()
    sign = 1
    if text[:1] in "+-" and text:
        sign = -1 if text[0] == "-" else 1
        i = 1
    while i < len(text) and text[i].isdigit():
        n = n * 10 + int(text[i])
        i += 1
    return sign * n


def handler(site, ex):
    """The ``server-status`` handler for Site (see apyche.server.handlers).
    Returns None (DECLINED) for methods other than GET/HEAD."""
    from ..http.response import Response
    req = ex.request
    if req.method not in ("GET", "HEAD"):
        return None
    ex.replayable = False
    ctx = _context
    if ctx is None:
        site.log_error(ex, 3, "status", "AH01237: Server status unavailable in inetd mode")
        return site.error_response(ex, 500)
    host = req.get("Host")
    if host:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.strip("[]").lower()
    else:
        name = ex.settings.server_name if ex.settings is not None else "localhost"
    local = req.server[0] if req.server else "127.0.0.1"
    body, headers = render(ctx, args=ex.query, server_name=name, local_ip=local)
    data = body.encode("latin-1", "replace")
    ctype = [v for k, v in headers if k == "Content-Type"][0]
    ex.content_type = ctype
    out = [(k, v) for k, v in headers if k != "Content-Type"]
    out.append(("Content-Length", str(len(data))))
    out.append(("Content-Type", ctype))
    return site.finish(ex, Response(200, out, data))
