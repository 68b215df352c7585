"""Differential wire test: odd bytes on a socket, Debian's apache2 and apyche.

Each case is one connection: raw bytes, optionally the client's EOF
(``shutdown(SHUT_WR)``), then whatever the server sends until it closes.
The outcome compared is the list of status codes in the answer, or for an
answer without a status line (an HTTP/0.9 simple response) the body with
the port normalised, or "none" when the server closed without a byte.

The config is deliberately small - the bench harness's module set (event
MPM, mod_authz_core, mod_mime): no mod_dir and no mod_autoindex, so a
directory is the default handler's 404.  ``Timeout 2`` bounds every wait
on a silent server.

Covered: HTTP/0.9 simple requests (served without waiting for a blank
line, headers never read; HEAD and POST refused; "HTTP/0.9" spelt out is
not one), request lines judged only once complete (an unfinished bad line
cut off by EOF is silence; a long one is 414 even when it is bad),
LimitRequestLine's exact bound, blank lines before a request line, obs-fold,
EOF inside a header block or a body (400), the default handler's 501,
and lingering close (after an early answer the client may go on
uploading; the server drains and closes with a FIN, never an RST).  The cases come from ``tools/difffuzz.py``.

Skipped with the reason when apache2 or its modules are absent; both
servers are stopped by PID at the end.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.server.harness import (ServerFailed, ServerProcess, apache_missing,  # noqa: E402
                                  free_port, load_modules)

sys.path.insert(0, str(REPO / "tools"))
from difffuzz import ask  # noqa: E402  (one connection, its outcome)

WIRE_MODULES = ["mpm_event", "authz_core", "mime"]
PAGE = b"<p>page</p>\n" * 20

CONFIG = f"""\
ServerRoot @ROOT@
Listen 127.0.0.1:@PORT@
ServerName localhost
{load_modules(WIRE_MODULES)}@USER@
PidFile @ROOT@/logs/httpd-@PORT@.pid
DefaultRuntimeDir @ROOT@/logs
Mutex file:@ROOT@/logs default
ErrorLog @ROOT@/logs/error-@PORT@.log
LogLevel info
LogFormat "%h %l %u \\"%r\\" %>s %b" notime
CustomLog @ROOT@/logs/access-@PORT@.log notime
Timeout 2
KeepAlive On
TypesConfig /dev/null
AddType text/html .html
DocumentRoot @DOCROOT@
<Directory />
    Require all denied
</Directory>
<Directory @DOCROOT@>
    Require all granted
</Directory>
<Directory @DOCROOT@/denied>
    Require all denied
</Directory>
<Location /small>
    LimitRequestBody 100
</Location>
"""

LONG = b"A" * 9000
UPLOAD = b"x" * 200_000


def ask_lingering(port: int, data: bytes, _eof, wait: float) -> tuple:
    """The status codes of the answer to *data*, and how the connection
    ended once the client, having read that answer, went on uploading
    (five more 20 KB writes) and then closed its side: "eof" when the
    server drained the input it did not want (Apache's lingering close),
    "reset" when it closed with unread input and the kernel sent an RST -
    which can cost a client the answer itself."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        try:
            s.sendall(data)
            while b"\r\n\r\n" not in got:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            head, _, body = got.partition(b"\r\n\r\n")
            length = re.search(rb"\r\nContent-Length: (\d+)", head)
            while length and len(body) < int(length.group(1)):
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
            for _ in range(5):
                s.sendall(b"x" * 20_000)
                time.sleep(0.02)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
            ended = "eof"
        except (ConnectionResetError, BrokenPipeError):
            ended = "reset"
        except socket.timeout:
            ended = "timeout"
    codes = tuple(m.decode() for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", got))
    return (*codes, ended)
CASES = [
    # HTTP/0.9 simple requests: a body-only answer, no headers read
    ("simple", b"GET /page.html\r\n", False),
    ("simple-missing", b"GET /nope\r\n", False),
    ("simple-trailing-space", b"GET /page.html \r\n", False),
    ("simple-then-blank", b"GET /page.html\r\n\r\n", False),
    ("simple-headers-ignored", b"GET /page.html\r\nRange: bytes=0-3\r\n\r\n", False),
    ("simple-then-more", b"GET /page.html\r\nGET /page.html HTTP/1.1\r\n\r\n", False),
    ("simple-bad-escape", b"GET /%2Hx\r\n", False),
    ("simple-head", b"HEAD /page.html\r\n", False),
    ("simple-post", b"POST /page.html\r\n", False),
    ("simple-unknown-method", b"FOO /page.html\r\n", False),
    ("simple-relative", b"GET page.html\r\n", False),
    ("simple-raw-octet", b"GET /page.htm\xa7\r\n", False),
    ("raw-octet-not-a-path", b"GET \x9cpage.html HTTP/1.1\r\nHost: a\r\n", False),
    ("simple-bare-lf", b"GET /page.html\n", False),
    # another scheme: refused after the line was taken as a simple request
    # (the 400 page alone), unless its path is relative (a full 400)
    *[(f"simple-scheme-{i}", b"GET " + t + b"\r\n", False) for i, t in enumerate((
        b"ftp://a/page.html", b"x:/page.html", b"x:", b"Host: ", b"ftp:x", b"http://a/page.html",
        b"http://a:/page.html", b"http://Host: "))],
    # ... but only GET may be a simple request (Strict): a full 400 first
    *[(f"simple-scheme-method-{i}", line + b"\r\n", True) for i, line in enumerate((
        b"HEAD Host: ", b"G ETHTHost: ", b"OPTIO* Host: "))],
    ("simple-head-unfinished", b"HEAD /page.html\r\nHost: a\r\n", True),
    ("http09-spelt-out", b"GET /page.html HTTP/0.9\r\n\r\n", False),
    # a request line is judged once it is complete
    ("bad-method-unfinished", b"GE/x /y", True),
    ("bad-method-line", b"GE/x /y HTTP/1.1\r\n", True),
    ("bad-version-unfinished", b"GET /page.html HTTP/1.Q", True),
    ("bad-version-line", b"GET /page.html HTTP/1.Q\r\n", True),
    ("line-unfinished", b"GET /page.html HTTP/1.1", True),
    # LimitRequestLine (8190): the line and its CR fit in 8192 bytes
    ("long-unfinished", b"G" + LONG, True),
    ("long-unfinished-open", b"G" + LONG, False),
    ("long-unfinished-twice", b"G" + LONG * 2, False),
    ("long-line", b"G" + LONG + b"\r\n", True),
    ("long-bad-version", b"GET /page.html HTTP/1." + LONG + b"\r\n\r\n", True),
    ("long-target-unfinished", b"GET /" + LONG, True),
    ("long-method-token", b"G" + LONG + b" /page.html HTTP/1.1\r\n", True),
    ("limit-exact", b"GET /" + b"A" * 8176 + b" HTTP/1.1\r\nHost: a\r\n\r\n", False),
    ("limit-plus-one", b"GET /" + b"A" * 8177 + b" HTTP/1.1\r\nHost: a\r\n\r\n", False),
    ("limit-plus-two", b"GET /" + b"A" * 8178 + b" HTTP/1.1\r\nHost: a\r\n\r\n", False),
    # EOF inside a request
    ("eof-in-headers", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: y", True),
    ("eof-before-blank-line", b"GET /page.html HTTP/1.1\r\nHost: a\r\n", True),
    ("eof-in-second-head", b"GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n"
                           b"GET /page.html HTTP/1.1\r\nHost:", True),
    ("eof-in-body", b"POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel", True),
    ("eof-in-body-file", b"POST /page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel",
     True),
    ("eof-in-body-denied", b"POST /denied/f.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
                           b"hel", True),
    ("eof-in-body-unknown-method", b"D /page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
                                   b"hel", True),
    ("eof-in-body-options", b"OPTIONS /page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
                            b"hel", True),
    ("expect-denied", b"POST /denied/f.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                      b"Expect: 100-continue\r\n\r\n", True),
    ("expect-missing", b"POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                       b"Expect: 100-continue\r\n\r\n", True),
    ("eof-in-chunk", b"POST /nope HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhel", True),
    # without mod_dir and mod_autoindex
    ("dir-root", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", True),
    ("dir-no-slash", b"GET /sub HTTP/1.1\r\nHost: a\r\n\r\n", True),
    ("dir-absolute-no-path", b"GET http://a?x=1 HTTP/1.1\r\nHost: b\r\n\r\n", True),
    # absolute forms as apr_uri_parse splits them
    *[(f"absolute-{i}", b"GET " + t + b" HTTP/1.1\r\nHost: a\r\n\r\n", True) for i, t in enumerate((
        b"http:/page.html", b"http:", b"http:?x=1", b"http:///page.html", b"http:page.html",
        b"HTTP://a/page.html", b"http://a/page.htm\xb8", b"ftp://a/page.html", b"foo:/page.html",
        b"http://a:/page.html",
        b"a:b/page.html", b"http://u@a/page.html", b"http://a/page.html#f"))],
    # whitespace in a request line (Strict); the line logged is rebuilt
    # with single spaces, as ap_parse_request_line rebuilds r->the_request
    *[(f"whitespace-{i}", line + b"\r\nHost: a\r\n\r\n", False) for i, line in enumerate((
        b"GET  /page.html HTTP/1.1", b"GET /page.html  HTTP/1.1", b"GET /page.html HTTP/1.1 ",
        b"GET /page.html HTTP/1.1\t", b"\tGET /page.html HTTP/1.1", b"GET\r", b"GET /page.html\t",
        b"GET\x0b", b"GET /page.html HTTP/1.1 junk"))],
    # ... judged once the line ends, before any header (a partial head)
    *[(f"whitespace-partial-{i}", line + b"\r\n", False) for i, line in enumerate((
        b"GET  /page.html HTTP/1.1", b"OPTIONX  * HTTP/1.1", b"FOO  /page.html HTTP/1.1\r\nHost: a",
        b"GET /page.html HTTP/0.9"))],
    ("whitespace-in-header-value", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: a  b\r\n\r\n",
     False),
    ("whitespace-second-pipelined", b"GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n"
                                    b"GET  /page.html HTTP/1.1\r\nHost: a\r\n\r\n", False),
    # obs-fold: a header line continued on the next (Apache joins them)
    *[(f"obs-fold-{i}", b"GET /page.html HTTP/1.1\r\n" + head + b"\r\n", eof)
      for i, (head, eof) in enumerate((
          (b"Host: a\r\nX: a\r\n b\r\n", False), (b"Host: a\r\nExpect: a\r\n 100-continue\r\n", False),
          (b" Host: a\r\n", False), (b"Host: a\r\nX: a\r\n\tb\r\n c\r\n", False),
          (b"Host:\r\n a\r\n", False), (b"Host: a\r\nX: a\x01b\r\n c\r\n", False),
          (b"Host: a\r\nX: a\r\n \r\n", False), (b"Host: a\r\nX: a\r\n b", True)))],
    # a bad field is refused once the line after it is whole
    *[(f"bad-field-{i}", b"GET /page.html HTTP/1.1\r\nHost: a\r\n" + rest, eof)
      for i, (rest, eof) in enumerate((
          (b"NoColon\r\n", False), (b"NoColon\r\nY: z\r\n", False), (b"NoColon\r\n", True),
          (b"X: a\x01b\r\n", False), (b"X: a\x01b\r\nY: c\r\n", False),
          (b"Expect\x8e 100-continue\r\nAccept: text/*;q=", False),
          (b"Expect\x8e 100-con", True)))],
    # EOF in a head whose last line holds the target's last bytes: the line had ended
    *[(f"eof-head-target-again-{i}", data, True) for i, data in enumerate((
        b"GET / HTTP/1.1\r\nHost: a\r\nAccept: text/", b"GET /page.html HTTP/1.1\r\nHost: /page.html",
        b"GET /p\x81ge.html HTTP/1.1\r\nHost: a\r\nX:/"))],
    ("bad-field-over-limit", b"GET /page.html HTTP/1.1\r\nHost: a\r\n" + b"A" * 8192 + b"\r\n", False),
    ("bad-field-fold-after-head", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: a\x19b\r\n\r\n /", False),
    ("bad-field-bare-lf", b"GET /page.html HTTP/1.1\r\nHost: a\r\nRange\x00: bytes=0-1\n", False),
    ("field-bare-lf", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: y\n", False),
    ("obs-fold-pipelined", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"
                           b"GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n", False),
    ("obs-fold-content-length", b"POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 3\r\n\r\n"
                                b"abc", False),
    # the request line is judged before any header: folds after it wait
    ("fold-after-simple-request", b"GET /page.html\r\nX: a\r\n b\r\n", False),
    ("fold-after-bad-line", b"GET  /page.html HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n", False),
    # a line the line reader refuses whole is refused at once, without
    # the next line: one over LimitRequestFieldSize + 1 bytes, one with a NUL
    ("field-at-limit", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 8188 + b"\r\n\r\n",
     True),
    ("field-over-limit", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 8189 + b"\r\n\r\n",
     True),
    ("field-over-limit-line-end", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 9000
     + b"\r\n", False),
    ("field-over-limit-then-partial", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 9000
     + b"\r\nY", False),
    ("field-over-limit-folded", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 8000
     + b"\r\n " + b"b" * 1000 + b"\r\n\r\n", True),
    ("fields-over-limit", b"GET /page.html HTTP/1.1\r\nHost: a\r\n"
     + b"".join(b"X%d: y\r\n" % i for i in range(101)) + b"\r\n", True),
    ("field-nul-then-partial", b"GET /page.html HTTP/1.1\r\nHost: a\r\nC\x00onnection: close\r\n\r",
     False),
    # an absolute target's host is r->hostname: Host headers are not read
    ("host-twice-absolute", b"GET http://a/page.html HTTP/1.1\r\nHost: b\r\nHost: c\r\n\r\n",
     True),
    ("host-twice-absolute-empty", b"GET http://a/page.html HTTP/1.1\r\nHost: b\r\nHost: \r\n\r\n",
     True),
    ("host-twice", b"GET /page.html HTTP/1.1\r\nHost: b\r\nHost: c\r\n\r\n", True),
    # "*" is OPTIONS's alone: refused before any header is read
    ("star-get-unfinished-head", b"GET * HTTP/1.1\r\nHost: a", False),
    ("star-unknown-method-line", b"OPTS * HTTP/1.1\r\n", False),
    ("star-get", b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", False),
    # Transfer-Encoding: the final coding decides (ap_is_chunked)
    *[(f"te-{i}", b"POST /nope HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + te +
       b"\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /page.html HTTP/1.1\r\nHost: a\r\n\r\n", False)
      for i, te in enumerate((b"chunked, chunked", b"chunked\r\nTransfer-Encoding: chunked",
                              b"chunked, gzip, chunked", b"chunked, gzip", b"gzip",
                              b"chunked\r\nTransfer-Encoding: gzip", b"gzip, chunked"))],
    # Connection tokens as ap_find_token matches them: a prefix counts
    *[(f"connection-{i}", b"GET /page.html HTTP/" + version + b"\r\nHost: a\r\nConnection: " + v +
       b"\r\n\r\nGET /page.html HTTP/1.1\r\nHost: a\r\n\r\n", False)
      for i, (version, v) in enumerate((
          (b"1.1", b"clo"), (b"1.1", b"c"), (b"1.1", b"clos\xe3"), (b"1.1", b"closed"),
          (b"1.1", b"x, clo"), (b"1.0", b"keep"), (b"1.0", b"k"), (b"1.0", b"keep-al"),
          (b"1.0", b"kept")))],
    # blanks after a chunk size are taken; a chunk extension with them is not (yet)
    *[(f"chunk-size-blanks-{i}", b"POST /nope HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       + line + b"\r\nhello\r\n0\r\n\r\nGET /page.html HTTP/1.1\r\nHost: a\r\n\r\n", False)
      for i, line in enumerate((b"5 ", b"5\t", b"5  ;a=b", b" 5", b"5 x"))],
    # 100 Continue when the handler phase reads the body, even one that
    # came whole with the head; none when an answer comes before it
    *[(f"expect-100-body-sent-{i}", line + b"\r\nHost: a\r\nContent-Length: 3\r\n"
       b"Expect: 100-continue\r\n\r\nabcGET /page.html HTTP/1.1\r\nHost: a\r\n\r\n", False)
      for i, line in enumerate((b"POST /nope HTTP/1.1", b"POST /page.html HTTP/1.1",
                                b"PUT /page.html HTTP/1.1", b"FOO /page.html HTTP/1.1",
                                b"POST /denied/f.html HTTP/1.1"))],
    # an unknown expectation: 417 once the body is read and thrown away
    # (ap_die discards it first); a fault or an end in it makes a 400
    *[(f"expect-unknown-body-{i}", b"POST /page.html HTTP/1.1\r\nHost: a\r\nExpect: 100-cnue\r\n"
       + rest, eof) for i, (rest, eof) in enumerate((
           (b"Content-Length: 5\r\n\r\nhello", False), (b"Content-Length: 5\r\n\r\nhe", True),
           (b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", False),
           (b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", False),
           (b"Transfer-Encoding: chunked\r\n\r\n5\r\nhe", True),
           (b"Content-Length: 5\r\n\r\nhelloGET /page.html HTTP/1.1\r\nHost: a\r\n\r\n", False)))],
    # a bad Content-Length is judged once the head is whole (ap_read_request),
    # not when its line is read: silence while the head is unfinished
    *[(f"content-length-bad-{i}-{end}", b"POST /page.html HTTP/1.1\r\nHost: a\r\n" + field
       + b"\r\nX: y\r\n" + tail, eof)
      for i, field in enumerate((b"Content-Length: 99999999999999999999",
                                 b"Content-Length: 1x",
                                 b"Content-Length: 1\r\nContent-Length: 2"))
      for end, tail, eof in (("open", b"Expect: 100-con", False), ("eof", b"Expect: 1", True),
                             ("whole", b"\r\n", False))],
    # a fold, then a line the line reader refuses whole (bare LF, NUL)
    *[(f"fold-then-refused-line-{i}", b"GET /page.html HTTP/1.1\r\nHost: a\r\nX: a\r\n" + tail,
       False) for i, tail in enumerate((b" b\nY: c\r\n", b" b\r\nY: \0c\r\n", b" b\n\r\n"))],
    # a simple request reads no header: a field line over the limit after it
    *[(f"simple-request-long-field-{i}", b"GET /page.html\r\nX: " + b"a" * 9000 + tail, eof)
      for i, (tail, eof) in enumerate(((b"\r\n\r\n", False), (b"", False), (b"", True)))],
    # a chunk size beyond an off_t: 413
    ("chunk-size-overflow", b"POST /nope HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"10000000000000000\r\n", False),
    # blank lines before a request line
    *[(f"blank-lines-{name}", lead + b"GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n", False)
      for name, lead in (("crlf", b"\r\n"), ("ten", b"\r\n" * 10), ("eleven", b"\r\n" * 11),
                         ("bare-lf", b"\n"), ("crlf-lf", b"\r\n\n"), ("cr-cr", b"\r\r\n"))],
    ("blank-lines-only", b"\r\n\r\n", True),
    ("blank-cr-unfinished", b"\rE", False),
    ("blank-cr-unfinished-eof", b"\rE", True),
    ("blank-cr-line", b"\rE\r\n", False),
    ("line-unfinished-open", b"GET /page.html HTTP/1.1", False),
    ("line-unfinished-open-second", b"GET /page.html HTTP/1.1\r\nHost: a\r\n\r\nGET /page.html", False),
    ("blank-lines-pipelined", b"GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n\n\r\n\n"
                              b"GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n", True),
    # the server's pong
    ("options-star", b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", True),
    # the default handler
    ("unknown-method-missing", b"D /nope HTTP/1.1\r\nHost: a\r\n\r\n", True),
    ("unknown-method-file", b"D /page.html HTTP/1.1\r\nHost: a\r\n\r\n", True),
    ("put-missing", b"PUT /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", True),
    # lingering close: an answer given while the request's body is still
    # coming; the client goes on uploading, then closes (ask_lingering)
    ("linger-after-413", b"POST /small/page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000"
                         b"\r\n\r\n" + UPLOAD, "linger"),
    ("linger-after-400", b"GET /page.html HTTP/1.1\r\nHost: a\r\nBad Field: x\r\n\r\n" + UPLOAD,
     "linger"),
    ("linger-after-413-chunk", b"POST /nope HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
                               b"\r\n\r\n10000000000000000\r\n" + UPLOAD, "linger"),
]

# Known apyche mismatches: id -> what differs.
XFAIL = {
}


class Pair:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="apyche-wirediff-"))
        self.servers: dict[str, ServerProcess] = {}
        self.answers: dict[str, dict] = {}

    def start(self) -> None:
        docroot = self.root / "htdocs"
        (docroot / "sub").mkdir(parents=True)
        (docroot / "page.html").write_bytes(PAGE)
        (docroot / "sub" / "f.html").write_bytes(PAGE)
        (docroot / "denied").mkdir()
        (docroot / "denied" / "f.html").write_bytes(PAGE)
        (self.root / "logs").mkdir()
        for p in [self.root, *self.root.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
        for kind in ("apache", "apyche"):
            port = free_port()
            text = (CONFIG.replace("@PORT@", str(port)).replace("@DOCROOT@", str(docroot))
                    .replace("@ROOT@", str(self.root)).replace("@USER@", user))
            conf = self.root / f"{kind}.conf"
            conf.write_text(text)
            self.servers[kind] = ServerProcess(conf, self.root, port, kind).start()

    def ask_all(self) -> None:
        """Every case, on both servers, several connections at a time."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            for kind, server in self.servers.items():
                futures = {cid: pool.submit(ask_lingering if eof == "linger" else ask,
                                            server.port, data, eof, 6.0)
                           for cid, data, eof in CASES}
                self.answers[kind] = {cid: f.result() for cid, f in futures.items()}

    def access_log(self, kind: str) -> list[str]:
        port = self.servers[kind].port
        path = self.root / "logs" / f"access-{port}.log"
        return sorted(path.read_text(errors="replace").splitlines()) if path.exists() else []

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def pair():
    missing = apache_missing(f"mod_{m}.so" for m in WIRE_MODULES)
    if missing:
        pytest.skip(missing)
    p = Pair()
    try:
        try:
            p.start()
        except ServerFailed as exc:
            pytest.skip(f"a server could not start on the wire config: {exc}")
        p.ask_all()
        yield p
    finally:
        p.stop()


def _params():
    out = []
    for cid, data, eof in CASES:
        marks = [pytest.mark.xfail(strict=True, reason="apyche: " + XFAIL[cid])] \
            if cid in XFAIL else []
        out.append(pytest.param(cid, id=cid, marks=marks))
    return out


@pytest.mark.parametrize("cid", _params())
def test_same_answer(pair, cid):
    apache, apyche = pair.answers["apache"][cid], pair.answers["apyche"][cid]
    assert apyche == apache, f"{cid}: apache {apache[:2]!r}, apyche {apyche[:2]!r}"


# Log lines left out of the comparison: request line -> why.
LOG_SKIP = {
    '"POST /denied/f.html HTTP/1.1"': "Apache's %b also counts the 403 page it made before "
                                      "the body failed (624 = 239 + 385 bytes sent)",
}


def test_same_access_log(pair):
    """Every case's access-log line (request line as sent, status, size),
    compared as a whole: the cases ran concurrently, so sorted."""
    from tests.server.harness import wait_for

    def lines(kind):
        return [line for line in pair.access_log(kind)
                if not any(skip in line for skip in LOG_SKIP)]
    apache = wait_for(lambda: lines("apache"), timeout=5.0)
    apyche = wait_for(lambda: len(lines("apyche")) >= len(apache) and lines("apyche"),
                      timeout=5.0) or lines("apyche")
    missing = [line for line in apache if line not in apyche]
    extra = [line for line in apyche if line not in apache]
    assert (missing, extra) == ([], []), f"apache only: {missing}\napyche only: {extra}"
