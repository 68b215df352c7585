"""Symbolic links through the real server: FollowSymLinks on and off,
SymLinksIfOwnerMatch with a matching and a non-matching owner (the link's
owner is changed with os.lchown, which needs root)."""

from __future__ import annotations

import os

import pytest


NOBODY = 65534

CONF = """\
<Directory @DOCROOT@>
    Require all granted
    Options FollowSymLinks
</Directory>
<Directory @DOCROOT@/nofollow>
    Options -FollowSymLinks
</Directory>
<Directory @DOCROOT@/owner>
    Options -FollowSymLinks +SymLinksIfOwnerMatch
</Directory>
"""


def setup(site):
    d = site.docroot
    (d / "target").mkdir()
    (d / "target" / "t.txt").write_text("target\n")
    for sub in ("follow", "nofollow", "owner"):
        (d / sub).mkdir()
        (d / sub / "plain.txt").write_text("plain\n")
        os.symlink(d / "target" / "t.txt", d / sub / "link.txt")
        os.symlink(d / "target", d / sub / "linkdir")
    os.symlink(d / "no-such-target", d / "follow" / "dangling.txt")
    os.symlink("loop.txt", d / "follow" / "loop.txt")
    os.symlink(site.root / "outside.txt", d / "follow" / "outside.txt")
    (site.root / "outside.txt").write_text("outside\n")
    # Owner mismatch: the link belongs to nobody, the target to root.
    os.symlink(d / "target" / "t.txt", d / "owner" / "other.txt")
    os.lchown(d / "owner" / "other.txt", NOBODY, NOBODY)
    os.symlink(d / "target", d / "owner" / "otherdir")
    os.lchown(d / "owner" / "otherdir", NOBODY, NOBODY)


@pytest.fixture(scope="module")
def site(shared_site):
    if os.geteuid() != 0:
        pytest.skip("os.lchown to another owner needs root")
    return shared_site(CONF, {}, setup=setup)


def test_follow_symlinks_serves_link(site):
    r = site.get("/follow/link.txt")
    assert r.status == 200 and r.body == b"target\n"


def test_follow_symlinks_directory_link(site):
    assert site.get("/follow/linkdir/t.txt").status == 200


def test_no_follow_refuses_file_link(site):
    assert site.get("/nofollow/link.txt").status == 403


def test_no_follow_refuses_directory_link(site):
    assert site.get("/nofollow/linkdir/t.txt").status == 403


def test_no_follow_serves_plain_file(site):
    assert site.get("/nofollow/plain.txt").status == 200


def test_no_follow_logs_ah00037(site):
    site.get("/nofollow/link.txt")
    needle = f"AH00037: Symbolic link not allowed or link target not accessible: " \
             f"{site.docroot}/nofollow/link.txt"
    assert needle in site.wait_error(needle)


def test_owner_match_serves_same_owner_link(site):
    r = site.get("/owner/link.txt")
    assert r.status == 200 and r.body == b"target\n"


def test_owner_match_serves_same_owner_directory_link(site):
    assert site.get("/owner/linkdir/t.txt").status == 200


def test_owner_mismatch_refused(site):
    assert site.get("/owner/other.txt").status == 403


def test_owner_mismatch_directory_refused(site):
    assert site.get("/owner/otherdir/t.txt").status == 403


def test_link_out_of_the_docroot_is_checked_by_its_own_path(site):
    # Access is decided for the link's path (inside the docroot), not the
    # target's (under <Directory /> Require all denied).
    r = site.get("/follow/outside.txt")
    assert r.status == 200 and r.body == b"outside\n"


def test_dangling_symlink_is_403(site):
    # FollowSymLinks skips the lstat, but the stat of a link whose target is
    # missing fails: Apache answers 403 (AH00037), not 404.
    assert site.get("/follow/dangling.txt").status == 403


def test_symlink_loop_is_403(site):
    assert site.get("/follow/loop.txt").status == 403
