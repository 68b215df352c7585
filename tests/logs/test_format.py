"""LogFormat tokens, one row per behaviour (mod_log_config.c is the spec)."""

from __future__ import annotations

import os
import threading
import time

import pytest
from hypothesis import given, strategies as st

from apyche.logs.format import (APACHE_FORMATS, DEBIAN_FORMATS,
                                DEFAULT_LOG_FORMAT, LogFormat,
                                LogFormatError, LogRecord, compile_format,
                                connection_status, escape_logitem,
                                merge_headers, parse_format)

T0 = 1_795_742_638_197_036          # a fixed r->request_time (µs)


def rec(**kw) -> LogRecord:
    base = dict(request_line="GET /p?q=1 HTTP/1.1", method="GET", uri="/p",
                query="q=1", protocol="HTTP/1.1", status=200, bytes_sent=15,
                remote_ip="192.0.2.1", remote_port=5555, local_ip="192.0.2.9",
                local_port=8080, server_port=80, server_hostname="www.test",
                request_time_us=T0, end_time_us=T0 + 2_345_678)
    base.update(kw)
    return LogRecord(**base)


def fmt(f: str, **kw) -> str:
    out = LogFormat(f)(rec(**kw))
    assert out.endswith("\n")
    return out[:-1]


# (format, record overrides, expected line)
TOKENS = [
    ("%h", {}, "192.0.2.1"),
    ("%h", {"remote_host": "client.example"}, "client.example"),
    ("%{c}h", {"client_ip": "198.51.100.7"}, "198.51.100.7"),
    ("%h", {"remote_host": 'a"b'}, 'a\\"b'),
    ("%a", {}, "192.0.2.1"),
    ("%{c}a", {"client_ip": "198.51.100.7"}, "198.51.100.7"),
    ("%{c}a", {}, "192.0.2.1"),
    ("%A", {}, "192.0.2.9"),
    ("%l", {}, "-"),
    ("%l", {"remote_logname": "ident"}, "ident"),
    ("%u", {}, "-"),
    ("%u", {"user": ""}, '""'),
    ("%u", {"user": "bob"}, "bob"),
    ("%u", {"user": 'b"ob'}, 'b\\"ob'),
    ("%r", {}, "GET /p?q=1 HTTP/1.1"),
    ("%>s", {"status": 404, "orig_status": 200}, "404"),
    ("%s", {"status": 404, "orig_status": 200}, "200"),
    ("%<s", {"status": 404, "orig_status": 200}, "200"),
    ("%s", {"status": 404}, "404"),
    ("%s", {"status": 0}, "-"),
    ("%b", {}, "15"),
    ("%b", {"bytes_sent": 0}, "-"),
    ("%B", {"bytes_sent": 0}, "0"),
    ("%B", {}, "15"),
    ("%D", {}, "2345678"),
    ("%T", {}, "2"),
    ("%{s}T", {}, "2"),
    ("%{ms}T", {}, "2345"),
    ("%{MS}T", {}, "2345"),
    ("%{us}T", {}, "2345678"),
    ("%{hours}T", {}, "hours"),
    ("%{Referer}i", {"headers_in": {"referer": "http://r/"}}, "http://r/"),
    ("%{REFERER}i", {"headers_in": {"referer": "x"}}, "x"),
    ("%{Referer}i", {}, "-"),
    ("%{X}i", {"headers_in": {"x": ""}}, ""),
    ("%{Server}o", {"headers_out": [("Server", "s1"), ("server", "s2")]},
     "s1"),
    ("%{Set-Cookie}o", {"headers_out": [("Set-Cookie", "a=1"),
                                        ("X", "y"), ("set-cookie", "b=2")]},
     "a=1, b=2"),
    ("%{Content-Type}o", {"content_type": "text/html; charset=UTF-8"},
     "text/html"),
    ("%{Content-Type}o", {"headers_out": [("Content-Type", "a/b; x=y")]},
     "a/b; x=y"),
    ("%{ETag}o", {"headers_out": [("ETag", 'W/"1-2"')]}, 'W/\\"1-2\\"'),
    ("%{FOO}e", {"env": {"FOO": "bar baz"}}, "bar baz"),
    ("%{foo}e", {"env": {"FOO": "bar"}}, "bar"),
    ("%{FOO}e", {}, "-"),
    ("%{n1}n", {"notes": {"n1": "v"}}, "v"),
    ("%{sess}C", {"headers_in": {"cookie": "sess=abc; other=1"}}, "abc"),
    ("%{SESS}C", {"headers_in": {"cookie": "sess=abc"}}, "abc"),
    ("%{other}C", {"headers_in": {"cookie": "sess=abc;  other = 1 "}}, "1"),
    ("%{none}C", {"headers_in": {"cookie": "sess=abc"}}, "-"),
    ("%{e}C", {"headers_in": {"cookie": "e=; f=2"}}, "-"),
    ("%v", {}, "www.test"),
    ("%V", {}, "www.test"),
    ("%V", {"server_name": "alias.test"}, "alias.test"),
    ("%p", {}, "80"),
    ("%{canonical}p", {}, "80"),
    ("%{local}p", {}, "8080"),
    ("%{remote}p", {}, "5555"),
    ("%{REMOTE}p", {}, "5555"),
    ("%{other}p", {}, "other"),
    ("%P", {"pid": 42}, "42"),
    ("%{pid}P", {"pid": 42}, "42"),
    ("%{tid}P", {"tid": 255}, "255"),
    ("%{hextid}P", {"tid": 255}, "ff"),
    ("%{x}P", {}, "x"),
    ("%U", {}, "/p"),
    ("%U", {"uri": "/index.html", "orig_uri": "/"}, "/"),
    ("%>U", {"uri": "/index.html", "orig_uri": "/"}, "/index.html"),
    ("%q", {}, "?q=1"),
    ("%q", {"query": None}, ""),
    ("%q", {"query": ""}, "?"),
    ("%H", {}, "HTTP/1.1"),
    ("%m", {}, "GET"),
    ("%f", {}, "-"),
    ("%f", {"filename": "/var/www/x"}, "/var/www/x"),
    ("%R", {}, "-"),
    ("%R", {"handler": "cgi-script"}, "cgi-script"),
    ("%k", {"keepalives": 0}, "0"),
    ("%k", {"keepalives": 1}, "0"),
    ("%k", {"keepalives": 3}, "2"),
    ("%X", {}, "-"),
    ("%X", {"keepalive": True, "keepalives": 1}, "+"),
    ("%X", {"keepalive": True, "keepalives": 100}, "-"),
    ("%X", {"keepalive": True, "keepalives": 100, "keep_alive_max": 0}, "+"),
    ("%X", {"aborted": True, "keepalive": True}, "X"),
    ("%I %O %S", {"bytes_in": 10, "bytes_out": 300}, "10 300 310"),
    ("%^FB", {}, "-"),
    ("%^FB", {"ttfb_us": 1234}, "1234"),
    ("%{grpc-status}^to", {"trailers_out": {"grpc-status": "0"}}, "0"),
    ("%{x}^ti", {}, "-"),
    ("%L %{c}L", {}, "- -"),
    ("%L %{c}L", {"log_id": "abc", "conn_log_id": "def"}, "abc def"),
    ("%%", {}, "%"),
    ("100%% %s", {}, "100% 200"),
    ("a\\tb\\nc\\\\d\\e", {}, "a\tb\nc\\d\\e"),
    ("\\%s", {}, "\\200"),
    ("[%{sec}t]", {}, "[1795742638]"),
    ("%{msec}t", {}, "1795742638197"),
    ("%{usec}t", {}, str(T0)),
    ("%{msec_frac}t", {}, "197"),
    ("%{usec_frac}t", {}, "197036"),
    ("%{begin:sec}t", {}, "1795742638"),
    ("%{end:sec}t", {}, "1795742640"),
    ("%{end:usec_frac}t", {}, "542714"),
    ("%{usecs}t", {}, "usecs"),          # not a keyword: plain strftime text
    # status conditions test the final status
    ("%400,501{User-agent}i", {"status": 400,
                               "headers_in": {"user-agent": "UA"}}, "UA"),
    ("%400,501{User-agent}i", {"status": 200,
                               "headers_in": {"user-agent": "UA"}}, "-"),
    ("%!200,304{Referer}i", {"status": 200,
                             "headers_in": {"referer": "R"}}, "-"),
    ("%!200,304{Referer}i", {"status": 404,
                             "headers_in": {"referer": "R"}}, "R"),
    ("%!!200{Referer}i", {"status": 200, "headers_in": {"referer": "R"}},
     "R"),
    ("%404s", {"status": 404, "orig_status": 200}, "200"),
    ("%404>s", {"status": 404, "orig_status": 200}, "404"),
]


@pytest.mark.parametrize("f,kw,expected", TOKENS,
                         ids=[t[0] + repr(sorted(t[1])) for t in TOKENS])
def test_token(f, kw, expected):
    assert fmt(f, **kw) == expected


def test_clf_time_is_local_time_with_offset():
    tm = time.localtime(T0 // 1_000_000)
    off = tm.tm_gmtoff
    sign = "-" if off < 0 else "+"
    off = abs(off)
    want = time.strftime("[%d/%b/%Y:%H:%M:%S ", tm) + "%s%02d%02d]" % (
        sign, off // 3600, off % 3600 // 60)
    assert fmt("%t") == want
    assert fmt("%{begin}t") == want
    assert fmt("%{%d/%b/%Y:%H:%M:%S %z}t") == want[1:-1]


def test_end_time_is_taken_once_and_reused():
    r = rec(end_time_us=None)
    f = LogFormat("%D %{end:usec}t")
    d, end = f(r).split()
    assert int(end) - T0 == int(d)
    assert r.end_time_us == int(end)


def test_pid_and_tid_default_to_this_process_and_thread():
    assert fmt("%P") == str(os.getpid())
    assert fmt("%{tid}P") == str(threading.get_ident())


# --- escaping --------------------------------------------------------------

ESCAPES = [
    ("plain", "plain"),
    ('q"q', 'q\\"q'),
    ("b\\s", "b\\\\s"),
    ("\x08\n\r\t\x0b", "\\b\\n\\r\\t\\v"),
    ("\x00\x01\x1f\x7f", "\\x00\\x01\\x1f\\x7f"),
    ("caf\xe9", "caf\\xe9"),                      # latin-1 decoded byte
    ("caf\udce9", "caf\\xe9"),                    # surrogateescape'd byte
    ("\u20ac", "\\xe2\\x82\\xac"),                # real char: its UTF-8
    ("", ""),
]


@pytest.mark.parametrize("raw,want", ESCAPES)
def test_escape_logitem(raw, want):
    assert escape_logitem(raw) == want


@pytest.mark.parametrize("token,kw", [
    ("%r", "request_line"), ("%U", "uri"), ("%m", "method"),
    ("%H", "protocol"), ("%f", "filename"), ("%v", "server_hostname"),
    ("%R", "handler"), ("%l", "remote_logname"),
])
def test_escaped_tokens(token, kw):
    assert fmt(token, **{kw: 'a"\n\xff'}) == 'a\\"\\n\\xff'


@pytest.mark.parametrize("token,kw", [("%a", "remote_ip"), ("%A", "local_ip")])
def test_addresses_are_not_escaped(token, kw):
    assert fmt(token, **{kw: "fe80::1%eth0"}) == "fe80::1%eth0"


@given(st.text(max_size=40))
def test_escaped_output_is_printable_ascii(s):
    out = escape_logitem(s)
    assert out.isascii() and out.isprintable()
    # every quote in the output is escaped
    assert '"' not in out.replace('\\"', "").replace("\\\\", "")


@given(st.binary(max_size=40))
def test_escape_roundtrips_bytes(b):
    out = escape_logitem(b.decode("latin-1"))
    back = out.encode("ascii").decode("unicode_escape").encode("latin-1")
    assert back == b


# --- parser ----------------------------------------------------------------

@pytest.mark.parametrize("bad,msg", [
    ("%Z", "Unrecognized LogFormat directive %Z"),
    ("%{x}", "Ran off end of LogFormat parsing args to some directive"),
    ("abc%", "Ran off end of LogFormat parsing args to some directive"),
    ("%{unterminated", "Ran off end of LogFormat parsing args to some directive"),
    ("%^", "Unrecognized LogFormat directive %^"),
    ("%^xy", "Unrecognized LogFormat directive %^"),
    ("%c", "Unrecognized LogFormat directive %c"),
])
def test_parse_errors_use_apaches_words(bad, msg):
    with pytest.raises(LogFormatError) as e:
        LogFormat(bad)
    assert str(e.value) == msg


def test_modifiers_in_any_order():
    assert fmt("%{Referer}!200i", status=404,
               headers_in={"referer": "R"}) == "R"
    assert fmt("%>404,500s", status=404, orig_status=302) == "404"


def test_items_end_with_newline_item():
    items = parse_format("%h")
    assert items[-1].handler is None and items[-1].arg == "\n"


def test_empty_format_is_just_newline():
    assert LogFormat("")(rec()) == "\n"


def test_compile_format_shares_compiled_objects():
    assert compile_format("%h %u") is compile_format("%h %u")


# --- nicknames -------------------------------------------------------------

def test_standard_format_strings():
    assert APACHE_FORMATS["combined"] == \
        '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
    assert APACHE_FORMATS["common"] == DEFAULT_LOG_FORMAT
    assert DEBIAN_FORMATS["combined"].replace("%O", "%b") == \
        APACHE_FORMATS["combined"]


def test_combined_line_for_a_fixed_record():
    r = rec(user="bob", headers_in=merge_headers(
        [("Referer", "http://ref/"), ("User-Agent", 'UA "1"')]))
    line = compile_format(APACHE_FORMATS["combined"])(r)
    clf = compile_format("%t")(r)[:-1]
    assert line == ('192.0.2.1 - bob %s "GET /p?q=1 HTTP/1.1" 200 15 '
                    '"http://ref/" "UA \\"1\\""\n' % clf)


def test_merge_headers_joins_repeats_like_apr_table_compress():
    assert merge_headers([("Accept", "a"), ("accept", "b"), ("X", "1")]) == \
        {"accept": "a, b", "x": "1"}


@pytest.mark.parametrize("args,want", [
    ((True, True, 1, 100), "X"), ((False, True, 1, 100), "+"),
    ((False, True, 100, 100), "-"), ((False, False, 1, 100), "-"),
    ((False, True, 500, 0), "+"),
])
def test_connection_status(args, want):
    assert connection_status(*args) == want


@pytest.mark.parametrize("line,want", [
    ("GET http://u:pw@h/x?q HTTP/1.1", "GET http://u:XXXXXXXX@h/x?q HTTP/1.1"),
    ("GET http://u:@h:80/ HTTP/1.1", "GET http://u:XXXXXXXX@h/ HTTP/1.1"),
    ("GET https://u:p@h:443/ HTTP/1.1", "GET https://u:XXXXXXXX@h/ HTTP/1.1"),
    ("GET http://u:p@h:8080/ HTTP/1.1", "GET http://u:XXXXXXXX@h:8080/ HTTP/1.1"),
    ("GET http://u:p@h/", "GET http://u:XXXXXXXX@h/"),            # HTTP/0.9
    ("GET http://u@h/ HTTP/1.1", "GET http://u@h/ HTTP/1.1"),     # no password
    ("GET /a@b:c HTTP/1.1", "GET /a@b:c HTTP/1.1"),
])
def test_request_line_password_is_masked(line, want):
    assert fmt("%r", request_line=line) == want


@given(st.text(alphabet="%{}<>!,0123456789^ahlutrsbBiIoOnCeLvVpPHmqXkDTUfRASFt \\\\\"", max_size=30))
def test_any_format_parses_or_fails_with_apache_error(f):
    try:
        lf = LogFormat(f)
    except LogFormatError as e:
        assert str(e).startswith(("Unrecognized LogFormat directive %",
                                  "Ran off end of LogFormat"))
        return
    out = lf(rec(end_time_us=None))
    assert out.endswith("\n")


# --- specialize: formats fixed for one answer, replayed ------------------------

SPECIAL_FORMATS = list(APACHE_FORMATS.values()) + list(DEBIAN_FORMATS.values()) + [
    '%a %{c}a %A %{remote}p %{local}p %p %P %{tid}P %k %X %D %T %{ms}T %{us}T %L %I %O %S %^FB',
    '%{begin:%d/%b/%Y %T}t %{end:sec}t %{msec_frac}t %{usec}t %t %{end}t',
    '%!200,304U %200{User-Agent}i %>s %s %f %v %V %H %m %q %u %l %{Set-Cookie}o %{Content-Type}o',
    '%{X}e %{n}n %{c}C %R %b %B',
]


@given(st.sampled_from(SPECIAL_FORMATS),
       st.sampled_from(["192.0.2.7", "2001:db8::5", "10.0.0.1"]),
       st.integers(1, 65535), st.integers(0, 4_000_000_000_000_000),
       st.integers(0, 10_000_000), st.integers(0, 1 << 40), st.integers(0, 1000),
       st.booleans())
def test_specialized_format_equals_the_general_one(f, ip, port, start, took, sent, keepalives,
                                                  keepalive):
    sample = rec(headers_in={"user-agent": "UA \"quoted\"", "cookie": "c=1"},
                 headers_out=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
                 env={"X": "ex"}, notes={"n": "note"}, filename="/srv/f", handler="h")
    lf = LogFormat(f)
    special = lf.specialize(sample)
    # a later request: same bytes and answer, other client, time, counters
    later = rec(headers_in=sample.headers_in, headers_out=sample.headers_out, env=sample.env,
                notes=sample.notes, filename="/srv/f", handler="h",
                remote_ip=ip, remote_port=port, request_time_us=start,
                end_time_us=start + took, bytes_sent=sent, keepalives=keepalives,
                keepalive=keepalive)
    assert special(later) == lf(later)


def test_specialized_format_folds_the_constant_items():
    lf = LogFormat('%h "%r" %>s %{User-Agent}i %b')
    special = lf.specialize(rec(headers_in={"user-agent": "ua"}))
    # the request line, status and header are now literal text: a record
    # with other values there still prints the sample's
    assert special(rec(request_line="POST /other HTTP/1.0", status=404, remote_ip="10.9.9.9")) \
        == '10.9.9.9 "GET /p?q=1 HTTP/1.1" 200 ua 15\n'


@pytest.mark.parametrize("fmt, reads", [
    ('%h %l %u %t "%r" %>s %b', False),
    ("%m %H %U%q %v %V %p %{remote}p %A %f %e %{X}e %n %{X}o", False),
    ('%h "%{User-Agent}i"', True),
    ("%{session}C", True),
    ("%{Digest}^ti", True),
])
def test_formats_that_read_request_headers(fmt, reads):
    assert compile_format(fmt).reads_request_headers is reads
