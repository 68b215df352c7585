"""Access and error log lines written by the real server."""

from __future__ import annotations

import re

import pytest

from tests.server.harness import Conn

CONF = """\
CustomLog @ROOT@/logs/combined.log combined
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/denied>
    Require all denied
</Directory>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName logged.test
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName own.test
    CustomLog @ROOT@/logs/own.log "%v %>s %U %q"
</VirtualHost>
"""

FILES = {"hello.txt": "hello\n", "denied/f.txt": "x\n"}

DATE = r"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]"


@pytest.fixture
def site(make_site):
    return make_site(CONF, FILES)


def send(site, raw: bytes):
    with Conn(site.port) as c:
        c.send(raw)
        return c.read_response()


def test_common_log_line(site):
    r = send(site, b"GET /hello.txt?x=1 HTTP/1.1\r\nHost: logged.test\r\nConnection: close\r\n\r\n")
    assert r.status == 200
    line = site.wait_access_lines(1)[0]
    assert re.fullmatch(DATE.join([r"127\.0\.0\.1 - - ", ""]) +
                        r' "GET /hello\.txt\?x=1 HTTP/1\.1" 200 6', line), line


def test_common_log_dash_for_empty_body(site):
    etag = send(site, b"GET /hello.txt HTTP/1.1\r\nHost: logged.test\r\nConnection: close\r\n\r\n")
    etag = etag.get("ETag")
    send(site, b"GET /hello.txt HTTP/1.1\r\nHost: logged.test\r\nConnection: close\r\n"
         b"If-None-Match: " + etag.encode() + b"\r\n\r\n")
    lines = site.wait_access_lines(2)
    # two connections may be served by two workers: their lines need not
    # come in request order (nor do Apache's)
    assert sorted(line.rsplit('"', 1)[1] for line in lines) == [" 200 6", " 304 -"], lines


def test_combined_log_line(site):
    send(site, b"GET /missing HTTP/1.1\r\nHost: logged.test\r\nReferer: http://ref.test/x\r\n"
         b"User-Agent: probe/1.0\r\nConnection: close\r\n\r\n")
    line = site.wait_access_lines(1, name="combined.log")[0]
    assert re.fullmatch(r"127\.0\.0\.1 - - " + DATE +
                        r' "GET /missing HTTP/1\.1" 404 \d+ "http://ref\.test/x" "probe/1\.0"',
                        line), line


def test_combined_log_dashes_without_headers(site):
    send(site, b"GET /hello.txt HTTP/1.1\r\nHost: logged.test\r\nConnection: close\r\n\r\n")
    line = site.wait_access_lines(1, name="combined.log")[0]
    assert line.endswith('" 200 6 "-" "-"'), line


def test_vhost_with_own_customlog(site):
    send(site, b"GET /hello.txt?q=1 HTTP/1.1\r\nHost: own.test\r\nConnection: close\r\n\r\n")
    assert site.wait_access_lines(1, name="own.log") == ["own.test 200 /hello.txt ?q=1"]


def test_error_log_line_format(site):
    r = send(site, b"GET /denied/f.txt HTTP/1.1\r\nHost: logged.test\r\nConnection: close\r\n\r\n")
    assert r.status == 403
    needle = "AH01630"
    lines = [ln for ln in site.wait_error(needle).splitlines() if needle in ln]
    assert lines, site.error_log()
    assert re.fullmatch(
        r"\[[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{6} \d{4}\] "
        r"\[authz_core:error\] \[pid \d+(:tid \d+)?\] \[client 127\.0\.0\.1:\d+\] "
        r"AH01630: client denied by server configuration: "
        + re.escape(f"{site.docroot}/denied/f.txt"),
        lines[0]), lines[0]


def test_404_logged_at_info(site):
    send(site, b"GET /nothing-here HTTP/1.1\r\nHost: logged.test\r\nConnection: close\r\n\r\n")
    needle = f"AH00128: File does not exist: {site.docroot}/nothing-here"
    log = site.wait_error(needle)
    line = next(ln for ln in log.splitlines() if needle in ln)
    assert "[core:info]" in line
