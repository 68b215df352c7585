"""Evaluation, family by family.

``test_matches_apache_evaluation`` replays apache_eval_cases.json: 122
expressions evaluated by a live apache2 2.4.71 (mod_headers, one request;
see apache_eval_probe.py) - variables, every string function, -T/-n/-z,
file operators, -R/-ipmatch, -strmatch/-strcmatch/-fnmatch, integer and
string comparison edge cases, regex captures and the recursion limit.
The other tests pin the same behaviour on a SimpleContext.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from apyche.expr import (EvalError, SimpleContext, parse_expr,
                         parse_string_expr)
from apyche.expr.evaluate import atoi64
from apyche.expr.functions import apr_fnmatch, base64_decode, escape, parse_subnet, subnet_test

HERE = Path(__file__).parent
EVAL_CASES = json.loads((HERE / "apache_eval_cases.json").read_text())


def ev(text: str, ctx: SimpleContext | None = None, **kw) -> bool:
    return parse_expr(text).evaluate(ctx or SimpleContext(**kw), strict=True)


def sv(text: str, ctx: SimpleContext | None = None, **kw) -> str:
    return parse_string_expr(text).evaluate_string(ctx or SimpleContext(**kw), strict=True)


# --------------------------------------------------------------------------
# recorded from apache2
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def apache_like(tmp_path_factory):
    from .apache_eval_probe import context
    root = tmp_path_factory.mktemp("aeval")
    (root / "htdocs" / "dir").mkdir(parents=True)
    (root / "htdocs" / "dir" / "x.html").write_text("hello\n")
    (root / "small.txt").write_text("abc\ndef\n")
    os.chmod(root / "small.txt", 0o644)
    return str(root), context(str(root), 18080)


@pytest.mark.parametrize("mode,expr,apache", EVAL_CASES,
                         ids=[str(i) for i in range(len(EVAL_CASES))])
def test_matches_apache_evaluation(apache_like, mode, expr, apache):
    root, ctx = apache_like
    text = expr.replace("@ROOT@", root)
    if apache == "@YEAR@":
        apache = time.strftime("%Y")
    if mode == "string":
        got = parse_string_expr(text).evaluate_string(ctx).replace(root, "@ROOT@")
    else:
        got = {1: "true", 0: "false", -1: "error"}[parse_expr(text).exec(ctx)]
    assert got == apache


# --------------------------------------------------------------------------
# boolean structure
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("true", True), ("false", False), ("!true", False), ("!!true", True),
    ("true && false", False), ("true || false", True),
    ("false || false && true", False), ("true || false && false", True),
    ("!false && !false", True), ("!(true || false)", False),
    ("(true)", True), ("not false and true", True),
])
def test_boolean(text, value):
    assert ev(text) is value


def test_short_circuit():
    # file() on a missing file is an evaluation error; never reached here
    assert ev("true || file('/nonexistent/x') == ''") is True
    assert ev("false && file('/nonexistent/x') == ''") is False


# --------------------------------------------------------------------------
# comparisons
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("1 -eq 1", True), ("'01' -eq 1", True), ("'1abc' -eq 1", True),
    ("'abc' -eq 0", True), ("' 5' -eq 5", True), ("'+5' -eq 5", True),
    ("'10' -gt 9", True), ("'10' > '9'", False), ("-1 -lt 0", True),
    ("1 -ne 2", True), ("2 -le 2", True), ("3 -ge 4", False),
    ("'99999999999999999999' -eq '9223372036854775807'", True),
    ("'a' == 'a'", True), ("'a' = 'a'", True), ("'a' != 'b'", True),
    ("'a' < 'b'", True), ("'b' <= 'a'", False), ("'ab' > 'a'", True),
    ("'B' < 'a'", True), ("'' < 'a'", True), ("'a' >= 'a'", True),
    ("1 eq 1 && 1 ne 2 && 1 lt 2 && 2 le 2 && 3 gt 2 && 3 ge 3", True),
])
def test_comparisons(text, value):
    assert ev(text) is value


def test_atoi64():
    assert atoi64("") == 0
    assert atoi64("  -12x") == -12
    assert atoi64("x12") == 0
    assert atoi64("-99999999999999999999") == -(1 << 63)


def test_ssl_compat_compares_length_first():
    ctx = SimpleContext()
    assert parse_expr("'10' > '9'", ssl_compat=True).evaluate(ctx)
    assert parse_expr("'abc' -gt 'b'", ssl_compat=True).evaluate(ctx)
    assert not parse_expr("'abc' -gt 'b'").evaluate(ctx)


@pytest.mark.parametrize("text,value", [
    ("'b' -in {'a', 'b'}", True), ("'c' in {'a', 'b'}", False),
    ("'' -in {''}", True), ("'ab' -in {'a' . 'b'}", True),
])
def test_in(text, value):
    assert ev(text) is value


# --------------------------------------------------------------------------
# regex and captures
# --------------------------------------------------------------------------

def test_regex_captures():
    ctx = SimpleContext(uri="/app/42/x")
    assert ev("%{REQUEST_URI} =~ m#^/app/(\\d+)/(x)# && $1 == '42' && $2 == 'x' "
              "&& $0 == '/app/42/x' && $3 == ''", ctx)
    assert ctx.captures[1] == "42"


def test_regex_without_groups_keeps_captures_and_failure_clears_them():
    ctx = SimpleContext(uri="/dir")
    assert ev("%{REQUEST_URI} =~ /(d)ir/ && %{REQUEST_URI} =~ /dir/ && $1 == 'd'", ctx)
    assert ev("%{REQUEST_URI} =~ /(d)ir/ && !(%{REQUEST_URI} =~ /(n)o/) && $1 == ''", ctx)


def test_capture_state_after_evaluation():
    # what mod_setenvif substitutes from: the last capturing regex's groups,
    # False when it failed (Apache's re_source NULL), None when none ran;
    # a match on an empty subject has only "" (ap_expr_eval_re_backref)
    ctx = SimpleContext(uri="/dir")
    assert ev("%{REQUEST_URI} =~ /(d)(i)r/", ctx)
    assert ctx.captures[:3] == ["dir", "d", "i"]
    assert ev("%{REQUEST_URI} !~ /(z)/", ctx) and ctx.captures is False
    assert ev("%{REQUEST_URI} =~ /dir/", ctx) and ctx.captures is None
    assert ev("'' =~ /^()$/", ctx) and list(ctx.captures) == [""] * 10


def test_captures_reset_per_evaluation_unless_kept():
    ctx = SimpleContext()
    ctx.captures = ["all", "one"] + [""] * 8
    assert ev("$1 == ''", ctx)
    ctx.captures = ["all", "one"] + [""] * 8
    assert parse_expr("$1 == 'one'").evaluate(ctx, keep_captures=True)


def test_regex_flags_and_dollar():
    assert ev("'ABC' =~ /abc/i")
    assert not ev("'ABC' =~ /abc/")
    assert ev("'a\\nb' =~ /a.b/")            # DOTALL
    assert not ev("'ab\\n' =~ /ab$/")        # DOLLAR_ENDONLY
    assert ev("'ab\\n' =~ /ab\\Z/")
    assert ev("'x' !~ /y/")


def test_string_expression_backrefs():
    ctx = SimpleContext()
    ctx.captures = ["whole", "first"] + [""] * 8
    assert parse_string_expr("[$1]").evaluate_string(ctx, keep_captures=True) == "[first]"
    assert parse_string_expr("[$1]").evaluate_string(ctx) == "[]"


# --------------------------------------------------------------------------
# unary / binary operators
# --------------------------------------------------------------------------

@pytest.mark.parametrize("arg,value", [
    ("", False), ("0", False), ("00", True), ("off", False), ("OFF", False),
    ("no", False), ("No", False), ("false", False), ("falsey", True),
    ("x", True), ("on", True),
])
def test_T(arg, value):
    assert ev(f"-T '{arg}'") is value


def test_n_z():
    assert ev("-n 'x' && -z '' && !-z 'x'")


def test_file_operators(tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("data")
    empty = tmp_path / "empty"
    empty.write_text("")
    link = tmp_path / "link"
    link.symlink_to(f)
    exe = tmp_path / "run.sh"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    t = str(tmp_path)
    assert ev(f"-d '{t}' && !-f '{t}' && -e '{t}'")
    assert ev(f"-f '{f}' && -s '{f}' && !-s '{empty}' && -f '{empty}'")
    assert ev(f"-L '{link}' && -h '{link}' && !-L '{f}'")
    assert ev(f"-x '{exe}' && !-x '{f}'")
    assert ev(f"!-e '{t}/missing' && !-d '{t}/missing'")
    assert sv(f"%{{filesize:{f}}}") == "4"
    assert sv(f"%{{filesize:{t}}}") == "0"
    assert sv(f"%{{file:{f}}}") == "data"


def test_fake_file_system():
    ctx = SimpleContext(files={"/srv/a.txt": b"hello"})
    assert ev("-f '/srv/a.txt' && -d '/srv' && !-e '/srv/b'", ctx)
    assert sv("%{file:/srv/a.txt}", ctx) == "hello"


def test_subrequest_operators():
    ctx = SimpleContext(subreq_uris=lambda u: u == "/ok",
                        subreq_files=lambda p: p == "/f")
    assert ev("-U '/ok' && -A '/ok' && !-U '/no' && -F '/f' && !-F '/g'", ctx)


@pytest.mark.parametrize("ip,subnet,value", [
    ("10.1.2.3", "10.0.0.0/8", True), ("10.1.2.3", "10.1", True),
    ("10.1.2.3", "10.2", False), ("10.1.2.3", "10.1.2.", True),
    ("10.1.2.3", "10.0.0.0/255.255.0.0", False),
    ("10.0.2.3", "10.0.0.0/255.255.0.0", True),
    ("::ffff:10.1.2.3", "10.0.0.0/8", True), ("fe80::1", "fe80::/10", True),
    ("fe80::1", "10.0.0.0/8", False), ("127.1", "127.0.0.1", True),
    ("nonsense", "10.0.0.0/8", False),
])
def test_ipmatch(ip, subnet, value):
    assert ev(f"'{ip}' -ipmatch '{subnet}'") is value


def test_R_uses_remote_addr():
    assert ev("-R '192.168.0.0/16'", remote_ip="192.168.7.7")
    assert not ev("-R '192.168.0.0/16'", remote_ip="10.0.0.1")


@pytest.mark.parametrize("text", ["", "x", "10.0.0.0/0", "10.0.0.0/33", "1..2",
                                  "::ffff:1.2.3.4/96", "1.2.3.4/ff::", "01.2.3.4/8"])
def test_bad_subnets(text):
    assert parse_subnet(text) is None


def test_subnet_forms():
    assert parse_subnet("1.2.3.4.") == ("v4", 0x01020304, 0xFFFFFFFF)
    assert parse_subnet("01.2.3.4") is not None        # network form, atoi
    assert subnet_test(parse_subnet("::1/64"), "::2")


@pytest.mark.parametrize("string,pattern,flags,value", [
    ("foo/bar.gif", "*.gif", {}, True),
    ("foo/bar.gif", "*.gif", {"pathname": True}, False),
    ("foo/bar.gif", "*/*.gif", {"pathname": True}, True),
    ("FOO.GIF", "*.gif", {"casefold": True}, True),
    ("FOO.GIF", "*.gif", {}, False),
    ("b", "[!a]", {}, True), ("b", "[a-c]", {}, True), ("x[", "x[", {}, True),
    ("a*", "a\\*", {}, True), ("ab", "a\\*", {}, False),
    ("/", "?", {}, True), ("/", "?", {"pathname": True}, False),
    ("/", "[/]", {"pathname": True}, False),
])
def test_fnmatch(string, pattern, flags, value):
    assert apr_fnmatch(pattern, string, **flags) is value


def test_match_operators():
    assert ev("'a.GIF' -strcmatch '*.gif' && 'a.gif' -strmatch 'a.*' "
              "&& !('a/b' -fnmatch 'a*')")


# --------------------------------------------------------------------------
# variables and functions
# --------------------------------------------------------------------------

def test_variables():
    ctx = SimpleContext(
        method="POST", scheme="https", uri="/p", filename="/srv/p", path_info="/i",
        query="q=1", protocol="HTTP/1.0", the_request="POST /p?q=1 HTTP/1.0",
        is_subreq=True, status=404, remote_ip="::1", remote_port=4444,
        https=True, http2=True,
        request_headers={"Host": "h", "User-Agent": "ua", "Referer": "r",
                         "Cookie": "c", "Accept": "a", "Forwarded": "f",
                         "Proxy-Connection": "pc"},
        vars={"SERVER_NAME": "sn", "SERVER_PORT": "8443", "DOCUMENT_ROOT": "/srv",
              "REMOTE_USER": "bob", "HANDLER": "h1", "CONTENT_TYPE": "text/plain"},
        env={"DOCUMENT_URI": "/doc"})
    got = sv("%{REQUEST_METHOD}|%{REQUEST_SCHEME}|%{REQUEST_URI}|%{REQUEST_FILENAME}|"
             "%{SCRIPT_FILENAME}|%{PATH_INFO}|%{QUERY_STRING}|%{SERVER_PROTOCOL}|"
             "%{THE_REQUEST}|%{IS_SUBREQ}|%{REQUEST_STATUS}|%{REMOTE_ADDR}|"
             "%{REMOTE_PORT}|%{CONN_REMOTE_ADDR}|%{HTTPS}|%{HTTP2}|%{IPV6}", ctx)
    assert got == ("POST|https|/p|/srv/p|/srv/p|/i|q=1|HTTP/1.0|POST /p?q=1 HTTP/1.0|"
                   "true|404|::1|4444|::1|on|on|on")
    assert sv("%{HTTP_HOST}|%{HTTP_USER_AGENT}|%{HTTP_REFERER}|%{HTTP_COOKIE}|"
              "%{HTTP_ACCEPT}|%{HTTP_FORWARDED}|%{HTTP_PROXY_CONNECTION}", ctx) \
        == "h|ua|r|c|a|f|pc"
    assert sv("%{SERVER_NAME}|%{SERVER_PORT}|%{DOCUMENT_ROOT}|%{REMOTE_USER}|"
              "%{HANDLER}|%{CONTENT_TYPE}|%{DOCUMENT_URI}|[%{AUTH_TYPE}]", ctx) \
        == "sn|8443|/srv|bob|h1|text/plain|/doc|[]"
    assert sv("%{API_VERSION}") == "20120211"
    assert sv("%{SERVER_SOFTWARE}").startswith("Apache/2.4")


def test_time_variables():
    fixed = time.mktime((2021, 3, 4, 5, 6, 7, 0, 0, -1))
    ctx = SimpleContext(clock=lambda: fixed)
    assert sv("%{TIME_YEAR}-%{TIME_MON}-%{TIME_DAY} %{TIME_HOUR}:%{TIME_MIN}:"
              "%{TIME_SEC} %{TIME_WDAY} %{TIME}", ctx) \
        == "2021-03-04 05:06:07 4 20210304050607"


def test_tables_and_env_order():
    ctx = SimpleContext(request_headers={"X-A": "1"}, response_headers={"X-R": "r"},
                        err_response_headers={"X-E": "e", "X-R": "err"},
                        notes={"n": "note", "both": "from-note"},
                        env={"e": "env", "both": "from-env"}, osenv={"o": "os", "e": "os-e"})
    assert sv("%{req:x-a}|%{http:X-A}|%{req_novary:x-a}|%{resp:X-R}|%{resp:X-E}", ctx) \
        == "1|1|1|r|e"
    assert sv("%{note:n}|%{reqenv:e}|%{osenv:o}|%{env:both}|%{env:e}|%{env:o}|[%{env:zz}]",
              ctx) == "note|env|os|from-note|env|os|[]"


def test_vary_collection():
    ctx = SimpleContext(request_headers={"Host": "h", "User-Agent": "u", "X-A": "1"})
    ev("%{HTTP_HOST} != '' && %{HTTP_USER_AGENT} != '' && req('X-A') != '' "
       "&& req_novary('X-B') == '' && req('host') != ''", ctx)
    assert ctx.vary == ["User-Agent", "X-A"]


@pytest.mark.parametrize("text,value", [
    ("%{tolower:AbC\u00c4}", "abc\u00c4"), ("%{toupper:aBc}", "ABC"),
    ("%{escape:a b/c?d}", "a%20b/c%3fd"), ("%{escape:caf\u00e9}", "caf%c3%a9"),
    ("%{unescape:a%20b%2fc%2F%41}", "a b%2fc%2FA"), ("%{unescape:x%00y}", ""),
    ("%{unescape:x%zz}", ""), ("%{unescape:plain}", "plain"),
    ("%{base64:hello world}", "aGVsbG8gd29ybGQ="),
    ("%{unbase64:aGVsbG8gd29ybGQ=}", "hello world"), ("%{unbase64:aGV*sbG8}", "he"),
    ("%{unbase64:YQ}", "a"), ("%{md5:foo}", "acbd18db4cc2f85cedef654fccc4a4d8"),
    ("%{sha1:foo}", "0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33"),
    ("%{ldap:a*(b)\\\\c,=#}", "a\\2a\\28b\\29\\5cc\\2c=#"),
])
def test_string_functions(text, value):
    assert sv(text) == value


def test_function_helpers():
    assert escape("~:@!$&'()*+,;=/") == "~:@!$&'()*+,;=/"
    assert base64_decode("") == ""
    assert base64_decode("AGE=") == ""       # a NUL first: the C string is empty


# --------------------------------------------------------------------------
# errors during evaluation
# --------------------------------------------------------------------------

def test_evaluation_error_is_false_logged_or_raised():
    e = parse_expr("file('/nonexistent/x') == ''", filename="/etc/httpd.conf", line=7)
    ctx = SimpleContext()
    assert e.evaluate(ctx) is False
    assert ctx.logged == [("error", "Evaluation of expression from /etc/httpd.conf:7 "
                                    "failed: Cannot open file /nonexistent/x")]
    assert e.exec(ctx) == -1
    with pytest.raises(EvalError, match="Cannot open file"):
        e.evaluate(ctx, strict=True)
    s = parse_string_expr("%{file:/nonexistent/x}")
    assert s.evaluate_string(ctx) == ""
    with pytest.raises(EvalError):
        s.evaluate_string(ctx, strict=True)


def nest(n: int) -> str:
    return "toupper(" * n + "'a'" + ")" * n


@pytest.mark.parametrize("n,result", [(18, 1), (19, -1), (20, -1)])
def test_recursion_limit_functions(n, result):
    # (v) apache2: 18 nested calls evaluate, 19 hit "Recursion limit reached"
    assert parse_expr(f"{nest(n)} == 'A'").exec(SimpleContext()) == result


def test_recursion_limit_chains_do_not_count():
    # || / && chains and ! are evaluated in a loop, as Apache does
    long_or = " || ".join(["false"] * 200 + ["true"])
    assert ev(long_or)
    assert ev("!" * 101 + "false")
    assert ev(" . ".join(["'a'"] * 200) + " == '" + "a" * 200 + "'")


def test_recursion_limit_message():
    ctx = SimpleContext()
    assert parse_expr(f"{nest(30)} == 'A'").evaluate(ctx) is False
    assert "Recursion limit reached" in ctx.logged[-1][1]


def test_type_mismatch():
    with pytest.raises(TypeError):
        parse_expr("true").evaluate_string(SimpleContext())
    with pytest.raises(TypeError):
        parse_string_expr("x").evaluate(SimpleContext())


def test_constant_string_short_cut():
    e = parse_string_expr("just text")
    assert e.evaluate_string(SimpleContext()) == "just text"


def test_compiled_evaluation_is_fast():
    e = parse_expr("%{REQUEST_URI} =~ m#^/app/(\\w+)# && $1 -in {'a', 'b', 'foo'} "
                   "&& %{HTTP_HOST} == 'example.com' && -n %{QUERY_STRING}")
    ctx = SimpleContext(uri="/app/foo", query="x", request_headers={"Host": "example.com"},
                        vary=None)
    t = time.perf_counter()
    for _ in range(20000):
        assert e.evaluate(ctx)
    per_call = (time.perf_counter() - t) / 20000
    assert per_call < 50e-6, per_call
