"""apyche explain on a config that uses every kind of section."""

from __future__ import annotations

import json
import subprocess
import sys

from apyche.config.walk import load_config
from apyche.explain import explain
from apyche.server.site import Site


def make(tmp_path):
    www = tmp_path / "www"
    (www / "sub").mkdir(parents=True)
    (www / "sub" / "page.html").write_text("x")
    (www / "sub" / ".htaccess").write_text("DirectoryIndex from-htaccess.html\n")
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"""\
ServerName main.example
ErrorLog {tmp_path}/logs/error.log
DocumentRoot {www}
<Directory />
    Options SymLinksIfOwnerMatch
    AllowOverride None
</Directory>
<Directory {www}/sub>
    AllowOverride Indexes
</Directory>
<DirectoryMatch "^{www}/s">
    AddDefaultCharset UTF-8
</DirectoryMatch>
<Files page.html>
    FileETag None
</Files>
<FilesMatch "\\.html$">
    ServerSignature On
</FilesMatch>
<Location /sub>
    DirectorySlash Off
</Location>
<LocationMatch "^/sub/p">
    MaxRanges 3
</LocationMatch>
<VirtualHost 127.0.0.1:80>
    ServerName vhost.example
    DocumentRoot {www}
    HostnameLookups Double
</VirtualHost>
""")
    return Site(load_config(str(conf), str(tmp_path), env={})), conf, www


def test_explain_lists_every_section_in_merge_order(tmp_path):
    site, conf, www = make(tmp_path)
    data = explain(site, "/sub/page.html", host="vhost.example")
    assert data["server"]["name"] == "vhost.example"
    assert "ServerName/ServerAlias matches" in data["server"]["why"]
    assert data["mapping"]["filename"] == f"{www}/sub/page.html"
    applied = data["applied"]
    kinds = ["server config", "<VirtualHost>", '<Directory "/">', f'<Directory "{www}/sub/">',
             f"{www}/sub/.htaccess", "<DirectoryMatch", "<Files", "<FilesMatch",
             "<Location ", "<LocationMatch"]
    positions = [next(i for i, label in enumerate(applied) if label.startswith(k)) for k in kinds]
    assert positions == sorted(positions)
    assert data["directives"]["DirectoryIndex"]["set_at"] == f"{www}/sub/.htaccess:1"
    assert data["directives"]["MaxRanges"]["value"] == "3"
    cost = data["cost"]
    assert cost["lstat_calls"] == len(f"{www}/sub/page.html".strip("/").split("/"))
    assert cost["htaccess_probes"] == [f"{www}/sub/.htaccess"]
    assert cost["dns_lookup"].startswith("double reverse")
    site.logs.close()


def test_explain_main_server_and_redirect(tmp_path):
    site, conf, www = make(tmp_path)
    data = explain(site, "/sub/page.html", host="other.example", local=("127.0.0.2", 80))
    assert data["server"]["defined"] == "main server"
    assert data["cost"]["dns_lookup"] == "none"
    site.logs.close()


def test_explain_cli_json(tmp_path):
    site, conf, www = make(tmp_path)
    site.logs.close()
    out = subprocess.run([sys.executable, "-m", "apyche", "explain", "-f", str(conf),
                          "-H", "vhost.example", "--json", "/sub/page.html"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["mapping"]["filename"].endswith("/sub/page.html")
    text = subprocess.run([sys.executable, "-m", "apyche", "explain", "-f", str(conf),
                           "/sub/page.html"], capture_output=True, text=True, timeout=60)
    assert "Applied, in merge order:" in text.stdout
    assert "lstat() calls:" in text.stdout


def test_explain_shows_the_rules_that_decide_access(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"""\
ServerName x
ErrorLog {tmp_path}/logs/error.log
DocumentRoot {www}
<Directory {www}>
    <RequireAll>
        Require ip 127.0.0.0/8
        Require not ip 127.0.0.2
    </RequireAll>
</Directory>
<Directory {www}/h>
    Require host example.com
</Directory>
""")
    site = Site(load_config(str(conf), str(tmp_path), env={}))
    data = explain(site, "/f.txt", client="127.0.0.1")
    access = data["access"]
    assert access["decision_for_client"] == "granted"
    assert access["decided_at"] == f'<Directory "{www}/"> ({conf}:4)'
    assert any("Require ip 127.0.0.0/8  -> granted" in line for line in access["require"])
    assert explain(site, "/f.txt", client="127.0.0.2")["access"]["decision_for_client"] == "denied"
    hosts = explain(site, "/h/x.txt", client="192.0.2.7")["access"]["require"]
    assert any("double-reverse DNS lookup" in line for line in hosts)
    site.logs.close()
