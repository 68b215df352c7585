"""The reader (logical lines) and ap_getword_conf, rule by rule."""

from apyche.config.reader import HTACCESS_MAX_LINE, logical_lines
from apyche.config.errors import ConfigError
from apyche.config.words import getword, split_words

import pytest


def texts(src):
    return [(ln.text, ln.first, ln.last) for ln in logical_lines(src)]


def test_continuation_joins_lines_and_reports_the_last_line():
    assert texts("Foo a\\\n  b\nBar\n") == [("Foo a  b", 1, 2), ("Bar", 3, 3)]


def test_continuation_with_crlf():
    assert texts("Foo a\\\r\nb\r\n") == [("Foo ab", 1, 2)]


def test_comment_ending_in_backslash_swallows_next_line():
    assert texts("# note \\\nServerName x\nKeep\n") == [("Keep", 3, 3)]


def test_comments_only_at_line_start():
    assert texts("  # indented comment\nFoo bar # not a comment\n") == [
        ("Foo bar # not a comment", 2, 2)]


def test_blank_and_whitespace_lines_are_dropped():
    assert texts("\n   \n\t\nFoo\n") == [("Foo", 4, 4)]


def test_backslash_then_space_is_not_a_continuation():
    assert texts("Foo \\ \nBar\n") == [("Foo \\", 1, 1), ("Bar", 2, 2)]


def test_last_line_without_newline_keeps_its_backslash():
    assert texts("Foo \\") == [("Foo \\", 1, 1)]


def test_continuation_into_end_of_file_counts_the_missing_line():
    assert texts("Foo a\\\n") == [("Foo a", 1, 2)]


def test_non_utf8_bytes_survive():
    line = logical_lines(b"ServerName \xff\xfe\n".decode("utf-8", "surrogateescape"))[0]
    assert line.text.encode("utf-8", "surrogateescape") == b"ServerName \xff\xfe"


def test_htaccess_line_limit():
    with pytest.raises(ConfigError, match="Line too long"):
        logical_lines("A" * (HTACCESS_MAX_LINE + 1) + "\n", "x", HTACCESS_MAX_LINE)


@pytest.mark.parametrize("line,words", [
    ('a b  c', ["a", "b", "c"]),
    ('"a b" c', ["a b", "c"]),
    ("'a b' c", ["a b", "c"]),
    ('"a \\" b"', ['a " b']),
    ('"a \\\\ b"', ["a \\ b"]),
    ('"a \\n b"', ["a \\n b"]),
    ('a\\\\b', ["a\\b"]),
    ('"" x', ["", "x"]),
    ('"a"b', ["a", "b"]),
    ('"unterminated quote', ["unterminated quote"]),
    ("'it''s'", ["it", "s"]),
])
def test_getword_conf(line, words):
    assert split_words(line) == words


def test_getword_returns_the_rest():
    word, pos = getword("  Foo   bar baz")
    assert word == "Foo"
    assert "  Foo   bar baz"[pos:] == "bar baz"
