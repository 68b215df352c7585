"""Merge rules through the real server that the other modules don't cover:
AuthMerging And/Or, HostnameLookups scoped to <Files ~> (the Performance
Notes' example), AllowOverrideList, AddType accumulating per extension,
named regex captures in the environment, UseCanonicalName."""

from __future__ import annotations

import pytest

from tests.server.harness import load_modules, wait_for

CONF = load_modules(["headers", "setenvif"]) + """\
LogFormat "%h %U" hostlog
CustomLog @ROOT@/logs/hosts.log hostlog
HostnameLookups off
<Files ~ "\\.(html|cgi)$">
    HostnameLookups on
</Files>
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/and>
    Require ip 127.0.0.1
</Directory>
<Directory @DOCROOT@/and/inner>
    AuthMerging And
    <RequireAll>
        Require all granted
        Require not ip 127.0.0.1
    </RequireAll>
</Directory>
<Directory @DOCROOT@/or>
    Require all denied
</Directory>
<Directory @DOCROOT@/or/inner>
    AuthMerging Or
    Require ip 127.0.0.1
</Directory>
<Directory @DOCROOT@/list>
    AllowOverride None
    AllowOverrideList ForceType
</Directory>
<Directory @DOCROOT@/types>
    AddType text/x-one .one
</Directory>
<Directory @DOCROOT@/types/sub>
    AddType text/x-two .two
</Directory>
<LocationMatch "^/cap/(?<word>[a-z]+)">
    Header set X-Word "%{MATCH_WORD}e"
</LocationMatch>
<Location /canon>
    UseCanonicalName On
</Location>
"""

FILES = {"and/inner/f.txt": "x\n", "or/inner/f.txt": "x\n", "or/f.txt": "x\n",
         "list/f.txt": "x\n", "list/.htaccess": "ForceType application/x-listed\n",
         "list/deny/.htaccess": "Options +Indexes\n", "list/deny/f.txt": "x\n",
         "types/sub/a.one": "1\n", "types/sub/b.two": "2\n",
         "cap/hello/f.txt": "x\n", "canon/dir/f.txt": "x\n",
         "page.html": "<p>p</p>\n", "plain.txt": "t\n"}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def test_authmerging_and_requires_both(site):
    assert site.get("/and/inner/f.txt").status == 403


def test_authmerging_or_lets_either_grant(site):
    assert site.get("/or/inner/f.txt").status == 200
    assert site.get("/or/f.txt").status == 403


def test_allowoverridelist_admits_only_the_named_directive(site):
    assert site.get("/list/f.txt").get("Content-Type") == "application/x-listed"
    assert site.get("/list/deny/f.txt").status == 500


def test_addtype_accumulates_per_extension(site):
    assert site.get("/types/sub/a.one").get("Content-Type") == "text/x-one"
    assert site.get("/types/sub/b.two").get("Content-Type") == "text/x-two"


def test_named_regex_capture_reaches_the_environment(site):
    assert site.get("/cap/hello/f.txt").get("X-Word") == "hello"


def test_usecanonicalname_on_redirects_to_servername(site):
    r = site.get("/canon/dir", {"Host": "alias.example"})
    assert r.status == 301
    assert r.get("Location") == "http://localhost/canon/dir/"


def test_hostname_lookups_only_for_the_files_section(site):
    site.get("/page.html?first")
    site.get("/plain.txt?second")
    log = site.logs / "hosts.log"

    def lines():
        text = log.read_text() if log.exists() else ""
        return "/page.html" in text and "/plain.txt" in text and text.splitlines()
    found = wait_for(lines, 5.0) or []
    page = [l for l in found if l.endswith("/page.html")]
    plain = [l for l in found if l.endswith("/plain.txt")]
    assert page and not page[-1].startswith("127.0.0.1 ")   # looked up: a name
    assert plain and plain[-1].startswith("127.0.0.1 ")     # not looked up
