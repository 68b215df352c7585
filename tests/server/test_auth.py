"""Basic authentication through the real server, with password files made by
Debian's htpasswd (every hash type it writes)."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

HTPASSWD = shutil.which("htpasswd")
pytestmark = pytest.mark.skipif(HTPASSWD is None, reason="htpasswd (apache2-utils) is not installed")

from tests.server.harness import load_modules, wait_for

CONF = load_modules(["auth_basic", "authn_core", "authn_file", "authz_user",
                     "authz_groupfile"]) + """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/private>
    AuthType Basic
    AuthName "Secret Zone"
    AuthUserFile @ROOT@/users
    AuthGroupFile @ROOT@/groups
    Require valid-user
</Directory>
<Directory @DOCROOT@/alice>
    AuthType Basic
    AuthName "Alice only"
    AuthUserFile @ROOT@/users
    Require user alice
</Directory>
<Directory @DOCROOT@/ht>
    AllowOverride AuthConfig
</Directory>
<Directory @DOCROOT@/either>
    AuthType Basic
    AuthName "Either"
    AuthUserFile @ROOT@/users
    Require valid-user
    Order deny,allow
    Deny from all
    Allow from 127.0.0.1
    Satisfy Any
</Directory>
<Directory @DOCROOT@/staff>
    AuthType Basic
    AuthName "Staff"
    AuthUserFile @ROOT@/users
    AuthGroupFile @ROOT@/groups
    Require group staff
</Directory>
"""

HTACCESS = """\
AuthType Basic
AuthName "From htaccess"
AuthUserFile {root}/users
Require user carol
"""

FILES = {"private/p.txt": "private\n", "alice/a.txt": "alice\n", "staff/s.txt": "staff\n",
         "ht/h.txt": "ht\n", "either/e.txt": "either\n"}

USERS = [("alice", "wonder", "-B"), ("bob", "builder", "-m"), ("carol", "c4rol", "-s"),
         ("dave", "d4ve", "-d")]


def setup(site):
    path = site.root / "users"
    for i, (user, password, flag) in enumerate(USERS):
        args = [HTPASSWD, "-b", flag] + (["-c"] if i == 0 else []) + [str(path), user, password]
        subprocess.run(args, check=True, capture_output=True, timeout=30)
    (site.root / "groups").write_text("staff: bob carol\n")
    (site.docroot / "ht" / ".htaccess").write_text(HTACCESS.format(root=site.root))


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES, setup=setup)


def auth(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_no_credentials_is_401_with_the_realm(site):
    r = site.get("/private/p.txt")
    assert r.status == 401
    assert r.get("WWW-Authenticate") == 'Basic realm="Secret Zone"'


@pytest.mark.parametrize("user,password,flag", USERS)
def test_every_htpasswd_hash_type(site, user, password, flag):
    assert site.get("/private/p.txt", auth(user, password)).status == 200
    assert site.get("/private/p.txt", auth(user, password + "x")).status == 401


def test_unknown_user_is_401(site):
    assert site.get("/private/p.txt", auth("mallory", "x")).status == 401


def test_require_user(site):
    assert site.get("/alice/a.txt", auth("alice", "wonder")).status == 200
    assert site.get("/alice/a.txt", auth("bob", "builder")).status == 401


def test_require_group(site):
    assert site.get("/staff/s.txt", auth("bob", "builder")).status == 200
    assert site.get("/staff/s.txt", auth("alice", "wonder")).status == 401


def test_auth_from_htaccess(site):
    r = site.get("/ht/h.txt")
    assert (r.status, r.get("WWW-Authenticate")) == (401, 'Basic realm="From htaccess"')
    assert site.get("/ht/h.txt", auth("carol", "c4rol")).status == 200
    assert site.get("/ht/h.txt", auth("alice", "wonder")).status == 401


def test_satisfy_any_lets_the_allowed_address_in_without_credentials(site):
    assert site.get("/either/e.txt").status == 200


def test_user_is_logged(site):
    # Several workers write the log: wait for the line itself, not a count.
    site.get("/private/p.txt?who=bob", auth("bob", "builder"))
    assert wait_for(lambda: any(" bob [" in line and "/private/p.txt?who=bob" in line
                                for line in site.access_log().splitlines()), 5.0)


def test_password_mismatch_is_logged(site):
    site.get("/private/p.txt", auth("alice", "nope"))
    assert "AH01617: user alice: authentication failure" in site.wait_error("AH01617")
