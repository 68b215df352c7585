"""The tokens of an expression, cut the way Apache's flex scanner cuts them.

Apache's scanner (server/util_expr_scan.l) is stateful, and its quirks show
through in which expressions parse and in the error messages, so this is a
rule-by-rule re-statement of it rather than a Lark lexer:

* start conditions INITIAL, str (inside '...' / "..." and the whole of a
  string expression), var (inside %{ }), vararg (after %{name:), regex,
  regex_flags, with the %{ nesting kept on a stack (yy_push_state);
* in each state the longest match wins and a tie goes to the rule written
  first (flex's rule), e.g. ``m_`` is the start of a regex (the regex rule
  comes before identifiers) but ``m_x`` is an identifier;
* a scanner error is the token T_ERROR with the message left in
  ``error2`` (PERROR); whether that message stands alone or follows a
  bison "syntax error, ..." depends on where the parser is (see parser.py);
* input no rule matches (a backslash at the very end of a string, a quote
  inside %{func:arg}) makes Apache's scanner call flex's fatal error
  "flex scanner jammed", which ends the whole httpd process; we raise
  ``ScannerJammed`` instead (parse_expr reports it as an ExprError with
  that text).

Tokens are produced one at a time, on the parser's demand, as bison asks
flex: the moment a token is scanned decides which of two error messages
(a failed name lookup, a scanner error) is the one Apache reports.
"""

from __future__ import annotations

import re

# MAX_STRING_LEN (httpd.h): the size of the scanner's string and regex buffers.
MAX_STRING_LEN = 8192

_WS = re.compile(r"[ \t\n]+")
_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")
_DIGITS = re.compile(r"-?[0-9]+")
_UNARY_OR_BINARY = re.compile(r"-[a-zA-Z_][a-zA-Z_0-9]*")
_STR_TEXT = re.compile(r"[^\\\n\"'%}$]+")
_OCTAL = re.compile(r"\\([0-7]{1,3})")
_DIGIT_ESCAPE = re.compile(r"\\[0-9]+")
_REGEX_OPEN_DELIMS = "/#$%^,;:_?|^-!.'\""

# Fixed-text operators of the INITIAL state and the token each one is.
_OPERATORS = {
    "=": "T_OP_STR_EQ", "==": "T_OP_STR_EQ", "!=": "T_OP_STR_NE",
    "<": "T_OP_STR_LT", "<=": "T_OP_STR_LE", ">": "T_OP_STR_GT",
    ">=": "T_OP_STR_GE", "=~": "T_OP_REG", "!~": "T_OP_NRE",
    "&&": "T_OP_AND", "||": "T_OP_OR", "!": "T_OP_NOT", ".": "T_OP_CONCAT",
    "-in": "T_OP_IN", "-eq": "T_OP_EQ", "-ne": "T_OP_NE", "-ge": "T_OP_GE",
    "-le": "T_OP_LE", "-gt": "T_OP_GT", "-lt": "T_OP_LT",
}
# Words that are tokens of their own when they are not part of a longer
# identifier (flex: same length as the identifier rule, written earlier).
_KEYWORDS = {
    "and": "T_OP_AND", "or": "T_OP_OR", "not": "T_OP_NOT",
    "lt": "T_OP_LT", "le": "T_OP_LE", "gt": "T_OP_GT", "ge": "T_OP_GE",
    "ne": "T_OP_NE", "eq": "T_OP_EQ", "in": "T_OP_IN",
    "true": "T_TRUE", "false": "T_FALSE",
}
_PUNCT = {"(": "LPAR", ")": "RPAR", "{": "LBRACE", "}": "RBRACE",
          ",": "COMMA", ":": "COLON"}
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}

INITIAL, STR, VAR, VARARG, REGEX = "INITIAL", "str", "var", "vararg", "regex"


class ScannerJammed(Exception):
    """No scanner rule matches: Apache's flex scanner aborts the process."""


class Scanner:
    """Hands out (token name, value) pairs; ("$end", None) at the end."""

    def __init__(self, text: str, string_result: bool = False):
        self.text = text
        self.pos = 0
        self.string_result = string_result
        self.state = INITIAL
        self.stack: list[str] = []
        self.buf: list[str] = []
        self.buflen = 0
        self.delim = ""          # str_del; "" in a string expression
        self.at_start = True
        self.error2: str | None = None
        self.at_eof_done = False

    # -- helpers ----------------------------------------------------------

    def _perror(self, msg: str):
        self.error2 = msg
        return ("T_ERROR", msg)

    def _append(self, s: str):
        """STR_APPEND, character by character for the length check."""
        for ch in s:
            self.buf.append(ch)
            self.buflen += 1
            if self.buflen >= MAX_STRING_LEN:
                return self._perror("String too long")
        return None

    def _flush(self):
        value = "".join(self.buf)
        cut = value.find("\0")          # apr_pstrdup of the C buffer
        if cut >= 0:
            value = value[:cut]
        self.buf = []
        self.buflen = 0
        return ("T_STRING", value)

    # -- the scanner --------------------------------------------------------

    def next(self):
        if self.at_start:
            self.at_start = False
            if self.string_result:
                self.state = STR
                return ("T_EXPR_STRING", None)
            return ("T_EXPR_BOOL", None)
        while True:
            tok = self._step()
            if tok is not None:
                return tok

    def _step(self):
        state = self.state
        if state == INITIAL:
            return self._initial()
        if state == STR or state == VARARG:
            return self._str_or_vararg(state)
        if state == VAR:
            return self._var()
        raise AssertionError(state)   # pragma: no cover

    def _initial(self):
        text, pos = self.text, self.pos
        if pos >= len(text):
            return ("$end", None)
        m = _WS.match(text, pos)
        if m:
            self.pos = m.end()
            return None
        c = text[pos]
        if c in "\"'":
            self.pos = pos + 1
            self.buf, self.buflen = [], 0
            self.delim = c
            self.state = STR
            return ("T_STR_BEGIN", None)
        # Candidates: (length, rule order, action).  Rule order follows the
        # .l file: %{ and $N, regex openers, operators, -x / -xy, true/false,
        # digits, identifiers, punctuation, then the catch-all.
        cands = []
        two = text[pos:pos + 2]
        if two == "%{":
            cands.append((2, 0, "var"))
        if c == "$" and two[1:2].isdigit() and two[1:2].isascii():
            cands.append((2, 1, "backref"))
        if c == "m" and len(two) == 2 and two[1] in _REGEX_OPEN_DELIMS:
            cands.append((2, 2, "regex_m"))
        if c == "/":
            cands.append((1, 3, "regex"))
        for op in (text[pos:pos + 3], two, c):
            if op in _OPERATORS:
                cands.append((len(op), 4, "op:" + op))
                break
        m = _UNARY_OR_BINARY.match(text, pos)
        if m:
            n = m.end() - pos
            cands.append((n, 5, "unary" if n == 2 else "binary"))
        m = _DIGITS.match(text, pos)
        if m:
            cands.append((m.end() - pos, 7, "digit"))
        m = _ID.match(text, pos)
        if m:
            word = m.group()
            # keywords are written before the identifier rule
            cands.append((len(word), 6 if word in _KEYWORDS else 8,
                          "kw" if word in _KEYWORDS else "id"))
        if c in _PUNCT:
            cands.append((1, 9, "punct"))
        if not cands:
            self.pos = pos + 1
            return self._perror(f"Parse error near '{c}'")
        n, _, action = max(cands, key=lambda t: (t[0], -t[1]))
        lexeme = text[pos:pos + n]
        self.pos = pos + n
        if action == "var":
            self.stack.append(INITIAL)
            self.state = VAR
            return ("T_VAR_BEGIN", None)
        if action == "backref":
            return ("T_REGEX_BACKREF", int(lexeme[1]))
        if action == "regex_m":
            return self._regex(lexeme[1])
        if action == "regex":
            return self._regex("/")
        if action.startswith("op:"):
            return (_OPERATORS[lexeme], None)
        if action == "unary":
            return ("T_OP_UNARY", lexeme[1:])
        if action == "binary":
            return ("T_OP_BINARY", lexeme[1:])
        if action == "kw":
            return (_KEYWORDS[lexeme], None)
        if action == "digit":
            return ("T_DIGIT", lexeme)
        if action == "id":
            return ("T_ID", lexeme)
        return (_PUNCT[lexeme], None)

    def _regex(self, delim: str):
        """The regex and regex_flags states (all in one flex call)."""
        text = self.text
        end = text.find(delim, self.pos)
        if end < 0:
            # <<EOF>> in the regex state has no rule: flex's default ends
            # the scan, so the parser sees the end of input.
            body = text[self.pos:]
            if len(body) >= MAX_STRING_LEN:
                self.pos += MAX_STRING_LEN
                return self._perror("Regexp too long")
            self.pos = len(text)
            return ("$end", None)
        body = text[self.pos:end]
        if len(body) >= MAX_STRING_LEN:
            self.pos += MAX_STRING_LEN
            return self._perror("Regexp too long")
        self.pos = end + 1
        if text[self.pos:self.pos + 1] == "i":
            self.pos += 1
            return ("T_REGEX_I", body)
        return ("T_REGEX", body)

    def _str_or_vararg(self, state: str):
        text, pos = self.text, self.pos
        if pos >= len(text):
            if state == VARARG or not self.string_result:
                return self._perror("Unterminated string or variable")
            value = self._flush()
            self.state = INITIAL
            return value
        c = text[pos]
        if c == "\n":
            self.pos = pos + 1
            return self._perror("Unterminated string or variable")
        if c in "\"'":
            if state == VARARG:
                raise ScannerJammed("flex scanner jammed")
            if c == self.delim:
                if not self.buf:
                    self.pos = pos + 1
                    self.state = INITIAL
                    return ("T_STR_END", None)
                return self._flush()          # yyless(0): the quote again
            self.pos = pos + 1
            return self._append(c)
        if c == "\\":
            m = _OCTAL.match(text, pos)
            m2 = _DIGIT_ESCAPE.match(text, pos)
            if m2 and (not m or m2.end() > m.end()):
                self.pos = m2.end()
                return self._perror("Bad escape sequence")
            if m:
                self.pos = m.end()
                value = int(m.group(1), 8)
                if value > 0xFF:
                    return self._perror("Escape sequence out of bound")
                return self._append(chr(value))
            if pos + 1 >= len(text):
                raise ScannerJammed("flex scanner jammed")
            nxt = text[pos + 1]
            self.pos = pos + 2
            return self._append(_SIMPLE_ESCAPES.get(nxt, nxt))
        if c == "$" and pos + 1 < len(text) and text[pos + 1] in "0123456789":
            if self.buf:
                return self._flush()
            self.pos = pos + 2
            return ("T_REGEX_BACKREF", int(text[pos + 1]))
        if c == "%" and text[pos + 1:pos + 2] == "{":
            if self.buf:
                return self._flush()
            self.pos = pos + 2
            self.stack.append(state)
            self.state = VAR
            return ("T_VAR_BEGIN", None)
        if c == "}" and state == VARARG:
            if self.buf:
                return self._flush()
            self.pos = pos + 1
            self.state = self.stack.pop()
            return ("T_VAR_END", None)
        if c in "%}$":
            self.pos = pos + 1
            return self._append(c)
        m = _STR_TEXT.match(text, pos)
        self.pos = m.end()
        return self._append(m.group())

    def _var(self):
        text, pos = self.text, self.pos
        if pos >= len(text):
            return self._perror("Unterminated string or variable")
        c = text[pos]
        if c == "\n":
            self.pos = pos + 1
            return self._perror("Unterminated string or variable")
        m = _ID.match(text, pos)
        if m:
            self.pos = m.end()
            return ("T_ID", m.group())
        self.pos = pos + 1
        if c == "}":
            self.state = self.stack.pop()
            return ("T_VAR_END", None)
        if c == ":":
            self.state = VARARG
            return ("COLON", None)
        return self._perror(f"Invalid character in variable name '{c}'")


def tokens(text: str, string_result: bool = False) -> list[tuple[str, object]]:
    """All tokens up to the end or the first T_ERROR (for tests and tools)."""
    sc = Scanner(text, string_result)
    out = []
    while True:
        tok = sc.next()
        out.append(tok)
        if tok[0] in ("$end", "T_ERROR"):
            return out
