"""apyche.semantics.mimetypes: TypesConfig parsing and mod_mime find_ct."""

from pathlib import Path

import pytest

from apyche.semantics.mimetypes import (DIR_MAGIC_TYPE, ExtensionInfo, build_extension_map,
                                        find_ct, load_mime_types, parse_mime_types)

SHIPPED = Path(__file__).resolve().parents[2] / "conf.d" / "mime.types"
TYPES = parse_mime_types("""
# comment
text/html\t\thtml htm
text/plain\t\ttxt
image/png\t\tPNG
application/x-tar\ttar
application/x-gzip\tgz
text/x-late\ttxt2
text/x-later\ttxt2
application/no-ext
""")


def test_parse_mime_types_lowercases_extensions():
    assert TYPES["png"] == "image/png"


def test_parse_mime_types_later_line_wins():
    assert TYPES["txt2"] == "text/x-later"


def test_parse_mime_types_skips_comments_and_bare_types():
    assert "comment" not in TYPES and "application/no-ext" not in TYPES.values()


def test_shipped_mime_types_has_apache_header_and_common_types():
    text = SHIPPED.read_text(encoding="latin-1")
    assert text.startswith("# This file maps Internet media types to unique file extension(s).")
    table = load_mime_types(str(SHIPPED))
    assert table["html"] == "text/html"
    assert table["css"] == "text/css"
    assert table["png"] == "image/png"


@pytest.mark.parametrize("name,ctype", [
    ("index.html", "text/html"),
    ("INDEX.HTML", "text/html"),
    ("/some/dir.txt/index.html", "text/html"),   # only the last path segment
    ("index.html.en", "text/html"),              # unknown ext does not reset
    ("a.txt.html", "text/html"),                 # last type wins
    ("a.html.txt", "text/plain"),
    ("a..html", "text/html"),                    # empty extension ignored
    ("html", None),                              # base name is never an extension
    (".html", None),                             # leading dots belong to the base name
    ("..html", None),
    ("a.b.c", None),
])
def test_find_ct_content_type(name, ctype):
    assert find_ct(name, TYPES).content_type == ctype


def test_find_ct_directory():
    assert find_ct("/x", TYPES, is_dir=True).content_type == DIR_MAGIC_TYPE


EXT = build_extension_map(
    add_type={".PHP": "Text/HTML; Charset=ISO-8859-1", "x": "text/x-forced"},
    add_charset={"utf8": "UTF-8", "l1": "iso-8859-1"},
    add_language={"en": "en", "fr": "FR", "de": "de"},
    add_encoding={"gz": "x-gzip", "Z": "compress"},
    add_handler={"cgi": "cgi-script"},
    remove_type=["txt"],
)


def test_build_extension_map_lowercases_keys_and_values():
    assert EXT["php"].type == "text/html; charset=iso-8859-1"
    assert EXT["fr"].language == "fr"
    assert EXT["z"].encoding == "compress"


def test_remove_type_hides_typesconfig_entry():
    assert find_ct("a.txt", TYPES, EXT).content_type is None


def test_add_type_beats_typesconfig():
    assert find_ct("a.x", TYPES, EXT).content_type == "text/x-forced"


def test_every_language_extension_counts_in_order():
    r = find_ct("a.html.fr.en", TYPES, EXT)
    assert r.languages == ("fr", "en") and r.content_language == "fr,en"


def test_encodings_accumulate_in_order():
    r = find_ct("a.tar.Z.gz", TYPES, EXT)
    assert r.encoding == "compress, x-gzip"
    assert r.content_type == "application/x-gzip"   # gz also has a type: last wins


def test_charset_is_appended():
    assert find_ct("a.html.utf8", TYPES, EXT).content_type == "text/html; charset=utf-8"


def test_charset_replaces_existing_charset_param():
    assert find_ct("a.php.utf8", TYPES, EXT).content_type == "text/html; charset=utf-8"


def test_last_charset_wins():
    assert find_ct("a.html.utf8.l1", TYPES, EXT).content_type == "text/html; charset=iso-8859-1"


def test_handler_from_extension():
    assert find_ct("a.cgi.html", TYPES, EXT).handler == "cgi-script"


def test_default_language_only_when_none_found():
    assert find_ct("a.html", TYPES, EXT, default_language="de").languages == ("de",)
    assert find_ct("a.html.en", TYPES, EXT, default_language="de").languages == ("en",)


def test_exceptions_list_keeps_unknown_parts_with_case():
    r = find_ct("Base.FOO.html.Bar", TYPES, EXT)
    assert r.exceptions == ("Base", "FOO", "Bar") and r.found_metadata


def test_handler_only_is_not_metadata_by_default():
    r = find_ct("a.cgi", TYPES, EXT)
    assert r.exceptions == ("a", "cgi") and not r.found_metadata


def test_build_extension_map_refines_base():
    base = {"en": ExtensionInfo(language="en")}
    merged = build_extension_map(add_charset={"en": "utf-8"}, base=base)
    assert merged["en"] == ExtensionInfo(language="en", charset="utf-8")
