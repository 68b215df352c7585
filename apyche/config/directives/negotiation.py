"""negotiation_module directives (modules/mappers/mod_negotiation.c)."""

from __future__ import annotations

from ..registry import OR_FILEINFO, RSRC_CONF, ArgForm, Cmd, Directive
from ._util import DirectiveError, scope_memo

NEG = "negotiation_module"


def set_language_priority(cmd: Cmd, lang: str):
    return lang


def set_force_priority(cmd: Cmd, w: str):
    """One word; the FLP_* bits accumulate across the words and lines of
    one scope (as in neg_dir_config) so None/Prefer/Fallback clash."""
    seen = scope_memo(cmd, "negotiation.force_priority").setdefault("seen", set())
    low = w.lower()
    if low == "none":
        if seen - {"none"}:
            raise DirectiveError("Cannot combine ForceLanguagePriority options with None")
    elif low == "prefer":
        if "none" in seen:
            raise DirectiveError(
                "Cannot combine ForceLanguagePriority options None and Prefer")
    elif low == "fallback":
        if "none" in seen:
            raise DirectiveError(
                "Cannot combine ForceLanguagePriority options None and Fallback")
    else:
        raise DirectiveError(f"Invalid ForceLanguagePriority option {w}")
    if low == "none":
        seen.clear()
    seen.add(low)
    return low


def cache_negotiated_docs(cmd: Cmd, flag: bool):
    return flag


DIRECTIVES = (
    Directive("CacheNegotiatedDocs", NEG, ArgForm.FLAG, RSRC_CONF,
              "Either 'on' or 'off' (default)", cache_negotiated_docs,
              default=False),
    Directive("LanguagePriority", NEG, ArgForm.ITERATE, OR_FILEINFO,
              "space-delimited list of MIME language abbreviations",
              set_language_priority, merge="replace", default=()),
    Directive("ForceLanguagePriority", NEG, ArgForm.ITERATE, OR_FILEINFO,
              "Force LanguagePriority elections, either None, or Fallback "
              "and/or Prefer", set_force_priority, default=("prefer",)),
)
