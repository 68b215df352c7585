"""``apyche status [URL]``: a live view of a server's scoreboard in the
terminal, from ``server-status?auto`` (apyche's or Apache's).

    apyche status                                   # http://127.0.0.1/server-status
    apyche status http://127.0.0.1:8080/server-status --interval 2
    apyche status URL --once                        # one plain-text snapshot

The ``?auto`` text is parsed the way exporters parse it (split on the first
':'), so the view works against Apache itself too.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1/server-status"
LEGEND = {"_": "waiting", "S": "starting", "R": "reading", "W": "writing", "K": "keep-alive",
          "D": "dns", "C": "closing", "L": "logging", "G": "graceful", "I": "idle cleanup",
          ".": "open slot"}
STYLE = {"_": "green", "S": "yellow", "R": "cyan", "W": "bold magenta", "K": "blue",
         "D": "yellow", "C": "red", "L": "yellow", "G": "bold yellow", "I": "red", ".": "dim"}


def parse_auto(text: str) -> dict:
    """``?auto`` to a dict; the bare first line (the server name) is
    ``_server``.  Numeric values become floats, as exporters read them."""
    out: dict = {}
    for i, line in enumerate(text.splitlines()):
        key, sep, value = line.partition(":")
        if not sep:
            if i == 0:
                out["_server"] = line.strip()
            continue
        value = value.strip()
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = value
    return out


def fetch(url: str, timeout: float = 5.0) -> dict:
    sep = "&" if "?" in url else "?"
    with urllib.request.urlopen(f"{url}{sep}auto", timeout=timeout) as resp:
        return parse_auto(resp.read().decode("latin-1"))


def _n(value) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _render(data: dict, url: str, per_line: int = 64):
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_column(style="bold")
    head.add_column()
    pairs = [("Server", f"{data.get('_server', '?')}  {data.get('ServerVersion', '')}"),
             ("MPM", str(data.get("ServerMPM", "?"))),
             ("Uptime", str(data.get("ServerUptime", "")).strip() or "0"),
             ("Generation", f"config {data.get('ParentServerConfigGeneration', '?'):g} / "
                            f"mpm {data.get('ParentServerMPMGeneration', 0):g}"
              if isinstance(data.get("ParentServerConfigGeneration"), float) else "?"),
             ("Load", f"{data.get('Load1', 0)} {data.get('Load5', 0)} {data.get('Load15', 0)}"),
             ("Workers", f"busy {data.get('BusyWorkers', 0):g}  idle {data.get('IdleWorkers', 0):g}"
                         f"  graceful {data.get('GracefulWorkers', 0):g}"),
             ("Processes", f"{_n(data.get('Processes'))}  stopping {_n(data.get('Stopping'))}"),
             ("Connections", f"total {_n(data.get('ConnsTotal'))}  keep-alive "
                             f"{_n(data.get('ConnsAsyncKeepAlive'))}  closing "
                             f"{_n(data.get('ConnsAsyncClosing'))}")]
    if "Total Accesses" in data:
        pairs += [("Requests", f"{data['Total Accesses']:g}  ({data.get('ReqPerSec', 0):g}/s)"),
                  ("Traffic", f"{data.get('Total kBytes', 0):g} kB  "
                              f"({data.get('BytesPerSec', 0):g} B/s)")]
    for i in range(0, len(pairs), 2):
        row = []
        for k, v in pairs[i:i + 2]:
            row += [k, str(v)]
        while len(row) < 4:
            row.append("")
        head.add_row(*row)
    board = str(data.get("Scoreboard", ""))
    text = Text()
    for i, ch in enumerate(board):
        text.append(ch, style=STYLE.get(ch, ""))
        if i % per_line == per_line - 1:
            text.append("\n")
    counts = Text()
    for ch, name in LEGEND.items():
        n = board.count(ch)
        if n:
            counts.append(f" {ch} ", style=STYLE.get(ch, ""))
            counts.append(f"{name} {n} ")
    return Panel(Group(head, Text(""), text, Text(""), counts),
                 title=f"apyche status - {url}", subtitle=time.strftime("%H:%M:%S"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="apyche status",
                                description="live view of server-status?auto")
    p.add_argument("url", nargs="?", default=DEFAULT_URL)
    p.add_argument("--interval", "-n", type=float, default=1.0, help="seconds between polls")
    p.add_argument("--once", action="store_true", help="print one snapshot and exit")
    p.add_argument("--count", type=int, default=0, help="stop after this many polls (0: never)")
    opts = p.parse_args(argv)
    url = opts.url
    if "://" not in url:
        url = "http://" + url
    if url.rstrip("/").count("/") < 3:
        url = url.rstrip("/") + "/server-status"
    try:
        from rich.console import Console
        from rich.live import Live
    except ImportError:   # pragma: no cover - rich is a dependency
        Console = None
    if opts.once or Console is None or not sys.stdout.isatty():
        try:
            data = fetch(url)
        except (urllib.error.URLError, OSError) as exc:
            sys.stderr.write(f"apyche status: {url}: {exc}\n")
            return 1
        if Console is not None and sys.stdout.isatty():
            Console().print(_render(data, url))
        else:
            for k, v in data.items():
                sys.stdout.write(f"{k}: {v:g}\n" if isinstance(v, float) else f"{k}: {v}\n")
        return 0
    console = Console()
    polls = 0
    try:
        with Live(console=console, refresh_per_second=4, screen=False) as live:
            while True:
                try:
                    live.update(_render(fetch(url), url))
                except (urllib.error.URLError, OSError) as exc:
                    live.update(f"[red]{url}: {exc}[/]")
                polls += 1
                if opts.count and polls >= opts.count:
                    return 0
                time.sleep(max(0.1, opts.interval))
    except KeyboardInterrupt:
        return 0
