"""What Apache refuses in a parsed request head, before any handler runs.

Limits on fields (LimitRequestFields, LimitRequestFieldSize: 400), the
request-target forms, the protocol version, Host (400 without one in
HTTP/1.1, or with several), Transfer-Encoding and Content-Length (400 for
an unknown coding or a bad length, 413 past LimitRequestBody; CL with TE
closes the connection, so no body can be smuggled) and Expect (417).
"""

from __future__ import annotations

import httptools

from .limits import ConnectionPolicy
from .request import Request
from .response import HttpError

NO_TOKENS: frozenset = frozenset()


def connection_tokens(value: str | None) -> set[str]:
    """The Connection header's tokens, lower-cased."""
    if not value:
        return set()
    return {t.strip().lower() for t in value.split(",")}


def check_request(request: Request, cycle, version: str, policy: ConnectionPolicy,
                  limit_field: int, limit_fields: int) -> HttpError | None:
    """The checks Apache makes on a parsed head (``ap_read_request``,
    ``ap_check_request_header``), in its order; the first failure is the
    answer.  Also notes what the head says about the connection: the
    client's persistence intent (``request.keep_alive``), its Connection
    tokens and whether a CL+TE request must close it (``cycle``)."""
    hosts = 0
    clen = tenc = expect = conn = host = None
    raw = request._raw
    if len(raw) > limit_fields:
        return HttpError(400, "The number of request header fields exceeds this server's limit.")
    for name, value in raw:
        n = len(name)
        if n + len(value) > limit_field:
            return HttpError(400, "Size of a request header field exceeds server limit.")
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
    elif "://" in target:
        err = _absolute_form(request)
        if err is not None:
            return err
    else:
        return HttpError(400, "Invalid request-target")
    if old:
        if version == "0.9":
            if request.method != "GET":
                return HttpError(400, "only GET is allowed for HTTP/0.9 requests")
    elif version[0] == "0":
        return HttpError(400, "Unrecognized protocol")
    if hosts != 1:
        if hosts > 1:
            return HttpError(400, "multiple Host headers")
        if not old and (request.host_from_target is None or version == "1.1"):
            return HttpError(400, "client sent HTTP/1.1 request without hostname")
    elif not host.strip() and not old and request.host_from_target is None:
        # "Host:" with no value leaves r->hostname unset: 400 for >= 1.1
        return HttpError(400, "client sent HTTP/1.1 request without hostname")
    if tenc is not None:
        # ap_is_chunked: "chunked" must be the final coding and appear
        # once; anything else is 400 (RFC 7230 3.3.3).  This check is
        # ours, not llhttp's: lenient_chunked_length (needed to accept
        # CL+TE as Apache does) also makes llhttp read a non-chunked
        # request body up to EOF.
        codings = [t.strip().lower() for t in tenc.split(b",")]
        if codings[-1] != b"chunked" or codings.count(b"chunked") != 1:
            return HttpError(400, "client sent unknown Transfer-Encoding "
                                  f"({tenc.decode('latin-1')})")
        request.has_body = True
        if clen is not None:
            if policy.reject_te_with_cl:
                return HttpError(400, "Content-Length with Transfer-Encoding")
            cycle.force_close = True
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

def _absolute_form(request: Request) -> HttpError | None:
    """An absolute-form target (``http://host/path``): its host stands in
    for Host, as ap_parse_uri makes it."""
    try:
        url = httptools.parse_url(request.target.encode("latin-1"))
    except httptools.HttpParserInvalidURLError:
        return HttpError(400, "Invalid URI")
    scheme = (url.schema or b"").decode("latin-1").lower()
    if scheme not in ("http", "https"):
        return HttpError(400, "unsupported scheme")
    if url.userinfo:
        return HttpError(400, "URI must not contain a username/password")
    if url.fragment is not None:
        return HttpError(400, "URI must not contain a fragment")
    request.scheme = scheme
    host = (url.host or b"").decode("latin-1")
    if url.port:
        host = f"{host}:{url.port}"
    request.host_from_target = host or None
    request.path = (url.path or b"/").decode("latin-1")
    request.query = url.query.decode("latin-1") if url.query is not None else None
    return None
