"""AuthUserFile / AuthGroupFile reading, reloading, the Authorization
header, the 401 challenge and the log messages."""

from __future__ import annotations

import base64
import errno
import os

import pytest

from apyche.server import authn as a

from .fixed_hashes import FIXED

SHA = FIXED["sha1"]          # password pw-sha1
MD5 = FIXED["md5"]           # password pw-md5


def _pf(tmp_path, data: bytes | str, name="htpasswd") -> a.PasswordFile:
    p = tmp_path / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return a.PasswordFile(str(p), cache=a.VerifyCache())


# --- AuthUserFile ------------------------------------------------------------

def test_comments_blank_lines_whitespace(tmp_path):
    f = _pf(tmp_path, f"# comment\n\n   \n  # indented comment\n"
                      f"  spaced:{SHA}   \n\tcrlf:{SHA}\r\n")
    assert f.check("spaced", "pw-sha1") == "granted"
    assert f.check("crlf", "pw-sha1") == "granted"
    assert f.check("# comment", "x") == "user-not-found"


def test_first_duplicate_wins(tmp_path):
    f = _pf(tmp_path, f"dup:{SHA}\ndup:{MD5}\n")
    assert f.check("dup", "pw-sha1") == "granted"
    assert f.check("dup", "pw-md5") == "mismatch"


def test_colons(tmp_path):
    f = _pf(tmp_path, f"colons:::{SHA}\nextra:{SHA}:more:fields\nnohash\nempty:\n"
                      f":{SHA}\n")
    assert f.check("colons", "pw-sha1") == "granted"      # a run of ':' is skipped
    assert f.check("extra", "pw-sha1") == "granted"       # the hash ends at ':'
    assert f.check("nohash", "") == "mismatch"            # found, empty hash
    assert f.check("nohash", "x") == "mismatch"
    assert f.check("empty", "") == "mismatch"
    assert f.check("", "pw-sha1") == "granted"            # the empty user name
    assert f.hash_of("nohash") == b""


def test_user_is_case_and_space_sensitive(tmp_path):
    f = _pf(tmp_path, f"Bob:{SHA}\nsp ace :{SHA}\n")
    assert f.check("bob", "pw-sha1") == "user-not-found"
    assert f.check("Bob", "pw-sha1") == "granted"
    assert f.check("sp ace ", "pw-sha1") == "granted"
    assert f.check("sp ace", "pw-sha1") == "user-not-found"


def test_backslash_continuation(tmp_path):
    half = len(SHA) // 2
    f = _pf(tmp_path, f"cont:{SHA[:half]}\\\n{SHA[half:]}\nnext:{SHA}\n"
                      f"crcont:{SHA[:half]}\\\r\n{SHA[half:]}\n")
    assert f.check("cont", "pw-sha1") == "granted"
    assert f.check("next", "pw-sha1") == "granted"
    assert f.check("crcont", "pw-sha1") == "granted"


def test_no_final_newline_and_trailing_backslash(tmp_path):
    f = _pf(tmp_path, f"a:{SHA}\nlast:{SHA}")
    assert f.check("last", "pw-sha1") == "granted"
    f = _pf(tmp_path, f"a:{SHA}\\\n", name="p2")
    assert f.check("a", "pw-sha1") == "granted"


def test_long_line_stops_reading(tmp_path):
    # a line of 8190 bytes is read; one of 8191 ends authn_file's loop
    ok = "ok:" + SHA + ":" + "x" * (8190 - len(SHA) - 4)
    assert len(ok) == 8190
    bad = "bad:" + SHA + ":" + "x" * (8191 - len(SHA) - 5)
    assert len(bad) == 8191
    f = _pf(tmp_path, f"{ok}\nbefore:{SHA}\n{bad}\nafter:{SHA}\n")
    assert f.check("ok", "pw-sha1") == "granted"
    assert f.check("before", "pw-sha1") == "granted"
    assert f.check("bad", "pw-sha1") == "user-not-found"
    assert f.check("after", "pw-sha1") == "user-not-found"


def test_nul_in_line(tmp_path):
    f = _pf(tmp_path, b"nul:" + SHA.encode() + b"\0junk\nnext:" + SHA.encode() + b"\n")
    assert f.check("nul", "pw-sha1") == "granted"
    assert f.check("next", "pw-sha1") == "granted"


def test_non_utf8_names_round_trip(tmp_path):
    f = _pf(tmp_path, b"caf\xe9:" + SHA.encode() + b"\n")
    user, pw = a.parse_basic("Basic " + base64.b64encode(b"caf\xe9:pw-sha1").decode())
    assert f.check(user, pw) == "granted"


def test_reload_on_change(tmp_path):
    p = tmp_path / "htpasswd"
    p.write_text(f"u:{SHA}\n")
    f = a.PasswordFile(str(p), cache=a.VerifyCache())
    assert f.check("u", "pw-sha1") == "granted"
    assert f.check("u", "pw-sha1") == "granted"
    assert f.loads == 1
    p.write_text(f"u:{MD5}\n")           # same second, other size
    assert f.check("u", "pw-md5") == "granted"
    assert f.loads == 2
    # same size, new inode (rename into place, as htpasswd does)
    q = tmp_path / "new"
    q.write_text(f"v:{MD5}\n")
    os.replace(q, p)
    assert f.check("v", "pw-md5") == "granted"
    assert f.check("u", "pw-md5") == "user-not-found"
    # same inode, same size, new mtime
    p.write_text(f"w:{MD5}\n")
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert f.check("w", "pw-md5") == "granted"


def test_missing_file_is_error(tmp_path):
    f = a.PasswordFile(str(tmp_path / "nope"))
    res, logs = f.check_verbose("u", "p")
    assert res == "error"
    assert [e.text for e in logs] == [f"AH01620: Could not open password file: {tmp_path}/nope"]
    assert logs[0].status == errno.ENOENT and logs[0].module == "authn_file"


def test_directory_is_not_regular(tmp_path):
    f = a.PasswordFile(str(tmp_path))
    res, logs = f.check_verbose("u", "p")
    assert res == "error"
    assert [e.code for e in logs] == [554, 1620]
    assert logs[1].status == errno.EBADF


def test_authenticate_flow(tmp_path):
    f = _pf(tmp_path, f"u:{SHA}\n")
    hdr = "Basic " + base64.b64encode(b"u:pw-sha1").decode()
    assert a.authenticate(hdr, "Zone", "/x", f).status == 0
    o = a.authenticate(None, "Zone", "/x", f)
    assert (o.status, o.logs, o.www_authenticate) == (401, (), 'Basic realm="Zone"')
    o = a.authenticate("Basic " + base64.b64encode(b"u:bad").decode(), "Zone", "/x", f)
    assert o.status == 401 and o.user == "u"
    assert [e.text for e in o.logs] == [
        'AH01617: user u: authentication failure for "/x": Password Mismatch']
    o = a.authenticate("Basic " + base64.b64encode(b"v:bad").decode(), "Zone", "/x", f)
    assert [e.text for e in o.logs] == ["AH01618: user v not found: /x"]
    o = a.authenticate("Bearer xyz", "Zone", "/x", f)
    assert [e.text for e in o.logs] == [
        "AH01614: client used wrong authentication scheme: /x"]
    assert a.authenticate(hdr, None, "/x", f).status == 500
    assert a.authenticate(hdr, "Z", "/x", None).logs[0].code == 1619
    o = a.authenticate(hdr, "Z", "/x", a.PasswordFile(str(tmp_path / "missing")))
    assert o.status == 500 and o.www_authenticate is None


# --- AuthGroupFile -----------------------------------------------------------

def _gf(tmp_path, text: str) -> a.GroupFile:
    p = tmp_path / "groups"
    p.write_text(text)
    return a.GroupFile(str(p))


def test_group_file_parsing(tmp_path):
    g = _gf(tmp_path, "# comment\nadmins: alice bob\nstaff:alice\n"
                      "Spaced Group  :  carol\n"
                      'quoted: "dan d" \'e\\\'ve\' back\\\\slash\n'
                      "colons::: frank\n"
                      "nocolon alice\n"
                      "  indented:  gina  \n"
                      "admins: hank\n"
                      "cont: ian \\\n jo\n")
    assert g.groups_of("alice") == {"admins", "staff"}
    assert g.groups_of("bob") == {"admins"}
    assert g.groups_of("carol") == {"Spaced Group"}
    assert g.groups_of("dan d") == {"quoted"}
    assert g.groups_of("e've") == {"quoted"}
    assert g.groups_of("back\\slash") == {"quoted"}
    assert g.groups_of("frank") == {"colons"}
    assert g.groups_of("gina") == {"indented"}
    assert g.groups_of("hank") == {"admins"}
    assert g.groups_of("jo") == {"cont"} and g.groups_of("ian") == {"cont"}
    assert g.groups_of("Alice") == set()
    assert g.groups_of("nobody") == set()


def test_group_authorize(tmp_path):
    g = _gf(tmp_path, "admins: alice\nstaff: bob\n")
    assert g.authorize("alice", ["admins"], "/g") == (True, [])
    assert g.authorize("alice", ["ADMINS"], "/g") == (True, [])   # apr_table: case-blind
    assert g.authorize("alice", ["staff", "admins"], "/g")[0]
    ok, logs = g.authorize("bob", ["admins"], "/g")
    assert not ok and [e.text for e in logs] == [
        "AH01667: Authorization of user bob to access /g failed, reason: "
        "user is not part of the 'require'ed group(s)."]
    ok, logs = g.authorize("zed", ["admins"], "/g")
    assert not ok and [e.text for e in logs] == [
        f"AH01666: Authorization of user zed to access /g failed, reason: "
        f"user doesn't appear in group file ({tmp_path}/groups)."]
    ok, logs = a.GroupFile(str(tmp_path / "none")).authorize("alice", ["admins"], "/g")
    assert not ok and logs[0].code == 1665 and logs[0].status == errno.ENOENT


def test_group_long_lines(tmp_path):
    g = _gf(tmp_path, "big: " + " ".join(f"u{i}" for i in range(5000)) + " last\nafter: x\n")
    assert g.groups_of("last") == {"big"}
    assert g.groups_of("x") == {"after"}


def test_group_reload(tmp_path):
    p = tmp_path / "groups"
    p.write_text("g: a\n")
    g = a.GroupFile(str(p))
    assert g.groups_of("a") == {"g"}
    p.write_text("h: a b\n")
    assert g.groups_of("a") == {"h"}
    assert g.loads == 2


# --- the Authorization header ------------------------------------------------

def b64(s: bytes) -> str:
    return base64.b64encode(s).decode()


@pytest.mark.parametrize("header,expect", [
    (None, None),
    ("Basic " + b64(b"u:p"), ("u", "p")),
    ("basic " + b64(b"u:p"), ("u", "p")),
    ("BASIC " + b64(b"u:p"), ("u", "p")),
    ("Basic    \t \t" + b64(b"u:p"), ("u", "p")),     # spaces, then spaces/tabs
    ("Basic " + b64(b"u:p:q"), ("u", "p:q")),          # first ':'
    ("Basic " + b64(b"u"), ("u", "")),                 # no ':' - empty password
    ("Basic " + b64(b":p"), ("", "p")),
    ("Basic", ("", "")),                               # nothing to decode
    ("Basic ", ("", "")),
    ("Basic !!!!", ("", "")),                          # stops at the first bad byte
    ("Basic " + b64(b"user:pw") + "garbage", ("user", "pw")),    # '=' stops it
    ("Basic dXNlcjpwdw", ("user", "pw")),              # no padding
    ("Basic dXNlcjpwd", ("user", "p")),                # 3 left: 2 bytes
    ("Basic dXNlcjpwdw=x=", ("user", "pw")),
    ("Basic dXNlcjp-d", ("user", "")),                 # '-' (base64url) is not base64
    ("Basic " + b64(b"nul\0x:pw"), ("nul", "")),      # a C string
    ("Basic " + b64(b"u:p\0w"), ("u", "p")),
    ("Basic " + b64(b"u:p") + ", Basic " + b64(b"v:q"), ("u", "p")),  # joined headers
    ("Basic " + b64("ü:€".encode()), ("ü", "€")),
    ("Basic\0 " + b64(b"u:p"), ("", "")),           # the value ends at a NUL
])
def test_parse_basic(header, expect):
    assert a.parse_basic(header) == expect


@pytest.mark.parametrize("header", ["Digest x", "Bearer " + b64(b"u:p"), "", " Basic x",
                                    "Basic\t" + b64(b"u:p"), "Basicx " + b64(b"u:p"),
                                    "Baſic " + b64(b"u:p"), "Bas\0ic " + b64(b"u:p")])
def test_parse_basic_wrong_scheme(header):
    creds, entry = a.parse_basic_reason(header, "/uri")
    assert creds is None
    assert entry.text == "AH01614: client used wrong authentication scheme: /uri"
    assert (entry.module, entry.level) == ("auth_basic", a.ERROR)


def test_apr_base64_decode_tail():
    assert a.apr_base64_decode(b"QQ") == b"A"
    assert a.apr_base64_decode(b"QUI") == b"AB"
    assert a.apr_base64_decode(b"QUJD") == b"ABC"
    assert a.apr_base64_decode(b"QUJDR") == b"ABC"      # a lone last character is dropped
    assert a.apr_base64_decode(b"") == b""


# --- the challenge and the messages -----------------------------------------

@pytest.mark.parametrize("name,value", [
    ("Secret Zone", 'Basic realm="Secret Zone"'),
    ('Say "hi"', 'Basic realm="Say \\"hi\\""'),
    ('already \\"escaped\\"', 'Basic realm="already \\"escaped\\""'),
    ("back\\slash", 'Basic realm="back\\slash"'),
    ("trailing\\", 'Basic realm="trailing\\"'),
    ("", 'Basic realm=""'),
])
def test_www_authenticate(name, value):
    assert a.www_authenticate(name) == value


def test_header_names():
    assert a.auth_header_names() == ("Authorization", "WWW-Authenticate")
    assert a.auth_header_names(True) == ("Proxy-Authorization", "Proxy-Authenticate")


def test_messages():
    assert a.msg_user_not_found("bob", "/s/").text == "AH01618: user bob not found: /s/"
    assert a.msg_password_mismatch("bob", "/s/").text == \
        'AH01617: user bob: authentication failure for "/s/": Password Mismatch'
    assert a.msg_authz_failure("bob", "/s/").text == \
        'AH01631: user bob: authorization failure for "/s/": '
    assert a.msg_user_not_required("bob", "/s/").text == (
        "AH01663: access to /s/ failed, reason: user 'bob' does not meet "
        "'require'ments for user to be allowed access")
    assert a.msg_need_authname("/s/").text == "AH01615: need AuthName: /s/"
    assert a.msg_no_groupfile().text == \
        "AH01664: No group file was specified in the configuration"
    assert a.msg_authz_no_user("/s/").text == \
        "AH01629: authorization failure (no authenticated user): /s/"


def test_log_entry_emit():
    got = []

    class Log:
        def log(self, level, module, message, **kw):
            got.append((level, module, message, kw))
            return True
    a.msg_pwfile_open("/p", errno.ENOENT).emit(Log(), request="r")
    assert got == [(a.ERROR, "authn_file", "Could not open password file: /p",
                    {"code": 1620, "status": errno.ENOENT, "request": "r"})]


# --- the authorization providers ---------------------------------------------

def test_require_providers(tmp_path):
    from apyche.server.access import Result
    assert a.require_valid_user(None)[0] is Result.DENIED_NO_USER
    assert a.require_valid_user("")[0] is Result.GRANTED
    assert a.require_words('alice "bob b" \'c\\\'d\'') == ["alice", "bob b", "c'd"]
    assert a.require_user("bob b", 'alice "bob b"', "/u")[0] is Result.GRANTED
    res, logs = a.require_user("Alice", "alice", "/u")
    assert res is Result.DENIED and logs[0].code == 1663
    assert a.require_user(None, "alice", "/u")[0] is Result.DENIED_NO_USER
    g = _gf(tmp_path, "admins: alice\n")
    assert a.require_group(g, "alice", "nope Admins", "/g")[0] is Result.GRANTED
    res, logs = a.require_group(None, "alice", "admins", "/g")
    assert res is Result.DENIED and logs[0].code == 1664
    assert a.require_group(g, None, "admins", "/g")[0] is Result.DENIED_NO_USER


def test_crypt_module_backend():
    f = a._load_crypt_module()
    if f is None:
        pytest.skip("no crypt module (Python 3.13+)")
    assert f(b"password", b"ab") == b"abJnggxhB/yWI"
    assert f(*a._BCRYPT_VECTOR[:2]) == a._BCRYPT_VECTOR[2]
    assert f(b"\xe9", b"$5$abc") == a.sha_crypt(b"\xe9", b"$5$abc")   # non-UTF-8


def test_is_slow(tmp_path):
    f = _pf(tmp_path, f"b:{FIXED['bcrypt4']}\ns:{SHA}\n")
    assert f.is_slow("b", "pw-bcrypt4")
    assert not f.is_slow("s", "pw-sha1")
    assert not f.is_slow("nobody", "x")
    assert f.check("b", "pw-bcrypt4") == "granted"
    assert not f.is_slow("b", "pw-bcrypt4")          # cached now
    assert f.is_slow("b", "other")
