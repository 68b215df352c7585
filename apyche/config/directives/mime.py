"""mime_module directives (modules/http/mod_mime.c ``mime_cmds``)."""

from __future__ import annotations

from ..registry import (
    ACCESS_CONF, NOT_IN_LOCATION, OR_FILEINFO, RSRC_CONF, ArgForm, Cmd,
    Directive,
)
from ..values import ExtensionMapping, ExtensionRemoval
from ._util import DirectiveError, scope_memo

MIME = "mime_module"


def _add_info(field: str):
    """add_extension_info: value and extension lowercased, one leading
    dot dropped from the extension."""
    def handler(cmd: Cmd, value: str, ext: str):
        key = ext.lower()
        if key.startswith("."):
            key = key[1:]
        return ExtensionMapping(field, value.lower(), key)
    return handler


def _remove_info(field: str):
    """remove_extension_info."""
    def handler(cmd: Cmd, ext: str):
        if ext.startswith("."):
            ext = ext[1:]
        return ExtensionRemoval(field, ext.lower())
    return handler


def remove_extension_type(cmd: Cmd, ext: str):
    """RemoveType stores an empty type (so it also hides TypesConfig)."""
    key = ext.lower()
    if key.startswith("."):
        key = key[1:]
    return ExtensionMapping("type", "", key)


_MULTI = {"any": 1, "negotiatedonly": 2, "filters": 4, "handlers": 8}


def multiviews_match(cmd: Cmd, include: str):
    cmd.check_context(NOT_IN_LOCATION)
    memo = scope_memo(cmd, "mime.multimatch")
    bits = memo.get("bits", 0)
    low = include.lower()
    if low == "any":
        if bits and bits & ~1:
            raise DirectiveError("Any is incompatible with NegotiatedOnly, "
                                 "Filters and Handlers")
    elif low == "negotiatedonly":
        if bits and bits & ~2:
            raise DirectiveError("NegotiatedOnly is incompatible with Any, "
                                 "Filters and Handlers")
    elif low in ("filters", "handlers"):
        if bits and bits & 3:
            raise DirectiveError(
                f"{'Filters' if low == 'filters' else 'Handlers'} is "
                "incompatible with Any and NegotiatedOnly")
    else:
        raise DirectiveError(f"Unrecognized option '{include}'")
    memo["bits"] = bits | _MULTI[low]
    return low


def _string(cmd: Cmd, arg: str):
    return arg


def _flag(cmd: Cmd, flag: bool):
    return flag


_EXT = "one or more file extensions"

DIRECTIVES = (
    Directive("AddCharset", MIME, ArgForm.ITERATE2, OR_FILEINFO,
              "a charset (e.g., iso-2022-jp), followed by one or more file "
              "extensions", _add_info("charset"), merge="append", default=()),
    Directive("AddEncoding", MIME, ArgForm.ITERATE2, OR_FILEINFO,
              "an encoding (e.g., gzip), followed by one or more file "
              "extensions", _add_info("encoding"), merge="append", default=()),
    Directive("AddHandler", MIME, ArgForm.ITERATE2, OR_FILEINFO,
              "a handler name followed by one or more file extensions",
              _add_info("handler"), merge="append", default=()),
    Directive("AddInputFilter", MIME, ArgForm.ITERATE2, OR_FILEINFO,
              "input filter name (or ; delimited names) followed by one or "
              "more file extensions", _add_info("input_filters"),
              merge="append", default=()),
    Directive("AddLanguage", MIME, ArgForm.ITERATE2, OR_FILEINFO,
              "a language (e.g., fr), followed by one or more file extensions",
              _add_info("language"), merge="append", default=()),
    Directive("AddOutputFilter", MIME, ArgForm.ITERATE2, OR_FILEINFO,
              "output filter name (or ; delimited names) followed by one or "
              "more file extensions", _add_info("output_filters"),
              merge="append", default=()),
    Directive("AddType", MIME, ArgForm.ITERATE2, OR_FILEINFO,
              "a mime type followed by one or more file extensions",
              _add_info("type"), merge="append", default=()),
    Directive("DefaultLanguage", MIME, ArgForm.TAKE1, OR_FILEINFO,
              "language to use for documents with no other language file "
              "extension", _string),
    Directive("MultiviewsMatch", MIME, ArgForm.ITERATE, OR_FILEINFO,
              "NegotiatedOnly (default), Handlers and/or Filters, or Any",
              multiviews_match, default=("negotiatedonly",)),
    Directive("RemoveCharset", MIME, ArgForm.ITERATE, OR_FILEINFO, _EXT,
              _remove_info("charset"), merge="append", default=()),
    Directive("RemoveEncoding", MIME, ArgForm.ITERATE, OR_FILEINFO, _EXT,
              _remove_info("encoding"), merge="append", default=()),
    Directive("RemoveHandler", MIME, ArgForm.ITERATE, OR_FILEINFO, _EXT,
              _remove_info("handler"), merge="append", default=()),
    Directive("RemoveInputFilter", MIME, ArgForm.ITERATE, OR_FILEINFO, _EXT,
              _remove_info("input_filters"), merge="append", default=()),
    Directive("RemoveLanguage", MIME, ArgForm.ITERATE, OR_FILEINFO, _EXT,
              _remove_info("language"), merge="append", default=()),
    Directive("RemoveOutputFilter", MIME, ArgForm.ITERATE, OR_FILEINFO, _EXT,
              _remove_info("output_filters"), merge="append", default=()),
    Directive("RemoveType", MIME, ArgForm.ITERATE, OR_FILEINFO, _EXT,
              remove_extension_type, merge="append", default=()),
    Directive("TypesConfig", MIME, ArgForm.TAKE1, RSRC_CONF,
              "the MIME types config file", _string,
              default="mime.types"),
    Directive("ModMimeUsePathInfo", MIME, ArgForm.FLAG, ACCESS_CONF,
              "Set to 'yes' to allow mod_mime to use path info for type "
              "checking", _flag, default=False),
)
