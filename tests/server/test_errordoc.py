"""ErrorDocument through the real server: a text message, a local path,
a remote URL; the canned page otherwise."""

from __future__ import annotations

import pytest


CONF = """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/text>
    ErrorDocument 404 "Nothing here, sorry
</Directory>
<Directory @DOCROOT@/local>
    ErrorDocument 404 /errors/notfound.html
</Directory>
<Directory @DOCROOT@/remote>
    ErrorDocument 404 http://errors.example.com/nf
</Directory>
<Directory @DOCROOT@/denied>
    Require all denied
    ErrorDocument 403 /errors/forbidden.html
</Directory>
<Directory @DOCROOT@/missingdoc>
    ErrorDocument 404 /errors/does-not-exist.html
</Directory>
<Directory @DOCROOT@/default>
    ErrorDocument 404 /errors/notfound.html
</Directory>
<Directory @DOCROOT@/default/inner>
    ErrorDocument 404 default
</Directory>
"""

FILES = {
    "text/": None,
    "local/": None,
    "remote/": None,
    "denied/f.txt": "x\n",
    "missingdoc/": None,
    "default/inner/": None,
    "errors/notfound.html": "<p>custom not found</p>\n",
    "errors/forbidden.html": "<p>custom forbidden</p>\n",
}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def test_canned_404_page(site):
    r = site.get("/nope")
    assert r.status == 404
    assert r.get("Content-Type") == "text/html; charset=iso-8859-1"
    assert b"<title>404 Not Found</title>" in r.body
    assert b"The requested URL was not found on this server." in r.body


def test_text_error_document(site):
    r = site.get("/text/nope")
    assert r.status == 404
    assert r.body == b"Nothing here, sorry"


def test_text_error_document_head_has_no_content_length(site):
    r = site.head("/text/nope")
    assert r.status == 404
    assert not r.has("Content-Length")


def test_local_error_document(site):
    r = site.get("/local/nope")
    assert r.status == 404
    assert r.body == b"<p>custom not found</p>\n"
    assert r.get("Content-Type") == "text/html"


def test_local_error_document_for_403(site):
    r = site.get("/denied/f.txt")
    assert r.status == 403
    assert r.body == b"<p>custom forbidden</p>\n"


def test_remote_error_document_redirects(site):
    r = site.get("/remote/nope")
    assert r.status == 302
    assert r.get("Location") == "http://errors.example.com/nf"


def test_remote_error_document_has_the_found_page(site):
    r = site.get("/remote/nope")
    assert r.get("Content-Type") == "text/html; charset=iso-8859-1"
    assert b"<title>302 Found</title>" in r.body
    assert b'<a href="http://errors.example.com/nf">here</a>' in r.body


def test_missing_local_error_document_appends_note(site):
    r = site.get("/missingdoc/nope")
    assert r.status == 404
    assert b"Additionally, a 404 Not Found" in r.body
    assert b"error was encountered while trying to use an ErrorDocument" in r.body


def test_error_document_default_restores_canned_page(site):
    r = site.get("/default/inner/nope")
    assert r.status == 404
    assert b"<title>404 Not Found</title>" in r.body
