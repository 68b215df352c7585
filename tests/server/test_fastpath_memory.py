"""The URL fast path remembers a URL from its second request on: URLs asked
once (a query string that changes every time) cost no entry (building one
is about a third of a request) and never fill its table."""

from __future__ import annotations

import os

from apyche.config.walk import load_config
from apyche.http.request import Request
from apyche.server.site import Site


def _get(site: Site, target: str):
    path, _, query = target.partition("?")
    request = Request("GET", target, path, query or None, "1.1", [(b"Host", b"x")],
                      ("127.0.0.1", 40000), ("127.0.0.1", 80))
    return site.handle(request)


def test_url_fast_path_admits_a_url_on_its_second_request(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "f.txt").write_text("x\n")
    os.utime(www / "f.txt", (1_600_000_000, 1_600_000_000))
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"ServerName x\nErrorLog /dev/null\nDocumentRoot {www}\n"
                    f"<Directory {www}>\n    Require all granted\n</Directory>\n")
    site = Site(load_config(str(conf), str(tmp_path), env={}))
    try:
        for i in range(50):
            assert _get(site, f"/f.txt?{i}").status == 200
        assert not site._fast
        assert _get(site, "/f.txt?again").status == 200
        assert not site._fast
        assert _get(site, "/f.txt?again").status == 200
        assert list(site._fast) == [(("127.0.0.1", 80), b"x", "/f.txt?again")]
    finally:
        site.logs.close()
