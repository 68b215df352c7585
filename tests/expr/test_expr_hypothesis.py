"""Property tests: random expressions never break the parser or evaluator.

* expressions built from the grammar (expr.xml's BNF, with known and
  unknown names, good and bad regexes, escapes) either parse or raise
  ExprError - nothing else - and what parses evaluates without raising;
* the same for arbitrary text made of the language's characters, and for
  string expressions;
* boolean structure evaluates with Apache's precedence (|| < && < !).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apyche.expr import ExprError, SimpleContext, parse_expr, parse_string_expr

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

VARIABLES = ["REQUEST_URI", "HTTP_HOST", "remote_addr", "TIME_HOUR", "QUERY_STRING",
             "REQUEST_FILENAME", "HTTPS", "IPV6", "REQUEST_STATUS", "DOCUMENT_ROOT",
             "NOPE", "SSL_PROTOCOL", "LAST_MODIFIED", "SCRIPT_USER", "TIME"]
FUNCTIONS = ["tolower", "toupper", "md5", "sha1", "base64", "unbase64", "escape",
             "unescape", "req", "http", "resp", "env", "osenv", "note", "reqenv",
             "req_novary", "file", "filesize", "ldap", "nofunc", "TOLOWER"]
UNARY = ["-z", "-n", "-T", "-R", "-d", "-e", "-f", "-s", "-L", "-h", "-x", "-F",
         "-U", "-A", "-Q"]
BINARY = ["-ipmatch", "-strmatch", "-strcmatch", "-fnmatch", "-IPMATCH", "-nomatch"]
COMPARE = ["==", "=", "!=", "<", "<=", ">", ">=", "-eq", "-ne", "-lt", "-le", "-gt",
           "-ge", "eq", "ne", "lt", "le", "gt", "ge"]
REGEXES = ["^/a", "(x)", "a(b)?c", "\\d+", "(", "[a-z]+$", "(?i)x", "a{,2}",
           "(?<n>x)\\k<n>", "x(?=y)", "[[:alpha:]]", "a(?i)b|c", "\\Qa.b\\E",
           "x\\K", "(?<=a|bc)", "[", "a**", "(a)\\2", "\\x{41}", "[[:^digit:]]"]
TEXT = ["abc", "x y", "10.0.0.0/8", "a\\'b", "\\n", "\\101", "\\400", "\\9", "%",
        "$", "}", "-", "1.2.3.4", "fe80::/10", "*.gif", "/etc/hostname", "\\\\",
        "\u00e9", "\ud800", "%00", "%zz", "AAA=", "/nonexistent/x"]


@st.composite
def strings(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        k = draw(st.integers(0, 9))
        if k < 5 or depth > 2:
            parts.append(draw(st.sampled_from(TEXT)))
        elif k < 8:
            parts.append(draw(variables(depth + 1)))
        else:
            parts.append("$" + str(draw(st.integers(0, 9))))
    return "".join(parts)


@st.composite
def variables(draw, depth=0):
    if depth > 2 or draw(st.booleans()):
        return "%{" + draw(st.sampled_from(VARIABLES)) + "}"
    return "%{" + draw(st.sampled_from(FUNCTIONS)) + ":" + draw(strings(depth + 1)) + "}"


@st.composite
def words(draw, depth=0):
    k = draw(st.integers(0, 9 if depth < 3 else 4))
    if k == 0:
        return str(draw(st.integers(-5, 30)))
    if k <= 2:
        q = draw(st.sampled_from(["'", '"']))
        return q + draw(strings(depth)).replace(q, "") + q
    if k == 3:
        return draw(variables(depth))
    if k == 4:
        return "$" + str(draw(st.integers(0, 9)))
    if k <= 7:
        return draw(st.sampled_from(FUNCTIONS)) + "(" + draw(words(depth + 1)) + ")"
    return draw(words(depth + 1)) + " . " + draw(words(depth + 1))


@st.composite
def regexes(draw):
    body = draw(st.sampled_from(REGEXES))
    delim = draw(st.sampled_from(["/", "#", "|", "!", "_"]))
    if delim in body:
        delim = "/" if "/" not in body else "#"
    opener = "/" if delim == "/" else "m" + delim
    return opener + body + delim + draw(st.sampled_from(["", "i"]))


@st.composite
def expressions(draw, depth=0):
    k = draw(st.integers(0, 12 if depth < 3 else 5))
    if k == 0:
        return draw(st.sampled_from(["true", "false"]))
    if k == 1:
        return draw(st.sampled_from(UNARY)) + " " + draw(words(depth + 1))
    if k == 2:
        return (draw(words(depth + 1)) + " " + draw(st.sampled_from(BINARY)) + " "
                + draw(words(depth + 1)))
    if k == 3:
        return draw(words(depth + 1)) + " " + draw(st.sampled_from(["=~", "!~"])) + " " \
            + draw(regexes())
    if k == 4:
        items = draw(st.lists(words(depth + 2), min_size=1, max_size=3))
        return draw(words(depth + 1)) + " -in {" + ", ".join(items) + "}"
    if k == 5:
        return (draw(words(depth + 1)) + " " + draw(st.sampled_from(COMPARE)) + " "
                + draw(words(depth + 1)))
    if k <= 7:
        return draw(st.sampled_from(["!", "not "])) + draw(expressions(depth + 1))
    if k <= 10:
        return (draw(expressions(depth + 1)) + draw(st.sampled_from([" && ", " || ", " and ", " or "]))
                + draw(expressions(depth + 1)))
    return "(" + draw(expressions(depth + 1)) + ")"


@st.composite
def mutated(draw, base):
    s = draw(base)
    if not s or draw(st.booleans()):
        return s
    i = draw(st.integers(0, len(s) - 1))
    k = draw(st.integers(0, 2))
    if k == 0:
        return s[:i] + s[i + 1:]
    if k == 1:
        return s[:i] + draw(st.sampled_from(list("()'\"{}%$/,:!-=.@\\ \n"))) + s[i:]
    return s[:i]


def context() -> SimpleContext:
    return SimpleContext(uri="/a/b", query="x=1", filename="/etc/hostname",
                         request_headers={"Host": "h", "User-Agent": "ua"},
                         vars={"DOCUMENT_ROOT": "/srv"}, remote_ip="10.1.2.3")


def check_bool(text: str) -> None:
    try:
        expr = parse_expr(text)
    except ExprError:
        return
    ctx = context()
    assert expr.evaluate(ctx) in (True, False)
    assert expr.exec(ctx) in (1, 0, -1)


def check_string(text: str) -> None:
    try:
        expr = parse_string_expr(text)
    except ExprError:
        return
    assert isinstance(expr.evaluate_string(context()), str)


@SETTINGS
@given(mutated(expressions()))
def test_grammar_expressions_parse_or_fail_cleanly(text):
    check_bool(text)


@SETTINGS
@given(st.text(alphabet="()'\"{}%$/,:!-=<>~.@\\ \nabemtruefalsin0123RTzn_#|&", max_size=40))
def test_arbitrary_text_parses_or_fails_cleanly(text):
    check_bool(text)
    check_string(text)


@SETTINGS
@given(st.text(max_size=30))
def test_any_unicode_text(text):
    check_bool(text)
    check_string(text)


@SETTINGS
@given(mutated(strings()))
def test_string_expressions(text):
    check_string(text)


@st.composite
def boolean_trees(draw, depth=0):
    """(apache text, python text) for random && / || / ! trees."""
    k = draw(st.integers(0, 3 if depth < 4 else 0))
    if k == 0:
        v = draw(st.booleans())
        return ("true" if v else "false"), str(v)
    if k == 1:
        a, pa = draw(boolean_trees(depth + 1))
        return "!" + a, f"not {pa}"
    a, pa = draw(boolean_trees(depth + 1))
    b, pb = draw(boolean_trees(depth + 1))
    if draw(st.booleans()):
        a, pa = "(" + a + ")", "(" + pa + ")"
    op, pop = (" && ", " and ") if k == 2 else (" || ", " or ")
    return a + op + b, pa + pop + pb


@SETTINGS
@given(boolean_trees())
def test_precedence_matches_python(pair):
    # The same text, spelled with Python's  or < and < not , means the same:
    # Apache's ladder is || < && < !, and both make && / || right-leaning
    # or left-leaning without changing the value.
    apache, python = pair
    assert parse_expr(apache).evaluate(SimpleContext()) is eval(python)  # noqa: S307
