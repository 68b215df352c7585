"""Turn a parse tree into Python closures, once, at parse time.

The closures do what server/util_expr_eval.c does per node, with these
Apache details kept:

* words are strings; a NULL from a variable or function is "";
* -eq/-ne/-lt/... compare apr_atoi64() values (strtoll: leading space,
  sign, digits up to the first non-digit, saturating), ==/</... compare
  strings bytewise (strcmp); with ssl_expr compatibility (SSLRequire)
  all of them compare by length first (strcmplex);
* =~ / !~ search (unanchored); a regex with capture groups sets $0..$9 on
  success and clears them on failure, one without groups leaves them;
  a back-reference into an empty subject is "";
* -in against { ... } tries the words last-to-first (Apache's list order);
* && and || short-circuit;
* AP_EXPR_MAX_RECURSION: Apache counts nested evaluation calls and fails
  the whole evaluation with "Recursion limit reached" past 20.  The depth
  of every node is known statically, so a node that deep compiles to a
  closure raising that error (Not and the right-hand operands of &&/||
  chains are evaluated in the caller's frame, as Apache's loop does).
"""

from __future__ import annotations

import re

from .functions import EvalError
from .nodes import Node

MAX_RECURSION = 20

_ATOI = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")
_NO_CAPTURES = ("",) * 10   # $0..$9 after a match on an empty subject
_INT64_MAX = (1 << 63) - 1
_INT64_MIN = -(1 << 63)


def atoi64(s: str) -> int:
    """apr_atoi64 (strtoll base 10)."""
    m = _ATOI.match(s)
    if not m:
        return 0
    v = int(m.group(1))
    if v > _INT64_MAX:
        return _INT64_MAX
    if v < _INT64_MIN:
        return _INT64_MIN
    return v


def strcmplex(a: str, b: str) -> int:
    if len(a) != len(b):
        return 1 if len(a) > len(b) else -1
    return (a > b) - (a < b)


def _too_deep_bool(ctx):
    raise EvalError("Recursion limit reached")


def _too_deep_word(ctx):
    raise EvalError("Recursion limit reached")


class Compiler:
    def __init__(self, ssl_compat: bool = False):
        self.ssl_compat = ssl_compat

    # -- boolean nodes: ap_expr_eval ------------------------------------------
    def boolean(self, node: Node, level: int = 1):
        """A closure ctx -> bool for *node* evaluated in a frame at *level*."""
        if level > MAX_RECURSION:
            return _too_deep_bool
        # Not never opens a frame
        negate = False
        while node.op == "Not":
            negate = not negate
            node = node.a
        fn = self._boolean_frame(node, level)
        if negate:
            inner = fn
            return lambda ctx: not inner(ctx)
        return fn

    def _boolean_frame(self, node: Node, level: int):
        op = node.op
        if op == "True":
            return lambda ctx: True
        if op == "False":
            return lambda ctx: False
        if op in ("Or", "And"):
            # left operands of the chain get frames at level+1, the last
            # right operand stays in this frame
            lefts = []
            while node.op == op:
                lefts.append(self.boolean(node.a, level + 1))
                node = node.b
            last = self.boolean(node, level)
            lefts = tuple(lefts)
            if op == "Or":
                def f_or(ctx):
                    for f in lefts:
                        if f(ctx):
                            return True
                    return last(ctx)
                return f_or

            def f_and(ctx):
                for f in lefts:
                    if not f(ctx):
                        return False
                return last(ctx)
            return f_and
        if op == "Unary":
            info = node.a
            fn, data = info.fn, info.data
            arg = self.word(node.b, level + 1)
            return lambda ctx: bool(fn(ctx, data, arg(ctx)))
        if op == "Binary":
            info = node.a
            fn, data = info.fn, info.data
            left = self.word(node.b[0], level + 1)
            right = self.word(node.b[1], level + 1)
            return lambda ctx: bool(fn(ctx, data, left(ctx), right(ctx)))
        return self._comparison(node, level)

    def _comparison(self, node: Node, level: int):
        op = node.op
        a = self.word(node.a, level + 1)
        if op in ("REG", "NRE"):
            rx = node.b.a
            search = rx.search
            groups = node.b.b.groups
            want = op == "REG"
            if groups:
                def f_re(ctx):
                    s = a(ctx)
                    m = search(s)
                    if m is None:
                        ctx.captures = False
                    elif s:
                        caps = [m.group(i) or "" for i in range(min(groups, 9) + 1)]
                        caps += [""] * (10 - len(caps))
                        ctx.captures = caps
                    else:   # ap_expr_eval_re_backref: an empty subject has only ""
                        ctx.captures = _NO_CAPTURES
                    return (m is not None) is want
                return f_re
            return lambda ctx: (search(a(ctx)) is not None) is want
        if op == "IN":
            hay = node.b
            if hay.op == "List":
                words = tuple(self.word(w, level + 1) for w in hay.a)

                def f_in(ctx):
                    needle = a(ctx)
                    for w in words:
                        if w(ctx) == needle:
                            return True
                    return False
                return f_in
            fn = hay.a.fn
            arg = self.word(hay.b, level + 1)

            def f_in_func(ctx):
                needle = a(ctx)
                lst = fn(ctx, arg(ctx))
                return bool(lst) and needle in lst
            return f_in_func
        b = self.word(node.b, level + 1)
        if self.ssl_compat:
            test = _CMP_TEST[op]
            return lambda ctx: test(strcmplex(a(ctx), b(ctx)))
        if op in _INT_OPS:
            test = _INT_OPS[op]
            return lambda ctx: test(atoi64(a(ctx)), atoi64(b(ctx)))
        test = _STR_OPS[op]
        return lambda ctx: test(a(ctx), b(ctx))

    # -- word nodes: ap_expr_eval_word ----------------------------------------------
    def word(self, node: Node, level: int):
        if level > MAX_RECURSION:
            return _too_deep_word
        op = node.op
        if op in ("String", "Digit"):
            value = node.a
            return lambda ctx: value
        if op == "Var":
            fn = node.a

            def f_var(ctx):
                v = fn(ctx)
                return "" if v is None else v
            return f_var
        if op == "Backref":
            n = node.a

            def f_backref(ctx):
                caps = ctx.captures
                return caps[n] if caps else ""
            return f_backref
        if op == "StrFunc":
            fn = node.a.fn
            arg = self.word(node.b, level + 1)

            def f_func(ctx):
                v = fn(ctx, arg(ctx))
                return "" if v is None else v
            return f_func
        if op == "Concat":
            parts = tuple(self.word(p, level + 1) for p in _concat_leaves(node))
            if len(parts) == 2:
                p0, p1 = parts
                return lambda ctx: p0(ctx) + p1(ctx)
            return lambda ctx: "".join([p(ctx) for p in parts])
        raise AssertionError(f"not a word node: {op}")   # pragma: no cover


def _concat_leaves(node: Node) -> list[Node]:
    """The operands Apache evaluates for one Concat node (it flattens one spine)."""
    a, b = node.a, node.b
    if a.op != "Concat" and b.op != "Concat":
        return [a, b]
    if a.op == "Concat":
        rights = []
        n = node
        while n.op == "Concat":
            rights.append(n.b)
            n = n.a
        return [n] + rights[::-1]
    lefts = []
    n = node
    while n.op == "Concat":
        lefts.append(n.a)
        n = n.b
    return lefts + [n]


_INT_OPS = {
    "EQ": lambda x, y: x == y, "NE": lambda x, y: x != y,
    "LT": lambda x, y: x < y, "LE": lambda x, y: x <= y,
    "GT": lambda x, y: x > y, "GE": lambda x, y: x >= y,
}
_STR_OPS = {
    "STR_EQ": lambda x, y: x == y, "STR_NE": lambda x, y: x != y,
    "STR_LT": lambda x, y: x < y, "STR_LE": lambda x, y: x <= y,
    "STR_GT": lambda x, y: x > y, "STR_GE": lambda x, y: x >= y,
}
_CMP_TEST = {
    "EQ": lambda c: c == 0, "STR_EQ": lambda c: c == 0,
    "NE": lambda c: c != 0, "STR_NE": lambda c: c != 0,
    "LT": lambda c: c < 0, "STR_LT": lambda c: c < 0,
    "LE": lambda c: c <= 0, "STR_LE": lambda c: c <= 0,
    "GT": lambda c: c > 0, "STR_GT": lambda c: c > 0,
    "GE": lambda c: c >= 0, "STR_GE": lambda c: c >= 0,
}
