"""mod_dir through the real server: DirectoryIndex order, DirectorySlash,
403 without index and Indexes, FallbackResource."""

from __future__ import annotations

import pytest


CONF = """\
<Directory @DOCROOT@>
    Require all granted
    Options FollowSymLinks
    DirectoryIndex index.html index.txt
</Directory>
<Directory @DOCROOT@/noslash>
    Options +Indexes
</Directory>
<Directory @DOCROOT@/order>
    DirectoryIndex second.html first.html
</Directory>
<Directory @DOCROOT@/noslash>
    DirectorySlash Off
</Directory>
<Directory @DOCROOT@/fallback>
    FallbackResource /fallback/front.txt
</Directory>
<Directory @DOCROOT@/fallback/off>
    FallbackResource disabled
</Directory>
<Directory @DOCROOT@/indexdenied>
    <Files "index.html">
        Require all denied
    </Files>
</Directory>
<Directory @DOCROOT@/indexurl>
    DirectoryIndex /sub/index.html
</Directory>
<Directory @DOCROOT@/disabled>
    DirectoryIndex disabled
    Options +Indexes
</Directory>
"""

FILES = {
    "index.html": "root index\n",
    "txtonly/index.txt": "txt index\n",
    "both/index.html": "html wins\n",
    "both/index.txt": "txt loses\n",
    "order/first.html": "first\n",
    "order/second.html": "second\n",
    "order/only-first/": None,
    "noindex/f.txt": "x\n",
    "noslash/index.html": "noslash\n",
    "fallback/front.txt": "front controller\n",
    "fallback/real.txt": "real\n",
    "fallback/off/f.txt": "x\n",
    "disabled/index.html": "should not be used\n",
    "sub/index.html": "sub\n",
    "indexdenied/index.html": "denied\n",
    "indexdenied/index.txt": "next one\n",
    "indexurl/": None,
}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def test_root_index(site):
    assert site.get("/").body == b"root index\n"


def test_second_index_name_used_when_first_missing(site):
    r = site.get("/txtonly/")
    assert r.status == 200 and r.body == b"txt index\n"


def test_first_index_name_wins(site):
    assert site.get("/both/").body == b"html wins\n"


def test_directoryindex_order_is_config_order_not_alphabetical(site):
    assert site.get("/order/").body == b"second\n"


def test_directory_slash_redirect(site):
    r = site.get("/sub", host=f"localhost:{site.port}")
    assert r.status == 301
    assert r.get("Location") == f"http://localhost:{site.port}/sub/"


def test_directory_slash_redirect_keeps_query(site):
    r = site.get("/sub?a=1&b=2", host=f"localhost:{site.port}")
    assert r.status == 301
    assert r.get("Location") == f"http://localhost:{site.port}/sub/?a=1&b=2"


def test_directory_slash_off_does_not_redirect(site):
    r = site.get("/noslash")
    assert r.status != 301
    assert not r.has("Location")


def test_directory_slash_off_lists_the_directory(site):
    r = site.get("/noslash")
    assert r.status == 200
    assert b"<title>Index of /noslash</title>" in r.body


def test_directory_without_index_and_without_indexes_is_403(site):
    assert site.get("/noindex/").status == 403


def test_directory_without_index_logs_ah01276(site):
    site.get("/noindex/")
    log = site.wait_error(f"Cannot serve directory {site.docroot}/noindex/")
    assert "AH01276" in log


def test_fallback_resource_serves_missing_file(site):
    r = site.get("/fallback/no/such/thing")
    assert r.status == 200 and r.body == b"front controller\n"


def test_fallback_resource_leaves_existing_file(site):
    assert site.get("/fallback/real.txt").body == b"real\n"


def test_fallback_resource_disabled_below(site):
    assert site.get("/fallback/off/missing").status == 404


def test_fallback_resource_absent_gives_404(site):
    assert site.get("/no/such/file").status == 404


def test_directoryindex_disabled_gives_listing(site):
    r = site.get("/disabled/")
    assert r.status == 200 and b"Index of" in r.body


def test_denied_index_falls_through_to_the_next_name(site):
    r = site.get("/indexdenied/")
    assert r.status == 200 and r.body == b"next one\n"


def test_directoryindex_url(site):
    r = site.get("/indexurl/")
    assert r.status == 200 and r.body == b"sub\n"


# -- the default handler after mod_dir and mod_autoindex -------------------------

def test_other_methods_reach_the_default_handler(site):
    # mod_dir (2.4) maps every method to the index; mod_autoindex lists for
    # GET only.  The default handler: OPTIONS answers (with the type of
    # what it answers for), PUT is 405, an unknown method 501.
    r = site.request("OPTIONS", "/both/")
    assert (r.status, r.get("Content-Type")) == (200, "text/html")
    r = site.request("OPTIONS", "/noindex/")
    assert (r.status, r.get("Content-Type")) == (200, "httpd/unix-directory")
    assert site.request("DELETE", "/noindex/").status == 405
    assert site.request("PUT", "/both/").status == 405
    r = site.request("BREW", "/both/")
    assert r.status == 501 and "GET" in r.get("Allow")
    assert "AH00135: Invalid method in request BREW /both/ HTTP/1.1" in \
        site.wait_error("AH00135")


def test_post_takes_the_index(site):
    assert site.request("POST", "/both/").body == b"html wins\n"


def test_post_to_a_directory_without_index_is_404(site):
    # mod_autoindex lists for GET only; the default handler will not serve
    # a directory
    assert site.request("POST", "/noindex/").status == 404
    assert "AH00129: Attempt to serve directory" in site.wait_error("AH00129")


def test_slash_redirect_for_any_method(site):
    assert site.request("PUT", "/both").status == 301


def _preamble_without(*names):
    from tests.server.conftest import PREAMBLE
    from tests.server.harness import MODULES, load_modules
    return PREAMBLE.replace(load_modules(), load_modules([m for m in MODULES if m not in names]))


def test_without_mod_dir_and_mod_autoindex_a_directory_is_404(make_site):
    conf = CONF.replace("    DirectoryIndex index.html index.txt\n", "") \
        .replace("    DirectorySlash Off\n", "").replace("    DirectoryIndex second.html first.html\n", "") \
        .replace("    FallbackResource /fallback/front.txt\n", "") \
        .replace("    FallbackResource disabled\n", "").replace("    DirectoryIndex /sub/index.html\n", "") \
        .replace("    DirectoryIndex disabled\n", "")
    site = make_site(_preamble_without("dir", "autoindex") + conf, FILES, preamble=False)
    assert site.get("/").status == 404          # an index.html is there: nobody looks
    assert site.get("/both").status == 404      # no DirectorySlash redirect
    assert site.get("/both/index.html").status == 200
    assert "AH00129: Attempt to serve directory" in site.wait_error("AH00129")



# The port of self-referential URLs (ap_get_server_port, UseCanonicalName
# Off): the one the client gave with Host, else r->server->port - a
# ServerName's port (none: 80), and for a <VirtualHost> without a
# ServerName its address's port.  The host is the client's, as
# fix_hostname leaves it.  Each was asked of Apache 2.4.71.
VHOST_CONF = """\
<Directory @DOCROOT@>
    Require all granted
    ServerSignature On
</Directory>
<VirtualHost 127.0.0.1:@PORT@>
    DocumentRoot @DOCROOT@
</VirtualHost>
"""


def test_slash_redirect_port_of_a_vhost_without_servername(make_site):
    site = make_site(VHOST_CONF, {"sub/index.html": "sub\n"})
    r = site.get("/sub", host="LocalHost.")
    assert r.status == 301
    assert r.get("Location") == f"http://localhost:{site.port}/sub/"
    page = site.get("/nope", host="localhost").body
    assert f"Server at localhost Port {site.port}</address>".encode() in page


def test_slash_redirect_port_of_a_servername_without_one(make_site):
    site = make_site(VHOST_CONF.replace("    DocumentRoot", "    ServerName localhost\n"
                                                         "    DocumentRoot"),
                     {"sub/index.html": "sub\n"})
    assert site.get("/sub", host="localhost").get("Location") == "http://localhost/sub/"
    assert site.get("/sub", host="other.test:81").get("Location") == "http://other.test:81/sub/"
    page = site.get("/nope", host="other.test:81").body
    assert b"Server at other.test Port 81</address>" in page
