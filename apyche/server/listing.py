"""mod_autoindex's handler for the request pipeline: a directory's listing
(``semantics.autoindex`` renders it), with HeaderName/ReadmeName files and
the members a sub-request would be refused hidden, as Apache does.
"""

from __future__ import annotations

import stat
from dataclasses import replace
from typing import Any, Protocol

from ..config.words import split_words
from ..http.response import Response
from ..logs.errorlog import ERROR
from ..semantics import autoindex, errorpages
from ..tree.walk import stat_members

_AUTOINDEX_DIRECTIVES = frozenset((
    "IndexOptions", "IndexIgnore", "IndexIgnoreReset", "IndexOrderDefault",
    "IndexStyleSheet", "IndexHeadInsert", "HeaderName", "ReadmeName", "AddDescription",
    "AddIcon", "AddIconByType", "AddIconByEncoding", "AddAlt", "AddAltByType",
    "AddAltByEncoding", "DefaultIcon"))


class Pipeline(Protocol):
    """What a listing needs from the request pipeline."""

    types: dict
    banner: str
    gate: Any

    def extension_map(self, cfg) -> dict: ...
    def content_type(self, cfg, filename: str) -> str | None: ...
    def subrequest_ok(self, ex, dir_cfg, filename: str, uri: str) -> bool: ...
    def finish(self, ex, response: Response) -> Response: ...
    def error_response(self, ex, status: int, **kw) -> Response: ...
    def log_error(self, ex, level: int, module: str, message: str) -> None: ...


class DirectoryLister:
    """Directory listings for one Site, with each merged config's
    mod_autoindex record cached."""

    def __init__(self, site: Pipeline) -> None:
        self._site = site
        self._autoindex: dict[int, tuple[Any, Any]] = {}

    def answer(self, ex, cfg, base: str) -> Response:
        """mod_autoindex: the listing of *base*, as Apache renders it."""
        ex.replayable = False
        aicfg = self._autoindex_config(cfg)
        try:
            listing = [(name, stat.S_ISDIR(st.st_mode), st.st_size, st.st_mtime)
                       for name, st in stat_members(base)]
        except OSError as exc:
            self._site.log_error(ex, ERROR, "autoindex", f"({exc.errno}){exc.strerror}: "
                                 f"AH01275: Can't open directory for index: {base}")
            return self._site.error_response(ex, 403)
        entries = autoindex.entries_from_listing(listing, self._site.types,
                                                 self._site.extension_map(cfg))
        if cfg.files or self._site.gate.authz_for(cfg) is not None:
            # Each member's sub-request: refused ones are hidden (or shown
            # bare with ShowForbidden), as mod_autoindex does.
            uri_base = ex.uri if ex.uri.endswith("/") else ex.uri + "/"
            entries = [e if self._site.subrequest_ok(ex, cfg, base + e.name, uri_base + e.name)
                       else replace(e, status=403) for e in entries]
        srv = ex.settings
        sig_mode = cfg.get("ServerSignature") or "off"
        name, port = self._site.server_name_port(ex)
        sig = "" if sig_mode == "off" else errorpages.signature(
            sig_mode, banner=self._site.banner, server_name=name, port=port,
            server_admin=srv.admin, prefix="")
        header = self._included(cfg, base, aicfg, "header")
        readme = self._included(cfg, base, aicfg, "readme")
        body, ctype = autoindex.render_index(
            autoindex.IndexRequest(ex.uri, base, ex.query), entries, aicfg,
            header=header, readme=readme, signature=sig)
        data = body.encode("utf-8", "surrogateescape")
        ex.content_type = ctype
        headers = [("Content-Length", str(len(data))), ("Content-Type", ctype)]
        return self._site.finish(ex, Response(200, headers,
                                              b"" if ex.request.method == "HEAD" else data))

    def _autoindex_config(self, cfg):
        """mod_autoindex's record for this directory: each merged scope's
        autoindex directives applied, then merged in order
        (``merge_autoindex_configs``)."""
        hit = self._autoindex.get(id(cfg))
        if hit is not None and hit[0] is cfg:
            return hit[1]
        merged = autoindex.AutoindexConfig()
        for scope in cfg.scopes:
            pairs = [(s.name, split_words(s.args)) for s in scope.settings
                     if s.name in _AUTOINDEX_DIRECTIVES]
            if pairs:
                try:
                    own = autoindex.apply_directives(pairs, section_path=scope.path)
                except Exception:   # validated at config load
                    continue
                merged = autoindex.merge_configs(merged, own)
        if len(self._autoindex) > 4096:
            self._autoindex.clear()
        self._autoindex[id(cfg)] = (cfg, merged)
        return merged

    def _included(self, cfg, base: str, aicfg, which: str):
        """HeaderName/ReadmeName: a text or HTML file in the directory."""
        name = getattr(aicfg, f"{which}_name", None) or getattr(aicfg, which, None)
        if not name or not isinstance(name, str) or name.startswith("/"):
            return None
        path = base + name
        try:
            with open(path, "rb") as fh:
                data = fh.read(1 << 20)
        except OSError:
            return None
        ctype = self._site.content_type(cfg, path) or ""
        if ctype.startswith(("text/html", "application/xhtml+xml")):
            return autoindex.IncludedFile(data.decode("utf-8", "surrogateescape"), True)
        if ctype.startswith("text/"):
            return autoindex.IncludedFile(data.decode("utf-8", "surrogateescape"), False)
        return None
