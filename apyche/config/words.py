"""Argument splitting, exactly as Apache's ``ap_getword_conf`` (server/util.c).

Rules, in Apache's words and ours:

* leading whitespace is skipped; an empty remainder gives the empty word;
* a word starting with ``"`` or ``'`` runs to the matching quote (an
  unterminated quote runs to the end of the line); inside it a backslash
  escapes only that quote character or a backslash;
* an unquoted word runs to the next whitespace; ``\\\\`` still collapses to
  one backslash;
* a closing quote ends the word even without whitespace after it
  (``"a"b`` is two words, ``a`` and ``b``).

Words are returned with the rest of the line, so the argument-form checks in
``registry.invoke`` can tell "no more words" from "an empty quoted word",
as ``invoke_cmd`` does with ``*w == '\\0'`` and ``*args != 0``.
"""

from __future__ import annotations

# apr_isspace: the C locale's isspace.
_SPACE = " \t\n\r\f\v"


def getword(line: str, pos: int = 0) -> tuple[str, int]:
    """Return (word, position of the next word) from *line* at *pos*."""
    n = len(line)
    while pos < n and line[pos] in _SPACE:
        pos += 1
    if pos >= n:
        return "", n
    quote = line[pos]
    if quote == '"' or quote == "'":
        end = pos + 1
        out: list[str] = []
        while end < n and line[end] != quote:
            c = line[end]
            if c == "\\" and end + 1 < n and line[end + 1] in (quote, "\\"):
                out.append(line[end + 1])
                end += 2
            else:
                out.append(c)
                end += 1
        word = "".join(out)
        if end < n:  # skip the closing quote
            end += 1
    else:
        end = pos
        while end < n and line[end] not in _SPACE:
            end += 1
        word = line[pos:end]
        if "\\\\" in word:
            word = word.replace("\\\\", "\\")
    while end < n and line[end] in _SPACE:
        end += 1
    return word, end


def split_words(line: str) -> list[str]:
    """All words of *line* (as TAKE_ARGV sees them)."""
    words = []
    pos, n = 0, len(line)
    while True:
        word, pos = getword(line, pos)
        if word == "" and pos >= n:
            break
        words.append(word)
        if pos >= n:
            break
    return words
