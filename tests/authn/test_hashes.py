"""apr_password_validate for every hash htpasswd writes: the real htpasswd
where installed, fixed hashes always; the pure-Python fallbacks against
libxcrypt."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from apyche.server import authn as a

from .fixed_hashes import ACCEPTED, FIXED, HTPASSWD_FLAGS

HTPASSWD = shutil.which("htpasswd")
needs_htpasswd = pytest.mark.skipif(
    HTPASSWD is None, reason="htpasswd (apache2-utils) not installed; the fixed-hash tests "
    "cover the same formats")


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_hashes(name, tmp_path):
    pwf = tmp_path / "htpasswd"
    pwf.write_text("".join(f"{u}:{h}\n" for u, h in FIXED.items()))
    f = a.PasswordFile(str(pwf), cache=a.VerifyCache())
    expect = "granted" if ACCEPTED[name] else "mismatch"
    assert f.check(name, f"pw-{name}") == expect
    assert f.check(name, f"xpw-{name}") == "mismatch"
    if name != "crypt":          # DES reads 8 characters: pw-crypt is 8 long
        assert f.check(name, f"pw-{name}x") == "mismatch"
    assert f.check(name, "") == "mismatch"
    assert f.check(name + "-nobody", f"pw-{name}") == "user-not-found"
    assert a.password_validate(f"pw-{name}", FIXED[name]) is ACCEPTED[name]


@needs_htpasswd
@pytest.mark.parametrize("name", sorted(HTPASSWD_FLAGS))
def test_real_htpasswd(name, tmp_path):
    pwf = tmp_path / "htpasswd"
    pw = f"pw-{name}"
    # -c creates, -b takes the password from the command line
    r = subprocess.run([HTPASSWD, "-c", "-b", *HTPASSWD_FLAGS[name], str(pwf), name, pw],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    subprocess.run([HTPASSWD, "-b", "-s", str(pwf), "other", "pw-other"], check=True,
                   capture_output=True, timeout=60)
    f = a.PasswordFile(str(pwf), cache=a.VerifyCache())
    expect = "granted" if ACCEPTED[name] else "mismatch"
    assert f.check(name, pw) == expect
    assert f.check(name, "!" + pw) == "mismatch"
    if name != "crypt":
        assert f.check(name, pw + "!") == "mismatch"
    assert f.check(name, pw[:-1]) == "mismatch"
    assert f.check("nobody", pw) == "user-not-found"
    assert f.check("other", "pw-other") == "granted"
    # htpasswd -v (apr_password_validate inside htpasswd) agrees
    v = subprocess.run([HTPASSWD, "-v", "-b", str(pwf), name, pw], capture_output=True,
                       timeout=60)
    assert (v.returncode == 0) is ACCEPTED[name]


@needs_htpasswd
@pytest.mark.parametrize("flags", [["-m"], ["-B", "-C", "4"], ["-s"], ["-d"], ["-2"], ["-5"]])
@pytest.mark.parametrize("pw", ["", "p:w", "äöü€", "x" * 80, " lead and trail "])
def test_real_htpasswd_odd_passwords(flags, pw, tmp_path):
    r = subprocess.run([HTPASSWD, "-n", "-b", *flags, "u", pw], capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    h = r.stdout.strip().split(b":", 1)[1]
    assert a.password_validate(pw, h)
    significant = {"-d": 8, "-B": 72}.get(flags[0])     # bytes DES / bcrypt read
    n = len(pw.encode())
    assert a.password_validate(pw + "?", h) is (significant is not None and n >= significant)
    assert not a.password_validate("?" + pw, h)


def test_apr1_known_vectors():
    # computed by htpasswd -m / openssl passwd -apr1
    assert a.apr1_md5(b"pw-md5", b"$apr1$fB/kUWP3$") == FIXED["md5"].encode()
    # salt ends at 8 characters or '$'
    assert a.apr1_md5(b"x", b"$apr1$abcdefghijk").startswith(b"$apr1$abcdefgh$")
    assert a.apr1_md5(b"x", b"$apr1$ab$cd").startswith(b"$apr1$ab$")


def test_sha1():
    assert a.sha1_password(b"pw-sha1") == FIXED["sha1"].encode()


def test_plaintext_rejected_on_linux():
    # crypt() takes "pw" as a DES salt: never equal to the plain text
    assert not a.password_validate("pw", "pw")
    assert not a.password_validate("", "")
    assert not a.password_validate("secret", "secret")


def test_invalid_bcrypt_is_mismatch():
    assert not a.password_validate("x", "$2y$03$abcdefghijklmnopqrstuu")
    assert not a.password_validate("x", "$2y$05$short")
    assert not a.password_validate("x", "$2y$")
    assert a.bcrypt_hash(b"x", b"$2y$32$abcdefghijklmnopqrstuu") is None


def test_nul_ends_password():
    assert a.password_validate("pw-sha1\0junk", FIXED["sha1"])


BCRYPT_SETTINGS = [b"$2a$04$CCCCCCCCCCCCCCCCCCCCC.", b"$2y$04$abcdefghijklmnopqrstuu",
                   b"$2b$04$abcdefghijklmnopqrstuu", b"$2x$04$abcdefghijklmnopqrstuu",
                   b"$2a$05$CCCCCCCCCCCCCCCCCCCCC.", b"$2y$04$abcdefghijklmnopqrstuv"]


@pytest.mark.parametrize("setting", BCRYPT_SETTINGS)
@pytest.mark.parametrize("pw", [b"", b"U*U", b"\xff\xa3345", b"\xa3", b"p" * 100])
def test_pure_bcrypt_matches_libxcrypt(setting, pw):
    sys_ = a._crypt_fn(pw, setting) if a._crypt_fn else None
    if not a._SYS_BCRYPT:
        pytest.skip("the system crypt does no bcrypt: nothing to compare with")
    assert a.bcrypt_hash(pw, setting) == sys_


def test_bcrypt_openwall_vector():
    # from crypt_blowfish's own test vectors
    assert a.bcrypt_hash(b"U*U", b"$2a$05$CCCCCCCCCCCCCCCCCCCCC.") == \
        b"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
    assert a.bcrypt_hash(b"\xff\xa3345", b"$2a$05$/OK.fbVrR/bpIqNJ5ianF.") == \
        b"$2a$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e"
    assert a.bcrypt_hash(b"\xff\xa3345", b"$2x$05$/OK.fbVrR/bpIqNJ5ianF.") == \
        b"$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi"


@pytest.mark.parametrize("setting", [b"$5$saltstring", b"$6$saltstring", b"$5$rounds=1000$ab",
                                     b"$6$rounds=1000$toolongsaltstring1234", b"$5$a:b",
                                     b"$6$rounds=999$x", b"$5$"])
@pytest.mark.parametrize("pw", [b"", b"Hello world!", b"x" * 100, "é".encode()])
def test_pure_sha_crypt_matches_libxcrypt(setting, pw):
    if not a._SYS_SHA:
        pytest.skip("the system crypt does no SHA-crypt: nothing to compare with")
    sys_ = a._crypt_fn(pw, setting)
    if sys_ is not None and sys_.startswith(b"*"):
        sys_ = None
    assert a.sha_crypt(pw, setting) == sys_


def test_sha_crypt_drepper_vector():
    assert a.sha_crypt(b"Hello world!", b"$5$saltstring") == \
        b"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"
    assert a.sha_crypt(b"Hello world!", b"$6$saltstring") == (
        b"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbY"
        b"EdFCoEOfaS35inz1")


@pytest.mark.parametrize("pw", [b"", b"a", b"password", b"x" * 40])
def test_md5_crypt_matches_libxcrypt(pw):
    if a._crypt_fn is None:
        pytest.skip("no system crypt")
    for s in (b"$1$saltsalt", b"$1$ab", b"$1$abcdefghij"):
        assert a.md5_crypt(pw, s) == a._crypt_fn(pw, s)


def test_backend_report():
    assert set(a.BACKEND) >= {"bcrypt", "sha-crypt", "des", "apr1", "sha1"}


def test_pure_bcrypt_speed():
    """Documented figure: cost 4 in pure Python - well under 2 s here."""
    t = time.perf_counter()
    a.bcrypt_hash(b"pw", b"$2y$04$abcdefghijklmnopqrstuu")
    assert time.perf_counter() - t < 5


def test_verify_cache_pays_once(monkeypatch, tmp_path):
    pwf = tmp_path / "p"
    pwf.write_text(f"bcrypt:{FIXED['bcrypt']}\n")
    cache = a.VerifyCache(size=2)
    f = a.PasswordFile(str(pwf), cache=cache)
    calls = []
    real = a.password_validate

    def counting(pw, h):
        calls.append(pw)
        return real(pw, h)
    monkeypatch.setattr(a, "password_validate", counting)
    assert f.check("bcrypt", "pw-bcrypt") == "granted"
    assert f.check("bcrypt", "pw-bcrypt") == "granted"
    assert len(calls) == 1
    # failures are not cached
    assert f.check("bcrypt", "nope") == "mismatch"
    assert f.check("bcrypt", "nope") == "mismatch"
    assert len(calls) == 3
    # a changed hash is a new key
    pwf.write_text(f"bcrypt:{FIXED['bcrypt4']}\n")
    assert f.check("bcrypt", "pw-bcrypt") == "mismatch"
    assert f.check("bcrypt", "pw-bcrypt4") == "granted"
    # bounded
    for i in range(5):
        cache.add(a.VerifyCache.key(b"u%d" % i, b"p", b"h"))
    assert len(cache) == 2


def test_ctypes_crypt_backend():
    if a._ctypes_crypt is None:
        pytest.skip("libcrypt not loadable through ctypes")
    f = a._ctypes_crypt
    assert f(b"password", b"ab") == b"abJnggxhB/yWI"
    assert f(b"pw-md5crypt", b"$1$saltsalt") == FIXED["md5crypt"].encode()
    assert f(b"\xff\xfe", b"$5$abc") == a.sha_crypt(b"\xff\xfe", b"$5$abc")
    assert f(*a._BCRYPT_VECTOR[:2]) == a._BCRYPT_VECTOR[2]


def test_non_utf8_password_with_crypt_hash():
    h = a.system_crypt(b"\xe9t\xe9", b"$5$abc")
    assert h is not None and h.startswith(b"$5$abc$")
    assert a.password_validate(b"\xe9t\xe9", h)
    assert not a.password_validate(b"ete", h)


def test_fallbacks_without_system_crypt(monkeypatch):
    """No crypt at all (Python 3.13 without libcrypt): bcrypt, SHA-crypt and
    MD5-crypt still work in pure Python; DES never matches."""
    monkeypatch.setattr(a, "_crypt_fn", None)
    monkeypatch.setattr(a, "_SYS_BCRYPT", False)
    monkeypatch.setattr(a, "_SYS_SHA", False)
    for name in ("bcrypt4", "b2b", "sha256", "sha512", "md5crypt", "md5", "sha1"):
        assert a.password_validate(f"pw-{name}", FIXED[name]), name
        assert not a.password_validate(f"pw-{name}!", FIXED[name]), name
    assert not a.password_validate("pw-crypt", FIXED["crypt"])
    assert not a.password_validate("pw-plain", FIXED["plain"])
