"""apyche.semantics.uri: request-target → r->uri, status for status with
Apache 2.4.71 (every expected status below was checked against Debian's
apache2 2.4.71 with a file /a.txt and /sub/f.html in the DocumentRoot)."""

import pytest

from apyche.semantics.uri import (AllowEncodedSlashes, UriError, map_request_target,
                                  normalize_path, request_line_too_long, split_request_target,
                                  unescape_url)


def decoded(target, **kw):
    return map_request_target(target, **kw).decoded


def status(target, **kw):
    try:
        map_request_target(target, **kw)
    except UriError as e:
        return e.status
    return 200


# --- split_request_target (ap_parse_request_line / ap_parse_uri) ------------

def test_split_separates_query():
    assert split_request_target("/a.txt?x=%zz") == (b"/a.txt", b"x=%zz")


def test_split_collapses_leading_slashes_always():
    assert split_request_target("///a.txt")[0] == b"/a.txt"


def test_split_absolute_form_takes_path():
    assert split_request_target("http://localhost/a.txt?q") == (b"/a.txt", b"q")


def test_split_absolute_form_without_path_is_root():
    assert split_request_target("http://localhost")[0] == b"/"


def test_split_rejects_fragment_in_strict_mode():
    with pytest.raises(UriError) as e:
        split_request_target("/a.txt#frag")
    assert e.value.status == 400


def test_split_allows_fragment_when_unsafe():
    assert split_request_target("/a.txt#frag", strict=False) == (b"/a.txt", None)


def test_split_rejects_userinfo_in_strict_mode():
    assert status("http://u:p@localhost/a.txt") == 400


def test_split_rejects_relative_path():
    assert status("a.txt") == 400


def test_split_rejects_star_for_get():
    assert status("*") == 400


def test_split_accepts_star_for_options():
    assert map_request_target("*", method="OPTIONS").decoded == b"*"


@pytest.mark.parametrize("target", ["/a b", "/a\tb", "/a\x00b", "/a\x7fb", ""])
def test_split_rejects_controls_and_spaces(target):
    assert status(target) == 400


# --- normalize_path (ap_normalize_path) --------------------------------------

@pytest.mark.parametrize("src,out", [
    ("/a/./b", "/a/b"),
    ("/a/../b", "/b"),
    ("/a/b/..", "/a/"),
    ("/a/.", "/a/"),
    ("/a//b", "/a/b"),
    ("/a/%2e/b", "/a/b"),
    ("/a/.%2e/b", "/b"),
    ("/a/%2e%2e/b", "/b"),
    ("/a/%2E%2E/b", "/b"),
    ("/%61%62%63", "/abc"),
    ("/%7e%2d%5f", "/~-_"),
    ("/%2f", "/%2f"),          # reserved: stays encoded
    ("/%25", "/%25"),
    ("/..x/.x/x..", "/..x/.x/x.."),
])
def test_normalize_path_table(src, out):
    got, ok = normalize_path(src)
    assert (got.decode(), ok) == (out, True)


def test_normalize_path_does_not_decode_twice():
    assert normalize_path("/%252e")[0] == b"/%252e"


def test_normalize_path_without_merge_keeps_double_slash():
    assert normalize_path("/a//b", merge_slashes=False)[0] == b"/a//b"


def test_normalize_path_without_merge_dotdot_eats_empty_segment():
    assert normalize_path("/sub//../a", merge_slashes=False)[0] == b"/sub/a"


@pytest.mark.parametrize("src", ["/..", "/../a", "/a/../../b", "/%2e%2e/a", "/.%2e", "/a%", "/a%2", "/a%zz"])
def test_normalize_path_fails(src):
    assert normalize_path(src)[1] is False


def test_normalize_path_rejects_relative_unless_allowed():
    assert normalize_path("a/b")[1] is False
    assert normalize_path("a/../b", allow_relative=True) == (b"b", True)


# --- unescape_url (ap_unescape_url_ex) ----------------------------------------

def test_unescape_url_decodes_everything_by_default():
    assert unescape_url("/a%20b%2f") == (b"/a b/", 0)


def test_unescape_url_bad_escape_is_400():
    assert unescape_url("/a%zz")[1] == 400


def test_unescape_url_nul_is_404():
    assert unescape_url("/a%00")[1] == 404


def test_unescape_url_forbidden_slash_is_404():
    assert unescape_url("/a%2fb", forbid_slashes=True)[1] == 404


def test_unescape_url_keep_slashes_leaves_them_encoded():
    assert unescape_url("/a%2Fb%20", keep_slashes=True) == (b"/a%2Fb ", 0)


def test_unescape_url_keep_unreserved_leaves_them_encoded():
    assert unescape_url("/%41%20", keep_unreserved=True) == (b"/%41 ", 0)


def test_unescape_url_bad_escape_beats_nul():
    assert unescape_url("/%00%zz")[1] == 400


# --- map_request_target: statuses verified against apache2 2.4.71 ----------

@pytest.mark.parametrize("target,expected", [
    ("/a.txt", 200),
    ("/%61.txt", 200),
    ("/sub/../a.txt", 200),
    ("/sub/%2e%2e/a.txt", 200),
    ("/sub/.%2e/a.txt", 200),
    ("/..", 400),
    ("/../a.txt", 400),
    ("/sub/../../a.txt", 400),
    ("/%2e%2e/a.txt", 400),
    ("/a%", 400),
    ("/a%zz", 400),
    ("/a%2", 400),
    ("/a%2ftxt", 404),
    ("/sub%2ff.html", 404),
    ("/sub%2Ff.html", 404),
    ("/a%00.txt", 404),
    ("/a.txt%00", 404),
    ("/..%2fa.txt", 404),
    ("/a.txt?x=%zz", 200),      # the query is never decoded here
    ("/a.txt#frag", 400),
    ("*", 400),
    ("a.txt", 400),
])
def test_map_request_target_status_allow_encoded_slashes_off(target, expected):
    assert status(target) == expected


@pytest.mark.parametrize("target,path", [
    ("/sub%2ff.html", b"/sub/f.html"),
    ("/%2fa.txt", b"/a.txt"),
    ("/sub/..%2fa.txt", b"/a.txt"),
    ("/sub/.%2f..%2fa.txt", b"/a.txt"),
    # Apache ignores the second normalisation's verdict: the ".." above the
    # root is silently dropped (200 for a file /a.txt with apache2 2.4.71).
    ("/sub%2f..%2f..%2fa.txt", b"/a.txt"),
    ("/a.txt%2f", b"/a.txt/"),
])
def test_map_request_target_allow_encoded_slashes_on_decodes_and_renormalises(target, path):
    assert decoded(target, allow_encoded_slashes="On") == path


@pytest.mark.parametrize("target,path", [
    ("/sub%2ff.html", b"/sub%2ff.html"),
    ("/sub%2Ff.html", b"/sub%2Ff.html"),
    ("/a%20b%2fc", b"/a b%2fc"),
])
def test_map_request_target_allow_encoded_slashes_nodecode_keeps_them(target, path):
    assert decoded(target, allow_encoded_slashes=AllowEncodedSlashes.NODECODE) == path


def test_map_request_target_nul_is_404_whatever_allow_encoded_slashes():
    for aes in ("off", "on", "nodecode"):
        assert status("/a%00.txt", allow_encoded_slashes=aes) == 404


def test_map_request_target_merge_slashes_off_keeps_them():
    assert decoded("/sub//f.html", merge_slashes=False) == b"/sub//f.html"


def test_map_request_target_merge_slashes_off_dotdot_after_double_slash():
    # apache2: /sub//../a.txt is 200 by default but 404 with MergeSlashes Off
    assert decoded("/sub//../a.txt") == b"/a.txt"
    assert decoded("/sub//../a.txt", merge_slashes=False) == b"/sub/a.txt"


def test_map_request_target_bytes_are_opaque():
    # overlong UTF-8 for "." is just two bytes (apache2: file not found, 404)
    assert decoded("/%c0%ae%c0%ae/a.txt") == b"/\xc0\xae\xc0\xae/a.txt"


def test_map_request_target_backslash_is_not_a_separator():
    assert decoded("/a%5ctxt") == b"/a\\txt"
    assert decoded("/a\\txt") == b"/a\\txt"


def test_map_request_target_double_encoding_decodes_once():
    assert decoded("/%252e%252e/a.txt") == b"/%2e%2e/a.txt"


def test_map_request_target_keeps_normalized_form_for_location_walk():
    r = map_request_target("/x/../%61%20b?q=1")
    assert (r.normalized, r.decoded, r.query) == ("/a%20b", b"/a b", "q=1")


def test_map_request_target_fs_path_uses_surrogateescape():
    assert map_request_target("/%ff").fs_path == "/\udcff"


def test_uri_error_carries_apache_log_message():
    with pytest.raises(UriError) as e:
        map_request_target("/../x")
    assert e.value.log.startswith("AH10244: invalid URI path")


def test_request_line_limit_matches_apache_default():
    # apache2 2.4.71: "GET /" + 8177*"a" + " HTTP/1.1" (8191 bytes) is read,
    # one more byte is a 414.
    assert not request_line_too_long(8191)
    assert request_line_too_long(8192)


def test_request_line_limit_custom():
    assert request_line_too_long(102, limit=100) and not request_line_too_long(101, limit=100)
