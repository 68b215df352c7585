"""What the handler phase reads of one merged DirConfig, decided once.

The walks hand every request a merged ``DirConfig``, and they hand the same
object to every request in the same place (the resolver caches it by
directory, and a <Files> or <Location> walk that matches nothing returns
its input).  Everything the pipeline reads from it after the walks - mod_mime's
extension map and the type a name gets, FileETag, MaxRanges, the sender,
whether any Redirect, SetEnv* or handler directive applies - therefore needs
deciding only once per object: ``DirPlans.plan_for`` does it, and a request
for a file nobody asked for before pays dictionary lookups, not directive
parsing.  Nothing here depends on the request.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..semantics.mimetypes import build_extension_map, find_ct
from ..tree.walk import symlink_policy
from .headers import SETENVIF_DIRECTIVES, setenvif_rules

__all__ = ["DirPlan", "DirPlans", "REDIRECT_DIRECTIVES"]

REDIRECT_DIRECTIVES = ("Redirect", "RedirectMatch", "RedirectTemp", "RedirectPermanent")
# What mod_env's fixups run (apyche/server/headers.py: env_fixups).
_ENV_FIXUP_DIRECTIVES = ("SetEnv", "UnsetEnv", "PassEnv")
_MIME_DIRECTIVES = ("AddType", "AddCharset", "AddLanguage", "AddEncoding", "AddHandler",
                    "RemoveType")
_MIME_MEMO_MAX = 1024     # distinct extension chains remembered per plan


class DirPlan:
    """One merged DirConfig, read for the handler phase."""

    __slots__ = ("ext_map", "_types", "_mime_memo", "has_redirects", "has_env_rules", "has_env_fixups",
                 "has_request_headers", "env_rules", "_section_env_rules",
                 "set_handler", "add_handler", "accept_path_info", "final_symlinks",
                 "etag_bits", "max_ranges", "max_overlaps", "max_reversals",
                 "ranges_header", "sender", "force_type", "default_charset")

    def __init__(self, cfg, types: Mapping[str, str]) -> None:
        self._types = types
        self.ext_map = _extension_map(cfg)
        self._mime_memo: dict[str, tuple] = {}
        self.has_redirects = any(name in cfg for name in REDIRECT_DIRECTIVES)
        self.has_env_rules = any(name in cfg for name in SETENVIF_DIRECTIVES)
        self.has_env_fixups = any(name in cfg for name in _ENV_FIXUP_DIRECTIVES)
        self.has_request_headers = "RequestHeader" in cfg
        # SetEnvIf*/BrowserMatch* as merged here; the sections' own, once
        # the server's are known (section_env_rules)
        self.env_rules = setenvif_rules(cfg) if self.has_env_rules else ()
        self._section_env_rules: tuple | None = None
        handler = cfg.get("SetHandler")
        self.set_handler = str(handler) if handler and str(handler).lower() != "none" else None
        self.add_handler = "AddHandler" in cfg
        self.accept_path_info = str(cfg.get("AcceptPathInfo") or "default").lower() == "on"
        # the policy for the file itself (the walk's checks cover its directories)
        self.final_symlinks = symlink_policy(getattr(cfg.get("Options"), "opts", 4))
        self.etag_bits = _etag_bits(cfg.get("FileETag"))
        self.max_ranges = _range_limit(cfg.get("MaxRanges"), 200)
        self.max_overlaps = _range_limit(cfg.get("MaxRangeOverlaps"), 20)
        self.max_reversals = _range_limit(cfg.get("MaxRangeReversals"), 20)
        self.ranges_header = "none" if self.max_ranges == 0 else "bytes"
        self.sender = ("sendfile" if cfg.get("EnableSendfile")
                       else "mmap" if cfg.get("EnableMMAP") else "read")
        forced = cfg.get("ForceType")
        self.force_type = str(forced) if forced and str(forced).lower() != "none" else None
        self.default_charset = cfg.get("AddDefaultCharset") or None

    def mime(self, filename: str) -> tuple[str | None, tuple[tuple[str, str], ...], str | None]:
        """mod_mime's answer for *filename*: its Content-Type (after ForceType
        and AddDefaultCharset), the Content-Encoding and Content-Language
        headers its extensions give (in the order Apache sends them, after
        Content-Type), and the handler an AddHandler gives it.  Only the
        extensions decide it, so it is remembered by them."""
        name = filename[filename.rfind("/") + 1:]
        start = len(name) - len(name.lstrip("."))
        dot = name.find(".", start)
        chain = name[dot:] if dot >= 0 else ""
        hit = self._mime_memo.get(chain)
        if hit is None:
            hit = self._mime_of(chain)
            if len(self._mime_memo) >= _MIME_MEMO_MAX:
                self._mime_memo.clear()
            self._mime_memo[chain] = hit
        return hit

    def _mime_of(self, chain: str):
        result = find_ct("x" + chain, self._types, self.ext_map)
        ctype = self.force_type or result.content_type
        charset = self.default_charset
        if ctype and charset and ctype in ("text/plain", "text/html"):
            ctype = f"{ctype}; charset={charset}"
        extras = []
        if result.encoding:
            extras.append(("Content-Encoding", result.encoding))
        if result.content_language:
            extras.append(("Content-Language", result.content_language))
        return ctype, tuple(extras), result.handler

    def section_env_rules(self, server_ids: frozenset) -> tuple:
        """The rules header_parser runs: the merged ones but the server's
        (*server_ids*: post_read_request ran those).  A merged config
        belongs to one server, so the first answer holds."""
        if self._section_env_rules is None:
            self._section_env_rules = tuple(r for r in self.env_rules
                                            if id(r) not in server_ids)
        return self._section_env_rules

    def handler_of(self, filename: str) -> str | None:
        """The handler SetHandler or AddHandler names for *filename*."""
        if self.set_handler is not None:
            return self.set_handler
        return self.mime(filename)[2] if self.add_handler else None


class DirPlans:
    """``plan_for(cfg)``, remembered by the config object's identity (the
    entry keeps the object alive, so the id cannot be reused under it)."""

    def __init__(self, types: Mapping[str, str], limit: int = 4096) -> None:
        self._types = types
        self._plans: dict[int, tuple[Any, DirPlan]] = {}
        self._limit = limit

    def plan_for(self, cfg) -> DirPlan:
        hit = self._plans.get(id(cfg))
        if hit is not None and hit[0] is cfg:
            return hit[1]
        plan = DirPlan(cfg, self._types)
        if len(self._plans) >= self._limit:
            self._plans.clear()
        self._plans[id(cfg)] = (cfg, plan)
        return plan


def _extension_map(cfg) -> dict:
    """mod_mime's extension map as merged for *cfg* (AddType, AddCharset,
    AddLanguage, AddEncoding, AddHandler, RemoveType)."""
    fields: dict[str, dict[str, str]] = {"type": {}, "charset": {}, "language": {},
                                         "encoding": {}, "handler": {}}
    removed: list[str] = []
    for name in _MIME_DIRECTIVES:
        for v in cfg.get(name) or ():
            field_name = getattr(v, "field", None)
            ext = getattr(v, "extension", None)
            if field_name is None or ext is None:
                continue
            if name == "RemoveType" or not getattr(v, "value", ""):
                removed.append(ext)
            else:
                fields.setdefault(field_name, {})[ext] = v.value
    return build_extension_map(add_type=fields["type"], add_charset=fields["charset"],
                               add_language=fields["language"],
                               add_encoding=fields["encoding"],
                               add_handler=fields["handler"], remove_type=removed)


def _etag_bits(value) -> int:
    bits = getattr(value, "bits", None)
    if bits is None or bits & 0x10:      # ETAG_UNSET: Apache's default MTime Size
        return 0x2 | 0x4
    return bits


def _range_limit(value, default: int) -> int | None:
    """The registry's MaxRanges-style value as ranges.py takes it: none is
    0 (ranges off), unlimited None, default the built-in number."""
    if value is None or value == -2:
        return default
    if value == -1:
        return 0
    if value == -3:
        return None
    return value
