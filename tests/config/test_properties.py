"""Property tests: whatever the text, reading a config either succeeds or
fails with a ConfigError that names a file and line (or is one of Apache's
location-less whole-config errors) - never another exception."""

from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apyche.config.directives import REGISTRY
from apyche.config.errors import CHECK, RAW, ConfigError
from apyche.config.walk import INTERNAL_ERROR, load_config

PRELUDE = ("LoadModule mpm_event_module mod_mpm_event.so\n"
           "ErrorLog /dev/null\n")

NAMES = sorted(d.name for d in REGISTRY)

SEED_CONFIG = """\
ServerName www.example.com
Listen 127.0.0.1:8080
<IfModule mod_alias.c>
    Alias /icons/ "/usr/share/apache2/icons/"
</IfModule>
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<VirtualHost *:8080>
    ServerName a.example.com
    DocumentRoot /var/www/a
    <Directory /var/www/a>
        Options -Indexes +FollowSymLinks
        AllowOverride FileInfo AuthConfig
    </Directory>
    <FilesMatch "\\.(html|cgi)$">
        HostnameLookups on
    </FilesMatch>
    <Location /status>
        SetHandler server-status
    </Location>
</VirtualHost>
Define FOO bar
<IfDefine FOO>
    ServerAdmin "${FOO}@example.com"
</IfDefine>
KeepAlive On
KeepAliveTimeout 5
"""

line_text = st.text(
    alphabet=st.sampled_from(list("<>/\"'\\#${}:*?[]~!= \tabcXYZ019.-_\r") + ["\n"]),
    max_size=40)


@st.composite
def directive_lines(draw):
    name = draw(st.sampled_from(NAMES))
    args = draw(line_text)
    if name.startswith("<"):
        body = draw(st.lists(directive_lines_flat(), max_size=3))
        close = draw(st.sampled_from([f"</{name[1:]}>", f"</{name[1:].upper()}>",
                                      "</Files>", "", f"</{name[1:]}"]))
        return "\n".join([f"{name} {args}>"] + body + [close])
    return f"{name} {args}"


def directive_lines_flat():
    return st.builds(lambda n, a: f"{n} {a}", st.sampled_from(
        [n for n in NAMES if not n.startswith("<")]), line_text)


@st.composite
def mutated_seed(draw):
    lines = SEED_CONFIG.splitlines()
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["delete", "dup", "insert", "truncate", "char"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "insert":
            lines.insert(i, draw(line_text))
        elif op == "truncate":
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
        else:
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(st.sampled_from(list("<>\"'\\#$ "))) + lines[i][pos:]
    return "\n".join(lines) + "\n"


def _check(body: bytes) -> None:
    with tempfile.TemporaryDirectory() as root:
        conf = os.path.join(root, "httpd.conf")
        with open(conf, "wb") as fh:
            fh.write(PRELUDE.encode() + body)
        try:
            load_config(conf, root, env={})
        except ConfigError as err:
            if err.phase in (CHECK, RAW):
                assert err.message
            else:
                assert err.file and err.line, err.apache_text()
            assert INTERNAL_ERROR not in err.message, err.message
            err.apache_text("apyche")


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(directive_lines(), max_size=8))
def test_random_directives_give_ok_or_located_error(lines):
    _check("\n".join(lines).encode("utf-8", "surrogateescape"))


@SETTINGS
@given(mutated_seed())
def test_mutated_real_config_gives_ok_or_located_error(text):
    _check(text.encode())


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_ok_or_located_error(data):
    _check(data)
