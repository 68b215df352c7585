"""Parsing: the scanner's tokens, the tree shapes, the error messages.

Rows marked (v) were checked against apache2 -t (they are also in
apache_parse_cases.json); the tree shapes follow util_expr_parse.y's
precedence (|| < && < ! < .) and are checked by evaluation elsewhere.
"""

from __future__ import annotations

import pytest

from apyche.expr import ExprError, ExprUnsupported, Lookup, parse_expr, parse_string_expr
from apyche.expr.nodes import render
from apyche.expr.parser import tables
from apyche.expr.scanner import tokens


# --------------------------------------------------------------------------
# scanner
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("true", ["T_EXPR_BOOL", "T_TRUE", "$end"]),
    ("trueish", ["T_EXPR_BOOL", ("T_ID", "trueish"), "$end"]),
    ("a and b", ["T_EXPR_BOOL", ("T_ID", "a"), "T_OP_AND", ("T_ID", "b"), "$end"]),
    ("android", ["T_EXPR_BOOL", ("T_ID", "android"), "$end"]),
    ("-in -inx -e -eq", ["T_EXPR_BOOL", "T_OP_IN", ("T_OP_BINARY", "inx"),
                         ("T_OP_UNARY", "e"), "T_OP_EQ", "$end"]),
    ("-1 - ", ["T_EXPR_BOOL", ("T_DIGIT", "-1"), ("T_ERROR", "Parse error near '-'")]),
    ("= == =~ != !~ ! < <= > >=",
     ["T_EXPR_BOOL", "T_OP_STR_EQ", "T_OP_STR_EQ", "T_OP_REG", "T_OP_STR_NE",
      "T_OP_NRE", "T_OP_NOT", "T_OP_STR_LT", "T_OP_STR_LE", "T_OP_STR_GT",
      "T_OP_STR_GE", "$end"]),
    ("m_", ["T_EXPR_BOOL", "$end"]),                 # a regex opener, then EOF
    ("m_x", ["T_EXPR_BOOL", ("T_ID", "m_x"), "$end"]),
    ("m#a/b#i", ["T_EXPR_BOOL", ("T_REGEX_I", "a/b"), "$end"]),
    ("/a/x", ["T_EXPR_BOOL", ("T_REGEX", "a"), ("T_ID", "x"), "$end"]),
    ("$1 $a", ["T_EXPR_BOOL", ("T_REGEX_BACKREF", 1), ("T_ERROR", "Parse error near '$'")]),
    ("'a%{X}$2b'", ["T_EXPR_BOOL", "T_STR_BEGIN", ("T_STRING", "a"), "T_VAR_BEGIN",
                    ("T_ID", "X"), "T_VAR_END", ("T_REGEX_BACKREF", 2),
                    ("T_STRING", "b"), "T_STR_END", "$end"]),
    ("'a\\tb\\101\\'\"'", ["T_EXPR_BOOL", "T_STR_BEGIN", ("T_STRING", "a\tbA'\""),
                           "T_STR_END", "$end"]),
    ("'a\\0b'", ["T_EXPR_BOOL", "T_STR_BEGIN", ("T_STRING", "a"), "T_STR_END", "$end"]),
    ("%{f:a%b$c}", ["T_EXPR_BOOL", "T_VAR_BEGIN", ("T_ID", "f"), "COLON",
                    ("T_STRING", "a%b$c"), "T_VAR_END", "$end"]),
    ("'\\400'", ["T_EXPR_BOOL", "T_STR_BEGIN", ("T_ERROR", "Escape sequence out of bound")]),
    ("'\\0123'", ["T_EXPR_BOOL", "T_STR_BEGIN", ("T_ERROR", "Bad escape sequence")]),
    ("%{a-b}", ["T_EXPR_BOOL", "T_VAR_BEGIN", ("T_ID", "a"),
                ("T_ERROR", "Invalid character in variable name '-'")]),
])
def test_tokens(text, expected):
    got = [t if v is None else (t, v) for t, v in tokens(text)]
    assert got == expected


def test_string_mode_tokens():
    got = [t if v is None else (t, v) for t, v in tokens("x 'y' %{A}", string_result=True)]
    assert got == ["T_EXPR_STRING", ("T_STRING", "x 'y' "), "T_VAR_BEGIN",
                   ("T_ID", "A"), "T_VAR_END", ("T_STRING", ""), "$end"]


def test_tables_are_bison_sized():
    states, start = tables()
    assert start == 0
    # util_expr_parse.c: YYNSTATES 96, which counts the state after
    # shifting $end (here: accepting on the $end shift)
    assert len(states) == 95


# --------------------------------------------------------------------------
# tree shapes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text,tree", [
    ("true", "true"),
    ("!true", "!true"),
    ("! ! false", "!!false"),
    ("not true", "!true"),
    ("true && false || true", "((true && false) || true)"),
    ("true || false && true", "(true || (false && true))"),
    ("true || false || true", "(true || (false || true))"),
    ("!true && false", "(!true && false)"),
    ("!(true && false)", "!(true && false)"),
    ("true and false or true", "((true && false) || true)"),
    ("1 -eq 2", "(1 -eq 2)"),
    ("1 eq 2 && 1 lt 2 || 1 ge 0", "(((1 -eq 2) && (1 -lt 2)) || (1 -ge 0))"),
    ("'a' = 'b'", "('a' == 'b')"),
    ("'a' . 'b' . 'c' == 'abc'", "('a'.'b'.'c' == 'abc')"),
    ("%{REQUEST_URI} =~ /x/i", "(%{REQUEST_URI} =~ /x/i)"),
    ("%{REQUEST_URI} !~ m#x#", "(%{REQUEST_URI} !~ /x/)"),
    ("'a' -in {'a', 'b', 'c'}", "('a' -in {'a', 'b', 'c'})"),
    ("'a' in { tolower('A') }", "('a' -in {tolower('A')})"),
    ("-z ''", "(-z '')"),
    ("-n 'a' . 'b'", "(-n 'a'.'b')"),
    ("1 -strmatch '*'", "(1 -strmatch '*')"),
    ("%{HTTP:Host} == ''", "(HTTP('Host') == '')"),
    ("%{tolower:A%{REQUEST_URI}} == ''", "(tolower('A'.%{REQUEST_URI}) == '')"),
    ("\"x$1%{REMOTE_ADDR}\" == ''", "('x'.$1.%{REMOTE_ADDR} == '')"),
    ("$0 == $9", "($0 == $9)"),
])
def test_tree(text, tree):
    assert render(parse_expr(text).tree) == tree


def test_list_is_kept_in_apaches_order():
    # words_more links the newest element first; -in tries them in that order
    tree = parse_expr("'a' -in {'x', 'y', 'z'}").tree
    assert [w.a for w in tree.b.a] == ["z", "y", "x"]


@pytest.mark.parametrize("text,tree", [
    ("plain", "'plain'"),
    ("", "''"),
    ("a %{REQUEST_URI} b", "'a '.%{REQUEST_URI}.' b'"),
    ("x'y\"z", "'x\\'y\"z'"),
    # at the end of input the scanner hands over what it has, even nothing
    ("$1-%{md5:x}", "$1.'-'.md5('x').''"),
])
def test_string_tree(text, tree):
    assert render(parse_string_expr(text).tree) == tree


# --------------------------------------------------------------------------
# errors (v = verified with apache2 -t)
# --------------------------------------------------------------------------

ERRORS = [
    # (v) bison messages
    ("%{REQUEST_URI} =~ /(", "syntax error, unexpected $end, expecting T_REGEX or T_REGEX_I"),
    ("foo", "syntax error, unexpected $end, expecting '('"),
    ("-z", "syntax error, unexpected $end"),
    ("", "syntax error, unexpected $end"),
    ("(true", "syntax error, unexpected $end, expecting T_OP_OR or T_OP_AND or ')'"),
    ("true)", "syntax error, unexpected ')', expecting $end"),
    ("1 == 1 2", "syntax error, unexpected T_DIGIT, expecting $end"),
    ("%{REQUEST_URI} == ", "syntax error, unexpected $end"),
    ("%{ENV:} == 1", "syntax error, unexpected T_VAR_END, expecting T_ERROR or "
                     "T_STRING or T_REGEX_BACKREF or T_VAR_BEGIN"),
    # (v) scanner messages, alone or after a bison message
    ("'a' == 'b' @", "syntax error, unexpected T_ERROR, expecting $end: Parse error near '@'"),
    ("%{a-b} == 1", "syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': "
                    "Invalid character in variable name '-'"),
    ("'abc", "Unterminated string or variable"),
    ("'\\400' == 1", "Escape sequence out of bound"),
    ("'\\0123' == 1", "Bad escape sequence"),
    ("'\\8' == 1", "Bad escape sequence"),
    ("@", "Parse error near '@'"),
    # (v) lookups
    ("%{FOO} == 1", "Variable 'FOO' does not exist"),
    ("bar(1)", "syntax error, unexpected $end: Function 'bar' does not exist"),
    ("%{FOO} == 1 && bar(2) == 1", "Function 'bar' does not exist"),
    ("1 -foo 2", "Binary operator '-foo' does not exist"),
    ("-q 1", "Unary operator '-q' does not exist"),
    ("-Z 1", "Unary operator '-Z' does not exist"),
    ("1 in foo(1)", "List-returning function 'foo' does not exist"),
    ("v('x') == 1", "Function 'v' does not exist"),
    ("%{SSL_PROTOCOL} == 1", "Variable 'SSL_PROTOCOL' does not exist"),
    ("-R 10", "-R requires subnet/netmask as constant argument"),
    ("-R 'x'", "parsing of subnet/netmask failed"),
    ("'a' -ipmatch '10.0.0.0/33'", "parsing of subnet/netmask failed"),
    ("'x' -IPMATCH %{REMOTE_ADDR}", "-IPMATCH requires subnet/netmask as constant argument"),
    # (v) regex
    ("%{REQUEST_URI} =~ /(/", "Failed to compile regular expression"),
    ("'x' =~ /[:alpha:]/", "Failed to compile regular expression"),
    ("\"%{NOPE}\" =~ /(/", "Failed to compile regular expression: Variable 'NOPE' does not exist"),
    # (v) flex's fatal error (Apache exits)
    ("%{env:a'b} == 1", "flex scanner jammed"),
    ("'a\\", "flex scanner jammed"),
]


@pytest.mark.parametrize("text,message", ERRORS)
def test_error_message(text, message):
    with pytest.raises(ExprError) as info:
        parse_expr(text)
    assert info.value.message == message
    assert str(info.value) == message


@pytest.mark.parametrize("text,message", [
    ("%{", "syntax error, unexpected T_ERROR, expecting T_ID: Unterminated string or variable"),
    ("%{NOPE}", "Variable 'NOPE' does not exist"),
    ("a\\400", "Escape sequence out of bound"),
    ("%{HTTP:}", "syntax error, unexpected T_VAR_END, expecting T_ERROR or T_STRING "
                 "or T_REGEX_BACKREF or T_VAR_BEGIN"),
])
def test_string_error_message(text, message):
    with pytest.raises(ExprError) as info:
        parse_string_expr(text)
    assert info.value.message == message


@pytest.mark.parametrize("text", [
    "'x' =~ /x\\K/", "'x' =~ /(?R)/", "'x' =~ /\\p{L}/", "'x' =~ /(*FAIL)/",
    "'x' =~ /(?|a)/", "'x' =~ /(?<=a|bc)x/", "'x' =~ /(?U)a/",
])
def test_unsupported_regex_is_refused_clearly(text):
    # Apache accepts these (v); re cannot run them as PCRE would
    with pytest.raises(ExprUnsupported) as info:
        parse_expr(text)
    assert "apyche cannot evaluate" in info.value.message


def test_names_are_case_insensitive_except_unary():
    parse_expr("%{http_host} == '' && TOLOWER('A') == 'a' && 1 -IPMATCH '1.2.3.4'")
    with pytest.raises(ExprError):
        parse_expr("-Z 'x'")


def test_restricted_refuses_file_access():
    with pytest.raises(ExprError) as info:
        parse_expr("-f '/etc/passwd'", restricted=True)
    assert info.value.message == "-f not available in restricted context"
    with pytest.raises(ExprError) as info:
        parse_expr("file('/etc/passwd') == ''", restricted=True)
    assert info.value.message == "file not available in restricted context"
    parse_expr("-z 'x' && md5('x') == ''", restricted=True)


def test_lookup_extension_and_observer():
    seen = []
    lookup = Lookup(on_variable=seen.append).extend(
        variables={"SSL_PROTOCOL": lambda ctx: "TLSv1.3"},
        list_funcs={"PeerExtList": lambda ctx, arg: ["a", "b"]})
    expr = parse_expr("%{SSL_PROTOCOL} == 'TLSv1.3' && 'a' -in PeerExtList('x') "
                      "&& %{REMOTE_USER} == ''", lookup=lookup)
    assert seen == ["SSL_PROTOCOL", "REMOTE_USER"]
    from apyche.expr import SimpleContext
    assert expr.evaluate(SimpleContext())


def test_expr_repr_and_text():
    e = parse_expr("true && %{REQUEST_URI} == '/'")
    assert e.text == "true && %{REQUEST_URI} == '/'"
    assert "bool" in repr(e)
    assert not e.is_string
    assert parse_string_expr("x").is_string
