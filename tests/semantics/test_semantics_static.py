"""apyche.semantics.static.decide: conditionals then ranges, in Apache's order."""

from apyche.semantics.dates import parse_http_date
from apyche.semantics.ranges import RangeKind
from apyche.semantics.static import decide

E = '"31-59b1f7226f340"'
LM = parse_http_date("Thu, 02 Jan 2020 03:04:05 GMT")
NOW = LM + 86400 * 365


def run(headers, method="GET", **kw):
    args = dict(method=method, length=49, etag=E, last_modified=LM, request_time=NOW)
    args.update(kw)
    return decide(headers, **args)


def test_plain_get_is_200_full():
    d = run({})
    assert d.status == 200 and d.plan.kind is RangeKind.FULL


def test_not_modified_has_no_plan():
    d = run({"If-None-Match": E})
    assert d.status == 304 and d.plan is None


def test_precondition_failed_beats_range():
    assert run({"If-Match": '"x"', "Range": "bytes=0-1"}).status == 412


def test_if_none_match_beats_unsatisfiable_range():
    # apache2 2.4.71: Range bytes=100- with a matching If-None-Match → 304
    assert run({"If-None-Match": E, "Range": "bytes=100-"}).status == 304


def test_if_range_match_gives_206():
    d = run({"If-Range": E, "Range": "bytes=0-4"})
    assert d.status == 206 and d.plan.content_range == "bytes 0-4/49"


def test_if_range_mismatch_gives_200():
    assert run({"If-Range": '"x"', "Range": "bytes=0-4"}).status == 200


def test_if_range_date_match_gives_206():
    assert run({"If-Range": "Thu, 02 Jan 2020 03:04:05 GMT", "Range": "bytes=0-4"}).status == 206


def test_if_range_with_weak_etag_gives_200():
    assert run({"If-Range": "W/" + E, "Range": "bytes=0-4"}).status == 200


def test_unsatisfiable_range_is_416():
    assert run({"Range": "bytes=100-"}).status == 416


def test_max_ranges_none_passes_through():
    assert run({"Range": "bytes=0-1"}, max_ranges=0).status == 200
