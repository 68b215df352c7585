"""Load grammar/httpd.lark and parse logical lines into a Lark tree.

The reader has already done the lexing Apache does (logical lines), so the
"lexer" here only hands each line over as one classified token: this keeps
the LALR parse at one token per line, which matters for configs with tens
of thousands of lines.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple, Union

from lark import Lark, Token, Tree
from lark.lexer import Lexer

from ..resources import grammar_file
from .reader import LogicalLine


def classify(text: str) -> str:
    """The terminal a trimmed logical line is, as ap_build_config_sub sees it."""
    if text[0] == "<":
        return "CLOSE" if text[1:2] == "/" else "OPEN"
    return "DIRECTIVE"


class _LineLexer(Lexer):
    """Passes pre-made tokens through (Lark's custom-lexer hook)."""

    def __init__(self, lexer_conf) -> None:  # noqa: D401 - Lark's signature
        pass

    def lex(self, data):  # data: the token list built by parse_lines
        return iter(data)


@cache
def parser() -> Lark:
    return Lark(grammar_file().read_text(), parser="lalr", lexer=_LineLexer,
                propagate_positions=False, maybe_placeholders=False)


def parse_lines(lines: list[LogicalLine]) -> Tree:
    """Shape *lines* into the section tree (never fails: see httpd.lark)."""
    tokens = []
    for ln in lines:
        tok = Token(classify(ln.text), ln.text)
        tok.line = ln.first
        tok.end_line = ln.last    # the line Apache reports
        tokens.append(tok)
    return parser().parse(tokens)


class Line(NamedTuple):
    text: str
    first: int
    last: int      # the line Apache reports


class Directive(NamedTuple):
    line: Line


class Section(NamedTuple):
    open: Line
    items: list
    close: Line | None     # None: still open at the end of the file


class StrayClose(NamedTuple):
    line: Line


Item = Union[Directive, Section, StrayClose]


def parse_items(lines: list[LogicalLine]) -> list[Item]:
    """Parse and convert the Lark tree into plain, picklable items.

    The builder walks these; they are also what the parse cache stores.
    """
    return _convert(parse_lines(lines).children)


def _line(tok: Token) -> Line:
    return Line(tok.value, tok.line, tok.end_line)


def _convert(children: list) -> list[Item]:
    out: list[Item] = []
    for item in children:
        kind = item.data
        if kind == "directive":
            out.append(Directive(_line(item.children[0])))
        elif kind == "section":
            kids = item.children
            out.append(Section(_line(kids[0]), _convert(kids[1:-1]), _line(kids[-1])))
        elif kind == "unclosed_section":
            kids = item.children
            out.append(Section(_line(kids[0]), _convert(kids[1:]), None))
        else:
            out.append(StrayClose(_line(item.children[0])))
    return out
