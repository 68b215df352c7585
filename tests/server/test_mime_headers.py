"""mod_mime's other headers: AddEncoding gives Content-Encoding and
AddLanguage Content-Language, sent after Content-Type in that order (the
http header filter adds them last); AddCharset joins the Content-Type."""

from __future__ import annotations

import pytest

CONF = """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
AddLanguage en .en
AddLanguage de .de
AddCharset UTF-8 .utf8
AddEncoding gzip .gz
"""

FILES = {"d.html.de.gz": "zz", "page.html.de": "deutsch\n", "a.txt.utf8": "x\n",
         "b.txt.gz": "zz", "c.html.de.utf8": "y\n", "e.html.en.de": "both\n"}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def _tail(r):
    """The headers from Content-Type on, as sent."""
    names = [k for k, _ in r.headers]
    return r.headers[names.index("Content-Type"):]


@pytest.mark.parametrize("target, tail", [
    ("/d.html.de.gz", [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                       ("Content-Language", "de")]),
    ("/page.html.de", [("Content-Type", "text/html"), ("Content-Language", "de")]),
    ("/a.txt.utf8", [("Content-Type", "text/plain; charset=utf-8")]),
    ("/b.txt.gz", [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")]),
    ("/c.html.de.utf8", [("Content-Type", "text/html; charset=utf-8"),
                         ("Content-Language", "de")]),
    ("/e.html.en.de", [("Content-Type", "text/html"), ("Content-Language", "en,de")]),
])
def test_encoding_and_language_follow_the_content_type(site, target, tail):
    for method in ("GET", "HEAD"):
        r = site.request(method, target)
        assert r.status == 200
        assert _tail(r) == tail
