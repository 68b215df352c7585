"""The default file handler through the real server: validators and
conditional requests, ranges, HEAD, OPTIONS/405, keep-alive."""

from __future__ import annotations

import os
import re

import pytest

from tests.server.harness import Conn

BODY = bytes(range(256)) * 4          # 1024 bytes
MTIME = 1_600_000_000                 # 2020-09-13 12:26:40 UTC
LAST_MODIFIED = "Sun, 13 Sep 2020 12:26:40 GMT"

CONF = """\
KeepAlive On
MaxKeepAliveRequests 100
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/pathinfo>
    AcceptPathInfo On
</Directory>
<Directory @DOCROOT@/noranges>
    MaxRanges none
</Directory>
<Directory @DOCROOT@/onerange>
    MaxRanges 1
</Directory>
"""


def setup(site):
    p = site.docroot / "data.bin"
    p.write_bytes(BODY)
    (site.docroot / "page.html").write_text("<p>hello</p>\n")
    for d in ("pathinfo", "noranges", "onerange"):
        (site.docroot / d).mkdir()
        (site.docroot / d / "data.bin").write_bytes(BODY)
    for name in ("data.bin", "page.html"):
        os.utime(site.docroot / name, (MTIME, MTIME))


@pytest.fixture(scope="module")
def site(shared_site):
    return shared_site(CONF, {}, setup=setup)


def test_validators(site):
    r = site.get("/data.bin")
    assert r.status == 200 and r.body == BODY
    assert r.get("Last-Modified") == LAST_MODIFIED
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', r.get("ETag"))
    assert r.get("Accept-Ranges") == "bytes"
    assert r.get("Content-Length") == "1024"


def test_etag_is_size_and_mtime(site):
    # FileETag default (MTime Size): "<size hex>-<mtime usec hex>".
    assert site.get("/data.bin").get("ETag") == f'"{1024:x}-{MTIME * 1_000_000:x}"'


def test_if_none_match_304(site):
    etag = site.get("/data.bin").get("ETag")
    r = site.get("/data.bin", {"If-None-Match": etag})
    assert r.status == 304 and r.body == b""
    assert r.get("ETag") == etag
    assert not r.has("Content-Length")


def test_304_keeps_accept_ranges(site):
    etag = site.get("/data.bin").get("ETag")
    assert site.get("/data.bin", {"If-None-Match": etag}).get("Accept-Ranges") == "bytes"


def test_412_keeps_accept_ranges(site):
    assert site.get("/data.bin", {"If-Match": '"nope"'}).get("Accept-Ranges") == "bytes"


def test_if_none_match_star_304(site):
    assert site.get("/data.bin", {"If-None-Match": "*"}).status == 304


def test_if_none_match_other_200(site):
    assert site.get("/data.bin", {"If-None-Match": '"nope"'}).status == 200


def test_if_modified_since_304(site):
    r = site.get("/data.bin", {"If-Modified-Since": LAST_MODIFIED})
    assert r.status == 304


def test_if_modified_since_older_200(site):
    r = site.get("/data.bin", {"If-Modified-Since": "Sat, 12 Sep 2020 12:00:00 GMT"})
    assert r.status == 200


def test_if_none_match_wins_over_if_modified_since(site):
    r = site.get("/data.bin", {"If-None-Match": '"nope"', "If-Modified-Since": LAST_MODIFIED})
    assert r.status == 200


def test_if_match_mismatch_412(site):
    assert site.get("/data.bin", {"If-Match": '"nope"'}).status == 412


def test_if_unmodified_since_412(site):
    r = site.get("/data.bin", {"If-Unmodified-Since": "Sat, 12 Sep 2020 12:00:00 GMT"})
    assert r.status == 412


def test_single_range(site):
    r = site.get("/data.bin", {"Range": "bytes=10-19"})
    assert r.status == 206
    assert r.get("Content-Range") == "bytes 10-19/1024"
    assert r.get("Content-Length") == "10"
    assert r.body == BODY[10:20]


def test_suffix_range(site):
    r = site.get("/data.bin", {"Range": "bytes=-5"})
    assert r.status == 206 and r.body == BODY[-5:]
    assert r.get("Content-Range") == "bytes 1019-1023/1024"


def test_open_range(site):
    r = site.get("/data.bin", {"Range": "bytes=1000-"})
    assert r.status == 206 and r.body == BODY[1000:]


def test_multipart_ranges(site):
    r = site.get("/data.bin", {"Range": "bytes=0-1,100-102"})
    assert r.status == 206
    ctype = r.get("Content-Type")
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=", 1)[1].encode()
    parts = r.body.split(b"--" + boundary)
    assert parts[-1].strip() == b"--"
    # Apache spells the part headers "Content-type" / "Content-range".
    assert b"Content-range: bytes 0-1/1024" in parts[1]
    assert parts[1].endswith(b"\r\n\r\n" + BODY[0:2] + b"\r\n")
    assert b"Content-range: bytes 100-102/1024" in parts[2]
    assert parts[2].endswith(b"\r\n\r\n" + BODY[100:103] + b"\r\n")


def test_multipart_ranges_for_head(site):
    # the head GET would send, no body (the file was closed twice: a 500)
    get = site.get("/data.bin", {"Range": "bytes=0-1,100-102"})
    r = site.head("/data.bin", {"Range": "bytes=0-1,100-102"})
    assert r.status == 206 and r.body == b""
    assert r.get("Content-Type").startswith("multipart/byteranges; boundary=")
    # the boundary (as Apache's, made of the time) may differ in length
    # between the two answers: it is in the body once per range and once
    # at the end
    def boundary(resp):
        return len(resp.get("Content-Type").split("boundary=")[1])
    assert int(r.get("Content-Length")) - 3 * boundary(r) == \
        int(get.get("Content-Length")) - 3 * boundary(get)
    assert "internal error" not in site.error_log()


def test_unsatisfiable_range_416(site):
    r = site.get("/data.bin", {"Range": "bytes=2000-3000"})
    assert r.status == 416
    assert b"<title>416 Requested Range Not Satisfiable</title>" in r.body


def test_maxranges_none(site):
    r = site.get("/noranges/data.bin", {"Range": "bytes=0-1"})
    assert r.status == 200 and r.body == BODY
    assert r.get("Accept-Ranges") == "none"


def test_maxranges_1_refuses_two_ranges(site):
    r = site.get("/onerange/data.bin", {"Range": "bytes=0-1,5-6"})
    assert r.status == 200 and r.body == BODY


def test_path_info_refused_by_default(site):
    assert site.get("/data.bin/extra").status == 404


def test_acceptpathinfo_on_serves_the_file(site):
    r = site.get("/pathinfo/data.bin/extra")
    assert r.status == 200 and r.body == BODY


def test_if_range_mismatch_gives_full_body(site):
    r = site.get("/data.bin", {"Range": "bytes=0-1", "If-Range": '"other"'})
    assert r.status == 200 and r.body == BODY


def test_if_range_match_gives_range(site):
    etag = site.get("/data.bin").get("ETag")
    r = site.get("/data.bin", {"Range": "bytes=0-1", "If-Range": etag})
    assert r.status == 206 and r.body == BODY[:2]


def test_head_has_get_headers_and_no_body(site):
    get = site.get("/page.html")
    with Conn(site.port) as c:
        c.send(b"HEAD /page.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
        head = c.read_response("HEAD")
        # The next response on the connection starts right away: no body bytes.
        second = c.request("GET", "/page.html", {"Connection": "close"})
    assert head.status == 200
    for name in ("Content-Length", "Content-Type", "ETag", "Last-Modified"):
        assert head.get(name) == get.get(name)
    assert second.body == b"<p>hello</p>\n"


ALLOWED = {"OPTIONS", "HEAD", "GET", "POST", "TRACE"}


def test_head_of_missing_file_is_404_without_body(site):
    with Conn(site.port) as c:
        c.send(b"HEAD /nope HTTP/1.1\r\nHost: localhost\r\n\r\n")
        r = c.read_response("HEAD")
        second = c.request("GET", "/page.html", {"Connection": "close"})
    assert r.status == 404
    assert second.status == 200


def test_head_of_missing_file_has_no_content_length(site):
    assert not site.head("/nope").has("Content-Length")


def test_post_to_static_file_serves_it(site):
    r = site.request("POST", "/page.html")
    assert r.status == 200 and r.body == b"<p>hello</p>\n"


def test_options_status(site):
    r = site.request("OPTIONS", "/page.html")
    assert r.status == 200
    assert r.has("Allow")


def test_options_allow(site):
    r = site.request("OPTIONS", "/page.html")
    assert set(r.get("Allow").split(",")) == ALLOWED


def test_options_content_type(site):
    r = site.request("OPTIONS", "/page.html")
    assert r.get("Content-Type") == "text/html"
    assert r.get("Content-Length") == "0"


def test_delete_is_405(site):
    assert site.request("DELETE", "/page.html").status == 405


def test_delete_405_allow(site):
    r = site.request("DELETE", "/page.html")
    assert set(r.get("Allow").split(",")) == ALLOWED


def test_keep_alive_reuses_the_connection(site):
    with Conn(site.port) as c:
        first = c.request("GET", "/page.html")
        assert first.get("Connection") is None or "close" not in first.get("Connection").lower()
        local = c.sock.getsockname()
        second = c.request("GET", "/data.bin")
        third = c.request("GET", "/nope")
        assert c.sock.getsockname() == local
    assert (first.status, second.status, third.status) == (200, 200, 404)
    assert second.body == BODY


def test_keep_alive_header_on_http10(site):
    with Conn(site.port) as c:
        r = c.request("GET", "/page.html", {"Connection": "keep-alive"}, version="1.0")
        assert r.get("Connection") == "Keep-Alive"
        assert r.get("Keep-Alive", "").startswith("timeout=")
        r2 = c.request("GET", "/page.html", {"Connection": "close"}, version="1.0")
    assert r2.status == 200


def test_connection_close_is_honoured(site):
    with Conn(site.port) as c:
        r = c.request("GET", "/page.html", {"Connection": "close"})
        assert r.get("Connection") == "close"
        assert c.closed_by_server()


@pytest.mark.parametrize("limit,fields,status", [("3", 3, 200), ("3", 4, 400), ("0", 150, 200)])
def test_limit_request_fields_counts_every_field_and_zero_is_no_limit(make_site, limit, fields,
                                                                      status):
    live = make_site(f"LimitRequestFields {limit}\n<Directory @DOCROOT@>\n    Require all granted\n"
                     "</Directory>\n", {"a.txt": "a\n"})
    with live.conn() as c:
        headers = [(f"X-{i}", "v") for i in range(fields - 1)]   # and Host
        assert c.request("GET", "/a.txt", headers).status == status


# -- a request body is read before the answer -----------------------------------

def _post_head(target: str, length: int, extra: str = "") -> bytes:
    return (f"POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n"
            f"{extra}\r\n").encode()


def test_answer_waits_for_the_request_body(site):
    import socket
    import time
    with Conn(site.port) as c:
        c.send(_post_head("/page.html", 5) + b"hel")
        c.sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            c.sock.recv(1)                    # the default handler reads the body first
        c.sock.settimeout(5)
        time.sleep(0.05)
        r = c.send(b"lo").read_response()
    assert r.status == 200 and r.body == b"<p>hello</p>\n"


@pytest.mark.parametrize("target", ["/page.html", "/missing", "/pathinfo/"])
def test_a_body_cut_short_turns_any_answer_into_400(site, target):
    import socket
    with Conn(site.port) as c:
        c.send(_post_head(target, 5) + b"hel")
        c.sock.shutdown(socket.SHUT_WR)
        assert c.read_response("POST").status == 400


def test_the_handler_reads_a_body_announced_with_100_continue(site):
    # the default handler reads (discards) the body before it finds the
    # file missing, so the client gets its "100 Continue" first
    with Conn(site.port) as c:
        c.send(_post_head("/missing", 5, "Expect: 100-continue\r\n"))
        assert c.read_response("POST").status == 100
        assert c.send(b"hello").read_response("POST").status == 404


# -- HttpProtocolOptions RegisteredMethods ----------------------------------------

def test_registered_methods_refuses_unknown_methods(make_site):
    site = make_site("HttpProtocolOptions RegisteredMethods\n<Directory @DOCROOT@>\n"
                     "    Require all granted\n    <Limit FROB>\n        Require all granted\n"
                     "    </Limit>\n</Directory>\n<Directory @DOCROOT@/denied>\n"
                     "    Require all denied\n</Directory>\n",
                     {"f.txt": "x\n", "denied/f.txt": "x\n"})
    # refused with the request line, before access control (which would
    # say 403) and before the default handler (which would say 501 too)
    assert site.request("BREW", "/denied/f.txt").status == 501
    assert site.request("FROB", "/f.txt").status == 405      # registered by <Limit>
    assert site.request("PATCH", "/f.txt").status == 405     # one of Apache's own
    assert site.get("/f.txt").status == 200
