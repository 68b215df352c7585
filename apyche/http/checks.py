"""What Apache refuses in a parsed request head, before any handler runs.

Limits on fields (LimitRequestFields, LimitRequestFieldSize: 400), the
request-target forms, the protocol version, Host (400 without one in
HTTP/1.1, or with several), Transfer-Encoding and Content-Length (400 for
an unknown coding or a bad length, 413 past LimitRequestBody; CL with TE
closes the connection, so no body can be smuggled) and Expect (417).
"""

from __future__ import annotations

import functools
import re
import socket


from ..semantics.uri import split_authority
from .limits import ConnectionPolicy
from .request import Request
from .response import HttpError

NO_TOKENS: frozenset = frozenset()


# What ends a token for ap_find_token (T_HTTP_TOKEN_STOP): separators,
# controls, space - and octets >= 0x80 (Apache 2.4.71 takes "clos\xe3"
# for "close").
_TOKEN_STOP = re.compile(r'[\x00-\x20\x7f-\xff()<>@,;:\\"/\[\]?={}]+')


def connection_tokens(value: str | None) -> set[str]:
    """The Connection header's tokens, lower-cased, as ap_find_token finds
    them - which compares only as many characters as the header's token
    has, so any prefix of "close" or "keep-alive" ("c", "clo", "keep")
    counts as that token (asked of Apache 2.4.71): those are added."""
    if not value:
        return set()
    tokens = {t for t in _TOKEN_STOP.split(value.lower()) if t}
    for t in tuple(tokens):
        if "close".startswith(t):
            tokens.add("close")
        if "keep-alive".startswith(t):
            tokens.add("keep-alive")
    return tokens


# Apache's "error-notes" for a head over its limits, which its 400 page prints
FIELD_TOO_LONG = "Size of a request header field exceeds server limit."
TOO_MANY_FIELDS = "The number of request header fields exceeds this server's limit."


def check_request(request: Request, cycle, version: str, policy: ConnectionPolicy,
                  limit_fields: int) -> HttpError | None:
    """The checks Apache makes on a parsed head (``ap_read_request``,
    ``ap_check_request_header``), in its order; the first failure is the
    answer.  Also notes what the head says about the connection: the
    client's persistence intent (``request.keep_alive``), its Connection
    tokens and whether a CL+TE request must close it (``cycle``).  A field
    over LimitRequestFieldSize never gets here: the protocol refuses it as
    its line is read (HttpProtocol.on_header)."""
    known = policy.registered_methods   # a request-line check: first
    if known is not None and request.method not in known:
        return HttpError(501, f"Unrecognized HTTP method: '{request.method}' "
                              "(disallowed by RegisteredMethods)")
    hosts = 0
    clen = tenc = expect = conn = host = None
    raw = request._raw
    if len(raw) > limit_fields:
        return HttpError(400, TOO_MANY_FIELDS, shown=True)
    for name, value in raw:
        n = len(name)
        if n == 4:
            if name.lower() == b"host":
                hosts += 1
                host = value
        elif n == 10:
            if name.lower() == b"connection":
                conn = value if conn is None else conn + b", " + value
        elif n == 14:
            if name.lower() == b"content-length":
                clen = value
        elif n == 17:
            if name.lower() == b"transfer-encoding":
                tenc = value if tenc is None else tenc + b", " + value
        elif n == 6:
            if name.lower() == b"expect":
                expect = value
    old = version == "1.0" or version == "0.9"
    # persistence intent (the client side of ap_set_keepalive)
    if conn is None:
        request.keep_alive = not old
        cycle.conn_tokens = NO_TOKENS
    else:
        toks = connection_tokens(conn.decode("latin-1"))
        cycle.conn_tokens = toks
        request.keep_alive = "close" not in toks and (not old or "keep-alive" in toks)
    target = request.target
    if target[:1] == "/":
        if "#" in target:
            return HttpError(400, "URI must not contain a fragment")
    elif target == "*" and request.method == "OPTIONS":
        pass
    elif target[:5].lower() == "http:" or target[:6].lower() == "https:":
        err = absolute_form(request)
        if err is not None:
            return err
    elif (version == "0.9" and policy.allow09 and (request.method == "GET" or not policy.strict)
          and _scheme_form(target)):
        # apr_uri_parse took it, but not its scheme: Apache refuses that
        # only after it took the line as a simple request (the 0.9 page)
        return HttpError(400, "Invalid request-target", simple=True)
    else:
        return HttpError(400, "Invalid request-target")
    if old:
        if version == "0.9":
            if not policy.allow09:
                return HttpError(400, "Rejected HTTP/0.9 request")
            if policy.strict and request.method != "GET":
                return HttpError(400, "only GET is allowed for HTTP/0.9 requests")
    elif version[0] == "0":
        return HttpError(400, "Unrecognized protocol")
    if hosts != 1:
        if hosts > 1:
            if request.host_from_target is None:
                # apr_table_merge makes them one "a, b": not a hostname
                return HttpError(400, "multiple Host headers")
            # the target's host is r->hostname: no Host header is read
        elif not old and (request.host_from_target is None or version == "1.1"):
            return HttpError(400, "client sent HTTP/1.1 request without hostname")
    elif not host.strip() and not old and request.host_from_target is None:
        # "Host:" with no value leaves r->hostname unset: 400 for >= 1.1
        return HttpError(400, "client sent HTTP/1.1 request without hostname")
    hostname = request.host_from_target
    if hostname is None and host is not None:
        hostname = host.decode("latin-1").strip()
    if hostname and not host_is_valid(hostname, policy.strict):
        return HttpError(400, f"Client sent malformed Host header: {hostname}")
    if tenc is not None:
        # ap_is_chunked: "chunked" must be the final coding (Apache 2.4.71
        # takes "chunked, chunked" and two such headers, asked); anything
        # else is 400 (RFC 7230 3.3.3).  This check is ours, not llhttp's:
        # lenient_chunked_length (needed to accept CL+TE as Apache does)
        # also makes llhttp read a non-chunked request body up to EOF.
        if tenc.rsplit(b",", 1)[-1].strip().lower() != b"chunked":
            return HttpError(400, "client sent unknown Transfer-Encoding "
                                  f"({tenc.decode('latin-1')})")
        request.has_body = True
        if clen is not None:
            if policy.reject_te_with_cl:
                return HttpError(400, "Content-Length with Transfer-Encoding")
            cycle.force_close = True
            request.body_discarded = False   # AP_CONN_CLOSE already: never read
    elif clen is not None:
        try:
            length = int(clen)
        except ValueError:
            return HttpError(400, "invalid Content-Length")
        limit = policy.limit_request_body
        if limit and length > limit:
            return HttpError(413, "Requested content-length exceeds LimitRequestBody")
        request.has_body = length > 0
    if expect:
        if expect.lower() == b"100-continue":
            request.expect_100 = not old
        else:
            return HttpError(417, f"unrecognized expectation value {expect.decode('latin-1')}")
    return None

_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


# Cached: clients repeat their Host (measured 3.5-5.4 us a check, 0.1 us
# cached); 128 values of at most LimitRequestFieldSize bytes bound the cache.
@functools.lru_cache(maxsize=128)
def host_is_valid(value: str, strict: bool = True) -> bool:
    """Whether Apache takes *value* (a Host header, or the host of an
    absolute-form target) as the request's host name: ``fix_hostname`` in
    server/vhost.c, as a check.  A port must be 1-65535; an IPv6 literal
    must be a valid address in brackets, without a zone; a name may not
    hold "..", "/" or "\\".  With HttpProtocolOptions Strict, the default
    (``strict_hostname_check``), a name is letters, digits, "-", "_" and
    dots only, its last label does not start with a digit, a name of
    digits and dots is four plain numbers, and digits alone are refused."""
    if all(c in _DIGITS for c in value):
        return not strict           # digits alone: apr would take a port
    host = _host_part(value)
    if host is None:
        return False
    if host[0] == "[":
        return True                 # checked by _host_part
    if ".." in host or "/" in host or "\\" in host:
        return False
    if host[-1] == ".":
        host = host[:-1]            # "strip trailing gubbins"
    if not strict:
        return True
    return bool(host) and _strict_name(host)   # "" is not four numbers either


def _host_part(value: str) -> str | None:
    """apr_parse_addr_port: the host without its port, or None if either
    part is invalid."""
    i = len(value)
    while i and value[i - 1] in _DIGITS:
        i -= 1
    host = value
    if i < len(value) and value[i - 1] == ":":
        if i == 1 or not 1 <= int(value[i:]) <= 65535:
            return None
        host = value[:i - 1]
    if host[0] == "[":
        if host[-1] != "]" or "%" in host:      # a zone (scope id) is refused
            return None
        try:
            socket.inet_pton(socket.AF_INET6, host[1:-1])
        except (OSError, ValueError):
            return None
    return host


def _strict_name(host: str) -> bool:
    dotted, leading_zero, dots = True, False, 0
    for i, c in enumerate(host):
        if c in _LETTERS or c == "-" or c == "_":
            dotted = False
        elif c == ".":
            dots += 1
            if host[i + 1:i + 2] == "0" and host[i + 2:i + 3] in _DIGITS:
                leading_zero = True
        elif c not in _DIGITS:
            return False
    if dotted:
        if host[0] == "." or (host[0] == "0" and host[1:2] in _DIGITS):
            leading_zero = True
        return not leading_zero and dots == 3
    # the top-level label starts with a letter (RFC 1123 2.1)
    last = host.rfind(".")
    return last < 0 or last + 1 == len(host) or host[last + 1] in _LETTERS


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _scheme_form(target: str) -> bool:
    """A target apr_uri_parse splits into a scheme and a path that is
    empty or absolute (``ftp://a/x``, ``x:/y``, ``x:``)."""
    m = _SCHEME.match(target)
    if m is None:
        return False
    rest = target[m.end():]
    if rest[:2] == "//":
        return True     # an authority: what follows it is a path or nothing
    return rest[:1] in ("", "/", "?", "#")


def absolute_form(request: Request) -> HttpError | None:
    """An absolute-form target (``http://host/path``), as apr_uri_parse
    splits it: an authority only after "//" (its host stands in for Host,
    as ap_parse_uri makes it), then a path that is empty (meaning "/") or
    starts with "/".  ``http:/x``, ``http:?q`` and ``http:///x`` are
    served as Apache serves them; other schemes never get here (400)."""
    target = request.target
    scheme, _, rest = target.partition(":")
    authority = None
    if rest[:2] == "//":
        authority, rest = split_authority(rest[2:])
        if "@" in authority:
            return HttpError(400, "URI must not contain a username/password")
        if authority.endswith(":"):
            authority = authority[:-1]   # apr_uri_parse drops an empty port
    if "#" in rest:
        return HttpError(400, "URI must not contain a fragment")
    path, qmark, query = rest.partition("?")
    if path and path[0] != "/":
        return HttpError(400, "Invalid request-target")
    request.scheme = scheme.lower()
    request.host_from_target = authority or None
    request.path = path or "/"
    request.query = query if qmark else None
    return None