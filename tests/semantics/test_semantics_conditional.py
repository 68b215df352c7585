"""apyche.semantics.conditional: ap_meets_conditions and its helpers.

Every ``meets_conditions`` case in APACHE_CASES was run against apache2
2.4.71 (GET and HEAD) on a file last modified 2020-01-02 03:04:05 GMT with
ETag "31-59b1f7226f340"."""

import pytest

from apyche.semantics.conditional import (Condition, Decision, condition_if_match,
                                          condition_if_modified_since, condition_if_none_match,
                                          condition_if_range, condition_if_unmodified_since,
                                          find_etag_strong, find_etag_weak, meets_conditions)
from apyche.semantics.dates import parse_http_date

E = '"31-59b1f7226f340"'
LM_TEXT = "Thu, 02 Jan 2020 03:04:05 GMT"
LM = parse_http_date(LM_TEXT)
NOW = LM + 10 * 365 * 86400


def decide(headers, method="GET", etag=E, last_modified=LM, request_time=NOW):
    return meets_conditions(headers, method=method, etag=etag,
                            last_modified=last_modified, request_time=request_time)


APACHE_CASES = [
    ({"If-None-Match": E}, 304),
    ({"If-None-Match": "W/" + E}, 304),
    ({"If-None-Match": '"x", ' + E}, 304),
    ({"If-None-Match": 'W/"x", ' + E}, 304),
    ({"If-None-Match": "*"}, 304),
    ({"If-None-Match": '"x"'}, 200),
    ({"If-None-Match": E, "If-Modified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"}, 200),
    ({"If-None-Match": E, "If-Modified-Since": LM_TEXT}, 304),
    ({"If-None-Match": E, "If-Unmodified-Since": "Thu, 02 Jan 2030 03:04:05 GMT"}, 200),
    ({"If-None-Match": '"x"', "If-Modified-Since": LM_TEXT}, 200),
    ({"If-Modified-Since": LM_TEXT}, 304),
    ({"If-Modified-Since": "Thursday, 02-Jan-20 03:04:05 GMT"}, 304),
    ({"If-Modified-Since": "Thu Jan  2 03:04:05 2020"}, 304),
    ({"If-Modified-Since": "Thu, 2 Jan 2020 03:04:05 GMT"}, 304),
    ({"If-Modified-Since": "thu, 02 jan 2020 03:04:05 GMT"}, 200),
    ({"If-Modified-Since": "Thu, 02 Jan 2020 03:04:04 GMT"}, 200),
    ({"If-Modified-Since": "Thu, 02 Jan 2099 03:04:05 GMT"}, 200),
    ({"If-Modified-Since": "garbage"}, 200),
    ({"If-Match": E}, 200),
    ({"If-Match": "W/" + E}, 412),
    ({"If-Match": "*"}, 200),
    ({"If-Match": '"x"'}, 412),
    ({"If-Unmodified-Since": LM_TEXT}, 200),
    ({"If-Unmodified-Since": "Thu, 02 Jan 2020 03:04:04 GMT"}, 412),
    ({"If-Unmodified-Since": "garbage"}, 200),
    ({"Range": "bytes=0-4", "If-None-Match": E}, 304),
    ({"Range": "bytes=0-4", "If-None-Match": "W/" + E}, 200),
    ({"Range": "bytes=0-4", "If-None-Match": E, "If-Range": E}, 200),
    ({"Range": "bytes=0-4", "If-Match": '"x"'}, 412),
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("headers,expected", APACHE_CASES)
def test_meets_conditions_matches_apache(headers, expected, method):
    assert decide(headers, method).value == expected


def test_no_conditional_headers_proceeds():
    assert decide({}) is Decision.PROCEED


def test_header_names_are_case_insensitive():
    assert decide({"if-none-match": E}) is Decision.NOT_MODIFIED


def test_if_none_match_on_non_get_is_412():
    assert decide({"If-None-Match": E}, method="POST") is Decision.PRECONDITION_FAILED


def test_if_none_match_on_non_get_uses_strong_comparison():
    assert decide({"If-None-Match": "W/" + E}, method="PUT") is Decision.PROCEED


def test_if_match_without_etag_fails():
    assert decide({"If-Match": E}, etag=None) is Decision.PRECONDITION_FAILED


def test_if_match_star_without_etag_passes():
    assert decide({"If-Match": "*"}, etag=None) is Decision.PROCEED


def test_if_modified_since_within_60s_of_mtime_is_weak_but_304():
    assert decide({"If-Modified-Since": LM_TEXT}, request_time=LM + 30) is Decision.NOT_MODIFIED


def test_if_modified_since_within_60s_with_range_is_ignored():
    assert decide({"If-Modified-Since": LM_TEXT, "Range": "bytes=0-1"},
                  request_time=LM + 30) is Decision.PROCEED


def test_if_unmodified_since_within_60s_with_range_passes():
    h = {"If-Unmodified-Since": "Thu, 02 Jan 2020 03:04:04 GMT", "Range": "bytes=0-1"}
    assert decide(h, request_time=LM + 30) is Decision.PROCEED


def test_if_modified_since_later_than_request_time_is_ignored():
    assert decide({"If-Modified-Since": LM_TEXT}, request_time=LM - 1, last_modified=LM - 5) is Decision.PROCEED


def test_if_range_suppresses_304():
    h = {"If-None-Match": E, "If-Range": '"nope"', "Range": "bytes=0-1"}
    assert decide(h) is Decision.PROCEED


def test_if_range_without_range_is_ignored():
    assert decide({"If-None-Match": E, "If-Range": E}) is Decision.NOT_MODIFIED


# --- the per-header helpers ------------------------------------------------

def test_condition_if_match_absent_is_none():
    assert condition_if_match(None, E) is Condition.NONE


def test_condition_if_match_star_prefix():
    assert condition_if_match("*, junk", E) is Condition.STRONG


def test_condition_if_none_match_get_weak():
    assert condition_if_none_match("W/" + E, E, is_get=True, has_range=False) is Condition.WEAK


def test_condition_if_none_match_get_range_strong_only():
    assert condition_if_none_match("W/" + E, E, is_get=True, has_range=True) is Condition.NOMATCH


def test_condition_if_modified_since_strong_after_60s():
    assert condition_if_modified_since(LM_TEXT, last_modified=LM, request_time=LM + 60,
                                       has_range=False) is Condition.STRONG


def test_condition_if_unmodified_since_bad_date_is_nomatch():
    assert condition_if_unmodified_since("nope", last_modified=LM, request_time=NOW,
                                         has_range=False) is Condition.NOMATCH


def test_condition_if_range_etag_exact_match():
    assert condition_if_range(E, E, last_modified=LM, request_time=NOW, has_range=True) is Condition.STRONG


def test_condition_if_range_weak_current_etag_never_matches():
    assert condition_if_range('W/"a"', 'W/"a"', last_modified=LM, request_time=NOW,
                              has_range=True) is Condition.NOMATCH


def test_condition_if_range_date_needs_exact_second():
    assert condition_if_range(LM_TEXT, E, last_modified=LM, request_time=NOW, has_range=True) is Condition.STRONG
    assert condition_if_range(LM_TEXT, E, last_modified=LM + 1, request_time=NOW,
                              has_range=True) is Condition.NOMATCH


def test_condition_if_range_date_within_60s_is_nomatch():
    assert condition_if_range(LM_TEXT, E, last_modified=LM, request_time=LM + 59,
                              has_range=True) is Condition.NOMATCH


def test_condition_if_range_without_range_is_none():
    assert condition_if_range(E, E, last_modified=LM, request_time=NOW, has_range=False) is Condition.NONE


# --- find_list_item port ----------------------------------------------------

@pytest.mark.parametrize("line,tag,strong,weak", [
    ('"a"', '"a"', True, True),
    ('"b", "a"', '"a"', True, True),
    ('"b","a"', '"a"', True, True),
    ('W/"a"', '"a"', False, True),
    ('"a"', 'W/"a"', False, True),
    ('W/"x", "a"', '"a"', False, True),     # strong search stops at W/
    ('"ab"', '"a"', False, False),
    ('"a"', '"ab"', False, False),
    ('"A"', '"a"', False, False),           # quoted: case-sensitive
    ('  ,  "a" ', '"a"', True, True),
    ("", '"a"', False, False),
    ('"a"', "a", False, False),             # unquoted token never matches
])
def test_find_etag(line, tag, strong, weak):
    assert (find_etag_strong(line, tag), find_etag_weak(line, tag)) == (strong, weak)
