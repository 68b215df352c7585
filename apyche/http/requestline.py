"""A complete request line judged as Apache 2.4 judges it.

llhttp parses the common lines on the hot path.  The lines it cannot judge
as Apache does come here, once their line end has arrived: a line without
a protocol (an HTTP/0.9 simple request, which llhttp would only finish at
a blank line Apache never waits for), "HTTP/0.9" spelt out (llhttp takes it
for a simple request; Apache refuses it), and every line llhttp rejects
(Apache may take it as a simple request, or refuse it for a reason of its
own).

:func:`judge` follows httpd's ``tokenize_request_line`` and
``ap_assign_request_line`` (server/protocol.c): the method must be a token
(Strict), single spaces separate the three words (Strict), the target has
no control characters, the protocol is exactly "HTTP/d.d" with d > 0, or
absent - a simple request, allowed unless HttpProtocolOptions Require1.0,
and only with GET under Strict.  Every refusal is a 400 with a full
HTTP/1.x answer (Apache's rrl_failed), never a bare 0.9 body.
"""

from __future__ import annotations

from dataclasses import dataclass

# RFC 9110 token characters (ap_scan_http_token).
_TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SPACE = frozenset(b" \t\n\v\f\r")    # apr_isspace


def _vchar_obstext(c: int) -> bool:
    return 0x21 <= c <= 0x7E or c >= 0x80


@dataclass(frozen=True, slots=True)
class LineVerdict:
    """``status`` None: acceptable; ``simple``: an HTTP/0.9 simple request
    (no protocol word); otherwise the line has a protocol llhttp may parse."""

    status: int | None
    reason: str = ""
    method: str = ""
    target: str = ""
    simple: bool = False


def _refused(reason: str) -> LineVerdict:
    return LineVerdict(400, reason)


def judge(line: bytes, *, strict: bool = True) -> LineVerdict:
    """Apache's verdict on one request line (*line* without its LF; a
    trailing CR is the CRLF's, and required under Strict).  ``simple`` is
    also set on a refusal when the line had no protocol word."""
    crlf = line.endswith(b"\r")
    verdict = _tokens(line[:-1] if crlf else line, strict)
    if strict and not crlf and verdict.status is None:
        return LineVerdict(400, "request line not terminated by CRLF", simple=verdict.simple)
    return verdict


_BAD_SEPARATOR = {-1: "Excess whitespace in the request line",
                  -2: "Invalid whitespace in the request line"}


def _separator(line: bytes, i: int, strict: bool) -> int:
    """Past the whitespace at *i* between two words: one SP under Strict,
    any run of SP otherwise; a negative key of _BAD_SEPARATOR if not."""
    n = len(line)
    if strict and i + 1 < n and line[i + 1] in _SPACE:
        return -1
    while i < n and line[i] in _SPACE:
        if line[i] != 0x20:
            return -2
        i += 1
    return i


def _tokens(line: bytes, strict: bool) -> LineVerdict:
    n = len(line)
    i = 0
    if i < n and line[i] in _SPACE:
        return _refused("leading whitespace before the method")
    while i < n and (line[i] in _TCHAR if strict else _vchar_obstext(line[i])):
        i += 1
    if i == 0 or (i < n and line[i] not in _SPACE):
        return _refused("Invalid method token")
    method = line[:i]
    if i == n:
        return _refused("Missing URI")
    i = _separator(line, i, strict)
    if i < 0:
        return _refused(_BAD_SEPARATOR[i])
    start = i
    while i < n and _vchar_obstext(line[i]):
        i += 1
    if i == start:
        return _refused("Missing URI")
    if i < n and line[i] not in _SPACE:
        return _refused("URI contains control characters")
    target = line[start:i]
    i = _separator(line, i, strict)
    if i < 0:
        return _refused(_BAD_SEPARATOR[i])
    start = i
    while i < n and _vchar_obstext(line[i]):
        i += 1
    protocol = line[start:i]
    if i < n:
        if strict or line[i] not in _SPACE:
            return _refused("Extra text after the protocol")
        while i < n and line[i] == 0x20:
            i += 1
        if i < n:
            return _refused("Extra text after the protocol")
    verdict = LineVerdict(None, "", method.decode("latin-1"), target.decode("latin-1"),
                          simple=not protocol)
    if not protocol:
        return verdict
    if (len(protocol) == 8 and protocol[:5] == b"HTTP/" and protocol[5] in b"123456789"
            and protocol[6] == 0x2E and protocol[7] in b"0123456789"):
        return verdict
    if (not strict and len(protocol) == 8 and protocol[:5].upper() == b"HTTP/"
            and protocol[5] in b"123456789" and protocol[6] == 0x2E
            and protocol[7] in b"0123456789"):
        return verdict
    return _refused(f"Unrecognized protocol '{protocol.decode('latin-1')}'")


def logged_line(line: bytes, *, strict: bool = True) -> bytes:
    """``r->the_request`` as ``ap_parse_request_line`` rebuilds it from a
    line it read (without the LF; a trailing CR is the CRLF's): the method,
    the target and the protocol joined by single spaces - leading, excess
    and other whitespace and any text after the protocol are dropped.  This
    is what Apache logs as %r for a refused line (one it never parsed, a
    414, it logs as read)."""
    line = line.split(b"\0", 1)[0]          # a C string
    n = len(line)
    i = 0
    while i < n and line[i] in _SPACE:
        i += 1
    leading = i > 0
    start = i
    while i < n and (line[i] in _TCHAR if strict else _vchar_obstext(line[i])):
        i += 1
    if i < n and line[i] not in _SPACE:
        if leading:
            # already in error: the method ends at the bad octet, which
            # then ends the whole line
            return line[start:i]
        while i < n and line[i] not in _SPACE:
            i += 1
    elif i == start and not leading:
        while i < n and line[i] not in _SPACE:
            i += 1
    words = [line[start:i]]
    while i < n and line[i] in _SPACE:
        i += 1
    start = i
    while i < n and line[i] not in _SPACE:    # the target, control octets and all
        i += 1
    words.append(line[start:i])
    while i < n and line[i] in _SPACE:
        i += 1
    start = i
    while i < n and _vchar_obstext(line[i]):   # the protocol, to its first non-vchar
        i += 1
    words.append(line[start:i])
    return b" ".join(w for w in words if w)
