"""Options chains (+/- merge against the parent; a list without +/- resets)
seen through mod_autoindex: a listing, or 403 when Indexes is off."""

from __future__ import annotations

import pytest


CONF = """\
<Directory @DOCROOT@>
    Require all granted
    Options Indexes FollowSymLinks
    DirectoryIndex index.html
</Directory>
<Directory @DOCROOT@/minus>
    Options -Indexes
</Directory>
<Directory @DOCROOT@/minus/plus>
    Options +Indexes
</Directory>
<Directory @DOCROOT@/reset>
    Options FollowSymLinks
</Directory>
<Directory @DOCROOT@/reset/plus>
    Options +Indexes
</Directory>
<Directory @DOCROOT@/none>
    Options None
</Directory>
<Directory @DOCROOT@/all>
    Options -Indexes
</Directory>
<Directory @DOCROOT@/all/again>
    Options All
</Directory>
"""

FILES = {
    "listed/f.txt": "x\n",
    "minus/f.txt": "x\n",
    "minus/plus/f.txt": "x\n",
    "minus/plus/deeper/f.txt": "x\n",
    "reset/f.txt": "x\n",
    "reset/plus/f.txt": "x\n",
    "none/f.txt": "x\n",
    "all/again/f.txt": "x\n",
}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def is_listing(r) -> bool:
    return r.status == 200 and b"Index of" in r.body


def test_indexes_gives_a_listing(site):
    r = site.get("/listed/")
    assert is_listing(r)
    assert b"f.txt" in r.body


def test_listing_content_type_is_iso_8859_1(site):
    assert site.get("/listed/").get("Content-Type") == "text/html;charset=ISO-8859-1"


def test_listing_page_as_mod_autoindex_writes_it(site):
    body = site.get("/listed/").body.decode("latin-1")
    assert body == (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" '
        '"http://www.w3.org/TR/html4/strict.dtd">\n'
        "<html>\n <head>\n  <title>Index of /listed</title>\n </head>\n <body>\n"
        "<h1>Index of /listed</h1>\n"
        '<ul><li><a href="/"> Parent Directory</a></li>\n'
        '<li><a href="f.txt"> f.txt</a></li>\n'
        "</ul>\n</body></html>\n")


def test_minus_indexes_gives_403(site):
    assert site.get("/minus/").status == 403


def test_minus_indexes_logs_ah01276(site):
    site.get("/minus/")
    log = site.wait_error("AH01276")
    assert "AH01276" in log and f"{site.docroot}/minus/" in log


def test_plus_indexes_after_minus_lists_again(site):
    assert is_listing(site.get("/minus/plus/"))


def test_plus_chain_inherited_by_subdirectory(site):
    assert is_listing(site.get("/minus/plus/deeper/"))


def test_options_without_sign_resets_indexes(site):
    assert site.get("/reset/").status == 403


def test_plus_after_reset(site):
    assert is_listing(site.get("/reset/plus/"))


def test_options_none(site):
    assert site.get("/none/").status == 403


def test_options_all_does_not_include_multiviews_but_has_indexes(site):
    assert is_listing(site.get("/all/again/"))


def test_files_still_served_without_indexes(site):
    assert site.get("/minus/f.txt").status == 200
