"""The parse tree of an expression (Apache's ap_expr_t nodes, in Python).

``Node.op`` is one of the names below; ``a`` and ``b`` are what Apache's
node_arg1 / node_arg2 hold, adapted:

    True False                      -
    Not        a: expr
    Or And     a, b: expr
    EQ NE LT LE GT GE               a, b: word          (integer compare)
    STR_EQ STR_NE STR_LT STR_LE STR_GT STR_GE  a, b: word
    IN         a: word, b: List | ListFunc
    REG NRE    a: word, b: Regex
    Unary      a: OpInfo, b: word
    Binary     a: OpInfo, b: (word, word)
    Concat     a, b: word
    Digit String   a: str
    Var        a: provider fn, b: name
    StrFunc    a: FuncInfo, b: word
    ListFunc   a: FuncInfo, b: word
    List       a: list of words, last written first (Apache's list order)
    Regex      a: compiled re.Pattern, b: RegexInfo
    Backref    a: int 0..9
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

class Node:
    __slots__ = ("op", "a", "b")

    def __init__(self, op: str, a: Any = None, b: Any = None):
        self.op = op
        self.a = a
        self.b = b

    def __repr__(self) -> str:
        if self.op in ("True", "False"):
            return self.op
        if self.b is None:
            return f"{self.op}({self.a!r})"
        return f"{self.op}({self.a!r}, {self.b!r})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Node) and self.op == other.op
                and self.a == other.a and self.b == other.b)

    def __hash__(self):  # pragma: no cover - nodes are not dict keys
        return hash((self.op, id(self)))


@dataclass(frozen=True)
class OpInfo:
    name: str            # as written (after the '-')
    fn: Callable
    data: Any

    def __repr__(self) -> str:
        return f"-{self.name}"


@dataclass(frozen=True)
class FuncInfo:
    name: str            # as written
    fn: Callable

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True)
class RegexInfo:
    source: str          # the pattern as written between the delimiters
    icase: bool
    groups: int          # re_nsub

    def __repr__(self) -> str:
        return f"/{self.source}/" + ("i" if self.icase else "")


def render(node: Node | None) -> str:
    """A readable (re-parseable for the common cases) rendering, for tests."""
    if node is None:
        return "<lookup failed>"
    op, a, b = node.op, node.a, node.b
    if op == "True":
        return "true"
    if op == "False":
        return "false"
    if op == "Not":
        return f"!{render(a)}"
    if op in ("Or", "And"):
        sym = "||" if op == "Or" else "&&"
        return f"({render(a)} {sym} {render(b)})"
    if op in _CMP_TEXT:
        return f"({render(a)} {_CMP_TEXT[op]} {render(b)})"
    if op == "IN":
        return f"({render(a)} -in {render(b)})"
    if op in ("REG", "NRE"):
        return f"({render(a)} {'=~' if op == 'REG' else '!~'} {b.b!r})"
    if op == "Unary":
        return f"(-{a.name} {render(b)})"
    if op == "Binary":
        return f"({render(b[0])} -{a.name} {render(b[1])})"
    if op == "Concat":
        return f"{render(a)}.{render(b)}"
    if op == "Digit":
        return a
    if op == "String":
        return repr(a)
    if op == "Var":
        return "%{" + b + "}"
    if op in ("StrFunc", "ListFunc"):
        return f"{a.name}({render(b)})"
    if op == "List":
        return "{" + ", ".join(render(w) for w in reversed(a)) + "}"
    if op == "Backref":
        return f"${a}"
    return repr(node)


_CMP_TEXT = {"EQ": "-eq", "NE": "-ne", "LT": "-lt", "LE": "-le", "GT": "-gt",
             "GE": "-ge", "STR_EQ": "==", "STR_NE": "!=", "STR_LT": "<",
             "STR_LE": "<=", "STR_GT": ">", "STR_GE": ">="}
