"""A directory listing as a person sees it: rendered by headless Chromium.

The server is the real apyche process; Chromium loads the listing over the
socket, and the test checks what a reader would check: the rows present in
the rendered page, their order (names ascending, folders first, reversed by
the ``?C=N;O=D`` column link), that every entry link leads somewhere that
answers, and that the screenshot shows a heading over one line of links per row
rather than a blank or broken render.

Skipped (with the reason) where Debian's chromium is not installed;
``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)")

CONF = """\
<Directory @DOCROOT@>
    Options +Indexes
    IndexOptions FancyIndexing HTMLTable FoldersFirst
    IndexIgnore .??* *~ *# HEADER* README* RCS CVS *,v *,t
    Require all granted
</Directory>
"""

FILES = {
    "box/apple.txt": "a\n",
    "box/Cherry.html": "<p>c</p>\n",
    "box/banana.css": "b{}\n",
    "box/zeta/inner.txt": "z\n",
    "box/alpha/inner.txt": "y\n",
    "box/.hidden": "not listed\n",
    "box/notes.txt~": "backup, not listed\n",
}

FOLDERS = ["alpha/", "zeta/"]
# mod_autoindex compares names case-sensitively unless IgnoreCase: "C" < "a".
DOCUMENTS = ["Cherry.html", "apple.txt", "banana.css"]

BROWSER_TIMEOUT = 60


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


@pytest.fixture(scope="module")
def listing_dom(site) -> str:
    """The listing of /box/ as Chromium rendered it (rendered once)."""
    return run_chromium(f"{site.url}/box/", "--dump-dom").decode("utf-8", "replace")


def run_chromium(url: str, *extra: str) -> bytes:
    """Run headless Chromium once against *url*; always reaped, bounded."""
    profile = tempfile.mkdtemp(prefix="apyche-chromium-")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
           "--window-size=800,600", *extra, url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {BROWSER_TIMEOUT}s for {url}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return out


class Rows(HTMLParser):
    """Entry links of the rendered table, in document order: the first link
    of each row that has a cell link (the icon column has none here)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "a" and self.rows:
            self.rows[-1].append(dict(attrs).get("href", ""))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def rendered_entries(dom: str) -> tuple[str, list[str]]:
    parser = Rows()
    parser.feed(dom)
    # The header row's links are sort queries (?C=..); entry rows link names.
    entries = [links[0] for links in parser.rows
               if links and not links[0].startswith("?")]
    return parser.title, entries


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes)
    into rows of raw pixel bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


def ink_bands(width: int, bpp: int, rows: list[bytes]) -> list[tuple[int, int, int]]:
    """The horizontal bands of the page that carry ink (anything not near
    white), as (top, bottom, link-blue pixel count); bands split only by a
    link's underline gap (two pixels or less) count as one line."""
    bands: list[list[int]] = []
    for y, line in enumerate(rows):
        pixels = [line[i:i + 3] for i in range(0, width * bpp, bpp)]
        if not any(min(p) < 200 for p in pixels):
            continue
        blue = sum(1 for p in pixels if p[2] > p[0] + 80)
        if bands and y - bands[-1][1] <= 3:
            bands[-1][1] = y
            bands[-1][2] += blue
        else:
            bands.append([y, y, blue])
    return [tuple(b) for b in bands]


def test_rows_and_their_order_as_rendered(listing_dom):
    title, entries = rendered_entries(listing_dom)
    assert title == "Index of /box"
    assert entries == ["/", *FOLDERS, *DOCUMENTS]   # "/" is the Parent Directory row


def test_name_column_link_reverses_the_order(site, listing_dom):
    _, ascending = rendered_entries(listing_dom)
    _, descending = rendered_entries(
        run_chromium(f"{site.url}/box/?C=N;O=D", "--dump-dom").decode())
    assert descending == ["/", *reversed(FOLDERS), *reversed(DOCUMENTS)]
    assert set(descending) == set(ascending)


def test_every_entry_link_works(site, listing_dom):
    page = f"{site.url}/box/"
    _, entries = rendered_entries(listing_dom)
    assert entries
    for href in entries:
        target = urlsplit(urljoin(page, href))
        assert target.port == site.port
        r = site.get(target.path)
        assert r.status == 200, (href, r.status)
    assert site.get("/box/apple.txt").body == b"a\n"


def test_screenshot_shows_a_line_of_links_per_row(site, listing_dom, tmp_path):
    shot = tmp_path / "listing.png"
    run_chromium(f"{site.url}/box/", f"--screenshot={shot}")
    width, bpp, rows = png_pixels(shot.read_bytes())
    assert (width, len(rows)) == (800, 600)
    # Top to bottom: the black heading, then the column header and the six
    # rows (parent, two folders, three documents), each a line of blue
    # links, between the table's two rules.
    bands = ink_bands(width, bpp, rows)
    heading, *rest = bands
    assert heading[2] == 0, bands
    linked = [b for b in rest if b[2] > 0]
    assert len(linked) == 1 + 6, bands
    assert len(rest) == len(linked) + 2, bands
    assert all(a[1] < b[0] for a, b in zip(bands, bands[1:]))
    # The ignored names never reach the page a person sees.
    assert not re.search(r">\s*(\.hidden|notes\.txt~)\s*<", listing_dom)
