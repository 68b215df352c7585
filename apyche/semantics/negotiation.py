"""Content negotiation as ``mod_negotiation`` does it (MultiViews, type maps).

Theory of operation
-------------------
``mod_negotiation`` (``modules/mappers/mod_negotiation.c``) has two entry
points, and this module mirrors both without touching the filesystem:

* **MultiViews** (``handle_multi`` → ``read_types_multi``): the requested
  file does not exist, so every directory member named ``<base>.<more>`` is
  run through mod_mime in a sub-request; a member qualifies when each
  extension mod_mime did not recognise (the "exceptions list") matches the
  requested name's own segments in order.  :func:`find_variants` does this
  from a directory listing and :func:`apyche.semantics.mimetypes.find_ct`.
* **Type maps** (``handle_map_file`` → ``read_type_map``): an RFC 822-ish
  file of ``URI:``/``Content-*:``/``Description:``/``Body:`` records;
  :func:`parse_type_map` reads it with Apache's line rules and error texts.

Both give a list of :class:`Variant`; :func:`negotiate` then runs
``do_negotiation``: decide whether the resource is *transparently*
negotiable (GET/HEAD, no path info, no ``/`` in a variant name, no ``Body:``
variant), read the ``Negotiate`` header (``parse_negotiate_header``), add
the default ``Accept: */*`` and the CGI pseudo-type
(``maybe_add_default_accepts``), and run ``best_match`` with either
Apache's own algorithm (``is_variant_better``) or RVSA/1.0
(``is_variant_better_rvsa``, only for ``Negotiate: 1.0``).

What a plain browser gets from 2.4.71 for a GET (verified against Debian's
apache2): a choice is ``200`` with ``Content-Location: <variant>``,
``Vary: negotiate,accept,...`` and ``TCN: choice``; no acceptable variant is
``406`` with ``Alternates``, ``Vary``, ``TCN: list`` and the variant list
in the body.  ``300`` is sent only to user agents that announce TCN support
with a ``Negotiate`` header (``trans``, ``vlist``, ``guess-small``, a
version, ``*``) when no choice is made -- always for ``Negotiate: trans``
(``may_choose`` is off).  Non-GET methods and non-transparent type maps get
``Vary`` without ``negotiate``, no ``TCN`` and no ``Content-Location``.
``Vary`` lists exactly the dimensions in which *some* variants differ
(``set_neg_headers``); on the wire ``fixup_vary`` joins it with ``,``.

Quality arithmetic is done in IEEE single precision, as Apache's ``float``
fields are, so ties break exactly as in C.

Theory of the "fiddles" (``dont_fiddle_headers`` is off unless the client
sent ``Negotiate: 1.0`` or ``*``): without any explicit ``q`` in Accept,
``*/*`` matches count 0.01 and ``type/*`` 0.02; variants without a language
get q 0.0001 when some variant has one; ``Accept-Language: en-GB`` matches
``en`` variants at 0.001; text variants without a charset are taken as
ISO-8859-1 for ``Accept-Charset``.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from apyche.config.values import c_atoi
from apyche.semantics.errorpages import escape_html
from apyche.semantics.mimetypes import ExtensionInfo, find_ct

__all__ = [
    "MAP_FILE_MAGIC_TYPE",
    "CGI_MAGIC_TYPE",
    "INCLUDES_MAGIC_TYPE",
    "INCLUDES_MAGIC_TYPE3",
    "MultiviewsMatch",
    "ForceLanguagePriority",
    "AcceptRec",
    "Variant",
    "ListingEntry",
    "FindVariantsResult",
    "TypeMap",
    "NegotiationResult",
    "parse_accept",
    "get_token",
    "atoq",
    "escape_path_segment",
    "find_variants",
    "parse_type_map",
    "negotiate",
    "make_variant_list",
    "fix_encoding",
    "map_redirect_target",
]

MAP_FILE_MAGIC_TYPE = "application/x-type-map"
CGI_MAGIC_TYPE = "application/x-httpd-cgi"
INCLUDES_MAGIC_TYPE = "text/x-server-parsed-html"
INCLUDES_MAGIC_TYPE3 = "text/x-server-parsed-html3"
MAX_STRING_LEN = 8192


def _f(x: float) -> float:
    """Round to IEEE single precision (C ``float``)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _mul(*xs: float) -> float:
    """Left-to-right ``float`` product, rounded at each step as C does."""
    acc = xs[0]
    for x in xs[1:]:
        acc = _f(acc * x)
    return acc


F_001 = _f(0.01)
F_002 = _f(0.02)
F_0001 = _f(0.001)
F_00001 = _f(0.0001)
F_HALF = _f(0.5)


class MultiviewsMatch(enum.Enum):
    """``MultiviewsMatch`` (mod_mime): which extensions count as known."""

    NEGOTIATED_ONLY = "negotiatedonly"
    HANDLERS = "handlers"
    FILTERS = "filters"
    ANY = "any"


class ForceLanguagePriority(enum.Flag):
    """``ForceLanguagePriority`` flags (``FLP_*``); unset means Prefer."""

    NONE = 1
    PREFER = 2
    FALLBACK = 4


# --- tokens and header lines -----------------------------------------------------

def _isspace(c: str) -> bool:
    return c in " \t\n\v\f\r"


def get_token(line: str, pos: int = 0, accept_white: bool = False) -> tuple[str, int]:
    """``ap_get_token``: next token (stops at ``;`` ``,`` and, unless
    *accept_white*, whitespace; quoted strings are skipped over), and the
    position of the next non-white character."""
    n = len(line)
    while pos < n and _isspace(line[pos]):
        pos += 1
    start = pos
    while pos < n and (accept_white or not _isspace(line[pos])) and line[pos] not in ";,":
        c = line[pos]
        pos += 1
        if c == '"':
            while pos < n:
                c = line[pos]
                pos += 1
                if c == '"':
                    break
    tok = line[start:pos]
    while pos < n and _isspace(line[pos]):
        pos += 1
    return tok, pos


def atoq(s: str | None) -> float:
    """``atoq``: a q-value with at most three decimals.  Anything that does
    not start (after spaces) with ``0`` or ``.`` counts as 1 (``"1"``,
    ``"2"``, ``"abc"``); ``"0"`` and ``"0x"`` are 0.  A third decimal of
    ``0`` ends the scan, as in Apache (``> '0'``)."""
    if not s:
        return 1.0
    i, n = 0, len(s)
    while i < n and _isspace(s[i]):
        i += 1
    c = s[i] if i < n else ""
    if c != ".":
        if c != "0":
            return 1.0
        i += 1
    if i < n and s[i] == ".":
        v = 0
        i += 1
        if i < n and "0" <= s[i] <= "9":
            v += (ord(s[i]) - 48) * 100
            i += 1
            if i < n and "0" <= s[i] <= "9":
                v += (ord(s[i]) - 48) * 10
                i += 1
                if i < n and "0" < s[i] <= "9":
                    v += ord(s[i]) - 48
        return _f(float(v) / 1000.0)
    return 0.0


@dataclass(frozen=True, slots=True)
class AcceptRec:
    """``accept_rec``: one item of an Accept-* header or a Content-Type."""

    name: str
    quality: float = 1.0
    level: float = 0.0
    charset: str = ""


def _get_entry(line: str, pos: int = 0) -> tuple[AcceptRec, int]:
    """``get_entry``: one media range with its parameters."""
    name, pos = get_token(line, pos, False)
    name = name.lower()
    quality, level, charset = 1.0, 0.0, ""
    # KLUDGE!!! Default HTML to level 2.0 unless the browser says otherwise.
    if name == "text/html" or name == INCLUDES_MAGIC_TYPE:
        level = 2.0
    elif name == INCLUDES_MAGIC_TYPE3:
        level = 3.0
    while pos < len(line) and line[pos] == ";":
        pos += 1
        parm, pos = get_token(line, pos, True)
        k = 0
        while k < len(parm) and not _isspace(parm[k]) and parm[k] != "=":
            k += 1
        if k >= len(parm):
            continue                      # No '='; just ignore it.
        pname = parm[:k].lower()
        k += 1
        while k < len(parm) and (_isspace(parm[k]) or parm[k] == "="):
            k += 1
        if k < len(parm) and parm[k] == '"':
            k += 1
            end = k
            while end < len(parm) and parm[end] not in '\n\r"':
                end += 1
        else:
            end = k
            while end < len(parm) and not _isspace(parm[end]):
                end += 1
        value = parm[k:end].lower()
        if pname in ("q", "qs"):
            quality = atoq(value)
        elif pname == "level":
            level = float(c_atoi(value))
        elif pname == "charset":
            charset = value
    if pos < len(line) and line[pos] == ",":
        pos += 1
    return AcceptRec(name, quality, level, charset), pos


def parse_accept(value: str | None) -> list[AcceptRec] | None:
    """``do_header_line``: ``None`` for an absent header, else the items
    (an empty header gives an empty list -- which is not the same)."""
    if value is None:
        return None
    out = []
    pos = 0
    while pos < len(value):
        rec, pos = _get_entry(value, pos)
        out.append(rec)
    return out


def _languages_line(value: str) -> tuple[str, ...]:
    """``do_languages_line``."""
    out = []
    pos = 0
    while pos < len(value):
        tok, pos = get_token(value, pos, False)
        out.append(tok.lower())
        if pos < len(value) and value[pos] in ",;":
            pos += 1
    return tuple(out)


_SEGMENT_SAFE = frozenset(b"$-_.+!*'(),:@&=~")


def escape_path_segment(s: str) -> str:
    """``ap_escape_path_segment``: %-escape (lower-case hex) all but alnum
    and ``$-_.+!*'(),:@&=~``."""
    out = []
    for c in s.encode("utf-8", "surrogateescape"):
        if 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A or c in _SEGMENT_SAFE:
            out.append(chr(c))
        else:
            out.append(f"%{c:02x}")
    return "".join(out)


# --- variants ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Variant:
    """The written-once part of a ``var_rec``.

    *mime_type* is lower-case ``type/subtype`` (``""`` when unknown);
    *source_quality* the ``qs`` parameter; *level* the ``level`` parameter
    (2 for ``text/html`` by default); *length* ``-1`` when unknown;
    *body* is ``(offset, length)`` of a type-map ``Body:``;
    *handler* is the sub-request's handler (a variant with one gets no
    ``{length}`` in Alternates; ``type-map`` makes a transparent choice a
    506).
    """

    file_name: str
    mime_type: str = ""
    source_quality: float = 0.0
    level: float = 0.0
    charset: str = ""
    languages: tuple[str, ...] | None = None
    encoding: str | None = None
    description: str = ""
    length: int = -1
    body: tuple[int, int] | None = None
    handler: str | None = None

    @property
    def is_pseudo_html(self) -> bool:
        return self.mime_type in ("text/html", INCLUDES_MAGIC_TYPE, INCLUDES_MAGIC_TYPE3)

    @classmethod
    def from_content_type(cls, file_name: str, content_type: str, **kw) -> "Variant":
        """``get_entry`` + ``set_mime_fields`` on a Content-Type string."""
        rec, _ = _get_entry(content_type)
        return cls(file_name, rec.name, _f(rec.quality), _f(rec.level), rec.charset, **kw)


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """A directory member for :func:`find_variants`.  *status* is the
    sub-request's status (e.g. 403 when access is denied)."""

    name: str
    is_dir: bool = False
    size: int = -1
    is_regular: bool = True
    status: int = 200


@dataclass(frozen=True, slots=True)
class FindVariantsResult:
    """What ``read_types_multi`` found.

    *status* 0 = OK (use *variants*; none means DECLINED: no MultiViews
    match at all), 404 = files matched but none could be negotiated.
    *type_map* names a member that is a type map: Apache reads that instead
    (parse it with :func:`parse_type_map` and negotiate over its variants).
    """

    status: int
    variants: tuple[Variant, ...] = ()
    type_map: str | None = None


def find_variants(listing: Iterable[ListingEntry | tuple], requested_basename: str,
                  types: Mapping[str, str],
                  ext_map: Mapping[str, ExtensionInfo] | None = None, *,
                  multiviews_match: MultiviewsMatch = MultiviewsMatch.NEGOTIATED_ONLY,
                  default_language: str | None = None) -> FindVariantsResult:
    """Port of ``read_types_multi``.

    Given the members of the request's directory (``ListingEntry`` or
    ``(name, is_dir[, size])`` tuples, in any order), the last path segment
    of the request (``doc`` for ``/dir/doc``) and mod_mime's tables, return
    the variants sorted as ``variantsortf`` does (``qs`` descending, then
    name).  Members must be named ``<base>.<something>``; directories and
    non-regular files are skipped; each extension mod_mime does not know
    must equal the next segment of *requested_basename* (so ``doc.foo``
    is no variant of ``doc``, but ``doc.foo.html`` is one of ``doc.foo``).
    Handler-only extensions count only with ``MultiviewsMatch Handlers``
    (or ``Any``); ``Filters`` is treated like ``NegotiatedOnly`` because
    the extension table carries no output filters.  *size* fills the
    variant's length (``find_content_length`` uses the sub-request's stat).
    """
    prefix = requested_basename
    plen = len(prefix)
    variants: list[Variant] = []
    anymatch = False
    for item in listing:
        e = item if isinstance(item, ListingEntry) else ListingEntry(
            item[0], bool(item[1]), item[2] if len(item) > 2 else -1)
        name = e.name
        if not name.startswith(prefix) or name[plen:plen + 1] != ".":
            continue
        if e.is_dir:
            continue
        anymatch = True
        if not e.is_regular:
            continue
        m = find_ct(name, types, ext_map, default_language=default_language,
                    multiviews_match_any=multiviews_match is MultiviewsMatch.ANY,
                    multiviews_match_handlers=multiviews_match is MultiviewsMatch.HANDLERS)
        content_type = m.content_type
        if m.handler and not content_type:
            # "If it has a handler, we'll pretend it's a CGI script"
            content_type = CGI_MAGIC_TYPE
        if not m.found_metadata:
            continue                       # no ap-mime-exceptions-list note
        # Each unrecognised bit must match our base name, in sequence.
        exc = list(m.exceptions)
        seg_start = 0
        while seg_start < plen and exc:
            seg_end = prefix.find(".", seg_start)
            if seg_end < 0:
                seg_end = plen
            if prefix[seg_start:seg_end] == exc[0]:
                exc.pop(0)
            if seg_end >= plen:
                break
            seg_start = seg_end + 1
        if exc:
            continue     # "Something you don't know is, something you don't know..."
        if e.status != 200 or not content_type:
            continue
        if content_type == MAP_FILE_MAGIC_TYPE or m.handler == "type-map":
            return FindVariantsResult(0, (), name)
        languages = m.languages if m.languages else None
        variants.append(Variant.from_content_type(
            name, content_type, languages=languages, encoding=m.encoding,
            length=e.size, handler=m.handler))
    if anymatch and not variants:
        # "Negotiation: discovered file(s) matching request: %s (None could
        # be negotiated)."
        return FindVariantsResult(404)

    def sort_key(v: Variant):
        return (-v.source_quality, v.file_name.encode("utf-8", "surrogateescape"))

    variants.sort(key=sort_key)
    return FindVariantsResult(0, tuple(variants))


# --- type maps ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TypeMap:
    """Result of :func:`parse_type_map`.  *status* is 0 (OK) or 500 (a
    header without ``:`` or without a body); *errors* are the error-log
    texts Apache writes (parsing also stops early, keeping the variants
    read so far, on a bad Content-Length or a missing Body end tag)."""

    status: int
    variants: tuple[Variant, ...]
    errors: tuple[str, ...] = ()


def _ascii_lower(s: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def _strip_paren_comments(hdr: str) -> str:
    """``strip_paren_comments``: ``(...)`` becomes spaces, skipping over
    ``"..."`` (no nesting, no escapes -- like Apache)."""
    out = list(hdr)
    i, n = 0, len(out)
    while i < n:
        if out[i] == '"':
            j = hdr.find('"', i + 1)
            if j < 0:
                return "".join(out)
            i = j + 1
        elif out[i] == "(":
            while i < n and out[i] != ")":
                out[i] = " "
                i += 1
            if i < n:
                out[i] = " "
                i += 1
        else:
            i += 1
    return "".join(out)


class _MapReader:
    """``apr_file_gets``/``getc``/``ungetc`` over the map's bytes."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def gets(self) -> bytes | None:
        if self.pos >= len(self.data):
            return None
        end = self.data.find(b"\n", self.pos, self.pos + MAX_STRING_LEN - 1)
        stop = end + 1 if end >= 0 else min(len(self.data), self.pos + MAX_STRING_LEN - 1)
        line = self.data[self.pos:stop]
        self.pos = stop
        return line

    def getc(self) -> int | None:
        if self.pos >= len(self.data):
            return None
        c = self.data[self.pos]
        self.pos += 1
        return c

    def ungetc(self) -> None:
        self.pos -= 1


def _get_header_line(rd: _MapReader) -> tuple[str, bytes]:
    """``get_header_line``: ``("eof"|"sep"|"seen", line)`` with
    continuation lines folded in (each followed by ``\\n``) and ``#``
    comment lines dropped."""
    while True:
        buf = rd.gets()
        if buf is None:
            return "eof", b""
        if not buf.startswith(b"#"):
            break
    if not buf.strip(b" \t\n\v\f\r"):
        return "sep", buf
    if buf[:5].lower() == b"body:":
        return "seen", buf
    out = bytearray(buf)
    while True:
        c = rd.getc()
        if c is None:
            break
        if c == 0x23:                        # '#': comment line
            while True:
                c = rd.getc()
                if c is None or c == 0x0A:
                    break
        elif c in b" \t\n\v\f\r":
            while c is not None and c != 0x0A and c in b" \t\n\v\f\r":
                c = rd.getc()
            if c is not None:
                rd.ungetc()
            if c == 0x0A:
                return "seen", bytes(out)    # blank line follows
            # continuation
            while len(out) < MAX_STRING_LEN - 2:
                c = rd.getc()
                if c is None or c == 0x0A:
                    break
                out.append(c)
            out.append(0x0A)
        else:
            rd.ungetc()
            return "seen", bytes(out)
    return "seen", bytes(out)


def parse_type_map(data: bytes | str, map_filename: str = "map.var") -> TypeMap:
    """Port of ``read_type_map``.

    Given the map's contents and its file name (used for ``Body:`` variants
    and in error messages), return the variants in file order.  A record
    becomes a variant when it has a ``URI:`` and at least one of
    Content-Type/-Length/-Language/-Encoding (``has_content``); ``Body:``
    sets the name to the map's own base name.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    base_name = map_filename.rsplit("/", 1)[-1]
    rd = _MapReader(data)
    variants: list[Variant] = []
    errors: list[str] = []
    cur: dict = {}
    has_content = False

    def fresh() -> dict:
        return {"file_name": "", "mime_type": "", "source_quality": 0.0, "level": 0.0,
                "charset": "", "languages": None, "encoding": None, "description": "",
                "length": -1, "body": None}

    cur = fresh()
    while True:
        hstate, raw = _get_header_line(rd)
        if hstate == "seen":
            line = raw.decode("utf-8", "surrogateescape")
            colon = line.find(":")
            if colon < 0:
                errors.append(f"Syntax error in type map, no ':' in {map_filename} "
                              f"for header {_ascii_lower(line)}")
                return TypeMap(500, tuple(variants), tuple(errors))
            hname = _ascii_lower(line[:colon]) + ":"
            k = colon + 1
            while k < len(line) and _isspace(line[k]):
                k += 1
            if k >= len(line):
                errors.append(f"Syntax error in type map --- no header body: "
                              f"{map_filename} for {hname}{line[colon + 1:]}")
                return TypeMap(500, tuple(variants), tuple(errors))
            body = _strip_paren_comments(line[k:])
            if hname == "uri:":
                cur["file_name"], _ = get_token(body, 0, False)
            elif hname == "content-type:":
                rec, _ = _get_entry(body)
                cur.update(mime_type=rec.name, source_quality=_f(rec.quality),
                           level=_f(rec.level), charset=rec.charset)
                has_content = True
            elif hname == "content-length:":
                tok, _ = get_token(body, 0, False)
                if not tok.isascii() or not tok.isdigit() or len(tok) > 18:
                    errors.append(f"Parse error in type map, Content-Length: '{tok}' in "
                                  f"{map_filename} is invalid.")
                    break
                cur["length"] = int(tok)
                has_content = True
            elif hname == "content-language:":
                cur["languages"] = _languages_line(body)
                has_content = True
            elif hname == "content-encoding:":
                cur["encoding"], _ = get_token(body, 0, False)
                has_content = True
            elif hname == "description:":
                desc = body.replace("\n", " ")
                cur["description"] = desc[:-1] if desc else desc
            elif hname == "body:":
                tag = body.rstrip(" \t\n\v\f\r").encode("utf-8", "surrogateescape")
                start = rd.pos
                chunk = data[start:start + MAX_STRING_LEN - 1]
                nul = chunk.find(b"\0")
                if nul >= 0:
                    chunk = chunk[:nul]
                end = chunk.find(tag) if tag else 0
                if end < 0:
                    shown = tag.decode("utf-8", "surrogateescape")
                    errors.append(f"Syntax error in type map, no end tag '{shown}' "
                                  f"found in {map_filename} for Body: content.")
                    break
                after = end + len(tag)
                nl = chunk.find(b"\n", after)
                rd.pos = start + (nl + 1 if nl >= 0 else len(chunk))
                cur["body"] = (start, end)
                cur["length"] = end
                cur["file_name"] = base_name
        else:
            if cur["file_name"] and has_content:
                variants.append(Variant(**cur))
            cur = fresh()
            has_content = False
            if hstate == "eof":
                break
    return TypeMap(0, tuple(variants), tuple(errors))


# --- the algorithm -----------------------------------------------------------------

@dataclass(slots=True)
class _Work:
    """The mutable part of a ``var_rec`` (set during negotiation)."""

    v: Variant
    lang_quality: float = 1.0
    encoding_quality: float = 1.0
    charset_quality: float = 1.0
    mime_type_quality: float = 1.0
    lang_index: int = -1
    level_matched: float = 0.0
    mime_stars: int = 0
    definite: bool = True


@dataclass(frozen=True, slots=True)
class NegotiationResult:
    """The decision of ``do_negotiation``.

    *status*: 200 (serve *best*), 300, 406 or 506.  *headers* are what
    mod_negotiation adds to ``err_headers_out``, in Apache's order
    (Content-Location, Alternates, Vary, TCN); *vary* the Vary tokens.
    *variant_list* is the ``variant-list`` note for the 300/406 body
    (pass it to :func:`apyche.semantics.errorpages.error_page`).
    *no_cache* is ``r->no_cache`` (HTTP/1.0 client and several MultiViews
    variants; 2.4.71 sends no extra header for it on static files).
    *transparent* says whether the resource was transparently negotiated.
    *qualities* gives, per variant, (mime, lang, charset, encoding, source)
    as computed -- handy for debugging.
    """

    status: int
    best: Variant | None
    headers: tuple[tuple[str, str], ...]
    vary: tuple[str, ...]
    variant_list: str | None
    no_cache: bool = False
    transparent: bool = False
    qualities: tuple[tuple[str, float, float, float, float, float], ...] = ()

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def _mime_match(acc: AcceptRec, w: _Work) -> bool:
    """``mime_match``."""
    at, av = acc.name, w.v.mime_type
    if at in ("*", "*/*"):
        if w.mime_stars < 1:
            w.mime_stars = 1
        return True
    if len(at) > 2 and at.endswith("/*") and av.startswith(at[:-1]):
        if w.mime_stars < 2:
            w.mime_stars = 2
        return True
    if at == av or (at == "text/html" and av in (INCLUDES_MAGIC_TYPE, INCLUDES_MAGIC_TYPE3)):
        if acc.level >= w.v.level:
            w.level_matched = w.v.level
            w.mime_stars = 3
            return True
    return False


def _level_cmp(a: _Work, b: _Work) -> int:
    """``level_cmp``."""
    if a.v.is_pseudo_html and not b.v.is_pseudo_html:
        return 0
    if not a.v.is_pseudo_html and a.v.mime_type != b.v.mime_type:
        return 0
    if a.level_matched > b.level_matched:
        return 1
    if a.level_matched < b.level_matched:
        return -1
    if a.v.level < b.v.level:
        return 1
    if a.v.level > b.v.level:
        return -1
    return 0


def _find_lang_index(priority: Sequence[str] | None, lang: str) -> int:
    """``find_lang_index``: first priority entry that is a case-blind prefix
    of *lang*."""
    if not priority:
        return -1
    for i, p in enumerate(priority):
        if lang[:len(p)].lower() == p.lower() and len(lang) >= len(p):
            return i
    return -1


class _State:
    def __init__(self, accepts, langs, charsets, encodings, dont_fiddle, accept_q,
                 priority, force):
        self.accepts = accepts
        self.accept_langs = langs
        self.accept_charsets = charsets
        self.accept_encodings = encodings
        self.dont_fiddle = dont_fiddle
        self.accept_q = accept_q
        self.priority = priority
        self.force = force
        self.default_lang_quality = 1.0


def _set_accept_quality(st: _State, w: _Work) -> None:
    """``set_accept_quality``, wildcard fiddles included."""
    if st.accepts is None:          # never true after maybe_add_default_accepts
        if w.v.mime_type:
            w.definite = False
        return
    q = 0.0
    q_definite = True
    for acc in st.accepts:
        prev = w.mime_stars
        if not _mime_match(acc, w):
            continue
        if prev == w.mime_stars:
            continue                # more stars => not as good a match
        if not st.dont_fiddle and not st.accept_q and w.mime_stars == 1:
            q = F_001
        elif not st.dont_fiddle and not st.accept_q and w.mime_stars == 2:
            q = F_002
        else:
            q = acc.quality
        q_definite = w.mime_stars == 3
    w.mime_type_quality = q
    w.definite = w.definite and q_definite


def _set_language_quality(st: _State, w: _Work) -> None:
    """``set_language_quality`` plus the ForceLanguagePriority overrides."""
    force = st.force
    langs = w.v.languages
    if not langs:
        if not st.dont_fiddle:
            w.lang_quality = st.default_lang_quality
        return
    if st.accept_langs is None:
        w.definite = False           # no accept-language makes it indefinite
    else:
        best: AcceptRec | None = None
        star: AcceptRec | None = None
        fiddle_q = 0.0
        any_match_on_star = False
        for lang in langs:
            bestthistag: AcceptRec | None = None
            longest = 0
            for acc in st.accept_langs:
                if acc.name == "*":
                    if star is None:
                        star = acc
                    continue
                alen = len(acc.name)
                if len(lang) >= alen and lang.startswith(acc.name) and \
                        (len(lang) == alen or lang[alen] == "-"):
                    if alen > longest:
                        longest = alen
                        bestthistag = acc
                if bestthistag is None and not st.dont_fiddle:
                    dash = acc.name.find("-")
                    if dash >= 0 and lang[:dash] == acc.name[:dash]:
                        fiddle_q = F_0001
            if best is None or (bestthistag is not None and bestthistag.quality > best.quality):
                best = bestthistag
            if bestthistag is None and star is not None:
                any_match_on_star = True
        if any_match_on_star and star is not None and (best is None or star.quality > best.quality):
            best = star
            w.definite = False
        w.lang_quality = best.quality if best is not None else fiddle_q

    if ((force & ForceLanguagePriority.PREFER) and w.lang_index < 0) or \
            ((force & ForceLanguagePriority.FALLBACK) and not w.lang_quality):
        bestidx = -1
        for lang in langs:
            idx = _find_lang_index(st.priority, lang)
            if idx >= 0 and (bestidx == -1 or idx < bestidx):
                bestidx = idx
        if bestidx >= 0:
            if w.lang_quality:
                if force & ForceLanguagePriority.PREFER:
                    w.lang_index = bestidx
            elif force & ForceLanguagePriority.FALLBACK:
                w.lang_index = bestidx
                w.lang_quality = F_00001
                w.definite = False


def _is_identity_encoding(enc: str | None) -> bool:
    return not enc or enc in ("7bit", "8bit", "binary")


def _set_encoding_quality(st: _State, w: _Work) -> None:
    """``set_encoding_quality`` (``x-`` prefixes ignored on both sides)."""
    enc = w.v.encoding
    if st.accept_encodings is None:
        w.encoding_quality = 1.0 if _is_identity_encoding(enc) else F_HALF
        return
    value_if_not_found = 0.0
    if _is_identity_encoding(enc):
        enc = "identity"
        value_if_not_found = F_00001
    assert enc is not None
    if enc.startswith("x-"):
        enc = enc[2:]
    star = None
    for acc in st.accept_encodings:
        name = acc.name[2:] if acc.name.startswith("x-") else acc.name
        if name == enc:
            w.encoding_quality = acc.quality
            return
        if name == "*":
            star = acc
    w.encoding_quality = star.quality if star is not None else value_if_not_found


def _set_charset_quality(st: _State, w: _Work) -> None:
    """``set_charset_quality``."""
    charset = w.v.charset
    if st.accept_charsets is None:
        if charset:
            w.definite = False
        return
    if not charset:
        mt = w.v.mime_type
        if not (mt.startswith("text/") or mt in (INCLUDES_MAGIC_TYPE, INCLUDES_MAGIC_TYPE3)):
            return
        if st.dont_fiddle:
            return
        charset = "iso-8859-1"
    star = None
    for acc in st.accept_charsets:
        if acc.name == charset:
            w.charset_quality = acc.quality
            return
        if acc.name == "*":
            star = acc
    if star is not None:
        w.charset_quality = star.quality
        w.definite = False
        return
    w.charset_quality = 1.0 if charset == "iso-8859-1" else 0.0


def _is_variant_better_rvsa(w: _Work, best: _Work | None, bestq: float) -> tuple[bool, float]:
    """``is_variant_better_rvsa`` (RFC 2296)."""
    if w.encoding_quality == 0.0:
        return False, bestq
    q = _mul(w.mime_type_quality, w.v.source_quality, w.charset_quality, w.lang_quality)
    if q <= 0.0:
        return False, bestq
    if q > bestq:
        return True, q
    if q == bestq and best is not None and w.encoding_quality > best.encoding_quality:
        return True, q
    return False, bestq


def _is_variant_better(w: _Work, best: _Work | None, bestq: float) -> tuple[bool, float]:
    """``is_variant_better``: type×qs, language, LanguagePriority, level,
    charset, encoding, then the smaller length."""
    if (w.encoding_quality == 0.0 or w.lang_quality == 0.0 or w.v.source_quality == 0.0
            or w.charset_quality == 0.0 or w.mime_type_quality == 0.0):
        return False, bestq
    q = _mul(w.mime_type_quality, w.v.source_quality)
    if q == 0.0 or q < bestq:
        return False, bestq
    if q > bestq or best is None:
        return True, q
    if w.lang_quality < best.lang_quality:
        return False, bestq
    if w.lang_quality > best.lang_quality:
        return True, q
    if best.lang_index != -1 and (w.lang_index == -1 or w.lang_index > best.lang_index):
        return False, bestq
    if w.lang_index != -1 and (best.lang_index == -1 or w.lang_index < best.lang_index):
        return True, q
    levcmp = _level_cmp(w, best)
    if levcmp == -1:
        return False, bestq
    if levcmp == 1:
        return True, q
    if w.charset_quality < best.charset_quality:
        return False, bestq
    vcs, bcs = w.v.charset, best.v.charset
    if w.charset_quality > best.charset_quality or (
            (vcs and vcs != "iso-8859-1") and (not bcs or bcs == "iso-8859-1")):
        return True, q
    if w.encoding_quality < best.encoding_quality:
        return False, bestq
    if w.encoding_quality > best.encoding_quality:
        return True, q
    if w.v.length >= best.v.length:
        return False, bestq
    return True, q


def _discard_by_env(v: Variant, discard: int) -> bool:
    """``discard_variant_by_env`` (``no-gzip`` = 1, ``gzip-only-text/html`` = 2)."""
    if _is_identity_encoding(v.encoding) or v.encoding == "identity":
        return False
    return discard == 1 or (discard == 2 and not v.mime_type.startswith("text/html"))


def _alternates_q(q: float) -> str:
    """``%1.3f`` with trailing zeros stripped as ``set_neg_headers`` does."""
    s = f"{q:1.3f}"[:5]
    if len(s) >= 5 and s[4] == "0":
        s = s[:4]
        if s[3] == "0":
            s = s[:3]
            if s[2] == "0":
                s = s[:1]
    return s


def _neg_headers(variants: Sequence[Variant], transparent: bool, send_alternates: bool,
                 alg_list: bool) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """``set_neg_headers``: Alternates, Vary (only dimensions that differ),
    TCN."""
    headers: list[tuple[str, str]] = []
    vary_type = vary_lang = vary_charset = vary_enc = False
    alts = []
    sample = None
    for v in variants:
        lang = ",".join(v.languages) if v.languages else None
        if sample is None:
            sample = (v.mime_type, v.charset, lang, v.encoding)
        else:
            vary_type |= (sample[0] or "") != (v.mime_type or "")
            vary_charset |= (sample[1] or "") != (v.charset or "")
            vary_lang |= (sample[2] or "") != (lang or "")
            vary_enc |= (sample[3] or "") != (v.encoding or "")
        if not send_alternates:
            continue
        s = f'{{"{escape_path_segment(v.file_name)}" {_alternates_q(v.source_quality)}'
        if v.mime_type:
            s += f" {{type {v.mime_type}}}"
        if v.charset:
            s += f" {{charset {v.charset}}}"
        if lang:
            s += f" {{language {lang}}}"
        if v.encoding:
            s += f" {{encoding {v.encoding}}}"
        if not v.handler and v.length >= 0:
            s += f" {{length {v.length}}}"
        alts.append(s + "}")
    if send_alternates and variants:
        headers.append(("Alternates", ", ".join(alts)))
    vary: list[str] = []
    if transparent:
        vary.append("negotiate")
    if vary_type:
        vary.append("accept")
    if vary_lang:
        vary.append("accept-language")
    if vary_charset:
        vary.append("accept-charset")
    if vary_enc:
        vary.append("accept-encoding")
    if vary:
        headers.append(("Vary", ",".join(vary)))
    if transparent:
        headers.append(("TCN", "list" if alg_list else "choice"))
    return headers, tuple(vary)


def make_variant_list(variants: Sequence[Variant]) -> str:
    """``make_variant_list``: the HTML list for 300/406 bodies."""
    out = ["Available variants:\n<ul>\n"]
    for v in variants:
        fn = v.file_name or ""
        out.append(f'<li><a href="{escape_path_segment(fn)}">{escape_html(fn)}</a> '
                   f"{v.description or ''}")
        if v.mime_type:
            out.append(f", type {v.mime_type}")
        if v.languages:
            out.append(f", language {','.join(v.languages)}")
        if v.charset:
            out.append(f", charset {v.charset}")
        if v.encoding is not None:
            out.append(f", encoding {v.encoding}")
        out.append("</li>\n")
    out.append("</ul>\n")
    return "".join(out)


def _parse_negotiate(negotiate: str | None, user_agent: str | None) -> dict:
    """``parse_negotiate_header``."""
    r = dict(ua_supports_trans=False, send_alternates=False, may_choose=True,
             use_rvsa=False, dont_fiddle=False)
    if negotiate is None:
        return r
    if negotiate == "trans" and user_agent and user_agent.startswith("Lynx"):
        return r
    r["may_choose"] = False      # an empty Negotiate would require 300
    for tok in _list_items(negotiate):
        if tok in ("trans", "vlist", "guess-small") or tok[:1].isdigit() or tok == "*":
            r["ua_supports_trans"] = True
            r["send_alternates"] = True
            if tok == "1.0":
                r.update(may_choose=True, use_rvsa=True, dont_fiddle=True)
            elif tok.startswith("*"):
                r.update(may_choose=True, dont_fiddle=True)
    return r


def _list_items(value: str) -> list[str]:
    """``ap_get_list_item``: comma-separated items, outer whitespace gone,
    lower-cased outside quotes, inner linear whitespace squeezed."""
    items = []
    for raw in _split_commas(value):
        tok = raw.strip(" \t")
        if not tok:
            continue
        out = []
        in_q = False
        prev_space = False
        for c in tok:
            if c == '"':
                in_q = not in_q
            if not in_q and c in " \t":
                if not prev_space:
                    out.append(" ")
                prev_space = True
                continue
            prev_space = False
            out.append(c if in_q else c.lower())
        items.append("".join(out))
    return items


def _split_commas(value: str) -> list[str]:
    parts, cur, in_q = [], [], False
    for c in value:
        if c == '"':
            in_q = not in_q
        if c == "," and not in_q:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return parts


def negotiate(variants: Sequence[Variant], *,
              accept: str | None = None, accept_language: str | None = None,
              accept_charset: str | None = None, accept_encoding: str | None = None,
              negotiate_header: str | None = None, user_agent: str | None = None,
              method: str = "GET", path_info: str = "", has_args: bool = False,
              http10: bool = False, from_type_map: bool = False,
              language_priority: Sequence[str] | None = None,
              force_language_priority: ForceLanguagePriority | None = None,
              prefer_language: str | None = None, no_gzip: bool = False,
              gzip_only_text_html: bool = False,
              cache_negotiated_docs: bool = False,
              variant_is_negotiable: bool = False) -> NegotiationResult:
    """Port of ``do_negotiation`` + ``best_match`` (+ ``setup_choice_response``
    for the headers of a choice).

    Given the variants (from :func:`find_variants` or
    :func:`parse_type_map`) and the request's Accept* / ``Negotiate`` /
    ``User-Agent`` headers (``None`` = absent), return the decision.
    *from_type_map* selects the type-map handler (no script preference, no
    ``no_cache`` MultiViews rule); for MultiViews, scripts are preferred
    when the method is not GET/HEAD, there are query args or path info.
    *prefer_language*, *no_gzip* and *gzip_only_text_html* are the env
    variables of the same names.  *variant_is_negotiable* says the chosen
    variant's own sub-request set ``TCN`` (it is itself transparently
    negotiated): then a transparent choice is a 506.

    Left to the caller: for a transparent choice out of a type map Apache
    runs a sub-request for the variant and answers with its status when it
    fails (e.g. 404 for a missing file); a non-transparent type-map choice
    is an internal redirect (:func:`map_redirect_target`) and a ``Body:``
    choice is served from the map with the variant's type, language and
    encoding.  Type-map variants without ``Content-Length`` need their file
    size in ``length`` (``find_content_length`` stats them).  Not modelled:
    ``Variant-Vary`` from a chosen variant's own ``Vary``; the variant-list
    validator that 2.4.71 appends to the ETag (``"<etag>;<vlist>``, sic --
    without a closing quote, observed on Debian's build).
    """
    force = force_language_priority or ForceLanguagePriority.PREFER
    is_get = method.upper() in ("GET", "HEAD")

    # Decide if resource is transparently negotiable (do_negotiation)
    transparent = False
    if is_get:
        transparent = True
        if path_info:
            transparent = False
        for v in variants:
            if "/" in v.file_name or v.body:
                transparent = False
    if transparent:
        tcn = _parse_negotiate(negotiate_header, user_agent)
    else:
        tcn = dict(ua_supports_trans=False, send_alternates=False, may_choose=True,
                   use_rvsa=False, dont_fiddle=False)

    # parse_accept_headers + maybe_add_default_accepts
    accepts = parse_accept(accept)
    accept_q = bool(accepts) and any(a.quality < 1.0 for a in accepts)
    if accepts is None:
        accepts = [AcceptRec("*/*", 1.0, 0.0, "")]
    prefer_scripts = (not from_type_map) and (not is_get or has_args or bool(path_info))
    cgi_q = 0.0 if tcn["use_rvsa"] else (2.0 if prefer_scripts else _f(0.001))
    accepts = accepts + [AcceptRec(CGI_MAGIC_TYPE, cgi_q, 0.0, "")]
    st = _State(accepts, parse_accept(accept_language), parse_accept(accept_charset),
                parse_accept(accept_encoding), tcn["dont_fiddle"], accept_q,
                language_priority, force)

    # best_match
    works = [_Work(v) for v in variants]
    may_discard = 1 if no_gzip else (2 if gzip_only_text_html else 0)
    # set_default_lang_quality
    st.default_lang_quality = 1.0
    if not st.dont_fiddle and any(v.languages for v in variants):
        st.default_lang_quality = F_00001
    preferred = prefer_language
    while True:
        best: _Work | None = None
        bestq = 0.0
        for w in works:
            if may_discard and _discard_by_env(w.v, may_discard):
                continue
            if preferred and not (w.v.languages and preferred in w.v.languages):
                continue
            _set_accept_quality(st, w)
            if preferred:
                w.lang_quality = 1.0
                w.definite = True
            else:
                _set_language_quality(st, w)
            _set_encoding_quality(st, w)
            _set_charset_quality(st, w)
            if tcn["may_choose"]:
                better, bestq = (_is_variant_better_rvsa if tcn["use_rvsa"]
                                 else _is_variant_better)(w, best, bestq)
                if better:
                    best = w
        if tcn["use_rvsa"]:
            alg_choice = best is not None and best.definite and bestq > 0
        else:
            alg_choice = bestq > 0
        if preferred and (best is None or not alg_choice):
            preferred = None
            continue
        break

    qualities = tuple((w.v.file_name, w.mime_type_quality, w.lang_quality, w.charset_quality,
                       w.encoding_quality, w.v.source_quality) for w in works)
    best_v = best.v if best is not None else None

    if not alg_choice:
        headers, vary = _neg_headers(variants, transparent, True, True)
        vlist = make_variant_list(variants)
        if transparent and tcn["ua_supports_trans"]:
            return NegotiationResult(300, best_v, tuple(headers), vary, vlist,
                                     transparent=transparent, qualities=qualities)
        if best_v is None:
            return NegotiationResult(406, None, tuple(headers), vary, vlist,
                                     transparent=transparent, qualities=qualities)
        # (falls through to a choice; Apache's own algorithm never gets here)
    if transparent:
        assert best_v is not None
        if variant_is_negotiable or best_v.handler == "type-map":
            return NegotiationResult(506, best_v, (), (), None, transparent=True,
                                     qualities=qualities)
        headers, vary = _neg_headers(variants, True, tcn["send_alternates"], False)
        headers.insert(0, ("Content-Location", escape_path_segment(best_v.file_name)))
    else:
        headers, vary = _neg_headers(variants, False, tcn["send_alternates"], not alg_choice)
    count_multiviews = 0 if from_type_map else len(variants)
    no_cache = (not cache_negotiated_docs) and http10 and count_multiviews != 1
    return NegotiationResult(200, best_v, tuple(headers), vary, None, no_cache=no_cache,
                             transparent=transparent, qualities=qualities)


def fix_encoding(content_encoding: str | None, accept_encoding: str | None) -> str | None:
    """``fix_encoding`` (fixups hook): answer ``gzip`` or ``x-gzip`` as the
    client spelled it in Accept-Encoding, else keep the configured token."""
    if not content_encoding:
        return content_encoding
    enc = content_encoding[2:] if content_encoding.startswith("x-") else content_encoding
    recs = parse_accept(accept_encoding)
    if recs is None:
        return content_encoding
    x_enc = None
    for r in recs:
        if r.name == enc:
            return r.name
        if r.name.startswith("x-") and r.name[2:] == enc:
            x_enc = r.name
    return x_enc if x_enc is not None else content_encoding


def map_redirect_target(uri: str, best: Variant, *, args: str | None = None,
                        path_info: str = "") -> str:
    """Where ``handle_map_file`` internally redirects for a non-``Body:``
    choice: the map's URI directory (escaped) + the variant's URI
    (+ path info, + ``?args``)."""
    from apyche.semantics.autoindex import os_escape_path
    if path_info and uri.endswith(path_info):
        uri = uri[:len(uri) - len(path_info)]
    udir = uri[:uri.rfind("/") + 1]
    udir = os_escape_path(udir, partial=True)
    if args:
        return f"{udir}{best.file_name}{path_info}?{args}"
    return f"{udir}{best.file_name}{path_info}"
