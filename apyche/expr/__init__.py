"""Apache's expression language, ap_expr (docs/manual/expr.xml).

    expr = parse_expr("%{REQUEST_URI} =~ m#^/app/(\\w+)# && -R '10.0.0.0/8'")
    expr.evaluate(ctx)          # -> bool
    hdr = parse_string_expr("%{REQUEST_METHOD}-$1-%{md5:%{REMOTE_ADDR}}")
    hdr.evaluate_string(ctx)    # -> str

``parse_expr`` / ``parse_string_expr`` raise ``ExprError`` whose message is
what Apache puts after "Cannot parse condition clause: " (or the other
directives' prefixes), e.g. "syntax error, unexpected $end, expecting '('"
or "Variable 'FOO' does not exist".  Constructs Apache accepts but apyche
cannot evaluate faithfully (PCRE-only regex features) raise
``ExprUnsupported``, a subclass, with a message saying so.

Pieces: scanner.py (flex scanner), grammar/expr.lark + parser.py (bison
parser and its messages), functions.py (variables, functions, operators;
``Lookup`` to extend or restrict them), regex.py (PCRE on re),
evaluate.py (closures), context.py (what evaluation reads).
"""

from __future__ import annotations

from .context import ExprContext, Headers, SimpleContext
from .evaluate import Compiler
from .functions import CORE, EvalError, Lookup
from .nodes import Node, render
from .parser import ParseFailure, parse
from .regex import RegexUnsupported
from .scanner import ScannerJammed

__all__ = [
    "Expr", "ExprError", "ExprUnsupported", "EvalError", "ExprContext",
    "Headers", "Lookup", "SimpleContext", "holds", "parse_expr", "parse_string_expr",
]


class ExprError(Exception):
    """An expression Apache refuses; ``message`` is Apache's wording."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ExprUnsupported(ExprError):
    """Apache accepts the expression but apyche cannot evaluate it as Apache would."""


class Expr:
    """A parsed, compiled expression (boolean or string valued)."""

    __slots__ = ("text", "is_string", "tree", "_fn", "_const", "filename",
                 "line")

    def __init__(self, text: str, tree: Node, is_string: bool, fn,
                 filename: str | None = None, line: int | None = None):
        self.text = text
        self.tree = tree
        self.is_string = is_string
        self._fn = fn
        # ap_expr_str_exec's short cut for a constant string
        self._const = tree.a if is_string and tree.op == "String" else None
        self.filename = filename
        self.line = line

    def __repr__(self) -> str:
        kind = "string" if self.is_string else "bool"
        return f"Expr({kind}: {render(self.tree)})"

    # -- evaluation --------------------------------------------------------
    def evaluate(self, ctx, *, strict: bool = False,
                 keep_captures: bool = False) -> bool:
        """True/False (ap_expr_exec > 0 / == 0).

        An evaluation error (Apache's -1: "Recursion limit reached",
        "Cannot open file x"...) is logged through ``ctx.log("error", ...)``
        and gives False, or raises ``EvalError`` when *strict*.
        $0..$9 start unset unless *keep_captures* (ap_expr_exec_re with
        the caller's match vector).
        """
        if self.is_string:
            raise TypeError("a string expression has no truth value; use evaluate_string")
        if not keep_captures:
            ctx.captures = None
        try:
            return self._fn(ctx)
        except EvalError as exc:
            if strict:
                raise
            self._log(ctx, exc)
            return False

    def exec(self, ctx) -> int:
        """Apache's ap_expr_exec result: 1, 0 or -1 (error, logged)."""
        ctx.captures = None
        try:
            return 1 if self._fn(ctx) else 0
        except EvalError as exc:
            self._log(ctx, exc)
            return -1

    def evaluate_string(self, ctx, *, strict: bool = False,
                        keep_captures: bool = False) -> str:
        """The value of a string expression (ap_expr_str_exec).

        On an evaluation error: logged and "" (Apache returns NULL and the
        directive usually skips its action), or ``EvalError`` if *strict*.
        A boolean expression raises TypeError (Apache never evaluates one
        as a string).
        """
        if not self.is_string:
            raise TypeError("a boolean expression has no string value; use evaluate")
        if self._const is not None:
            return self._const
        if not keep_captures:
            ctx.captures = None
        try:
            return self._fn(ctx)
        except EvalError as exc:
            if strict:
                raise
            self._log(ctx, exc)
            return ""

    def _log(self, ctx, exc: EvalError) -> None:
        log = getattr(ctx, "log", None)
        if log is not None:
            where = f"{self.filename}:{self.line}" if self.filename else "(expr)"
            log("error", f"Evaluation of expression from {where} failed: {exc}")


def _parse(text: str, string_result: bool, lookup: Lookup | None,
           restricted: bool, ssl_compat: bool, filename, line) -> Expr:
    if lookup is None:
        lookup = CORE
    if restricted and not lookup.restricted:
        lookup = lookup.extend()
        lookup.restricted = True
    try:
        tree = parse(text, string_result, lookup)
    except ParseFailure as exc:
        raise ExprError(str(exc)) from None
    except ScannerJammed as exc:
        raise ExprError(str(exc)) from None
    except RegexUnsupported as exc:
        raise ExprUnsupported(str(exc)) from None
    compiler = Compiler(ssl_compat=ssl_compat)
    fn = compiler.word(tree, 1) if string_result else compiler.boolean(tree, 1)
    return Expr(text, tree, string_result, fn, filename, line)


def parse_expr(text: str, *, lookup: Lookup | None = None,
               restricted: bool = False, ssl_compat: bool = False,
               filename: str | None = None, line: int | None = None) -> Expr:
    """Parse a boolean expression (<If>, Require expr, SetEnvIfExpr, expr=...).

    *restricted* is AP_EXPR_FLAG_RESTRICTED (no file access), *ssl_compat*
    AP_EXPR_FLAG_SSL_EXPR_COMPAT (SSLRequire's comparisons).  *filename*
    and *line* only label evaluation errors in the log.
    """
    return _parse(text, False, lookup, restricted, ssl_compat, filename, line)


def parse_string_expr(text: str, *, lookup: Lookup | None = None,
                      restricted: bool = False, filename: str | None = None,
                      line: int | None = None) -> Expr:
    """Parse a string expression (AP_EXPR_FLAG_STRING_RESULT: LogMessage,
    Header ... "expr=...", Alias/Redirect with expressions, AuthName ...).

    The whole text is string content: %{...} and $N are interpolated,
    quotes and backslash escapes are as inside a quoted word.
    """
    return _parse(text, True, lookup, restricted, False, filename, line)


def holds(cond: Expr | str | None, ctx) -> bool:
    """Whether a parsed condition is true for *ctx*.  No condition, one kept
    as text (it did not parse), or one whose evaluation fails is false: an
    expression error denies or skips, as in Apache."""
    if cond is None or isinstance(cond, str):
        return False
    try:
        return bool(cond.evaluate(ctx))
    except Exception:
        return False
