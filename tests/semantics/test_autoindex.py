"""apyche.semantics.autoindex: mod_autoindex listings, byte for byte.

The golden bodies in ``data/autoindex_cases.json`` were recorded from
Debian's apache2 2.4.71 by
``python tests/differential/test_negotiation_autoindex_diff.py --record``
(TZ=UTC, Debian's autoindex.conf plus a few <Location> variants).
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apyche.semantics import autoindex as ai
from apyche.semantics.autoindex import (Adjust, AutoindexConfig, AutoindexConfigError, DirEntry,
                                        IncludedFile, IndexRequest, Opt, apply_directives,
                                        effective_options, fnmatch, merge_configs,
                                        os_escape_path, parse_conf_text, parse_query,
                                        render_index, strcmp_match, strfsize, strnatcmp)

DATA = Path(__file__).resolve().parent / "data" / "autoindex_cases.json"
GOLD = json.loads(DATA.read_text(encoding="utf-8"))
DOCROOT = "/srv/www"


# --- replay of the recorded listings ---------------------------------------------

def _config_for(url: str) -> tuple[AutoindexConfig, str, str]:
    server = apply_directives(parse_conf_text(ai.DEBIAN_AUTOINDEX_CONF + GOLD["server_extra"]))
    cfg = merge_configs(server, AutoindexConfig())
    if url.startswith("/l/"):
        loc = url.split("/")[2]
        cfg = merge_configs(cfg, apply_directives(parse_conf_text(GOLD["locations"][loc]),
                                                  section_path=f"/l/{loc}/"))
        return cfg, "idx", f"{DOCROOT}/idx/"
    rel = url.strip("/")
    if rel == "idx/subdir":
        cfg = merge_configs(cfg, apply_directives(parse_conf_text(GOLD["subdir_directives"]),
                                                  section_path=f"{DOCROOT}/idx/subdir"))
    return cfg, rel, f"{DOCROOT}/{rel}/" if rel else f"{DOCROOT}/"


def _included(rel: str, name: str | None) -> IncludedFile | None:
    inc = GOLD["included"].get(rel, {}).get(name) if name else None
    return IncludedFile(**inc) if inc else None


@pytest.mark.parametrize("case", GOLD["cases"], ids=lambda c: c["url"] + c["query"])
def test_listing_matches_recorded_apache_body(case):
    cfg, rel, fs = _config_for(case["url"])
    entries = [DirEntry(**e) for e in GOLD["listings"][rel]]
    sig = GOLD["signature"]
    body, ctype = render_index(IndexRequest(case["url"], fs, case["query"][1:] or None
                                            if case["query"] else None),
                               entries, cfg, header=_included(rel, cfg.header),
                               readme=_included(rel, cfg.readme), signature=sig,
                               localtime=time.gmtime)
    assert ctype == case["content_type"]
    assert body == case["body"]


def test_listing_is_independent_of_readdir_order():
    cfg, rel, fs = _config_for("/l/fancy/")
    entries = [DirEntry(**e) for e in GOLD["listings"][rel]]
    req = IndexRequest("/l/fancy/", fs, "C=M;O=D")
    first = render_index(req, entries, cfg, localtime=time.gmtime)
    for seed in range(5):
        random.Random(seed).shuffle(entries)
        assert render_index(req, entries, cfg, localtime=time.gmtime) == first


# --- hand-checked outputs (2.4.71 without Debian's autoindex.conf) -----------------

def test_default_charset_is_iso_8859_1_and_plain_list():
    body, ctype = render_index(IndexRequest("/", "/srv/"), [DirEntry("d", is_dir=True)],
                               AutoindexConfig())
    assert ctype == "text/html;charset=ISO-8859-1"
    assert body == (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">\n'
        "<html>\n <head>\n  <title>Index of /</title>\n </head>\n <body>\n"
        "<h1>Index of /</h1>\n"
        '<ul><li><a href="d/"> d/</a></li>\n</ul>\n</body></html>\n')


def test_fancy_without_icons_pads_with_spaces():
    cfg = merge_configs(AutoindexConfig(),
                        apply_directives([("IndexOptions", ["+FancyIndexing"])]))
    mtime = 1795743900   # 2026-11-27 01:45 UTC
    body, _ = render_index(IndexRequest("/d/", "/srv/d"), [DirEntry("a.txt", size=0, mtime=mtime)],
                           cfg, localtime=time.gmtime)
    assert ('<pre>      <a href="?C=N;O=D">Name</a>                    <a href="?C=M;O=A">Last '
            'modified</a>      <a href="?C=S;O=A">Size</a>  <a href="?C=D;O=A">Description</a>'
            '<hr>      <a href="/">Parent Directory</a>                             -   \n'
            '      <a href="a.txt">a.txt</a>                   2026-11-27 01:45    0   \n'
            "<hr></pre>\n</body></html>\n") in body


def test_root_has_no_parent_entry():
    body, _ = render_index(IndexRequest("/", "/srv/"), [], AutoindexConfig())
    assert "Parent Directory" not in body


def test_index_ignore_dotdot_hides_parent():
    cfg = apply_directives([("IndexIgnore", [".."])])
    body, _ = render_index(IndexRequest("/a/", "/srv/a/"), [], cfg)
    assert "Parent Directory" not in body


def test_html_header_with_suppress_preamble_replaces_everything_up_to_listing():
    cfg = apply_directives([("IndexOptions", ["SuppressHTMLPreamble"])])
    body, _ = render_index(IndexRequest("/a/", "/srv/a/"), [], cfg,
                           header=IncludedFile("<html><body>HEAD\n", True),
                           readme=IncludedFile("FOOT</body></html>\n", True))
    assert body == ('<html><body>HEAD\n<ul><li><a href="/"> Parent Directory</a></li>\n'
                    "</ul>\nFOOT</body></html>\n")


def test_text_readme_is_escaped_in_pre_and_replaces_signature():
    body, _ = render_index(IndexRequest("/a/", "/srv/a/"), [], AutoindexConfig(),
                           readme=IncludedFile("a<b>&c\n", False), signature="<address>x</address>\n")
    assert body.endswith("</ul>\n<pre>\na&lt;b&gt;&amp;c\n</pre>\n</body></html>\n")
    assert "<address>" not in body


def test_signature_when_no_readme():
    body, _ = render_index(IndexRequest("/a/", "/srv/a/"), [], AutoindexConfig(),
                           signature="<address>x</address>\n")
    assert body.endswith("</ul>\n<address>x</address>\n</body></html>\n")


def test_forbidden_entries_hidden_unless_show_forbidden():
    ents = [DirEntry("secret.txt", status=403), DirEntry("gone.txt", status=404)]
    plain, _ = render_index(IndexRequest("/a/", "/srv/a/"), ents, AutoindexConfig())
    assert "secret" not in plain
    cfg = apply_directives([("IndexOptions", ["ShowForbidden"])])
    shown, _ = render_index(IndexRequest("/a/", "/srv/a/"), ents, cfg)
    assert "secret.txt" in shown and "gone.txt" not in shown


def test_name_truncation_counts_bytes():
    cfg = apply_directives([("IndexOptions", ["FancyIndexing", "NameWidth=6"])])
    body, _ = render_index(IndexRequest("/a/", "/srv/a/"), [DirEntry("\u00fc\u00fc\u00fc\u00fc.txt")],
                           cfg, localtime=time.gmtime)
    # 6 bytes: 3 kept (one and a half "ü"), then "..>"
    assert '<a href="%c3%bc%c3%bc%c3%bc%c3%bc.txt">\u00fc\udcc3..&gt;</a>' in body


# --- helpers -------------------------------------------------------------------------

@pytest.mark.parametrize("size,text", [
    (-1, "  - "), (0, "  0 "), (6, "  6 "), (972, "972 "), (973, "1.0K"), (1023, "1.0K"),
    (1024, "1.0K"), (5000, "4.9K"), (9 * 1024 + 972, "9.9K"), (9 * 1024 + 973, " 10K"),
    (996352, "1.0M"), (972 * 1024, "972K"), (1300000, "1.2M"), (3 * 1024 ** 3, "3.0G"), (5 * 1024 ** 4, "5.0T"),
    (2 ** 62, "4.0E"),
])
def test_strfsize(size, text):
    assert strfsize(size) == text


@given(st.integers(min_value=0, max_value=2 ** 63 - 1))
def test_strfsize_is_always_four_characters(n):
    assert len(strfsize(n)) == 4


@pytest.mark.parametrize("a,b,sign", [
    ("file9.txt", "file10.txt", -1), ("a", "a", 0), ("x01", "x1", -1), ("1.01", "1.1", -1),
    ("\u00fcmlaut", "A", -1),       # signed char: bytes >= 0x80 sort first
    ("abc", "ABD", 1), (" a", "a", 0),
])
def test_strnatcmp(a, b, sign):
    r = strnatcmp(a, b)
    assert (r > 0) - (r < 0) == sign


@given(st.text(max_size=12), st.text(max_size=12))
def test_strnatcmp_is_antisymmetric(a, b):
    x, y = strnatcmp(a, b), strnatcmp(b, a)
    assert (x > 0) - (x < 0) == -((y > 0) - (y < 0))


@pytest.mark.parametrize("s,pat,res", [
    ("/srv/a/x.html", "*.html", 0), ("x.html", "*.htm", -1), ("y.html", "x*", 1), ("..", ".??*", -1),
    (".git", ".??*", 0), ("abc", "a?c", 0), ("", "*", 0), ("ab", "abc", -1), ("abc", "ab", 1),
])
def test_strcmp_match(s, pat, res):
    assert strcmp_match(s, pat) == res


@pytest.mark.parametrize("pat,name,kw,res", [
    ("*.txt", "a.txt", {}, True), ("*.txt", ".a.txt", {"period": True}, False),
    ("*.txt", ".a.txt", {}, True), ("[a-c]*", "b1", {}, True), ("[!a-c]*", "b1", {}, False),
    ("a\\*", "a*", {}, True), ("a\\*", "a\\b", {"noescape": True}, True),
    ("?", "", {}, False), ("*", "", {}, True),
])
def test_fnmatch(pat, name, kw, res):
    assert fnmatch(pat, name, **kw) is res


@pytest.mark.parametrize("path,partial,out", [
    ("a b.txt", False, "a%20b.txt"), ("col:on", False, "./col:on"), ("x/col:on", False, "x/col:on"),
    ("\u00fc", False, "%c3%bc"), ("a;b=c&d", True, "a;b=c&d"), ("50%", True, "50%25"),
    ("q?#", True, "q%3f%23"),
])
def test_os_escape_path(path, partial, out):
    assert os_escape_path(path, partial) == out


@pytest.mark.parametrize("args,key,direction,colargs", [
    (None, "N", "A", ""), ("C=M;O=D", "M", "D", ""), ("C=S&O=D&F=2", "S", "D", ";F=2"),
    ("F=1;V=0;P=*.txt", "N", "A", ";F=1;V=0;P=*.txt"), ("P=a%20b", "N", "A", ";P=a%20b"),
    ("P=%zz;C=M", "M", "A", ""), ("P=%2f", "N", "A", ""), ("X=1;C=S", "N", "A", ""),
    ("C=Q;O=D", "N", "A", ""), ("C=MO=D", "N", "A", ""), ("C=M;", "M", "A", ""),
])
def test_parse_query(args, key, direction, colargs):
    q = parse_query(args, Opt.FANCY_INDEXING)
    assert (q.keyid, q.direction, q.colargs) == (key, direction, colargs)


def test_ignore_client_ignores_query_and_suppresses_sorting():
    q = parse_query("C=M;O=D", Opt.IGNORE_CLIENT)
    assert (q.keyid, q.direction) == ("N", "A") and q.opts & Opt.SUPPRESS_COLSORT


@given(st.text(alphabet="CONFVP=;&ADMSN012*%x", max_size=30))
def test_parse_query_never_fails(args):
    q = parse_query(args, Opt.FANCY_INDEXING)
    assert q.keyid in "NMSD" and q.direction in "AD"


# --- configuration -------------------------------------------------------------------

@pytest.mark.parametrize("words,msg", [
    (["+None"], "Cannot combine '+' or '-' with 'None' keyword"),
    (["None", "FancyIndexing"], "Cannot combine other IndexOptions keywords with 'None'"),
    (["NameWidth"], "NameWidth with no value may only appear as '-NameWidth'"),
    (["-NameWidth=5"], "Cannot combine '-' with NameWidth=n"),
    (["NameWidth=3"], "NameWidth value must be greater than 5"),
    (["DescriptionWidth=11"], "DescriptionWidth value must be greater than 12"),
    (["-IconWidth=3"], "Cannot combine '-' with IconWidth=n"),
    (["Bogus"], "Invalid directory indexing option"),
])
def test_index_options_errors_as_apache_words_them(words, msg):
    with pytest.raises(AutoindexConfigError, match=re.escape(msg)):
        apply_directives([("IndexOptions", words)])


def test_index_order_default_errors():
    with pytest.raises(AutoindexConfigError, match="First keyword must be"):
        apply_directives([("IndexOrderDefault", ["Up", "Name"])])
    with pytest.raises(AutoindexConfigError, match="Second keyword must be"):
        apply_directives([("IndexOrderDefault", ["Ascending", "Colour"])])


def test_add_icon_with_alt_in_parentheses():
    cfg = apply_directives([("AddIconByType", ["(TXT,/icons/text.gif)", "text/*"])])
    assert cfg.icon_list[0].data == "/icons/text.gif" and cfg.alt_list[0].data == "TXT"
    with pytest.raises(AutoindexConfigError, match="missing closing paren"):
        apply_directives([("AddIcon", ["(X,/i.gif", ".x"])])


def test_add_icon_by_path_gets_leading_star_and_directory_alias():
    cfg = apply_directives([("AddIcon", ["/f.gif", "**DIRECTORY**", ".txt", "a*"])],
                           section_path="/srv/")
    assert [(i.apply_to, i.apply_path) for i in cfg.icon_list] == [
        ("*^^DIRECTORY^^", "/srv/*"), ("*.txt", "/srv/*"), ("a*", "/srv/*")]


def test_incremental_options_merge():
    base = apply_directives([("IndexOptions", ["FancyIndexing", "+FoldersFirst"])])
    sub = apply_directives([("IndexOptions", ["+IgnoreCase", "-FoldersFirst"])])
    opts = effective_options(merge_configs(merge_configs(AutoindexConfig(), base), sub))
    assert opts & Opt.FANCY_INDEXING and opts & Opt.IGNORE_CASE
    assert not opts & Opt.FOLDERS_FIRST


def test_non_incremental_options_replace_inherited():
    base = apply_directives([("IndexOptions", ["FancyIndexing", "HTMLTable"])])
    sub = apply_directives([("IndexOptions", ["FoldersFirst"])])
    opts = effective_options(merge_configs(base, sub))
    assert not opts & Opt.FANCY_INDEXING and opts & Opt.FOLDERS_FIRST


def test_none_clears_everything():
    base = apply_directives([("IndexOptions", ["FancyIndexing"])])
    merged = merge_configs(base, apply_directives([("IndexOptions", ["None"])]))
    assert merged.opts == Opt.NO_OPTIONS


def test_name_width_inherits_unless_set():
    base = apply_directives([("IndexOptions", ["NameWidth=*"])])
    assert merge_configs(base, AutoindexConfig()).name_adjust is Adjust.ADJUST
    sub = apply_directives([("IndexOptions", ["NameWidth=30"])])
    assert merge_configs(base, sub).name_width == 30


def test_index_ignore_reset():
    base = apply_directives([("IndexIgnore", ["*.bak"])])
    sub = apply_directives([("IndexIgnoreReset", ["On"]), ("IndexIgnore", ["*.tmp"])])
    assert [i.apply_to for i in merge_configs(base, sub).ign_list] == ["*.tmp"]
    keep = apply_directives([("IndexIgnore", ["*.tmp"])])
    assert [i.apply_to for i in merge_configs(base, keep).ign_list] == ["*.tmp", "*.bak"]


def test_charset_empty_drops_parameter():
    cfg = apply_directives([("IndexOptions", ["Charset=", "Type=text/plain"])])
    assert ai.index_content_type(merge_configs(AutoindexConfig(), cfg)) == "text/plain"


@pytest.mark.parametrize("desc,width,out", [
    ("short", 23, "short"), ("abcdefghijkl", 5, "abcd>"), ("<b>bold</b>text", 4, "<b>bold</b>"), ("<b>bold</b>text", 5, "<b>bold</b>>"),
    ("&auml;bc", 2, "&auml;>"), ("exactly5", 8, "exactly5"),
])
def test_terminate_description(desc, width, out):
    cfg = AutoindexConfig(desc_adjust=Adjust.NOADJUST)
    assert ai._terminate_description(cfg, desc, Opt(0), width) == out


@pytest.mark.parametrize("html,title", [
    (b"<html><TITLE>Hi there</title>", "Hi there"), (b"<title>\nA\nB</title>", "A B"),
    (b"no title", None), (b"", None),
])
def test_find_title(html, title):
    assert ai.find_title(html) == title


def test_debian_conf_parses():
    cfg = apply_directives(parse_conf_text(ai.DEBIAN_AUTOINDEX_CONF))
    assert cfg.opts & Opt.FANCY_INDEXING and cfg.opts & Opt.TABLE_INDEXING
    assert cfg.charset == "UTF-8" and cfg.readme == "README.html"
    assert [i.apply_to for i in cfg.ign_list] == [".??*", "*~", "*#", "RCS", "CVS", "*,v", "*,t"]


_DEBIAN = merge_configs(AutoindexConfig(), apply_directives(parse_conf_text(ai.DEBIAN_AUTOINDEX_CONF)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abcXYZ019.-_ &<\u00fc", min_size=1, max_size=12),
                          st.booleans(), st.integers(0, 10 ** 10), st.integers(0, 2 ** 31)),
                max_size=8, unique_by=lambda t: t[0]),
       st.sampled_from(["", "F=0", "F=1", "F=2", "C=M;O=D", "C=S;O=A", "C=D;O=D;V=1"]))
def test_render_never_fails_and_parent_comes_first(items, query):
    cfg = _DEBIAN
    ents = [DirEntry(n, d, s, m, None if d else "text/plain") for n, d, s, m in items
            if n not in (".", "..")]
    body, _ = render_index(IndexRequest("/x/", "/srv/x/", query or None), ents, cfg,
                           localtime=time.gmtime)
    assert body.endswith("</body></html>\n")
    links = [h for h in re.findall(r'href="([^"]*)"', body) if not h.startswith("?")]
    assert links[0] == "/"                       # the parent always sorts first
    assert len(links) <= len(ents) + 1          # IndexIgnore may hide some
