"""CVE-2021-41773 / CVE-2021-42013 request patterns (path traversal via
``.%2e`` and double-encoded ``%%32%65``), plus related hostile encodings.

Statuses were observed on Debian's apache2 2.4.71 with an ``Alias /cgi``
pointing into the DocumentRoot and ``<Directory /> Require all denied``.
2.4.49 answered 200 to the first pattern, 2.4.50 to the ``%%32%65`` ones;
2.4.51+ rejects them as invalid URI paths (AH10244) with 400.
"""

import pytest

from apyche.semantics.uri import UriError, map_request_target

CVE_PATTERNS = [
    # CVE-2021-41773 (2.4.49): ".%2e" not recognised as "..".
    ("/cgi/.%2e/.%2e/.%2e/etc/passwd", 400),
    ("/.%2e/.%2e/etc/passwd", 400),
    ("/icons/.%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 400),
    ("/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", 400),
    # CVE-2021-42013 (2.4.50): double encoding of the second dot.
    ("/cgi/.%%32%65/.%%32%65/etc/passwd", 400),
    ("/cgi/%%32%65%%32%65/etc/passwd", 400),
    ("/cgi-bin/%%32%65%%32%65/%%32%65%%32%65/%%32%65%%32%65/bin/sh", 400),
    ("/cgi/.%%32%65", 400),
    # Encoded slash tricks: 404 under the default AllowEncodedSlashes Off.
    ("/.%2f..%2f..%2fetc/passwd", 404),
    ("/sub/..%2f..%2fa.txt", 404),
    ("/%2e%2e%2f%2e%2e%2fetc/passwd", 404),
    # Decoded only once, so these are literal names (404 from the filesystem).
    ("/%252e%252e/%252e%252e/etc/passwd", 200),
    ("/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", 200),
]


@pytest.mark.parametrize("target,expected", CVE_PATTERNS)
def test_cve_2021_41773_42013_pattern_status(target, expected):
    """200 here means "passes URI mapping" -- no ``..`` survives."""
    try:
        r = map_request_target(target)
    except UriError as e:
        assert e.status == expected
        return
    assert expected == 200
    assert b"/../" not in r.decoded + b"/" and not r.decoded.endswith(b"/..")


def test_cve_2021_41773_normalised_path_never_climbs():
    with pytest.raises(UriError) as e:
        map_request_target("/cgi/.%2e/.%2e/.%2e/etc/passwd")
    assert e.value.status == 400
    assert "AH10244" in e.value.log


def test_cve_2021_42013_bad_escape_is_rejected_before_unescaping():
    # "%%32%65" would unescape to "%2e" and then (on 2.4.50) to "." -- the
    # first "%" is not followed by two hex digits, so normalisation fails.
    with pytest.raises(UriError) as e:
        map_request_target("/x/%%32%65")
    assert e.value.status == 400


def test_encoded_slash_traversal_with_allow_encoded_slashes_on_stays_in_root():
    r = map_request_target("/.%2f..%2f..%2fetc/passwd", allow_encoded_slashes="on")
    assert r.decoded == b"/etc/passwd"   # under DocumentRoot, never above it
