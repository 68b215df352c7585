"""mod_headers, mod_env, mod_setenvif, TraceEnable and keep-alive per
virtual host and a directory's LimitRequestBody through the real server, with the answers Apache 2.4.71
gives spelt out (tests/differential/test_modules_diff.py asks Apache
itself where it is installed)."""

from __future__ import annotations

import re

import pytest

from tests.server.harness import load_modules, raw_request

CONF = load_modules(["headers", "env", "setenvif"]) + """\
Listen 127.0.0.1:@PORT2@
LogFormat "%U %>s %{LOGVAR}e %{X-Added}i %{Content-Type}o %v" envlog
CustomLog @ROOT@/logs/env.log envlog
SetEnv LOGVAR logged
SetEnvIf X-Flag "^on$" FLAGGED=flag-$0
SetEnvIfExpr "%{HTTP:X-Mode} == 'expr'" BY_EXPR=1
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/hdr>
    Header set X-Set "one"
    Header always append X-Both "always"
    Header append X-Both "success"
    Header always unset X-Set
    Header echo ^X-Echo
    Header set X-Flagged "%{FLAGGED}e"
    Header set X-Load "%l %i %b %t %D %%"
    Header set X-By-Expr "%{BY_EXPR}e"
    Header set X-Expr-Cond "get" "expr=%{REQUEST_METHOD} == 'GET'"
    Header set X-Expr-Value "expr=%{REQUEST_URI}!"
    Header edit Content-Type "plain" "PLAIN"
    Header unset Last-Modified
    RequestHeader set X-Echo-Added "rq"
    RequestHeader unset X-Echo-Gone
    RequestHeader set X-Added "seen-by-the-log"
</Directory>
<Directory @DOCROOT@/redir>
    Redirect /redir/a http://example.com/a
    Header always edit Location "example" "EXAMPLE"
    Header set X-Success "s"
</Directory>
<Directory @DOCROOT@/setenv>
    SetEnv FLAGGED yes
    Require env FLAGGED
</Directory>
<Directory @DOCROOT@/setenvif>
    Require env FLAGGED
</Directory>
<Directory @DOCROOT@/limit>
    LimitRequestBody 10
</Directory>
<VirtualHost 127.0.0.1:@PORT2@>
    ServerName second.test
    TraceEnable Off
    MaxKeepAliveRequests 2
    KeepAliveTimeout 3
</VirtualHost>
"""

FILES = {"hdr/f.txt": "hello\n", "redir/x": "x", "setenv/f.txt": "s\n",
         "setenvif/f.txt": "e\n", "limit/f.txt": "l\n", "plain.txt": "plain\n"}


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, FILES)


def test_header_and_header_always_edit_their_own_tables(site):
    r = site.get("/hdr/f.txt")
    assert r.get_all("X-Both") == ["always", "success"]     # two fields, not merged
    assert r.get("X-Set") == "one"          # "always unset" cannot reach the handler's table
    assert r.get("Content-Type") == "text/PLAIN"
    assert r.get("Last-Modified") is None


def test_header_format_tags(site):
    value = site.get("/hdr/f.txt").get("X-Load")
    assert re.fullmatch(r"l=\d+\.\d\d/\d+\.\d\d/\d+\.\d\d i=\d+ b=\d+ t=\d{16} D=\d+ %",
                        value), value


def test_request_header_edits_the_request_before_echo(site):
    r = site.get("/hdr/f.txt", {"X-Echo-One": "e1", "X-Echo-Gone": "g"})
    assert r.get("X-Echo-One") == "e1"
    assert r.get("X-Echo-Added") == "rq"
    assert r.get("X-Echo-Gone") is None


def test_setenvif_reaches_header_values(site):
    assert site.get("/hdr/f.txt", {"X-Flag": "on"}).get("X-Flagged") == "flag-on"
    assert site.get("/hdr/f.txt").get("X-Flagged") == "(null)"


def test_error_pages_and_redirects_get_only_header_always(site):
    r = site.get("/redir/a")
    assert r.status == 302
    assert r.get("Location") == "http://example.com/a"    # the page's own field
    assert r.get("X-Success") is None
    assert site.get("/hdr/nope").get_all("X-Both") == ["always"]


def test_require_env_sees_setenvif_but_not_setenv(site):
    assert site.get("/setenvif/f.txt", {"X-Flag": "on"}).status == 200
    assert site.get("/setenvif/f.txt").status == 403
    assert site.get("/setenv/f.txt").status == 403       # mod_env runs at fixups


def test_directory_limit_request_body(site):
    over = raw_request(site.port, b"POST /limit/f.txt HTTP/1.1\r\nHost: localhost\r\n"
                                  b"Content-Length: 11\r\n\r\n0123456789a")
    head = over.split(b"\r\n\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"Content-Length" not in head and b"Connection: close" in head
    assert site.wait_error("AH01588: Requested content-length of 11 is larger than the "
                           "configured limit of 10")
    fits = site.request("POST", "/limit/f.txt", body=b"0123456789")
    assert fits.status == 200
    # elsewhere the server's limit (1 GiB) holds
    assert site.request("POST", "/plain.txt", body=b"0123456789a").status == 200


def test_trace_enable_is_the_virtual_hosts(site):
    from tests.server.harness import request
    assert site.request("TRACE", "/plain.txt").status == 200
    refused = request(site.port2, "TRACE", "/plain.txt")
    assert refused.status == 405
    assert refused.get("Allow") == ""


def test_log_sees_the_request_headers_and_environment_as_edited(site):
    site.get("/hdr/f.txt?log")
    site.get("/setenv/f.txt?log")
    lines = site.wait_access_lines(2, name="env.log")
    assert "/hdr/f.txt 200 logged seen-by-the-log text/PLAIN localhost" in lines
    assert "/setenv/f.txt 403 - - text/html localhost" in lines


def test_keepalive_values_are_the_virtual_hosts(site):
    from tests.server.harness import Conn
    with Conn(site.port2) as c:
        first = c.request("GET", "/plain.txt", {"Connection": "keep-alive"}, version="1.0")
        second = c.request("GET", "/plain.txt", {"Connection": "keep-alive"}, version="1.0")
        last = c.request("GET", "/plain.txt", {"Connection": "keep-alive"}, version="1.0")
        assert c.closed_by_server(timeout=2.0)
    assert first.get("Keep-Alive") == "timeout=3, max=2"
    assert second.get("Keep-Alive") == "timeout=3, max=1"
    assert last.get("Connection") == "close"
    with Conn(site.port) as c:       # the main server's: 5 s, 100 requests
        r = c.request("GET", "/plain.txt", {"Connection": "keep-alive"}, version="1.0")
    assert r.get("Keep-Alive") == "timeout=5, max=100"


def test_expressions_set_env_and_headers_and_vary(site):
    r = site.get("/hdr/f.txt", {"X-Mode": "expr"})
    assert r.get("X-By-Expr") == "1"
    assert r.get("X-Expr-Cond") == "get"
    assert r.get("X-Expr-Value") == "/hdr/f.txt!"
    assert r.get("Vary") == "X-Mode"        # the expression read that field
    assert site.head("/hdr/f.txt").get("X-Expr-Cond") is None
