"""Byte ranges (RFC 9110 §14) as Apache's ``byterange_filter.c`` serves them.

Theory of operation
-------------------
``ap_set_byterange`` parses and merges the ``Range`` header in one pass;
``ap_byterange_filter`` then applies the limits and frames the answer.  Both
are ported here as pure functions, with these Apache rules (several differ
from a textbook RFC reading):

* Only ``bytes=`` (case-insensitive, no space after ``=``) is recognised;
  anything else means "no Range" → 200 with the full body.  Ranges are
  applied only to a 200 response with a known, non-zero length.
* The header is split on ``,`` with ``ap_getword`` (runs of commas act as
  one; an empty first member ends parsing).  Members are *not* trimmed:
  ``bytes=0-1, 3-4`` is invalid because `` 3`` is not a strict number.
* Any syntactically invalid member (no ``-``, non-digits, ``start > end``,
  ``-0``, a number beyond 2^63-1) → the whole header is ignored (200).
* ``N-`` with N = 0 discards every other range and answers the single range
  ``0-(len-1)`` as a 206.
* Ranges starting at or past the end are dropped; if none is left → 416.
  Apache's 416 carries **no** ``Content-Range`` header (checked against
  2.4.71), although RFC 9110 §15.5.17 says it SHOULD.
* Each range is merged with the previous one when it overlaps or touches it
  (only the immediately preceding, unsorted); every merge counts as an
  *overlap*, and a merge that extends the start downward also as a
  *reversal*.  Exceeding ``MaxRanges`` (merged count, default 200),
  ``MaxRangeOverlaps`` or ``MaxRangeReversals`` (default 20 each) → ignore
  the header (200, full body) -- the CVE-2011-3192 mitigation.
* If the merged ranges add up to more than the file → ignore (200).
* One merged range → 206 with ``Content-Range: bytes a-b/len``; several →
  ``multipart/byteranges``.  Each part starts with
  ``CRLF--boundary CRLF Content-type: <type> CRLF Content-range: bytes
  a-b/len CRLF CRLF`` (note Apache's lower-case ``type``/``range``; the
  ``Content-type`` line is omitted when the response has no type), and the
  body ends with ``CRLF--boundary--CRLF``.  The boundary is a per-process
  random 64-bit number printed as hex without padding.
* With more than 32 parts Apache flushes part-way and drops
  ``Content-Length`` (the response goes chunked); :class:`MultipartFraming`
  still knows the exact length and flags the Apache behaviour.

An ``If-Range`` that does not match (see
:func:`apyche.semantics.conditional.condition_if_range`) means "no Range".
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from typing import Iterator

__all__ = [
    "DEFAULT_MAX_RANGES",
    "DEFAULT_MAX_OVERLAPS",
    "DEFAULT_MAX_REVERSALS",
    "RangeKind",
    "ParsedRanges",
    "RangePlan",
    "MultipartFraming",
    "parse_max_ranges",
    "parse_byte_ranges",
    "plan_ranges",
    "make_boundary",
    "multipart_framing",
    "accept_ranges_value",
]

# byterange_filter.c
DEFAULT_MAX_RANGES = 200
DEFAULT_MAX_OVERLAPS = 20
DEFAULT_MAX_REVERSALS = 20
_FLUSH_EVERY = 32  # "if (i && !(i & 0x1F))": Content-Length dropped past 32 parts
_OFF_T_MAX = (1 << 63) - 1


class RangeKind(enum.Enum):
    """The four outcomes of range processing."""

    FULL = "full"                  # 200, whole body (no/ignored Range)
    SINGLE = "single"              # 206 with Content-Range
    MULTIPART = "multipart"        # 206 multipart/byteranges
    UNSATISFIABLE = "unsatisfiable"  # 416


@dataclass(frozen=True, slots=True)
class ParsedRanges:
    """Result of :func:`parse_byte_ranges` (``ap_set_byterange``).

    ``count`` is Apache's return value: -1 "all unsatisfiable" (416),
    0 "no usable Range" (200), else the number of merged ranges.
    ``ranges`` are inclusive ``(start, end)`` pairs in request order.
    """

    count: int
    ranges: tuple[tuple[int, int], ...] = ()
    overlaps: int = 0
    reversals: int = 0


@dataclass(frozen=True, slots=True)
class RangePlan:
    """What to send.  ``parts`` are inclusive ``(start, end)`` offsets, always
    within ``0 <= start <= end < length``."""

    kind: RangeKind
    length: int
    parts: tuple[tuple[int, int], ...] = ()

    @property
    def status(self) -> int:
        return {RangeKind.FULL: 200, RangeKind.SINGLE: 206,
                RangeKind.MULTIPART: 206, RangeKind.UNSATISFIABLE: 416}[self.kind]

    @property
    def content_range(self) -> str | None:
        """The ``Content-Range`` header value Apache sends, if any (only for a
        single range; never for 416)."""
        if self.kind is RangeKind.SINGLE:
            a, b = self.parts[0]
            return f"bytes {a}-{b}/{self.length}"
        return None


def parse_max_ranges(arg: str, default: int = DEFAULT_MAX_RANGES) -> int | None:
    """Given the argument of ``MaxRanges``/``MaxRangeOverlaps``/
    ``MaxRangeReversals`` (``set_max_ranges`` in ``server/core.c``), return
    the limit: an int (0 = ``none``, ranges disabled) or ``None`` for
    ``unlimited``.  ``default`` gives the built-in default.  Raises
    ``ValueError`` with Apache's message otherwise."""
    low = arg.lower()
    if low == "none":
        return 0
    if low == "default":
        return default
    if low == "unlimited":
        return None
    # atoi(): leading whitespace, optional sign, digits; junk after is ignored.
    s = arg.lstrip()
    i = 0
    if s[:1] in ("+", "-"):
        i = 1
    while i < len(s) and s[i].isdigit() and s[i].isascii():
        i += 1
    try:
        val = int(s[:i])
    except ValueError:
        val = 0
    if val <= 0:
        raise ValueError("MaxRanges requires 'none', 'default', 'unlimited' or a positive integer")
    return val


def accept_ranges_value(max_ranges: int | None) -> str:
    """``ap_set_accept_ranges``: ``Accept-Ranges: none`` when ``MaxRanges
    none``, else ``bytes``."""
    return "none" if max_ranges == 0 else "bytes"


def _strict_length(s: str) -> int | None:
    """``ap_parse_strict_length``: only ASCII digits, must fit in off_t."""
    if not s or not s.isascii() or not s.isdigit():
        return None
    v = int(s)
    return v if v <= _OFF_T_MAX else None


def _getwords(text: str, stop: str) -> Iterator[str]:
    """Successive ``ap_getword(&text, stop)`` results until an empty word."""
    while True:
        i = text.find(stop)
        if i < 0:
            word, text = text, ""
        else:
            word = text[:i]
            i += 1
            while i < len(text) and text[i] == stop:
                i += 1
            text = text[i:]
        if not word:
            return
        yield word


def parse_byte_ranges(header: str | None, length: int) -> ParsedRanges:
    """Port of ``ap_set_byterange`` (``modules/http/byterange_filter.c``).

    Given the ``Range`` header value and the representation length, return
    the merged ranges with the overlap/reversal counters.  If-Range and the
    response status are the caller's business (see :func:`plan_ranges`).
    """
    if header is None or header[:6].lower() != "bytes=":
        return ParsedRanges(0)
    spec = header[6:]
    clength = length
    ranges: list[tuple[int, int]] = []
    num_ranges = 0
    unsatisfiable = False
    ostart = oend = 0
    sum_lengths = 0
    in_merge = False
    overlaps = reversals = 0

    for cur in _getwords(spec, ","):
        dash = cur.find("-")
        if dash < 0:
            return ParsedRanges(0)
        if dash == 0:                       # "-5": the last 5 bytes
            number = _strict_length(cur[1:])
            if number is None or number < 1:
                return ParsedRanges(0)
            start = clength - number
            end = clength - 1
        else:
            number = _strict_length(cur[:dash])
            if number is None:
                return ParsedRanges(0)
            start = number
            tail = cur[dash + 1:]
            if tail:
                number = _strict_length(tail)
                if number is None:
                    return ParsedRanges(0)
                end = number
                if start > end:
                    return ParsedRanges(0)
            else:                           # "5-"
                end = clength - 1
                if start == 0:
                    # special case "0-": ignore all other ranges, return the
                    # single range 0-.
                    num_ranges = 0
                    sum_lengths = 0
                    in_merge = True
                    ostart, oend = start, end
                    ranges.clear()
                    break

        if start < 0:
            start = 0
        if start >= clength:
            unsatisfiable = True
            continue
        if end >= clength:
            end = clength - 1

        if not in_merge:                    # new set
            ostart, oend = start, end
            in_merge = True
            continue
        in_merge = False
        if start >= ostart and end <= oend:
            in_merge = True
        if start < ostart and end >= ostart - 1:
            ostart = start
            reversals += 1
            in_merge = True
        if end >= oend and start <= oend + 1:
            oend = end
            in_merge = True
        if in_merge:
            overlaps += 1
            continue
        ranges.append((ostart, oend))
        sum_lengths += oend - ostart + 1
        in_merge = True                     # new set again
        ostart, oend = start, end
        num_ranges += 1

    if in_merge:
        ranges.append((ostart, oend))
        sum_lengths += oend - ostart + 1
        num_ranges += 1
    elif num_ranges == 0 and unsatisfiable:
        return ParsedRanges(-1, (), overlaps, reversals)
    if sum_lengths > clength:
        return ParsedRanges(0, (), overlaps, reversals)  # "Sum of ranges larger than file"
    return ParsedRanges(num_ranges, tuple(ranges), overlaps, reversals)


def plan_ranges(range_header: str | None, length: int, *, status: int = 200,
                if_range_ok: bool = True,
                max_ranges: int | None = DEFAULT_MAX_RANGES,
                max_overlaps: int | None = DEFAULT_MAX_OVERLAPS,
                max_reversals: int | None = DEFAULT_MAX_REVERSALS,
                http09: bool = False) -> RangePlan:
    """Given the ``Range`` header, the body length and the config limits,
    return the :class:`RangePlan` ``ap_byterange_filter`` would carry out.

    *if_range_ok* is false when an ``If-Range`` header is present and does
    not match (``AP_CONDITION_NOMATCH``).  Limits are ints or ``None`` for
    ``unlimited``; 0 (``MaxRanges none``) disables ranges.  *status* is the
    response status so far: only 200 responses are ranged.
    """
    full = RangePlan(RangeKind.FULL, length)
    if length <= 0 or status != 200 or not if_range_ok or http09:
        return full
    parsed = parse_byte_ranges(range_header, length)
    n = parsed.count
    if (n == 0
            or (max_ranges is not None and n > max_ranges)
            or (max_overlaps is not None and parsed.overlaps > max_overlaps)
            or (max_reversals is not None and parsed.reversals > max_reversals)):
        return full
    if n < 0:
        return RangePlan(RangeKind.UNSATISFIABLE, length)
    if n == 1:
        return RangePlan(RangeKind.SINGLE, length, parsed.ranges)
    return RangePlan(RangeKind.MULTIPART, length, parsed.ranges)


def make_boundary() -> str:
    """A boundary like ``ap_multipart_boundary``: 64 random bits as
    lower-case hex, no zero padding (``"%0" APR_UINT64_T_HEX_FMT``)."""
    return format(int.from_bytes(os.urandom(8), "big"), "x")


@dataclass(frozen=True, slots=True)
class MultipartFraming:
    """The byte layout of a ``multipart/byteranges`` body.

    ``pieces`` alternates framing ``bytes`` and ``(start, end)`` file slices
    (inclusive), in send order, so a sender can ``sendfile`` each slice
    between writes without buffering the file.  ``content_length`` is the
    exact total; ``apache_sends_content_length`` is false when Apache would
    omit it (more than 32 parts).
    """

    content_type: str
    boundary: str
    pieces: tuple[bytes | tuple[int, int], ...]
    content_length: int
    apache_sends_content_length: bool = field(default=True)

    def iter_bytes(self, data: bytes) -> Iterator[bytes]:
        """Yield the body for an in-memory representation *data* (tests)."""
        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield data[piece[0]:piece[1] + 1]


def multipart_framing(parts: tuple[tuple[int, int], ...] | list[tuple[int, int]],
                      length: int, content_type: str | None,
                      boundary: str | None = None) -> MultipartFraming:
    """Given the plan's parts, the full length, the representation's
    Content-Type (as ``ap_make_content_type`` would give it, or ``None``) and
    a boundary, return the :class:`MultipartFraming` Apache's byte-range
    filter produces (RFC 9110 §14.6 with Apache's header spelling)."""
    if boundary is None:
        boundary = make_boundary()
    if content_type:
        head = f"\r\n--{boundary}\r\nContent-type: {content_type}\r\nContent-range: bytes "
    else:
        head = f"\r\n--{boundary}\r\nContent-range: bytes "
    pieces: list[bytes | tuple[int, int]] = []
    total = 0
    for start, end in parts:
        frame = (head + f"{start}-{end}/{length}\r\n\r\n").encode("latin-1")
        pieces.append(frame)
        pieces.append((start, end))
        total += len(frame) + (end - start + 1)
    tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
    pieces.append(tail)
    total += len(tail)
    return MultipartFraming(
        content_type=f"multipart/byteranges; boundary={boundary}",
        boundary=boundary, pieces=tuple(pieces), content_length=total,
        apache_sends_content_length=len(parts) <= _FLUSH_EVERY)
