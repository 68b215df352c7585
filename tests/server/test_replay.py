"""Repeated requests answered from a stored answer (apyche/http/replay.py
and apyche/server/replay.py), through the real server: every answer and
every access-log line must be what the full pipeline would have produced,
and a change to the file or to an .htaccess on the way must be seen on the
very next request."""

from __future__ import annotations

import os
import re
import time

import pytest

from .conftest import APYCHE
from .harness import MODDIR, request

CONF = f"LoadModule negotiation_module {MODDIR}/mod_negotiation.so\n" + """\
LogFormat "%h %{remote}p %k %X \\"%r\\" %>s %b \\"%{User-Agent}i\\" %D %v" detail
CustomLog @ROOT@/logs/detail.log detail
MaxKeepAliveRequests 5
<Directory @DOCROOT@>
    AllowOverride All
    Require all granted
</Directory>
<Directory @DOCROOT@/neg>
    Options +MultiViews
</Directory>
AddLanguage en .en
AddLanguage de .de
AddLanguage fr .fr
AddHandler type-map .var
Listen 127.0.0.1:@PORT2@
<VirtualHost *:@PORT@>
    ServerName first.test
    DocumentRoot @DOCROOT@
</VirtualHost>
<VirtualHost *:@PORT2@>
    ServerName second.test
    DocumentRoot @DOCROOT@/second
</VirtualHost>
"""

FILES = {
    "f.txt": "first body\n",
    "changing.txt": "version one\n",
    "guarded/g.txt": "guarded\n",
    "second/f.txt": "second server\n",
    "neg/page.html.en": "english\n",
    "neg/page.html.de": "deutsch\n",
    "neg/menu.var": ("URI: menu\n\nURI: menu.en.html\nContent-Type: text/html\n"
                     "Content-Language: en\n\nURI: menu.de.html\nContent-Type: text/html\n"
                     "Content-Language: de\n"),
    "neg/menu.en.html": "menu en\n",
    "neg/menu.de.html": "menu de\n",
}


def age(path, seconds=100):
    t = time.time() - seconds
    os.utime(path, (t, t))


@pytest.fixture(scope="module")
def site(shared_site):
    live = shared_site(CONF, FILES)
    for p in live.docroot.rglob("*"):
        age(p)
    return live


def _detail_lines(site, n):
    return site.wait_access_lines(n, name="detail.log")


def test_repeats_on_one_connection_answer_and_log_like_the_first(site):
    before = len(site.wait_access_lines(0, name="detail.log"))
    with site.conn() as c:
        answers = [c.request("GET", "/f.txt", {"User-Agent": "replay-test/1"}) for _ in range(6)]
        port = c.sock.getsockname()[1]
    first = answers[0]
    for r in answers:
        assert r.status == 200 and r.body == b"first body\n"
        assert [(k, v) for k, v in r.headers if k not in ("Date", "Connection")] == \
            [(k, v) for k, v in first.headers if k != "Date"]
    # MaxKeepAliveRequests 5: five more after the first, the last one closes
    assert [r.get("Connection") for r in answers] == [None] * 5 + ["close"]
    lines = _detail_lines(site, before + 6)[before:]
    assert len(lines) == 6
    pattern = re.compile(r'127\.0\.0\.1 (\d+) (\d+) ([+-]) "GET /f\.txt HTTP/1\.1" 200 11 '
                         r'"replay-test/1" (\d+) first\.test$')
    seen = [pattern.match(line) for line in lines]
    assert all(seen), lines
    assert {int(m.group(1)) for m in seen} == {port}
    # %k is c->keepalives - 1, and http1_set_keepalive counts the answer
    # that reaches MaxKeepAliveRequests too; %X is "+" only while more
    # requests may follow (the fifth used up the allowance)
    assert [int(m.group(2)) for m in seen] == [0, 1, 2, 3, 4, 5]
    assert [m.group(3) for m in seen] == ["+"] * 4 + ["-", "-"]


@pytest.mark.parametrize("version", ["1.1", "1.0"])
def test_keep_alive_token_repeats_count_down_like_the_first(site, version):
    """ab -k and browsers send "Connection: keep-alive": the answer says how
    many requests are left, and replayed answers count down as Apache's."""
    before = len(site.wait_access_lines(0, name="detail.log"))
    with site.conn() as c:
        answers = [c.request("GET", "/f.txt", [("User-Agent", "ka-token/1"),
                                               ("Connection", "keep-alive")], version=version)
                   for _ in range(6)]
        assert c.closed_by_server()
    assert all(r.status == 200 and r.body == b"first body\n" for r in answers)
    assert [r.get("Keep-Alive") for r in answers] == \
        [f"timeout=5, max={n}" for n in range(5, 0, -1)] + [None]
    assert [r.get("Connection") for r in answers] == ["Keep-Alive"] * 5 + ["close"]
    lines = _detail_lines(site, before + 6)[before:]
    assert [line.split(" ")[2:4] for line in lines] == \
        [[str(k), "+"] for k in range(4)] + [["4", "-"], ["5", "-"]]


def test_a_changed_file_is_served_new_on_the_next_identical_request(site):
    path = site.docroot / "changing.txt"
    with site.conn() as c:
        for _ in range(3):
            assert c.request("GET", "/changing.txt").body == b"version one\n"
        path.write_text("version two, longer\n")
        assert c.request("GET", "/changing.txt").body == b"version two, longer\n"
        path.write_text("version TWO, LONGER\n")   # same inode, same size: only mtime
        age(path, 50)
        r = c.request("GET", "/changing.txt")
        assert r.body == b"version TWO, LONGER\n"
        assert r.get("Content-Length") == "20"


def test_a_new_htaccess_on_the_way_is_seen_at_once(site):
    ht = site.docroot / "guarded" / ".htaccess"
    with site.conn() as c:
        for _ in range(3):
            assert c.request("GET", "/guarded/g.txt").status == 200
        ht.write_text("Require all denied\n")
        os.chmod(ht, 0o644)
        try:
            assert c.request("GET", "/guarded/g.txt").status == 403
        finally:
            ht.unlink()
        assert c.request("GET", "/guarded/g.txt").status == 200


def test_same_bytes_on_another_port_reach_the_other_virtual_host(site):
    from tests.server.harness import Conn
    with site.conn() as c1, Conn(site.port2) as c2:
        for _ in range(3):
            assert c1.request("GET", "/f.txt").body == b"first body\n"
            assert c2.request("GET", "/f.txt").body == b"second server\n"


def test_a_removed_file_is_404_on_the_next_identical_request(site):
    path = site.write("gone.txt", "soon gone\n")
    os.chmod(path, 0o644)
    age(path)
    with site.conn() as c:
        for _ in range(3):
            assert c.request("GET", "/gone.txt").status == 200
        path.unlink()
        assert c.request("GET", "/gone.txt").status == 404


@pytest.mark.skipif(not APYCHE, reason="apyche's own stop path")
def test_every_replayed_request_is_logged_by_a_graceful_stop(make_site):
    live = make_site("<Directory @DOCROOT@>\n    Require all granted\n</Directory>\n",
                     {"a.txt": "a\n"})
    age(live.docroot / "a.txt")
    n = 0
    for _ in range(4):
        with live.conn() as c:
            for _ in range(25):
                assert c.request("GET", "/a.txt").status == 200
                n += 1
    live.stop()
    lines = [line for line in live.access_log().splitlines() if "/a.txt" in line]
    assert len(lines) == n


def _negotiate(c, target, language):
    return c.request("GET", target, {"Accept-Language": language})


@pytest.mark.parametrize("target", ["/neg/page.html", "/neg/menu.var"])
def test_negotiated_repeats_follow_the_request_headers(site, target):
    want = {"de": b"deutsch\n", "en": b"english\n"} if "page" in target else \
        {"de": b"menu de\n", "en": b"menu en\n"}
    with site.conn() as c:
        for _ in range(3):
            for lang in ("de", "en"):
                r = _negotiate(c, target, lang)
                assert r.status == 200 and r.body == want[lang]
                assert r.get("Content-Language") == lang
                assert "accept-language" in (r.get("Vary") or "").lower()


def test_a_new_variant_changes_the_next_identical_negotiated_request(site):
    fr = site.docroot / "neg" / "page.html.fr"
    ask = "fr, en;q=0.5"
    with site.conn() as c:
        for _ in range(3):
            assert _negotiate(c, "/neg/page.html", ask).body == b"english\n"
        fr.write_text("francais\n")
        os.chmod(fr, 0o644)
        try:
            assert _negotiate(c, "/neg/page.html", ask).body == b"francais\n"
            assert _negotiate(c, "/neg/page.html", ask).body == b"francais\n"
        finally:
            fr.unlink()
    with site.conn() as c:
        assert _negotiate(c, "/neg/page.html", ask).body == b"english\n"


def test_a_changed_variant_is_served_new(site):
    de = site.docroot / "neg" / "page.html.de"
    with site.conn() as c:
        for _ in range(3):
            assert _negotiate(c, "/neg/page.html", "de").body == b"deutsch\n"
        de.write_text("deutsch, neu\n")
        try:
            assert _negotiate(c, "/neg/page.html", "de").body == b"deutsch, neu\n"
        finally:
            de.write_text("deutsch\n")
            age(de)


def test_the_requested_name_appearing_ends_multiviews(site):
    plain = site.docroot / "neg" / "page.html"
    with site.conn() as c:
        for _ in range(3):
            assert _negotiate(c, "/neg/page.html", "de").body == b"deutsch\n"
        plain.write_text("the file itself\n")
        os.chmod(plain, 0o644)
        try:
            assert _negotiate(c, "/neg/page.html", "de").body == b"the file itself\n"
        finally:
            plain.unlink()
        assert _negotiate(c, "/neg/page.html", "de").body == b"deutsch\n"


# -- one request per connection: with AcceptFilter's TCP_DEFER_ACCEPT (the
# default) apyche answers a repeated closing request the moment it accepts
# the connection (apyche/http/accept.py); Apache answers it like any other

def _one_shot(site, target, headers=None, version="1.1"):
    from tests.server.harness import Conn
    items = [("User-Agent", "one-shot/1"), ("Connection", "close")] + list(headers or [])
    with Conn(site.port) as c:
        r = c.request("GET", target, items, version=version)
        port = c.sock.getsockname()[1]
        assert c.closed_by_server()
    return r, port


def test_one_request_connections_answer_and_log_like_the_first(site):
    shots = [_one_shot(site, "/f.txt") for _ in range(6)]
    first = shots[0][0]
    for r, _ in shots:
        assert r.status == 200 and r.body == b"first body\n"
        assert r.get("Connection") == "close"
        assert [(k, v) for k, v in r.headers if k != "Date"] == \
            [(k, v) for k, v in first.headers if k != "Date"]
    # the lines of these connections (other workers' lines of earlier
    # tests may still be arriving)
    ports = {str(port) for _, port in shots}
    deadline = time.monotonic() + 5
    while True:
        lines = [line for line in site.wait_access_lines(0, name="detail.log")
                 if line.split(" ")[1] in ports]
        if len(lines) >= 6 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    pattern = re.compile(r'127\.0\.0\.1 (\d+) 0 - "GET /f\.txt HTTP/1\.1" 200 11 '
                         r'"one-shot/1" (\d+) first\.test$')
    seen = [pattern.match(line) for line in lines]
    assert all(seen), lines
    # each connection has its own line
    assert sorted(m.group(1) for m in seen) == sorted(ports)


def test_one_request_connections_see_changes_at_once(site):
    path = site.write("oneshot.txt", "one\n")
    os.chmod(path, 0o644)
    age(path)
    ht = site.docroot / ".htaccess"
    for _ in range(3):
        assert _one_shot(site, "/oneshot.txt")[0].body == b"one\n"
    path.write_text("two, longer\n")
    assert _one_shot(site, "/oneshot.txt")[0].body == b"two, longer\n"
    ht.write_text("<Files oneshot.txt>\nRequire all denied\n</Files>\n")
    os.chmod(ht, 0o644)
    try:
        assert _one_shot(site, "/oneshot.txt")[0].status == 403
    finally:
        ht.unlink()
    assert _one_shot(site, "/oneshot.txt")[0].status == 200
    path.unlink()
    assert _one_shot(site, "/oneshot.txt")[0].status == 404


def test_http10_and_head_one_request_connections(site):
    for _ in range(3):
        r, _ = _one_shot(site, "/f.txt", version="1.0")
        assert r.status == 200 and r.body == b"first body\n"
    from tests.server.harness import Conn
    for _ in range(3):
        with Conn(site.port) as c:
            r = c.request("HEAD", "/f.txt", [("Connection", "close")])
            assert c.closed_by_server()
        assert r.status == 200 and r.body == b"" and r.get("Content-Length") == "11"
        assert c.buf == b""   # nothing after the head


def test_a_keep_alive_first_request_keeps_its_connection(site):
    """The same bytes first on a fresh connection, where the answer keeps
    the connection open, and then on it: both answered, it stays open."""
    from tests.server.harness import Conn
    for _ in range(3):
        with Conn(site.port) as c:
            for _ in range(2):
                r = c.request("GET", "/f.txt", {"User-Agent": "ka-first/1"})
                assert r.status == 200 and r.get("Connection") is None
            assert not c.closed_by_server(0.2)


# -- parsed requests answered from a remembered file share its log
# formatting when no access log reads request headers (StaticEntry.hook_for)

ONE_FILE = "<Directory @DOCROOT@>\n    Require all granted\n</Directory>\n"


def _numbered_requests(live):
    with live.conn() as c:
        answers = [c.request("GET", "/n.txt", {"X-Count": str(i)}) for i in range(5)]
        answers.append(c.request("HEAD", "/n.txt", {"X-Count": "h"}))
        answers.append(c.request("GET", "/n.txt", {"X-Count": "old"}, version="1.0"))
    assert [r.status for r in answers] == [200] * 7
    assert [r.body for r in answers] == [b"numbered\n"] * 5 + [b"", b"numbered\n"]
    return live.wait_access_lines(7, name="n.log")


def test_parsed_requests_log_their_method_protocol_and_bytes(make_site):
    live = make_site(ONE_FILE + 'LogFormat "%m %H \\"%r\\" %>s %b %k %X %U%q %v" nohdr\n'
                     "CustomLog @ROOT@/logs/n.log nohdr\n", {"n.txt": "numbered\n"})
    age(live.docroot / "n.txt")
    lines = _numbered_requests(live)
    assert lines == [f'GET HTTP/1.1 "GET /n.txt HTTP/1.1" 200 9 {k} + /n.txt localhost'
                     for k in range(5)] + [
        'HEAD HTTP/1.1 "HEAD /n.txt HTTP/1.1" 200 - 5 + /n.txt localhost',
        'GET HTTP/1.0 "GET /n.txt HTTP/1.0" 200 9 5 - /n.txt localhost']


def test_parsed_requests_log_their_own_headers(make_site):
    live = make_site(ONE_FILE + 'LogFormat "%m %{X-Count}i %b" hdr\n'
                     "CustomLog @ROOT@/logs/n.log hdr\n", {"n.txt": "numbered\n"})
    age(live.docroot / "n.txt")
    lines = _numbered_requests(live)
    assert lines == [f"GET {i} 9" for i in range(5)] + ["HEAD h -", "GET old 9"]


# -- requests that differ only in other fields (a counter, a cookie, another
# User-Agent) share the stored answer once no log reads request headers
# (http/replay.py's shapes); they must see every change at once, and never
# get it where another field changes the answer

COUNTED = ("<Directory @DOCROOT@>\n    AllowOverride All\n    Require all granted\n</Directory>\n"
           'LogFormat "%m \\"%r\\" %>s %b %k" counted\nCustomLog @ROOT@/logs/c.log counted\n')


def _counted(c, target, i, extra=None):
    headers = [("X-Request-Number", str(i)), ("Cookie", f"session={i}")] + list(extra or [])
    return c.request("GET", target, headers)


def test_requests_differing_in_other_fields_see_changes_at_once(make_site):
    live = make_site(COUNTED, {"n.txt": "numbered\n", "sub/s.txt": "sub\n"})
    for p in live.docroot.rglob("*"):
        age(p)
    path = live.docroot / "n.txt"
    with live.conn() as c:
        assert [_counted(c, "/n.txt", i).body for i in range(4)] == [b"numbered\n"] * 4
        path.write_text("numbered, longer\n")
        assert _counted(c, "/n.txt", 4).body == b"numbered, longer\n"
        assert [_counted(c, "/n.txt", i).body for i in range(5, 7)] == [b"numbered, longer\n"] * 2
        ht = live.docroot / ".htaccess"
        ht.write_text("<Files n.txt>\nRequire all denied\n</Files>\n")
        os.chmod(ht, 0o644)
        try:
            denied = _counted(c, "/n.txt", 7)
        finally:
            ht.unlink()
        assert denied.status == 403
        assert _counted(c, "/n.txt", 8).status == 200
    lines = live.wait_access_lines(9, name="c.log")
    assert lines == [f'GET "GET /n.txt HTTP/1.1" {s} {b} {k}' for k, (s, b) in enumerate(
        [(200, 9)] * 4 + [(200, 17)] * 3 + [(403, len(denied.body)), (200, 17)])]
    path.unlink()
    with live.conn() as c:
        assert _counted(c, "/n.txt", 9).status == 404
    for i in range(3):      # one-request connections too
        r = request(live.port, "GET", "/sub/s.txt", {"X-Request-Number": str(i)})
        assert r.status == 200 and r.body == b"sub\n"
    (live.docroot / "sub" / "s.txt").write_text("sub, changed\n")
    r = request(live.port, "GET", "/sub/s.txt", {"X-Request-Number": "3"})
    assert r.body == b"sub, changed\n"


def test_fields_that_change_the_answer_are_honoured_after_other_requests(make_site):
    live = make_site(COUNTED, {"n.txt": "numbered\n"})
    age(live.docroot / "n.txt")
    with live.conn() as c:
        first = _counted(c, "/n.txt", 0)
        for i in range(1, 4):
            _counted(c, "/n.txt", i)
        etag, modified = first.get("ETag"), first.get("Last-Modified")
        assert _counted(c, "/n.txt", 4, [("Range", "bytes=0-3")]).status == 206
        assert _counted(c, "/n.txt", 5, [("If-None-Match", etag)]).status == 304
        assert _counted(c, "/n.txt", 6, [("If-Modified-Since", modified)]).status == 304
        assert _counted(c, "/n.txt", 7, [("If-Match", '"other"')]).status == 412
        r = _counted(c, "/n.txt", 8, [("Connection", "close")])
        assert r.status == 200 and r.get("Connection") == "close"
        assert c.closed_by_server()


@pytest.mark.parametrize("server_level", [False, True])
def test_an_answer_that_depends_on_another_field_follows_it(make_site, server_level):
    setenv = "SetEnvIf User-Agent ^bot blocked\n"
    live = make_site(f"LoadModule setenvif_module {MODDIR}/mod_setenvif.so\n"
                     + (setenv if server_level else "") + """\
<Directory @DOCROOT@>
    """ + ("" if server_level else setenv) + """\
    <RequireAll>
        Require all granted
        Require not env blocked
    </RequireAll>
</Directory>
""", {"n.txt": "numbered\n"})
    age(live.docroot / "n.txt")
    with live.conn() as c:
        for i in range(4):
            assert c.request("GET", "/n.txt", {"User-Agent": f"browser/{i}"}).status == 200
        assert c.request("GET", "/n.txt", {"User-Agent": "bot/1"}).status == 403
        assert c.request("GET", "/n.txt", {"User-Agent": "browser/9"}).status == 200


def test_more_fields_than_the_limit_after_other_requests_is_400(make_site):
    live = make_site(COUNTED + "LimitRequestFields 4\n", {"n.txt": "numbered\n"})
    age(live.docroot / "n.txt")
    with live.conn() as c:
        for i in range(3):
            assert _counted(c, "/n.txt", i).status == 200
        extra = [("X-A", "1"), ("X-B", "2")]
        assert _counted(c, "/n.txt", 3, extra).status == 400


def test_pipelined_repeats_answer_and_log_in_order(make_site):
    """Several requests in one read (wrk's pipelining, a proxy's): stored
    ones are answered again in order, each logged with its own count."""
    live = make_site(ONE_FILE + 'LogFormat "%k \\"%r\\" %>s %b" piped\n'
                     "CustomLog @ROOT@/logs/p.log piped\n", {"a.txt": "a\n", "b.txt": "bb\n"})
    for p in live.docroot.rglob("*"):
        age(p)
    batch = b"".join(f"GET {p} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: pipe/1\r\n\r\n".encode()
                     for p in ("/a.txt", "/b.txt", "/a.txt"))
    with live.conn() as c:
        for _ in range(4):
            c.send(batch)
            assert [c.read_response().body for _ in range(3)] == [b"a\n", b"bb\n", b"a\n"]
        assert c.request("GET", "/a.txt", {"Connection": "close"}).get("Connection") == "close"
    lines = live.wait_access_lines(13, name="p.log")
    assert lines == [f'{k} "GET {p} HTTP/1.1" 200 {n}' for k, (p, n) in enumerate(
        [("/a.txt", 2), ("/b.txt", 3), ("/a.txt", 2)] * 4)] + [
        '11 "GET /a.txt HTTP/1.1" 200 2']   # a closing answer does not count (%k)


_ONE = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.mark.parametrize("sent,statuses", [
    # blank lines that follow a request in the same read are
    # ap_check_pipeline's, which takes a bare LF - also after a request
    # answered from the stored ones
    (_ONE + b"\n\r\n\n" + _ONE, [200, 200]),
    # a read that starts with them is read_request_line's, also before a
    # stored request: the eleventh is a 400
    (b"\r\n" * 11 + _ONE, [400])])
def test_blank_lines_around_stored_requests(make_site, sent, statuses):
    live = make_site(ONE_FILE, {"a.txt": "a\n"})
    for p in live.docroot.rglob("*"):
        age(p)
    with live.conn() as c:
        for _ in range(3):        # stored from here on
            c.send(_ONE)
            assert c.read_response().status == 200
        c.send(sent)
        assert [c.read_response().status for _ in statuses] == statuses
