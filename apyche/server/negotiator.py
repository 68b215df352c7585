"""mod_negotiation's handlers for the request pipeline: MultiViews (a
missing ``name`` answered by the best ``name.*``) and type maps (``.var``
files), chosen by ``semantics.negotiation`` from the request's Accept*
headers.

Everything that does not depend on the request is found once and cached:
a directory's members while its mtime holds, the variants of a name per
merged config, a parsed type map while the file is unchanged.  The chosen
variant is served by the pipeline again (``Site.serve_path``), as Apache's
internal redirect to it.
"""

from __future__ import annotations

import functools
import os
import stat
from typing import Protocol

from ..http.response import Response
from ..logs.errorlog import ERROR
from ..semantics import negotiation as neg
from ..tree.walk import stat_key, stat_members

OPT_MULTIVIEWS = 128


class Pipeline(Protocol):
    """What negotiation needs from the request pipeline."""

    types: dict

    def extension_map(self, cfg) -> dict: ...
    def serve_path(self, ex) -> Response: ...
    def canned(self, ex, status: int, headers, **kw) -> Response: ...
    def error_response(self, ex, status: int, **kw) -> Response: ...
    def log_error(self, ex, level: int, module: str, message: str) -> None: ...


class Negotiator:
    """MultiViews and type maps for one Site.  Without mod_negotiation
    (``enabled`` False) Apache accepts "Options MultiViews" and serves .var
    files as they are; so do we."""

    def __init__(self, site: Pipeline, enabled: bool) -> None:
        self._site = site
        self.enabled = enabled
        self._scans: dict[str, tuple[int, list]] = {}   # directory members, by mtime
        self._variants: dict[tuple, tuple] = {}          # ... and the variants found
        self._type_maps: dict[str, tuple] = {}           # parsed .var files, by identity

    def _members(self, directory: str):
        """The directory's members, cached while its mtime is unchanged: a
        MultiViews request costs one stat() of the directory, not a scan."""
        try:
            mtime = os.stat(directory).st_mtime_ns
        except OSError:
            return None
        hit = self._scans.get(directory)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        try:
            members = [(name, stat.S_ISDIR(st.st_mode), st.st_size)
                       for name, st in stat_members(directory)]
        except OSError:
            return None
        if len(self._scans) > 4096:
            self._scans.clear()
        self._scans[directory] = (mtime, members)
        return members

    def multiviews(self, ex, cfg, filename: str) -> Response | None:
        """Options MultiViews: choose among ``name.*`` for a missing ``name``."""
        if not self.enabled or not getattr(cfg.get("Options"), "opts", 0) & OPT_MULTIVIEWS:
            return None
        directory, _, base = filename.rpartition("/")
        if not base:
            return None
        listing = self._members(directory + "/")
        if listing is None:
            return None
        # The variants depend on the listing (cached by mtime), the name and
        # the merged config, not on the request: find them once.
        key = (directory, id(listing), base, id(cfg))
        hit = self._variants.get(key)
        if hit is not None and hit[0] is listing and hit[1] is cfg:
            found = hit[2]
        else:
            match = _multiviews_match(cfg.get("MultiviewsMatch"))
            found = neg.find_variants(listing, base, self._site.types,
                                      self._site.extension_map(cfg), multiviews_match=match,
                                      default_language=_first_word(cfg.get("DefaultLanguage")))
            if len(self._variants) > 4096:
                self._variants.clear()
            self._variants[key] = (listing, cfg, found)
        if found.status == 404:
            self._site.log_error(ex, ERROR, "negotiation",
                                 "AH00687: Negotiation: discovered file(s) matching request: "
                                 f"{filename} (None could be negotiated).")
            return self._site.error_response(ex, 404)
        if not found.variants:
            return None
        return self._negotiated(ex, cfg, directory + "/", found.variants, from_type_map=False)

    def type_map(self, ex, cfg, filename: str) -> Response:
        """The type-map handler: the variants a ``.var`` file lists."""
        try:
            st = os.stat(filename)
            sig = (st.st_ino, st.st_size, st.st_mtime_ns)
            hit = self._type_maps.get(filename)
            if hit is not None and hit[0] == sig:
                tmap = hit[1]
            else:
                with open(filename, "rb") as fh:
                    data = fh.read()
                tmap = neg.parse_type_map(data, filename)
                if len(self._type_maps) > 4096:
                    self._type_maps.clear()
                self._type_maps[filename] = (sig, tmap)
        except OSError:
            return self._site.error_response(ex, 403)
        for message in tmap.errors:
            self._site.log_error(ex, ERROR, "negotiation", message)
        if tmap.status:
            return self._site.error_response(ex, tmap.status)
        directory = filename[:filename.rfind("/") + 1]
        return self._negotiated(ex, cfg, directory, tmap.variants, from_type_map=True)

    def _negotiated(self, ex, cfg, directory: str, variants, *,
                    from_type_map: bool) -> Response:
        req = ex.request
        flp = cfg.get("ForceLanguagePriority")
        result = neg.negotiate(
            variants, accept=req.get("Accept"), accept_language=req.get("Accept-Language"),
            accept_charset=req.get("Accept-Charset"), accept_encoding=req.get("Accept-Encoding"),
            negotiate_header=req.get("Negotiate"), user_agent=req.get("User-Agent"),
            method=req.method, has_args=ex.query is not None,
            http10=req.http_version == "1.0", from_type_map=from_type_map,
            language_priority=_words_of(cfg.get("LanguagePriority")),
            force_language_priority=_force_priority(flp),
            prefer_language=ex.env.get("prefer-language"),
            no_gzip="no-gzip" in ex.env,
            cache_negotiated_docs=bool(cfg.get("CacheNegotiatedDocs")))
        # The choice depends on the request's headers (not replayable by
        # URL) and on what was read: the requested name (absent, for
        # MultiViews), the directory listing or the type map, and every
        # variant (their sizes break ties).  Repeats of the same request
        # bytes may replay it while those hold.
        ex.replayable = False
        deps = [(ex.filename, stat_key(ex.filename)), (directory, stat_key(directory))]
        for v in variants:
            name = v.file_name
            path = name if name.startswith("/") else directory + name
            deps.append((path, stat_key(path)))
        ex.byte_probes = tuple(deps)
        if result.status != 200 or result.best is None:
            return self._site.canned(ex, result.status, list(result.headers),
                                     variant_list=result.variant_list)
        best = result.best
        if best.file_name.startswith("/") or "/" in best.file_name:
            target = best.file_name
        else:
            target = directory + best.file_name
        ex.filename = target
        ex.uri = ex.uri.rsplit("/", 1)[0] + "/" + best.file_name.rsplit("/", 1)[-1]
        response = self._site.serve_path(ex)
        if response.status < 400:
            response.headers = list(result.headers) + response.headers
        return response


def _first_word(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return str(value[0]) if value else None
    return str(value)


def _words_of(value) -> list[str] | None:
    if not value:
        return None
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value]


# The merged values are tuples of words, a handful per config: convert each
# once rather than per negotiated request.
@functools.lru_cache(maxsize=64)
def _multiviews_match(value):
    words = _words_of(value) or ["negotiatedonly"]
    for word in words:
        try:
            return neg.MultiviewsMatch(str(word).lower())
        except ValueError:
            continue
    return neg.MultiviewsMatch.NEGOTIATED_ONLY


@functools.lru_cache(maxsize=64)
def _force_priority(value):
    F = neg.ForceLanguagePriority
    flags = None
    for word in _words_of(value) or []:
        flag = {"none": F.NONE, "prefer": F.PREFER, "fallback": F.FALLBACK}.get(str(word).lower())
        if flag is not None:
            flags = flag if flags is None else flags | flag
    return flags
