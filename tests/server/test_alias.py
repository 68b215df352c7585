"""mod_alias through the real server: Alias, AliasMatch, Redirect and
RedirectMatch with every status keyword."""

from __future__ import annotations

import pytest


CONF = """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @ROOT@/elsewhere>
    Require all granted
</Directory>
Alias /static @ROOT@/elsewhere
AliasMatch "^/img/(.*)\\.png$" "@ROOT@/elsewhere/images/$1.gif"
Redirect /old http://example.com/new
Redirect permanent /perm http://example.com/p
Redirect temp /tmp http://example.com/t
Redirect seeother /other http://example.com/o
Redirect gone /gone
Redirect 301 /num301 http://example.com/n
Redirect 410 /num410
RedirectMatch "^/rm/(.*)\\.html$" "http://example.com/rm/$1.htm"
RedirectMatch permanent "^/rmp/(.*)$" "http://example.com/rmp/$1"
RedirectMatch gone "^/rmgone"
Redirect /rel /local/target
<Location /inloc>
    Redirect http://example.com/from-location
</Location>
"""

FILES = {"index.html": "root\n"}


def setup(site):
    d = site.root / "elsewhere"
    (d / "images").mkdir(parents=True)
    (d / "file.txt").write_text("elsewhere\n")
    (d / "images" / "logo.gif").write_bytes(b"GIF89a")


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES, setup=setup)


def test_alias_maps_outside_docroot(site):
    r = site.get("/static/file.txt")
    assert r.status == 200 and r.body == b"elsewhere\n"


def test_alias_needs_a_path_boundary(site):
    assert site.get("/staticfile.txt").status == 404


def test_aliasmatch_substitutes_groups(site):
    r = site.get("/img/logo.png")
    assert r.status == 200 and r.body == b"GIF89a"
    assert r.get("Content-Type") == "image/gif"


def test_redirect_default_is_302_with_rest_of_path(site):
    r = site.get("/old/x/y.html")
    assert r.status == 302
    assert r.get("Location") == "http://example.com/new/x/y.html"


def test_redirect_keeps_query(site):
    assert site.get("/old/a?b=c").get("Location") == "http://example.com/new/a?b=c"


def test_redirect_reescapes_the_rest(site):
    assert site.get("/old/a%20b").get("Location") == "http://example.com/new/a%20b"


def test_redirect_reescape_is_lowercase_hex(site):
    # ap_escape_uri writes lower-case hex for the re-escaped rest.
    assert site.get("/old/a%20b/c%3fd").get("Location") == "http://example.com/new/a%20b/c%3fd"


@pytest.mark.parametrize("path,status,location", [
    ("/perm/x", 301, "http://example.com/p/x"),
    ("/tmp/x", 302, "http://example.com/t/x"),
    ("/other/x", 303, "http://example.com/o/x"),
    ("/num301/x", 301, "http://example.com/n/x"),
])
def test_redirect_status_keywords(site, path, status, location):
    r = site.get(path)
    assert (r.status, r.get("Location")) == (status, location)


@pytest.mark.parametrize("path", ["/gone", "/gone/x", "/num410"])
def test_redirect_gone_is_410_without_location(site, path):
    r = site.get(path)
    assert r.status == 410 and r.get("Location") is None


def test_redirectmatch_substitutes_groups(site):
    r = site.get("/rm/page.html")
    assert (r.status, r.get("Location")) == (302, "http://example.com/rm/page.htm")


def test_redirectmatch_keeps_query(site):
    assert site.get("/rm/page.html?x=1").get("Location") == "http://example.com/rm/page.htm?x=1"


def test_redirectmatch_permanent(site):
    r = site.get("/rmp/a/b")
    assert (r.status, r.get("Location")) == (301, "http://example.com/rmp/a/b")


def test_redirectmatch_gone(site):
    assert site.get("/rmgone").status == 410


def test_redirect_inside_location(site):
    for path in ("/inloc", "/inloc/x"):
        r = site.get(path)
        assert (r.status, r.get("Location")) == (302, "http://example.com/from-location")


def test_redirect_pages_are_apache_canned_pages(site):
    r = site.get("/perm/x")
    assert r.get("Content-Type") == "text/html; charset=iso-8859-1"
    assert b'The document has moved <a href="http://example.com/p/x">here</a>.' in r.body


HTACCESS_REDIRECT = """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/d>
    AllowOverride FileInfo
</Directory>
"""

HTACCESS_TREE = {"d/.htaccess": "Redirect /d/moved http://example.com/moved\n",
                 "d/f.txt": "f\n"}


def test_redirect_in_htaccess(make_site):
    site = make_site(HTACCESS_REDIRECT, HTACCESS_TREE)
    r = site.get("/d/moved/x")
    assert (r.status, r.get("Location")) == (302, "http://example.com/moved/x")
