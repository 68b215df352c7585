"""Virtual host choice through the real server: by name (Host header) and
by address (here: by port, the only IP-based distinction 127.0.0.1 allows)."""

from __future__ import annotations

import pytest

from tests.server.harness import request

CONF = """\
Listen 127.0.0.1:@PORT2@
<Directory @ROOT@/sites>
    Require all granted
</Directory>
<Directory @DOCROOT@>
    Require all granted
</Directory>

<VirtualHost 127.0.0.1:@PORT@>
    ServerName first.test
    DocumentRoot @ROOT@/sites/first
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName second.test
    ServerAlias www.second.test *.wild.test
    DocumentRoot @ROOT@/sites/second
</VirtualHost>

# Port 2: a wildcard vhost and an IP-specific one; the IP-specific one wins
# for every Host, the name of the wildcard one is never consulted.
<VirtualHost *:@PORT2@>
    ServerName wild.port2.test
    DocumentRoot @ROOT@/sites/wildport2
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT2@>
    ServerName ip.port2.test
    DocumentRoot @ROOT@/sites/ipport2
</VirtualHost>
"""


def setup(site):
    for name in ("first", "second", "wildport2", "ipport2"):
        d = site.root / "sites" / name
        d.mkdir(parents=True)
        (d / "who.txt").write_text(name + "\n")


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, {"who.txt": "main\n"}, setup=setup)


def who(site, host, port=None):
    r = request(port or site.port, "GET", "/who.txt", host=host)
    assert r.status == 200, r
    return r.body.decode().strip()


def test_host_selects_first(site):
    assert who(site, "first.test") == "first"


def test_host_selects_second(site):
    assert who(site, "second.test") == "second"


def test_host_is_case_insensitive_and_port_ignored(site):
    assert who(site, f"SECOND.Test:{site.port}") == "second"


def test_server_alias(site):
    assert who(site, "www.second.test") == "second"


def test_server_alias_wildcard(site):
    assert who(site, "a.wild.test") == "second"


def test_unknown_host_gets_first_vhost_of_the_address(site):
    assert who(site, "unknown.test") == "first"


def test_no_host_http10_gets_default_vhost(site):
    r = request(site.port, "GET", "/who.txt", host=None, version="1.0")
    assert r.status == 200 and r.body == b"first\n"


def test_ip_specific_vhost_beats_wildcard(site):
    assert who(site, "wild.port2.test", port=site.port2) == "ipport2"


def test_ip_based_vhost_by_port(site):
    assert who(site, "first.test", port=site.port2) == "ipport2"


def test_absolute_uri_host_wins_over_host_header(site):
    r = request(site.port, "GET", "http://second.test/who.txt", host="first.test")
    assert r.status == 200 and r.body == b"second\n"
