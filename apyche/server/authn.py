"""HTTP Basic authentication as Apache 2.4 does it (pure: no sockets).

Covers what ``mod_auth_basic`` + ``mod_authn_file`` + ``mod_authz_user`` +
``mod_authz_groupfile`` decide, with APR-util 1.6's
``apr_password_validate`` for the password check:

* :func:`parse_basic` - ``get_basic_auth``: the first word of the header
  (up to the first space, further spaces skipped) must be ``Basic`` in any
  case, else AH01614; then spaces/tabs are skipped, the rest is decoded by
  ``apr_base64_decode`` (which stops silently at the first byte outside the
  base64 alphabet - ``=`` included; a last group of 2 or 3 characters gives
  1 or 2 bytes, a lone last character is dropped),
  the result is a C string (cut at the first NUL), split at the *first*
  ``:`` (no ``:`` gives an empty password).  Nothing else is "malformed":
  garbage base64 just gives a user name that is then not found (AH01618).
  Returned strings are the decoded bytes as UTF-8 with ``surrogateescape``
  (as the config reader decodes ``Require user`` and as we decode the
  files), so any byte sequence survives the round trip; the ``msg_*``
  builders turn them into the error log's one-character-per-byte form.
* :class:`PasswordFile` - ``AuthUserFile`` read as ``authn_file``'s
  ``check_password`` reads it on every request: lines through
  ``ap_cfg_getline`` (a trailing backslash joins the next line, leading and
  trailing whitespace trimmed, a line of 8191 bytes or more - HUGE_STRING_LEN
  - stops the reading there), ``#`` lines and empty lines skipped, the user
  is everything before the first ``:``, the hash the next ``:``-free word
  after the run of colons; the **first** line for a user wins; a line with
  the user and no hash gives an empty hash, i.e. "mismatch", not "user not
  found".  We keep the parsed file and re-read it when its
  (device, inode, size, mtime, ctime) change.
* hashes - ``apr_password_validate`` (checked against Debian's apache2 and
  ``htpasswd -v``): ``$2a$``/``$2y$`` bcrypt (APR's own
  crypt_blowfish), ``$apr1$`` (APR's MD5), ``{SHA}`` (base64 SHA-1),
  anything else through the system ``crypt_r`` (on Debian libxcrypt:
  ``$2b$``, ``$5$``/``$6$`` - ``htpasswd -2/-5`` -, ``$1$``, DES from
  ``htpasswd -d``).  Plain text (``htpasswd -p``) is therefore never
  accepted on Linux (crypt() treats it as a DES salt); Apache only compares
  plain text on Windows, BeOS and NetWare.  Invalid bcrypt settings are a
  mismatch.
* :class:`GroupFile` - ``AuthGroupFile``: ``group: user1 "user 2" ...``
  (members split by ``ap_getword_conf``, so quotes and backslashes count;
  the group name is everything before the first ``:``, trailing whitespace
  removed); lines of any length.  ``Require group`` names are compared with
  the user's groups *case-insensitively* (Apache keeps them in an
  ``apr_table``), users case-sensitively.
* :func:`www_authenticate` - ``note_basic_auth_failure``:
  ``Basic realm="<AuthName>"`` where the name went through
  ``ap_escape_quotes`` (an unescaped ``"`` gets a backslash, an existing
  ``\\x`` pair is left alone, nothing else is touched).
* ``msg_*`` - the error-log entries, as :class:`LogEntry` (module, level, AH
  number, message, errno) for :meth:`apyche.logs.errorlog.ErrorLog.log`.

Crypt back ends, chosen at import: libcrypt's ``crypt_r`` through ctypes
(it releases the GIL, so a bcrypt check run in a worker thread does not
stall the event loop), else the ``crypt`` module (deprecated in 3.11, gone
in 3.13; it holds the GIL); a family is left to the system only if it
reproduces a known test vector at import (bcrypt, SHA-crypt, DES), else
pure Python.  ``$apr1$``, ``{SHA}`` (and
``$1$`` without a system crypt) are always computed here with hashlib.
bcrypt and SHA-crypt fall back to pure Python: bcrypt costs about 8.5 ms per
2^cost round here - 0.17 s at cost 4, 0.27 s at cost 5 (htpasswd's
default), 2.2 s at cost 8 - against 2 ms (cost 5) / 60 ms (cost 10) for
libxcrypt; the verification cache makes that a once-per-worker price.  DES
(``htpasswd -d``) has no pure-Python fallback: without a system crypt such a
hash never matches (see ``BACKEND``).
"""

from __future__ import annotations

import base64
import errno as _errno
import hashlib
import hmac
import os
import stat as _stat
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum

from ..config.words import getword as _getword_conf

__all__ = [
    "AuthnResult", "LogEntry", "PasswordFile", "GroupFile", "VerifyCache",
    "parse_basic", "parse_basic_reason", "www_authenticate", "auth_header_names",
    "escape_quotes", "apr_base64_decode", "password_validate", "apr1_md5", "md5_crypt",
    "sha1_password", "bcrypt_hash", "sha_crypt", "system_crypt", "BACKEND",
    "msg_wrong_scheme", "msg_need_authname", "msg_password_mismatch",
    "msg_user_not_found", "msg_no_userfile", "msg_pwfile_open", "msg_not_regular",
    "msg_no_groupfile", "msg_groupfile_open", "msg_not_in_groupfile",
    "msg_not_in_required_group", "msg_user_not_required", "msg_authz_failure",
    "msg_authz_no_user", "authenticate", "BasicOutcome", "require_words",
    "require_valid_user", "require_user", "require_group",
]

# apyche.logs.errorlog levels (APLOG_*), repeated to keep this module light
ERROR, WARN, NOTICE, INFO, DEBUG = 3, 4, 5, 6, 7
HUGE_STRING_LEN = 8192              # MAX_STRING_LEN, authn_file's line buffer
VARBUF_MAX_LEN = 16 * 1024 * 1024   # authz_groupfile's ap_varbuf limit
_SPACE = b" \t\n\r\f\v"             # apr_isspace in the C locale


def _b(s: str | bytes) -> bytes:
    return s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _logb(s: str) -> str:
    """A user name or path (UTF-8 + surrogateescape, like the config and our
    files) in the error log's convention - one character per byte, as the
    URI from the HTTP layer - so ``escape_errorlog_item`` writes Apache's
    ``\\xc3\\xbc`` for a UTF-8 "ü"."""
    return s.encode("utf-8", "surrogateescape").decode("latin-1")


# --------------------------------------------------------------------------
# log entries
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class LogEntry:
    """One ``ap_log_rerror``: ``ErrorLog.log(level, module, message,
    code=code, status=status, request=...)``.

    The ``msg_*`` builders take user names and file paths as this module
    hands them out (UTF-8 + surrogateescape) and the URI as the HTTP layer
    has it (one character per byte); the message is in the latter form,
    which is what the error log expects."""

    module: str
    level: int
    code: int
    message: str
    status: int | None = None       # errno printed as "(2)No such file...: "

    @property
    def text(self) -> str:
        """``AH01618: user bob not found: /x`` (without the errno part)."""
        return "AH%05d: %s" % (self.code, self.message)

    def emit(self, errorlog, **kw) -> bool:
        return errorlog.log(self.level, self.module, self.message, code=self.code,
                            status=self.status, **kw)


def msg_wrong_scheme(uri: str) -> LogEntry:
    return LogEntry("auth_basic", ERROR, 1614,
                    "client used wrong authentication scheme: %s" % uri)


def msg_need_authname(uri: str) -> LogEntry:
    return LogEntry("auth_basic", ERROR, 1615, "need AuthName: %s" % uri)


def msg_password_mismatch(user: str, uri: str) -> LogEntry:
    return LogEntry("auth_basic", ERROR, 1617,
                    'user %s: authentication failure for "%s": Password Mismatch'
                    % (_logb(user), uri))


def msg_user_not_found(user: str, uri: str) -> LogEntry:
    return LogEntry("auth_basic", ERROR, 1618, "user %s not found: %s" % (_logb(user), uri))


def msg_no_userfile() -> LogEntry:
    return LogEntry("authn_file", ERROR, 1619,
                    "AuthUserFile not specified in the configuration")


def msg_pwfile_open(path: str, status: int | None) -> LogEntry:
    return LogEntry("authn_file", ERROR, 1620, "Could not open password file: %s" % _logb(path),
                    status)


def msg_not_regular(path: str) -> LogEntry:
    """AH00554, logged by ap_pcfg_openfile (server-level: no client part)
    before AH01620/AH01665 with status EBADF."""
    return LogEntry("core", ERROR, 554,
                    "Access to file %s denied by server: not a regular file" % _logb(path))


def msg_no_groupfile() -> LogEntry:
    return LogEntry("authz_groupfile", ERROR, 1664,
                    "No group file was specified in the configuration")


def msg_groupfile_open(path: str, status: int | None) -> LogEntry:
    return LogEntry("authz_groupfile", ERROR, 1665, "Could not open group file: %s" % _logb(path),
                    status)


def msg_not_in_groupfile(user: str, uri: str, path: str) -> LogEntry:
    return LogEntry("authz_groupfile", INFO, 1666,
                    "Authorization of user %s to access %s failed, reason: "
                    "user doesn't appear in group file (%s)." % (_logb(user), uri, _logb(path)))


def msg_not_in_required_group(user: str, uri: str) -> LogEntry:
    return LogEntry("authz_groupfile", DEBUG, 1667,
                    "Authorization of user %s to access %s failed, reason: "
                    "user is not part of the 'require'ed group(s)." % (_logb(user), uri))


def msg_user_not_required(user: str, uri: str) -> LogEntry:
    return LogEntry("authz_user", DEBUG, 1663,
                    "access to %s failed, reason: user '%s' does not meet "
                    "'require'ments for user to be allowed access" % (uri, _logb(user)))


def msg_authz_failure(user: str, uri: str) -> LogEntry:
    """mod_authz_core AH01631: an authenticated user the Require lines
    refuse (answered 401, or 403 with AuthzSendForbiddenOnFailure)."""
    return LogEntry("authz_core", ERROR, 1631,
                    'user %s: authorization failure for "%s": ' % (_logb(user), uri))


def msg_authz_no_user(uri: str) -> LogEntry:
    """mod_authz_core AH01629: still no user after authentication (e.g. an
    AuthType with no authentication module).  A request that simply lacks
    credentials logs nothing: mod_auth_basic answers 401 silently."""
    return LogEntry("authz_core", ERROR, 1629,
                    "authorization failure (no authenticated user): %s" % uri)


# --------------------------------------------------------------------------
# the Authorization header
# --------------------------------------------------------------------------

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_PR2SIX = [64] * 256
for _i, _c in enumerate(_B64):
    _PR2SIX[_c] = _i


def apr_base64_decode(coded: bytes) -> bytes:
    """``apr_base64_decode_binary``: decode up to the first byte that is not
    in the alphabet; a last group of 2 or 3 characters gives 1 or 2 bytes,
    a lone last character is dropped.  Never fails."""
    n = 0
    ln = len(coded)
    while n < ln and _PR2SIX[coded[n]] <= 63:
        n += 1
    vals = [_PR2SIX[c] for c in coded[:n]]
    out = bytearray()
    i = 0
    while n - i >= 4:
        a, b, c, d = vals[i:i + 4]
        out += bytes(((a << 2 | b >> 4) & 0xFF, (b << 4 | c >> 2) & 0xFF,
                      (c << 6 | d) & 0xFF))
        i += 4
    rest = n - i                  # 0-3 left: 2 or 3 give 1 or 2 bytes
    if rest > 1:
        out.append((vals[i] << 2 | vals[i + 1] >> 4) & 0xFF)
    if rest > 2:
        out.append((vals[i + 1] << 4 | vals[i + 2] >> 2) & 0xFF)
    return bytes(out)


def parse_basic_reason(header: str | bytes | None, uri: str = ""
                       ) -> tuple[tuple[str, str] | None, LogEntry | None]:
    """``get_basic_auth``: ((user, password), None) when the header is a
    Basic one, (None, None) when there is no header (401, nothing logged),
    (None, AH01614 entry) for another scheme (401).

    *header* is the Authorization (or, for proxy requests,
    Proxy-Authorization) value as Apache's table holds it: repeated headers
    already joined with ", ", surrounding whitespace already stripped.
    """
    if header is None:
        return None, None
    line = _b(header).split(b"\0", 1)[0]      # a C string
    sp = line.find(b" ")
    if sp < 0:
        scheme, rest = line, b""
    else:
        scheme = line[:sp]
        rest = line[sp:].lstrip(b" ")          # ap_getword skips the run of stops
    if scheme.lower() != b"basic":              # ap_cstr_casecmp: ASCII only
        return None, msg_wrong_scheme(uri)
    rest = rest.lstrip(b" \t")
    decoded = apr_base64_decode(rest).split(b"\0", 1)[0]   # C string
    user, _, pw = decoded.partition(b":")                    # ap_getword_nulls
    return (_s(user), _s(pw)), None


def parse_basic(header: str | bytes | None) -> tuple[str, str] | None:
    """(user, password) from a Basic Authorization value, else None (no
    header, or another scheme - see :func:`parse_basic_reason`)."""
    return parse_basic_reason(header)[0]


def escape_quotes(s: str) -> str:
    """``ap_escape_quotes``."""
    out = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            out.append('\\"')
        elif c == "\\" and i + 1 < n:
            out.append(s[i:i + 2])
            i += 1
        else:
            out.append(c)
        i += 1
    return "".join(out)


def www_authenticate(auth_name: str) -> str:
    """The WWW-Authenticate (Proxy-Authenticate for proxy requests) value of
    a Basic 401: ``Basic realm="<escaped AuthName>"``.  *auth_name* is the
    AuthName after the config reader and expression evaluation."""
    return 'Basic realm="%s"' % escape_quotes(auth_name)


def auth_header_names(proxy: bool = False) -> tuple[str, str]:
    """(request header read, response header set)."""
    return (("Proxy-Authorization", "Proxy-Authenticate") if proxy
            else ("Authorization", "WWW-Authenticate"))


# --------------------------------------------------------------------------
# hashes
# --------------------------------------------------------------------------

_ITOA64 = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _to64(v: int, n: int) -> bytes:
    out = bytearray()
    for _ in range(n):
        out.append(_ITOA64[v & 0x3F])
        v >>= 6
    return bytes(out)


def md5_crypt(pw: bytes, setting: bytes, magic: bytes = b"$1$") -> bytes:
    """Poul-Henning Kamp's MD5 crypt; with magic ``$apr1$`` it is
    ``apr_md5_encode``: the salt follows the magic, ends at ``$`` or after
    8 characters."""
    sp = setting[len(magic):] if setting.startswith(magic) else setting
    end = 0
    while end < len(sp) and end < 8 and sp[end] != 0x24:     # '$'
        end += 1
    salt = sp[:end].split(b"\0", 1)[0]
    ctx = hashlib.md5(pw + magic + salt)
    final = hashlib.md5(pw + salt + pw).digest()
    pl = len(pw)
    while pl > 0:
        ctx.update(final[:min(pl, 16)])
        pl -= 16
    i = len(pw)
    while i:
        ctx.update(b"\0" if i & 1 else pw[:1])
        i >>= 1
    final = ctx.digest()
    for i in range(1000):
        c = hashlib.md5(pw if i & 1 else final)
        if i % 3:
            c.update(salt)
        if i % 7:
            c.update(pw)
        c.update(final if i & 1 else pw)
        final = c.digest()
    f = final
    enc = b"".join((
        _to64(f[0] << 16 | f[6] << 8 | f[12], 4),
        _to64(f[1] << 16 | f[7] << 8 | f[13], 4),
        _to64(f[2] << 16 | f[8] << 8 | f[14], 4),
        _to64(f[3] << 16 | f[9] << 8 | f[15], 4),
        _to64(f[4] << 16 | f[10] << 8 | f[5], 4),
        _to64(f[11], 2)))
    return magic + salt + b"$" + enc


def apr1_md5(pw: bytes, setting: bytes) -> bytes:
    return md5_crypt(pw, setting, b"$apr1$")


def sha1_password(pw: bytes) -> bytes:
    """``apr_sha1_base64``: ``{SHA}`` + base64(SHA-1)."""
    return b"{SHA}" + base64.b64encode(hashlib.sha1(pw).digest())


# ---- SHA-256/512 crypt (Drepper), the pure-Python fallback ----------------

_SHA_ORDER = {
    32: [(0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14),
         (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29)],
    64: [(0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4),
         (47, 5, 26), (6, 27, 48), (28, 49, 7), (50, 8, 29), (9, 30, 51),
         (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13), (56, 14, 35),
         (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60), (40, 61, 19),
         (62, 20, 41)],
}


def sha_crypt(pw: bytes, setting: bytes) -> bytes | None:
    """``$5$``/``$6$`` crypt; None for a setting it cannot use."""
    if setting.startswith(b"$5$"):
        H, magic, size = hashlib.sha256, b"$5$", 32
    elif setting.startswith(b"$6$"):
        H, magic, size = hashlib.sha512, b"$6$", 64
    else:
        return None
    rest = setting[3:]
    rounds, custom = 5000, False
    if rest.startswith(b"rounds="):
        num, dollar, after = rest[7:].partition(b"$")
        if not dollar or not num.isdigit() or (len(num) > 1 and num[:1] == b"0"):
            return None
        rounds, custom = int(num), True
        if not 1000 <= rounds <= 999999999:     # libxcrypt refuses, glibc clamps
            return None
        rest = after
    salt = rest.split(b"$", 1)[0][:16]
    if any(c < 0x21 or c > 0x7E or c in b":;*!\\" for c in salt):
        return None
    b_ = H(pw + salt + pw).digest()
    a = H(pw + salt)
    n = len(pw)
    while n > size:
        a.update(b_)
        n -= size
    a.update(b_[:n])
    n = len(pw)
    while n:
        a.update(b_ if n & 1 else pw)
        n >>= 1
    a_ = a.digest()
    dp = H(pw * len(pw)).digest()
    p = (dp * (len(pw) // size + 1))[:len(pw)]
    ds = H(salt * (16 + a_[0])).digest()
    s = (ds * (len(salt) // size + 1))[:len(salt)]
    c_ = a_
    for i in range(rounds):
        h = H(p if i & 1 else c_)
        if i % 3:
            h.update(s)
        if i % 7:
            h.update(p)
        h.update(c_ if i & 1 else p)
        c_ = h.digest()
    enc = b"".join(_to64(c_[x] << 16 | c_[y] << 8 | c_[z], 4) for x, y, z in _SHA_ORDER[size])
    enc += _to64(c_[31] << 8 | c_[30], 3) if size == 32 else _to64(c_[63], 2)
    head = magic + (b"rounds=%d$" % rounds if custom else b"") + salt
    return head + b"$" + enc


# ---- bcrypt, the pure-Python fallback -------------------------------------

_BF_STATE: tuple[list[int], list[int]] | None = None


def _bf_initial() -> tuple[list[int], list[int]]:
    """Blowfish's initial P-array and S-boxes: the hexadecimal digits of pi
    after the point (computed once, ~30 ms, instead of shipping tables)."""
    global _BF_STATE
    if _BF_STATE is None:
        words = 18 + 1024
        bits = words * 32 + 64
        one = 1 << bits

        def arctan_inv(x: int) -> int:
            total = term = one // x
            x2, k, sign = x * x, 1, -1
            while term:
                term //= x2
                k += 2
                total += sign * (term // k)
                sign = -sign
            return total

        pi = 16 * arctan_inv(5) - 4 * arctan_inv(239)
        frac = (pi - 3 * one) >> 64                 # drop the guard bits
        digits = frac.to_bytes(words * 4, "big")
        vals = [int.from_bytes(digits[i:i + 4], "big") for i in range(0, len(digits), 4)]
        _BF_STATE = (vals[:18], vals[18:])
    return _BF_STATE


_BF_ALPHA = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_BF_INDEX = {c: i for i, c in enumerate(_BF_ALPHA)}


def _bf_decode(s: bytes, nbytes: int) -> bytes | None:
    out = bytearray()
    vals = []
    for c in s:
        if c not in _BF_INDEX:
            return None
        vals.append(_BF_INDEX[c])
    i = 0
    while len(out) < nbytes:
        c1, c2 = vals[i], vals[i + 1]
        out.append((c1 << 2 | (c2 & 0x30) >> 4) & 0xFF)
        if len(out) >= nbytes:
            break
        c3 = vals[i + 2]
        out.append(((c2 & 0x0F) << 4 | (c3 & 0x3C) >> 2) & 0xFF)
        if len(out) >= nbytes:
            break
        c4 = vals[i + 3]
        out.append(((c3 & 0x03) << 6 | c4) & 0xFF)
        i += 4
    return bytes(out)


def _bf_encode(data: bytes) -> bytes:
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        c1 = data[i]
        i += 1
        out.append(_BF_ALPHA[c1 >> 2])
        c1 = (c1 & 0x03) << 4
        if i >= n:
            out.append(_BF_ALPHA[c1])
            break
        c2 = data[i]
        i += 1
        c1 |= c2 >> 4
        out.append(_BF_ALPHA[c1])
        c1 = (c2 & 0x0F) << 2
        if i >= n:
            out.append(_BF_ALPHA[c1])
            break
        c2 = data[i]
        i += 1
        c1 |= c2 >> 6
        out.append(_BF_ALPHA[c1])
        out.append(_BF_ALPHA[c2 & 0x3F])
    return bytes(out)


def bcrypt_hash(pw: bytes, setting: bytes) -> bytes | None:
    """crypt_blowfish in pure Python (``$2a$``, ``$2b$``, ``$2x$``,
    ``$2y$``, cost 04-31); None for an invalid setting."""
    if (len(setting) < 29 or setting[:2] != b"$2" or setting[2:3] not in b"abxy"
            or setting[3:4] != b"$" or setting[6:7] != b"$"
            or not setting[4:6].isdigit()):
        return None
    cost = int(setting[4:6])
    if cost < 4 or cost > 31:
        return None
    sub = setting[2:3]
    salt = _bf_decode(setting[7:29], 16)
    if salt is None:
        return None
    flags = {b"a": 2, b"b": 4, b"x": 1, b"y": 4}[sub]
    bug, safety = flags & 1, (flags & 2) << 15
    # BF_set_key: the key is the password and its NUL, cycled to 18 words;
    # 'x' reproduces the old sign-extension bug, 'a' detects it
    key = pw.split(b"\0", 1)[0] + b"\0"
    pos = 0
    expanded, sign, diff = [], 0, 0
    for _ in range(18):
        good = badw = 0
        for j in range(4):
            ch = key[pos]
            good = (good << 8 | ch) & 0xFFFFFFFF
            sch = ch - 256 if ch & 0x80 else ch
            badw = ((badw << 8) | (sch & 0xFFFFFFFF)) & 0xFFFFFFFF
            if j:
                sign |= badw & 0x80
            pos = 0 if ch == 0 else pos + 1
        diff |= good ^ badw
        expanded.append(badw if bug else good)
    diff |= diff >> 16
    diff &= 0xFFFF
    diff += 0xFFFF
    sign = ((sign << 9) & ~diff & safety) & 0xFFFFFFFF

    P0, S0 = _bf_initial()
    P = [P0[i] ^ expanded[i] for i in range(18)]
    P[0] ^= sign
    boxes = [S0[0:256], S0[256:512], S0[512:768], S0[768:1024]]
    s0, s1, s2, s3 = boxes
    M = 0xFFFFFFFF

    def enc(L: int, R: int) -> tuple[int, int]:
        # one Blowfish block with the current P (read afresh: the P-array
        # is rewritten while it is being used)
        p = P
        L ^= p[0]
        for i in range(1, 17, 2):
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                   ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p[i]
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                   ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p[i + 1]
        return R ^ p[17], L

    def fill_boxes(L: int, R: int, data: list[int] | None, k: int) -> None:
        # the S-box part of the key schedule, unrolled: P is constant here
        (p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16,
         p17) = P
        s0, s1, s2, s3 = boxes          # locals, not closure cells: faster
        M = 0xFFFFFFFF
        for box in boxes:
            for i in range(0, 256, 2):
                if data is not None:
                    L ^= data[k]
                    R ^= data[k + 1]
                    k = (k + 2) & 3
                L ^= p0
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                       ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p1
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                       ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p2
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                       ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p3
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                       ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p4
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                       ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p5
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                       ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p6
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                       ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p7
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                       ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p8
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                       ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p9
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                       ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p10
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                       ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p11
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                       ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p12
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                       ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p13
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                       ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p14
                R ^= ((((s0[L >> 24] + s1[L >> 16 & 255]) & M)
                       ^ s2[L >> 8 & 255]) + s3[L & 255]) & M ^ p15
                L ^= ((((s0[R >> 24] + s1[R >> 16 & 255]) & M)
                       ^ s2[R >> 8 & 255]) + s3[R & 255]) & M ^ p16
                L, R = R ^ p17, L
                box[i] = L
                box[i + 1] = R

    sw = [int.from_bytes(salt[i:i + 4], "big") for i in range(0, 16, 4)]

    def expand(data: list[int] | None) -> None:
        L = R = 0
        k = 0
        for i in range(0, 18, 2):
            if data is not None:
                L ^= data[k]
                R ^= data[k + 1]
                k = (k + 2) & 3
            L, R = enc(L, R)
            P[i], P[i + 1] = L, R
        fill_boxes(L, R, data, k)

    expand(sw)
    salt18 = [sw[i & 3] for i in range(18)]
    for _ in range(1 << cost):
        # the expanded key without 'sign': crypt_blowfish applies that to
        # the initial state only
        for i in range(18):
            P[i] ^= expanded[i]
        expand(None)
        for i in range(18):
            P[i] ^= salt18[i]
        expand(None)
    ctext = [int.from_bytes(b"OrpheanBeholderScryDoubt"[i:i + 4], "big")
             for i in range(0, 24, 4)]
    for i in range(0, 6, 2):
        L, R = ctext[i], ctext[i + 1]
        for _ in range(64):
            L, R = enc(L, R)
        ctext[i], ctext[i + 1] = L, R
    raw = b"".join(w.to_bytes(4, "big") for w in ctext)[:23]
    return setting[:7] + _bf_encode(salt)[:22] + _bf_encode(raw)


# ---- the system crypt -----------------------------------------------------

_BCRYPT_VECTOR = (b"U*U", b"$2a$05$CCCCCCCCCCCCCCCCCCCCC.",
                  b"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")


def _load_crypt_module():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt as mod  # type: ignore[import-not-found]
    except ImportError:
        return None

    def f(pw: bytes, setting: bytes) -> bytes | None:
        try:
            r = mod.crypt(pw.decode("utf-8"), setting.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, OSError):
            return _ctypes_crypt(pw, setting) if _ctypes_crypt else None
        return None if r is None else r.encode("utf-8", "surrogateescape")
    return f


_CRYPT_DATA_SIZE = 262144


def _libcrypt_crypt_r(ctypes):
    """libcrypt's crypt_r, or None.  The usual soname first:
    ctypes.util.find_library runs "ldconfig -p", a child process of the
    server at every start (a window in which the master, its signal
    handlers not set yet, already has a child)."""
    try:
        return ctypes.CDLL("libcrypt.so.1").crypt_r
    except (OSError, AttributeError):
        pass
    import ctypes.util
    name = ctypes.util.find_library("crypt")
    try:
        return ctypes.CDLL(name).crypt_r if name else None
    except (OSError, AttributeError):
        return None


def _load_ctypes_crypt():
    try:
        import ctypes
        fn = _libcrypt_crypt_r(ctypes)
    except ImportError:
        return None
    if fn is None:
        return None
    fn.restype = ctypes.c_char_p
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
    local = threading.local()

    def f(pw: bytes, setting: bytes) -> bytes | None:
        if b"\0" in pw or b"\0" in setting:
            pw, setting = pw.split(b"\0", 1)[0], setting.split(b"\0", 1)[0]
        buf = getattr(local, "buf", None)
        if buf is None:
            # struct crypt_data is 32768 bytes in libxcrypt, 131232 in glibc's
            buf = local.buf = ctypes.create_string_buffer(_CRYPT_DATA_SIZE)
        else:
            # its 'initialized' member is not at a fixed offset: zero it all
            ctypes.memset(buf, 0, _CRYPT_DATA_SIZE)
        return fn(pw, setting, buf)
    return f


def _choose_crypt():
    """libcrypt's crypt_r through ctypes first - ctypes releases the GIL, so
    a bcrypt run in a worker thread does not stall the event loop (the
    ``crypt`` module holds the GIL: a cost-12 hash froze every thread for
    0.24 s here) - else the ``crypt`` module."""
    ct = _load_ctypes_crypt()
    if ct is not None and _probe(ct, b"password", b"$1$saltsalt",
                                 b"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"):
        return ct, ct, "ctypes libcrypt crypt_r"
    mod = _load_crypt_module()
    if mod is not None:
        return mod, ct, "crypt module"
    return None, ct, "none"


def _probe(fn, pw: bytes, setting: bytes, expect: bytes) -> bool:
    try:
        return fn is not None and fn(pw, setting) == expect
    except Exception:    # pragma: no cover - a broken libcrypt
        return False


_crypt_fn, _ctypes_crypt, _CRYPT_NAME = _choose_crypt()
_SYS_BCRYPT = _probe(_crypt_fn, *_BCRYPT_VECTOR)
_SYS_SHA = _probe(_crypt_fn, b"Hello world!", b"$5$saltstring",
                  b"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5")
_SYS_DES = _probe(_crypt_fn, b"password", b"ab", b"abJnggxhB/yWI")

#: which implementation serves each family (for the report and the tests)
BACKEND = {
    "crypt": _CRYPT_NAME,
    "bcrypt": "system crypt" if _SYS_BCRYPT else "pure Python",
    "sha-crypt": "system crypt" if _SYS_SHA else "pure Python",
    "des": "system crypt" if _SYS_DES else "unsupported (never matches)",
    "apr1": "Python (hashlib)",
    "sha1": "Python (hashlib)",
}


def system_crypt(pw: bytes, setting: bytes) -> bytes | None:
    """``crypt_r(pw, setting)`` as APR calls it for hashes it does not know,
    with pure-Python stand-ins where the system lacks a family."""
    pw = pw.split(b"\0", 1)[0]
    setting = setting.split(b"\0", 1)[0]
    if setting[:2] == b"$2":
        if _SYS_BCRYPT:
            return _crypt_fn(pw, setting)
        return bcrypt_hash(pw, setting)
    if setting[:3] in (b"$5$", b"$6$") and not _SYS_SHA:
        return sha_crypt(pw, setting)
    if setting[:3] == b"$1$" and _crypt_fn is None:
        return md5_crypt(pw, setting)
    if _crypt_fn is None:
        return None
    return _crypt_fn(pw, setting)


def password_validate(password: str | bytes, hash_: str | bytes) -> bool:
    """``apr_password_validate`` (APR-util 1.6, Unix)."""
    pw = _b(password).split(b"\0", 1)[0]
    h = _b(hash_).split(b"\0", 1)[0]
    if h[:4] in (b"$2a$", b"$2y$"):
        sample = bcrypt_hash(pw, h) if not _SYS_BCRYPT else _crypt_fn(pw, h)
        if sample is None or sample[:1] == b"*":
            return False
    elif h.startswith(b"$apr1$"):
        sample = apr1_md5(pw, h)
    elif h.startswith(b"{SHA}"):
        sample = sha1_password(pw)
    else:
        sample = system_crypt(pw, h)
        if sample is None:
            return False
        return sample == h
    return hmac.compare_digest(sample, h)


# --------------------------------------------------------------------------
# the verification cache
# --------------------------------------------------------------------------

class VerifyCache:
    """Bounded LRU of successful verifications, keyed by a SHA-256 of
    (user, password, hash): a hit skips bcrypt; a changed hash in the file
    is a different key.  Plain passwords are not kept."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._d: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(user: bytes, pw: bytes, hash_: bytes) -> bytes:
        h = hashlib.sha256()
        for part in (user, pw, hash_):
            h.update(len(part).to_bytes(4, "big"))
            h.update(part)
        return h.digest()

    def __contains__(self, k: bytes) -> bool:
        with self._lock:
            if k in self._d:
                self._d.move_to_end(k)
                self.hits += 1
                return True
            self.misses += 1
            return False

    def add(self, k: bytes) -> None:
        with self._lock:
            self._d[k] = None
            self._d.move_to_end(k)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()

    def __len__(self) -> int:
        return len(self._d)


_SHARED_CACHE = VerifyCache()


# --------------------------------------------------------------------------
# reading the files as ap_cfg_getline does
# --------------------------------------------------------------------------

def _cfg_lines(data: bytes, bufsize: int | None):
    """Yield the lines ``ap_cfg_getline`` gives (trimmed); with *bufsize*
    (the fixed buffer of authn_file) stop where it reports APR_ENOSPC.
    ``apr_file_gets`` reads at most bufsize-1 bytes, through the LF."""
    pos, n = 0, len(data)
    while pos < n:
        buf = bytearray()
        while True:
            if pos >= n:            # EOF after a continuation: what we have
                break
            room = (bufsize - 1 - len(buf)) if bufsize else n
            if room <= 0:
                return              # pragma: no cover - cannot happen
            lf = data.find(b"\n", pos, pos + room)
            if lf < 0:
                chunk = data[pos:pos + room]
            else:
                chunk = data[pos:lf + 1]
            pos += len(chunk)
            chunk = chunk.split(b"\0", 1)[0]     # strlen
            buf += chunk
            if buf.endswith(b"\n"):
                end = len(buf) - 1
                if end > 0 and buf[end - 1] == 0x0D:
                    end -= 1
                if end > 0 and buf[end - 1] == 0x5C:     # backslash: join
                    del buf[end - 1:]
                    continue
                break
            if bufsize and len(buf) >= bufsize - 1:
                return              # APR_ENOSPC: the read loop ends here
            break
        yield bytes(buf).strip(_SPACE)


class _StatFile:
    """A file parsed on first use and again whenever its identity (device,
    inode), size, mtime or ctime change - one stat() per use."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._sig: tuple | None = None
        self._parsed = None
        self.loads = 0

    def _parse(self, data: bytes):  # pragma: no cover - abstract
        raise NotImplementedError

    def data(self):
        """The parsed content; raises OSError (errno as Apache would log it:
        ENOENT, EACCES, EBADF for a non-regular file)."""
        st = os.stat(self.path)
        if not _stat.S_ISREG(st.st_mode) and self.path != "/dev/null":
            raise OSError(_errno.EBADF, os.strerror(_errno.EBADF), self.path)
        sig = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        with self._lock:
            if sig == self._sig and self._parsed is not None:
                return self._parsed
        with open(self.path, "rb") as fh:
            raw = fh.read()
            st2 = os.fstat(fh.fileno())
        parsed = self._parse(raw)
        with self._lock:
            self._sig = (st2.st_dev, st2.st_ino, st2.st_size, st2.st_mtime_ns,
                         st2.st_ctime_ns)
            self._parsed = parsed
            self.loads += 1
        return parsed

    def open_errors(self, exc: OSError) -> list[LogEntry]:  # pragma: no cover
        raise NotImplementedError


class AuthnResult(str, Enum):
    GRANTED = "granted"
    MISMATCH = "mismatch"
    USER_NOT_FOUND = "user-not-found"
    ERROR = "error"              # the file could not be read: 500


class PasswordFile(_StatFile):
    """An ``AuthUserFile``."""

    def __init__(self, path: str, cache: VerifyCache | None = None) -> None:
        super().__init__(path)
        self.cache = _SHARED_CACHE if cache is None else cache

    def _parse(self, data: bytes) -> dict[bytes, bytes]:
        users: dict[bytes, bytes] = {}
        for line in _cfg_lines(data, HUGE_STRING_LEN):
            if not line or line[:1] == b"#":
                continue
            user, colon, rest = line.partition(b":")
            rest = rest.lstrip(b":")
            hash_ = rest.split(b":", 1)[0]
            users.setdefault(user, hash_)      # the first line wins
        return users

    def hash_of(self, user: str | bytes) -> bytes | None:
        """The stored hash, or None for an unknown user (OSError if the file
        cannot be read)."""
        return self.data().get(_b(user).split(b"\0", 1)[0])

    def check_verbose(self, user: str | bytes, password: str | bytes
                      ) -> tuple[AuthnResult, list[LogEntry]]:
        """The result and what authn_file logs itself (only for ERROR; the
        AH01617/AH01618 lines are mod_auth_basic's: see :func:`authenticate`)."""
        u = _b(user).split(b"\0", 1)[0]
        try:
            h = self.data().get(u)
        except OSError as exc:
            return AuthnResult.ERROR, self.open_errors(exc)
        if h is None:
            return AuthnResult.USER_NOT_FOUND, []
        pw = _b(password).split(b"\0", 1)[0]
        k = VerifyCache.key(u, pw, h)
        if k in self.cache:
            return AuthnResult.GRANTED, []
        if password_validate(pw, h):
            self.cache.add(k)
            return AuthnResult.GRANTED, []
        return AuthnResult.MISMATCH, []

    def is_slow(self, user: str | bytes, password: str | bytes) -> bool:
        """Would :meth:`check` run a deliberately slow hash (bcrypt,
        SHA-crypt) not yet in the cache?  The server can then run the check
        in a worker thread instead of on the event loop."""
        u = _b(user).split(b"\0", 1)[0]
        try:
            h = self.data().get(u)
        except OSError:
            return False
        if h is None or not (h[:2] == b"$2" or h[:3] in (b"$5$", b"$6$")):
            return False
        pw = _b(password).split(b"\0", 1)[0]
        with self.cache._lock:
            return VerifyCache.key(u, pw, h) not in self.cache._d

    def check(self, user: str | bytes, password: str | bytes) -> AuthnResult:
        """"granted" | "mismatch" | "user-not-found" (| "error")."""
        return self.check_verbose(user, password)[0]

    def open_errors(self, exc: OSError) -> list[LogEntry]:
        out = []
        if exc.errno == _errno.EBADF:
            out.append(msg_not_regular(self.path))
        out.append(msg_pwfile_open(self.path, exc.errno))
        return out


class GroupFile(_StatFile):
    """An ``AuthGroupFile``."""

    def _parse(self, data: bytes) -> dict[str, set[str]]:
        members: dict[str, set[str]] = {}      # user -> groups
        for line in _cfg_lines(data, None):
            if not line or line[:1] == b"#":
                continue
            name, _, rest = line.partition(b":")
            rest = rest.lstrip(b":")
            group = _s(name.rstrip(_SPACE))
            text = _s(rest)
            pos = 0
            seen = set()
            while pos < len(text):
                w, pos = _getword_conf(text, pos)
                if w not in seen:
                    seen.add(w)
                    members.setdefault(w, set()).add(group)
        return members

    def groups_of(self, user: str | bytes) -> set[str]:
        """The groups listing *user* (OSError if the file cannot be read)."""
        u = _s(_b(user))
        return set(self.data().get(u, ()))

    def authorize(self, user: str, required: list[str], uri: str = ""
                  ) -> tuple[bool, list[LogEntry]]:
        """``Require group g1 g2 ...`` for an authenticated *user*:
        (granted, log entries)."""
        try:
            groups = self.groups_of(user)
        except OSError as exc:
            errs = [msg_not_regular(self.path)] if exc.errno == _errno.EBADF else []
            return False, errs + [msg_groupfile_open(self.path, exc.errno)]
        if not groups:
            return False, [msg_not_in_groupfile(user, uri, self.path)]
        folded = {g.lower() for g in groups}   # apr_table_get: case-blind
        for g in required:
            if g.lower() in folded:
                return True, []
        return False, [msg_not_in_required_group(user, uri)]

    def open_errors(self, exc: OSError) -> list[LogEntry]:
        out = []
        if exc.errno == _errno.EBADF:
            out.append(msg_not_regular(self.path))
        out.append(msg_groupfile_open(self.path, exc.errno))
        return out


# --------------------------------------------------------------------------
# the whole of authenticate_basic_user for the file provider
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class BasicOutcome:
    status: int                   # 0 = authenticated (OK), 401 or 500
    user: str | None              # r->user (set even when the check failed)
    logs: tuple[LogEntry, ...]
    www_authenticate: str | None  # the header value on 401


def authenticate(header: str | bytes | None, auth_name: str | None, uri: str,
                 pwfile: PasswordFile | None) -> BasicOutcome:
    """``authenticate_basic_user`` with ``AuthBasicProvider file`` (the
    default) and ``AuthBasicAuthoritative On``."""
    if auth_name is None:
        return BasicOutcome(500, None, (msg_need_authname(uri),), None)
    challenge = www_authenticate(auth_name)
    creds, err = parse_basic_reason(header, uri)
    if creds is None:
        return BasicOutcome(401, None, (err,) if err else (), challenge)
    user, pw = creds
    if pwfile is None:
        return BasicOutcome(500, user, (msg_no_userfile(),), None)
    result, logs = pwfile.check_verbose(user, pw)
    if result is AuthnResult.GRANTED:
        return BasicOutcome(0, user, (), None)
    if result is AuthnResult.MISMATCH:
        return BasicOutcome(401, user, (msg_password_mismatch(user, uri),), challenge)
    if result is AuthnResult.USER_NOT_FOUND:
        return BasicOutcome(401, user, (msg_user_not_found(user, uri),), challenge)
    return BasicOutcome(500, user, tuple(logs), None)


# --------------------------------------------------------------------------
# the authorization providers (for access.evaluate's rule check)
# --------------------------------------------------------------------------

def require_words(args: str | list[str] | tuple[str, ...]) -> list[str]:
    """The words of an (already evaluated) ``Require user``/``group``
    argument string, split by ``ap_getword_conf``."""
    if not isinstance(args, str):
        return list(args)
    out, pos = [], 0
    while True:
        w, pos = _getword_conf(args, pos)
        if not w:
            return out
        out.append(w)


def require_valid_user(user: str | None):
    """``Require valid-user``."""
    from .access import Result
    return (Result.GRANTED if user is not None else Result.DENIED_NO_USER), []


def require_user(user: str | None, args, uri: str):
    """``Require user a b ...`` (mod_authz_user): (Result, log entries)."""
    from .access import Result
    if user is None:
        return Result.DENIED_NO_USER, []
    for w in require_words(args):
        if w == user:
            return Result.GRANTED, []
    return Result.DENIED, [msg_user_not_required(user, uri)]


def require_group(groupfile: GroupFile | None, user: str | None, args, uri: str):
    """``Require group g ...`` (mod_authz_groupfile): (Result, log entries);
    *groupfile* None means no AuthGroupFile applies (AH01664)."""
    from .access import Result
    if user is None:
        return Result.DENIED_NO_USER, []
    if groupfile is None:
        return Result.DENIED, [msg_no_groupfile()]
    ok, logs = groupfile.authorize(user, require_words(args), uri)
    return (Result.GRANTED if ok else Result.DENIED), logs
