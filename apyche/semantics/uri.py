"""Request target → decoded URL path, exactly as Apache httpd 2.4.71 does it.

Theory of operation
-------------------
Apache turns the request-target into ``r->uri`` in four steps, and this module
keeps them apart because each one has its own failure status:

1. ``ap_parse_request_line`` (``server/protocol.c``): the target must consist
   of VCHAR/obs-text only; with ``HttpProtocolOptions Strict`` (the default) a
   fragment (``#``) or userinfo (``user@``) in the target is a 400.
2. ``ap_parse_uri`` (``server/protocol.c``): leading ``//`` runs collapse to a
   single ``/`` (always, whatever ``MergeSlashes`` says), then
   ``apr_uri_parse`` splits path / query / fragment.  A path that does not
   start with ``/`` is a 400 (RFC 7230 §5.3), except ``OPTIONS *``.
3. ``ap_normalize_path`` (``server/util.c``) with
   ``AP_NORMALIZE_NOT_ABOVE_ROOT | AP_NORMALIZE_DECODE_UNRESERVED`` (plus
   ``AP_NORMALIZE_MERGE_SLASHES`` unless ``MergeSlashes Off``), called from
   ``ap_process_request_internal`` (``server/request.c``): decodes
   ``%41``-style escapes of RFC 3986 *unreserved* characters only, removes
   ``.`` and ``..`` segments (also ``.%2e``), merges slashes.  A bad ``%``
   escape or a ``..`` that would climb above ``/`` makes it fail → **400**
   (log AH10244 "invalid URI path").  This is the CVE-2021-41773/42013 fix:
   ``/.%2e/`` is a ``..`` segment, and ``%%32%65`` is a bad escape.
4. ``ap_unescape_url_ex`` with ``AP_UNESCAPE_URL_KEEP_UNRESERVED`` (those were
   decoded in step 3 and must not be decoded twice) and, per
   ``AllowEncodedSlashes``:

   * ``Off`` (default): ``%2f`` → **404** (AH00026 "found %2f (encoded '/')
     in URI path");
   * ``On``: ``%2f`` decoded to ``/`` and the path is normalised once more
     (the return value of that second ``ap_normalize_path`` is ignored by
     Apache, so a ``..`` above the root is silently dropped, not a 400);
   * ``NoDecode``: ``%2f`` stays encoded in ``r->uri``.

   ``%00`` is always a **404** (also logged as AH00026, Apache reuses the
   message).  A bad escape would be a 400 but cannot survive step 3.

On Unix ``AP_IS_SLASH`` is only ``/``: a raw or encoded backslash is an
ordinary byte.  Bytes are opaque: ``%c0%ae`` (overlong UTF-8 for ``.``) decodes
to the two bytes ``\\xc0\\xae`` and never to a dot, so the decoded path is
returned as :class:`bytes`.

Step 3's output is what the *first* Location walk sees (``r->uri`` before
unescaping); step 4's output is what the second Location walk and
``translate_name`` see.  Both are returned.

This module never touches sockets or files.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass

__all__ = [
    "AllowEncodedSlashes",
    "RequestPath",
    "UriError",
    "map_request_target",
    "request_line_too_long",
    "normalize_path",
    "split_request_target",
    "unescape_url",
]

# RFC 3986 §2.3 unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
# (gen_test_char.c T_URI_UNRESERVED).
_UNRESERVED = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SLASH = 0x2F
_DOT = 0x2E
_PCT = 0x25


class UriError(Exception):
    """A request target Apache refuses, with the status Apache answers.

    ``status`` is 400 or 404; ``log`` is the error-log text Apache writes (its
    AH number first) or ``""`` when Apache logs nothing above debug level.
    ``uri`` is r->uri as the refused step left it (normalised, unescaped as
    far as it went, cut at a decoded NUL: what %U logs), or None when the
    path was not reached.
    """

    def __init__(self, status: int, log: str = "", uri: str | None = None) -> None:
        super().__init__(f"{status} {log}".strip())
        self.status = status
        self.log = log
        self.uri = uri


def _c_string(path: bytes) -> str:
    """The path as C code sees it: up to the first NUL."""
    return path.split(b"\0", 1)[0].decode("latin-1")


class AllowEncodedSlashes(enum.Enum):
    """The three values of the ``AllowEncodedSlashes`` directive (core)."""

    OFF = "off"
    ON = "on"
    NODECODE = "nodecode"

    @classmethod
    def parse(cls, word: str) -> "AllowEncodedSlashes":
        """Given the directive's argument (any case), return the member."""
        return cls(word.lower())


@dataclass(frozen=True, slots=True)
class RequestPath:
    """The outcome of :func:`map_request_target`.

    ``normalized``  -- path after ``ap_normalize_path`` (still %-escaped
                       except for unreserved characters); the first Location
                       walk matches against this.
    ``decoded``     -- ``r->uri`` after ``ap_unescape_url_ex``: raw bytes.
    ``query``       -- ``r->args`` (undecoded), or ``None`` when absent.
    ``unparsed``    -- the request-target as received (``r->unparsed_uri``).
    """

    normalized: str
    decoded: bytes
    query: str | None
    unparsed: str

    @property
    def fs_path(self) -> str:
        """The decoded path as a ``str`` suitable for ``os`` calls
        (``os.fsdecode``: undecodable bytes become surrogate escapes)."""
        return os.fsdecode(self.decoded)


def _to_bytes(target: bytes | str) -> bytes:
    if isinstance(target, str):
        return target.encode("latin-1")
    return bytes(target)


_SCHEME_RE = re.compile(rb"^([A-Za-z][A-Za-z0-9+.\-]*):")
_NOT_VCHAR = re.compile(rb"[\x00-\x20\x7f]")   # ap_scan_vchar_obstext stops there


def split_authority(rest: str) -> tuple[str, str]:
    """What follows a URI's "//", split as apr_uri_parse splits it: the
    authority, up to the first "/", "?" or "#", and the rest."""
    end = len(rest)
    for stop in "/?#":
        i = rest.find(stop, 0, end)
        if i >= 0:
            end = i
    return rest[:end], rest[end:]


DEFAULT_LIMIT_REQUEST_LINE = 8190   # LimitRequestLine default (include/httpd.h)


def request_line_too_long(line_length: int, limit: int = DEFAULT_LIMIT_REQUEST_LINE) -> bool:
    """Would Apache answer **414** to a request line of *line_length* bytes
    (method SP target SP version, without the CRLF)?

    ``read_request_line`` gives ``ap_rgetline`` a buffer of
    ``LimitRequestLine + 2``; on the wire (apache2 2.4.71, default limit)
    a line of 8191 bytes is read and one of 8192 is a 414, i.e. the line may
    be at most ``limit + 1`` bytes long.
    """
    return line_length > limit + 1


def split_request_target(target: bytes | str, method: str = "GET",
                         *, strict: bool = True) -> tuple[bytes, bytes | None]:
    """Given a request-target, return ``(path, query)`` as Apache's
    ``ap_parse_request_line`` + ``ap_parse_uri`` + ``apr_uri_parse`` see it.

    Raises :class:`UriError` (400) for control characters or spaces in the
    target (``ap_scan_vchar_obstext``), a fragment or userinfo under
    ``HttpProtocolOptions Strict`` (*strict*), or a path that does not start
    with ``/`` (RFC 7230 §5.3) other than ``OPTIONS *``.
    """
    raw = _to_bytes(target)
    if not raw or _NOT_VCHAR.search(raw):
        raise UriError(400, "AH03451: HTTP Request Line; Invalid request-target")

    uri = raw
    # ap_parse_uri: "This is not in fact a URI, it's a path" -- collapse a
    # leading run of slashes whatever MergeSlashes says (PR 31875, 28450).
    while uri[:2] == b"//":
        uri = uri[1:]

    fragment = None
    hashpos = uri.find(b"#")
    if hashpos >= 0:
        uri, fragment = uri[:hashpos], uri[hashpos + 1:]
    query = None
    qpos = uri.find(b"?")
    if qpos >= 0:
        uri, query = uri[:qpos], uri[qpos + 1:]

    userinfo = False
    path: bytes | None = uri
    if not uri.startswith(b"/"):
        m = _SCHEME_RE.match(uri)
        if m and uri[m.end():m.end() + 2] == b"//":
            rest = uri[m.end() + 2:]
            slash = rest.find(b"/")
            hostinfo = rest if slash < 0 else rest[:slash]
            userinfo = b"@" in hostinfo
            path = None if slash < 0 else rest[slash:]
        elif m:
            # "scheme:" without an authority: the rest is the path
            # ("http:/x" is /x; "http:" alone is no path at all)
            path = uri[m.end():]
        # else: a relative reference; apr_uri_parse keeps it as the path.

    if strict and fragment is not None:
        raise UriError(400, "AH02421: HTTP Request Line; URI must not contain a fragment")
    if strict and userinfo:
        raise UriError(400, "AH02422: HTTP Request Line; URI must not contain a username/password")

    if path is None or path == b"":
        path = b"*" if method == "OPTIONS" and path is None else b"/"
    if not path.startswith(b"/"):
        if not (method == "OPTIONS" and path == b"*"):
            raise UriError(400, "")
    return path, query


def normalize_path(path: bytes | str, *, merge_slashes: bool = True,
                   decode_unreserved: bool = True, not_above_root: bool = True,
                   allow_relative: bool = False) -> tuple[bytes, bool]:
    """Port of ``ap_normalize_path`` (``server/util.c``).

    Given a path and the ``AP_NORMALIZE_*`` flags, return ``(result, ok)``.
    ``ok`` is false -- Apache returns 0 -- when the path does not start with
    ``/`` (and relative paths are not allowed), when *decode_unreserved* is
    set and a ``%`` is not followed by two hex digits, or when a ``..``
    segment would climb above the root and *not_above_root* is set.  Like
    Apache, the result is computed in full even when ``ok`` is false.

    Decoding covers only RFC 3986 §2.3 unreserved characters, and only once:
    the decoded byte is reconsidered as a segment start (so ``%2e`` acts as a
    dot, and ``.%2e`` as ``..``) but never as the start of a new escape.
    """
    src = _to_bytes(path)
    if src == b"*":
        return src, True
    # Trailing NULs let index arithmetic run past the end as C does.
    buf = bytearray(src) + b"\0\0\0\0"
    n_src = len(src)
    ok = True
    if not src.startswith(b"/"):
        if not allow_relative or not src:
            return src, False
        l = w = 0
    else:
        l = w = 1

    def slash_or_nul(i: int) -> bool:
        return buf[i] == 0 or buf[i] == _SLASH

    while l < n_src and buf[l] != 0:
        if decode_unreserved and buf[l] == _PCT:
            if buf[l + 1] in _HEX and buf[l + 2] in _HEX:
                c = int(bytes(buf[l + 1:l + 3]), 16)
                if c in _UNRESERVED:
                    # Replace the last char of the escape and fall through
                    # with it as the current read position.
                    l += 2
                    buf[l] = c
            else:
                ok = False  # invalid encoding

        if w == 0 or buf[w - 1] == _SLASH:
            # Collapse ///// sequences to /
            if merge_slashes and buf[l] == _SLASH:
                while buf[l] == _SLASH:
                    l += 1
                continue
            if buf[l] == _DOT:
                # Remove /./ segments
                if slash_or_nul(l + 1):
                    l += 1
                    if buf[l]:
                        l += 1
                    continue
                # Remove /xx/../ segments (or /xx/.%2e/ when decoding, since
                # only the first dot has been decoded at this point).
                n = l + 1
                is_dotdot = False
                if buf[n] == _DOT:
                    is_dotdot = slash_or_nul(n + 1)
                elif (decode_unreserved and buf[n] == _PCT and buf[n + 1] == 0x32
                      and buf[n + 2] in (0x65, 0x45)):
                    n += 2
                    is_dotdot = slash_or_nul(n + 1)
                if is_dotdot:
                    if w > 1:
                        # Wind w back to remove the previous segment
                        w -= 1
                        while w and buf[w - 1] != _SLASH:
                            w -= 1
                    elif not_above_root:
                        ok = False  # already at root
                    l = n + 1
                    if buf[l]:
                        l += 1
                    continue

        buf[w] = buf[l]
        w += 1
        l += 1
    return bytes(buf[:w]), ok


def unescape_url(path: bytes | str, *, forbid_slashes: bool = False,
                 keep_slashes: bool = False, keep_unreserved: bool = False
                 ) -> tuple[bytes, int]:
    """Port of ``unescape_url`` behind ``ap_unescape_url_ex`` (``server/util.c``).

    Given a path and the ``AP_UNESCAPE_URL_*`` flags, return
    ``(result, status)`` where status is 0 (OK), 400 (a ``%`` not followed by
    two hex digits) or 404 (``%00``, or ``%2f`` when *forbid_slashes*).  400
    wins over 404 when both occur.  With *keep_unreserved* / *keep_slashes*
    those escapes are copied through still encoded.
    """
    src = _to_bytes(path)
    if b"%" not in src:
        return src, 0
    out = bytearray()
    badesc = badpath = False
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch != _PCT:
            out.append(ch)
            i += 1
            continue
        if i + 2 < n and src[i + 1] in _HEX and src[i + 2] in _HEX:
            decoded = int(src[i + 1:i + 3], 16)
            if decoded == 0 or (forbid_slashes and decoded == _SLASH):
                badpath = True
                out.append(decoded)
                i += 3
            elif ((keep_unreserved and decoded in _UNRESERVED)
                  or (keep_slashes and decoded == _SLASH)):
                out += src[i:i + 3]
                i += 3
            else:
                out.append(decoded)
                i += 3
        else:
            badesc = True
            out.append(_PCT)
            i += 1
    if badesc:
        return bytes(out), 400
    if badpath:
        return bytes(out), 404
    return bytes(out), 0


def map_request_target(target: bytes | str, *,
                       allow_encoded_slashes: AllowEncodedSlashes | str = AllowEncodedSlashes.OFF,
                       merge_slashes: bool = True, method: str = "GET",
                       strict: bool = True) -> RequestPath:
    """Given a request-target, return the :class:`RequestPath` Apache would
    derive, or raise :class:`UriError` carrying Apache's status.

    Follows ``ap_parse_uri`` then the URI part of
    ``ap_process_request_internal`` (``server/request.c``); see the module
    docstring for the four steps and their statuses.
    """
    aes = (allow_encoded_slashes if isinstance(allow_encoded_slashes, AllowEncodedSlashes)
           else AllowEncodedSlashes.parse(allow_encoded_slashes))
    path, query = split_request_target(target, method, strict=strict)
    unparsed = _to_bytes(target).decode("latin-1")
    q = None if query is None else query.decode("latin-1")
    if path == b"*":
        return RequestPath("*", b"*", q, unparsed)

    if b"%" not in path and b"/." not in path and not (merge_slashes and b"//" in path):
        # Fast path: nothing for ap_normalize_path or ap_unescape_url_ex to
        # change (every segment start follows a "/", so "/." finds them all).
        text = path.decode("latin-1")
        return RequestPath(text, path, q, unparsed)

    normalized, ok = normalize_path(path, merge_slashes=merge_slashes,
                                    decode_unreserved=True, not_above_root=True)
    if not ok:
        raise UriError(400, f"AH10244: invalid URI path ({unparsed})", _c_string(normalized))

    decoded, status = unescape_url(
        normalized, keep_unreserved=True,
        forbid_slashes=aes is AllowEncodedSlashes.OFF,
        keep_slashes=aes is AllowEncodedSlashes.NODECODE)
    if status:
        if status == 404:
            # Apache logs AH00026 for %00 too (the message says %2f).
            raise UriError(404, f"AH00026: found %2f (encoded '/') in URI path ({unparsed}), "
                                "returning 404", _c_string(decoded))
        raise UriError(status, "", _c_string(decoded))
    if aes is AllowEncodedSlashes.ON:
        # Decoding slashes may have created new //, /./ or /../ segments
        # ("/.%2F/"), so re-normalise.  Apache ignores the result flag here.
        decoded, _ = normalize_path(decoded, merge_slashes=merge_slashes,
                                    decode_unreserved=False, not_above_root=True)
    return RequestPath(normalized.decode("latin-1"), decoded, q, unparsed)
