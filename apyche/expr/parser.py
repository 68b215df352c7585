"""Parse an expression the way Apache's bison parser does.

grammar/expr.lark restates util_expr_parse.y; Lark computes its LALR(1)
automaton (Lark's LALR_Analyzer: LR(0) item sets and LALR lookaheads).  On
top of that this module builds the action table *bison* would build from
the same automaton, because Apache's syntax error messages are read off
bison's table:

* shift/reduce conflicts are settled by the grammar's precedence
  declarations (%right T_OP_OR < T_OP_AND < T_OP_NOT < T_OP_CONCAT; a
  conflict without precedence on both sides is a shift, as in Lark);
* every state that can reduce gets a *default reduction* (the rule with
  the most lookaheads, lowest rule number on a tie), taken for any token
  without an explicit action; a state whose only action is its default
  reduction reduces without reading a token at all;
* so an error is found only in a state that cannot reduce, and bison's
  message is "syntax error, unexpected X" plus ", expecting A or B ..."
  listing that state's tokens in token-number order, when there are at
  most four of them.

The driver below runs that table (Lark's own parser would find errors in
other states and word them differently).  Its semantic actions build the
nodes of apyche.expr.nodes and resolve names through a Lookup while
parsing, as ap_expr_parse does: a failed lookup records its message
(Apache's ctx->error2) and parsing goes on; the message is reported
alone, or after the bison message when a syntax error follows.  A scanner
error likewise leaves its message in error2 and hands the parser T_ERROR,
which the grammar accepts in a few places with YYABORT (the scanner's
message alone) and which elsewhere is a syntax error ("syntax error,
unexpected T_ERROR, expecting $end: Parse error near '@'").
"""

from __future__ import annotations

from functools import cache

from lark import Lark
from lark.lexer import Lexer
from lark.parsers.lalr_analysis import LALR_Analyzer

from ..resources import data_dir
from .functions import Lookup, LookupError_
from .nodes import FuncInfo, Node, OpInfo, RegexInfo
from .regex import RegexInvalid, compile_pcre
from .scanner import Scanner

# bison's token numbers (yytname order), for the order of "expecting" lists
TOKEN_ORDER = [
    "$END", "error", "$undefined", "T_TRUE", "T_FALSE", "T_EXPR_BOOL",
    "T_EXPR_STRING", "T_ERROR", "T_DIGIT", "T_ID", "T_STRING", "T_REGEX",
    "T_REGEX_I", "T_REGEX_BACKREF", "T_OP_UNARY", "T_OP_BINARY",
    "T_STR_BEGIN", "T_STR_END", "T_VAR_BEGIN", "T_VAR_END", "T_OP_EQ",
    "T_OP_NE", "T_OP_LT", "T_OP_LE", "T_OP_GT", "T_OP_GE", "T_OP_REG",
    "T_OP_NRE", "T_OP_IN", "T_OP_STR_EQ", "T_OP_STR_NE", "T_OP_STR_LT",
    "T_OP_STR_LE", "T_OP_STR_GT", "T_OP_STR_GE", "T_OP_CONCAT", "T_OP_OR",
    "T_OP_AND", "T_OP_NOT", "LPAR", "RPAR", "LBRACE", "RBRACE", "COMMA",
    "COLON",
]
_TOKEN_NUMBER = {name: i for i, name in enumerate(TOKEN_ORDER)}
DISPLAY = {"$END": "$end", "LPAR": "'('", "RPAR": "')'", "LBRACE": "'{'",
           "RBRACE": "'}'", "COMMA": "','", "COLON": "':'"}

# %right declarations, lowest first: token -> (level, associativity)
PRECEDENCE = {"T_OP_OR": (1, "right"), "T_OP_AND": (2, "right"),
              "T_OP_NOT": (3, "right"), "T_OP_CONCAT": (4, "right")}

# nonterminals in the order util_expr_parse.y first defines them (bison
# numbers rules in file order; that breaks default-reduction ties)
_NONTERMINAL_ORDER = ["start", "expr", "comparison", "wordlist", "words",
                      "string", "strpart", "var", "word", "regex", "backref",
                      "lstfunccall", "strfunccall"]


class ParseFailure(Exception):
    """Apache's parse error message (ExprError is raised from it)."""


class _NoLexer(Lexer):
    def __init__(self, lexer_conf):
        pass

    def lex(self, data):  # pragma: no cover - never used
        return iter(data)


class _State:
    __slots__ = ("actions", "default", "gotos", "default_only")

    def __init__(self):
        self.actions: dict[str, tuple] = {}   # terminal -> ("s", state) | ("r", rule)
        self.default = None                   # rule
        self.gotos: dict[str, int] = {}
        self.default_only = False


class _Rule:
    __slots__ = ("number", "origin", "alias", "length", "prec")

    def __init__(self, number, origin, alias, length, prec):
        self.number = number
        self.origin = origin
        self.alias = alias
        self.length = length
        self.prec = prec


def grammar_path():
    return data_dir("grammar") / "expr.lark"


@cache
def tables() -> tuple[list[_State], int]:
    """(states, start state) of the bison-equivalent table."""
    lark = Lark(grammar_path().read_text(), parser="lalr", lexer=_NoLexer,
                start="start")
    conf = lark.parser.parser_conf
    an = LALR_Analyzer(conf)
    an.compute_lr0_states()
    an.compute_reads_relations()
    an.compute_includes_lookback()
    an.compute_lookaheads()

    rules: dict[object, _Rule] = {}

    def rule_of(r) -> _Rule:
        got = rules.get(r)
        if got is None:
            origin = r.origin.name
            number = (_NONTERMINAL_ORDER.index(origin), r.order) \
                if origin in _NONTERMINAL_ORDER else (-1, r.order)
            prec = None
            for sym in r.expansion:
                if sym.is_term and sym.name in PRECEDENCE:
                    prec = PRECEDENCE[sym.name]
            alias = r.alias or origin
            got = rules[r] = _Rule(number, origin, alias, len(r.expansion), prec)
        return got

    # number the item sets breadth first from the start state
    start = an.lr0_start_states["start"]
    order = [start]
    ids = {start: 0}
    i = 0
    while i < len(order):
        st = order[i]
        i += 1
        for sym in sorted(st.transitions, key=lambda s: s.name):
            nxt = st.transitions[sym]
            if nxt not in ids:
                ids[nxt] = len(order)
                order.append(nxt)

    states: list[_State] = []
    for itemset in order:
        s = _State()
        for sym, nxt in itemset.transitions.items():
            if sym.is_term:
                s.actions[sym.name] = ("s", ids[nxt])
            else:
                s.gotos[sym.name] = ids[nxt]
        for la, lrules in itemset.lookaheads.items():
            cands = sorted((rule_of(r) for r in lrules), key=lambda r: r.number)
            rule = cands[0]            # reduce/reduce: the earlier rule (bison)
            name = la.name
            if name in s.actions:
                tprec = PRECEDENCE.get(name)
                if rule.prec is None or tprec is None:
                    continue           # shift
                if rule.prec[0] > tprec[0] or (rule.prec[0] == tprec[0]
                                               and tprec[1] == "left"):
                    s.actions[name] = ("r", rule)
                continue
            s.actions[name] = ("r", rule)
        counts: dict[_Rule, int] = {}
        for act in s.actions.values():
            if act[0] == "r":
                counts[act[1]] = counts.get(act[1], 0) + 1
        if counts:
            best = max(counts.items(), key=lambda kv: (kv[1], [-x for x in kv[0].number]))[0]
            s.default = best
            s.actions = {t: a for t, a in s.actions.items()
                         if not (a[0] == "r" and a[1] is best)}
            s.default_only = not s.actions
        states.append(s)
    # bison's "$accept: root . $end" state shifts $end (accepts); Lark's
    # LR(0) sets leave $END out of the augmented start rule
    accept = states[states[0].gotos["start"]]
    accept.actions["$END"] = ("s", -1)
    accept.default_only = False
    return states, 0


def _expected(state: _State) -> list[str]:
    names = [t for t in state.actions if t != "error"]
    names.sort(key=lambda t: _TOKEN_NUMBER.get(t, 999))
    return names


def _syntax_error(token: str, state: _State) -> str:
    msg = "syntax error, unexpected " + DISPLAY.get(token, token)
    expected = _expected(state)
    if 0 < len(expected) <= 4:
        msg += ", expecting " + " or ".join(DISPLAY.get(t, t) for t in expected)
    return msg


class _Abort(Exception):
    pass


class _YYError(Exception):
    pass


class _Builder:
    """The semantic actions (util_expr_parse.y's { ... } blocks)."""

    def __init__(self, lookup: Lookup, scanner: Scanner):
        self.lookup = lookup
        self.scanner = scanner
        self.error: str | None = None

    # error2 lives in the scanner (PERROR writes it there too)
    def _fail(self, msg: str):
        self.scanner.error2 = msg
        return None

    def reduce(self, alias: str, v: list):
        m = getattr(self, "r_" + alias, None)
        if m is not None:
            return m(v)
        return _SIMPLE[alias](v)

    # -- roots and aborts ----------------------------------------------------
    def r_root_error(self, v):
        raise _Abort

    r_expr_error = r_string_error = r_root_error

    # -- lookups ---------------------------------------------------------------
    def r_unary(self, v):
        name, arg = v[0], v[1]
        try:
            fn, data = self.lookup.unary_op(name, _const(arg))
        except LookupError_ as exc:
            return self._fail(str(exc))
        return Node("Unary", OpInfo(name, fn, data), arg)

    def r_binary(self, v):
        left, name, right = v
        try:
            fn, data = self.lookup.binary_op(name, _const(right))
        except LookupError_ as exc:
            return self._fail(str(exc))
        return Node("Binary", OpInfo(name, fn, data), (left, right))

    def r_var(self, v):
        name = v[1]
        try:
            fn = self.lookup.variable(name)
        except LookupError_ as exc:
            return self._fail(str(exc))
        return Node("Var", fn, name)

    def r_var_func(self, v):
        return self._str_func(v[1], v[3])

    def r_str_call(self, v):
        return self._str_func(v[0], v[2])

    def _str_func(self, name, arg):
        try:
            fn = self.lookup.string_func(name)
        except LookupError_ as exc:
            return self._fail(str(exc))
        return Node("StrFunc", FuncInfo(name, fn), arg)

    def r_list_call(self, v):
        name, arg = v[0], v[2]
        try:
            fn = self.lookup.list_func(name)
        except LookupError_ as exc:
            return self._fail(str(exc))
        return Node("ListFunc", FuncInfo(name, fn), arg)

    def r_regex(self, v, icase=False):
        source = v[0]
        try:
            rx = compile_pcre(source, icase=icase)
        except RegexInvalid:
            self.error = "Failed to compile regular expression"
            raise _YYError from None
        return Node("Regex", rx, RegexInfo(source, icase, rx.groups))

    def r_regex_i(self, v):
        return self.r_regex(v, icase=True)


def _const(arg):
    """parms->arg: the argument's text when it is one constant string."""
    if arg is not None and arg.op == "String":
        return arg.a
    return None


def _cmp(op):
    return lambda v: Node(op, v[0], v[2])


_SIMPLE = {
    "root_bool": lambda v: v[1],
    "root_string": lambda v: v[1],
    "true": lambda v: Node("True"),
    "false": lambda v: Node("False"),
    "not_": lambda v: Node("Not", v[1]),
    "or_": lambda v: Node("Or", v[0], v[2]),
    "and_": lambda v: Node("And", v[0], v[2]),
    "comp": lambda v: v[0],
    "paren": lambda v: v[1],
    "int_eq": _cmp("EQ"), "int_ne": _cmp("NE"), "int_lt": _cmp("LT"),
    "int_le": _cmp("LE"), "int_gt": _cmp("GT"), "int_ge": _cmp("GE"),
    "str_eq": _cmp("STR_EQ"), "str_ne": _cmp("STR_NE"),
    "str_lt": _cmp("STR_LT"), "str_le": _cmp("STR_LE"),
    "str_gt": _cmp("STR_GT"), "str_ge": _cmp("STR_GE"),
    "in_": _cmp("IN"), "reg": _cmp("REG"), "nre": _cmp("NRE"),
    "wordlist_func": lambda v: v[0],
    "wordlist_braces": lambda v: v[1],
    # Apache links list elements newest first; keep that order
    "words_one": lambda v: Node("List", [v[0]]),
    "words_more": lambda v: Node("List", [v[2]] + v[0].a),
    "string_more": lambda v: Node("Concat", v[0], v[1]),
    "string_one": lambda v: v[0],
    "strpart_text": lambda v: Node("String", v[0]),
    "strpart_var": lambda v: v[0],
    "strpart_backref": lambda v: v[0],
    "digit": lambda v: Node("Digit", v[0]),
    "concat": lambda v: Node("Concat", v[0], v[2]),
    "word_var": lambda v: v[0],
    "word_backref": lambda v: v[0],
    "word_func": lambda v: v[0],
    "quoted": lambda v: v[1],
    "quoted_empty": lambda v: Node("String", ""),
    "backref": lambda v: Node("Backref", v[0]),
}


def parse(text: str, string_result: bool = False,
          lookup: Lookup | None = None) -> Node:
    """The expression's tree, or ParseFailure(Apache's message)."""
    states, start = tables()
    scanner = Scanner(text, string_result)
    builder = _Builder(lookup if lookup is not None else Lookup(), scanner)
    stack = [start]
    values: list = [None]
    la = None          # (terminal, value)
    result = None
    try:
        while True:
            st = states[stack[-1]]
            if st.default_only:
                rule = st.default
            else:
                if la is None:
                    tok, val = scanner.next()
                    la = ("$END" if tok == "$end" else tok, val)
                act = st.actions.get(la[0])
                if act is not None and act[0] == "s":
                    if la[0] == "$END":
                        result = values[-1]
                        break
                    stack.append(act[1])
                    values.append(la[1])
                    la = None
                    continue
                if act is not None:
                    rule = act[1]
                elif st.default is not None:
                    rule = st.default
                else:
                    builder.error = _syntax_error(la[0], st)
                    break
            n = rule.length
            args = values[-n:] if n else []
            if n:
                del stack[-n:]
                del values[-n:]
            value = builder.reduce(rule.alias, args)
            stack.append(states[stack[-1]].gotos[rule.origin])
            values.append(value)
    except (_Abort, _YYError):
        pass
    error, error2 = builder.error, scanner.error2
    if error:
        raise ParseFailure(f"{error}: {error2}" if error2 else error)
    if error2:
        raise ParseFailure(error2)
    if result is None:                      # pragma: no cover
        raise ParseFailure("syntax error")
    return result
