"""PCRE (as Apache compiles it) on Python's re: translations and refusals.

Whether apache2 accepts each pattern was checked with apache_probe.py
(rows are in apache_parse_cases.json as "'x' =~ /PATTERN/").
"""

from __future__ import annotations

import pytest

from apyche.expr.regex import (RegexInvalid, RegexUnsupported, compile_pcre, match_groups,
                               pregsub, translate)


@pytest.mark.parametrize("pattern,translated", [
    ("abc", "abc"),
    ("x$", "x\\Z"),                                  # DOLLAR_ENDONLY
    ("(?m)x$", "(?m)x$"),
    ("x\\Z", "x(?=\\n?\\Z)"),
    ("x\\z", "x\\Z"),
    ("(?<n>x)\\k<n>", "(?P<n>x)(?P=n)"),
    ("(?'n'x)\\k{n}", "(?P<n>x)(?P=n)"),
    ("(a)\\g{-1}", "(a)(?:\\1)"),
    ("\\Qa.b\\E", "a\\.b"),
    ("\\e\\cA", "\\x1b\\x01"),
    ("\\x{41}\\o{102}", "\\x41\\x42"),
    ("[[:alpha:][:digit:]]", "[a-zA-Z0-9]"),
    ("a{,2}", "a\\{,2\\}"),
    ("a(?i)b|c", "a(?i:b)|(?i:c)"),
    ("(a(?s)b|c)d", "(a(?s:b)|(?s:c))d"),
    ("(?)x", "x"),
    ("x(?#comment)y", "xy"),
    ("\\h\\v", "[\\t \\xa0][\\n\\x0b\\x0c\\r\\x85]"),
])
def test_translate(pattern, translated):
    assert translate(pattern) == translated


@pytest.mark.parametrize("pattern,subject,found", [
    ("^/app", "/app/x", True),
    ("a.b", "a\nb", True),              # DOTALL by default
    ("ab$", "ab\n", False),             # $ only at the very end
    ("ab\\Z", "ab\n", True),
    ("[[:^digit:]]", "5", False),
    ("[[:^digit:]]", "x", True),
    ("\\d", "\u0663", False),           # ASCII \d, as PCRE without UCP
    ("a(?i)b|c", "aB", True),
    ("a(?i)b|c", "AB", False),
    ("a(?i)b|c", "C", True),
    ("[a&&b]", "&", True),              # literal in PCRE, and in re today
])
def test_match(pattern, subject, found):
    assert (compile_pcre(pattern).search(subject) is not None) is found


def test_icase():
    assert compile_pcre("abc", icase=True).search("xABCx")


@pytest.mark.parametrize("pattern", [
    "(", "[", "a**", "[z-a]", "a{2,1}", ")", "[[:foo:]]", "[:alpha:]", "[[.a.]]",
    "(?y)", "(a)\\2", "\\u0041", "\\L", "[a--b]", "(?<=a+)x", "(?<n>x\\k<n>",
])
def test_invalid(pattern):
    # (v) apache2: "Failed to compile regular expression"
    with pytest.raises(RegexInvalid):
        compile_pcre(pattern)


@pytest.mark.parametrize("pattern", [
    "x\\K", "\\G", "\\X", "\\C", "\\p{L}", "\\P{L}", "(?R)", "(?1)(a)",
    "(?&n)(?<n>a)", "(?|a)", "(*FAIL)", "(?U)a", "(?J)(?<n>a)|(?<n>b)", "(?n)(a)",
    "(?(R)a)", "(?(?=a)a|b)", "(?<=a|bc)x", "(?<!ab|c)x", "\\g{1}(a)", "(?^)a",
])
def test_unsupported(pattern):
    # (v) apache2 accepts all of these
    with pytest.raises(RegexUnsupported) as info:
        compile_pcre(pattern)
    assert "apyche cannot evaluate" in str(info.value)


# ap_pregsub (server/util.c), as mod_alias' *Match, mod_setenvif and Header
# edit substitute; each case was checked against apache2 through
# SetEnvIfExpr and RedirectMatch (tests/differential/test_modules_diff.py)
@pytest.mark.parametrize("template, expected", [
    ("$2.$1", "bar.foo"),
    ("x\\y", "xy"),            # a backslash makes the next character literal
    ("\\$1", "$1"),
    ("$9", ""),                  # past the regex's groups
    ("$", "$"), ("a$x", "a$x"), ("tail\\", "tail\\"),
    ("$0/$3", "foo-bar/"),       # group 3 did not take part
    ("$\u0663", "$\u0663"),    # only ASCII digits
])
def test_pregsub(template, expected):
    match = compile_pcre("^(\\w+)-(\\w+)(x)?$").search("foo-bar")
    assert pregsub(template, match_groups(match)) == expected
