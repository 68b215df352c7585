"""mod_dir through the real server: DirectoryIndex order, DirectorySlash,
403 without index and Indexes, FallbackResource."""

from __future__ import annotations

import pytest


CONF = """\
<Directory @DOCROOT@>
    Require all granted
    Options FollowSymLinks
    DirectoryIndex index.html index.txt
</Directory>
<Directory @DOCROOT@/noslash>
    Options +Indexes
</Directory>
<Directory @DOCROOT@/order>
    DirectoryIndex second.html first.html
</Directory>
<Directory @DOCROOT@/noslash>
    DirectorySlash Off
</Directory>
<Directory @DOCROOT@/fallback>
    FallbackResource /fallback/front.txt
</Directory>
<Directory @DOCROOT@/fallback/off>
    FallbackResource disabled
</Directory>
<Directory @DOCROOT@/indexdenied>
    <Files "index.html">
        Require all denied
    </Files>
</Directory>
<Directory @DOCROOT@/indexurl>
    DirectoryIndex /sub/index.html
</Directory>
<Directory @DOCROOT@/disabled>
    DirectoryIndex disabled
    Options +Indexes
</Directory>
"""

FILES = {
    "index.html": "root index\n",
    "txtonly/index.txt": "txt index\n",
    "both/index.html": "html wins\n",
    "both/index.txt": "txt loses\n",
    "order/first.html": "first\n",
    "order/second.html": "second\n",
    "order/only-first/": None,
    "noindex/f.txt": "x\n",
    "noslash/index.html": "noslash\n",
    "fallback/front.txt": "front controller\n",
    "fallback/real.txt": "real\n",
    "fallback/off/f.txt": "x\n",
    "disabled/index.html": "should not be used\n",
    "sub/index.html": "sub\n",
    "indexdenied/index.html": "denied\n",
    "indexdenied/index.txt": "next one\n",
    "indexurl/": None,
}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def test_root_index(site):
    assert site.get("/").body == b"root index\n"


def test_second_index_name_used_when_first_missing(site):
    r = site.get("/txtonly/")
    assert r.status == 200 and r.body == b"txt index\n"


def test_first_index_name_wins(site):
    assert site.get("/both/").body == b"html wins\n"


def test_directoryindex_order_is_config_order_not_alphabetical(site):
    assert site.get("/order/").body == b"second\n"


def test_directory_slash_redirect(site):
    r = site.get("/sub", host=f"localhost:{site.port}")
    assert r.status == 301
    assert r.get("Location") == f"http://localhost:{site.port}/sub/"


def test_directory_slash_redirect_keeps_query(site):
    r = site.get("/sub?a=1&b=2", host=f"localhost:{site.port}")
    assert r.status == 301
    assert r.get("Location") == f"http://localhost:{site.port}/sub/?a=1&b=2"


def test_directory_slash_off_does_not_redirect(site):
    r = site.get("/noslash")
    assert r.status != 301
    assert not r.has("Location")


def test_directory_slash_off_lists_the_directory(site):
    r = site.get("/noslash")
    assert r.status == 200
    assert b"<title>Index of /noslash</title>" in r.body


def test_directory_without_index_and_without_indexes_is_403(site):
    assert site.get("/noindex/").status == 403


def test_directory_without_index_logs_ah01276(site):
    site.get("/noindex/")
    log = site.wait_error(f"Cannot serve directory {site.docroot}/noindex/")
    assert "AH01276" in log


def test_fallback_resource_serves_missing_file(site):
    r = site.get("/fallback/no/such/thing")
    assert r.status == 200 and r.body == b"front controller\n"


def test_fallback_resource_leaves_existing_file(site):
    assert site.get("/fallback/real.txt").body == b"real\n"


def test_fallback_resource_disabled_below(site):
    assert site.get("/fallback/off/missing").status == 404


def test_fallback_resource_absent_gives_404(site):
    assert site.get("/no/such/file").status == 404


def test_directoryindex_disabled_gives_listing(site):
    r = site.get("/disabled/")
    assert r.status == 200 and b"Index of" in r.body


def test_denied_index_falls_through_to_the_next_name(site):
    r = site.get("/indexdenied/")
    assert r.status == 200 and r.body == b"next one\n"


def test_directoryindex_url(site):
    r = site.get("/indexurl/")
    assert r.status == 200 and r.body == b"sub\n"
