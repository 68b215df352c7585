"""Status lines and Apache's built-in ("canned") error pages.

Theory of operation
-------------------
When no ``ErrorDocument`` applies, ``ap_send_error_response``
(``modules/http/http_protocol.c``) writes::

    <DOCTYPE>
    <html><head>
    <title>{status line}</title>
    </head><body>
    <h1>{reason phrase}</h1>
    {get_canned_error_string(status)}
    [<p>Additionally, a {status line}\\nerror was encountered while trying to
    use an ErrorDocument to handle the request.</p>\\n]
    {ap_psignature("<hr>\\n")}
    </body></html>

with ``Content-Type: text/html; charset=iso-8859-1`` (``text/html`` alone
when the ``suppress-error-charset`` env var is set).  204 and 304 have no
body.  2.4.71 uses the HTML 4.01 Strict doctype (older 2.4 releases sent
HTML 2.0; verified against Debian's 2.4.71).

The status table is ``status_lines``; a status Apache does not know
(e.g. 418, 425, 509) is answered as **500 Internal Server Error** with the
500 page (``ap_index_of_response`` falls back to ``LEVEL_500``).  Statuses
without their own wording (200, 402, 409, 505 ...) get the 500 wording
under their own title.

``ServerSignature`` (``ap_psignature`` in ``server/core.c``): ``Off`` gives
nothing (not even the ``<hr>``); ``On`` gives ``<address>{banner} Server at
{name} Port {port}</address>``; ``EMail`` links the server name to
``mailto:{ServerAdmin}`` (no ``mailto:`` when ServerAdmin already looks like
a URL, ``ap_is_url``).  The banner follows ``ServerTokens``; the name and
port follow ``UseCanonicalName`` -- both are the caller's to supply.
"""

from __future__ import annotations

import enum

__all__ = [
    "DOCTYPE",
    "DEFAULT_ADMIN",
    "ERROR_CONTENT_TYPE",
    "STATUS_LINES",
    "ServerSignature",
    "status_line",
    "reason_phrase",
    "is_known_status",
    "escape_html",
    "is_url",
    "signature",
    "canned_error_string",
    "error_page",
]

DOCTYPE = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" '
           '"http://www.w3.org/TR/html4/strict.dtd">\n')
DEFAULT_ADMIN = "[no address given]"   # include/httpd.h
ERROR_CONTENT_TYPE = "text/html; charset=iso-8859-1"

# status_lines[] in modules/http/http_protocol.c -- every status Apache knows.
STATUS_LINES: dict[int, str] = {int(s[:3]): s for s in (
    "100 Continue",
    "101 Switching Protocols",
    "102 Processing",
    "200 OK",
    "201 Created",
    "202 Accepted",
    "203 Non-Authoritative Information",
    "204 No Content",
    "205 Reset Content",
    "206 Partial Content",
    "207 Multi-Status",
    "208 Already Reported",
    "226 IM Used",
    "300 Multiple Choices",
    "301 Moved Permanently",
    "302 Found",
    "303 See Other",
    "304 Not Modified",
    "305 Use Proxy",
    "307 Temporary Redirect",
    "308 Permanent Redirect",
    "400 Bad Request",
    "401 Unauthorized",
    "402 Payment Required",
    "403 Forbidden",
    "404 Not Found",
    "405 Method Not Allowed",
    "406 Not Acceptable",
    "407 Proxy Authentication Required",
    "408 Request Timeout",
    "409 Conflict",
    "410 Gone",
    "411 Length Required",
    "412 Precondition Failed",
    "413 Request Entity Too Large",
    "414 Request-URI Too Long",
    "415 Unsupported Media Type",
    "416 Requested Range Not Satisfiable",
    "417 Expectation Failed",
    "421 Misdirected Request",
    "422 Unprocessable Entity",
    "423 Locked",
    "424 Failed Dependency",
    "426 Upgrade Required",
    "428 Precondition Required",
    "429 Too Many Requests",
    "431 Request Header Fields Too Large",
    "451 Unavailable For Legal Reasons",
    "500 Internal Server Error",
    "501 Not Implemented",
    "502 Bad Gateway",
    "503 Service Unavailable",
    "504 Gateway Timeout",
    "505 HTTP Version Not Supported",
    "506 Variant Also Negotiates",
    "507 Insufficient Storage",
    "508 Loop Detected",
    "510 Not Extended",
    "511 Network Authentication Required",
)}

_HEADER_ONLY = frozenset({204, 304})   # AP_STATUS_IS_HEADER_ONLY
_REDIRECTS = frozenset({301, 302, 307, 308})


class ServerSignature(enum.Enum):
    """Values of the ``ServerSignature`` directive."""

    OFF = "off"
    ON = "on"
    EMAIL = "email"

    @classmethod
    def parse(cls, word: str) -> "ServerSignature":
        return cls(word.lower())


def is_known_status(status: int) -> bool:
    """Is *status* in Apache's ``status_lines`` table?"""
    return status in STATUS_LINES


def status_line(status: int) -> str:
    """``ap_get_status_line``: ``"404 Not Found"``; unknown statuses give
    ``"500 Internal Server Error"`` as Apache does."""
    return STATUS_LINES.get(status, STATUS_LINES[500])


def reason_phrase(status: int) -> str:
    """The reason phrase Apache sends for *status* (text after the code of
    :func:`status_line`)."""
    return status_line(status)[4:]


def escape_html(s: str) -> str:
    """``ap_escape_html``: escape ``< > & "`` only (not ``'``)."""
    return (s.replace("&", "&amp;").replace("<", "&lt;")
             .replace(">", "&gt;").replace('"', "&quot;"))


def is_url(u: str) -> bool:
    """``ap_is_url``: does *u* start with ``scheme:`` (alnum, ``+-.``)?"""
    i = u.find(":")
    if i <= 0:
        return False
    return all(c.isascii() and (c.isalnum() or c in "+-.") for c in u[:i])


def signature(mode: ServerSignature | str, *, banner: str, server_name: str,
              port: int, server_admin: str = DEFAULT_ADMIN,
              prefix: str = "<hr>\n") -> str:
    """``ap_psignature``: the ``ServerSignature`` footer, or ``""`` for Off.

    *banner* is ``ap_get_server_banner()`` (e.g. ``Apache/2.4.71 (Debian)``),
    *server_name*/*port* are ``ap_get_server_name``/``ap_get_server_port``
    for the request.
    """
    if not isinstance(mode, ServerSignature):
        mode = ServerSignature.parse(mode)
    if mode is ServerSignature.OFF:
        return ""
    if mode is ServerSignature.EMAIL:
        scheme = "" if is_url(server_admin) else "mailto:"
        return (f'{prefix}<address>{banner} Server at <a href="{scheme}'
                f'{escape_html(server_admin)}">{escape_html(server_name)}</a> '
                f"Port {port}</address>\n")
    return f"{prefix}<address>{banner} Server at {escape_html(server_name)} Port {port}</address>\n"


def _notes(prefix: str, notes: str | None, suffix: str) -> str:
    """``add_optional_notes``."""
    return prefix + (notes or "") + suffix


def canned_error_string(status: int, *, method: str = "GET", location: str | None = None,
                        server_admin: str = DEFAULT_ADMIN, error_notes: str | None = None,
                        variant_list: str | None = None, expect: str | None = None,
                        verbose_error_to: str | None = None) -> str:
    """Port of ``get_canned_error_string``: the status-specific paragraph.

    *error_notes* / *variant_list* / *verbose_error_to* are the request notes
    of the same names (mostly unset for static files); *expect* is the
    request's ``Expect`` header for 417; *location* the ``Location`` for 3xx.
    """
    loc = escape_html(location or "")
    m = escape_html(method)
    if status in _REDIRECTS:
        return f'<p>The document has moved <a href="{loc}">here</a>.</p>\n'
    if status == 303:
        return f'<p>The answer to your request is located <a href="{loc}">here</a>.</p>\n'
    if status == 305:
        return ("<p>This resource is only accessible through the proxy\n"
                "<br />\nYou will need to configure your client to use that proxy.</p>\n")
    if status in (401, 407):
        return ("<p>This server could not verify that you\n"
                "are authorized to access the document\n"
                "requested.  Either you supplied the wrong\n"
                "credentials (e.g., bad password), or your\n"
                "browser doesn't understand how to supply\n"
                "the credentials required.</p>\n")
    if status == 400:
        return _notes("<p>Your browser sent a request that this server could not understand.<br />\n",
                      error_notes, "</p>\n")
    if status == 403:
        return _notes("<p>You don't have permission to access this resource.", error_notes, "</p>\n")
    if status == 404:
        return "<p>The requested URL was not found on this server.</p>\n"
    if status == 405:
        return f"<p>The requested method {m} is not allowed for this URL.</p>\n"
    if status == 406:
        return _notes("<p>An appropriate representation of the requested resource "
                      "could not be found on this server.</p>\n", variant_list, "")
    if status == 300:
        return _notes("", variant_list, "")
    if status == 411:
        return _notes(f"<p>A request of the requested method {m} requires a valid Content-length.<br />\n",
                      error_notes, "</p>\n")
    if status == 412:
        return "<p>The precondition on the request for this URL evaluated to false.</p>\n"
    if status == 501:
        return _notes(f"<p>{m} not supported for current URL.<br />\n", error_notes, "</p>\n")
    if status == 502:
        return _notes("<p>The proxy server received an invalid\r\n"
                      "response from an upstream server.<br />\r\n", error_notes, "</p>\n")
    if status == 506:
        return ("<p>A variant for the requested resource\n<pre>\n\n</pre>\n"
                "is itself a negotiable resource. This indicates a configuration error.</p>\n")
    if status == 408:
        return "<p>Server timeout waiting for the HTTP request from the client.</p>\n"
    if status == 410:
        return ("<p>The requested resource is no longer available on this server"
                " and there is no forwarding address.\n"
                "Please remove all references to this resource.</p>\n")
    if status == 413:
        return (f"The requested resource does not allow request data with {m}"
                " requests, or the amount of data provided in\n"
                "the request exceeds the capacity limit.\n")
    if status == 414:
        return _notes("<p>The requested URL's length exceeds the capacity\n"
                      "limit for this server.<br />\n", error_notes, "</p>\n")
    if status == 415:
        return ("<p>The supplied request data is not in a format\n"
                "acceptable for processing by this resource.</p>\n")
    if status == 416:
        return ("<p>None of the range-specifier values in the Range\n"
                "request-header field overlap the current extent\n"
                "of the selected resource.</p>\n")
    if status == 417:
        if expect is not None:
            s1 = ("<p>The expectation given in the Expect request-header\n"
                  "field could not be met by this server.\n"
                  f"The client sent<pre>\n    Expect: {escape_html(expect)}\n</pre>\n")
        else:
            s1 = ("<p>No expectation was seen, the Expect request-header \n"
                  "field was not presented by the client.\n")
        return _notes(s1, error_notes,
                      "</p><p>Only the 100-continue expectation is supported.</p>\n")
    if status == 422:
        return ("<p>The server understands the media type of the\n"
                "request entity, but was unable to process the\n"
                "contained instructions.</p>\n")
    if status == 423:
        return ("<p>The requested resource is currently locked.\n"
                "The lock must be released or proper identification\n"
                "given before the method can be applied.</p>\n")
    if status == 424:
        return ("<p>The method could not be performed on the resource\n"
                "because the requested action depended on another\n"
                "action and that other action failed.</p>\n")
    if status == 426:
        return ("<p>The requested resource can only be retrieved\n"
                "using SSL.  The server is willing to upgrade the current\n"
                "connection to SSL, but your client doesn't support it.\n"
                "Either upgrade your client, or try requesting the page\n"
                "using https://\n")
    if status == 428:
        return "<p>The request is required to be conditional.</p>\n"
    if status == 429:
        return "<p>The user has sent too many requests\nin a given amount of time.</p>\n"
    if status == 431:
        return ("<p>The server refused this request because\n"
                "the request header fields are too large.</p>\n")
    if status == 507:
        return ("<p>The method could not be performed on the resource\n"
                "because the server is unable to store the\n"
                "representation needed to successfully complete the\n"
                "request.  There is insufficient free space left in\n"
                "your storage allocation.</p>\n")
    if status == 503:
        return ("<p>The server is temporarily unable to service your\n"
                "request due to maintenance downtime or capacity\n"
                "problems. Please try again later.</p>\n")
    if status == 504:
        return ("<p>The gateway did not receive a timely response\n"
                "from the upstream server or application.</p>\n")
    if status == 508:
        return ("<p>The server terminated an operation because\n"
                "it encountered an infinite loop.</p>\n")
    if status == 510:
        return ("<p>A mandatory extension policy in the request is not\n"
                "accepted by the server for this resource.</p>\n")
    if status == 511:
        return "<p>The client needs to authenticate to gain\nnetwork access.</p>\n"
    if status == 421:
        return ("<p>The client needs a new connection for this\n"
                "request as the requested host name does not match\n"
                "the Server Name Indication (SNI) in use for this\n"
                "connection.</p>\n")
    if status == 451:
        return _notes("<p>Access to this URL has been denied for legal reasons.<br />\n",
                      error_notes, "</p>\n")
    # default: HTTP_INTERNAL_SERVER_ERROR wording
    if error_notes is not None and verbose_error_to == "*":
        return error_notes + "<p />\n"
    return ("<p>The server encountered an internal error or\n"
            "misconfiguration and was unable to complete\n"
            "your request.</p>\n"
            "<p>Please contact the server administrator at \n "
            f"{escape_html(server_admin)} to inform them of the time this error occurred,\n"
            " and the actions you performed just before this error.</p>\n"
            "<p>More information about this error may be available\n"
            "in the server error log.</p>\n")


def error_page(status: int, *, signature_html: str = "", recursive_error: int | None = None,
               **canned: object) -> str | None:
    """Given a status, return the full HTML body ``ap_send_error_response``
    writes, or ``None`` for 204/304 (no body).

    *signature_html* is the result of :func:`signature` (``""`` for
    ``ServerSignature Off``).  An unknown status yields the 500 page -- the
    caller must also send status ``500`` (see :func:`status_line`).
    Remaining keyword arguments go to :func:`canned_error_string`.
    The result is text; encode it as ISO-8859-1 (the declared charset).
    """
    if status in _HEADER_ONLY:
        return None
    if status not in STATUS_LINES:
        status = 500
    title = STATUS_LINES[status]
    parts = [DOCTYPE, "<html><head>\n<title>", title, "</title>\n</head><body>\n<h1>",
             title[4:], "</h1>\n", canned_error_string(status, **canned)]  # type: ignore[arg-type]
    if recursive_error:
        parts += ["<p>Additionally, a ", status_line(recursive_error),
                  "\nerror was encountered while trying to use an "
                  "ErrorDocument to handle the request.</p>\n"]
    parts += [signature_html, "</body></html>\n"]
    return "".join(parts)
