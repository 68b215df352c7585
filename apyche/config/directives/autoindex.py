"""autoindex_module directives (modules/generators/mod_autoindex.c)."""

from __future__ import annotations

from ..registry import OR_ALL, OR_INDEXES, ArgForm, Cmd, Directive
from ..values import (
    IndexItem, IndexOptions, c_atoi, fnmatch_test, is_matchexp,
    merge_index_options, merge_prepend, SortOrder,
)
from ._util import DirectiveError

AUTOINDEX = "autoindex_module"
DIR_CMD_PERMS = OR_INDEXES

NO_OPTIONS = 1 << 0
OPTION_BITS = {
    "iconsarelinks": 1 << 1, "scanhtmltitles": 1 << 2, "suppressicon": 1 << 3,
    "suppresslastmodified": 1 << 4, "suppresssize": 1 << 5,
    "suppressdescription": 1 << 6, "suppresshtmlpreamble": 1 << 7,
    "suppresscolumnsorting": 1 << 8, "suppressrules": 1 << 9,
    "foldersfirst": 1 << 10, "versionsort": 1 << 11, "trackmodified": 1 << 12,
    "fancyindexing": 1 << 13, "htmltable": 1 << 14, "ignoreclient": 1 << 15,
    "ignorecase": 1 << 16, "xhtml": 1 << 17, "showforbidden": 1 << 18,
    "addaltclass": 1 << 19,
}
DEFAULT_ICON_WIDTH = 20
DEFAULT_ICON_HEIGHT = 22
DEFAULT_NAME_WIDTH = 23
DEFAULT_DESC_WIDTH = 23


def add_opts(cmd: Cmd, *argv: str):
    """add_opts, starting from an empty option set; valued keywords land in
    ``settings`` (icon_width, icon_height, name_width, name_adjust,
    desc_width, desc_adjust, type, charset, datetime_format)."""
    opts = add = remove = 0
    settings: dict = {}
    for w in argv:
        option = 0
        action = ""
        if w[:1] in ("+", "-"):
            action, w = w[0], w[1:]
        low = w.lower()
        if low in OPTION_BITS:
            option = OPTION_BITS[low]
        elif low == "none":
            if action:
                raise DirectiveError("Cannot combine '+' or '-' with 'None' keyword")
            opts, add, remove = NO_OPTIONS, 0, 0
        elif low == "iconwidth":
            settings["icon_width"] = 0 if action == "-" else DEFAULT_ICON_WIDTH
        elif low.startswith("iconwidth="):
            if action == "-":
                raise DirectiveError("Cannot combine '-' with IconWidth=n")
            settings["icon_width"] = c_atoi(w[10:])
        elif low == "iconheight":
            settings["icon_height"] = 0 if action == "-" else DEFAULT_ICON_HEIGHT
        elif low.startswith("iconheight="):
            if action == "-":
                raise DirectiveError("Cannot combine '-' with IconHeight=n")
            settings["icon_height"] = c_atoi(w[11:])
        elif low == "namewidth":
            if action != "-":
                raise DirectiveError(
                    "NameWidth with no value may only appear as '-NameWidth'")
            settings["name_width"] = DEFAULT_NAME_WIDTH
            settings["name_adjust"] = False
        elif low.startswith("namewidth="):
            if action == "-":
                raise DirectiveError("Cannot combine '-' with NameWidth=n")
            if w[10:11] == "*":
                settings["name_adjust"] = True
            else:
                width = c_atoi(w[10:])
                if width and width < 5:
                    raise DirectiveError("NameWidth value must be greater than 5")
                settings["name_width"] = width
                settings["name_adjust"] = False
        elif low == "descriptionwidth":
            if action != "-":
                raise DirectiveError("DescriptionWidth with no value may only "
                                     "appear as '-DescriptionWidth'")
            settings["desc_width"] = DEFAULT_DESC_WIDTH
            settings["desc_adjust"] = False
        elif low.startswith("descriptionwidth="):
            if action == "-":
                raise DirectiveError("Cannot combine '-' with DescriptionWidth=n")
            if w[17:18] == "*":
                settings["desc_adjust"] = True
            else:
                width = c_atoi(w[17:])
                if width and width < 12:
                    raise DirectiveError(
                        "DescriptionWidth value must be greater than 12")
                settings["desc_width"] = width
                settings["desc_adjust"] = False
        elif low.startswith("type="):
            settings["type"] = w[5:]
        elif low.startswith("charset="):
            settings["charset"] = w[8:]
        elif low == "useolddateformat":
            settings["datetime_format"] = "%d-%b-%Y %H:%M"
        else:
            raise DirectiveError("Invalid directory indexing option")
        if not action:
            opts |= option
            add = remove = 0
        elif action == "+":
            add |= option
            remove &= ~option
        else:
            remove |= option
            add &= ~option
    if opts & NO_OPTIONS and opts & ~NO_OPTIONS:
        raise DirectiveError("Cannot combine other IndexOptions keywords with 'None'")
    return IndexOptions(opts, add, remove, tuple(settings.items()))


def _kind_to(kind: str, to: str) -> str:
    if kind == "path" and to == "**DIRECTORY**":
        return "^^DIRECTORY^^"
    if kind == "encoding":
        return to.lower()
    return to


def _apply_to(kind: str, to: str) -> str:
    """push_item: by-path patterns without wildcards get a leading ``*``."""
    if kind == "path" and not is_matchexp(to):
        return "*" + to
    return to


def _add_alt(kind: str):
    def add_alt(cmd: Cmd, alt: str, to: str):
        to = _kind_to(kind, to)
        return IndexItem(kind, _apply_to(kind, to), alt, cmd.path)
    return add_alt


def _add_icon(kind: str):
    """add_icon: an ``(ALT,/icon)`` first argument also declares the alt
    text (``IndexItem.alt``), as Apache's add_icon calls add_alt."""
    def add_icon(cmd: Cmd, icon: str, to: str):
        alt = None
        if icon.startswith("("):
            close = icon.find(")")
            if close < 0:
                raise DirectiveError("missing closing paren")
            inner = icon[:close]
            comma = inner.find(",")
            if comma >= 0:
                alt, icon = inner[1:comma], inner[comma + 1:]
            else:
                alt, icon = inner[1:], ""
        t = _kind_to(kind, to)
        return IndexItem(kind, _apply_to(kind, t), icon, cmd.path, alt)
    return add_icon


def add_desc(cmd: Cmd, desc: str, to: str):
    """add_desc: patterns with a '/' or wildcards are wrapped in ``*``."""
    full_path = "/" in to
    wildcards = full_path or fnmatch_test(to)
    if wildcards:
        pattern = ("*/" if full_path else "*") + to + "*"
    else:
        pattern = to
    return IndexItem("description", pattern, desc, cmd.path)


def add_ignore(cmd: Cmd, ext: str):
    return IndexItem("ignore", ext, None, cmd.path)


def set_default_order(cmd: Cmd, direction: str, key: str):
    d = direction.lower()
    if d not in ("ascending", "descending"):
        raise DirectiveError("First keyword must be 'Ascending' or 'Descending'")
    k = key.lower()
    if k not in ("name", "date", "size", "description"):
        raise DirectiveError(
            "Second keyword must be 'Name', 'Date', 'Size', or 'Description'")
    return SortOrder(d, k)


def set_deprecated(cmd: Cmd, args: str):
    raise DirectiveError(cmd.directive.help)


def _string(cmd: Cmd, arg: str):
    return arg


def _flag(cmd: Cmd, flag: bool):
    return flag



DIRECTIVES = (
    Directive("AddIcon", AUTOINDEX, ArgForm.ITERATE2, DIR_CMD_PERMS,
              "an icon URL followed by one or more filenames",
              _add_icon("path"), merge=merge_prepend, default=()),
    Directive("AddIconByType", AUTOINDEX, ArgForm.ITERATE2, DIR_CMD_PERMS,
              "an icon URL followed by one or more MIME types",
              _add_icon("type"), merge=merge_prepend, default=()),
    Directive("AddIconByEncoding", AUTOINDEX, ArgForm.ITERATE2, DIR_CMD_PERMS,
              "an icon URL followed by one or more content encodings",
              _add_icon("encoding"), merge=merge_prepend, default=()),
    Directive("AddAlt", AUTOINDEX, ArgForm.ITERATE2, DIR_CMD_PERMS,
              "alternate descriptive text followed by one or more filenames",
              _add_alt("path"), merge=merge_prepend, default=()),
    Directive("AddAltByType", AUTOINDEX, ArgForm.ITERATE2, DIR_CMD_PERMS,
              "alternate descriptive text followed by one or more MIME types",
              _add_alt("type"), merge=merge_prepend, default=()),
    Directive("AddAltByEncoding", AUTOINDEX, ArgForm.ITERATE2, DIR_CMD_PERMS,
              "alternate descriptive text followed by one or more content "
              "encodings", _add_alt("encoding"), merge=merge_prepend, default=()),
    Directive("IndexOptions", AUTOINDEX, ArgForm.TAKE_ARGV, DIR_CMD_PERMS,
              "one or more index options [+|-][]", add_opts,
              merge=merge_index_options, default=IndexOptions()),
    Directive("IndexOrderDefault", AUTOINDEX, ArgForm.TAKE2, DIR_CMD_PERMS,
              "{Ascending,Descending} {Name,Size,Description,Date}",
              set_default_order, default=SortOrder("ascending", "name")),
    Directive("IndexIgnore", AUTOINDEX, ArgForm.ITERATE, DIR_CMD_PERMS,
              "one or more file extensions", add_ignore, merge=merge_prepend,
              default=()),
    Directive("IndexIgnoreReset", AUTOINDEX, ArgForm.FLAG, DIR_CMD_PERMS,
              "Reset the inherited list of IndexIgnore filenames", _flag,
              default=False),
    Directive("AddDescription", AUTOINDEX, ArgForm.ITERATE2, DIR_CMD_PERMS,
              "Descriptive text followed by one or more filenames", add_desc,
              merge=merge_prepend, default=()),
    Directive("HeaderName", AUTOINDEX, ArgForm.TAKE1, DIR_CMD_PERMS,
              "a filename", _string),
    Directive("ReadmeName", AUTOINDEX, ArgForm.TAKE1, DIR_CMD_PERMS,
              "a filename", _string),
    Directive("FancyIndexing", AUTOINDEX, ArgForm.RAW_ARGS, OR_ALL,
              "The FancyIndexing directive is no longer supported. Use "
              "IndexOptions FancyIndexing.", set_deprecated),
    Directive("DefaultIcon", AUTOINDEX, ArgForm.TAKE1, DIR_CMD_PERMS,
              "an icon URL", _string),
    Directive("IndexStyleSheet", AUTOINDEX, ArgForm.TAKE1, DIR_CMD_PERMS,
              "URL to style sheet", _string),
    Directive("IndexHeadInsert", AUTOINDEX, ArgForm.TAKE1, DIR_CMD_PERMS,
              "String to insert in HTML HEAD section", _string),
)
