"""The replay of repeated static answers (the fast path) must never replay
what is not a file's own bytes, and must notice the file changing."""

from __future__ import annotations

import os
import time

import pytest

CONF = """\
<Directory @DOCROOT@>
    Options +Indexes
    Require all granted
</Directory>
"""

FILES = {"old/x.txt": "x\n", "f.txt": "one\n"}


def age(path, seconds=100):
    t = time.time() - seconds
    os.utime(path, (t, t))


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def test_listing_asked_again_is_still_a_listing(site):
    age(site.docroot / "old")
    for _ in range(20):   # several workers: each must see it more than once
        r = site.get("/old/")
        assert r.status == 200 and b"x.txt" in r.body


def test_file_changed_between_requests_is_served_new(site):
    path = site.docroot / "f.txt"
    age(path)
    for _ in range(10):
        assert site.get("/f.txt").body == b"one\n"
    path.write_text("two, longer\n")
    age(path, 50)
    for _ in range(10):
        assert site.get("/f.txt").body == b"two, longer\n"


def test_file_replaced_by_a_directory(site):
    path = site.docroot / "gone.txt"
    path.write_text("file\n")
    os.chmod(path, 0o644)
    age(path)
    for _ in range(10):
        assert site.get("/gone.txt").status == 200
    path.unlink()
    path.mkdir()
    os.chmod(path, 0o755)
    assert site.get("/gone.txt").status == 301
