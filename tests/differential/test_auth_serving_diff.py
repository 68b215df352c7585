"""Basic authentication and access rules: apyche and Debian's apache2 serving
the same config and tree, password files made by Debian's htpasswd (bcrypt,
apr1-MD5, SHA1, crypt), compared request by request: status and
WWW-Authenticate."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.server.conftest import LiveSite
from tests.server.harness import APACHE, load_modules

HTPASSWD = shutil.which("htpasswd")

if not (os.path.isfile(APACHE) and os.access(APACHE, os.X_OK)):
    pytest.skip(f"apache2 not installed at {APACHE}", allow_module_level=True)
if HTPASSWD is None:
    pytest.skip("htpasswd (apache2-utils) is not installed", allow_module_level=True)
if os.geteuid() != 0:
    pytest.skip("apache2 switches to User nobody: needs root", allow_module_level=True)

CONF = load_modules(["auth_basic", "authn_core", "authn_file", "authz_user",
                     "authz_groupfile"]) + """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/private>
    AuthType Basic
    AuthName "Secret Zone"
    AuthUserFile @ROOT@/users
    Require valid-user
</Directory>
<Directory @DOCROOT@/group>
    AuthType Basic
    AuthName "Staff"
    AuthUserFile @ROOT@/users
    AuthGroupFile @ROOT@/groups
    Require group staff
</Directory>
<Directory @DOCROOT@/ht>
    AllowOverride AuthConfig Limit
</Directory>
<Directory @DOCROOT@/mixed>
    AuthType Basic
    AuthName "Mixed"
    AuthUserFile @ROOT@/users
    <RequireAny>
        Require ip 10.0.0.0/8
        Require user carol
    </RequireAny>
</Directory>
<Directory @DOCROOT@/notlocal>
    <RequireAll>
        Require all granted
        Require not ip 127.0.0.1
    </RequireAll>
</Directory>
<Directory @DOCROOT@/compat>
    Order allow,deny
    Allow from 127.0.0.1
    Deny from 127.0.0.2
</Directory>
"""

HTACCESS = """\
AuthType Basic
AuthName "From htaccess"
AuthUserFile {root}/users
<Limit GET>
    Require user dave
</Limit>
"""

USERS = [("alice", "wonder", "-B"), ("bob", "builder", "-m"), ("carol", "c4rol", "-s"),
         ("dave", "d4ve", "-d")]

FILES = {"private/p.txt": "p\n", "group/g.txt": "g\n", "ht/h.txt": "h\n",
         "mixed/m.txt": "m\n", "notlocal/n.txt": "n\n", "compat/c.txt": "c\n"}


def auth(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


REQUESTS = [("/private/p.txt", None)]
for user, password, _flag in USERS:
    REQUESTS += [("/private/p.txt", (user, password)), ("/private/p.txt", (user, "bad"))]
REQUESTS += [
    ("/private/p.txt", ("nobody", "x")),
    ("/group/g.txt", ("bob", "builder")),
    ("/group/g.txt", ("alice", "wonder")),
    ("/ht/h.txt", None),
    ("/ht/h.txt", ("dave", "d4ve")),
    ("/ht/h.txt", ("carol", "c4rol")),
    ("/mixed/m.txt", None),
    ("/mixed/m.txt", ("carol", "c4rol")),
    ("/mixed/m.txt", ("bob", "builder")),
    ("/notlocal/n.txt", None),
    ("/compat/c.txt", None),
]


def _setup(site):
    path = site.root / "users"
    for i, (user, password, flag) in enumerate(USERS):
        args = [HTPASSWD, "-b", flag] + (["-c"] if i == 0 else []) + [str(path), user, password]
        subprocess.run(args, check=True, capture_output=True, timeout=30)
    (site.root / "groups").write_text("staff: bob carol\n")
    (site.docroot / "ht" / ".htaccess").write_text(HTACCESS.format(root=site.root))


@pytest.fixture(scope="module")
def servers():
    started = []
    try:
        out = {}
        for kind in ("apache", "apyche"):
            root = Path(tempfile.mkdtemp(prefix=f"apyche-authdiff-{kind}-"))
            os.chmod(root, 0o755)
            site = LiveSite(root, CONF, FILES, setup=_setup)
            site.server.kind = kind
            for p in [root, *root.rglob("*")]:
                if not p.is_symlink():
                    os.chmod(p, p.stat().st_mode | (0o755 if p.is_dir() else 0o644))
            started.append(site)
            out[kind] = site.start()
        yield out
    finally:
        for site in started:
            site.stop()
            shutil.rmtree(site.root, ignore_errors=True)


@pytest.mark.parametrize("path,creds", REQUESTS,
                         ids=[f"{p}-{c[0] if c else 'anon'}-{c[1] if c else ''}" for p, c in REQUESTS])
def test_same_answer(servers, path, creds):
    headers = auth(*creds) if creds else None
    a = servers["apache"].get(path, headers)
    b = servers["apyche"].get(path, headers)
    assert (b.status, b.get("WWW-Authenticate")) == (a.status, a.get("WWW-Authenticate"))
