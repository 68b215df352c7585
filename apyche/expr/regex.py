"""Apache's regular expressions (PCRE2) on top of Python's ``re``.

Apache compiles expression regexes with ap_pregcomp(), i.e. PCRE2 with the
server's default options AP_REG_DEFAULT = DOTALL | DOLLAR_ENDONLY
(server/util_pcre.c), plus caseless for /.../i.  Python's ``re`` is close
to PCRE but not equal.  ``compile_pcre`` walks the pattern once and

* translates what has a faithful ``re`` spelling:
    - ``$`` (with DOLLAR_ENDONLY: the very end only)  -> ``\\Z``
      (left as ``$`` when the pattern switches on multiline with (?m),
      where PCRE ignores DOLLAR_ENDONLY);
    - ``\\Z`` (end, or before a final newline) -> ``(?=\\n?\\Z)``; ``\\z`` -> ``\\Z``;
    - ``(?<name>..)`` / ``(?'name'..)`` -> ``(?P<name>..)``;
      ``\\k<name>`` ``\\k'name'`` ``\\k{name}`` ``\\g{name}`` -> ``(?P=name)``;
      ``\\g{N}`` / ``\\gN`` -> ``\\N``;
    - ``\\Q...\\E`` literal runs, ``\\e`` (ESC), ``\\cX`` (control-X),
      ``\\h`` ``\\H`` (horizontal space), ``\\N`` (not newline), ``\\R``;
    - POSIX classes inside brackets (``[[:alpha:]]``, ASCII meaning);
    - ``{,n}``, which PCRE2 (before 10.43) reads as literal text while
      ``re`` reads it as a quantifier;
* rejects, with ``RegexUnsupported`` (a clear message naming the
  construct), what ``re`` cannot do: recursion and subroutine calls
  (``(?R)`` ``(?1)`` ``(?&n)`` ``(?P>n)``), branch reset ``(?|``, callouts,
  backtracking verbs ``(*...)``, ``\\K`` ``\\G`` ``\\X`` ``\\C`` ``\\p``
  ``\\P``, ``\\v`` ``\\V`` (``re``'s ``\\v`` is a different thing), the
  flags ``U`` ``J`` ``X`` ``n``, flags switched on in the middle of a
  pattern (``a(?i)b``: ``re`` only takes them at the start), negated POSIX
  classes, conditionals other than on a group number/name, and
  look-behinds that PCRE accepts but ``re`` does not (alternatives of
  different fixed lengths);
* leaves everything else to ``re`` and reports a pattern ``re`` refuses
  as a compile failure (Apache: "Failed to compile regular expression").

Remaining differences (documented, not detected): PCRE without UTF mode
works on bytes, so ``.`` and ``[^a]`` match one byte of a multi-byte UTF-8
character where ``re`` matches the whole character, and caseless matching
of non-ASCII letters differs (we compile with ``re.ASCII`` so ``\\w \\d
\\s \\b`` keep PCRE's ASCII meaning); ``\\10`` and up are always
back-references (PCRE: octal when there are fewer groups); PCRE's match
limits (a "catastrophic" pattern errors out in PCRE, runs long in re).
"""

from __future__ import annotations

import re
import warnings


class RegexUnsupported(ValueError):
    """PCRE accepts the pattern but Python's re cannot run it faithfully."""


class RegexInvalid(ValueError):
    """The pattern does not compile (PCRE would refuse it too)."""


_POSIX = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "ascii": "\\x00-\\x7f",
    "blank": " \\t", "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9",
    "graph": "!-~", "lower": "a-z", "print": " -~",
    "punct": "!-/:-@\\[-`{-~", "space": " \\t\\n\\r\\f\\v", "upper": "A-Z",
    "word": "a-zA-Z0-9_", "xdigit": "0-9A-Fa-f",
}
_HSPACE = "\\t \\xa0"
_UNSUPPORTED_ESCAPES = {
    "K": "\\K (match start reset)", "G": "\\G (first match position)",
    "X": "\\X (extended grapheme)", "C": "\\C (single code unit)",
    "p": "\\p{..} (Unicode property)", "P": "\\P{..} (Unicode property)",
}
_VSPACE = "\\n\\x0b\\x0c\\r\\x85"
# escapes PCRE2 refuses ("does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u")
_INVALID_ESCAPES = "FLlUu"


def _unsupported(what: str, pattern: str):
    raise RegexUnsupported(
        f"regular expression {pattern!r} uses {what}, which apyche cannot "
        f"evaluate the way Apache's PCRE does")


def translate(pattern: str) -> str:
    """PCRE2 syntax -> re syntax (see the module docstring)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    multiline = bool(re.match(r"\(\?[a-zA-Z]*m", pattern))
    at_start = True
    # per open group: the (?flags) switched on inside it so far, each
    # rendered as a scoped (?flags: ...) group closed with the group
    pending: list[list[str]] = [[]]
    groups = [0]       # capture groups opened so far
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise RegexInvalid("trailing backslash")
            d = pattern[i + 1]
            if d == "Q":
                end = pattern.find("\\E", i + 2)
                lit = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
                out.append(re.escape(lit))
                i = n if end < 0 else end + 2
            elif d == "E":
                i += 2
            elif d in _UNSUPPORTED_ESCAPES:
                _unsupported(_UNSUPPORTED_ESCAPES[d], pattern)
            elif d in _INVALID_ESCAPES:
                raise RegexInvalid(f"PCRE2 does not support \\{d}")
            elif d == "v":
                out.append(f"[{_VSPACE}]")
                i += 2
            elif d == "V":
                out.append(f"[^{_VSPACE}]")
                i += 2
            elif d in "xo" and pattern[i + 2:i + 3] == "{":
                end = pattern.find("}", i)
                digits = pattern[i + 3:end] if end > 0 else ""
                base = 16 if d == "x" else 8
                try:
                    value = int(digits, base)
                except ValueError:
                    raise RegexInvalid(f"bad \\{d}{{...}}") from None
                if value > 0xFF:      # no UTF mode: one byte at most
                    raise RegexInvalid("character code point value too large")
                out.append("\\x%02x" % value)
                i = end + 1
            elif d == "z":
                out.append("\\Z")
                i += 2
            elif d == "Z":
                out.append("(?=\\n?\\Z)")
                i += 2
            elif d == "e":
                out.append("\\x1b")
                i += 2
            elif d == "c":
                if i + 2 >= n:
                    raise RegexInvalid("\\c at end of pattern")
                out.append("\\x%02x" % (ord(pattern[i + 2].upper()) ^ 0x40))
                i += 3
            elif d == "h":
                out.append(f"[{_HSPACE}]")
                i += 2
            elif d == "H":
                out.append(f"[^{_HSPACE}]")
                i += 2
            elif d == "N":
                out.append("[^\\n]")
                i += 2
            elif d == "R":
                out.append("(?:\\r\\n|[\\n\\x0b\\x0c\\r\\x85])")
                i += 2
            elif d in "kg":
                m = re.compile(r"\\[kg](?:<(\w+)>|'(\w+)'|\{(-?\w+)\}|(-?\d+))").match(pattern, i)
                if not m:
                    raise RegexInvalid("bad \\k or \\g reference")
                name = m.group(1) or m.group(2) or m.group(3) or m.group(4)
                if name.startswith("-") and name[1:].isdigit():
                    ref = groups[0] + 1 - int(name[1:])
                    if ref < 1:
                        raise RegexInvalid("reference to non-existent subpattern")
                    name = str(ref)
                if name.isdigit():
                    out.append(f"(?:\\{int(name)})")
                else:
                    out.append(f"(?P={name})")
                i = m.end()
            else:
                out.append(pattern[i:i + 2])
                i += 2
            at_start = False
            continue
        if c == "[":
            if _posix_syntax(pattern, i) is not None:
                # PCRE2: "POSIX named classes are supported only within a class"
                raise RegexInvalid("POSIX class outside a bracket expression")
            i = _char_class(pattern, i, out)
            at_start = False
            continue
        if c == "$":
            out.append("$" if multiline else "\\Z")
            i += 1
            at_start = False
            continue
        if c == "{":
            m = re.compile(r"\{,(\d*)\}").match(pattern, i)
            if m:
                out.append(re.escape(m.group()))
                i = m.end()
                continue
        if c == "(":
            i = _group_open(pattern, i, out, at_start, pending, groups)
            at_start = False
            continue
        if c == ")" and len(pending) > 1:
            out.append(")" * len(pending.pop()))
        elif c == "|" and pending[-1]:
            # PCRE: the options also hold in the following alternatives
            out.append(")" * len(pending[-1]) + "|"
                       + "".join(f"(?{f}:" for f in pending[-1]))
            i += 1
            continue
        out.append(c)
        i += 1
        at_start = False
    out.append(")" * len(pending[0]))
    return "".join(out)


def _complement(spec: str) -> str:
    """The class text for every character not in the ASCII class *spec*."""
    members = set(ch for ch in map(chr, range(128))
                  if re.fullmatch(f"[{spec}]", ch))
    out, start = [], None
    for cp in range(129):
        inside = cp < 128 and chr(cp) not in members
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            out.append("\\x%02x-\\x%02x" % (start, cp - 1))
            start = None
    out.append("\\x80-\\U0010ffff")
    return "".join(out)


def _posix_syntax(pattern: str, i: int) -> int | None:
    """PCRE2's check_posix_syntax: at "[:" / "[." / "[=", the index of the
    closing ":]" / ".]" / "=]" if the text up to it looks like one."""
    if pattern[i + 1:i + 2] not in (":", ".", "="):
        return None
    term = pattern[i + 1]
    j, n = i + 2, len(pattern)
    while j < n:
        c = pattern[j]
        if c == "\\" and pattern[j + 1:j + 2] in ("]", "\\"):
            j += 2
            continue
        if (c == "[" and pattern[j + 1:j + 2] == term) or c == "]":
            return None
        if c == term and pattern[j + 1:j + 2] == "]":
            return j
        j += 1
    return None


def _char_class(pattern: str, i: int, out: list[str]) -> int:
    """Copy a [...] class starting at i; translate POSIX classes inside."""
    n = len(pattern)
    j = i + 1
    parts = ["["]
    if j < n and pattern[j] == "^":
        parts.append("^")
        j += 1
    first = True
    while j < n:
        c = pattern[j]
        if c == "]" and not first:
            parts.append("]")
            out.append("".join(parts))
            return j + 1
        first = False
        end = _posix_syntax(pattern, j) if c == "[" else None
        if end is not None:
            kind, body = pattern[j + 1], pattern[j + 2:end]
            if kind != ":":
                raise RegexInvalid("POSIX collating elements are not supported")
            if body.startswith("^"):
                if body[1:] not in _POSIX:
                    raise RegexInvalid("unknown POSIX class name")
                parts.append(_complement(_POSIX[body[1:]]))
                j = end + 2
                continue
            if body not in _POSIX:
                raise RegexInvalid("unknown POSIX class name")
            parts.append(_POSIX[body])
            j = end + 2
            continue
        if c == "[":
            parts.append("\\[")     # literal in PCRE; re warns about nesting
            j += 1
            continue
        if c == "\\" and j + 1 < n:
            d = pattern[j + 1]
            if d in "pPXC":
                _unsupported(_UNSUPPORTED_ESCAPES[d], pattern)
            if d in _INVALID_ESCAPES:
                raise RegexInvalid(f"PCRE2 does not support \\{d}")
            if d == "V":
                _unsupported("\\V inside a character class", pattern)
            if d == "v":
                parts.append(_VSPACE)
            elif d == "h":
                parts.append(_HSPACE)
            elif d == "e":
                parts.append("\\x1b")
            elif d == "Q":
                end = pattern.find("\\E", j + 2)
                lit = pattern[j + 2:] if end < 0 else pattern[j + 2:end]
                parts.append("".join("\\" + ch if not ch.isalnum() else ch for ch in lit))
                j = n if end < 0 else end + 2
                continue
            elif d == "E":
                j += 2
                continue
            else:
                parts.append(pattern[j:j + 2])
            j += 2
            continue
        parts.append(c)
        j += 1
    raise RegexInvalid("missing terminating ] for character class")


def _group_open(pattern: str, i: int, out: list[str], at_start: bool,
                pending: list[list[str]], groups: list[int]) -> int:
    if pattern.startswith("(*", i):
        _unsupported("a backtracking control verb (*...)", pattern)
    if not pattern.startswith("(?", i):
        pending.append([])
        groups[0] += 1
        out.append("(")
        return i + 1
    rest = pattern[i + 2:]
    if rest.startswith("#"):
        end = pattern.find(")", i)
        if end < 0:
            raise RegexInvalid("missing ) after (?# comment")
        return end + 1
    if not rest.startswith(")") and not re.match(r"[a-zA-Z]*(?:-[a-zA-Z]*)?\)", rest):
        pending.append([])          # a group that a ")" will close
    if rest.startswith("<") and not rest.startswith(("<=", "<!")):
        m = re.compile(r"<(\w+)>").match(rest)
        if not m:
            raise RegexInvalid("bad group name")
        groups[0] += 1
        out.append(f"(?P<{m.group(1)}>")
        return i + 2 + m.end()
    if rest.startswith("'"):
        m = re.compile(r"'(\w+)'").match(rest)
        if not m:
            raise RegexInvalid("bad group name")
        groups[0] += 1
        out.append(f"(?P<{m.group(1)}>")
        return i + 2 + m.end()
    if rest.startswith(("<=", "<!")):
        # look-behind: re needs one fixed width for the whole group; PCRE
        # allows alternatives of different fixed widths.  Let re judge and
        # call a refusal "unsupported" (we cannot tell the two apart).
        out.append("(?" + rest[:2])
        out.append("\x00LOOKBEHIND\x00")
        return i + 4
    if rest.startswith("^"):
        _unsupported("the (?^) option reset", pattern)
    if rest.startswith("P<"):
        groups[0] += 1
    if rest.startswith("|"):
        _unsupported("a branch reset group (?|...)", pattern)
    if rest.startswith(("R)", "&", "P>", "C")) or re.match(r"[-+]?\d", rest):
        _unsupported("recursion, a subroutine call or a callout", pattern)
    if rest.startswith("("):
        if not re.match(r"\((?:\d+|<\w+>|'\w+'|\w+)\)", rest) or re.match(r"\(R", rest):
            _unsupported("this kind of conditional group", pattern)
        m = re.match(r"\((?:(\d+)|<(\w+)>|'(\w+)'|(\w+))\)", rest)
        ref = next(g for g in m.groups() if g)
        out.append(f"(?({ref})")
        return i + 2 + m.end()
    if rest.startswith(")"):
        return i + 3                 # "(?)": an empty option setting
    m = re.match(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])", rest)
    if m and (m.group(1) or m.group(2) is not None):
        flags = (m.group(1) or "") + (m.group(2) or "")
        if set(flags) - set("imsxnUJ"):
            raise RegexInvalid("unknown inline option")
        bad = set(flags) - set("imsx")
        if bad:
            _unsupported(f"the inline option(s) {''.join(sorted(bad))!r}", pattern)
        if m.group(3) == ")" and (not at_start or m.group(2) is not None):
            # re takes (?flags) only at the very start: scope them instead
            out.append("(?" + m.group(0)[:-1] + ":")
            pending[-1].append(m.group(0)[:-1])
            return i + 2 + m.end()
        if m.group(3) == ":":
            pending.append([])
        out.append("(?" + m.group(0))
        return i + 2 + m.end()
    pending.append([])
    out.append("(?")
    return i + 2


_BAD_CLASS = object()   # yielded in place of a char: an unterminated [...


def _group_chars(pattern: str):
    """(index, char) of each character outside escapes and [...] classes;
    (index, _BAD_CLASS) and then stop at an unterminated class."""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            try:
                i = _char_class(pattern, i, [])
            except ValueError:
                yield i, _BAD_CLASS
                return
            continue
        yield i, c
        i += 1


def _capture_count(pattern: str) -> int:
    """How many capturing groups the pattern has (for forward references)."""
    count = 0
    for i, c in _group_chars(pattern):
        if c is _BAD_CLASS:
            break
        if c == "(" and (pattern[i + 1:i + 2] != "?"
                         or re.match(r"\(\?(?:P?<\w+>|'\w+')", pattern[i:])):
            count += 1
    return count


def _balanced(pattern: str) -> bool:
    """Are the pattern's (unescaped, unbracketed) parentheses balanced?"""
    depth = 0
    for _, c in _group_chars(pattern):
        if c is _BAD_CLASS:
            return False
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _lookbehind_alternatives(pattern: str) -> bool:
    """Does some (?<= / (?<! group have a top-level "|"?"""
    for m in re.finditer(r"\(\?<[=!]", pattern):
        depth, i = 0, m.end()
        while i < len(pattern):
            c = pattern[i]
            if c == "\\":
                i += 2
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            elif c == "|" and depth == 0:
                return True
            i += 1
    return False


def compile_pcre(pattern: str, icase: bool = False,
                 dotall: bool = True) -> re.Pattern:
    """Compile an Apache (PCRE2) regex; DOTALL|DOLLAR_ENDONLY by default."""
    translated = translate(pattern)
    lookbehind = "\x00LOOKBEHIND\x00" in translated
    translated = translated.replace("\x00LOOKBEHIND\x00", "")
    flags = re.ASCII | (re.DOTALL if dotall else 0) | (re.IGNORECASE if icase else 0)
    try:
        with warnings.catch_warnings():
            # "possible nested set" / "set difference": re reads these
            # literally today, as PCRE does
            warnings.simplefilter("ignore", FutureWarning)
            return re.compile(translated, flags)
    except re.error as exc:
        text = str(exc)
        if lookbehind and "look-behind" in text:
            if _lookbehind_alternatives(pattern):
                _unsupported("a look-behind with alternatives of different "
                             "lengths", pattern)
            raise RegexInvalid(text) from None
        if "cannot refer to an open group" in text and _balanced(pattern):
            _unsupported("a back-reference to an enclosing group", pattern)
        m = re.match(r"invalid group reference (\d+)", text)
        if m and int(m.group(1)) <= _capture_count(pattern):
            _unsupported("a forward back-reference", pattern)
        raise RegexInvalid(text) from None
    except (OverflowError, RecursionError) as exc:   # absurd repeat counts
        raise RegexInvalid(str(exc)) from None


_DIGITS = "0123456789"


def match_groups(match: re.Match[str]) -> tuple[str | None, ...]:
    """$0..$9 of a match: the whole match, then its groups (None unset)."""
    return (match.group(0), *match.groups()[:9])


def pregsub(template: str, groups) -> str:
    """ap_pregsub (server/util.c): ``$N`` (one ASCII digit) becomes group
    N of *groups* ("" when unset or past the regex's groups); a backslash
    makes the next character literal and itself disappears (``\\$1`` is
    "$1", ``a\\b`` is "ab"; a final backslash stays).  mod_alias'
    *Match directives, mod_setenvif and Header edit all substitute this
    way."""
    if "$" not in template and "\\" not in template:
        return template
    out = []
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c == "$" and i + 1 < n and template[i + 1] in _DIGITS:
            k = ord(template[i + 1]) - 48
            if k < len(groups) and groups[k]:
                out.append(groups[k])
            i += 2
        elif c == "\\" and i + 1 < n:
            out.append(template[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)
