"""MultiViews, type maps and listings: apyche and Debian's apache2 serving the
same config and tree, compared request by request (status, Content-Type,
Vary, Content-Location, TCN, and the body for listings)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.server.conftest import LiveSite
from tests.server.harness import APACHE, load_modules

if not (os.path.isfile(APACHE) and os.access(APACHE, os.X_OK)):
    pytest.skip(f"apache2 not installed at {APACHE}", allow_module_level=True)
if os.geteuid() != 0:
    pytest.skip("apache2 switches to User nobody: needs root", allow_module_level=True)

CONF = load_modules(["negotiation"]) + """\
AddLanguage en .en
AddLanguage fr .fr
AddLanguage de .de
AddCharset UTF-8 .utf8
AddHandler type-map .var
LanguagePriority en fr
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/mv>
    Options +MultiViews
</Directory>
<Directory @DOCROOT@/list>
    Options +Indexes
</Directory>
<Directory @DOCROOT@/fancy>
    Options +Indexes
    IndexOptions FancyIndexing HTMLTable FoldersFirst
</Directory>
"""

TYPEMAP = """\
URI: doc

URI: doc.html.en
Content-Type: text/html
Content-Language: en

URI: doc.html.fr
Content-Type: text/html
Content-Language: fr
"""

FILES = {
    "mv/doc.html.en": "english\n", "mv/doc.html.fr": "francais\n",
    "mv/doc.txt.de": "deutsch\n", "mv/only.pdf": "%PDF\n",
    "mv/map.var": TYPEMAP, "mv/doc.html.en.bak": "old\n",
    "list/a.txt": "a\n", "list/b.html": "<p>b</p>\n", "list/sub/c.txt": "c\n",
    "fancy/one.txt": "1\n", "fancy/two.html": "2\n", "fancy/dir/x": "x\n",
}

REQUESTS = [
    ("/mv/doc", {}),
    ("/mv/doc", {"Accept-Language": "fr"}),
    ("/mv/doc", {"Accept-Language": "de"}),
    ("/mv/doc", {"Accept-Language": "de, fr;q=0.5"}),
    ("/mv/doc", {"Accept": "text/plain"}),
    ("/mv/doc", {"Accept": "image/png"}),
    ("/mv/doc", {"Accept": "text/html", "Accept-Language": "en;q=0.1, fr;q=0.9"}),
    ("/mv/only", {}),
    ("/mv/nothing", {}),
    ("/mv/map.var", {"Accept-Language": "fr"}),
    ("/mv/map.var", {}),
    ("/list/", {}),
    ("/list/?C=N;O=D", {}),
    ("/list/?C=S;O=A", {}),
    ("/fancy/", {}),
    ("/fancy/?C=M;O=D", {}),
]

KEYS = ("Content-Type", "Vary", "Content-Location", "TCN")


@pytest.fixture(scope="module")
def servers():
    started = []
    try:
        out = {}
        mtime = 1_700_000_000
        for kind in ("apache", "apyche"):
            root = Path(tempfile.mkdtemp(prefix=f"apyche-negdiff-{kind}-"))
            os.chmod(root, 0o755)
            site = LiveSite(root, CONF, FILES)
            site.server.kind = kind
            for p in [root, *root.rglob("*")]:
                if not p.is_symlink():
                    os.chmod(p, p.stat().st_mode | (0o755 if p.is_dir() else 0o644))
            for p in site.docroot.rglob("*"):
                os.utime(p, (mtime, mtime))    # listings show dates: make them equal
            started.append(site)
            out[kind] = site.start()
        yield out
    finally:
        for site in started:
            site.stop()
            shutil.rmtree(site.root, ignore_errors=True)


@pytest.mark.parametrize("path,headers", REQUESTS,
                         ids=[f"{p}-{'-'.join(h.values()) or 'plain'}" for p, h in REQUESTS])
def test_same_answer(servers, path, headers):
    a = servers["apache"].get(path, headers or None)
    b = servers["apyche"].get(path, headers or None)
    assert b.status == a.status
    assert {k: b.get(k) for k in KEYS} == {k: a.get(k) for k in KEYS}
    if a.status == 200:
        assert b.body == a.body
