"""Basic authentication: Debian's apache2 against apyche.server.authn.

Starts ``/usr/sbin/apache2`` in the foreground on a free 127.0.0.1 port with
mod_auth_basic, mod_authn_file, mod_authn_core, mod_authz_user,
mod_authz_groupfile and mod_authz_core, an AuthUserFile written by the real
``htpasswd`` (every hash type; the fixed hashes of tests/authn when htpasswd
is absent) plus hand-written lines that pin down the file reader, and an
AuthGroupFile.  Every case of ``CASES`` is sent once; Apache's status,
WWW-Authenticate and the AH lines it wrote to the error log for that request
are compared with :func:`decide`, which uses only apyche.server.authn.

``CASES`` / ``LOCATIONS`` / ``decide`` are meant to be reused by the server
tests: ``decide(case, files)`` is what apyche has to answer.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from apyche.logs.errorlog import escape_errorlog_item  # noqa: E402
from apyche.server import authn as a  # noqa: E402
from tests.authn.fixed_hashes import FIXED, HTPASSWD_FLAGS  # noqa: E402
from tests.server.harness import APACHE, MODDIR, apache_missing, free_port as _free_port  # noqa: E402,E501

HTPASSWD = shutil.which("htpasswd")
NEEDED = ["mod_mpm_event.so", "mod_authn_core.so", "mod_authz_core.so", "mod_auth_basic.so",
          "mod_authn_file.so", "mod_authz_user.so", "mod_authz_groupfile.so", "mod_alias.so"]

# --- the files ---------------------------------------------------------------

SHA = FIXED["sha1"]                       # password pw-sha1
LONG_OK = "len8190:" + SHA + ":" + "x" * (8190 - len(SHA) - 9)
LONG_BAD = "len8191:" + SHA + ":" + "x" * (8191 - len(SHA) - 9)
assert len(LONG_OK) == 8190 and len(LONG_BAD) == 8191

# bcrypt variants with 8-bit passwords: $2a$/$2y$ go to APR's own
# crypt_blowfish, $2x$/$2b$ to libxcrypt (the 'a' safety and 'x' bug modes)
BYTE_PW = b"\xff\xa334\xff\xff\xff\xa3345"      # $2a$ safety differs here
BCRYPT8 = {sub: a.bcrypt_hash(BYTE_PW, b"$2%s$04$abcdefghijklmnopqrstuu" % sub).decode()
           for sub in (b"a", b"y", b"x", b"b")}
BCRYPT8_LINES = "".join(f"bf8{sub.decode()}:{h}\n" for sub, h in BCRYPT8.items())

# lines after the htpasswd-made users; each user's password is pw-<user>
EXTRA_LINES = (
    "# a comment line\n"
    "\n"
    f"   spaced:{SHA}   \n"
    f"dup:{SHA}\n"
    f"dup:{FIXED['md5']}\n"                          # the first line wins
    "nohash\n"
    f"colons:::{SHA}\n"
    f"extra:{SHA}:more:fields\n"
    f"cont:{SHA[:10]}\\\n{SHA[10:]}\n"               # backslash continuation
    f"crlf:{SHA}\r\n"
    f"b2b:{FIXED['b2b']}\n"
    f"md5crypt:{FIXED['md5crypt']}\n"
    f"Case:{SHA}\n"
    f":{SHA}\n"                                      # the empty user name
    + BCRYPT8_LINES +
    f"{LONG_OK}\n"
    f"beforelong:{SHA}\n"
    f"{LONG_BAD}\n"                                  # authn_file stops reading here
    f"afterlong:{SHA}\n"
)


PASSWORDS = {"spaced": "pw-sha1", "dup": "pw-sha1", "colons": "pw-sha1", "extra": "pw-sha1",
             "cont": "pw-sha1", "crlf": "pw-sha1", "Case": "pw-sha1", "": "pw-sha1",
             "len8190": "pw-sha1", "beforelong": "pw-sha1", "afterlong": "pw-sha1",
             "b2b": "pw-b2b", "md5crypt": "pw-md5crypt", "nohash": ""}

GROUPS = (
    "# groups\n"
    "admins: md5 bcrypt4 \"sha1\"\n"
    "staff:sha256\n"
    "Spaced Group  :  crypt\n"
    "admins: sha512\n"
)


@dataclass(frozen=True)
class Location:
    auth_name: str
    require: tuple            # ("valid-user",) | ("user", names...) | ("group", names...)
    userfile: str = "htpasswd"
    groupfile: str | None = None


LOCATIONS = {
    "valid": Location("Secret Zone", ("valid-user",)),
    "user": Location("Secret Zone", ("user", "md5", "bcrypt")),
    "group": Location("Secret Zone", ("group", "admins"), groupfile="groups"),
    "group2": Location("Secret Zone", ("group", "ADMINS", "nogroup"), groupfile="groups"),
    "group3": Location("Secret Zone", ("group", "Spaced Group"), groupfile="groups"),
    "nogroupfile": Location("Secret Zone", ("group", "admins"), groupfile="missing-groups"),
    "quote": Location('Say "hi"', ("valid-user",)),
    "nofile": Location("Secret Zone", ("valid-user",), userfile="missing-htpasswd"),
}


def _conf_word(s: str) -> str:
    return "'" + s + "'" if '"' in s else '"' + s + '"'


def _b64(s: str | bytes) -> str:
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def basic(user: str, pw: str) -> str:
    return "Basic " + _b64(f"{user}:{pw}")


@dataclass(frozen=True)
class Case:
    name: str
    location: str
    authorization: str | tuple[str, ...] | None   # a tuple: repeated headers

    @property
    def header_value(self) -> str | None:
        """The value Apache's headers_in holds: repeats joined with ", "."""
        if isinstance(self.authorization, tuple):
            return ", ".join(self.authorization)
        return self.authorization


def _cases() -> list[Case]:
    out: list[Case] = []
    users = sorted(HTPASSWD_FLAGS) + sorted(PASSWORDS)
    for u in users:
        pw = PASSWORDS.get(u, f"pw-{u}")
        out.append(Case(f"good-{u or 'EMPTY'}", "valid", basic(u, pw)))
        out.append(Case(f"bad-{u or 'EMPTY'}", "valid", basic(u, pw + "-wrong")))
    out += [
        Case("none", "valid", None),
        Case("unknown", "valid", basic("nosuchuser", "x")),
        Case("lower-scheme", "valid", "basic " + _b64("md5:pw-md5")),
        Case("upper-scheme", "valid", "BASIC  \t " + _b64("md5:pw-md5")),
        Case("digest", "valid", "Digest username=\"md5\""),
        Case("bearer", "valid", "Bearer abc"),
        Case("empty-header", "valid", ""),
        Case("scheme-only", "valid", "Basic"),
        Case("tab-after-scheme", "valid", "Basic\t" + _b64("md5:pw-md5")),
        Case("garbage", "valid", "Basic !!!!"),
        Case("no-colon", "valid", "Basic " + _b64("md5")),
        Case("two-colons", "valid", basic("md5", "pw-md5:x")),
        Case("trailing-junk", "valid", "Basic " + _b64("sha1:pw-sha1") + "junk"),
        Case("unpadded", "valid", "Basic " + _b64("sha1:pw-sha1").rstrip("=")),
        Case("nul-in-user", "valid", "Basic " + _b64(b"sha1\0x:pw-sha1")),
        Case("case-user", "valid", basic("case", "pw-sha1")),
        Case("empty-user-header", "valid", "Basic " + _b64(":pw-sha1")),
        Case("two-headers-good-first", "valid", (basic("md5", "pw-md5"), basic("x", "y"))),
        Case("two-headers-bad-first", "valid", (basic("x", "y"), basic("md5", "pw-md5"))),
        Case("trailing-spaces", "valid", basic("md5", "pw-md5") + "   "),
        Case("non-ascii-user", "valid", basic("üser", "x")),
        Case("latin1-user", "valid", "Basic " + _b64(b"caf\xe9:x")),
        *(Case(f"bcrypt-8bit-{sub}", "valid",
               "Basic " + _b64(b"bf8" + sub.encode() + b":" + BYTE_PW))
          for sub in "ayxb"),
        *(Case(f"bcrypt-8bit-{sub}-bad", "valid",
               "Basic " + _b64(b"bf8" + sub.encode() + b":" + BYTE_PW[:-1]))
          for sub in "ayxb"),
        Case("user-allowed", "user", basic("md5", "pw-md5")),
        Case("user-allowed-bcrypt", "user", basic("bcrypt", "pw-bcrypt")),
        Case("user-refused", "user", basic("sha1", "pw-sha1")),
        Case("user-bad-pw", "user", basic("md5", "nope")),
        Case("user-none", "user", None),
        Case("group-member", "group", basic("md5", "pw-md5")),
        Case("group-quoted-member", "group", basic("sha1", "pw-sha1")),
        Case("group-second-line", "group", basic("sha512", "pw-sha512")),
        Case("group-other", "group", basic("sha256", "pw-sha256")),
        Case("group-none", "group", basic("bcrypt", "pw-bcrypt")),
        Case("group-nouser", "group", None),
        Case("group-case-blind", "group2", basic("md5", "pw-md5")),
        Case("group-spaced", "group3", basic("crypt", "pw-crypt")),
        Case("group-file-missing", "nogroupfile", basic("md5", "pw-md5")),
        Case("quote-realm", "quote", None),
        Case("quote-realm-bad", "quote", basic("md5", "x")),
        Case("no-userfile", "nofile", basic("md5", "pw-md5")),
    ]
    return out


CASES = _cases()


def write_files(root: Path) -> dict[str, Path]:
    """The password and group files; htpasswd makes the hashes when present."""
    pw = root / "htpasswd"
    pw.write_text("")
    lines = []
    for user, flags in HTPASSWD_FLAGS.items():
        h = None
        if HTPASSWD:
            r = subprocess.run([HTPASSWD, "-n", "-b", *flags, user, f"pw-{user}"],
                               capture_output=True, timeout=60)
            if r.returncode == 0:
                h = r.stdout.decode().strip().split(":", 1)[1]
        if h is None:
            h = FIXED.get(user) or FIXED["md5" if not flags else "bcrypt4"]
            if user not in FIXED:
                continue
        lines.append(f"{user}:{h}\n")
    pw.write_text("".join(lines) + EXTRA_LINES)
    (root / "groups").write_text(GROUPS)
    return {"htpasswd": pw, "groups": root / "groups"}


# --- what apyche decides -----------------------------------------------------

@dataclass
class Decision:
    status: int
    www_authenticate: str | None
    logs: list[str]          # "AH01618: user x not found: /valid/f.txt"
    errnos: list[int | None]


def decide(case: Case, root: Path, cache: dict | None = None) -> Decision:
    """What Apache answers, from apyche.server.authn alone."""
    loc = LOCATIONS[case.location]
    uri = f"/{case.location}/f.txt"
    cache = {} if cache is None else cache
    key = ("pw", loc.userfile)
    if key not in cache:
        cache[key] = a.PasswordFile(str(root / loc.userfile))
    out = a.authenticate(case.header_value, loc.auth_name, uri, cache[key])
    logs = list(out.logs)
    if out.status:
        return Decision(out.status, out.www_authenticate, [e.text for e in logs],
                        [e.status for e in logs])
    user = out.user or ""
    kind, *args = loc.require
    granted = True
    if kind == "user":
        granted = user in args
        if not granted:
            logs.append(a.msg_user_not_required(user, uri))
    elif kind == "group":
        gk = ("group", loc.groupfile)
        if gk not in cache:
            cache[gk] = a.GroupFile(str(root / loc.groupfile))
        granted, more = cache[gk].authorize(user, list(args), uri)
        logs += more
    if granted:
        return Decision(200, None, [e.text for e in logs], [e.status for e in logs])
    logs.append(a.msg_authz_failure(user, uri))
    return Decision(401, a.www_authenticate(loc.auth_name), [e.text for e in logs],
                    [e.status for e in logs])


# --- Apache ------------------------------------------------------------------

def _skip_reason() -> str | None:
    return apache_missing(NEEDED)


def _config(root: Path, port: int) -> str:
    docroot = root / "htdocs"
    lines = [
        f"ServerRoot {root}", f"DefaultRuntimeDir {root}", f"PidFile {root}/httpd.pid",
        f"Mutex file:{root} default", f"Listen 127.0.0.1:{port}", "ServerName localhost",
        *(f"LoadModule {m[4:-3]}_module {MODDIR / m}" for m in NEEDED),
        "User nobody", "Group nogroup", f"ErrorLog {root}/error.log",
        "LogLevel info authz_user:debug authz_groupfile:debug",
        "KeepAlive Off", f"DocumentRoot {docroot}",
        "<Directory />", "  Require all denied", "</Directory>",
    ]
    for name, loc in LOCATIONS.items():
        lines += [f"Alias /{name}/ {docroot}/", f"<Location /{name}/>",
                  "  AuthType Basic", f"  AuthName {_conf_word(loc.auth_name)}",
                  f"  AuthUserFile {root / loc.userfile}"]
        if loc.groupfile:
            lines.append(f"  AuthGroupFile {root / loc.groupfile}")
        lines += ["  Require " + " ".join(_conf_word(w) if " " in w else w
                                          for w in loc.require), "</Location>"]
    return "\n".join(lines) + "\n"


@dataclass
class Observed:
    status: int
    www_authenticate: str | None
    logs: list[str]
    errnos: list[int | None]


_LOG_RE = re.compile(r"^\[[^]]*\] \[(?P<mod>[a-z_]+):[a-z0-9]+\] \[pid [^]]*\] "
                     r"(?:\S+\.c\(\d+\): )?(?:\((?P<errno>-?\d+)\)[^:]*: )?(?:\[client [^]]*\] )?"
                     r"(?P<ah>AH\d{5}: .*)$")
_CODES = {"AH01614", "AH01615", "AH01617", "AH01618", "AH01619", "AH01620", "AH00554",
          "AH01663", "AH01664", "AH01665", "AH01666", "AH01667", "AH01629", "AH01631"}


def _request(port: int, target: str, authorization) -> tuple[int, str | None]:
    head = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    if authorization is not None:
        for value in (authorization if isinstance(authorization, tuple) else (authorization,)):
            head += f"Authorization: {value}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.settimeout(10)
        s.sendall((head + "\r\n").encode("utf-8"))
        data = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            c = s.recv(65536)
            if not c:
                break
            data += c
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    www = None
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "www-authenticate":
            www = v.strip()
    return status, www


class _RunningApache:
    """A configured apache2 in the foreground; stopped by its PID."""

    def __enter__(self):
        self.root = Path(tempfile.mkdtemp(prefix="apyche-auth-"))
        self.proc = None
        os.chmod(self.root, 0o755)
        (self.root / "htdocs").mkdir()
        (self.root / "htdocs" / "f.txt").write_text("secret\n")
        write_files(self.root)
        for p in self.root.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        self.port = _free_port()
        conf = self.root / "httpd.conf"
        conf.write_text(_config(self.root, self.port))
        env = {**os.environ, "TZ": "UTC"}
        check = subprocess.run([APACHE, "-t", "-f", str(conf)], capture_output=True,
                               text=True, timeout=30, env=env)
        if check.returncode != 0:
            self.__exit__()
            pytest.skip(f"apache2 rejected the test config: {check.stderr.strip()}")
        self.proc = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                self.__exit__()
                pytest.skip(f"apache2 exited at startup: {err}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.__exit__()
                    pytest.skip("apache2 did not start listening within 15 s")
                time.sleep(0.05)
        return self

    def observe(self, case: Case) -> Observed:
        log = self.root / "error.log"
        before = log.stat().st_size if log.exists() else 0
        status, www = _request(self.port, f"/{case.location}/f.txt", case.authorization)
        # the AH lines are written before the response; allow a short settle
        time.sleep(0.02)
        with open(log, "rb") as fh:
            fh.seek(before)
            new = fh.read().decode("utf-8", "replace").splitlines()
        logs, errnos = [], []
        for ln in new:
            m = _LOG_RE.match(ln)
            if m and m.group("ah")[:7] in _CODES:
                logs.append(m.group("ah").rstrip())
                errnos.append(int(m.group("errno")) if m.group("errno") else None)
        return Observed(status, www, logs, errnos)

    def __exit__(self, *exc):
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)       # our own PID only
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)
        return False


@pytest.fixture(scope="module")
def apache():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with _RunningApache() as run:
        yield run


@pytest.fixture(scope="module")
def decide_cache():
    return {}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_auth_matches_apache(apache, decide_cache, case):
    seen = apache.observe(case)
    want = decide(case, apache.root, decide_cache)
    assert (seen.status, seen.www_authenticate) == (want.status, want.www_authenticate)
    # the error log escapes the message (non-ASCII bytes as \\xNN)
    assert seen.logs == [escape_errorlog_item(t).rstrip() for t in want.logs]
    assert seen.errnos == want.errnos
