"""apyche.semantics.dates: IMF-fixdate output, apr_date_parse_http input."""

import calendar

import pytest

from apyche.semantics.dates import format_http_date, http_date_now, parse_http_date

T = calendar.timegm((1994, 11, 6, 8, 49, 37))


def test_format_http_date_is_imf_fixdate():
    assert format_http_date(T) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_format_http_date_truncates_fractional_seconds():
    assert format_http_date(T + 0.999) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_http_date_now_is_cached_per_second():
    a = http_date_now(T)
    assert http_date_now(T + 0.5) is a
    assert http_date_now(T + 1) == "Sun, 06 Nov 1994 08:49:38 GMT"


@pytest.mark.parametrize("text", [
    "Sun, 06 Nov 1994 08:49:37 GMT",        # RFC 1123 / IMF-fixdate
    "Sunday, 06-Nov-94 08:49:37 GMT",       # RFC 850
    "Sun Nov  6 08:49:37 1994",             # asctime
    "Sun Nov 06 08:49:37 1994",             # asctime, zero-padded day
    "Sun Nov  6 08:49:37 1994 GMT",         # asctime, trailing junk ignored
    "Sun, 6 Nov 1994 08:49:37 GMT",         # one-digit day
    "Xyz, 06 Nov 1994 08:49:37 GMT",        # weekday never checked
    "Sun, 06 Nov 1994 08:49:37 PST",        # zone ignored, GMT assumed
    "  Sun, 06 Nov 1994 08:49:37 GMT",      # leading whitespace skipped
])
def test_parse_http_date_accepts_apache_formats(text):
    assert parse_http_date(text) == T


@pytest.mark.parametrize("text", [
    None, "", "garbage", "Sun,06 Nov 1994 08:49:37 GMT",
    "Sun, 06 nov 1994 08:49:37 GMT",        # month is case-sensitive
    "Sun, 31 Apr 1994 08:49:37 GMT",        # no April 31st
    "Sun, 29 Feb 1995 08:49:37 GMT",        # not a leap year
    "Sun, 06 Nov 1994 24:49:37 GMT",
    "Sun, 06 Nov 1994 08:60:37 GMT",
    "Sun, 06 Nov 1894 08:49:37 GMT",        # before 1900
    # The rest were checked as If-Modified-Since against apache2 2.4.71:
    "Sun, 06 Nov 94 08:49:37 GMT",          # 2-digit year only in RFC 850 form
    "Sun, 06 Nov 1994 08:49:37",            # the mask wants " *" after the time
    "Sun,  6 Nov 1994 08:49:37 GMT",        # space-padded day only in asctime
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:65 GMT",
])
def test_parse_http_date_rejects(text):
    assert parse_http_date(text) is None


def test_parse_http_date_rfc850_two_digit_year_below_70_is_20xx():
    assert parse_http_date("Thursday, 02-Jan-20 03:04:05 GMT") == calendar.timegm((2020, 1, 2, 3, 4, 5))


def test_parse_http_date_accepts_leap_day():
    assert parse_http_date("Sat, 29 Feb 2020 00:00:00 GMT") == calendar.timegm((2020, 2, 29, 0, 0, 0))


def test_parse_http_date_accepts_leap_second_by_rolling_over():
    assert parse_http_date("Sun, 06 Nov 1994 08:49:60 GMT") == T + 23


def test_parse_http_date_roundtrips_format():
    assert parse_http_date(format_http_date(1_700_000_000)) == 1_700_000_000
