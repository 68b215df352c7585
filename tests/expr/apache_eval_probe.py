"""Evaluate expressions in a running apache2 and in apyche (developer aid).

    python tests/expr/apache_eval_probe.py            # run the built-in CASES
    python tests/expr/apache_eval_probe.py --record tests/expr/apache_eval_cases.json

Starts the installed apache2 on a local port with one mod_headers directive
per case (string expressions as ``Header set X "expr=..."``; boolean ones as
two conditional headers, "1" if the expression holds and "0" merged in if its
negation does; mod_headers applies a header whose condition fails to evaluate,
so an evaluation error shows as "1, 0"), makes one request, and compares each
header with what apyche.expr computes for the same request.  The request's
facts are in REQUEST below; tests/expr/test_expr_eval.py keeps the results
(the "verified against apache2" tables).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from apache_probe import APACHE, MODDIR, _quote  # noqa: E402

from apyche.expr import SimpleContext, parse_expr, parse_string_expr  # noqa: E402

REQUEST = {
    "path": "/dir/x.html",
    "query": "a=1&b=%20c",
    "headers": {"X-Test": "Hello World", "User-Agent": "UA/1.0",
                "X-Num": " 42abc", "X-Empty": ""},
}


def context(root: str, port: int) -> SimpleContext:
    return SimpleContext(
        method="GET", uri=REQUEST["path"], filename=root + "/htdocs" + REQUEST["path"],
        query=REQUEST["query"], protocol="HTTP/1.1",
        the_request=f"GET {REQUEST['path']}?{REQUEST['query']} HTTP/1.1",
        status=200, remote_ip="127.0.0.1",
        request_headers={"Host": f"127.0.0.1:{port}", "Accept-Encoding": "identity",
                         "Connection": "close", **REQUEST["headers"]},
        env={"FOO": "bar"},
        vars={"SERVER_NAME": "127.0.0.1",   # ap_get_server_name_for_url: Host "SERVER_PORT": str(port),
              "DOCUMENT_ROOT": root + "/htdocs"},
    )


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _request(port: int) -> dict[str, str]:
    """One raw HTTP/1.1 request (http.client refuses > 100 headers)."""
    lines = [f"GET {REQUEST['path']}?{REQUEST['query']} HTTP/1.1",
             f"Host: 127.0.0.1:{port}", "Accept-Encoding: identity",
             "Connection: close"]
    lines += [f"{k}: {v}" for k, v in REQUEST["headers"].items()]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    # apyche.expr text is UTF-8 (surrogateescape) - see functions.to_text
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape").split("\r\n")
    return {k: v.strip() for k, _, v in (h.partition(":") for h in head[1:])}


def run(cases: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """[(mode, expr, apache result, apyche result)]."""
    root = tempfile.mkdtemp(prefix="aeval")
    os.makedirs(root + "/htdocs/dir")
    with open(root + "/htdocs/dir/x.html", "w") as f:
        f.write("hello\n")
    with open(root + "/small.txt", "w") as f:
        f.write("abc\ndef\n")
    port = _free_port()
    lines = [f"LoadModule mpm_event_module {MODDIR}/mod_mpm_event.so",
             f"LoadModule headers_module {MODDIR}/mod_headers.so",
             f"LoadModule authz_core_module {MODDIR}/mod_authz_core.so",
             f"LoadModule env_module {MODDIR}/mod_env.so",
             "SetEnv FOO bar",
             f"Listen 127.0.0.1:{port}", "ServerName localhost",
             f"ErrorLog {root}/error.log", f"PidFile {root}/httpd.pid",
             f"DocumentRoot {root}/htdocs", "LogLevel warn"]
    for i, (mode, expr) in enumerate(cases):
        expr = expr.replace("@ROOT@", root)
        if mode == "string":
            lines.append(f"Header always set X-S{i} {_quote('expr=' + expr)}")
        else:
            lines.append(f"Header always set X-B{i} 1 {_quote('expr=' + expr)}")
            lines.append(f"Header always merge X-B{i} 0 {_quote('expr=!(' + expr + ')')}")
    conf = root + "/httpd.conf"
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = subprocess.run([APACHE, "-f", conf, "-d", root, "-k", "start"],
                       capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(p.stderr)
    try:
        for _ in range(50):
            try:
                got = _request(port)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("apache2 did not answer")
    finally:
        subprocess.run([APACHE, "-f", conf, "-d", root, "-k", "stop"],
                       capture_output=True)
    ctx = context(root, port)
    out = []
    for i, (mode, expr) in enumerate(cases):
        expr = expr.replace("@ROOT@", root)
        if mode == "string":
            theirs = got.get(f"X-S{i}")
            ours = parse_string_expr(expr).evaluate_string(ctx)
        else:
            v = got.get(f"X-B{i}")
            # mod_headers applies a header whose condition fails to evaluate
            theirs = {"1": "true", "0": "false", "1, 0": "error"}.get(v, repr(v))
            x = parse_expr(expr)
            r = x.exec(ctx)
            ours = {1: "true", 0: "false", -1: "error"}[r]
        out.append((mode, expr.replace(root, "@ROOT@"), theirs,
                    ours if ours is None else ours.replace(root, "@ROOT@")))
        if theirs is not None:
            out[-1] = (mode, out[-1][1], theirs.replace(root, "@ROOT@"), out[-1][3])
    shutil.rmtree(root, ignore_errors=True)
    return out


CASES = [
    ("string", "%{REQUEST_METHOD} %{REQUEST_URI} %{QUERY_STRING}"),
    ("string", "%{REQUEST_FILENAME}|%{SCRIPT_FILENAME}|%{DOCUMENT_ROOT}"),
    ("string", "%{SERVER_PROTOCOL}|%{REQUEST_SCHEME}|%{HTTPS}|%{IPV6}|%{IS_SUBREQ}"),
    ("string", "%{REMOTE_ADDR}|%{CONN_REMOTE_ADDR}|%{SERVER_NAME}|%{REQUEST_STATUS}"),
    ("string", "%{THE_REQUEST}"),
    ("string", "%{HTTP_USER_AGENT}|%{HTTP:X-Test}|%{req:x-test}|%{http:X-TEST}"),
    ("string", "[%{HTTP:X-Missing}][%{HTTP_REFERER}][%{HTTP:X-Empty}]"),
    ("string", "%{tolower:%{HTTP:X-Test}}|%{toupper:%{HTTP:X-Test}}"),
    ("string", "%{escape:a b/c?d#e%f&g=h~:@!$*()+,;<>^`{|[]\\\\}"),
    ("string", "%{escape:caf\u00e9}"),
    ("string", "%{unescape:a%20b%2fc%2Fd%41}"),
    ("string", "[%{unescape:bad%zzescape}][%{unescape:nul%00here}][%{unescape:pct%}]"),
    ("string", "%{base64:hello world}|%{base64:a}|%{base64:ab}"),
    ("string", "[%{unbase64:aGVsbG8gd29ybGQ=}][%{unbase64:aGVsbG8}][%{unbase64:aGV*sbG8}][%{unbase64:YQ}]"),
    ("string", "%{md5:foo}|%{sha1:foo}"),
    ("string", "%{ldap:a*b(c)d\\\\e,f=g+h<i>j;k#m n}"),
    ("string", "[%{filesize:@ROOT@/small.txt}][%{filesize:@ROOT@/nope}][%{filesize:@ROOT@/htdocs}]"),
    ("string", "[%{md5:%{file:@ROOT@/small.txt}}]"),
    ("string", "a'b\"c\\tq\\101\\x"),
    ("string", "$0|$1|%{REQUEST_URI}"),
    ("string", "%{TIME_YEAR}"),
    ("string", "%{API_VERSION}"),
    ("bool", "%{REQUEST_URI} =~ m#^/dir/(\\w+)\\.(html)$# && $1 == 'x' && $2 == 'html' && $0 == '/dir/x.html'"),
    ("bool", "%{REQUEST_URI} =~ /dir/ && $0 == ''"),
    ("bool", "%{REQUEST_URI} =~ /(d)ir/ && %{REQUEST_URI} =~ /nomatch/ && $1 == 'd'"),
    ("bool", "%{REQUEST_URI} =~ /(d)ir/ && !(%{REQUEST_URI} =~ /(n)omatch/) && $1 == ''"),
    ("bool", "%{REQUEST_URI} =~ /(d)ir/ && %{REQUEST_URI} =~ /(x)?dir/ && $1 == ''"),
    ("bool", "%{HTTP:X-Test} =~ /hello/i"),
    ("bool", "%{HTTP:X-Test} =~ /hello/"),
    ("bool", "'a\\nb' =~ /a.b/"),
    ("bool", "'ab\\n' =~ /ab$/"),
    ("bool", "'10' -lt 9"),
    ("bool", "'10' < 9"),
    ("bool", "%{HTTP:X-Num} -eq 42"),
    ("bool", "'abc' -eq 0"),
    ("bool", "'99999999999999999999' -eq '9223372036854775807'"),
    ("bool", "'-99999999999999999999' -eq '-9223372036854775808'"),
    ("bool", "'+5' -eq 5"),
    ("bool", "' \\t7' -eq 7"),
    ("bool", "-1 lt 0"),
    ("bool", "'b' > 'a' && 'B' < 'a' && 'ab' > 'a' && '' < 'a'"),
    ("bool", "-T ''"), ("bool", "-T '0'"), ("bool", "-T '00'"), ("bool", "-T 'OFF'"),
    ("bool", "-T 'No'"), ("bool", "-T 'false'"), ("bool", "-T 'falsey'"), ("bool", "-T 'x'"),
    ("bool", "-n ''"), ("bool", "-z ''"), ("bool", "-n %{HTTP:X-Empty}"),
    ("bool", "-f '@ROOT@/small.txt'"), ("bool", "-d '@ROOT@/htdocs'"),
    ("bool", "-e '@ROOT@/nope'"), ("bool", "-s '@ROOT@/small.txt'"),
    ("bool", "-x '@ROOT@/small.txt'"), ("bool", "-L '@ROOT@/small.txt'"),
    ("bool", "-R '127.0.0.0/8'"), ("bool", "-R '127.0.0.1'"), ("bool", "-R '10.0.0.0/8'"),
    ("bool", "-R '127'"), ("bool", "-R '127.0.0.0/255.0.0.0'"), ("bool", "-R '::1'"),
    ("bool", "%{REMOTE_ADDR} -ipmatch '127.0.0.0/8'"),
    ("bool", "'::ffff:10.1.2.3' -ipmatch '10.0.0.0/8'"),
    ("bool", "'fe80::1' -ipmatch 'fe80::/10'"),
    ("bool", "'10.1.2.3' -ipmatch '10.1'"),
    ("bool", "'nonsense' -ipmatch '10.1'"),
    ("bool", "'foo/bar.gif' -strmatch '*.gif'"),
    ("bool", "'foo/bar.gif' -fnmatch '*.gif'"),
    ("bool", "'foo/bar.gif' -fnmatch '*/*.gif'"),
    ("bool", "'FOO.GIF' -strcmatch '*.gif'"),
    ("bool", "'FOO.GIF' -strmatch '*.gif'"),
    ("bool", "'a]' -strmatch '[]]a'"),
    ("bool", "'b' -strmatch '[!a]'"),
    ("bool", "'x[' -strmatch 'x['"),
    ("bool", "'a*' -strmatch 'a\\*'"),
    ("bool", "'.hidden' -fnmatch '*hidden'"),
    ("bool", "'b' -strmatch '[a-c]'"),
    ("bool", "'/' -strmatch '?'"),
    ("bool", "'/' -fnmatch '?'"),
    ("bool", "'/' -fnmatch '[/]'"),
    ("bool", "'x' -in {'a', 'x'}"),
    ("bool", "'x' -in {'a'}"),
    ("bool", "%{HTTP:X-Test} in {'Hello World', 'b'}"),
    ("bool", "'1' . '2' == 12"),
    ("bool", "tolower('ÄB') == 'Äb'"),
    ("bool", "file('@ROOT@/nope') == ''"),
    ("bool", "file('@ROOT@/nope') == '' || true"),
    ("bool", "md5('foo') == 'acbd18db4cc2f85cedef654fccc4a4d8'"),
    ("bool", "%{TIME_HOUR} -ge 0 && %{TIME_HOUR} -lt 24"),
    ("bool", "%{HTTP_HOST} =~ /^127/"),
    ("bool", "'$1' == '' && \"x$1y\" == 'xy'"),
    ("bool", "toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper('a')))))))))))))))))) == 'A'"),
    ("bool", "toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper('a'))))))))))))))))))) == 'A'"),
    ("bool", "toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper(toupper('a')))))))))))))))))))) == 'A'"),
    ("bool", "false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || (false || true))))))))))))))))))))"),
    ("bool", "true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && (true && 'a' == 'a'))))))))))))))))))))"),
    ("string", "[%{reqenv:FOO}][%{env:FOO}][%{ENV:FOO}][%{note:FOO}][%{reqenv:NOPE}]"),
    ("string", "[%{unbase64:AGE=}][%{unbase64:YQBi}][%{unbase64:=YQ==}]"),
    ("string", "[%{toupper:caf\u00e9}][%{escape:%{HTTP:X-Test}}]"),
    ("bool", "'127.1' -ipmatch '127.0.0.0/8'"),
    ("bool", "'0x7f.1' -ipmatch '127.0.0.1'"),
    ("bool", "'127.0.0.1' -ipmatch '127.0.0.'"),
    ("bool", "'127.0.0.1' -ipmatch '01.2.3.4'"),
    ("bool", "'1.2.3.4' -ipmatch '1.2.3.4/255.255.0.0'"),
    ("bool", "'1.2.9.9' -ipmatch '1.2.3.4/255.255.0.0'"),
    ("bool", "'::1' -ipmatch '::1/128'"),
    ("bool", "'::2' -ipmatch '::1/127'"),
    ("bool", "'' -ipmatch '10.0.0.0/8'"),
    ("bool", "-R '127.0.0.'"),
    ("bool", "'x' -in {'a', 'x', file('@ROOT@/nope')}"),
    ("bool", "'a' -in {'a', 'x', file('@ROOT@/nope')}"),
    ("bool", "'10' -eq ' 10 '"),
    ("bool", "'0x10' -eq 16"),
    ("bool", "'' -eq 0"),
    ("bool", "'a' . '' == 'a'"),
    ("bool", "%{REQUEST_URI} =~ /(x)(y)?/ && $2 == '' && $1 == 'x'"),
    ("bool", "%{REQUEST_URI} =~ /(((((((((((x)))))))))))/ && $9 == 'x' && $0 == 'x'"),
    ("bool", "'' =~ /()/ && $0 == '' && $1 == ''"),
    ("bool", "((((((((((((((((((((((true && 'a' == 'a') || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false) || false)"),
]


if __name__ == "__main__":
    import json
    bad = 0
    results = run(CASES)
    if sys.argv[1:2] == ["--record"]:
        with open(sys.argv[2], "w") as f:
            json.dump([[m, e, t] for m, e, t, _ in results], f, indent=0,
                      ensure_ascii=False)
    for mode, expr, theirs, ours in results:
        flag = "  " if theirs == ours else "!!"
        bad += theirs != ours
        print(f"{flag} {mode:6} {expr!r}\n       apache={theirs!r}\n       apyche={ours!r}")
    print(f"{len(CASES)} cases, {bad} differ")
