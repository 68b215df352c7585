"""Which sections apply, in which order: <Directory> nesting, regex
sections, <Files>/<FilesMatch>, <Location> - observed through the real
server.  ForceType (mod_mime) makes the winning section visible in the
Content-Type of the answer."""

from __future__ import annotations

import pytest

CONF = r"""
# Deliberately written longest path first: the directory walk must still
# merge the shorter ones first.
<Directory @DOCROOT@/a/b>
    ForceType application/x-ab
</Directory>
<Directory @DOCROOT@/a>
    ForceType application/x-a
</Directory>
<Directory @DOCROOT@>
    Require all granted
    ForceType application/x-root
</Directory>

# A regex section applies after every plain one, whatever its depth.
<DirectoryMatch "^@DOCROOT@/r/">
    ForceType application/x-regex
</DirectoryMatch>
<Directory @DOCROOT@/r/deep>
    ForceType application/x-plain-deep
</Directory>
<Directory ~ "/tilde/">
    ForceType application/x-tilde
</Directory>
<Directory @DOCROOT@/tilde>
    ForceType application/x-plain-tilde
</Directory>

# Regex sections are matched against the full file name.
<DirectoryMatch "only\.txt$">
    ForceType application/x-file-name
</DirectoryMatch>

# Two regex sections that both match /order/f.txt.
<DirectoryMatch "^@DOCROOT@/order/">
    ForceType application/x-more-slashes
</DirectoryMatch>
<DirectoryMatch "order">
    ForceType application/x-fewer-slashes
</DirectoryMatch>

# Wildcard <Directory> is a plain section (depth-ordered, not regex).
<Directory @DOCROOT@/w*>
    ForceType application/x-wild
</Directory>

<Files "special.txt">
    ForceType application/x-files
</Files>
<FilesMatch "\.dat$">
    ForceType application/x-filesmatch
</FilesMatch>
<Files "hidden.txt">
    Require all denied
</Files>

<Directory @DOCROOT@/loc>
    Require all denied
    ForceType application/x-dir-loc
</Directory>
<Location /loc/open>
    Require all granted
    ForceType application/x-location
</Location>
<LocationMatch "^/a/b/lm">
    ForceType application/x-locmatch
</LocationMatch>
<Location /a/special.txt>
    ForceType application/x-location-over-files
</Location>
"""

FILES = {
    "top.txt": "top\n",
    "a/f.txt": "a\n",
    "a/b/f.txt": "ab\n",
    "a/b/c/f.txt": "abc\n",
    "a/special.txt": "special\n",
    "a/b/special.txt": "special\n",
    "a/b/lm.txt": "lm\n",
    "r/f.txt": "r\n",
    "r/deep/f.txt": "rd\n",
    "r2/only.txt": "only\n",
    "order/f.txt": "o\n",
    "tilde/f.txt": "t\n",
    "wx/f.txt": "w\n",
    "x.dat": "dat\n",
    "hidden.txt": "hidden\n",
    "loc/open/f.txt": "open\n",
    "loc/closed/f.txt": "closed\n",
}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def ctype(site, target):
    r = site.get(target)
    assert r.status == 200, r
    return r.get("Content-Type")


def test_docroot_directory_applies(site):
    assert ctype(site, "/top.txt") == "application/x-root"


def test_nested_directory_shorter_first_longer_wins(site):
    assert ctype(site, "/a/f.txt") == "application/x-a"


def test_deepest_directory_wins_over_parents(site):
    assert ctype(site, "/a/b/f.txt") == "application/x-ab"


def test_subdirectory_without_section_inherits_nearest(site):
    assert ctype(site, "/a/b/c/f.txt") == "application/x-ab"


def test_directorymatch_applies_after_deeper_plain_directory(site):
    assert ctype(site, "/r/deep/f.txt") == "application/x-regex"


def test_directory_tilde_applies_after_plain_directory(site):
    assert ctype(site, "/tilde/f.txt") == "application/x-tilde"


def test_directorymatch_is_matched_against_the_full_file_name(site):
    assert ctype(site, "/r2/only.txt") == "application/x-file-name"


def test_regex_sections_sorted_by_slash_count(site):
    assert ctype(site, "/order/f.txt") == "application/x-more-slashes"


def test_wildcard_directory_matches_one_component(site):
    assert ctype(site, "/wx/f.txt") == "application/x-wild"


def test_files_overrides_directory(site):
    assert ctype(site, "/a/b/special.txt") == "application/x-files"


def test_filesmatch_overrides_directory(site):
    assert ctype(site, "/x.dat") == "application/x-filesmatch"


def test_files_require_denied(site):
    assert site.get("/hidden.txt").status == 403


def test_location_overrides_directory_access(site):
    r = site.get("/loc/open/f.txt")
    assert r.status == 200
    assert r.get("Content-Type") == "application/x-location"


def test_directory_denial_applies_outside_location(site):
    assert site.get("/loc/closed/f.txt").status == 403


def test_locationmatch_overrides_directory(site):
    assert ctype(site, "/a/b/lm.txt") == "application/x-locmatch"


def test_location_overrides_files(site):
    assert ctype(site, "/a/special.txt") == "application/x-location-over-files"
