"""Directory listings exactly as ``mod_autoindex`` writes them.

Theory of operation
-------------------
``index_directory`` (``modules/generators/mod_autoindex.c``) does four
things, in this order, and so does :func:`render_index`:

1. **Decide the format from the query string** (``index_directory``'s
   ``while (qstring && *qstring)`` loop): ``C=`` sort key (``N M S D``),
   ``O=`` direction (``A D``), ``F=`` format (``0`` plain ``<ul>``, ``1``
   fancy ``<pre>``, ``2`` ``<table>``), ``V=`` version sort, ``P=`` an
   ``fnmatch`` pattern.  Items are separated by ``;`` or ``&``; the first
   item that does not parse stops the loop (the rest is ignored).  ``F``,
   ``V`` and ``P`` are echoed into every column link ("colargs").
   ``IndexOptions IgnoreClient`` ignores the query and suppresses sorting.
2. **Make one entry per directory member** (``make_autoindex_entry``),
   skipping ``.``/``..``, names not matching ``P=``, ``IndexIgnore`` matches
   and members the sub-request could not serve (403/401 shown only with
   ``ShowForbidden``); plus the parent entry (``make_parent_entry``), which
   is absent at ``/`` and when ``IndexIgnore`` matches ``<dir>/..``.  Icons,
   alt texts and descriptions are looked up in configuration order
   (``find_item``/``find_desc``): first match wins.
3. **Sort** with ``dsortf``: parent first, then (``FoldersFirst``)
   directories, then the key, then names (``strnatcmp`` for ``VersionSort``,
   ``strcasecmp`` for ``IgnoreCase``, finally ``strcmp``).
4. **Write** preamble, header file or ``<h1>``, the listing
   (``output_directories``), readme file or ``ServerSignature``, postamble.

Everything that counts characters in Apache counts *bytes* (``strlen``):
name widths, ``..>`` truncation, description widths.  Names are therefore
handled as UTF-8 with ``surrogateescape`` (what ``os.listdir`` gives for
undecodable names), and the returned body should be encoded the same way:
``body.encode("utf-8", "surrogateescape")`` gives Apache's bytes.

2.4.71 differs from older 2.4 sources in one visible way: the preamble's
doctype is HTML 4.01 (``DOCTYPE_HTML_4_01``), not HTML 3.2 (verified against
Debian's 2.4.71).

This module never touches the filesystem: the caller lists the directory,
runs its mod_mime lookup for each member (:func:`entries_from_listing` does
that with :func:`apyche.semantics.mimetypes.find_ct`), and reads the
``HeaderName``/``ReadmeName`` files.
"""

from __future__ import annotations

import enum
import functools
import time
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping, Sequence

from apyche.config.values import c_atoi
from apyche.semantics.errorpages import escape_html
from apyche.semantics.mimetypes import ExtensionInfo, find_ct
from apyche.semantics.uri import normalize_path, unescape_url

__all__ = [
    "Opt",
    "Adjust",
    "Item",
    "DescEntry",
    "AutoindexConfig",
    "AutoindexConfigError",
    "DEBIAN_AUTOINDEX_CONF",
    "DOCTYPE_HTML",
    "DOCTYPE_XHTML",
    "DirEntry",
    "IncludedFile",
    "IndexRequest",
    "apply_directive",
    "apply_directives",
    "parse_conf_text",
    "merge_configs",
    "effective_options",
    "parse_query",
    "strfsize",
    "strnatcmp",
    "strcmp_match",
    "fnmatch",
    "os_escape_path",
    "find_title",
    "entries_from_listing",
    "index_content_type",
    "render_index",
]

# 2.4.71 writes this doctype (older 2.4 sources: DOCTYPE_HTML_3_2).
DOCTYPE_HTML = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" '
                '"http://www.w3.org/TR/html4/strict.dtd">\n')
DOCTYPE_XHTML = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
                 '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n')

DEFAULT_ICON_WIDTH = 20
DEFAULT_ICON_HEIGHT = 22
DEFAULT_NAME_WIDTH = 23
DEFAULT_DESC_WIDTH = 23
DEFAULT_DATETIME_FORMAT = "%Y-%m-%d %H:%M"
OLD_DATETIME_FORMAT = "%d-%b-%Y %H:%M"   # IndexOptions UseOldDateFormat

# Debian's /etc/apache2/mods-available/autoindex.conf (comments dropped).
DEBIAN_AUTOINDEX_CONF = """\
IndexOptions FancyIndexing VersionSort HTMLTable NameWidth=* DescriptionWidth=* Charset=UTF-8
AddIconByEncoding (CMP,/icons/compressed.gif) x-compress x-gzip x-bzip2
AddIconByType (TXT,/icons/text.gif) text/*
AddIconByType (IMG,/icons/image2.gif) image/*
AddIconByType (SND,/icons/sound2.gif) audio/*
AddIconByType (VID,/icons/movie.gif) video/*
AddIcon /icons/binary.gif .bin .exe
AddIcon /icons/binhex.gif .hqx
AddIcon /icons/tar.gif .tar
AddIcon /icons/world2.gif .wrl .wrl.gz .vrml .vrm .iv
AddIcon /icons/compressed.gif .Z .z .tgz .gz .zip
AddIcon /icons/a.gif .ps .ai .eps
AddIcon /icons/layout.gif .html .shtml .htm .pdf
AddIcon /icons/text.gif .txt
AddIcon /icons/c.gif .c
AddIcon /icons/p.gif .pl .py
AddIcon /icons/f.gif .for
AddIcon /icons/dvi.gif .dvi
AddIcon /icons/uuencoded.gif .uu
AddIcon /icons/script.gif .conf .sh .shar .csh .ksh .tcl
AddIcon /icons/tex.gif .tex
AddIcon /icons/bomb.gif /core
AddIcon (SND,/icons/sound2.gif) .ogg
AddIcon (VID,/icons/movie.gif) .ogm
AddIcon /icons/back.gif ..
AddIcon /icons/hand.right.gif README
AddIcon /icons/folder.gif ^^DIRECTORY^^
AddIcon /icons/blank.gif ^^BLANKICON^^
AddIcon /icons/odf6odt-20x22.png .odt
AddIcon /icons/odf6ods-20x22.png .ods
AddIcon /icons/odf6odp-20x22.png .odp
AddIcon /icons/odf6odg-20x22.png .odg
AddIcon /icons/odf6odc-20x22.png .odc
AddIcon /icons/odf6odf-20x22.png .odf
AddIcon /icons/odf6odb-20x22.png .odb
AddIcon /icons/odf6odi-20x22.png .odi
AddIcon /icons/odf6odm-20x22.png .odm
AddIcon /icons/odf6ott-20x22.png .ott
AddIcon /icons/odf6ots-20x22.png .ots
AddIcon /icons/odf6otp-20x22.png .otp
AddIcon /icons/odf6otg-20x22.png .otg
AddIcon /icons/odf6otc-20x22.png .otc
AddIcon /icons/odf6otf-20x22.png .otf
AddIcon /icons/odf6oti-20x22.png .oti
AddIcon /icons/odf6oth-20x22.png .oth
DefaultIcon /icons/unknown.gif
ReadmeName README.html
HeaderName HEADER.html
IndexIgnore .??* *~ *# RCS CVS *,v *,t
"""


class Opt(enum.IntFlag):
    """``IndexOptions`` bits, same values as mod_autoindex's ``#define``s."""

    NO_OPTIONS = 1 << 0
    ICONS_ARE_LINKS = 1 << 1
    SCAN_HTML_TITLES = 1 << 2
    SUPPRESS_ICON = 1 << 3
    SUPPRESS_LAST_MOD = 1 << 4
    SUPPRESS_SIZE = 1 << 5
    SUPPRESS_DESC = 1 << 6
    SUPPRESS_PREAMBLE = 1 << 7
    SUPPRESS_COLSORT = 1 << 8
    SUPPRESS_RULES = 1 << 9
    FOLDERS_FIRST = 1 << 10
    VERSION_SORT = 1 << 11
    TRACK_MODIFIED = 1 << 12
    FANCY_INDEXING = 1 << 13
    TABLE_INDEXING = 1 << 14
    IGNORE_CLIENT = 1 << 15
    IGNORE_CASE = 1 << 16
    EMIT_XHTML = 1 << 17
    SHOW_FORBIDDEN = 1 << 18
    ADDALTCLASS = 1 << 19
    OPTION_UNSET = 1 << 20


_OPTION_WORDS = {
    "fancyindexing": Opt.FANCY_INDEXING, "foldersfirst": Opt.FOLDERS_FIRST,
    "htmltable": Opt.TABLE_INDEXING, "iconsarelinks": Opt.ICONS_ARE_LINKS,
    "ignorecase": Opt.IGNORE_CASE, "ignoreclient": Opt.IGNORE_CLIENT,
    "scanhtmltitles": Opt.SCAN_HTML_TITLES, "suppresscolumnsorting": Opt.SUPPRESS_COLSORT,
    "suppressdescription": Opt.SUPPRESS_DESC, "suppresshtmlpreamble": Opt.SUPPRESS_PREAMBLE,
    "suppressicon": Opt.SUPPRESS_ICON, "suppresslastmodified": Opt.SUPPRESS_LAST_MOD,
    "suppresssize": Opt.SUPPRESS_SIZE, "suppressrules": Opt.SUPPRESS_RULES,
    "trackmodified": Opt.TRACK_MODIFIED, "versionsort": Opt.VERSION_SORT,
    "xhtml": Opt.EMIT_XHTML, "showforbidden": Opt.SHOW_FORBIDDEN,
    "addaltclass": Opt.ADDALTCLASS,
}


class Adjust(enum.Enum):
    """``K_NOADJUST`` / ``K_ADJUST`` (``=*``) / ``K_UNSET``."""

    NOADJUST = 0
    ADJUST = 1
    UNSET = 2


class AutoindexConfigError(ValueError):
    """A directive error, worded as mod_autoindex words it."""


@dataclass(frozen=True, slots=True)
class Item:
    """One ``struct item`` (``push_item``): icon, alt or ignore record.

    *kind* is ``"path"`` (AddIcon/AddAlt), ``"type"``, ``"encoding"`` or
    ``""`` (IndexIgnore).  *apply_path* is the section path plus ``*``.
    """

    kind: str
    apply_to: str
    apply_path: str
    data: str | None = None


@dataclass(frozen=True, slots=True)
class DescEntry:
    """One ``ai_desc_t`` (``add_desc``)."""

    pattern: str
    description: str
    full_path: bool
    wildcards: bool


@dataclass(frozen=True, slots=True)
class AutoindexConfig:
    """``autoindex_config_rec`` for one section (or merged)."""

    opts: Opt = Opt.OPTION_UNSET
    incremented_opts: Opt = Opt(0)
    decremented_opts: Opt = Opt(0)
    name_width: int = DEFAULT_NAME_WIDTH
    name_adjust: Adjust = Adjust.UNSET
    desc_width: int = DEFAULT_DESC_WIDTH
    desc_adjust: Adjust = Adjust.UNSET
    icon_width: int = 0
    icon_height: int = 0
    default_keyid: str = ""
    default_direction: str = ""
    default_icon: str | None = None
    style_sheet: str | None = None
    head_insert: str | None = None
    header: str | None = None
    readme: str | None = None
    ctype: str | None = None
    charset: str | None = None
    datetime_format: str | None = None
    icon_list: tuple[Item, ...] = ()
    alt_list: tuple[Item, ...] = ()
    desc_list: tuple[DescEntry, ...] = ()
    ign_list: tuple[Item, ...] = ()
    ign_noinherit: bool = False


# --- small Apache/APR string helpers -------------------------------------------

def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _ascii_lower(s: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def strcmp_match(s: str, expected: str, *, fold: bool = False) -> int:
    """``ap_strcmp_match`` / ``ap_strcasecmp_match``: ``*`` and ``?`` only.

    Returns 0 (match), 1 (no match) or -1 (abort), as Apache does.
    """
    if fold:                                  # apr_tolower: ASCII only
        s, expected = _ascii_lower(s), _ascii_lower(expected)
    x = y = 0
    ns, ne = len(s), len(expected)
    while y < ne:
        if expected[y] == "*":
            while y < ne and expected[y] == "*":
                y += 1
            if y == ne:
                return 0
            while x < ns:
                ret = strcmp_match(s[x:], expected[y:])
                x += 1
                if ret != 1:
                    return ret
            return -1
        if x >= ns:
            return -1
        if expected[y] != "?" and s[x] != expected[y]:
            return 1
        x += 1
        y += 1
    return 0 if x >= ns else 1


def fnmatch(pattern: str, string: str, *, noescape: bool = False,
            period: bool = False) -> bool:
    """``apr_fnmatch`` without ``APR_FNM_PATHNAME``: ``* ? [...]``, ``\\``
    escapes unless *noescape*, and with *period* a leading ``.`` must be
    matched literally."""

    def rangematch(p: int, test: str) -> int | None:
        negate = p < len(pattern) and pattern[p] in "!^"
        if negate:
            p += 1
        ok = False
        while True:
            if p >= len(pattern):
                return None
            c = pattern[p]
            p += 1
            if c == "]":
                break
            if c == "\\" and not noescape:
                if p >= len(pattern):
                    return None
                c = pattern[p]
                p += 1
            if p + 1 < len(pattern) and pattern[p] == "-" and pattern[p + 1] != "]":
                c2 = pattern[p + 1]
                p += 2
                if c2 == "\\" and not noescape:
                    if p >= len(pattern):
                        return None
                    c2 = pattern[p]
                    p += 1
                if c <= test <= c2:
                    ok = True
            elif c == test:
                ok = True
        return None if ok == negate else p

    def match(p: int, s: int, first: bool) -> bool:
        while True:
            if p >= len(pattern):
                return s >= len(string)
            c = pattern[p]
            p += 1
            leading_dot = period and first and s == 0 and s < len(string) and string[s] == "."
            if c == "?":
                if s >= len(string) or leading_dot:
                    return False
                s += 1
            elif c == "*":
                while p < len(pattern) and pattern[p] == "*":
                    p += 1
                if leading_dot:
                    return False
                if p >= len(pattern):
                    return True
                while s < len(string):
                    if match(p, s, False):
                        return True
                    s += 1
                return False
            elif c == "[":
                if s >= len(string) or leading_dot:
                    return False
                np = rangematch(p, string[s])
                if np is None:
                    return False
                p = np
                s += 1
            else:
                if c == "\\" and not noescape:
                    if p < len(pattern):
                        c = pattern[p]
                        p += 1
                if s >= len(string) or c != string[s]:
                    return False
                s += 1

    return match(0, 0, True)


def _fnmatch_test(pattern: str) -> bool:
    """``apr_fnmatch_test``: does *pattern* contain glob characters?"""
    nesting = 0
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c in "?*":
            return True
        if c == "\\":
            i += 1
            if i >= len(pattern):
                return False
        elif c == "[":
            nesting += 1
        elif c == "]" and nesting:
            return True
        i += 1
    return False


def strfsize(size: int) -> str:
    """``apr_strfsize``: the 4-character size column (``"  - "`` for -1)."""
    if size < 0:
        return "  - "
    if size < 973:
        return f"{size:3d} "
    ords = "KMGTPE"
    o = 0
    while True:
        remain = size & 1023
        size >>= 10
        if size >= 973:
            o += 1
            continue
        if size < 9 or (size == 9 and remain < 973):
            remain = (remain * 5 + 256) // 512
            if remain >= 10:
                size += 1
                remain = 0
            return f"{size}.{remain}{ords[o]}"
        if remain >= 512:
            size += 1
        return f"{size:3d}{ords[o]}"


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def strnatcmp(a: str, b: str, *, fold_case: bool = False) -> int:
    """``apr_strnatcmp`` / ``apr_strnatcasecmp`` on the UTF-8 bytes.

    Characters compare as (signed) ``char``, so bytes >= 0x80 sort *before*
    ASCII -- as Apache does on x86/x86-64.
    """
    ab, bb = _b(a) + b"\0", _b(b) + b"\0"
    ai = bi = 0

    def isdigit(c: int) -> bool:
        return 0x30 <= c <= 0x39

    def isspace(c: int) -> bool:
        return c in b" \t\n\v\f\r"

    def compare_right(i: int, j: int) -> int:
        bias = 0
        while True:
            ca, cb = ab[i], bb[j]
            if not isdigit(ca) and not isdigit(cb):
                return bias
            if not isdigit(ca):
                return -1
            if not isdigit(cb):
                return 1
            if ca < cb and not bias:
                bias = -1
            elif ca > cb and not bias:
                bias = 1
            i += 1
            j += 1

    def compare_left(i: int, j: int) -> int:
        while True:
            ca, cb = ab[i], bb[j]
            if not isdigit(ca) and not isdigit(cb):
                return 0
            if not isdigit(ca):
                return -1
            if not isdigit(cb):
                return 1
            if ca != cb:
                return -1 if ca < cb else 1
            i += 1
            j += 1

    while True:
        ca, cb = ab[ai], bb[bi]
        while isspace(ca):
            ai += 1
            ca = ab[ai]
        while isspace(cb):
            bi += 1
            cb = bb[bi]
        if isdigit(ca) and isdigit(cb):
            fractional = ca == 0x30 or cb == 0x30
            result = compare_left(ai, bi) if fractional else compare_right(ai, bi)
            if result:
                return result
        if not ca and not cb:
            return 0
        if fold_case:
            ca = ca - 32 if 0x61 <= ca <= 0x7A else ca
            cb = cb - 32 if 0x61 <= cb <= 0x7A else cb
        sa, sb = _signed(ca), _signed(cb)
        if sa != sb:
            return -1 if sa < sb else 1
        ai += 1
        bi += 1


def _strcmp(a: str, b: str) -> int:
    x, y = _b(a), _b(b)
    return (x > y) - (x < y)


def _strcasecmp(a: str, b: str) -> int:
    x = bytes(c + 32 if 0x41 <= c <= 0x5A else c for c in _b(a))
    y = bytes(c + 32 if 0x41 <= c <= 0x5A else c for c in _b(b))
    return (x > y) - (x < y)


_OS_PATH_SAFE = frozenset(b"$-_.+!*'(),:;@&=/~")


def os_escape_path(path: str, partial: bool = False) -> str:
    """``ap_os_escape_path``: %-escape (lower-case hex) all but alnum and
    ``$-_.+!*'(),:;@&=/~``; without *partial*, a ``:`` before the first
    ``/`` gets a ``./`` prefix."""
    out = []
    if not partial:
        colon, slash = path.find(":"), path.find("/")
        if colon >= 0 and (slash < 0 or colon < slash):
            out.append("./")
    for c in _b(path):
        if (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A
                or c in _OS_PATH_SAFE):
            out.append(chr(c))
        else:
            out.append(f"%{c:02x}")
    return "".join(out)


def _make_full_path(a: str, b: str) -> str:
    """``ap_make_full_path``."""
    if not a:
        return b
    return a + b if a.endswith("/") else a + "/" + b


# --- configuration (the command table) ----------------------------------------

def _push_item(kind: str, to: str, path: str | None, data: str | None) -> Item:
    """``push_item``: a BY_PATH target without wildcards gets a leading ``*``."""
    apply_path = (path or "") + "*"
    if kind == "path" and not ("*" in to or "?" in to):   # ap_is_matchexp
        to = "*" + to
    return Item(kind, to, apply_path, data)


# NameWidth / DescriptionWidth: (option, field prefix, default, minimum).
_WIDTH_OPTIONS = {
    "namewidth": ("NameWidth", "name", DEFAULT_NAME_WIDTH, 5),
    "descriptionwidth": ("DescriptionWidth", "desc", DEFAULT_DESC_WIDTH, 12),
}


def _width_option(w: str, lw: str, action: str) -> dict[str, object]:
    """``add_opts`` for NameWidth[=n|*] and DescriptionWidth[=n|*]."""
    key, has_value, value = lw.partition("=")
    option, field, default_width, minimum = _WIDTH_OPTIONS[key]
    width_key, adjust_key = f"{field}_width", f"{field}_adjust"
    if not has_value:
        if action != "-":
            raise AutoindexConfigError(
                f"{option} with no value may only appear as '-{option}'")
        return {width_key: default_width, adjust_key: Adjust.NOADJUST}
    if action == "-":
        raise AutoindexConfigError(f"Cannot combine '-' with {option}=n")
    if value[:1] == "*":
        return {adjust_key: Adjust.ADJUST}
    width = c_atoi(w[len(key) + 1:])
    if width and width < minimum:
        raise AutoindexConfigError(f"{option} value must be greater than {minimum}")
    return {width_key: width, adjust_key: Adjust.NOADJUST}


def _index_options(cfg: AutoindexConfig, words: Sequence[str]) -> AutoindexConfig:
    """``add_opts``."""
    opts, opts_add, opts_remove = cfg.opts, cfg.incremented_opts, cfg.decremented_opts
    upd: dict[str, object] = {}
    for w in words:
        action = ""
        if w[:1] in ("+", "-"):
            action, w = w[0], w[1:]
        lw = w.lower()
        option = Opt(0)
        if lw in _OPTION_WORDS:
            option = _OPTION_WORDS[lw]
        elif lw == "none":
            if action:
                raise AutoindexConfigError("Cannot combine '+' or '-' with 'None' keyword")
            opts, opts_add, opts_remove = Opt.NO_OPTIONS, Opt(0), Opt(0)
        elif lw == "iconwidth":
            upd["icon_width"] = DEFAULT_ICON_WIDTH if action != "-" else 0
        elif lw.startswith("iconwidth="):
            if action == "-":
                raise AutoindexConfigError("Cannot combine '-' with IconWidth=n")
            upd["icon_width"] = c_atoi(w[10:])
        elif lw == "iconheight":
            upd["icon_height"] = DEFAULT_ICON_HEIGHT if action != "-" else 0
        elif lw.startswith("iconheight="):
            if action == "-":
                raise AutoindexConfigError("Cannot combine '-' with IconHeight=n")
            upd["icon_height"] = c_atoi(w[11:])
        elif lw.split("=", 1)[0] in _WIDTH_OPTIONS:
            upd.update(_width_option(w, lw, action))
        elif lw.startswith("type="):
            upd["ctype"] = w[5:]
        elif lw.startswith("charset="):
            upd["charset"] = w[8:]
        elif lw == "useolddateformat":
            upd["datetime_format"] = OLD_DATETIME_FORMAT
        else:
            raise AutoindexConfigError("Invalid directory indexing option")
        if not action:
            opts |= option
            opts_add = Opt(0)
            opts_remove = Opt(0)
        elif action == "+":
            opts_add |= option
            opts_remove &= ~option
        else:
            opts_remove |= option
            opts_add &= ~option
    if (opts & Opt.NO_OPTIONS) and (opts & ~Opt.NO_OPTIONS):
        raise AutoindexConfigError("Cannot combine other IndexOptions keywords with 'None'")
    return replace(cfg, opts=opts, incremented_opts=opts_add, decremented_opts=opts_remove,
                   **upd)  # type: ignore[arg-type]


def apply_directive(cfg: AutoindexConfig, name: str, args: Sequence[str], *,
                    section_path: str | None = None) -> AutoindexConfig:
    """Apply one mod_autoindex directive (as written in the config) to *cfg*.

    *section_path* is ``cmd->path``: the ``<Directory>``/``<Location>`` path
    the directive appears in (``None`` at server level).  Raises
    :class:`AutoindexConfigError` with Apache's message on bad arguments.
    """
    n = name.lower()
    if n in ("addicon", "addiconbytype", "addiconbyencoding",
             "addalt", "addaltbytype", "addaltbyencoding"):
        kind = ("type" if n.endswith("bytype")
                else "encoding" if n.endswith("byencoding") else "path")
        is_icon = n.startswith("addicon")
        first, targets = args[0], list(args[1:])
        icons, alts = list(cfg.icon_list), list(cfg.alt_list)
        for to in targets:
            if kind == "path" and to == "**DIRECTORY**":
                to = "^^DIRECTORY^^"
            if kind == "encoding":
                to = to.lower()
            if is_icon:
                icon = first
                if icon.startswith("("):        # (ALT,/icon.gif): add_alt first
                    cl = icon.find(")")
                    if cl < 0:
                        raise AutoindexConfigError("missing closing paren")
                    comma = icon.find(",")
                    if comma < 0:               # ap_getword_nc took it all
                        alt, icon = icon[:cl], ""
                    elif cl < comma:
                        alt, icon = icon[:cl], icon[comma + 1:]
                    else:
                        alt, icon = icon[:comma], icon[comma + 1:cl]
                    alts.append(_push_item(kind, to, section_path, alt[1:]))
                icons.append(_push_item(kind, to, section_path, icon))
            else:
                alts.append(_push_item(kind, to, section_path, first))
        return replace(cfg, icon_list=tuple(icons), alt_list=tuple(alts))
    if n == "adddescription":
        desc, targets = args[0], args[1:]
        entries = list(cfg.desc_list)
        for to in targets:
            full_path = "/" in to
            wildcards = full_path or _fnmatch_test(to)
            if wildcards:
                pattern = ("*/" if full_path else "*") + to + "*"
            else:
                pattern = to
            entries.append(DescEntry(pattern, desc, full_path, wildcards))
        return replace(cfg, desc_list=tuple(entries))
    if n == "indexignore":
        return replace(cfg, ign_list=cfg.ign_list + tuple(
            _push_item("", to, section_path, None) for to in args))
    if n == "indexignorereset":
        return replace(cfg, ign_noinherit=args[0].lower() == "on")
    if n == "indexoptions":
        return _index_options(cfg, args)
    if n == "indexorderdefault":
        direction, key = args[0].lower(), args[1].lower()
        if direction not in ("ascending", "descending"):
            raise AutoindexConfigError("First keyword must be 'Ascending' or 'Descending'")
        keys = {"name": "N", "date": "M", "size": "S", "description": "D"}
        if key not in keys:
            raise AutoindexConfigError(
                "Second keyword must be 'Name', 'Date', 'Size', or 'Description'")
        return replace(cfg, default_direction="A" if direction == "ascending" else "D",
                       default_keyid=keys[key])
    slots = {"headername": "header", "readmename": "readme", "defaulticon": "default_icon",
             "indexstylesheet": "style_sheet", "indexheadinsert": "head_insert"}
    if n in slots:
        return replace(cfg, **{slots[n]: args[0]})
    raise AutoindexConfigError(f"Invalid command '{name}'")


def parse_conf_text(text: str) -> list[tuple[str, list[str]]]:
    """Split simple config text (one directive a line, ``#`` comments,
    quoted words) into ``(name, args)`` pairs."""
    from apyche.semantics.mimetypes import _getword_conf  # same word rules
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = []
        pos = 0
        while pos < len(line):
            w, pos = _getword_conf(line, pos)
            words.append(w)
        out.append((words[0], words[1:]))
    return out


def apply_directives(directives: Iterable[tuple[str, Sequence[str]]], *,
                     section_path: str | None = None,
                     base: AutoindexConfig | None = None) -> AutoindexConfig:
    """Apply ``(name, args)`` pairs in order to *base* (default: a fresh
    ``create_autoindex_config`` record)."""
    cfg = base or AutoindexConfig()
    for name, args in directives:
        cfg = apply_directive(cfg, name, args, section_path=section_path)
    return cfg


def merge_configs(base: AutoindexConfig, add: AutoindexConfig) -> AutoindexConfig:
    """``merge_autoindex_configs``: lists are *add* first, then *base*;
    non-incremental ``IndexOptions`` in *add* replace everything above."""
    if add.opts == Opt.NO_OPTIONS:
        opts, inc, dec = Opt.NO_OPTIONS, Opt(0), Opt(0)
    else:
        if add.opts == Opt.OPTION_UNSET:
            inc = (base.incremented_opts | add.incremented_opts) & ~add.decremented_opts
            dec = base.decremented_opts | add.decremented_opts
            opts = base.opts & ~Opt.NO_OPTIONS
        else:
            opts, inc, dec = add.opts, add.incremented_opts, add.decremented_opts
        opts = (opts | inc) & ~dec
    if add.name_adjust is Adjust.UNSET:
        nw, na = base.name_width, base.name_adjust
    else:
        nw, na = add.name_width, add.name_adjust
    if add.desc_adjust is Adjust.UNSET:
        dw, da = base.desc_width, base.desc_adjust
    else:
        dw, da = add.desc_width, add.desc_adjust
    return AutoindexConfig(
        opts=opts, incremented_opts=inc, decremented_opts=dec,
        name_width=nw, name_adjust=na, desc_width=dw, desc_adjust=da,
        icon_width=add.icon_width or base.icon_width,
        icon_height=add.icon_height or base.icon_height,
        default_keyid=add.default_keyid or base.default_keyid,
        default_direction=add.default_direction or base.default_direction,
        default_icon=add.default_icon if add.default_icon is not None else base.default_icon,
        style_sheet=add.style_sheet if add.style_sheet is not None else base.style_sheet,
        head_insert=add.head_insert if add.head_insert is not None else base.head_insert,
        header=add.header if add.header is not None else base.header,
        readme=add.readme if add.readme is not None else base.readme,
        ctype=add.ctype if add.ctype is not None else base.ctype,
        charset=add.charset if add.charset is not None else base.charset,
        datetime_format=(add.datetime_format if add.datetime_format is not None
                         else base.datetime_format),
        icon_list=add.icon_list + base.icon_list, alt_list=add.alt_list + base.alt_list,
        desc_list=add.desc_list + base.desc_list,
        ign_list=add.ign_list if add.ign_noinherit else add.ign_list + base.ign_list,
        ign_noinherit=add.ign_noinherit,
    )


def effective_options(cfg: AutoindexConfig) -> Opt:
    """The option bits ``index_directory`` sees: ``opts`` with the
    incremental ``+``/``-`` settings applied (what merging with the server
    defaults does)."""
    return (cfg.opts | cfg.incremented_opts) & ~cfg.decremented_opts


# --- lookups ----------------------------------------------------------------------

def _find_item(content_type: str | None, content_encoding: str | None, path: str,
               items: Sequence[Item], path_only: bool) -> str | None:
    """``find_item``: first item whose path and target match."""
    for p in items:
        if path.startswith("^") or strcmp_match(path, p.apply_path) == 0:
            if not p.apply_to:
                return p.data
            if p.kind == "path" or path.startswith("^"):
                if strcmp_match(path, p.apply_to) == 0:
                    return p.data
            elif not path_only:
                if not content_encoding:
                    if p.kind == "type" and content_type and \
                            strcmp_match(content_type, p.apply_to, fold=True) == 0:
                        return p.data
                elif p.kind == "encoding" and \
                        strcmp_match(content_encoding, p.apply_to, fold=True) == 0:
                    return p.data
    return None


def _find_desc(cfg: AutoindexConfig, filename_full: str) -> str | None:
    """``find_desc``."""
    slash = filename_full.rfind("/")
    filename_only = filename_full[slash + 1:] if slash >= 0 else filename_full
    for t in cfg.desc_list:
        fn = filename_full if t.full_path else filename_only
        if (fnmatch(t.pattern, fn) if t.wildcards else t.pattern in fn):
            return t.description
    return None


def _ignore_entry(cfg: AutoindexConfig, path: str) -> bool:
    """``ignore_entry``: match the full path against the section and the
    last component against the pattern's last component."""
    tt = path[path.rfind("/") + 1:]
    for p in cfg.ign_list:
        ap = p.apply_to[p.apply_to.rfind("/") + 1:]
        if strcmp_match(path, p.apply_path) == 0 and strcmp_match(tt, ap) == 0:
            return True
    return False


def find_title(html: bytes) -> str | None:
    """``find_title`` (ScanHTMLTitles) over the first 8191 bytes of a
    ``text/html`` file: the text after ``<title>`` up to the next ``<``,
    CR/LF turned into spaces (a leading one dropped)."""
    buf = html[:8191]
    nul = buf.find(b"\0")
    if nul >= 0:
        buf = buf[:nul]
    if not buf:
        return None
    find = b"<title>"
    p = 0
    x = 0
    while x < len(buf):
        c = buf[x]
        if (c + 32 if 0x41 <= c <= 0x5A else c) == find[p]:
            p += 1
            if p == len(find):
                x += 1
                rest = buf[x:]
                lt = rest.find(b"<")
                if lt >= 0:
                    rest = rest[:lt]
                out = bytearray()
                for i, ch in enumerate(rest):
                    if ch in (13, 10):
                        if i == 0 and not out:
                            continue
                        out.append(32)
                    else:
                        out.append(ch)
                return _s(bytes(out))
        else:
            p = 0
        x += 1
    return None


# --- inputs -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DirEntry:
    """One directory member as the sub-request for it sees it.

    *content_type* / *content_encoding* are what mod_mime set on the
    sub-request (:func:`entries_from_listing` fills them); *status* is the
    sub-request status (403/401 entries are hidden unless ShowForbidden,
    and then get no type/encoding-based icon or alt, since the sub-request
    stopped before mod_mime ran; other non-2xx/3xx are always hidden).  *title* is what ScanHTMLTitles would find
    (used only with that option and when no AddDescription matches).
    *is_regular* false means "neither file nor directory" (hidden).
    """

    name: str
    is_dir: bool = False
    size: int = 0
    mtime: float = 0
    content_type: str | None = None
    content_encoding: str | None = None
    status: int = 200
    is_regular: bool = True
    title: str | None = None


@dataclass(frozen=True, slots=True)
class IncludedFile:
    """A HeaderName/ReadmeName file found by the sub-request.

    *is_html*: its type was ``text/html``/``application/xhtml+xml`` (the
    body is inserted as is -- SSI output if the caller ran it); otherwise a
    ``text/*`` file, inserted inside ``<pre>`` with ``< > &`` escaped.
    Other types, or no file, should be passed as ``None``.  *ok* false
    stands for an HTML sub-request that failed to run.
    """

    content: str
    is_html: bool
    ok: bool = True


@dataclass(frozen=True, slots=True)
class IndexRequest:
    """What ``index_directory`` reads from the request.

    *uri* is ``r->uri`` (decoded path); *filename* ``r->filename`` (the
    directory's filesystem path; a ``/`` is appended as the handler does);
    *args* the raw query string (``None`` when absent).
    """

    uri: str
    filename: str
    args: str | None = None


def entries_from_listing(listing: Iterable[tuple], types: Mapping[str, str],
                         extensions: Mapping[str, ExtensionInfo] | None = None,
                         ) -> list[DirEntry]:
    """Build :class:`DirEntry` items from ``(name, is_dir, size, mtime)``
    tuples, running :func:`find_ct` as the sub-request's mod_mime would."""
    out = []
    for name, is_dir, size, mtime, *rest in listing:
        if is_dir:
            out.append(DirEntry(name, True, size, mtime, "httpd/unix-directory", None))
        else:
            m = find_ct(name, types, extensions)
            out.append(DirEntry(name, False, size, mtime, m.content_type, m.encoding,
                                title=rest[0] if rest else None))
    return out


# --- the query string ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Query:
    keyid: str
    direction: str
    opts: Opt
    pattern: str | None
    colargs: str


def parse_query(args: str | None, opts: Opt, keyid: str = "N",
                direction: str = "A") -> _Query:
    """The query-string loop of ``index_directory``."""
    if opts & Opt.IGNORE_CLIENT:
        return _Query(keyid, direction, opts | Opt.SUPPRESS_COLSORT, None, "")
    fval = vval = ppre = epattern = ""
    pstring: str | None = None
    q = args or ""
    i = 0

    def at(k: int) -> str:
        return q[k] if k < len(q) else ""

    def sep_ok(k: int) -> bool:
        return at(k) in ("&", ";", "")

    while i < len(q):
        c0, c1, c2 = at(i), at(i + 1), at(i + 2)
        step = 4 if at(i + 3) else 3
        if c0 == "C" and c1 == "=" and c2 and c2 in "NMSD" and sep_ok(i + 3):
            keyid = c2
            i += step
        elif c0 == "O" and c1 == "=" and c2 in ("A", "D") and c2 and sep_ok(i + 3):
            direction = c2
            i += step
        elif c0 == "F" and c1 == "=" and c2 and c2 in "012" and sep_ok(i + 3):
            if c2 == "0":
                opts &= ~(Opt.FANCY_INDEXING | Opt.TABLE_INDEXING)
            elif c2 == "1":
                opts = (opts | Opt.FANCY_INDEXING) & ~Opt.TABLE_INDEXING
            else:
                opts |= Opt.FANCY_INDEXING | Opt.TABLE_INDEXING
            fval = ";F=" + c2
            i += step
        elif c0 == "V" and c1 == "=" and c2 in ("0", "1") and c2 and sep_ok(i + 3):
            if c2 == "0":
                opts &= ~Opt.VERSION_SORT
            else:
                opts |= Opt.VERSION_SORT
            vval = ";V=" + c2
            i += step
        elif c0 == "P" and c1 == "=":
            i += 2
            eos = i
            while eos < len(q) and q[eos] not in "&;":
                eos += 1
            if eos == i:
                pstring = None
            else:
                raw, status = unescape_url(q[i:eos], forbid_slashes=True)
                if status:
                    pstring = None        # ignore the pattern, if it's bad
                else:
                    pstring = _s(raw)
                    ppre = ";P="
                    epattern = os_escape_path(pstring, partial=True)   # ap_escape_uri
            if eos < len(q) and eos + 1 < len(q):
                i = eos + 1
            else:
                break
        else:
            break    # Syntax error?  Ignore the remainder!
    return _Query(keyid, direction, opts, pstring, fval + vval + ppre + epattern)


# --- entries ------------------------------------------------------------------------

@dataclass(slots=True)
class _Ent:
    name: str
    icon: str | None = None
    alt: str | None = None
    desc: str | None = None
    size: int = -1
    lm: float = -1
    isdir: bool = False
    ascending: bool = True
    ignore_case: bool = False
    version_sort: bool = False
    key: str = "N"


def _parent_entry(opts: Opt, cfg: AutoindexConfig, req: IndexRequest, filename: str,
                  keyid: str, direction: str) -> _Ent | None:
    """``make_parent_entry``."""
    name, ok = normalize_path(_b(_make_full_path(req.uri, "../")), merge_slashes=False,
                              decode_unreserved=False, not_above_root=True,
                              allow_relative=True)
    if not ok or not name:
        return None
    testpath = _make_full_path(filename, "..")
    if _ignore_entry(cfg, testpath):
        return None
    p = _Ent(_s(name), key=keyid.upper(), ascending=direction.upper() == "A",
             version_sort=bool(opts & Opt.VERSION_SORT))
    if opts & Opt.FANCY_INDEXING:
        p.icon = (_find_item(None, None, testpath, cfg.icon_list, True)
                  or _find_item(None, None, "^^DIRECTORY^^", cfg.icon_list, True))
        p.alt = (_find_item(None, None, testpath, cfg.alt_list, True)
                 or _find_item(None, None, "^^DIRECTORY^^", cfg.alt_list, True)
                 or "PARENTDIR")
        p.desc = _find_desc(cfg, testpath)
    return p


def _autoindex_entry(e: DirEntry, opts: Opt, cfg: AutoindexConfig, filename: str,
                     keyid: str, direction: str, pattern: str | None) -> _Ent | None:
    """``make_autoindex_entry``."""
    if e.name in (".", ".."):
        return None
    if pattern is not None and not fnmatch(pattern, e.name, noescape=True, period=True):
        return None
    full = _make_full_path(filename, e.name)
    if _ignore_entry(cfg, full):
        return None
    show_forbidden = bool(opts & Opt.SHOW_FORBIDDEN) and e.status in (401, 403)
    if not e.is_regular or not (200 <= e.status < 400 or show_forbidden):
        return None
    p = _Ent(e.name + "/" if e.is_dir else e.name, key=keyid.upper(),
             ascending=direction.upper() == "A",
             version_sort=bool(opts & Opt.VERSION_SORT),
             ignore_case=bool(opts & Opt.IGNORE_CASE))
    rr_filename = full
    if opts & (Opt.FANCY_INDEXING | Opt.TABLE_INDEXING):
        p.lm = e.mtime
        if e.is_dir:
            p.isdir = bool(opts & Opt.FOLDERS_FIRST)
            # rr->filename is the directory path without its trailing slash
            rr_filename = full.rstrip("/") if full.endswith("/") else full
            p.icon = (_find_item(None, None, rr_filename, cfg.icon_list, True)
                      or _find_item(None, None, "^^DIRECTORY^^", cfg.icon_list, True))
            p.alt = (_find_item(None, None, rr_filename, cfg.alt_list, True)
                     or _find_item(None, None, "^^DIRECTORY^^", cfg.alt_list, True)
                     or "DIR")
        else:
            ctype = e.content_type.split(";")[0].strip() if e.content_type else None
            encoding = e.content_encoding
            if show_forbidden:
                # the sub-request stopped at the access check, before mod_mime's
                # type_checker: only path-based icons/alts can match
                ctype = encoding = None
            p.icon = _find_item(ctype, encoding, rr_filename, cfg.icon_list, False)
            p.alt = _find_item(ctype, encoding, rr_filename, cfg.alt_list, False)
            p.size = e.size
        p.desc = _find_desc(cfg, rr_filename)
        if p.desc is None and opts & Opt.SCAN_HTML_TITLES:
            p.desc = e.title
    if keyid == "M" and p.lm < 0:
        p.lm = 0
    return p


def _dsortf(e1: _Ent, e2: _Ent) -> int:
    """``dsortf``."""
    if e1.name.startswith("/"):
        return -1
    if e2.name.startswith("/"):
        return 1
    if e1.isdir != e2.isdir:
        return -1 if e1.isdir else 1
    c1, c2 = (e1, e2) if e1.ascending else (e2, e1)
    if c1.key == "M":
        if c1.lm != c2.lm:
            return 1 if c1.lm > c2.lm else -1
    elif c1.key == "S":
        if c1.size != c2.size:
            return 1 if c1.size > c2.size else -1
    elif c1.key == "D":
        d1, d2 = c1.desc or "", c2.desc or ""
        result = strnatcmp(d1, d2) if c1.version_sort else _strcmp(d1, d2)
        if result:
            return result
    result = 0
    if c1.version_sort:
        if c1.ignore_case:
            result = strnatcmp(c1.name, c2.name, fold_case=True)
        if not result:
            result = strnatcmp(c1.name, c2.name)
    if not result and c1.ignore_case:
        result = _strcasecmp(c1.name, c2.name)
    if not result:
        result = _strcmp(c1.name, c2.name)
    return result


def _terminate_description(cfg: AutoindexConfig, desc: str, opts: Opt, desc_width: int) -> str:
    """``terminate_description``: cut to *desc_width* visible bytes (tags
    free, an entity counts one), marking a cut with ``>``."""
    maxsize = desc_width
    if cfg.desc_adjust is Adjust.UNSET:
        if opts & Opt.SUPPRESS_ICON:
            maxsize += 6
        if opts & Opt.SUPPRESS_LAST_MOD:
            maxsize += 19
        if opts & Opt.SUPPRESS_SIZE:
            maxsize += 7
    d = _b(desc)
    n = len(d)

    def at(k: int) -> int:
        return d[k] if 0 <= k < n else 0

    x = 0
    while at(x) and (maxsize > 0 or at(x) == 0x3C):
        if at(x) == 0x3C:            # '<'
            while at(x) != 0x3E:
                if not at(x):
                    maxsize = 0
                    break
                x += 1
        elif at(x) == 0x26:          # '&'
            maxsize -= 1
            while at(x) != 0x3B:
                if not at(x):
                    maxsize = 0
                    break
                x += 1
        else:
            maxsize -= 1
        x += 1
    if not maxsize and at(x) and x >= 1:
        d = d[:x - 1] + b">"
    return _s(d)


def _emit_link(anchor: str, column: str, curkey: str, curdirection: str,
               colargs: str, nosort: bool) -> str:
    """``emit_link``: the active column's link reverses the order."""
    if nosort:
        return anchor
    order = "D" if curkey == column and curdirection == "A" else "A"
    return f'<a href="?C={column};O={order}{colargs}">{anchor}</a>'


def _img_attrs(cfg: AutoindexConfig, opts: Opt) -> str:
    s = ""
    if cfg.icon_width:
        s += f' width="{cfg.icon_width}"'
    if cfg.icon_height:
        s += f' height="{cfg.icon_height}"'
    if opts & Opt.EMIT_XHTML:
        s += " /"
    return s


def _truncate(t2: str, name_width: int) -> tuple[str, int]:
    tb = _b(t2)
    if len(tb) > name_width:
        return _s(tb[:name_width - 3] + b"..>"), name_width
    return t2, len(tb)


def _output_directories(ar: list[_Ent], cfg: AutoindexConfig, opts: Opt, keyid: str,
                        direction: str, colargs: str, localtime: Callable) -> str:
    """``output_directories``."""
    out: list[str] = []
    w = out.append
    static_columns = bool(opts & Opt.SUPPRESS_COLSORT)
    name_width, desc_width = cfg.name_width, cfg.desc_width
    fmt = cfg.datetime_format or DEFAULT_DATETIME_FORMAT
    ss = cfg.style_sheet is not None
    xhtml = bool(opts & Opt.EMIT_XHTML)
    breakrow = ""
    if opts & (Opt.FANCY_INDEXING | Opt.TABLE_INDEXING) == Opt.FANCY_INDEXING:
        if cfg.name_adjust is Adjust.ADJUST:
            for e in ar:
                name_width = max(name_width, len(_b(e.name)))
        if cfg.desc_adjust is Adjust.ADJUST:
            for e in ar:
                if e.desc is not None:
                    desc_width = max(desc_width, len(_b(e.desc)))
    pad = " " * name_width

    def link(anchor: str, col: str) -> str:
        return _emit_link(anchor, col, keyid, direction, colargs, static_columns)

    def fmt_time(lm: float) -> str:
        return time.strftime(fmt, localtime(int(lm)))

    blank = _find_item(None, None, "^^BLANKICON^^", cfg.icon_list, True)
    if opts & Opt.TABLE_INDEXING:
        cols = 1
        w('  <table id="indexlist">\n   <tr class="indexhead">' if ss else "  <table>\n   <tr>")
        if not opts & Opt.SUPPRESS_ICON:
            w('<th class="indexcolicon">' if ss else '<th valign="top">')
            if blank:
                w(f'<img src="{escape_html(blank)}" alt="[ICO]"{_img_attrs(cfg, opts)}></th>')
            else:
                w("&nbsp;</th>")
            cols += 1
        w('<th class="indexcolname">' if ss else "<th>")
        w(link("Name", "N"))
        if not opts & Opt.SUPPRESS_LAST_MOD:
            w('</th><th class="indexcollastmod">' if ss else "</th><th>")
            w(link("Last modified", "M"))
            cols += 1
        if not opts & Opt.SUPPRESS_SIZE:
            w('</th><th class="indexcolsize">' if ss else "</th><th>")
            w(link("Size", "S"))
            cols += 1
        if not opts & Opt.SUPPRESS_DESC:
            w('</th><th class="indexcoldesc">' if ss else "</th><th>")
            w(link("Description", "D"))
            cols += 1
        if not opts & Opt.SUPPRESS_RULES:
            brclass = ' class="indexbreakrow"' if ss else ""
            hr_end = " /" if xhtml else ""
            breakrow = f'   <tr{brclass}><th colspan="{cols}"><hr{hr_end}></th></tr>\n'
        w("</th></tr>\n" + breakrow)
    elif opts & Opt.FANCY_INDEXING:
        w("<pre>")
        if not opts & Opt.SUPPRESS_ICON:
            if blank:
                w(f'<img src="{escape_html(blank)}" alt="Icon "{_img_attrs(cfg, opts)}> ')
            else:
                w("      ")
        w(link("Name", "N"))
        w(pad[4:])
        w(" ")
        if not opts & Opt.SUPPRESS_LAST_MOD:
            w(link("Last modified", "M"))
            w("      ")
        if not opts & Opt.SUPPRESS_SIZE:
            w(link("Size", "S"))
            w("  ")
        if not opts & Opt.SUPPRESS_DESC:
            w(link("Description", "D"))
        if not opts & Opt.SUPPRESS_RULES:
            w("<hr /" + ">" if xhtml else "<hr>")
        else:
            w("\n")
    else:
        w("<ul>")

    for x, e in enumerate(ar):
        t = e.name
        anchor = escape_html(os_escape_path(t, partial=False))
        t2 = "Parent Directory" if x == 0 and t.startswith("/") else t
        icon = e.icon or cfg.default_icon
        if opts & Opt.TABLE_INDEXING:
            if ss:
                if e.alt and opts & Opt.ADDALTCLASS:
                    w(f'   <tr class="{"odd-" if x & 1 else "even-"}{e.alt.lower()}">')
                else:
                    w(f'   <tr class="{"odd" if x & 1 else "even"}">')
            else:
                w("<tr>")
            if not opts & Opt.SUPPRESS_ICON:
                w('<td class="indexcolicon">' if ss else '<td valign="top">')
                if opts & Opt.ICONS_ARE_LINKS:
                    w(f'<a href="{anchor}">')
                if icon:
                    w(f'<img src="{escape_html(icon)}" alt="[{e.alt if e.alt else "   "}]"'
                      f'{_img_attrs(cfg, opts)}>')
                else:
                    w("&nbsp;")
                w("</a></td>" if opts & Opt.ICONS_ARE_LINKS else "</td>")
            td_name = '<td class="indexcolname">' if ss else "<td>"
            if cfg.name_adjust is Adjust.ADJUST:
                w(f'{td_name}<a href="{anchor}">{escape_html(t2)}</a>')
            else:
                t2, nwidth = _truncate(t2, name_width)
                w(f'{td_name}<a href="{anchor}">{escape_html(t2)}</a>{pad[nwidth:]}')
            if not opts & Opt.SUPPRESS_LAST_MOD:
                if e.lm != -1:
                    w(('</td><td class="indexcollastmod">' if ss else '</td><td align="right">')
                      + fmt_time(e.lm) + "  ")
                else:
                    w('</td><td class="indexcollastmod">&nbsp;' if ss else "</td><td>&nbsp;")
            if not opts & Opt.SUPPRESS_SIZE:
                w(('</td><td class="indexcolsize">' if ss else '</td><td align="right">')
                  + strfsize(e.size))
            if not opts & Opt.SUPPRESS_DESC:
                td = '</td><td class="indexcoldesc">' if ss else "</td><td>"
                if e.desc:
                    if cfg.desc_adjust is Adjust.ADJUST:
                        w(td + e.desc)
                    else:
                        w(td + _terminate_description(cfg, e.desc, opts, desc_width))
                else:
                    w(td + "&nbsp;")
            w("</td></tr>\n")
        elif opts & Opt.FANCY_INDEXING:
            if not opts & Opt.SUPPRESS_ICON:
                if opts & Opt.ICONS_ARE_LINKS:
                    w(f'<a href="{anchor}">')
                if icon:
                    w(f'<img src="{escape_html(icon)}" alt="[{e.alt if e.alt else "   "}]"'
                      f'{_img_attrs(cfg, opts)}>')
                else:
                    w("     ")
                w("</a> " if opts & Opt.ICONS_ARE_LINKS else " ")
            t2, nwidth = _truncate(t2, name_width)
            w(f'<a href="{anchor}">{escape_html(t2)}</a>{pad[nwidth:]} ')
            if not opts & Opt.SUPPRESS_LAST_MOD:
                if e.lm != -1:
                    w(fmt_time(e.lm) + "  ")
                else:
                    w(" " * 19)
            if not opts & Opt.SUPPRESS_SIZE:
                w(strfsize(e.size) + "  ")
            if not opts & Opt.SUPPRESS_DESC and e.desc:
                w(_terminate_description(cfg, e.desc, opts, desc_width))
            w("\n")
        else:
            w(f'<li><a href="{anchor}"> {escape_html(t2)}</a></li>\n')

    if opts & Opt.TABLE_INDEXING:
        w(breakrow + "</table>\n")
    elif opts & Opt.FANCY_INDEXING:
        if not opts & Opt.SUPPRESS_RULES:
            w(("<hr />" if xhtml else "<hr>") + "</pre>\n")
        else:
            w("</pre>\n")
    else:
        w("</ul>\n")
    return "".join(out)


def _emit_plain(text: str) -> str:
    """``do_emit_plain``."""
    return ("<pre>\n" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            + "</pre>\n")


def _preamble(cfg: AutoindexConfig, xhtml: bool, title: str) -> str:
    """``emit_preamble``."""
    if xhtml:
        s = (DOCTYPE_XHTML + '<html xmlns="http://www.w3.org/1999/xhtml">\n'
             f" <head>\n  <title>Index of {title}</title>\n")
    else:
        s = DOCTYPE_HTML + f"<html>\n <head>\n  <title>Index of {title}</title>\n"
    if cfg.style_sheet is not None:
        s += (f'  <link rel="stylesheet" href="{cfg.style_sheet}" type="text/css"'
              + (" />\n" if xhtml else ">\n"))
    if cfg.head_insert is not None:
        s += cfg.head_insert
    return s + " </head>\n <body>\n"


def index_content_type(cfg: AutoindexConfig) -> str:
    """The Content-Type ``index_directory`` sets: ``IndexOptions Type=`` (default
    ``text/html``) with ``;charset=`` ``Charset=`` (default ``ISO-8859-1``
    on Unix, where ``APR_HAS_UNICODE_FS`` is 0); ``Charset=`` empty drops
    the parameter."""
    ctype = cfg.ctype or "text/html"
    charset = cfg.charset if cfg.charset is not None else "ISO-8859-1"
    return f"{ctype};charset={charset}" if charset else ctype


def render_index(req: IndexRequest, entries: Iterable[DirEntry], cfg: AutoindexConfig, *,
                 header: IncludedFile | None = None, readme: IncludedFile | None = None,
                 signature: str = "",
                 localtime: Callable[[int], time.struct_time] = time.localtime,
                 ) -> tuple[str, str]:
    """Port of ``index_directory`` + ``output_directories`` + ``emit_head``/
    ``emit_tail``.

    Given the request, the directory members, the merged config, the
    HeaderName/ReadmeName files the caller found (``None`` when absent or
    not text), and the ``ServerSignature`` footer (``ap_psignature("", r)``:
    :func:`apyche.semantics.errorpages.signature` with ``prefix=""``),
    return ``(body, content_type)``.  *localtime* is ``apr_time_exp_lt``
    (the server's time zone).  For HEAD, the caller sends the headers only.
    """
    opts = effective_options(cfg)
    keyid = cfg.default_keyid or "N"
    direction = cfg.default_direction or "A"
    q = parse_query(req.args, opts, keyid, direction)
    opts, keyid, direction = q.opts, q.keyid, q.direction
    filename = req.filename if req.filename.endswith("/") else req.filename + "/"

    title = escape_html(req.uri)
    while len(title) > 1 and title.endswith("/"):
        title = title[:-1]
    suppress_amble = bool(opts & Opt.SUPPRESS_PREAMBLE)
    xhtml = bool(opts & Opt.EMIT_XHTML)

    parts: list[str] = []
    # emit_head
    emit_amble = emit_h1 = True
    if header is not None:
        if header.is_html:
            emit_amble = emit_h1 = False
            if not suppress_amble:
                parts.append(_preamble(cfg, xhtml, title))
            if header.ok:
                parts.append(header.content)
            else:
                emit_amble, emit_h1 = suppress_amble, True
        else:
            parts.append(_preamble(cfg, xhtml, title))
            emit_amble = False
            parts.append(_emit_plain(header.content))
            emit_h1 = False
    if emit_amble:
        parts.append(_preamble(cfg, xhtml, title))
    if emit_h1:
        if cfg.style_sheet is not None:
            parts.append(f'  <h1 id="indextitle">Index of {title}</h1>\n')
        else:
            parts.append(f"<h1>Index of {title}</h1>\n")

    ar: list[_Ent] = []
    p = _parent_entry(opts, cfg, req, filename, keyid, direction)
    if p is not None:
        ar.append(p)
    for e in entries:
        ent = _autoindex_entry(e, opts, cfg, filename, keyid, direction, q.pattern)
        if ent is not None:
            ar.append(ent)
    ar.sort(key=functools.cmp_to_key(_dsortf))
    parts.append(_output_directories(ar, cfg, opts, keyid, direction, q.colargs, localtime))

    # emit_tail
    suppress_sig = suppress_post = False
    if readme is not None:
        if readme.is_html:
            if readme.ok:
                parts.append(readme.content)
                suppress_sig = True
                suppress_post = suppress_amble
        else:
            parts.append(_emit_plain(readme.content))
            suppress_sig = True
    if not suppress_sig:
        parts.append(signature)
    if not suppress_post:
        parts.append("</body></html>\n")
    return "".join(parts), index_content_type(cfg)
