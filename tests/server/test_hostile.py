"""Hostile request targets through the real server: dot-dot (plain and
encoded), encoded slashes per AllowEncodedSlashes, NUL.  Nothing outside
the document root may ever be served."""

from __future__ import annotations

import pytest

from tests.server.harness import Conn

SECRET = b"top secret outside the docroot\n"

CONF = """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName off.test
    AllowEncodedSlashes Off
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName on.test
    AllowEncodedSlashes On
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName nodecode.test
    AllowEncodedSlashes NoDecode
</VirtualHost>
"""

FILES = {"a/b.txt": "a-b\n", "index.html": "index\n", "x.txt": "x\n"}


def setup(site):
    (site.root / "secret.txt").write_bytes(SECRET)


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES, setup=setup)


def raw_status(site, target, host="off.test"):
    with Conn(site.port) as c:
        r = c.request("GET", target, {"Connection": "close"}, host=host)
    assert SECRET not in r.body
    return r.status


@pytest.mark.parametrize("target,status", [
    ("/../secret.txt", 400),
    ("/a/../../secret.txt", 400),
    ("/%2e%2e/secret.txt", 400),
    ("/.%2e/secret.txt", 400),
    ("/%2E%2E/%2E%2E/secret.txt", 400),
    ("/a/%2e%2e/x.txt", 200),          # stays inside: /x.txt
    ("/a/./b.txt", 200),
    ("/a//b.txt", 200),
    ("/%61/b.txt", 200),               # unreserved %61 = "a"
    ("/a%2fb.txt", 404),               # AllowEncodedSlashes Off
    ("/..%2f..%2fsecret.txt", 404),
    ("/a%00.txt", 404),
    ("/a/b.txt%00", 404),
    ("/%zz", 400),
    ("/%%32%65%%32%65/secret.txt", 400),
])
def test_hostile_target_off(site, target, status):
    assert raw_status(site, target) == status


def test_raw_nul_in_request_line_is_400(site):
    with Conn(site.port) as c:
        c.send(b"GET /a\x00b.txt HTTP/1.1\r\nHost: off.test\r\nConnection: close\r\n\r\n")
        r = c.read_response()
    assert r.status == 400


def test_raw_space_in_target_is_400(site):
    with Conn(site.port) as c:
        c.send(b"GET /a b.txt HTTP/1.1\r\nHost: off.test\r\nConnection: close\r\n\r\n")
        r = c.read_response()
    assert r.status == 400


def test_encoded_slash_on_is_decoded(site):
    with Conn(site.port) as c:
        r = c.request("GET", "/a%2fb.txt", {"Connection": "close"}, host="on.test")
    assert r.status == 200 and r.body == b"a-b\n"


def test_encoded_slash_on_cannot_climb(site):
    assert raw_status(site, "/..%2fsecret.txt", host="on.test") in (400, 403, 404)


def test_encoded_slash_nodecode_is_not_a_separator(site):
    assert raw_status(site, "/a%2fb.txt", host="nodecode.test") == 404


def test_encoded_slash_off_logs_ah00026(site):
    raw_status(site, "/a%2fb.txt")
    log = site.wait_error("AH00026")
    assert "AH00026: found %2f (encoded '/') in URI path" in log


def test_dotdot_logs_ah10244(site):
    raw_status(site, "/../secret.txt")
    assert "AH10244" in site.wait_error("AH10244")
