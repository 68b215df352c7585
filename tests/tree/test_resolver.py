"""The config tree at model level: vhost choice, walk order, .htaccess
probing and caching.  (End-to-end tests over sockets live with the server.)"""

from __future__ import annotations

import os

from apyche.config.walk import load_config
from apyche.tree.walk import NO_SYMLINKS, Resolver


def make(tmp_path, text):
    (tmp_path / "logs").mkdir(exist_ok=True)
    conf = tmp_path / "httpd.conf"
    conf.write_text(text)
    return Resolver(load_config(str(conf), str(tmp_path), env={}))


def test_directory_sections_merge_shortest_first(tmp_path):
    docs = tmp_path / "www" / "a"
    docs.mkdir(parents=True)
    r = make(tmp_path, f"""
<Directory {tmp_path}/www/a>
    DirectoryIndex deep.html
</Directory>
<Directory />
    DirectoryIndex root.html
</Directory>
<Directory {tmp_path}/www>
    DirectoryIndex mid.html
</Directory>
""")
    view = r.select_server("127.0.0.1", 80, None)
    assert r.resolve(view, f"{docs}/x.html", "/x.html").get("DirectoryIndex") == ("deep.html",)
    assert r.resolve(view, f"{tmp_path}/www/x.html", "/x.html").get("DirectoryIndex") == ("mid.html",)
    assert r.resolve(view, "/etc/x", "/x").get("DirectoryIndex") == ("root.html",)


def test_regex_after_plain_then_files_then_location(tmp_path):
    (tmp_path / "www").mkdir()
    r = make(tmp_path, f"""
<Location /x.html>
    DirectoryIndex from-location
</Location>
<Files x.html>
    DirectoryIndex from-files
</Files>
<DirectoryMatch "^{tmp_path}/www/">
    DirectoryIndex from-regex
</DirectoryMatch>
<Directory {tmp_path}/www>
    DirectoryIndex from-dir
</Directory>
""")
    view = r.select_server("127.0.0.1", 80, None)
    cfg = r.resolve(view, f"{tmp_path}/www/x.html", "/x.html")
    assert cfg.get("DirectoryIndex") == ("from-location",)
    trail = " ".join(cfg.trail)
    assert trail.index("Directory ") < trail.index("DirectoryMatch") < trail.index("Files") \
        < trail.index("Location")


def test_options_relative_chain(tmp_path):
    (tmp_path / "www" / "sub").mkdir(parents=True)
    r = make(tmp_path, f"""
<Directory />
    Options FollowSymLinks
</Directory>
<Directory {tmp_path}/www>
    Options +Indexes -FollowSymLinks
</Directory>
<Directory {tmp_path}/www/sub>
    Options +SymLinksIfOwnerMatch
</Directory>
""")
    view = r.select_server("127.0.0.1", 80, None)
    walk = r.directory_walk(view, f"{tmp_path}/www/sub/")
    opts = walk.config.get("Options").opts
    assert opts & 1 and not opts & 4 and opts & 64   # Indexes, no FollowSymLinks, OwnerMatch
    # Components below www need lstat (www's options lack FollowSymLinks).
    policies = dict(walk.symlink_checks)
    assert policies[f"{tmp_path}/www/sub"] == NO_SYMLINKS
    assert f"{tmp_path}/www" not in policies


def test_allowoverride_none_probes_nothing(tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / ".htaccess").write_text("DirectoryIndex from-htaccess\n")
    r = make(tmp_path, "<Directory />\nAllowOverride None\n</Directory>\n")
    view = r.select_server("127.0.0.1", 80, None)
    walk = r.directory_walk(view, f"{tmp_path}/www/")
    assert walk.htaccess_probes == ()
    assert walk.config.get("DirectoryIndex") == ("index.html",)


def test_htaccess_is_read_and_changes_are_seen(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    r = make(tmp_path, f"<Directory {www}>\nAllowOverride All\n</Directory>\n")
    view = r.select_server("127.0.0.1", 80, None)
    assert r.directory_walk(view, f"{www}/").config.get("DirectoryIndex") == ("index.html",)
    (www / ".htaccess").write_text("DirectoryIndex one.html\n")
    assert r.directory_walk(view, f"{www}/").config.get("DirectoryIndex") == ("one.html",)
    assert r.directory_walk(view, f"{www}/").config.get("DirectoryIndex") == ("one.html",)
    assert r.stats["htaccess_parsed"] == 1   # the second hit came from the cache
    (www / ".htaccess").write_text("DirectoryIndex two-two.html\n")
    assert r.directory_walk(view, f"{www}/").config.get("DirectoryIndex") == ("two-two.html",)
    os.unlink(www / ".htaccess")
    assert r.directory_walk(view, f"{www}/").config.get("DirectoryIndex") == ("index.html",)


def test_htaccess_directive_outside_allowed_class(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / ".htaccess").write_text("\nOptions +Indexes\n")
    r = make(tmp_path, f"<Directory {www}>\nAllowOverride FileInfo\n</Directory>\n")
    walk = r.directory_walk(r.select_server("127.0.0.1", 80, None), f"{www}/")
    assert walk.error is not None and walk.error.status == 500
    assert walk.error.message == f"{www}/.htaccess: Options not allowed here"


def test_htaccess_syntax_error(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / ".htaccess").write_text("<Files x>\n")
    r = make(tmp_path, f"<Directory {www}>\nAllowOverride All\n</Directory>\n")
    walk = r.directory_walk(r.select_server("127.0.0.1", 80, None), f"{www}/")
    assert walk.error.message.endswith("<Files> was not closed.")


def test_files_inside_htaccess(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / ".htaccess").write_text('<Files "a.txt">\nDirectoryIndex from-ht-files\n</Files>\n')
    r = make(tmp_path, f"<Directory {www}>\nAllowOverride All\n</Directory>\n")
    view = r.select_server("127.0.0.1", 80, None)
    assert r.resolve(view, f"{www}/a.txt", "/a.txt").get("DirectoryIndex") == ("from-ht-files",)
    assert r.resolve(view, f"{www}/b.txt", "/b.txt").get("DirectoryIndex") == ("index.html",)


def test_name_based_vhosts(tmp_path):
    r = make(tmp_path, """
<VirtualHost *:8080>
    ServerName first.example
</VirtualHost>
<VirtualHost *:8080>
    ServerName second.example
    ServerAlias *.second.example
</VirtualHost>
<VirtualHost 127.0.0.2:8080>
    ServerName ip.example
</VirtualHost>
""")
    assert r.select_server("127.0.0.1", 8080, "second.example").name == "second.example"
    assert r.select_server("127.0.0.1", 8080, "www.second.example:8080").name == "second.example"
    assert r.select_server("127.0.0.1", 8080, "nomatch.example").name == "first.example"
    assert r.select_server("127.0.0.2", 8080, "second.example").name == "ip.example"
    assert r.select_server("127.0.0.1", 9999, "second.example").vhost is None


def test_location_prefix_boundary(tmp_path):
    r = make(tmp_path, "<Location /foo>\nDirectoryIndex loc\n</Location>\n")
    view = r.select_server("127.0.0.1", 80, None)
    assert r.resolve(view, None, "/foo/bar").get("DirectoryIndex") == ("loc",)
    assert r.resolve(view, None, "/foo").get("DirectoryIndex") == ("loc",)
    assert r.resolve(view, None, "/foobar").get("DirectoryIndex") == ("index.html",)
