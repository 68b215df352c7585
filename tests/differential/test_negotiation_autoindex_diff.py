"""Differential test: mod_negotiation and mod_autoindex decisions vs. Apache.

Starts Debian's ``/usr/sbin/apache2`` in the foreground on a free 127.0.0.1
port (TZ=UTC) with MultiViews, type maps and Debian's ``autoindex.conf``,
then compares, for a table of requests:

* listings: the whole body (byte for byte) and Content-Type with
  :func:`apyche.semantics.autoindex.render_index`;
* negotiated resources: status, Content-Type, Vary, Content-Location, TCN,
  Alternates and the body (the chosen file, or the 300/406 page with the
  variant list) with :func:`apyche.semantics.negotiation.negotiate`.

Nothing is normalised.  The only test-side arrangement: AddDescription
texts that a ``DescriptionWidth`` would cut are defined inside the one
``<Location>`` that cuts them, because ``terminate_description`` truncates
the configuration's string *in place* -- a later request with a wider
width in the same child would see the cut text (an Apache quirk we do not
reproduce).

``python tests/differential/test_negotiation_autoindex_diff.py --record``
re-records ``tests/semantics/data/{autoindex,negotiation}_cases.json``,
which the unit tests replay without Apache.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from apyche.semantics import autoindex as ai  # noqa: E402
from apyche.semantics import negotiation as ng  # noqa: E402
from apyche.semantics.errorpages import error_page, signature  # noqa: E402
from apyche.semantics.mimetypes import build_extension_map, find_ct, load_mime_types  # noqa: E402
from tests.server.harness import APACHE, MODDIR, apache_missing, free_port as _free_port  # noqa: E402,E501

MIME_TYPES = REPO / "conf.d" / "mime.types"
DATA = REPO / "tests" / "semantics" / "data"
NEEDED = ["mod_mpm_event.so", "mod_authz_core.so", "mod_mime.so", "mod_alias.so",
          "mod_autoindex.so", "mod_negotiation.so", "mod_setenvif.so"]

T0 = 1614600000          # 2021-03-01 12:00:00 UTC

# --- the document tree ----------------------------------------------------------

# (path under docroot, size, mtime); a trailing "/" makes a directory.
IDX_FILES = [
    ("idx/", 0, T0 + 9 * 3600),
    ("idx/a.txt", 6, T0 + 2 * 86400 + 180),
    ("idx/b973.html", 973, T0 + 5 * 86400),
    ("idx/c972.c", 972, T0 + 86400 + 60),
    ("idx/big.tar.gz", 1300000, T0 + 8 * 86400 + 3600),
    ("idx/five.bin", 5000, T0 + 7 * 86400),
    ("idx/sparse.iso", 3 * 1024 ** 3, T0 + 86400),
    ("idx/File2.txt", 0, T0 + 600),
    ("idx/file9.txt", 0, T0 + 2 * 86400),
    ("idx/file10.txt", 0, T0 + 2 * 86400 + 7200),
    ("idx/README", 0, T0 + 4 * 86400),
    ("idx/README.html", 14, T0 + 8 * 86400),
    ("idx/hdr.txt", 27, T0 - 86400),
    ("idx/hdr.html", 19, T0 - 86400),
    ("idx/a-very-long-file-name-that-exceeds-width.txt", 0, T0 + 6 * 86400),
    ("idx/we ird&<name>.txt", 0, T0 + 7 * 86400 + 60),
    ("idx/x y.pdf", 0, T0 + 5 * 86400 + 7200),
    ("idx/col:on.txt", 0, T0 + 86400 + 3600),
    ("idx/\u00fcmlaut.txt", 0, T0 + 7 * 86400 + 120),
    ("idx/.hidden", 0, T0), ("idx/secret.txt", 5, T0 + 3 * 86400),
    ("idx/back~", 0, T0),
    ("idx/RCS/", 0, T0),
    ("idx/another/", 0, T0 + 7 * 86400 + 300),
    ("idx/subdir/", 0, T0 - 3 * 86400),
    ("idx/subdir/s.txt", 4, T0 - 3 * 86400),
    ("idx/subdir/t.html", 25, T0 - 3 * 86400),
    ("neg/", 0, T0),
    ("neg/doc.html.en", 3, T0), ("neg/doc.fr.html", 6, T0), ("neg/doc.html.de", 7, T0),
    ("neg/doc.pdf", 4, T0), ("neg/doc.txt.gz", 3, T0), ("neg/doc.foo", 2, T0),
    ("neg/doc.d/", 0, T0), ("neg/lonely.qqq", 2, T0),
    ("neg/map.en.html", 6, T0), ("neg/map.txt", 7, T0),
    ("neg/page.html.en", 8, T0), ("neg/page.html.fr", 8, T0), ("neg/page.html.de", 8, T0),
    ("neg/page.html.utf8.ja", 3, T0), ("neg/page.html.en.gz", 3, T0), ("neg/page.txt", 2, T0),
    ("neg3/", 0, T0),
    ("neg3/r.txt", 11, T0), ("neg3/r.html", 9, T0), ("neg3/r.html3", 3, T0),
    ("neg3/r.xhtml", 2, T0), ("neg3/t.en.html", 3, T0), ("neg3/t.fr.html", 3, T0),
]
CONTENT = {
    "idx/README.html": b"<b>readme</b>\n",
    "idx/hdr.txt": b"Text <header> & more\nline2\n",
    "idx/hdr.html": b"<p>html header</p>\n",
    "idx/subdir/t.html": b"<title>Sub Title</title>\n",
}
TYPE_MAPS = {
    "neg/map.var": (
        "URI: map\n\nURI: map.en.html\nContent-Type: text/html; qs=0.8\n"
        "Content-Language: en\nDescription: English (cool)\n\n"
        "URI: map.txt\nContent-Type: text/plain; charset=utf-8\nContent-Language: de, fr\n\n"
        "URI: inline\nContent-Type: text/html\nContent-Language: es\n"
        "Body:----xyz----\n<p>Hola</p>\n----xyz----\n"),
    "neg3/t.var": (
        "# comment\nURI: t.en.html\nContent-Type: text/html;\n  qs=0.9\n"
        "Content-Language: en\nDescription: English\n  continued\n\n"
        "URI: t.fr.html\nContent-Type: text/html\nContent-Language: fr\n\n"
        "URI: sub/t.de.html\nContent-Type: text/html; charset=ISO-8859-1\nContent-Language: de\n"),
    "neg3/t2.var": (
        "URI: t.en.html\nContent-Type: text/html\nContent-Language: en\nContent-Length: 3\n\n"
        "URI: t.fr.html\nContent-Type: text/html\nContent-Language: fr\n"),
}

ADD_LANGUAGE = {".en": "en", ".fr": "fr", ".de": "de", ".es": "es", ".ja": "ja"}
ADD_ENCODING = {".gz": "x-gzip"}
ADD_CHARSET = {".utf8": "UTF-8"}
ADD_TYPE = {".gz": "application/gzip"}
NEG3_ADD_TYPE = {".txt": "text/plain; qs=0.3", ".html3": "text/html; level=3"}

SERVER_AUTOINDEX_EXTRA = """\
AddDescription "Version files" file*
AddDescription "Sub dir" subdir
AddAlt "Archive" *.iso
AddAltByType "PDF doc" application/pdf
"""
LOCATIONS = {
    "deb": "",
    "plain": "IndexOptions None",
    "fancy": "IndexOptions FancyIndexing",
    "narrow": ('IndexOptions FancyIndexing NameWidth=12 DescriptionWidth=15 '
               'SuppressLastModified IconsAreLinks FoldersFirst IgnoreCase IconHeight '
               'IconWidth XHTML\n'
               'AddDescription "A <b>bold</b> description &amp; a long tail" a.txt'),
    "incr": "IndexOptions +SuppressSize +SuppressDescription -VersionSort +FoldersFirst",
    "css": ('IndexOptions FancyIndexing HTMLTable AddAltClass Charset=ISO-8859-1 XHTML '
            'Type=text/plain NameWidth=12\nIndexStyleSheet /s.css\n'
            'IndexHeadInsert "<meta name=x content=y>"'),
    "sup": ("IndexOptions FancyIndexing SuppressIcon SuppressColumnSorting SuppressRules "
            "UseOldDateFormat\nIndexOrderDefault Descending Size"),
    "ignclient": "IndexOptions IgnoreClient\nHeaderName hdr.txt\nReadmeName nothere.html",
    "noamble": "IndexOptions +SuppressHTMLPreamble -HTMLTable\nHeaderName hdr.html",
    "nocs": "IndexOptions Charset= -VersionSort +IgnoreCase\nIndexIgnore *.txt",
    "tbl": ("IndexOptions FancyIndexing HTMLTable IconsAreLinks SuppressRules "
            "SuppressDescription IconWidth=16 NameWidth=15 AddAltClass"),
    "showf": "IndexOptions +ShowForbidden +FoldersFirst\nIndexOrderDefault Descending Date",
}
FORBIDDEN = {"idx/secret.txt"}       # <Files secret.txt> Require all denied
SUBDIR_DIRECTIVES = "IndexIgnore ..\nIndexOptions +ScanHTMLTitles"
QUERIES = ["", "?F=1", "?F=0", "?C=M;O=D;F=1", "?C=S;O=A;P=*.txt;V=0", "?C=D;O=A",
           "?C=N&O=D&F=2", "?P=%zz", "?X=1;C=S", "?C=S;O=D;V=1;P=f*"]
AUTOINDEX_CASES = ([(f"/l/{loc}/", q) for loc in LOCATIONS for q in QUERIES]
                   + [("/idx/", q) for q in ["", "?F=1"]]
                   + [("/idx/subdir/", q) for q in ["", "?F=1", "?C=D;O=D"]]
                   + [("/", "")])

NEG_HEADERS = [
    {}, {"Accept-Language": "fr"}, {"Accept-Language": "de;q=0.5, en;q=0.4"},
    {"Accept": "application/pdf"}, {"Accept": "text/html;q=0, application/pdf;q=0"},
    {"Accept-Language": "it"}, {"Accept-Language": "en-GB"},
    {"Accept-Language": "*;q=0.5, fr;q=0.1"}, {"Accept": "text/*"},
    {"Accept": "text/*, */*;q=0.9", "Accept-Encoding": "gzip"},
    {"Accept-Encoding": "gzip", "Accept": "application/*"}, {"Accept-Charset": "utf-8"},
    {"Accept-Charset": "iso-8859-1;q=0"}, {"Accept-Encoding": ""},
    {"Negotiate": "trans"}, {"Negotiate": "1.0"}, {"Negotiate": "*"},
    {"Negotiate": "trans", "User-Agent": "Lynx/2.8"},
    {"Negotiate": "vlist", "Accept-Language": "de"},
    {"Negotiate": "1.0", "Accept": "text/html", "Accept-Language": "en"},
    {"Accept": "image/png"}, {"Accept-Language": "es"}, {"Accept-Language": "ja"},
    {"Accept": "text/plain;q=0.5, text/html;q=0.5;level=1"},
    {"Accept": "text/html;level=3"}, {"Accept": "*/*;q=0.5, text/html;level=3"},
    {"X-Pref": "de"}, {"X-Pref": "de", "Accept-Language": "fr"}, {"X-Pref": "xx"},
    {"X-NoGzip": "1", "Accept-Encoding": "gzip"},
    {"Accept-Encoding": "gzip;q=1, identity;q=0.5"}, {"Accept-Charset": "utf-8, *;q=0.1"},
    {"Negotiate": "foo"}, {"Negotiate": "guess-small, 1.0", "Accept-Language": "fr"},
]
# (url, method, dir, kind, basename or map) -- kind "multi" or "map"
NEG_TARGETS = [
    ("/neg/doc", "GET", "neg", "multi", "doc"),
    ("/neg/doc", "POST", "neg", "multi", "doc"),
    ("/neg/page", "GET", "neg", "multi", "page"),
    ("/neg/map.var", "GET", "neg", "map", "map.var"),
    ("/neg/map", "GET", "neg", "multi", "map"),
    ("/neg3/r", "GET", "neg3", "multi", "r"),
    ("/neg3/t.var", "GET", "neg3", "map", "t.var"),
    ("/neg3/t2.var", "GET", "neg3", "map", "t2.var"),
    ("/neg3/t2.var", "POST", "neg3", "map", "t2.var"),
]
NEG_DIR_CONFIG = {
    "neg": dict(language_priority=["en", "fr", "de"],
                force_language_priority=ng.ForceLanguagePriority.PREFER
                | ng.ForceLanguagePriority.FALLBACK),
    "neg3": {},
}


def _skip_reason() -> str | None:
    return apache_missing(NEEDED)


def _populate(docroot: Path) -> None:
    for rel, size, _ in IDX_FILES:
        p = docroot / rel
        if rel.endswith("/"):
            p.mkdir(parents=True, exist_ok=True)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if rel in CONTENT:
            p.write_bytes(CONTENT[rel])
        elif size > 1 << 20:
            with open(p, "wb") as fh:
                fh.truncate(size)        # sparse
        else:
            p.write_bytes((rel.rsplit("/", 1)[-1].encode() + b"\n" * size)[:size])
    for rel, text in TYPE_MAPS.items():
        (docroot / rel).write_text(text)
    for rel, _, mtime in sorted(IDX_FILES, key=lambda t: -len(t[0])):
        os.utime(docroot / rel, (mtime, mtime))
    for p in [docroot, *docroot.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)


def _config(root: Path, port: int) -> str:
    docroot = root / "htdocs"
    lines = [
        f"ServerRoot {root}", f"DefaultRuntimeDir {root}", f"PidFile {root}/httpd.pid",
        f"Mutex file:{root} default", f"Listen 127.0.0.1:{port}", "ServerName localhost",
        *(f"LoadModule {m[4:-3]}_module {MODDIR / m}" for m in NEEDED),
        "User nobody", "Group nogroup", f"ErrorLog {root}/error.log", "LogLevel info",
        f"TypesConfig {MIME_TYPES}", "ServerSignature On", "KeepAlive Off",
        f"DocumentRoot {docroot}",
        "Alias /icons/ /usr/share/apache2/icons/",
        *(f"AddLanguage {v} {k}" for k, v in ADD_LANGUAGE.items()),
        *(f"AddEncoding {v} {k}" for k, v in ADD_ENCODING.items()),
        *(f"AddCharset {v} {k}" for k, v in ADD_CHARSET.items()),
        *(f"AddType {v} {k}" for k, v in ADD_TYPE.items()),
        "AddHandler type-map .var",
        "SetEnvIf X-Pref (.+) prefer-language=$1",
        "SetEnvIf X-NoGzip 1 no-gzip",
        "<Directory />", "  Require all denied", "</Directory>",
        f"<Directory {docroot}>", "  Require all granted", "  Options Indexes MultiViews",
        "</Directory>",
        f"<Directory {docroot}/neg>", "  LanguagePriority en fr de",
        "  ForceLanguagePriority Prefer Fallback", "</Directory>",
        f"<Directory {docroot}/neg3>",
        *(f'  AddType "{v}" {k}' for k, v in NEG3_ADD_TYPE.items()), "</Directory>",
        "<Files secret.txt>", "  Require all denied", "</Files>",
        f"<Directory {docroot}/idx/subdir>", *("  " + ln for ln in SUBDIR_DIRECTIVES.splitlines()),
        "</Directory>",
        ai.DEBIAN_AUTOINDEX_CONF, SERVER_AUTOINDEX_EXTRA,
    ]
    for loc, text in LOCATIONS.items():
        lines += [f"Alias /l/{loc}/ {docroot}/idx/", f"<Location /l/{loc}/>",
                  *("  " + ln for ln in text.splitlines()), "</Location>"]
    return "\n".join(lines) + "\n"


class Response:
    def __init__(self, raw: bytes):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        self.headers: dict[str, str] = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def get(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def fetch(port: int, target: str, headers: dict[str, str] | None = None,
          method: str = "GET") -> Response:
    hdrs = {"Host": f"localhost:{port}", "Connection": "close", **(headers or {})}
    if method == "POST":
        hdrs["Content-Length"] = "0"
    req = (f"{method} {target} HTTP/1.1\r\n"
           + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.settimeout(10)
        s.sendall(req.encode("utf-8"))
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    return Response(b"".join(chunks))


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        n = int(size_line.split(b";")[0], 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return bytes(out)


def _body(resp: Response) -> bytes:
    if (resp.get("Transfer-Encoding") or "").lower() == "chunked":
        return _dechunk(resp.body)
    return resp.body


@pytest.fixture(scope="module")
def apache():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with _running_apache() as info:
        yield info


class _running_apache:
    """Context manager: a configured apache2 in the foreground; stopped by PID."""

    def __enter__(self):
        self.root = Path(tempfile.mkdtemp(prefix="apyche-negai-"))
        self.proc = None
        os.chmod(self.root, 0o755)
        docroot = self.root / "htdocs"
        _populate(docroot)
        port = _free_port()
        conf = self.root / "httpd.conf"
        conf.write_text(_config(self.root, port))
        env = {**os.environ, "TZ": "UTC"}
        check = subprocess.run([APACHE, "-t", "-f", str(conf)], capture_output=True, text=True,
                               timeout=30, env=env)
        if check.returncode != 0:
            self.__exit__()
            pytest.skip(f"apache2 rejected the test config: {check.stderr.strip()}")
        self.proc = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                self.__exit__()
                pytest.skip(f"apache2 exited at startup: {err}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.__exit__()
                    pytest.skip("apache2 did not start listening within 15 s")
                time.sleep(0.05)
        return {"port": port, "docroot": docroot, "root": self.root}

    def __exit__(self, *exc):
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)    # graceful stop of our own PID
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)
        return False


# --- what apyche decides -----------------------------------------------------------

TYPES = load_mime_types(str(MIME_TYPES))


def ext_map(directory: str = "") -> dict:
    add_type = dict(ADD_TYPE)
    if directory == "neg3":
        add_type.update(NEG3_ADD_TYPE)
    return build_extension_map(add_type=add_type, add_language=ADD_LANGUAGE,
                               add_encoding=ADD_ENCODING, add_charset=ADD_CHARSET,
                               add_handler={".var": "type-map"})


def server_autoindex_config() -> ai.AutoindexConfig:
    server = ai.apply_directives(ai.parse_conf_text(ai.DEBIAN_AUTOINDEX_CONF
                                                    + SERVER_AUTOINDEX_EXTRA))
    # merged with the (autoindex-less) <Directory> sections that match
    return ai.merge_configs(server, ai.AutoindexConfig())


def autoindex_config_for(url: str, docroot: str) -> tuple[ai.AutoindexConfig, str, str]:
    """(merged config, directory, filesystem path) for a listing URL."""
    cfg = server_autoindex_config()
    if url.startswith("/l/"):
        loc = url.split("/")[2]
        cfg = ai.merge_configs(cfg, ai.apply_directives(
            ai.parse_conf_text(LOCATIONS[loc]), section_path=f"/l/{loc}/"))
        return cfg, "idx", f"{docroot}/idx/"
    rel = url.strip("/")
    if rel == "idx/subdir":
        cfg = ai.merge_configs(cfg, ai.apply_directives(
            ai.parse_conf_text(SUBDIR_DIRECTIVES), section_path=f"{docroot}/idx/subdir"))
    return cfg, rel, f"{docroot}/{rel}/" if rel else f"{docroot}/"


def listing_for(rel_dir: str) -> list[dict]:
    """The directory members as the sub-requests see them (JSON-able)."""
    prefix = rel_dir + "/" if rel_dir else ""
    out = []
    names = {}
    for rel, size, mtime in IDX_FILES + [(k, len(v), T0) for k, v in TYPE_MAPS.items()]:
        if not rel.startswith(prefix) or rel == prefix:
            continue
        rest = rel[len(prefix):]
        if "/" in rest.rstrip("/"):
            continue
        is_dir = rest.endswith("/")
        name = rest.rstrip("/")
        names[name] = (is_dir, size, mtime, rel)
    for name, (is_dir, size, mtime, rel) in sorted(names.items()):
        m = find_ct(name, TYPES, ext_map(rel_dir), is_dir=is_dir)
        title = None
        content = CONTENT.get(rel)
        if content is not None and m.content_type == "text/html":
            title = ai.find_title(content)
        out.append({"name": name, "is_dir": is_dir, "size": 4096 if is_dir else size,
                    "mtime": mtime, "content_type": m.content_type,
                    "content_encoding": m.encoding, "title": title,
                    "status": 403 if rel in FORBIDDEN else 200})
    return out


def included(rel_dir: str, name: str | None) -> dict | None:
    if not name:
        return None
    rel = f"{rel_dir}/{name}" if rel_dir else name
    if rel not in CONTENT:
        return None
    m = find_ct(name, TYPES, ext_map(rel_dir))
    ct = (m.content_type or "").split(";")[0]
    if ct in ("text/html", "application/xhtml+xml"):
        return {"content": CONTENT[rel].decode(), "is_html": True}
    if ct.startswith("text/"):
        return {"content": CONTENT[rel].decode(), "is_html": False}
    return None


def render_case(url: str, query: str, docroot: str, sig: str) -> tuple[str, str]:
    cfg, rel_dir, fs = autoindex_config_for(url, docroot)
    entries = [ai.DirEntry(**{k: v for k, v in e.items()}) for e in listing_for(rel_dir)]
    hdr = included(rel_dir, cfg.header)
    rdm = included(rel_dir, cfg.readme)
    return ai.render_index(
        ai.IndexRequest(url, fs, query[1:] if query else None), entries, cfg,
        header=ai.IncludedFile(**hdr) if hdr else None,
        readme=ai.IncludedFile(**rdm) if rdm else None,
        signature=sig, localtime=time.gmtime)


def variants_for(directory: str, kind: str, name: str) -> tuple[list[ng.Variant], int]:
    """(variants, find status) as read_types_multi / read_type_map build them."""
    members = {}
    for rel, size, _ in IDX_FILES + [(k, len(v), T0) for k, v in TYPE_MAPS.items()]:
        if rel.startswith(directory + "/") and rel != directory + "/":
            rest = rel[len(directory) + 1:]
            if "/" not in rest.rstrip("/"):
                members[rest.rstrip("/")] = (rest.endswith("/"), size)
    if kind == "multi":
        res = ng.find_variants([ng.ListingEntry(n, d, s) for n, (d, s) in members.items()],
                               name, TYPES, ext_map(directory))
        if res.type_map:
            kind, name = "map", res.type_map
        else:
            return list(res.variants), res.status
    tm = ng.parse_type_map(TYPE_MAPS[f"{directory}/{name}"], f"/x/{directory}/{name}")
    # find_content_length: stat() the variant when the map gives no length
    out = [replace(v, length=members[v.file_name][1]) if v.length < 0 and v.file_name in members
           else v for v in tm.variants]
    return out, tm.status


def negotiate_case(url: str, method: str, directory: str, kind: str, name: str,
                   headers: dict) -> dict:
    """What apyche decides for one request, as comparable fields."""
    variants, _ = variants_for(directory, kind, name)
    r = ng.negotiate(
        variants, accept=headers.get("Accept"), accept_language=headers.get("Accept-Language"),
        accept_charset=headers.get("Accept-Charset"),
        accept_encoding=headers.get("Accept-Encoding"),
        negotiate_header=headers.get("Negotiate"), user_agent=headers.get("User-Agent"),
        method=method, from_type_map=kind == "map",
        prefer_language=headers.get("X-Pref"), no_gzip=headers.get("X-NoGzip") == "1",
        **NEG_DIR_CONFIG[directory])
    out = {"status": r.status, "vary": r.header("Vary"), "tcn": r.header("TCN"),
           "content-location": r.header("Content-Location"),
           "alternates": r.header("Alternates"), "variant_list": r.variant_list,
           "best": r.best.file_name if r.best else None}
    if r.status == 200 and r.best is not None:
        if r.best.body:
            out["content-type"] = r.best.mime_type + (
                f"; charset={r.best.charset}" if r.best.charset else "")
            data = TYPE_MAPS[f"{directory}/{name}"].encode()
            off, n = r.best.body
            out["body"] = data[off:off + n].decode()
        else:
            rel = f"{directory}/{r.best.file_name}"
            if not any(f[0] == rel for f in IDX_FILES):
                out["status"] = 404        # the internal redirect finds nothing
            else:
                m = find_ct(r.best.file_name, TYPES, ext_map(directory))
                out["content-type"] = m.content_type
                out["body"] = None         # the file itself (compared by size)
    return out


def _apache_neg_fields(resp: Response) -> dict:
    return {"status": resp.status, "vary": resp.get("Vary"), "tcn": resp.get("TCN"),
            "content-location": resp.get("Content-Location"),
            "alternates": resp.get("Alternates")}


# --- tests ---------------------------------------------------------------------------

def _sig(resp: Response, port: int, prefix: str) -> str:
    return signature("On", banner=resp.get("Server") or "", server_name="localhost",
                     port=port, prefix=prefix)


@pytest.mark.parametrize("url,query", AUTOINDEX_CASES)
def test_listing_matches_apache_byte_for_byte(apache, url, query):
    resp = fetch(apache["port"], url + query)
    assert resp.status == 200
    body, ctype = render_case(url, query, str(apache["docroot"]), _sig(resp, apache["port"], ""))
    assert resp.get("Content-Type") == ctype
    assert _body(resp).decode("utf-8", "surrogateescape") == body


@pytest.mark.parametrize("headers", NEG_HEADERS, ids=lambda h: ";".join(
    f"{k}={v}" for k, v in h.items()) or "none")
@pytest.mark.parametrize("target", NEG_TARGETS, ids=lambda t: f"{t[1]}{t[0]}")
def test_negotiation_matches_apache(apache, target, headers):
    url, method, directory, kind, name = target
    resp = fetch(apache["port"], url, headers, method)
    want = negotiate_case(url, method, directory, kind, name, headers)
    got = _apache_neg_fields(resp)
    assert got == {k: want[k] for k in got}
    body = _body(resp).decode("latin-1")
    if resp.status in (300, 406):
        assert resp.get("Content-Type") == "text/html; charset=iso-8859-1"
        assert body == error_page(resp.status, variant_list=want["variant_list"],
                                  signature_html=_sig(resp, apache["port"], "<hr>\n"))
    elif resp.status == 200:
        assert resp.get("Content-Type") == want["content-type"]
        if want.get("body") is not None:
            assert body == want["body"]
        else:
            size = next(f[1] for f in IDX_FILES if f[0] == f"{directory}/{want['best']}")
            assert len(_body(resp)) == size


def test_multiviews_without_match_is_declined(apache):
    # no member named nothing.* -> DECLINED -> plain 404 without Vary
    resp = fetch(apache["port"], "/neg/nothing")
    res = ng.find_variants([ng.ListingEntry(n) for n in ["doc.pdf", "other.txt"]], "nothing",
                           TYPES, ext_map("neg"))
    assert (res.status, res.variants) == (0, ())
    assert resp.status == 404 and resp.get("Vary") is None


def test_multiviews_member_only_with_unknown_extension_is_404(apache):
    # doc.foo alone: "Negotiation: discovered file(s) matching request ... (None could
    # be negotiated)."
    resp = fetch(apache["port"], "/neg/lonely")
    assert resp.status == 404
    res = ng.find_variants([ng.ListingEntry("lonely.qqq")], "lonely", TYPES, ext_map("neg"))
    assert res.status == 404


# --- recording ---------------------------------------------------------------------------

def record() -> None:  # pragma: no cover - manual tool
    """Write the JSON fixtures the unit tests replay (needs apache2)."""
    reason = _skip_reason()
    if reason:
        raise SystemExit(reason)
    with _running_apache() as info:
        port, docroot = info["port"], str(info["docroot"])
        cases = []
        for url, query in AUTOINDEX_CASES:
            resp = fetch(port, url + query)
            cfg_dirs = autoindex_config_for(url, docroot)
            cases.append({"url": url, "query": query, "dir": cfg_dirs[1],
                          "content_type": resp.get("Content-Type"),
                          "body": _body(resp).decode("utf-8", "surrogateescape")
                          .replace(docroot, "@DOCROOT@")})
        auto = {"locations": LOCATIONS, "server_extra": SERVER_AUTOINDEX_EXTRA,
                "subdir_directives": SUBDIR_DIRECTIVES,
                "listings": {d: listing_for(d) for d in ["", "idx", "idx/subdir"]},
                "included": {d: {n: included(d, n) for n in ["hdr.txt", "hdr.html",
                                                             "README.html"]}
                             for d in ["idx"]},
                "signature": "<address>Apache/2.4.71 (Debian) Server at localhost Port "
                             "@PORT@</address>\n",
                "cases": cases}
        text = json.dumps(auto, indent=1, ensure_ascii=False)
        (DATA / "autoindex_cases.json").write_text(text.replace(f"Port {port}<", "Port @PORT@<"))
        neg_cases = []
        for url, method, directory, kind, name in NEG_TARGETS:
            variants, _ = variants_for(directory, kind, name)
            for headers in NEG_HEADERS:
                resp = fetch(port, url, headers, method)
                body = _body(resp).decode("latin-1")
                neg_cases.append({
                    "url": url, "method": method, "dir": directory, "kind": kind,
                    "name": name, "headers": headers, **_apache_neg_fields(resp),
                    "content-type": resp.get("Content-Type"),
                    "body": body.replace(f"Port {port}<", "Port @PORT@<")
                    if resp.status in (300, 406) else None})
        neg = {"variants": {f"{d}:{k}:{n}": [asdict(v) for v in variants_for(d, k, n)[0]]
                            for _, _, d, k, n in NEG_TARGETS},
               "dir_config": {"neg": {"language_priority": ["en", "fr", "de"],
                                      "force_language_priority": ["prefer", "fallback"]},
                              "neg3": {}},
               "cases": neg_cases}
        (DATA / "negotiation_cases.json").write_text(json.dumps(neg, indent=1))


if __name__ == "__main__":  # pragma: no cover
    if "--record" in sys.argv:
        record()
