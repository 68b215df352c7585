"""Conditional requests (RFC 9110 §13) as Apache's ``ap_meets_conditions``.

Theory of operation
-------------------
RFC 9110 §13.2.2 fixes the evaluation order: If-Match, If-Unmodified-Since,
If-None-Match, If-Modified-Since, If-Range.  Apache follows that order in
``ap_meets_conditions`` (``modules/http/http_protocol.c``) but differs from
the RFC in ways a drop-in replacement must copy:

* The per-header verdict is four-valued (``ap_condition_e``): NONE (header
  absent), NOMATCH, WEAK, STRONG.
* A *passing* If-Unmodified-Since and a *failing* If-None-Match or
  If-Modified-Since all clear the "not modified" flag; a later match cannot
  set it again.  So ``If-None-Match: <current>`` plus an
  ``If-Modified-Since`` older than the file gives 200 (the RFC would ignore
  If-Modified-Since and answer 304).
* If-Modified-Since/If-Unmodified-Since dates are compared in seconds; a
  date later than the request time is not a match; a match within 60 seconds
  of the file's mtime is only WEAK, and with a ``Range`` header a WEAK date
  match counts as NOMATCH.
* If-None-Match uses the weak comparison (RFC 9110 §8.8.3.2) for GET/HEAD
  without Range and the strong comparison otherwise; a non-GET match is 412.
* If-Match: ``*`` (any value *starting* with ``*``) always matches; otherwise
  strong comparison; no ETag at all means no match → 412.
* If both ``If-Range`` and ``Range`` are present the result is always
  "proceed" (the byte-range filter then decides between 206 and 200), even
  if If-None-Match matched.

ETag lists are searched with a port of ``find_list_item``
(``server/util.c``), quirks included: the strong search stops at the first
list member that is not a quoted string (``W/"a", "b"`` never strongly
matches ``"b"``).
"""

from __future__ import annotations

import enum
from typing import Mapping

from .dates import parse_http_date

__all__ = [
    "Condition",
    "Decision",
    "find_etag_strong",
    "find_etag_weak",
    "condition_if_match",
    "condition_if_unmodified_since",
    "condition_if_none_match",
    "condition_if_modified_since",
    "condition_if_range",
    "meets_conditions",
    "get_header",
]


class Condition(enum.IntEnum):
    """``ap_condition_e``: the verdict for one conditional header."""

    NONE = 0
    NOMATCH = 1
    WEAK = 2
    STRONG = 3


class Decision(enum.Enum):
    """What ``ap_meets_conditions`` tells the handler to do."""

    PROCEED = 200
    NOT_MODIFIED = 304
    PRECONDITION_FAILED = 412


_ISSPACE = " \t\n\v\f\r"


def _find_list_item(line: str | None, tok: str | None, kind: str) -> bool:
    """Port of ``find_list_item`` (``server/util.c``) for etag searches.

    *kind* is ``"strong"`` or ``"weak"``.  Outside quoted strings and
    comments the comparison is case-insensitive and whitespace around
    ``=``, ``/`` and ``;`` is ignored -- irrelevant for well-formed etags,
    kept for fidelity.  State (``good``, quoting) carries over from one list
    member to the next exactly as in C.
    """
    if line is None or tok is None:
        return False
    if kind == "strong" and not tok.startswith('"'):
        return False
    if kind == "weak":
        if tok.startswith('W/"'):
            tok = tok[2:]
        elif not tok.startswith('"'):
            return False
    t = tok + "\0\0"
    s = line + "\0\0\0"
    ptr = 0
    pos = 0
    good = False
    addspace = 0
    in_qpair = in_qstr = False
    in_com = 0

    def eat(expected: str, fold: bool = False) -> bool:
        # C's "*pos++ == c": compare the next token char and advance.
        nonlocal pos
        ch = t[pos]
        pos += 1
        return (ch.lower() == expected.lower()) if fold else (ch == expected)

    while True:
        while s[ptr] == "," or s[ptr] in _ISSPACE:
            ptr += 1
        if kind == "strong" and s[ptr] != '"':
            break
        if kind == "weak":
            if s[ptr] == "W" and s[ptr + 1] == "/" and s[ptr + 2] == '"':
                ptr += 2
            elif s[ptr] != '"':
                break
        if s[ptr] == "\0":
            break  # no items left and nothing good found
        good = True  # until proven otherwise for this item

        pos = 0
        while s[ptr] != "\0" and (in_qpair or in_qstr or in_com or s[ptr] != ","):
            c = s[ptr]
            if in_qpair:
                in_qpair = False
                if good:
                    good = eat(c)
            elif c == "\\":
                in_qpair = True
                if addspace == 1:
                    good = good and eat(" ")
                good = good and eat(c)
                addspace = 0
            elif c == '"':
                if not in_com:
                    in_qstr = not in_qstr
                if addspace == 1:
                    good = good and eat(" ")
                good = good and eat(c)
                addspace = 0
            elif c == "(":
                if not in_qstr:
                    in_com += 1
                if addspace == 1:
                    good = good and eat(" ")
                good = good and eat(c)
                addspace = 0
            elif c == ")":
                if in_com:
                    in_com -= 1
                good = good and eat(c)
                addspace = 0
            elif c in " \t":
                if not (addspace or not good):
                    if in_com or in_qstr:
                        good = eat(c)
                    else:
                        addspace = 1
            elif c in "=/;":
                if not (in_com or in_qstr):
                    addspace = -1
                good = good and eat(c)
            elif good:
                if addspace == 1:
                    good = eat(" ")
                if in_com or in_qstr:
                    good = good and eat(c)
                else:
                    good = good and eat(c, fold=True)
                addspace = 0
            ptr += 1
        if good and t[pos] != "\0":
            good = False  # not good if only a prefix was matched
        if not (s[ptr] != "\0" and not good):
            break
    return good


def find_etag_strong(line: str | None, etag: str | None) -> bool:
    """``ap_find_etag_strong``: is *etag* in the list *line* under the strong
    comparison (RFC 9110 §8.8.3.2)?  A weak *etag* never matches."""
    return _find_list_item(line, etag, "strong")


def find_etag_weak(line: str | None, etag: str | None) -> bool:
    """``ap_find_etag_weak``: is *etag* in the list *line* under the weak
    comparison (``W/`` prefixes ignored on both sides)?"""
    return _find_list_item(line, etag, "weak")


def _sec(value: str | None) -> int:
    """``apr_time_sec(apr_date_parse_http(value))`` with APR_DATE_BAD = 0."""
    t = parse_http_date(value)
    return 0 if t is None else t


def condition_if_match(if_match: str | None, etag: str | None) -> Condition:
    """``ap_condition_if_match`` (RFC 9110 §13.1.1, strong comparison)."""
    if if_match is None:
        return Condition.NONE
    if if_match.startswith("*") or (etag is not None and find_etag_strong(if_match, etag)):
        return Condition.STRONG
    return Condition.NOMATCH


def condition_if_unmodified_since(value: str | None, *, last_modified: int,
                                  request_time: int, has_range: bool) -> Condition:
    """``ap_condition_if_unmodified_since`` (RFC 9110 §13.1.4).

    Note Apache's polarity: the result says whether the *failure* case
    holds -- WEAK/STRONG mean "modified since" (→ 412), NOMATCH means the
    precondition passed.  An unparsable date is NOMATCH (passes).
    """
    if value is None:
        return Condition.NONE
    ius = parse_http_date(value)
    if ius is not None and last_modified > ius:
        if request_time < last_modified + 60:
            return Condition.NOMATCH if has_range else Condition.WEAK
        return Condition.STRONG
    return Condition.NOMATCH


def condition_if_none_match(value: str | None, etag: str | None, *, is_get: bool,
                            has_range: bool) -> Condition:
    """``ap_condition_if_none_match`` (RFC 9110 §13.1.2)."""
    if value is None:
        return Condition.NONE
    if value.startswith("*"):
        return Condition.STRONG
    if is_get:
        if etag is not None:
            if has_range:
                if find_etag_strong(value, etag):
                    return Condition.STRONG
            elif find_etag_weak(value, etag):
                return Condition.WEAK
    elif etag is not None and find_etag_strong(value, etag):
        return Condition.STRONG
    return Condition.NOMATCH


def condition_if_modified_since(value: str | None, *, last_modified: int,
                                request_time: int, has_range: bool) -> Condition:
    """``ap_condition_if_modified_since`` (RFC 9110 §13.1.3).  A date in the
    future (later than the request time) or unparsable is NOMATCH."""
    if value is None:
        return Condition.NONE
    ims = _sec(value)
    if last_modified <= ims <= request_time:
        if request_time < last_modified + 60:
            return Condition.NOMATCH if has_range else Condition.WEAK
        return Condition.STRONG
    return Condition.NOMATCH


def condition_if_range(value: str | None, etag: str | None, *, last_modified: int,
                       request_time: int, has_range: bool) -> Condition:
    """``ap_condition_if_range`` (RFC 9110 §13.1.5).

    Only meaningful with a ``Range`` header.  A value starting with ``"`` is
    an entity-tag compared byte for byte with the current ETag (so a weak
    current ETag never matches); anything else is a date that must equal the
    Last-Modified second *and* be at least 60 s older than the request.
    """
    if value is None or not has_range:
        return Condition.NONE
    if value.startswith('"'):
        return Condition.STRONG if etag is not None and value == etag else Condition.NOMATCH
    if _sec(value) == last_modified:
        if request_time < last_modified + 60:
            return Condition.NOMATCH
        return Condition.STRONG
    return Condition.NOMATCH


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup of *name* in a plain mapping (``apr_table_get``)."""
    v = headers.get(name)
    if v is not None:
        return v
    low = name.lower()
    for k, val in headers.items():
        if k.lower() == low:
            return val
    return None


def meets_conditions(headers: Mapping[str, str], *, method: str, etag: str | None,
                     last_modified: int, request_time: int) -> Decision:
    """Port of ``ap_meets_conditions`` (``modules/http/http_protocol.c``).

    Given the request headers (a mapping; duplicate header lines must already
    be joined with ``", "`` as Apache does), the method, the response's
    ``ETag`` value (``None`` if none is sent) and the Last-Modified and
    request times in whole seconds, return the :class:`Decision`.

    ``HEAD`` counts as ``GET`` (Apache's ``M_GET``).
    """
    is_get = method in ("GET", "HEAD")
    has_range = get_header(headers, "Range") is not None
    not_modified = -1

    if condition_if_match(get_header(headers, "If-Match"), etag) is Condition.NOMATCH:
        return Decision.PRECONDITION_FAILED

    cond = condition_if_unmodified_since(
        get_header(headers, "If-Unmodified-Since"), last_modified=last_modified,
        request_time=request_time, has_range=has_range)
    if cond is Condition.NOMATCH:
        not_modified = 0
    elif cond >= Condition.WEAK:
        return Decision.PRECONDITION_FAILED

    cond = condition_if_none_match(get_header(headers, "If-None-Match"), etag,
                                   is_get=is_get, has_range=has_range)
    if cond is Condition.NOMATCH:
        not_modified = 0
    elif cond >= Condition.WEAK:
        if not is_get:
            return Decision.PRECONDITION_FAILED
        if not_modified:
            not_modified = 1

    cond = condition_if_modified_since(
        get_header(headers, "If-Modified-Since"), last_modified=last_modified,
        request_time=request_time, has_range=has_range)
    if cond is Condition.NOMATCH:
        not_modified = 0
    elif cond >= Condition.WEAK and is_get and not_modified:
        not_modified = 1

    if condition_if_range(get_header(headers, "If-Range"), etag, last_modified=last_modified,
                          request_time=request_time, has_range=has_range) > Condition.NONE:
        return Decision.PROCEED

    return Decision.NOT_MODIFIED if not_modified == 1 else Decision.PROCEED
