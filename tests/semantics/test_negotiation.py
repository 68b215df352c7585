"""apyche.semantics.negotiation: mod_negotiation's variant search and choice.

``data/negotiation_cases.json`` holds 256 responses recorded from Debian's
apache2 2.4.71 (MultiViews and type maps, many Accept* combinations) by
``python tests/differential/test_negotiation_autoindex_diff.py --record``;
they are replayed here without Apache.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apyche.semantics import negotiation as ng
from apyche.semantics.errorpages import error_page, signature
from apyche.semantics.mimetypes import build_extension_map, parse_mime_types
from apyche.semantics.negotiation import (ForceLanguagePriority, ListingEntry, MultiviewsMatch,
                                          Variant, atoq, escape_path_segment, find_variants,
                                          fix_encoding, get_token, make_variant_list,
                                          map_redirect_target, negotiate, parse_accept,
                                          parse_type_map)

DATA = Path(__file__).resolve().parent / "data" / "negotiation_cases.json"
GOLD = json.loads(DATA.read_text())

TYPES = parse_mime_types("""
text/html html htm
text/plain txt
application/pdf pdf
application/gzip gz
application/x-httpd-php php
image/png png
""")
EXT = build_extension_map(add_language={".en": "en", ".fr": "fr", ".de": "de", ".ja": "ja"},
                          add_encoding={".gz": "x-gzip"}, add_charset={".utf8": "UTF-8"},
                          add_handler={".var": "type-map", ".cgi": "cgi-script"})


def _variant(d: dict) -> Variant:
    d = dict(d)
    if d.get("languages") is not None:
        d["languages"] = tuple(d["languages"])
    if d.get("body") is not None:
        d["body"] = tuple(d["body"])
    return Variant(**d)


# --- replay of recorded Apache answers ------------------------------------------------

@pytest.mark.parametrize("case", GOLD["cases"], ids=lambda c: f"{c['method']}{c['url']}:" + (
    ";".join(f"{k}={v}" for k, v in c["headers"].items()) or "none"))
def test_negotiation_matches_recorded_apache(case):
    variants = [_variant(v) for v in GOLD["variants"][f"{case['dir']}:{case['kind']}:{case['name']}"]]
    dc = GOLD["dir_config"][case["dir"]]
    kw = {}
    if dc:
        kw = dict(language_priority=dc["language_priority"],
                  force_language_priority=ForceLanguagePriority.PREFER
                  | ForceLanguagePriority.FALLBACK)
    h = case["headers"]
    r = negotiate(variants, accept=h.get("Accept"), accept_language=h.get("Accept-Language"),
                  accept_charset=h.get("Accept-Charset"),
                  accept_encoding=h.get("Accept-Encoding"), negotiate_header=h.get("Negotiate"),
                  user_agent=h.get("User-Agent"), method=case["method"],
                  from_type_map=case["kind"] == "map", prefer_language=h.get("X-Pref"),
                  no_gzip=h.get("X-NoGzip") == "1", **kw)
    status = r.status
    if status == 200 and r.best is not None and not r.best.body and "/" in r.best.file_name:
        status = 404      # sub/t.de.html does not exist: the redirect 404s
    assert status == case["status"]
    assert r.header("Vary") == case["vary"]
    assert r.header("TCN") == case["tcn"]
    assert r.header("Content-Location") == case["content-location"]
    assert r.header("Alternates") == case["alternates"]
    if case["body"] is not None:
        sig = signature("On", banner="Apache/2.4.71 (Debian)", server_name="localhost",
                        port="@PORT@")
        assert error_page(r.status, variant_list=r.variant_list, signature_html=sig) == case["body"]


# --- header parsing ----------------------------------------------------------------------

@pytest.mark.parametrize("text,q", [
    ("0.5", 0.5), (".8", 0.8), ("1", 1.0), ("1.0", 1.0), ("0", 0.0), ("0.123", 0.123),
    ("0.1204", 0.12), ("0.120", 0.12), ("0.1201", 0.12), (" 0.9", 0.9), ("abc", 1.0),
    ("", 1.0), ("2", 1.0), ("0x", 0.0), ("0.", 0.0),
])
def test_atoq(text, q):
    assert atoq(text) == pytest.approx(q, abs=1e-6)


def test_parse_accept_absent_vs_empty():
    assert parse_accept(None) is None
    assert parse_accept("") == []


def test_parse_accept_lowercases_and_reads_params():
    recs = parse_accept('Text/HTML;Level=3;q=0.5, text/*; q="0.2", */*;charset=UTF-8')
    assert [(r.name, r.quality, r.level, r.charset) for r in recs] == [
        ("text/html", 0.5, 3.0, ""), ("text/*", pytest.approx(0.2), 0.0, ""),
        ("*/*", 1.0, 0.0, "utf-8")]


def test_text_html_defaults_to_level_2():
    assert parse_accept("text/html")[0].level == 2.0


def test_old_space_separated_accept_format():
    assert [r.name for r in parse_accept("text/html text/plain")] == ["text/html", "text/plain"]


@pytest.mark.parametrize("line,accept_white,tok", [
    ("  abc def", False, "abc"), ('"a b";x', False, '"a b"'), ("a b;c", True, "a b"),
    ("en,fr", False, "en"),
])
def test_get_token(line, accept_white, tok):
    assert get_token(line, 0, accept_white)[0] == tok


def test_escape_path_segment():
    assert escape_path_segment("sub/t.de.html") == "sub%2ft.de.html"
    assert escape_path_segment("a b;c~") == "a%20b%3bc~"


# --- find_variants (read_types_multi) --------------------------------------------------

LISTING = [ListingEntry(n, n.endswith(".d")) for n in [
    "doc.html.en", "doc.fr.html", "doc.pdf", "doc.foo", "doc.d", "docs.html", "doc",
    "doc.html.en.gz", "other.txt", "doc.foo.html"]]


def test_find_variants_matches_read_types_multi():
    res = find_variants(LISTING, "doc", TYPES, EXT)
    assert res.status == 0 and res.type_map is None
    assert [v.file_name for v in res.variants] == [
        "doc.fr.html", "doc.html.en", "doc.html.en.gz", "doc.pdf"]
    by = {v.file_name: v for v in res.variants}
    assert by["doc.html.en"].languages == ("en",) and by["doc.html.en"].level == 2.0
    assert by["doc.html.en.gz"].encoding == "x-gzip"
    assert by["doc.pdf"].languages is None and by["doc.pdf"].source_quality == 1.0


def test_unknown_extension_must_match_requested_segments():
    res = find_variants(LISTING, "doc.foo", TYPES, EXT)
    assert [v.file_name for v in res.variants] == ["doc.foo.html"]


def test_multiviews_match_any_accepts_unknown_extensions():
    res = find_variants([ListingEntry("doc.foo")], "doc", TYPES, EXT,
                        multiviews_match=MultiviewsMatch.ANY)
    assert res.status == 404    # found metadata but no type -> none negotiable


def test_only_unknown_members_is_404_no_members_is_declined():
    assert find_variants([ListingEntry("doc.qqq")], "doc", TYPES, EXT).status == 404
    res = find_variants([ListingEntry("other.txt")], "doc", TYPES, EXT)
    assert (res.status, res.variants) == (0, ())


def test_handler_only_member_needs_multiviews_match_handlers():
    listing = [ListingEntry("run.cgi")]
    assert find_variants(listing, "run", TYPES, EXT).status == 404
    res = find_variants(listing, "run", TYPES, EXT, multiviews_match=MultiviewsMatch.HANDLERS)
    assert res.variants[0].mime_type == ng.CGI_MAGIC_TYPE
    assert res.variants[0].handler == "cgi-script"


def test_type_map_member_takes_over():
    listing = [ListingEntry("doc.html"), ListingEntry("doc.var")]
    # AddHandler type-map .var alone: "var" is no negotiated extension
    # (MultiviewsMatch NegotiatedOnly), so doc.var is not even a candidate --
    # as Apache does (verified: /neg/map picks map.en.html next to map.var).
    assert find_variants(listing, "doc", TYPES, EXT).type_map is None
    res = find_variants(listing, "doc", TYPES, EXT, multiviews_match=MultiviewsMatch.HANDLERS)
    assert res.type_map == "doc.var"
    ext = build_extension_map(add_type={".var": ng.MAP_FILE_MAGIC_TYPE}, base=EXT)
    assert find_variants(listing, "doc", TYPES, ext).type_map == "doc.var"


def test_forbidden_member_is_skipped():
    res = find_variants([ListingEntry("doc.pdf", status=403), ListingEntry("doc.html")], "doc",
                        TYPES, EXT)
    assert [v.file_name for v in res.variants] == ["doc.html"]


def test_variants_sorted_by_qs_then_name():
    ext = build_extension_map(add_type={".txt": "text/plain; qs=0.3"}, base=EXT)
    res = find_variants([ListingEntry("r.txt"), ListingEntry("r.pdf"), ListingEntry("r.html")],
                        "r", TYPES, ext)
    assert [v.file_name for v in res.variants] == ["r.html", "r.pdf", "r.txt"]


# --- type maps ---------------------------------------------------------------------------

MAP = (b"# comment\nURI: map\n\nURI: map.en.html\nContent-Type: text/html;\n  qs=0.8\n"
       b"Content-Language: en\nDescription: English (cool)\n  more\n\n"
       b"URI: map.txt\nContent-Type: text/plain; charset=UTF-8\nContent-Language: de, FR\n"
       b"Content-Length: 7\n\n"
       b"URI: inline\nContent-Type: text/html\nContent-Language: es\n"
       b"Body:----xyz----\n<p>Hola</p>\n----xyz---- trailing\n\nURI: after\n"
       b"Content-Type: text/plain\n")


def test_parse_type_map():
    tm = parse_type_map(MAP, "/srv/neg/map.var")
    assert tm.status == 0 and tm.errors == ()
    names = [v.file_name for v in tm.variants]
    assert names == ["map.en.html", "map.txt", "map.var", "after"]
    en, txt, body, after = tm.variants
    assert en.source_quality == pytest.approx(0.8) and en.description == "English        more"
    assert txt.languages == ("de", "fr") and txt.charset == "utf-8" and txt.length == 7
    off, n = body.body
    assert MAP[off:off + n] == b"<p>Hola</p>\n" and body.length == n
    assert after.mime_type == "text/plain"


def test_type_map_record_without_content_is_not_a_variant():
    assert parse_type_map(b"URI: x\nDescription: nothing\n").variants == ()


@pytest.mark.parametrize("text,status,err", [
    (b"URI x\n", 500, "Syntax error in type map, no ':' in m.var for header uri x\n"),
    (b"URI:   \n", 500, "Syntax error in type map --- no header body: m.var for uri:   \n"),
    (b"URI: a\nContent-Type: text/html\n\nURI: b\nContent-Length: 12x\n\nURI: c\n"
     b"Content-Type: text/plain\n", 0,
     "Parse error in type map, Content-Length: '12x' in m.var is invalid."),
    (b"URI: a\nContent-Type: text/html\nBody:END\nno end\n", 0,
     "Syntax error in type map, no end tag 'END' found in m.var for Body: content."),
])
def test_type_map_errors_as_apache_logs_them(text, status, err):
    tm = parse_type_map(text, "m.var")
    assert tm.status == status and tm.errors == (err,)


def test_bad_content_length_stops_parsing_but_keeps_earlier_variants():
    tm = parse_type_map(b"URI: a\nContent-Type: text/html\n\nURI: b\nContent-Length: x\n\n"
                        b"URI: c\nContent-Type: text/plain\n", "m.var")
    assert [v.file_name for v in tm.variants] == ["a"]


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_parse_type_map_never_raises(data):
    tm = parse_type_map(data, "m.var")
    assert tm.status in (0, 500)


# --- the algorithm ----------------------------------------------------------------------

def V(name: str, ctype: str = "text/html", **kw) -> Variant:
    return Variant.from_content_type(name, ctype, **kw)


DOC = [V("doc.fr.html", languages=("fr",), length=6), V("doc.html.de", languages=("de",), length=7),
       V("doc.html.en", languages=("en",), length=3), V("doc.pdf", "application/pdf", length=4)]


def test_plain_get_choice_headers():
    r = negotiate(DOC, accept_language="fr")
    assert r.status == 200 and r.best.file_name == "doc.fr.html"
    assert r.headers == (("Content-Location", "doc.fr.html"),
                         ("Vary", "negotiate,accept,accept-language"), ("TCN", "choice"))


def test_smallest_variant_wins_a_full_tie():
    r = negotiate(DOC)
    assert r.best.file_name == "doc.html.en"


def test_wildcard_fiddle_prefers_explicit_type():
    # without any q=, */* counts 0.01 and text/* 0.02: the explicit type wins
    r = negotiate(DOC, accept="text/*, application/pdf")
    assert r.best.file_name == "doc.pdf"
    # with an explicit q anywhere, wildcards keep their q
    r = negotiate(DOC, accept="text/*;q=1.0, application/pdf;q=0.9")
    assert r.best.mime_type == "text/html"


def test_language_prefix_fiddle():
    r = negotiate(DOC, accept_language="en-GB")
    assert r.best.file_name == "doc.html.en"       # en matches en-GB at 0.001
    assert dict((q[0], q[2]) for q in r.qualities)["doc.html.en"] == pytest.approx(0.001)


def test_unmatched_languages_lose_to_languageless_variant():
    assert negotiate(DOC, accept_language="it").best.file_name == "doc.pdf"


def test_force_language_priority_fallback():
    doc = DOC[:3]
    assert negotiate(doc, accept_language="it").status == 406
    r = negotiate(doc, accept_language="it", language_priority=["de", "en"],
                  force_language_priority=ForceLanguagePriority.FALLBACK)
    assert r.best.file_name == "doc.html.de"


def test_language_priority_without_accept_language():
    r = negotiate(DOC[:3], language_priority=["fr", "en"])
    assert r.best.file_name == "doc.fr.html"


def test_prefer_language_env():
    assert negotiate(DOC, prefer_language="de").best.file_name == "doc.html.de"
    assert negotiate(DOC, prefer_language="xx").best.file_name == "doc.html.en"


def test_not_acceptable_lists_all_variants():
    r = negotiate(DOC, accept="image/png")
    assert r.status == 406 and r.best is None
    assert r.header("TCN") == "list" and r.header("Alternates").startswith('{"doc.fr.html" 1 ')
    assert r.variant_list == (
        "Available variants:\n<ul>\n"
        '<li><a href="doc.fr.html">doc.fr.html</a> , type text/html, language fr</li>\n'
        '<li><a href="doc.html.de">doc.html.de</a> , type text/html, language de</li>\n'
        '<li><a href="doc.html.en">doc.html.en</a> , type text/html, language en</li>\n'
        '<li><a href="doc.pdf">doc.pdf</a> , type application/pdf</li>\n</ul>\n')


@pytest.mark.parametrize("neg,status", [("trans", 300), ("vlist", 300), ("guess-small", 300),
                                        ("1.0", 300), ("*", 200), ("foo", 406)])
def test_multiple_choices_only_for_tcn_user_agents(neg, status):
    # 1.0 (RVSA) gives a list here because no Accept-Language makes the
    # language variants indefinite; an unknown token ("foo") forbids the
    # server to choose without enabling TCN: 406 (verified on 2.4.71).
    assert negotiate(DOC, negotiate_header=neg).status == status


def test_lynx_negotiate_trans_is_ignored():
    r = negotiate(DOC, negotiate_header="trans", user_agent="Lynx/2.8.9")
    assert r.status == 200 and r.header("Alternates") is None


def test_rvsa_definite_choice():
    r = negotiate(DOC, negotiate_header="1.0", accept="text/html", accept_language="de")
    assert r.status == 200 and r.best.file_name == "doc.html.de"
    assert r.header("Alternates") is not None


def test_post_is_not_transparent_and_prefers_scripts():
    variants = DOC + [V("doc.cgi", ng.CGI_MAGIC_TYPE, handler="cgi-script")]
    r = negotiate(variants, method="POST")
    assert r.best.file_name == "doc.cgi"
    assert r.header("TCN") is None and r.header("Content-Location") is None
    assert r.header("Vary") == "accept,accept-language"
    assert negotiate(variants).best.file_name != "doc.cgi"
    assert negotiate(variants, has_args=True).best.file_name == "doc.cgi"


def test_vary_lists_only_dimensions_that_differ():
    same = [V("a.html.en", languages=("en",)), V("a.html.fr", languages=("fr",))]
    assert negotiate(same).vary == ("negotiate", "accept-language")
    enc = [V("a.html"), V("a.html.gz", encoding="x-gzip")]
    assert negotiate(enc).vary == ("negotiate", "accept-encoding")
    cs = [V("a.html"), V("a.html.utf8", "text/html; charset=utf-8")]
    assert negotiate(cs).vary == ("negotiate", "accept-charset")


def test_encoding_rules():
    enc = [V("a.html.gz", encoding="x-gzip", length=1), V("a.html", length=100)]
    assert negotiate(enc).best.file_name == "a.html"             # no A-E: 0.5 vs 1
    # identity not listed: 0.0001
    assert negotiate(enc, accept_encoding="gzip").best.file_name == "a.html.gz"
    assert negotiate(enc, accept_encoding="gzip, identity;q=0.5").best.file_name == "a.html.gz"
    assert negotiate(enc, accept_encoding="gzip", no_gzip=True).best.file_name == "a.html"
    assert negotiate(enc[:1], accept_encoding="").status == 406


def test_charset_rules():
    cs = [V("a.html"), V("a.utf8.html", "text/html; charset=utf-8")]
    # equal quality: a real non-latin1 charset is preferred
    assert negotiate(cs).best.file_name == "a.utf8.html"
    assert negotiate(cs, accept_charset="iso-8859-1").best.file_name == "a.html"
    assert negotiate(cs[1:], accept_charset="iso-8859-1").status == 406


def test_levels():
    lv = [V("r.html"), V("r.html3", "text/html; level=3")]
    assert negotiate(lv).best.file_name == "r.html"
    assert negotiate(lv, accept="text/html;level=3").best.file_name == "r.html3"


def test_body_variant_makes_type_map_non_transparent():
    tm = parse_type_map(MAP, "/srv/neg/map.var")
    r = negotiate(tm.variants, accept_language="es", from_type_map=True)
    assert r.best.body is not None and not r.transparent
    assert r.header("TCN") is None and "negotiate" not in r.vary


def test_transparent_type_map_choice_of_a_type_map_is_506():
    vs = [V("x.html", handler="type-map")]
    assert negotiate(vs, from_type_map=True).status == 506


def test_no_cache_for_http10_multiviews():
    assert negotiate(DOC, http10=True).no_cache
    assert not negotiate(DOC[:1], http10=True).no_cache
    assert not negotiate(DOC, http10=True, cache_negotiated_docs=True).no_cache
    assert not negotiate(DOC).no_cache


@pytest.mark.parametrize("enc,ae,out", [
    ("x-gzip", "gzip", "gzip"), ("gzip", "x-gzip", "x-gzip"), ("x-gzip", None, "x-gzip"),
    ("x-gzip", "br", "x-gzip"), (None, "gzip", None),
])
def test_fix_encoding(enc, ae, out):
    assert fix_encoding(enc, ae) == out


def test_map_redirect_target():
    v = Variant("map.en html")
    assert map_redirect_target("/a b/m.var", v) == "/a%20b/map.en html"
    assert map_redirect_target("/d/m.var/pi", v, args="x=1", path_info="/pi") == \
        "/d/map.en html/pi?x=1"


def test_make_variant_list_description_and_escaping():
    v = Variant("a&b c.html", "text/html", 1.0, description="Desc", encoding="")
    assert make_variant_list([v]) == (
        'Available variants:\n<ul>\n<li><a href="a&b%20c.html">a&amp;b c.html</a> Desc, '
        "type text/html, encoding </li>\n</ul>\n")


HEADER_TEXT = st.text(alphabet="abcdefghtxml/*;=q.,0123456789 -\"", max_size=40)


@settings(max_examples=300)
@given(HEADER_TEXT, st.one_of(st.none(), HEADER_TEXT), st.one_of(st.none(), HEADER_TEXT),
       st.one_of(st.none(), HEADER_TEXT), st.sampled_from([None, "trans", "1.0", "*", "vlist"]),
       st.sampled_from(["GET", "POST"]))
def test_negotiate_is_total(accept, lang, charset, enc, neg, method):
    variants = DOC + [V("doc.txt.gz", "application/gzip", encoding="x-gzip", length=3),
                      V("doc.u.html", "text/html; charset=utf-8; qs=0.5", languages=("en-gb",))]
    r = negotiate(variants, accept=accept, accept_language=lang, accept_charset=charset,
                  accept_encoding=enc, negotiate_header=neg, method=method)
    assert r.status in (200, 300, 406)
    assert r.best is None or r.best in variants
    assert (r.status == 406) == (r.best is None and r.status != 300)
    order = ["negotiate", "accept", "accept-language", "accept-charset", "accept-encoding"]
    assert list(r.vary) == [t for t in order if t in r.vary]
    assert ("negotiate" in r.vary) == (method == "GET")
    if r.status in (300, 406):
        assert r.variant_list.count("<li>") == len(variants)


@given(st.permutations(DOC))
def test_choice_independent_of_variant_order_when_no_full_tie(perm):
    assert negotiate(list(perm), accept_language="de, fr;q=0.5").best.file_name == "doc.html.de"
