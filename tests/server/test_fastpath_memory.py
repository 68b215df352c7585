"""The URL fast path remembers an answer from the second request for its
path on: URLs asked once cost no entry (building one is about a third of
a request) and never fill its table, while the same file asked with a
query string that changes every time is answered from one entry - with
each request's own line and query in the log."""

from __future__ import annotations

import os

from apyche.config.walk import load_config
from apyche.http.request import Request
from apyche.server.site import Site


def _site(tmp_path, names) -> Site:
    www = tmp_path / "www"
    www.mkdir()
    for name in names:
        (www / name).write_text("x\n")
        os.utime(www / name, (1_600_000_000, 1_600_000_000))
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"ServerName x\nErrorLog /dev/null\nDocumentRoot {www}\n"
                    f'LogFormat "%r %q %>s" short\nCustomLog {tmp_path}/access.log short\n'
                    f"<Directory {www}>\n    Require all granted\n</Directory>\n")
    return Site(load_config(str(conf), str(tmp_path), env={}))


def _get(site: Site, target: str):
    path, _, query = target.partition("?")
    request = Request("GET", target, path, query or None, "1.1", [(b"Host", b"x")],
                      ("127.0.0.1", 40000), ("127.0.0.1", 80))
    response = site.handle(request)
    site.log_access(request, response, 2, 0.0)
    return response


def test_urls_asked_once_make_no_entry(tmp_path):
    names = [f"f{i}.txt" for i in range(50)]
    site = _site(tmp_path, names)
    try:
        for name in names:
            assert _get(site, "/" + name).status == 200
        assert not site._fast
    finally:
        site.logs.close()


def test_one_entry_answers_every_query_string(tmp_path):
    site = _site(tmp_path, ["f.txt"])
    try:
        for i in range(5):
            assert _get(site, f"/f.txt?{i}").status == 200
        assert list(site._fast) == [(("127.0.0.1", 80), b"x", "/f.txt")]

        def no_pipeline(*args, **kw):
            raise AssertionError("the full pipeline ran")
        site._handle = no_pipeline
        assert _get(site, "/f.txt?5").body == b"x\n"
        site.logs.flush()
        lines = (tmp_path / "access.log").read_text().splitlines()
        assert lines == [f"GET /f.txt?{i} HTTP/1.1 ?{i} 200" for i in range(6)]
    finally:
        site.logs.close()
