"""End-to-end fixtures: apyche as a real process on a real socket.

``make_site(conf, files)`` writes a config and a document tree into a
temporary directory, picks a free 127.0.0.1 port, starts
``python -m apyche -f CONF -d ROOT`` as a subprocess, waits (bounded) until
it accepts connections and returns a :class:`LiveSite`; every site started
is stopped at teardown (SIGTERM, then SIGKILL after a bound), so no process
is ever left behind.  ``shared_site`` does the same once per test module.

Config text placeholders (plain substitution, so regexes need no escaping):
``@PORT@`` (and ``@PORT2@``, a second free port), ``@ROOT@`` (the server
root given with -d, holding logs/) and ``@DOCROOT@`` (ROOT/htdocs).
:data:`PREAMBLE` (Listen, ServerName, LoadModule lines,
logs, ``<Directory />`` denied) is prepended unless ``preamble=False``.

``APYCHE_E2E_TARGET=apache`` runs the same tests against Debian's apache2
instead (to check that the tests themselves say what Apache does); its tree
then lives in a world-readable directory under /tmp, because apache2's
children run as an unprivileged user.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(HERE.parents[1]))

from tests.server.harness import (REPO, Conn, Response, ServerProcess, free_port,  # noqa: E402
                                  load_modules, read_text, request, wait_for, write_tree)

# Known apyche bugs are marked pytest.mark.xfail(APYCHE, strict=True,
# reason="apyche: ...") - strict for apyche, while against apache2
# (APYCHE_E2E_TARGET=apache) the same test must pass.

TARGET = os.environ.get("APYCHE_E2E_TARGET", "apyche")
APYCHE = TARGET != "apache"

PREAMBLE = f"""\
Listen 127.0.0.1:@PORT@
ServerName localhost
{load_modules()}PidFile @ROOT@/logs/httpd.pid
DefaultRuntimeDir @ROOT@/logs
Mutex file:@ROOT@/logs default
User nobody
Group nogroup
ErrorLog @ROOT@/logs/error.log
LogLevel info
TypesConfig {REPO}/conf.d/mime.types
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\"" combined
CustomLog @ROOT@/logs/access.log common
DocumentRoot @DOCROOT@
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
"""

# A docroot everyone may read, nothing else.
GRANTED = """\
<Directory @DOCROOT@>
    Require all granted
</Directory>
"""


class LiveSite:
    """A running server (apyche, or apache2 per APYCHE_E2E_TARGET) with its
    config, tree and logs."""

    def __init__(self, root: Path, conf: str, files: dict | None = None,
                 preamble: bool = True, setup=None) -> None:
        self.root = root
        self.docroot = root / "htdocs"
        self.logs = root / "logs"
        self.docroot.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        write_tree(self.docroot, files or {})
        if setup is not None:
            setup(self)
        self.port = free_port()
        self.port2 = free_port()
        while self.port2 == self.port:  # pragma: no cover
            self.port2 = free_port()
        text = (PREAMBLE if preamble else "") + conf
        self.conf_text = self.expand(text)
        self.conf = root / "httpd.conf"
        self.conf.write_text(self.conf_text)
        self.server = ServerProcess(self.conf, root, self.port, TARGET)

    def expand(self, text: str) -> str:
        return (text.replace("@PORT@", str(self.port)).replace("@PORT2@", str(self.port2))
                .replace("@DOCROOT@", str(self.docroot))
                .replace("@ROOT@", str(self.root)))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LiveSite":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    # -- requests ----------------------------------------------------------
    def get(self, target: str, headers=None, **kw) -> Response:
        return request(self.port, "GET", target, headers, **kw)

    def head(self, target: str, headers=None, **kw) -> Response:
        return request(self.port, "HEAD", target, headers, **kw)

    def request(self, method: str, target: str, headers=None, **kw) -> Response:
        return request(self.port, method, target, headers, **kw)

    def conn(self) -> Conn:
        return Conn(self.port)

    # -- files and logs ----------------------------------------------------
    def write(self, rel: str, content) -> Path:
        write_tree(self.docroot, {rel: content})
        return self.docroot / rel

    def error_log(self) -> str:
        return read_text(self.logs / "error.log")

    def access_log(self) -> str:
        return read_text(self.logs / "access.log")

    def wait_error(self, needle: str, timeout: float = 5.0) -> str:
        """The error log once it contains *needle* (bounded wait)."""
        return wait_for(lambda: needle in self.error_log() and self.error_log(),
                        timeout) or self.error_log()

    def wait_access_lines(self, n: int, timeout: float = 5.0,
                          name: str = "access.log") -> list[str]:
        def lines():
            found = read_text(self.logs / name).splitlines()
            return found if len(found) >= n else None
        return wait_for(lines, timeout) or read_text(self.logs / name).splitlines()


def _new_root(make_tmp) -> Path:
    # Both servers drop root for "User nobody" (apyche's workers do as
    # Apache's children do), so the tree must be readable by everyone: a
    # root-only pytest tmp dir would answer 403 for every file.
    root = Path(tempfile.mkdtemp(prefix="apyche-e2e-"))
    os.chmod(root, 0o755)
    return root


def _make_fixture(make_tmp):
    started: list[LiveSite] = []

    def factory(conf: str, files: dict | None = None, **kw) -> LiveSite:
        site = LiveSite(_new_root(make_tmp), conf, files, **kw)
        started.append(site)
        for p in [site.root, *site.root.rglob("*")]:
            if not p.is_symlink():
                os.chmod(p, p.stat().st_mode | (0o755 if p.is_dir() else 0o644))
        return site.start()

    def stop_all():
        for site in started:
            site.stop()
            shutil.rmtree(site.root, ignore_errors=True)
    return factory, stop_all


@pytest.fixture
def make_site(tmp_path):
    counter = iter(range(1000))

    def make_tmp():
        root = tmp_path / f"site{next(counter)}"
        root.mkdir()
        return root
    factory, stop_all = _make_fixture(make_tmp)
    yield factory
    stop_all()


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory):
    """Like make_site, one server per test module."""
    factory, stop_all = _make_fixture(lambda: tmp_path_factory.mktemp("shared"))
    yield factory
    stop_all()


__all__ = ["APYCHE", "GRANTED", "LiveSite", "PREAMBLE", "TARGET", "make_site", "shared_site"]
