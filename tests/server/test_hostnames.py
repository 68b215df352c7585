"""HostnameLookups and host-based access through the real server, with the
names /etc/hosts gives for the loopback address (no network needed)."""

from __future__ import annotations

import socket

import pytest

from tests.server.harness import wait_for

try:
    LOCAL_NAME = socket.gethostbyaddr("127.0.0.1")[0]
except OSError:   # pragma: no cover - a machine without a loopback name
    LOCAL_NAME = None

pytestmark = pytest.mark.skipif(LOCAL_NAME is None, reason="127.0.0.1 has no reverse name here")

CONF = """\
HostnameLookups On
LogFormat "%h %>s %U" hostlog
CustomLog @ROOT@/logs/hosts.log hostlog
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/byname>
    Require host {name}
</Directory>
<Directory @DOCROOT@/othername>
    Require host name.invalid
</Directory>
<Directory @DOCROOT@/compat>
    Require all denied
    <RequireAny>
        Require host {name}
    </RequireAny>
</Directory>
"""

FILES = {"a.txt": "a\n", "byname/b.txt": "b\n", "othername/c.txt": "c\n",
         "compat/d.txt": "d\n"}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF.format(name=LOCAL_NAME), FILES)


def test_require_host_matches_the_double_reverse_name(site):
    assert site.get("/byname/b.txt").status == 200


def test_require_host_refuses_other_names(site):
    assert site.get("/othername/c.txt").status == 403


def test_hostname_lookups_on_logs_the_name(site):
    site.get("/a.txt")
    # Several workers write the log: wait for the line itself.
    assert wait_for(lambda: f"{LOCAL_NAME} 200 /a.txt" in
                    (site.logs / "hosts.log").read_text(), 5.0)
