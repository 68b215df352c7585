"""Access control through the real server (the client is always
127.0.0.1): Require all/ip/not ip, <RequireAll>/<RequireAny>/<RequireNone>,
AuthMerging, and mod_access_compat's Order/Allow/Deny."""

from __future__ import annotations

import pytest


CONF = """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/denied>
    Require all denied
</Directory>
<Directory @DOCROOT@/denied/regranted>
    Require all granted
</Directory>
<Directory @DOCROOT@/ip-local>
    Require ip 127.0.0.1
</Directory>
<Directory @DOCROOT@/ip-cidr>
    Require ip 127.0.0.0/8
</Directory>
<Directory @DOCROOT@/ip-other>
    Require ip 10.0.0.0/8 192.168.1
</Directory>
<Directory @DOCROOT@/notip-self>
    <RequireAll>
        Require all granted
        Require not ip 127.0.0.1
    </RequireAll>
</Directory>
<Directory @DOCROOT@/notip-other>
    <RequireAll>
        Require all granted
        Require not ip 10.1.2.3
    </RequireAll>
</Directory>
<Directory @DOCROOT@/any>
    <RequireAny>
        Require ip 10.0.0.1
        Require ip 127.0.0.1
    </RequireAny>
</Directory>
<Directory @DOCROOT@/none>
    <RequireAll>
        Require all granted
        <RequireNone>
            Require ip 127.0.0.1
        </RequireNone>
    </RequireAll>
</Directory>
<Directory @DOCROOT@/merge-and>
    Require ip 127.0.0.1
</Directory>
<Directory @DOCROOT@/merge-and/inner>
    AuthMerging And
    Require ip 10.0.0.1
</Directory>
<Directory @DOCROOT@/merge-or>
    Require ip 10.0.0.1
</Directory>
<Directory @DOCROOT@/merge-or/inner>
    AuthMerging Or
    Require ip 127.0.0.1
</Directory>
<Directory @DOCROOT@/if>
    <If "%{QUERY_STRING} =~ /deny/">
        Require all denied
    </If>
</Directory>
<Directory @DOCROOT@/order-da>
    Order deny,allow
    Deny from all
    Allow from 127.0.0.1
</Directory>
<Directory @DOCROOT@/order-ad>
    Order allow,deny
    Allow from all
    Deny from 127.0.0.1
</Directory>
<Directory @DOCROOT@/order-ad-nomatch>
    Order allow,deny
    Allow from 10.0.0.0/8
</Directory>
<Directory @DOCROOT@/order-da-other>
    Order deny,allow
    Deny from 10.0.0.0/8
</Directory>
"""

DIRS = ["if", "denied", "denied/regranted", "ip-local", "ip-cidr", "ip-other", "notip-self",
        "notip-other", "any", "none", "merge-and", "merge-and/inner", "merge-or",
        "merge-or/inner", "order-da", "order-ad", "order-ad-nomatch", "order-da-other"]
FILES = {f"{d}/f.txt": f"{d}\n" for d in DIRS}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


@pytest.mark.parametrize("directory,status", [
    ("denied", 403),
    ("denied/regranted", 200),
    ("ip-local", 200),
    ("ip-cidr", 200),
    ("ip-other", 403),
    ("notip-self", 403),
    ("notip-other", 200),
    ("any", 200),
    ("none", 403),
    ("merge-and", 200),
    ("merge-and/inner", 403),
    ("merge-or", 403),
    ("merge-or/inner", 200),
    ("order-da", 200),
    ("order-ad", 403),
    ("order-ad-nomatch", 403),
    ("order-da-other", 200),
])
def test_access(site, directory, status):
    assert site.get(f"/{directory}/f.txt").status == status


def test_require_not_ip_in_requireall_under_denied_parent(make_site):
    # The same <RequireAll> as notip-self, under a parent that denies.
    site = make_site("""\
<Directory @DOCROOT@>
    Require all denied
</Directory>
<Directory @DOCROOT@/self>
    <RequireAll>
        Require all granted
        Require not ip 127.0.0.1
    </RequireAll>
</Directory>
<Directory @DOCROOT@/other>
    <RequireAll>
        Require all granted
        Require not ip 10.1.1.1
    </RequireAll>
</Directory>
""", {"self/f.txt": "x\n", "other/f.txt": "x\n"})
    assert site.get("/self/f.txt").status == 403
    assert site.get("/other/f.txt").status == 200


def test_if_section_false_leaves_access(site):
    assert site.get("/if/f.txt?allow").status == 200


def test_if_section_true_denies(site):
    assert site.get("/if/f.txt?deny").status == 403


def test_order_allow_deny_alone_denies(make_site):
    site = make_site("""\
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/ad>
    Order allow,deny
</Directory>
""", {"ad/f.txt": "x\n"})
    assert site.get("/ad/f.txt").status == 403


def test_require_denied_logs_ah01630(site):
    site.get("/denied/f.txt")
    needle = f"AH01630: client denied by server configuration: {site.docroot}/denied/f.txt"
    log = site.wait_error(needle)
    assert needle in log
    assert "[authz_core:error]" in log


def test_order_deny_logs_ah01797(site):
    site.get("/order-ad/f.txt")
    needle = f"AH01797: client denied by server configuration: {site.docroot}/order-ad/f.txt"
    log = site.wait_error(needle)
    assert needle in log
    assert "[access_compat:error]" in log


def test_403_page(site):
    r = site.get("/denied/f.txt")
    assert b"<title>403 Forbidden</title>" in r.body
    assert b"You don't have permission to access this resource." in r.body
