"""configtest --lint: one finding per cost the Performance Notes name, at the
line that causes it, and none for a tuned config."""

from __future__ import annotations

from apyche.config.lint import lint
from apyche.config.walk import load_config


def findings(tmp_path, body):
    (tmp_path / "www").mkdir(exist_ok=True)
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"ServerName x\nErrorLog {tmp_path}/e.log\n"
                    f"DocumentRoot {tmp_path}/www\n" + body)
    return [(f.line, f.cost) for f in lint(load_config(str(conf), str(tmp_path), env={}))]


def test_tuned_config_has_no_findings(tmp_path):
    body = ("HostnameLookups Off\n<Directory />\nOptions FollowSymLinks\n"
            "AllowOverride None\n</Directory>\nDirectoryIndex index.html index.htm\n"
            "KeepAliveTimeout 5\nExtendedStatus Off\nMaxConnectionsPerChild 0\n")
    assert findings(tmp_path, body) == []


def test_defaults_are_tuned(tmp_path):
    assert findings(tmp_path, "") == []


def test_hostname_lookups(tmp_path):
    assert findings(tmp_path, "HostnameLookups On\n") == [(4, "HostnameLookups")]
    assert findings(tmp_path, "HostnameLookups double\n") == [(4, "HostnameLookups")]


def test_host_based_access_rules(tmp_path):
    body = (f"<Directory {tmp_path}/www>\nRequire host example.com\n"
            "Allow from 10.1 192.168.0.0/16 all\nDeny from .evil.example\n</Directory>\n")
    assert sorted(findings(tmp_path, body)) == [(5, "HostnameLookups"), (7, "HostnameLookups")]


def test_symlink_options_cost_lstat(tmp_path):
    body = "<Directory />\nOptions SymLinksIfOwnerMatch\n</Directory>\n"
    assert findings(tmp_path, body) == [(5, "FollowSymLinks")]
    body = "<Directory />\nOptions None\n</Directory>\n"
    assert findings(tmp_path, body) == [(5, "FollowSymLinks")]


def test_symlink_checks_limited_to_docroot_are_reported_there(tmp_path):
    body = (f"<Directory />\nOptions FollowSymLinks\n</Directory>\n"
            f"<Directory {tmp_path}/www>\nOptions -FollowSymLinks +SymLinksIfOwnerMatch\n"
            "</Directory>\n")
    # The docroot itself is reached under FollowSymLinks: only the files and
    # levels below it pay, which the Notes call the better setup - still a
    # cost, reported at the Options that causes it.
    assert findings(tmp_path, body) == [(8, "FollowSymLinks")]


def test_allowoverride_costs_htaccess_probes(tmp_path):
    body = "<Directory />\nAllowOverride All\n</Directory>\n"
    assert findings(tmp_path, body) == [(5, "AllowOverride")]


def test_negotiation(tmp_path):
    assert findings(tmp_path, "DirectoryIndex index\n") == [(4, "Negotiation")]
    body = f"<Directory {tmp_path}/www>\nOptions +MultiViews\n</Directory>\n"
    assert findings(tmp_path, body) == [(5, "Negotiation")]


def test_status_keepalive_and_child_churn(tmp_path):
    body = "ExtendedStatus On\nKeepAliveTimeout 300\nMaxRequestsPerChild 100\n"
    assert findings(tmp_path, body) == [(4, "mod_status"), (5, "KeepAliveTimeout"),
                                        (6, "MaxRequestsPerChild")]
