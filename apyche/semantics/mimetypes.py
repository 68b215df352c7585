"""Content-Type, -Language, -Encoding and handler from a file name (mod_mime).

Theory of operation
-------------------
``mod_mime`` (``modules/http/mod_mime.c``) has two tables:

* the ``TypesConfig`` file (``mime_post_config``): each non-comment line is a
  media type followed by extensions; extensions are lower-cased, the type is
  kept as written, and a later line wins for the same extension;
* per-directory ``AddType``/``AddCharset``/``AddLanguage``/``AddEncoding``/
  ``AddHandler``/``RemoveType`` entries (``add_extension_info``): extension
  and value are both lower-cased, a leading ``.`` on the extension is
  dropped.  ``RemoveType`` stores an empty type, which hides the
  ``TypesConfig`` entry.

``find_ct`` then walks *every* extension of the file name, not just the last:
the base name (everything before the first dot, leading dots included, so
``.png`` is a base name) is skipped, each later dot-separated part is looked
up case-insensitively, and for each hit the type and charset are replaced
(last one wins), languages are appended, encodings are joined with ``", "``
and the handler is replaced.  So ``index.html.en`` is ``text/html`` in
English and ``archive.tar.gz`` is the ``gz`` type.  Parts that match nothing
are kept in an "exceptions" list that mod_negotiation uses.  Finally the
charset from ``AddCharset`` is merged into the type's parameters
(``analyze_ct`` re-serialises ``type/subtype; attr=val``).

This module parses the types file from a string you give it and never
touches the filesystem, except :func:`load_mime_types`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

__all__ = [
    "DIR_MAGIC_TYPE",
    "ExtensionInfo",
    "MimeResult",
    "parse_mime_types",
    "load_mime_types",
    "build_extension_map",
    "find_ct",
]

DIR_MAGIC_TYPE = "httpd/unix-directory"

# ap_getword_conf, the one copy (mime.types lines are split like config lines)
from ..config.words import getword as _getword_conf  # noqa: E402


def parse_mime_types(text: str) -> dict[str, str]:
    """Given the text of a ``TypesConfig`` file, return ``{extension: type}``
    as ``mime_post_config`` builds it (lines starting with ``#`` skipped after
    trimming, extensions lower-cased, later lines win)."""
    table: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        ctype, pos = _getword_conf(line, 0)
        while pos < len(line):
            ext, pos = _getword_conf(line, pos)
            if ext:
                table[ext.lower()] = ctype
    return table


def load_mime_types(path: str) -> dict[str, str]:
    """Read a ``TypesConfig`` file (ISO-8859-1 safe) and parse it."""
    with open(path, encoding="latin-1") as fh:
        return parse_mime_types(fh.read())


@dataclass(frozen=True, slots=True)
class ExtensionInfo:
    """One ``extension_info`` record.  ``type == ""`` is ``RemoveType``."""

    type: str | None = None
    charset: str | None = None
    language: str | None = None
    encoding: str | None = None
    handler: str | None = None


def _norm_ext(ext: str) -> str:
    ext = ext.lower()
    return ext[1:] if ext.startswith(".") else ext


def build_extension_map(*, add_type: Mapping[str, str] | None = None,
                        add_charset: Mapping[str, str] | None = None,
                        add_language: Mapping[str, str] | None = None,
                        add_encoding: Mapping[str, str] | None = None,
                        add_handler: Mapping[str, str] | None = None,
                        remove_type: Iterable[str] = (),
                        base: Mapping[str, ExtensionInfo] | None = None
                        ) -> dict[str, ExtensionInfo]:
    """Given ``{extension: value}`` dicts for each ``Add*`` directive (what
    the config layer collected for one directory, already merged) return the
    per-extension table ``find_ct`` consults.  Keys and values are
    lower-cased and a leading dot is dropped, as ``add_extension_info`` does.
    *remove_type* extensions get an empty type.  *base* entries are kept and
    refined field by field."""
    table: dict[str, dict[str, str | None]] = {}
    for ext, info in (base or {}).items():
        table[ext] = {"type": info.type, "charset": info.charset, "language": info.language,
                      "encoding": info.encoding, "handler": info.handler}

    def put(mapping: Mapping[str, str] | None, fld: str) -> None:
        for ext, value in (mapping or {}).items():
            rec = table.setdefault(_norm_ext(ext), {})
            rec[fld] = value.lower()

    put(add_type, "type")
    put(add_charset, "charset")
    put(add_language, "language")
    put(add_encoding, "encoding")
    put(add_handler, "handler")
    for ext in remove_type:
        table.setdefault(_norm_ext(ext), {})["type"] = ""
    return {ext: ExtensionInfo(**rec) for ext, rec in table.items()}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class MimeResult:
    """What ``find_ct`` sets on the request."""

    content_type: str | None
    languages: tuple[str, ...] = ()
    encoding: str | None = None
    handler: str | None = None
    exceptions: tuple[str, ...] = field(default=())
    found_metadata: bool = False

    @property
    def content_language(self) -> str | None:
        """The ``Content-Language`` header value: languages joined by a bare
        ``","`` (``apr_array_pstrcat(..., ',')`` in ``ap_http_header_filter``)."""
        return ",".join(self.languages) if self.languages else None


def _analyze_ct(ctype: str) -> tuple[str, list[tuple[str, str]]] | None:
    """A tolerant ``analyze_ct``: ``(type/subtype, [(attr, val), ...])`` or
    ``None`` when the value is not ``token/token[; attr=val]*``."""
    parts = ctype.split(";")
    base = parts[0].strip()
    if "/" not in base:
        return None
    t, _, s = base.partition("/")
    t, s = t.strip(), s.strip()
    if not t or not s:
        return None
    params: list[tuple[str, str]] = []
    for p in parts[1:]:
        p = p.strip()
        if not p:
            continue
        attr, eq, val = p.partition("=")
        if not eq:
            return None
        params.append((attr.strip(), val.strip()))
    return f"{t}/{s}", params


def find_ct(filename: str, types: Mapping[str, str],
            extensions: Mapping[str, ExtensionInfo] | None = None, *,
            default_language: str | None = None, is_dir: bool = False,
            multiviews_match_any: bool = False,
            multiviews_match_handlers: bool = False) -> MimeResult:
    """Port of ``find_ct`` (``modules/http/mod_mime.c``).

    Given a file path (only the part after the last ``/`` is used), the
    ``TypesConfig`` table and the per-directory extension table, return the
    :class:`MimeResult`.  A directory gets ``httpd/unix-directory``.
    ``content_type`` is ``None`` when nothing matched (the caller then applies
    ``ForceType``/``DefaultType`` rules -- in 2.4, no Content-Type at all).
    """
    if is_dir:
        return MimeResult(DIR_MAGIC_TYPE)
    extensions = extensions or {}
    slash = filename.rfind("/")
    fn = filename[slash + 1:] if slash >= 0 else filename

    # The base name is always the first exception; leading dots belong to it.
    i = 0
    while i < len(fn) and fn[i] == ".":
        i += 1
    dot = fn.find(".", i)
    if dot >= 0:
        exceptions = [fn[:dot]]
        rest = fn[dot + 1:]
    else:
        exceptions = [fn]
        rest = ""

    ctype: str | None = None
    charset: str | None = None
    languages: list[str] = []
    encoding: str | None = None
    handler: str | None = None
    found_metadata = False

    # ap_getword(&fn, '.') loop: runs of dots act as one separator.
    for extcase in (w for w in rest.split(".") if w):
        ext = extcase.lower()
        found = False
        info = extensions.get(ext)
        if info is None or info.type is None:   # "" (RemoveType) hides TypesConfig
            t = types.get(ext)
            if t is not None:
                ctype = t
                found = True
        if info is not None:
            if info.type:
                ctype = info.type
                found = True
            if info.charset:
                charset = info.charset
                found = True
            if info.language:
                languages.append(info.language)
                found = True
            if info.encoding:
                encoding = info.encoding if encoding is None else f"{encoding}, {info.encoding}"
                found = True
            if info.handler:
                handler = info.handler
                if multiviews_match_handlers:
                    found = True
        if found or multiviews_match_any:
            found_metadata = True
        else:
            exceptions.append(extcase)

    if ctype is not None:
        parsed = _analyze_ct(ctype)
        if parsed is not None:
            base, params = parsed
            out = base
            override = False
            for attr, val in params:
                if charset and attr == "charset":
                    if not override:
                        out += f"; charset={charset}"
                        override = True
                else:
                    out += f"; {attr}={val}"
            if charset and not override:
                out += f"; charset={charset}"
            ctype = out

    if not languages and default_language:
        languages.append(default_language)

    return MimeResult(ctype, tuple(languages), encoding, handler, tuple(exceptions),
                      found_metadata)
