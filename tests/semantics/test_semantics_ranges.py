"""apyche.semantics.ranges: ap_set_byterange / ap_byterange_filter.

RANGE_CASES were checked against apache2 2.4.71 on a 49-byte file: status,
Content-Range and (for multipart) the exact body, 186 bytes for 0-1,3-4."""

import pytest

from apyche.semantics.ranges import (DEFAULT_MAX_RANGES, RangeKind, accept_ranges_value,
                                     make_boundary, multipart_framing, parse_byte_ranges,
                                     parse_max_ranges, plan_ranges)

N = 49
DATA = b"hello world, this is a test file of some length.\n"

RANGE_CASES = [
    ("bytes=0-4", 206, ((0, 4),)),
    ("bytes=-5", 206, ((44, 48),)),
    ("bytes=40-", 206, ((40, 48),)),
    ("bytes=0-", 206, ((0, 48),)),
    ("bytes=0-,5-6", 206, ((0, 48),)),
    ("bytes=5-6,0-", 206, ((0, 48),)),
    ("bytes=100-", 416, ()),
    ("bytes=100-200", 416, ()),
    ("bytes=48-100", 206, ((48, 48),)),
    ("bytes=49-", 416, ()),
    ("bytes=-0", 200, ()),
    ("bytes=-100", 206, ((0, 48),)),
    ("bytes=5-4", 200, ()),
    ("bytes=0-1, 3-4", 200, ()),
    ("bytes=0-1,3-4", 206, ((0, 1), (3, 4))),
    ("bytes= 0-1", 200, ()),
    ("Bytes=0-1", 206, ((0, 1),)),
    ("bytes=0-1,2-3", 206, ((0, 3),)),
    ("bytes=0-3,2-5", 206, ((0, 5),)),
    ("bytes=5-9,0-3", 206, ((5, 9), (0, 3))),
    ("bytes=5-9,0-4", 206, ((0, 9),)),
    ("bytes=0-1,100-200", 206, ((0, 1),)),
    ("bytes=100-200,0-1", 206, ((0, 1),)),
    ("bytes=abc", 200, ()),
    ("bytes=1-2-3", 200, ()),
    ("items=0-1", 200, ()),
    ("bytes=0-1,,3-4", 206, ((0, 1), (3, 4))),
    ("bytes=,0-1", 200, ()),
    ("bytes=0-1,", 206, ((0, 1),)),
    ("bytes=+1-2", 200, ()),
    ("bytes=0-48,0-48", 206, ((0, 48),)),
    ("bytes=0-30,10-48", 206, ((0, 48),)),
    ("bytes=0-0,-1", 206, ((0, 0), (48, 48))),
    ("bytes=-49", 206, ((0, 48),)),
    ("bytes=-50", 206, ((0, 48),)),
    ("bytes=01-02", 206, ((1, 2),)),
    ("bytes=99999999999999999999-", 200, ()),
]


@pytest.mark.parametrize("header,status,parts", RANGE_CASES)
def test_plan_ranges_matches_apache(header, status, parts):
    plan = plan_ranges(header, N)
    assert (plan.status, plan.parts) == (status, parts)


def test_single_range_content_range():
    assert plan_ranges("bytes=0-4", N).content_range == "bytes 0-4/49"


def test_unsatisfiable_has_no_content_range_like_apache():
    plan = plan_ranges("bytes=100-", N)
    assert plan.kind is RangeKind.UNSATISFIABLE and plan.content_range is None


def test_no_range_header_is_full():
    assert plan_ranges(None, N).kind is RangeKind.FULL


def test_empty_file_ignores_range():
    assert plan_ranges("bytes=0-0", 0).kind is RangeKind.FULL


def test_non_200_status_ignores_range():
    assert plan_ranges("bytes=0-0", N, status=404).kind is RangeKind.FULL


def test_if_range_mismatch_ignores_range():
    assert plan_ranges("bytes=0-0", N, if_range_ok=False).kind is RangeKind.FULL


def test_sum_of_ranges_larger_than_file_is_ignored():
    assert plan_ranges("bytes=0-30,40-48,0-30", N).kind is RangeKind.FULL


def test_max_ranges_default_is_200():
    header = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(201))
    assert plan_ranges(header, 1000).kind is RangeKind.FULL
    header = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(200))
    assert plan_ranges(header, 1000).kind is RangeKind.MULTIPART


def test_max_ranges_counts_merged_ranges():
    header = "bytes=" + ",".join(f"{i}-{i}" for i in range(300))  # all adjacent
    parsed = parse_byte_ranges(header, 1000)
    assert parsed.count == 1 and parsed.overlaps == 299
    # ... but 299 overlaps exceed MaxRangeOverlaps 20 → full response
    assert plan_ranges(header, 1000).kind is RangeKind.FULL


def test_max_range_overlaps_limit():
    header = "bytes=" + ",".join(["0-10"] * 22)
    assert parse_byte_ranges(header, 100).overlaps == 21
    assert plan_ranges(header, 100).kind is RangeKind.FULL
    assert plan_ranges(header, 100, max_overlaps=None).kind is RangeKind.SINGLE


def test_max_range_reversals_limit():
    header = "bytes=" + ",".join(f"{100 - i}-100" for i in range(22))
    parsed = parse_byte_ranges(header, 200)
    assert parsed.reversals == 21
    assert plan_ranges(header, 200).kind is RangeKind.FULL
    assert plan_ranges(header, 200, max_reversals=None, max_overlaps=None).kind is RangeKind.SINGLE


def test_max_ranges_none_disables_ranges():
    assert plan_ranges("bytes=0-1", N, max_ranges=0).kind is RangeKind.FULL


def test_max_ranges_unlimited():
    header = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(300))
    assert plan_ranges(header, 1000, max_ranges=None).kind is RangeKind.MULTIPART


def test_cve_2011_3192_overlapping_ranges_are_served_whole():
    header = "bytes=0-," + ",".join(f"5-{i}" for i in range(1300))
    # "0-" short-circuits to one range in Apache; the classic attack form:
    attack = "bytes=" + ",".join(f"5-{i}" for i in range(6, 1300))
    assert plan_ranges(header, 10_000).kind is RangeKind.SINGLE
    assert plan_ranges(attack, 10_000).kind is RangeKind.FULL


@pytest.mark.parametrize("arg,value", [("none", 0), ("default", DEFAULT_MAX_RANGES),
                                       ("unlimited", None), ("5", 5), ("UNLIMITED", None)])
def test_parse_max_ranges(arg, value):
    assert parse_max_ranges(arg) == value


@pytest.mark.parametrize("arg", ["0", "-1", "abc"])
def test_parse_max_ranges_rejects(arg):
    with pytest.raises(ValueError, match="MaxRanges requires"):
        parse_max_ranges(arg)


def test_accept_ranges_value():
    assert accept_ranges_value(0) == "none"
    assert accept_ranges_value(200) == accept_ranges_value(None) == "bytes"


def test_multipart_framing_is_byte_identical_to_apache():
    f = multipart_framing(((0, 1), (3, 4)), N, "text/plain", "86057724d386983e")
    body = b"".join(f.iter_bytes(DATA))
    assert body == (b"\r\n--86057724d386983e\r\nContent-type: text/plain\r\n"
                    b"Content-range: bytes 0-1/49\r\n\r\nhe"
                    b"\r\n--86057724d386983e\r\nContent-type: text/plain\r\n"
                    b"Content-range: bytes 3-4/49\r\n\r\nlo"
                    b"\r\n--86057724d386983e--\r\n")
    assert f.content_length == 186
    assert f.content_type == "multipart/byteranges; boundary=86057724d386983e"


def test_multipart_framing_without_content_type_omits_the_line():
    f = multipart_framing(((0, 0), (2, 2)), 3, None, "b")
    assert b"Content-type" not in b"".join(p for p in f.pieces if isinstance(p, bytes))


def test_multipart_framing_flags_apache_chunking_past_32_parts():
    parts = tuple((i * 2, i * 2) for i in range(33))
    assert multipart_framing(parts, 100, "x/y", "b").apache_sends_content_length is False
    assert multipart_framing(parts[:32], 100, "x/y", "b").apache_sends_content_length is True


def test_make_boundary_is_unpadded_hex():
    b = make_boundary()
    assert b and len(b) <= 16 and int(b, 16) >= 0 and b == format(int(b, 16), "x")
