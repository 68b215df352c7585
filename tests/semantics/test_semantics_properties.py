"""Property tests (hypothesis) for the invariants the server relies on."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from apyche.semantics.conditional import find_etag_strong, find_etag_weak
from apyche.semantics.dates import format_http_date, parse_http_date
from apyche.semantics.ranges import RangeKind, multipart_framing, parse_byte_ranges, plan_ranges
from apyche.semantics.uri import UriError, map_request_target, normalize_path, split_request_target

SEGMENT_ALPHABET = st.sampled_from(
    ["a", "b", ".", "..", "%2e", "%2E", ".%2e", "%2e%2e", "%2f", "%2F", "%5c", "%00",
     "%", "%%32%65", "%25", "%41", "%c0%ae", "/", "//", "\\", "~", "-", "x y"])
paths = st.lists(SEGMENT_ALPHABET, max_size=12).map(lambda parts: "/" + "/".join(parts))


def _segments(p: bytes):
    return p.split(b"/")


@settings(deadline=None, max_examples=300)
@given(paths, st.sampled_from(["off", "on", "nodecode"]), st.booleans())
def test_mapped_path_never_has_dot_segments_nor_escapes_root(target, aes, merge):
    assume(" " not in target)
    try:
        r = map_request_target(target, allow_encoded_slashes=aes, merge_slashes=merge)
    except UriError as e:
        assert e.status in (400, 404)
        return
    assert r.decoded.startswith(b"/")
    segs = _segments(r.decoded)
    assert b".." not in segs
    assert b"." not in segs
    assert b".." not in _segments(r.normalized.encode("latin-1"))


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet="ab./%2e~", max_size=20).map(lambda t: "/" + t), st.booleans())
def test_fast_path_agrees_with_full_normalisation(target, merge):
    try:
        r = map_request_target(target, merge_slashes=merge)
    except UriError:
        return
    path, _ = split_request_target(target)
    full, ok = normalize_path(path, merge_slashes=merge)
    assert ok and r.normalized.encode() == full


@settings(deadline=None, max_examples=300)
@given(paths)
def test_normalize_path_is_idempotent_on_success(target):
    once, ok = normalize_path(target, decode_unreserved=False)
    if ok:
        assert normalize_path(once, decode_unreserved=False) == (once, True)


@settings(deadline=None, max_examples=300)
@given(st.integers(min_value=0, max_value=5000),
       st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 6000)),
                          st.one_of(st.none(), st.integers(0, 6000))), min_size=1, max_size=30))
def test_range_plan_never_exceeds_file(length, specs):
    items = []
    for a, b in specs:
        if a is None and b is None:
            continue
        items.append(f"-{b}" if a is None else f"{a}-" if b is None else f"{a}-{b}")
    assume(items)
    plan = plan_ranges("bytes=" + ",".join(items), length)
    for start, end in plan.parts:
        assert 0 <= start <= end < length
    if plan.kind is RangeKind.SINGLE:
        assert len(plan.parts) == 1
    if plan.kind is RangeKind.MULTIPART:
        assert len(plan.parts) > 1
        assert sum(e - s + 1 for s, e in plan.parts) <= length


@settings(deadline=None, max_examples=300)
@given(st.text(max_size=60), st.integers(min_value=1, max_value=1000))
def test_parse_byte_ranges_never_raises(header, length):
    parsed = parse_byte_ranges(header, length)
    assert parsed.count >= -1


@settings(deadline=None, max_examples=300)
@given(st.binary(min_size=2, max_size=3000).flatmap(
    lambda data: st.tuples(st.just(data), st.lists(
        st.tuples(st.integers(0, len(data) - 1), st.integers(0, len(data) - 1)),
        min_size=2, max_size=40))),
    st.sampled_from([None, "text/plain", "application/octet-stream; charset=x"]))
def test_multipart_length_equals_bytes_produced(data_parts, ctype):
    data, raw = data_parts
    parts = [(min(a, b), max(a, b)) for a, b in raw]
    f = multipart_framing(parts, len(data), ctype, "deadbeef")
    body = b"".join(f.iter_bytes(data))
    assert len(body) == f.content_length
    assert body.endswith(b"\r\n--deadbeef--\r\n")


@settings(deadline=None, max_examples=300)
@given(st.integers(min_value=0, max_value=253402300799))
def test_http_date_roundtrip(ts):
    assert parse_http_date(format_http_date(ts)) == ts


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet='"abcW/ ,x', max_size=30), st.text(alphabet='"abcW/', max_size=8))
def test_find_etag_never_raises_and_strong_implies_weak(line, tag):
    s = find_etag_strong(line, tag)
    w = find_etag_weak(line, tag)
    if s and not line.lstrip(" ,").startswith("W/"):
        assert w
