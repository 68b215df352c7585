"""HTTP dates: formatting (RFC 9110 §5.6.7 IMF-fixdate) and Apache-faithful parsing.

Theory of operation
-------------------
Apache formats every date it sends with ``apr_rfc822_date`` (always
``Sun, 06 Nov 1994 08:49:37 GMT``) and parses every date it receives with
``apr_date_parse_http`` (APR ``util/apr_date.c``).  That parser is not the
RFC grammar: it skips whatever precedes the first space (the weekday is never
checked), then matches one of four masks:

======================  ============================================
``## @$$ #### ##:##:##``  RFC 1123 (``06 Nov 1994 08:49:37``)
``##-@$$-## ##:##:##``    RFC 850 (``06-Nov-94 08:49:37``), 2-digit year
``@$$ ~# ##:##:## ####``  asctime (``Nov  6 08:49:37 1994``)
``# @$$ #### ##:##:##``   RFC 1123 with a one-digit day
======================  ============================================

(``#`` digit, ``@`` upper-case letter, ``$`` lower-case letter, ``~`` space or
digit).  Anything after the time (the zone) is ignored and GMT is assumed;
month names are case-sensitive; day-of-month is checked against the month
(February against leap years); seconds up to 61 are accepted.  A failure is
``APR_DATE_BAD`` (0), which callers compare numerically -- so we return
``None`` and let callers map it to 0 where Apache's arithmetic needs it.

This module is pure: the only clock it reads is the one you pass in, except
:func:`http_date_now`, which caches the formatted string per second.
"""

from __future__ import annotations

import calendar
import time

__all__ = [
    "format_http_date",
    "http_date_now",
    "parse_http_date",
]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_INDEX = {name: i for i, name in enumerate(_MONTHS)}


def format_http_date(seconds: float) -> str:
    """Given a POSIX timestamp, return it as an IMF-fixdate (RFC 9110 §5.6.7).

    Mirrors ``apr_rfc822_date``: fractional seconds are truncated, the zone is
    always ``GMT``.
    """
    t = time.gmtime(int(seconds))
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _WEEKDAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year,
        t.tm_hour, t.tm_min, t.tm_sec)


_now_cache: tuple[int, str] = (-1, "")


def http_date_now(now: float | None = None) -> str:
    """Return the ``Date`` header value for *now* (default: the wall clock).

    The string is cached for the current second, like Apache's
    ``ap_recent_rfc822_date`` cache, so a busy server formats at most one
    date per second.
    """
    global _now_cache
    sec = int(time.time() if now is None else now)
    cached_sec, cached = _now_cache
    if cached_sec == sec:
        return cached
    text = format_http_date(sec)
    _now_cache = (sec, text)
    return text


def _checkmask(data: str, mask: str) -> bool:
    """Port of ``apr_date_checkmask``: match *data* against a date mask.

    ``*`` in the mask matches the rest; the data must otherwise be exactly as
    long as the mask.
    """
    for i, m in enumerate(mask):
        d = data[i] if i < len(data) else "\0"
        if m == "*":
            return True
        if m == "@":
            if not ("A" <= d <= "Z"):
                return False
        elif m == "$":
            if not ("a" <= d <= "z"):
                return False
        elif m == "#":
            if not ("0" <= d <= "9"):
                return False
        elif m == "&":
            if not ("0" <= d <= "9" or "a" <= d.lower() <= "f"):
                return False
        elif m == "~":
            if not (d == " " or "0" <= d <= "9"):
                return False
        elif m != d:
            return False
    return len(data) == len(mask)


def _two(s: str, i: int) -> int:
    return (ord(s[i]) - 48) * 10 + (ord(s[i + 1]) - 48)


def parse_http_date(value: str | None) -> int | None:
    """Given a header value, return POSIX seconds, or ``None`` if Apache would
    get ``APR_DATE_BAD`` from ``apr_date_parse_http``.

    Accepts the three formats of RFC 9110 §5.6.7 (IMF-fixdate, obsolete
    RFC 850, asctime) with APR's leniencies listed in the module docstring.
    """
    if value is None:
        return None
    date = value.lstrip(" \t\r\n\v\f")
    if not date:
        return None
    sp = date.find(" ")
    if sp < 0:
        return None
    date = date[sp + 1:]

    if _checkmask(date, "## @$$ #### ##:##:## *"):
        year = (_two(date, 7) - 19) * 100
        if year < 0:
            return None
        year += _two(date, 9)
        mday = _two(date, 0)
        monstr, timstr = date[3:6], date[12:]
    elif _checkmask(date, "##-@$$-## ##:##:## *"):
        year = _two(date, 7)
        if year < 70:
            year += 100
        mday = _two(date, 0)
        monstr, timstr = date[3:6], date[10:]
    elif _checkmask(date, "@$$ ~# ##:##:## ####*"):
        year = (_two(date, 16) - 19) * 100
        if year < 0:
            return None
        year += _two(date, 18)
        mday = 0 if date[4] == " " else (ord(date[4]) - 48) * 10
        mday += ord(date[5]) - 48
        monstr, timstr = date[0:3], date[7:]
    elif _checkmask(date, "# @$$ #### ##:##:## *"):
        year = (_two(date, 6) - 19) * 100
        if year < 0:
            return None
        year += _two(date, 8)
        mday = ord(date[0]) - 48
        monstr, timstr = date[2:5], date[11:]
    else:
        return None

    # year is "years since 1900", as in struct tm.
    if mday <= 0 or mday > 31:
        return None
    hour, minute, sec = _two(timstr, 0), _two(timstr, 3), _two(timstr, 6)
    if hour > 23 or minute > 59 or sec > 61:
        return None
    mon = _MONTH_INDEX.get(monstr)
    if mon is None:
        return None
    if mday == 31 and mon in (3, 5, 8, 10):
        return None
    if mon == 1 and (mday > 29 or (mday == 29 and (
            (year & 3) or ((year % 100) == 0 and (year % 400) != 100)))):
        return None
    return calendar.timegm((year + 1900, mon + 1, mday, hour, minute, sec, 0, 0, 0))
