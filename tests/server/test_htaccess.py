""".htaccess through the real server: AllowOverride classes, broken files,
edits seen by the next request, AllowOverride None never reading them,
<Files> inside .htaccess."""

from __future__ import annotations

import os
import time

import pytest


CONF = """\
<Directory @DOCROOT@>
    Require all granted
    Options FollowSymLinks
    AllowOverride None
</Directory>
<Directory @DOCROOT@/none>
    AllowOverride None
</Directory>
<Directory @DOCROOT@/auth>
    AllowOverride AuthConfig
</Directory>
<Directory @DOCROOT@/opts>
    AllowOverride Options
</Directory>
<Directory @DOCROOT@/fileinfo>
    AllowOverride FileInfo
</Directory>
<Directory @DOCROOT@/limit>
    AllowOverride Limit
</Directory>
<Directory @DOCROOT@/list>
    AllowOverride None
    AllowOverrideList ForceType
</Directory>
<Directory @DOCROOT@/broken>
    AllowOverride All
</Directory>
<Directory @DOCROOT@/edit>
    AllowOverride All
</Directory>
<Directory @DOCROOT@/filesin>
    AllowOverride AuthConfig
</Directory>
<Directory @DOCROOT@/filesmatchin>
    AllowOverride AuthConfig
</Directory>
<Directory @DOCROOT@/limitin>
    AllowOverride AuthConfig Limit
</Directory>
<Directory @DOCROOT@/listing>
    AllowOverride Options=Indexes
</Directory>
<Files ".ht*">
    Require all denied
</Files>
<Directory @DOCROOT@/parent>
    AllowOverride FileInfo
</Directory>
"""

FILES = {
    "none/.htaccess": "This is not a directive at all\n<Unclosed\n",
    "none/f.txt": "x\n",
    "auth/.htaccess": "Options +Indexes\n",
    "auth/f.txt": "x\n",
    "opts/.htaccess": "Options +Indexes\n",
    "opts/f.txt": "x\n",
    "opts-denied-class/.htaccess": "Options +Indexes\n",
    "fileinfo/.htaccess": "ForceType application/x-from-htaccess\n",
    "fileinfo/f.txt": "x\n",
    "limit/.htaccess": "Require all denied\n",
    "limit/f.txt": "x\n",
    "list/.htaccess": "ForceType application/x-listed\n",
    "list/f.txt": "x\n",
    "broken/.htaccess": "# a comment\nForceType text/plain\nNoSuchDirective here\n",
    "broken/f.txt": "x\n",
    "edit/f.txt": "x\n",
    "filesin/.htaccess": '<Files "secret.txt">\n    Require all denied\n</Files>\n',
    "filesin/secret.txt": "secret\n",
    "filesin/public.txt": "public\n",
    "filesmatchin/.htaccess":
        '<FilesMatch "\\.(bak|old)$">\n    Require all denied\n</FilesMatch>\n',
    "filesmatchin/a.bak": "bak\n",
    "filesmatchin/a.txt": "txt\n",
    "limitin/.htaccess": "<Limit POST>\n    Require all denied\n</Limit>\n",
    "limitin/f.txt": "x\n",
    "listing/.htaccess": "Options +Indexes\n",
    "listing/f.txt": "x\n",
    "parent/.htaccess": "ForceType application/x-parent\n",
    "parent/child/f.txt": "x\n",
    "parent/child2/.htaccess": "ForceType application/x-child\n",
    "parent/child2/f.txt": "x\n",
}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def test_allowoverride_none_never_reads_htaccess(site):
    r = site.get("/none/f.txt")
    assert r.status == 200
    assert "none/.htaccess" not in site.error_log()


def test_allowoverride_none_ignores_even_an_unopenable_htaccess(make_site):
    # ".htaccess" is a directory here: any attempt to read it would fail.
    site = make_site("""\
<Directory @DOCROOT@>
    Require all granted
    AllowOverride None
</Directory>
<Directory @DOCROOT@/all>
    AllowOverride All
</Directory>
""", {"none/.htaccess/": None, "none/f.txt": "x\n", "all/.htaccess/": None, "all/f.txt": "x\n"})
    assert site.get("/none/f.txt").status == 200


HTACCESS_DIR_CONF = """\
<Directory @DOCROOT@>
    Require all granted
    AllowOverride All
</Directory>
"""


def test_htaccess_that_is_not_a_regular_file_is_403(make_site):
    site = make_site(HTACCESS_DIR_CONF, {"all/.htaccess/": None, "all/f.txt": "x\n"})
    assert site.get("/all/f.txt").status == 403


def test_limit_in_htaccess_leaves_get(site):
    assert site.get("/limitin/f.txt").status == 200


def test_limit_in_htaccess_denies_post(site):
    assert site.request("POST", "/limitin/f.txt").status == 403


def test_options_indexes_from_htaccess_lists(site):
    r = site.get("/listing/")
    assert r.status == 200 and b'href="f.txt"' in r.body


def test_listing_hides_denied_htaccess(site):
    assert b".htaccess" not in site.get("/listing/").body


def test_htaccess_itself_is_denied_by_files(site):
    assert site.get("/listing/.htaccess").status == 403


def test_edited_htaccess_seen_by_next_request(site):
    assert site.get("/edit/f.txt").get("Content-Type") == "text/plain"
    path = site.docroot / "edit" / ".htaccess"
    path.write_text("ForceType application/x-first\n")
    assert site.get("/edit/f.txt").get("Content-Type") == "application/x-first"
    path.write_text("ForceType application/x-second-longer\n")
    assert site.get("/edit/f.txt").get("Content-Type") == "application/x-second-longer"
    # Same size, later mtime.
    path.write_text("ForceType application/x-third-longerr\n")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    assert site.get("/edit/f.txt").get("Content-Type") == "application/x-third-longerr"
    path.write_text("NoSuchDirective\n")
    assert site.get("/edit/f.txt").status == 500
    path.unlink()
    assert site.get("/edit/f.txt").get("Content-Type") == "text/plain"


def test_htaccess_added_later_is_seen(make_site):
    site = make_site("""\
<Directory @DOCROOT@>
    Require all granted
    AllowOverride AuthConfig
</Directory>
""", {"d/f.txt": "x\n"})
    assert site.get("/d/f.txt").status == 200
    site.write("d/.htaccess", "Require all denied\n")
    time.sleep(0.01)
    assert site.get("/d/f.txt").status == 403
