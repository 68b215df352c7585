"""apyche.semantics.etag: FileETag parsing/merging and ap_make_etag_ex.

The FileETag → ETag table was checked against apache2 2.4.71 with a 49-byte
file whose mtime is 2020-01-02T03:04:05Z (``<Directory>`` per variant)."""

import pytest

from apyche.semantics.etag import (DEFAULT_FILE_ETAG, ETAG_ALL, ETAG_BACKWARD, ETAG_DIGEST,
                                   ETAG_INODE, ETAG_MTIME, ETAG_NONE, ETAG_SIZE,
                                   FileETagConfig, digest_etag, effective_etag_bits,
                                   format_last_modified, last_modified_seconds, make_etag,
                                   merge_file_etag, parse_file_etag)

MTIME_US = 1577934245 * 1_000_000 + 123456   # hex 59b1f7226f340 + fraction
SIZE = 49
INODE = 0x20C2BC
LATER = MTIME_US + 10 * 1_000_000
CONTENT = b"hello world, this is a test file of some length.\n"


def etag_for(directive, **kw):
    cfg = merge_file_etag(DEFAULT_FILE_ETAG, parse_file_etag(directive))
    args = dict(size=SIZE, mtime_us=1577934245_000000, request_time_us=LATER, inode=INODE,
                bits=cfg, content=[CONTENT])
    args.update(kw)
    return make_etag(**args)


def test_default_etag_is_size_and_mtime_in_hex_microseconds():
    assert make_etag(size=SIZE, mtime_us=1577934245_000000, request_time_us=LATER) == '"31-59b1f7226f340"'


@pytest.mark.parametrize("directive,expected", [
    ("All", '"20c2bc-31-59b1f7226f340"'),
    ("None", None),
    ("INode", '"20c2bc"'),
    ("-MTime", '"31-59b1f7226f340"'),       # relative on unset: no effect
    ("+INode", '"20c2bc"'),                 # relative on unset: INode only
    ("MTime -Size", '"59b1f7226f340"'),
    ("Size +INode", '"20c2bc-31"'),
    ("Digest", '"Di1uCJqohLBpwDWgesoPmD3O7b4="'),
    ("+Digest", '"Di1uCJqohLBpwDWgesoPmD3O7b4="'),
    ("-INode", '"31-59b1f7226f340"'),
])
def test_file_etag_variants_match_apache(directive, expected):
    assert etag_for(directive) == expected


def test_etag_is_weak_within_one_second_of_mtime():
    assert make_etag(size=1, mtime_us=MTIME_US, request_time_us=MTIME_US + 999_999).startswith('W/"')


def test_etag_is_strong_one_second_after_mtime():
    assert make_etag(size=1, mtime_us=MTIME_US, request_time_us=MTIME_US + 1_000_000).startswith('"')


def test_etag_is_weak_for_future_mtime():
    assert make_etag(size=1, mtime_us=MTIME_US, request_time_us=MTIME_US - 5).startswith('W/"')


def test_digest_etag_is_not_made_weak_by_recent_mtime():
    assert etag_for("Digest", request_time_us=1577934245_000000) == '"Di1uCJqohLBpwDWgesoPmD3O7b4="'


def test_digest_etag_without_content_is_none():
    assert make_etag(size=1, mtime_us=0, request_time_us=LATER, bits=ETAG_DIGEST) is None


def test_force_weak():
    assert make_etag(size=1, mtime_us=0, request_time_us=LATER, force_weak=True) == 'W/"1-0"'


def test_non_file_etag_is_mtime_only():
    assert make_etag(size=5, mtime_us=255, request_time_us=LATER, is_file=False) == '"ff"'


def test_zero_fields_print_as_single_zero():
    assert make_etag(size=0, mtime_us=0, request_time_us=LATER, inode=0, bits=ETAG_ALL) == '"0-0-0"'


def test_digest_etag_function():
    assert digest_etag([b"hello world, this is a test ", b"file of some length.\n"]) == '"Di1uCJqohLBpwDWgesoPmD3O7b4="'


def test_parse_file_etag_keywords_are_case_insensitive():
    assert parse_file_etag("inode MTIME size").bits == ETAG_ALL


def test_parse_file_etag_lmtime_and_lastmodified_alias_mtime():
    assert parse_file_etag("LMTime").bits == parse_file_etag("LastModified").bits == ETAG_MTIME


def test_parse_file_etag_unknown_keyword():
    with pytest.raises(ValueError, match="Unknown keyword 'Foo' for FileETag directive"):
        parse_file_etag("Foo")


@pytest.mark.parametrize("word", ["+None", "-All"])
def test_parse_file_etag_signed_none_or_all_is_an_error(word):
    with pytest.raises(ValueError, match="cannot be used with"):
        parse_file_etag(word)


def test_parse_file_etag_absolute_wipes_relative():
    assert parse_file_etag("+INode Size") == FileETagConfig(ETAG_SIZE, 0, 0)


def test_merge_file_etag_relative_child_refines_absolute_parent():
    parent = parse_file_etag("All")
    child = parse_file_etag("-INode")
    assert effective_etag_bits(merge_file_etag(parent, child)) == ETAG_MTIME | ETAG_SIZE


def test_merge_file_etag_absolute_child_replaces_parent():
    assert merge_file_etag(parse_file_etag("All"), parse_file_etag("Size")).bits == ETAG_SIZE


def test_merge_file_etag_none_parent_plus_relative_child():
    merged = merge_file_etag(parse_file_etag("None"), parse_file_etag("+Size"))
    assert effective_etag_bits(merged) == ETAG_SIZE


def test_effective_bits_default_is_backward():
    assert effective_etag_bits(DEFAULT_FILE_ETAG) == ETAG_BACKWARD


def test_effective_bits_none():
    assert effective_etag_bits(parse_file_etag("None")) == ETAG_NONE


def test_last_modified_is_mtime_in_seconds():
    assert format_last_modified(MTIME_US, LATER) == "Thu, 02 Jan 2020 03:04:05 GMT"


def test_last_modified_is_capped_at_now_for_future_files():
    assert last_modified_seconds(LATER, MTIME_US) == MTIME_US // 1_000_000


def test_inode_bit_constant():
    assert ETAG_INODE == 4
