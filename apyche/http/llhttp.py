"""How apyche makes its llhttp request parsers (httptools).

One place, so that every reader of a request head accepts exactly the same
bytes: the connection (HttpProtocol) and shape_key (http/replay.py), which
decides whether a head may be answered without the connection's parse.
"""

from __future__ import annotations

import httptools

LENIENCIES = dict(
    # Apache answers CL+TE (TE wins, then closes); we do the same and close.
    lenient_chunked_length=True,
    # Bytes after a request that will close the connection are ignored, not
    # an error (we stop parsing after such a request anyway).
    lenient_data_after_close=True,
    # Whether a request keeps the connection is ours to decide (Apache's
    # ap_find_token takes "keep" for "keep-alive", llhttp does not): llhttp
    # parses on after every message, and the connection stops parsing after
    # one that closes (HttpProtocol.on_message_complete).
    lenient_keep_alive=True,
    # "HTTP/1.2" etc.: Apache serves them as HTTP/1.1.
    lenient_version=True,
    # "chunked, chunked", or two Transfer-Encoding: chunked headers: Apache
    # reads a chunked body (ap_is_chunked looks at the final coding only).
    # llhttp refuses any coding after "chunked"; checks.check_request still
    # refuses every value whose final coding is not "chunked".
    lenient_transfer_encoding=True,
    # "5 \r\n" and "5\t;ext\r\n": Apache's chunk-size parser skips blanks
    # after the size (RFC 9112's BWS before a chunk extension).
    lenient_spaces_after_chunk_size=True,
)


def request_parser(callbacks) -> httptools.HttpRequestParser:
    """A parser calling ``callbacks``' on_* methods, with our leniencies."""
    parser = httptools.HttpRequestParser(callbacks)
    parser.set_dangerous_leniencies(**LENIENCIES)
    return parser
