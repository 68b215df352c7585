"""Differential test: apyche.semantics decisions vs. a real Apache httpd 2.4.

Starts Debian's ``/usr/sbin/apache2`` in the foreground on a free
127.0.0.1 port with a tiny DocumentRoot, sends a table of requests (hostile
paths, byte ranges, conditionals, FileETag and mod_mime variants, error
pages) and checks that the status and key headers Apache gives are what our
pure functions decide.  Skipped when apache2 or its modules are absent.
The server is stopped by PID at the end; every wait is bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from apyche.semantics.conditional import Decision
from apyche.semantics.dates import format_http_date, parse_http_date
from apyche.semantics.errorpages import error_page, signature
from apyche.semantics.etag import (DEFAULT_FILE_ETAG, format_last_modified, make_etag,
                                   merge_file_etag, parse_file_etag)
from apyche.semantics.mimetypes import build_extension_map, find_ct, load_mime_types
from apyche.semantics.ranges import RangeKind, multipart_framing
from apyche.semantics.static import decide
from apyche.semantics.uri import UriError, map_request_target, request_line_too_long
from tests.server.harness import APACHE, MODDIR, apache_missing, free_port as _free_port

# APYCHE_APACHE_BIN is shared with diffharness.py; APYCHE_APACHE_MODULES
# points at the directory of shared modules (Debian layout by default).
REPO = Path(__file__).resolve().parents[2]
MIME_TYPES = REPO / "conf.d" / "mime.types"
NEEDED = ["mod_mpm_event.so", "mod_authz_core.so", "mod_mime.so", "mod_alias.so"]

if apache_missing(NEEDED):
    pytest.skip(apache_missing(NEEDED), allow_module_level=True)

TEXT = b"hello world, this is a test file of some length.\n"
OLD_MTIME = 1577934245  # Thu, 02 Jan 2020 03:04:05 GMT
FILE_ETAGS = ["All", "None", "INode", "-MTime", "+INode", "MTime -Size",
              "Size +INode", "Digest", "-INode"]
MIME_FILES = ["index.html", "index.html.en", "page.html.fr.en", "x.tar.gz", "a.txt.utf8",
              "README", ".hidden", "Mixed.HTML", "a.css", "b.html.de.utf8", "c.unknownext",
              "d.foo", "d.foo.utf8", "e.html.foo", "f.svg", "g.tar.Z"]
ADD_LANGUAGE = {".en": "en", ".fr": "fr", ".de": "de"}
ADD_ENCODING = {".gz": "x-gzip"}
ADD_CHARSET = {".utf8": "UTF-8"}
ADD_TYPE = {".FOO": "Text/X-Foo; Charset=ISO-8859-1"}
REMOVE_TYPE = [".svg"]


def _config(root: Path, port: int) -> str:
    docroot = root / "htdocs"
    lines = [
        f"ServerRoot {root}",
        f"DefaultRuntimeDir {root}",
        f"PidFile {root}/httpd.pid",
        f"Mutex file:{root} default",
        f"Listen 127.0.0.1:{port}",
        "ServerName localhost",
        *(f"LoadModule {m[4:-3]}_module {MODDIR / m}" for m in NEEDED),
        "User nobody",
        "Group nogroup",
        f"ErrorLog {root}/error.log",
        "LogLevel info",
        f"TypesConfig {MIME_TYPES}",
        "ServerAdmin webmaster@example.com",
        "ServerSignature On",
        "ServerTokens Full",
        "KeepAlive Off",
        f"DocumentRoot {docroot}",
        "<Directory />", "  Require all denied", "</Directory>",
        f"<Directory {docroot}>", "  Require all granted", "</Directory>",
        f"Alias /cgi {docroot}/sub",
        *(f"AddLanguage {v} {k}" for k, v in ADD_LANGUAGE.items()),
        *(f"AddEncoding {v} {k}" for k, v in ADD_ENCODING.items()),
        *(f"AddCharset {v} {k}" for k, v in ADD_CHARSET.items()),
        *(f'AddType "{v}" {k}' for k, v in ADD_TYPE.items()),
        *(f"RemoveType {k}" for k in REMOVE_TYPE),
    ]
    for i, fe in enumerate(FILE_ETAGS):
        lines += [f"<Directory {docroot}/etag{i}>", f"  FileETag {fe}", "</Directory>"]
    lines += [f"<Directory {docroot}/max2>", "  MaxRanges 2", "</Directory>",
              f"<Directory {docroot}/maxnone>", "  MaxRanges none", "</Directory>",
              f"<Directory {docroot}/maxunl>", "  MaxRanges unlimited",
              "  MaxRangeOverlaps unlimited", "  MaxRangeReversals unlimited", "</Directory>"]
    # Name-based vhosts on the same port for the per-server URI switches.
    lines += [f"<VirtualHost 127.0.0.1:{port}>", "  ServerName off.test",
              f"  DocumentRoot {docroot}", "</VirtualHost>"]
    for name, directive in [("on.test", "AllowEncodedSlashes On"),
                            ("nodecode.test", "AllowEncodedSlashes NoDecode"),
                            ("nomerge.test", "MergeSlashes Off")]:
        lines += [f"<VirtualHost 127.0.0.1:{port}>", f"  ServerName {name}",
                  f"  DocumentRoot {docroot}", f"  {directive}", "</VirtualHost>"]
    return "\n".join(lines) + "\n"


def _populate(docroot: Path) -> None:
    (docroot / "sub").mkdir(parents=True)
    (docroot / "a.txt").write_bytes(TEXT)
    (docroot / "sub" / "f.html").write_bytes(b"<p>f</p>\n")
    (docroot / "big.bin").write_bytes(bytes(range(256)) * 40)
    (docroot / "empty.txt").write_bytes(b"")
    for d in [f"etag{i}" for i in range(len(FILE_ETAGS))] + ["max2", "maxnone", "maxunl"]:
        (docroot / d).mkdir()
        (docroot / d / "a.txt").write_bytes(TEXT)
    (docroot / "mime").mkdir()
    for name in MIME_FILES:
        (docroot / "mime" / name).write_bytes(b"x\n")
    (docroot / "future.txt").write_bytes(TEXT)
    for p in docroot.rglob("*"):
        if p.is_file():
            os.utime(p, (OLD_MTIME, OLD_MTIME))
    future = time.time() + 3600
    os.utime(docroot / "future.txt", (future, future))


@pytest.fixture(scope="module")
def apache():  # noqa: C901 -- one linear setup/teardown
    root = Path(tempfile.mkdtemp(prefix="apyche-diff-"))
    proc = None
    try:
        os.chmod(root, 0o755)
        docroot = root / "htdocs"
        _populate(docroot)
        for p in [root, *root.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        port = _free_port()
        conf = root / "httpd.conf"
        conf.write_text(_config(root, port))
        check = subprocess.run([APACHE, "-t", "-f", str(conf)], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            pytest.skip(f"apache2 rejected the test config: {check.stderr.strip()}")
        proc = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                pytest.skip(f"apache2 exited at startup: {proc.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip("apache2 did not start listening within 15 s")
                time.sleep(0.05)
        yield {"port": port, "docroot": docroot, "root": root}
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)   # graceful stop of our own PID
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


class Response:
    def __init__(self, raw: bytes):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        self.status = int(lines[0].split(" ")[1])
        self.headers: dict[str, str] = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def get(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def fetch(port: int, target: str, headers: dict[str, str] | None = None, *,
          host: str = "localhost", method: str = "GET") -> Response:
    hdrs = {"Host": f"{host}:{port}", "Connection": "close", **(headers or {})}
    req = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.settimeout(10)
        s.sendall(req.encode("latin-1"))
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    return Response(b"".join(chunks))


# --- URI mapping ---------------------------------------------------------------

HOSTILE = [
    "/a.txt", "/%61.txt", "/sub/../a.txt", "/sub/%2e%2e/a.txt", "/sub/.%2e/a.txt",
    "/..", "/../a.txt", "/sub/../../a.txt", "/%2e%2e/a.txt", "/.%2e/.%2e/etc/passwd",
    "/cgi/.%2e/.%2e/.%2e/etc/passwd", "/cgi/.%%32%65/.%%32%65/etc/passwd",
    "/cgi/%%32%65%%32%65/etc/passwd", "/cgi/f.html", "/cgi/../a.txt",
    "/a%2ftxt", "/sub%2ff.html", "/sub%2Ff.html", "/%2fa.txt", "/sub/..%2fa.txt",
    "/sub/.%2f..%2fa.txt", "/sub%2f..%2f..%2fa.txt", "/.%2f..%2f..%2fetc/passwd",
    "/a%00.txt", "/a.txt%00", "/a%", "/a%zz", "/a%2", "/%25", "/a.txt?x=%zz",
    "/a.txt#frag", "//a.txt", "///a.txt", "/sub//f.html", "/sub/./f.html",
    "/sub//../a.txt", "/sub/x//../../a.txt", "/%c0%ae%c0%ae/a.txt",
    "/%252e%252e/a.txt", "/a%5ctxt", "/sub/f.html/", "/a.txt/.", "a.txt", "*",
    "http://localhost/a.txt", "/%7e", "/..%2fa.txt", "/a.txt%2f",
]
VHOSTS = {"off.test": ("off", True), "on.test": ("on", True),
          "nodecode.test": ("nodecode", True), "nomerge.test": ("off", False)}


def expected_uri_status(target: str, docroot: Path, aes: str, merge: bool) -> int:
    try:
        r = map_request_target(target, allow_encoded_slashes=aes, merge_slashes=merge)
    except UriError as e:
        return e.status
    path = r.decoded
    if path.startswith(b"/cgi/") or path == b"/cgi":
        path = b"/sub" + path[4:]
    fs = os.fsencode(docroot) + path
    return 200 if os.path.isfile(fs) and not path.endswith(b"/") else 404


@pytest.mark.parametrize("host", list(VHOSTS))
@pytest.mark.parametrize("target", HOSTILE)
def test_uri_status_matches_apache(apache, target, host):
    aes, merge = VHOSTS[host]
    got = fetch(apache["port"], target, host=host).status
    assert got == expected_uri_status(target, apache["docroot"], aes, merge)


@pytest.mark.parametrize("n", [8177, 8178])
def test_request_line_limit_matches_apache(apache, n):
    target = "/" + "a" * n
    resp = fetch(apache["port"], target)
    too_long = request_line_too_long(len(f"GET {target} HTTP/1.1"))
    assert (resp.status == 414) is too_long
    if too_long:
        # The 414 is sent before the Host header is read: the signature names
        # the first vhost for the address and the default port.
        sig = signature("On", banner=resp.get("Server"), server_name="off.test", port=80)
        assert resp.body.decode("latin-1") == error_page(414, signature_html=sig)


# --- ranges --------------------------------------------------------------------

RANGES = [
    "bytes=0-4", "bytes=-5", "bytes=40-", "bytes=0-", "bytes=0-,5-6", "bytes=100-",
    "bytes=48-100", "bytes=49-", "bytes=-0", "bytes=-100", "bytes=5-4", "bytes=0-1, 3-4",
    "bytes=0-1,3-4", "bytes= 0-1", "Bytes=0-1", "bytes=0-1,2-3", "bytes=5-9,0-3",
    "bytes=5-9,0-4", "bytes=0-1,100-200", "bytes=abc", "items=0-1", "bytes=0-1,,3-4",
    "bytes=,0-1", "bytes=0-0,-1", "bytes=01-02", "bytes=99999999999999999999-",
    "bytes=0-30,40-48,0-30", "bytes=0-0,2-2,4-4", "bytes=10-20,0-5,30-40",
    "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 48, 2)),           # 24 parts
    "bytes=" + ",".join(["0-10"] * 22),                                 # 21 overlaps
    "bytes=" + ",".join(f"{40 - i}-40" for i in range(22)),             # 21 reversals
]


def _check_range(resp: Response, plan, length: int, content_type: str | None) -> None:
    assert resp.status == plan.status
    assert resp.get("Content-Range") == plan.content_range
    if plan.kind is RangeKind.SINGLE:
        a, b = plan.parts[0]
        assert int(resp.get("Content-Length")) == b - a + 1
    elif plan.kind is RangeKind.MULTIPART:
        m = re.fullmatch(r"multipart/byteranges; boundary=([0-9a-f]+)", resp.get("Content-Type"))
        assert m, resp.get("Content-Type")
        framing = multipart_framing(plan.parts, length, content_type, m.group(1))
        data = TEXT if length == len(TEXT) else bytes(range(256)) * 40
        assert resp.body == b"".join(framing.iter_bytes(data))
        if framing.apache_sends_content_length:
            assert int(resp.get("Content-Length")) == framing.content_length
        else:
            assert resp.get("Content-Length") is None


@pytest.mark.parametrize("rng", RANGES)
def test_range_matches_apache(apache, rng):
    resp = fetch(apache["port"], "/a.txt", {"Range": rng})
    d = decide({"Range": rng}, method="GET", length=len(TEXT), etag=None,
               last_modified=OLD_MTIME, request_time=int(time.time()))
    _check_range(resp, d.plan, len(TEXT), "text/plain")


@pytest.mark.parametrize("directory,limits", [
    ("max2", dict(max_ranges=2)), ("maxnone", dict(max_ranges=0)),
    ("maxunl", dict(max_ranges=None, max_overlaps=None, max_reversals=None))])
@pytest.mark.parametrize("rng", ["bytes=0-1,3-4", "bytes=0-1,3-4,6-7",
                                 "bytes=" + ",".join(["0-10"] * 22)])
def test_max_ranges_directives_match_apache(apache, directory, limits, rng):
    resp = fetch(apache["port"], f"/{directory}/a.txt", {"Range": rng})
    d = decide({"Range": rng}, method="GET", length=len(TEXT), etag=None,
               last_modified=OLD_MTIME, request_time=int(time.time()), **limits)
    _check_range(resp, d.plan, len(TEXT), "text/plain")
    assert resp.get("Accept-Ranges") == ("none" if limits.get("max_ranges") == 0 else "bytes")


def test_more_than_32_parts_drops_content_length(apache):
    rng = "bytes=" + ",".join(f"{i * 3}-{i * 3}" for i in range(40))
    resp = fetch(apache["port"], "/big.bin", {"Range": rng})
    d = decide({"Range": rng}, method="GET", length=10240, etag=None,
               last_modified=OLD_MTIME, request_time=int(time.time()))
    assert d.plan.kind is RangeKind.MULTIPART
    assert resp.get("Transfer-Encoding") == "chunked"
    assert resp.get("Content-Length") is None


@pytest.mark.parametrize("rng", [
    "bytes=" + ",".join(f"{i * 3}-{i * 3}" for i in range(200)),     # MaxRanges default: ok
    "bytes=" + ",".join(f"{i * 3}-{i * 3}" for i in range(201)),     # one too many
    "bytes=0-," + ",".join(f"5-{i}" for i in range(6, 1300)),        # "0-" short-circuit
    "bytes=" + ",".join(f"5-{i}" for i in range(6, 1300)),           # CVE-2011-3192
])
def test_range_limits_on_big_file_match_apache(apache, rng):
    resp = fetch(apache["port"], "/big.bin", {"Range": rng})
    d = decide({"Range": rng}, method="GET", length=10240, etag=None,
               last_modified=OLD_MTIME, request_time=int(time.time()))
    assert resp.status == d.status
    if d.plan.kind is RangeKind.MULTIPART:
        m = re.fullmatch(r"multipart/byteranges; boundary=([0-9a-f]+)", resp.get("Content-Type"))
        framing = multipart_framing(d.plan.parts, 10240, "application/octet-stream", m.group(1))
        body = resp.body
        if resp.get("Transfer-Encoding") == "chunked":
            body = _dechunk(body)
        assert body == b"".join(framing.iter_bytes(bytes(range(256)) * 40))


def _dechunk(body: bytes) -> bytes:
    out, pos = [], 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(body[eol + 2:eol + 2 + size])
        pos = eol + 2 + size + 2


def test_empty_file_ignores_range(apache):
    assert fetch(apache["port"], "/empty.txt", {"Range": "bytes=0-0"}).status == 200


# --- validators and conditionals ---------------------------------------------------

def test_etag_and_last_modified_match_apache(apache):
    st = os.stat(apache["docroot"] / "a.txt")
    resp = fetch(apache["port"], "/a.txt")
    now_us = int(time.time() * 1_000_000)
    assert resp.get("ETag") == make_etag(size=st.st_size, mtime_us=st.st_mtime_ns // 1000,
                                         request_time_us=now_us, inode=st.st_ino)
    assert resp.get("Last-Modified") == format_last_modified(st.st_mtime_ns // 1000, now_us)
    assert resp.get("Last-Modified") == format_http_date(OLD_MTIME)


def test_future_mtime_gives_weak_etag_and_now_as_last_modified(apache):
    before = int(time.time())
    resp = fetch(apache["port"], "/future.txt")
    after = int(time.time())
    assert resp.get("ETag").startswith('W/"')
    st = os.stat(apache["docroot"] / "future.txt")
    assert resp.get("ETag") == make_etag(size=st.st_size, mtime_us=st.st_mtime_ns // 1000,
                                         request_time_us=before * 1_000_000, inode=st.st_ino)
    assert before <= parse_http_date(resp.get("Last-Modified")) <= after


@pytest.mark.parametrize("index", range(len(FILE_ETAGS)))
def test_file_etag_directive_matches_apache(apache, index):
    path = apache["docroot"] / f"etag{index}" / "a.txt"
    st = os.stat(path)
    cfg = merge_file_etag(DEFAULT_FILE_ETAG, parse_file_etag(FILE_ETAGS[index]))
    want = make_etag(size=st.st_size, mtime_us=st.st_mtime_ns // 1000,
                     request_time_us=int(time.time() * 1_000_000), inode=st.st_ino,
                     bits=cfg, content=[path.read_bytes()])
    assert fetch(apache["port"], f"/etag{index}/a.txt").get("ETag") == want


def _conditional_cases(etag: str):
    lm = format_http_date(OLD_MTIME)
    return [
        {"If-None-Match": etag}, {"If-None-Match": "W/" + etag}, {"If-None-Match": '"x", ' + etag},
        {"If-None-Match": "*"}, {"If-None-Match": '"x"'},
        {"If-None-Match": etag, "If-Modified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"},
        {"If-None-Match": etag, "If-Unmodified-Since": "Thu, 02 Jan 2030 03:04:05 GMT"},
        {"If-Modified-Since": lm}, {"If-Modified-Since": "Thursday, 02-Jan-20 03:04:05 GMT"},
        {"If-Modified-Since": "Thu Jan  2 03:04:05 2020"}, {"If-Modified-Since": "thu, 02 jan 2020 03:04:05 GMT"},
        {"If-Modified-Since": "Thu, 02 Jan 2099 03:04:05 GMT"}, {"If-Modified-Since": "garbage"},
        {"If-Match": etag}, {"If-Match": "W/" + etag}, {"If-Match": "*"}, {"If-Match": '"x"'},
        {"If-Unmodified-Since": lm}, {"If-Unmodified-Since": "Thu, 02 Jan 2020 03:04:04 GMT"},
        {"Range": "bytes=0-4", "If-Range": etag}, {"Range": "bytes=0-4", "If-Range": '"x"'},
        {"Range": "bytes=0-4", "If-Range": "W/" + etag}, {"Range": "bytes=0-4", "If-Range": lm},
        {"Range": "bytes=0-4", "If-Range": "Thu, 02 Jan 2020 03:04:06 GMT"},
        {"Range": "bytes=0-4", "If-None-Match": etag}, {"Range": "bytes=0-4", "If-None-Match": "W/" + etag},
        {"Range": "bytes=0-4", "If-None-Match": etag, "If-Range": etag},
        {"Range": "bytes=100-", "If-None-Match": etag}, {"Range": "bytes=0-4", "If-Match": '"x"'},
    ]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("case", range(29))
def test_conditional_matches_apache(apache, case, method):
    st = os.stat(apache["docroot"] / "a.txt")
    etag = make_etag(size=st.st_size, mtime_us=st.st_mtime_ns // 1000,
                     request_time_us=int(time.time() * 1_000_000), inode=st.st_ino)
    headers = _conditional_cases(etag)[case]
    resp = fetch(apache["port"], "/a.txt", headers, method=method)
    d = decide(headers, method=method, length=len(TEXT), etag=etag,
               last_modified=OLD_MTIME, request_time=int(time.time()))
    assert resp.status == d.status, headers


def test_conditional_within_60_seconds_of_mtime(apache):
    # A file modified 10 s ago: If-Modified-Since match is only "weak" --
    # still 304 without Range, ignored with Range.
    path = apache["docroot"] / "recent.txt"
    path.write_bytes(TEXT)
    os.chmod(path, 0o644)
    t = int(time.time()) - 10
    os.utime(path, (t, t))
    lm = format_http_date(t)
    for headers in ({"If-Modified-Since": lm}, {"If-Modified-Since": lm, "Range": "bytes=0-1"},
                    {"If-Range": lm, "Range": "bytes=0-1"}):
        resp = fetch(apache["port"], "/recent.txt", headers)
        d = decide(headers, method="GET", length=len(TEXT), etag=resp.get("ETag"),
                   last_modified=t, request_time=int(time.time()))
        assert resp.status == d.status, headers


# --- mod_mime ----------------------------------------------------------------------

@pytest.mark.parametrize("name", MIME_FILES)
def test_mime_headers_match_apache(apache, name):
    types = load_mime_types(str(MIME_TYPES))
    ext = build_extension_map(add_language=ADD_LANGUAGE, add_encoding=ADD_ENCODING,
                              add_charset=ADD_CHARSET, add_type=ADD_TYPE,
                              remove_type=REMOVE_TYPE)
    want = find_ct(name, types, ext)
    resp = fetch(apache["port"], f"/mime/{name}")
    assert resp.status == 200
    assert resp.get("Content-Type") == want.content_type
    assert resp.get("Content-Language") == want.content_language
    assert resp.get("Content-Encoding") == want.encoding


# --- canned error pages ------------------------------------------------------------

@pytest.mark.parametrize("target,headers,status", [
    ("/nope", {}, 404),
    ("/a%2ftxt", {}, 404),
    ("/../a.txt", {}, 400),
    ("/a.txt", {"Range": "bytes=100-"}, 416),
])
def test_error_page_body_matches_apache(apache, target, headers, status):
    resp = fetch(apache["port"], target, headers)
    assert resp.status == status
    banner = resp.get("Server")
    sig = signature("On", banner=banner, server_name="localhost", port=apache["port"])
    assert resp.body.decode("latin-1") == error_page(status, signature_html=sig,
                                                     server_admin="webmaster@example.com")
    assert resp.get("Content-Type") == "text/html; charset=iso-8859-1"


@pytest.mark.parametrize("headers", [{"If-Match": '"x"'},
                                     {"If-Unmodified-Since": "Thu, 02 Jan 2020 03:04:04 GMT"}])
def test_412_from_static_file_has_empty_body_and_file_headers(apache, headers):
    # default_handler sets r->status and sends no body: no canned page.
    resp = fetch(apache["port"], "/a.txt", headers)
    d = decide(headers, method="GET", length=len(TEXT), etag=resp.get("ETag"),
               last_modified=OLD_MTIME, request_time=int(time.time()))
    assert resp.status == d.status == 412
    assert d.body_is_canned_page is False
    assert resp.body == b"" and resp.get("Content-Length") == "0"
    assert resp.get("Content-Type") == "text/plain"
    assert resp.get("Last-Modified") == format_http_date(OLD_MTIME)


def test_416_is_canned_page_without_validators(apache):
    resp = fetch(apache["port"], "/a.txt", {"Range": "bytes=100-"})
    d = decide({"Range": "bytes=100-"}, method="GET", length=len(TEXT), etag=None,
               last_modified=OLD_MTIME, request_time=int(time.time()))
    assert resp.status == d.status == 416 and d.body_is_canned_page
    assert resp.get("ETag") is None and resp.get("Last-Modified") is None
    assert resp.get("Content-Range") is None


def test_not_modified_decision_enum_value_is_status():
    assert Decision.NOT_MODIFIED.value == 304
