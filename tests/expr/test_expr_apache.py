"""apyche.expr against what Apache httpd 2.4.71 (Debian apache2) says.

Verified against /usr/sbin/apache2 (2.4.71) with tests/expr/apache_probe.py
(``<If "EXPR">`` / ``LogMessage "STR"`` under ``apache2 -t``; the text after
"Cannot parse condition clause: " or "Could not parse message expression
'...': ") and tests/expr/apache_eval_probe.py (a live apache2 with
mod_headers, one Header per expression).  Recorded in
apache_parse_cases.json (1251 expressions: hand-written, regex features,
and a diverse sample of ~24,000 random and mutated expressions that all
agreed) and apache_eval_cases.json (122 evaluations).

Apache messages verified (each seen from apache2 and reproduced exactly):

    syntax error, unexpected $end
    syntax error, unexpected $end, expecting '('
    syntax error, unexpected $end, expecting T_REGEX or T_REGEX_I
    syntax error, unexpected $end, expecting T_OP_OR or T_OP_AND or ')'
    syntax error, unexpected ')', expecting $end
    syntax error, unexpected T_DIGIT, expecting $end
    syntax error, unexpected T_ERROR, expecting $end: Parse error near '@'
    syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': Invalid character in variable name '-'
    syntax error, unexpected T_VAR_END, expecting T_ERROR or T_STRING or T_REGEX_BACKREF or T_VAR_BEGIN
    syntax error, unexpected T_ERROR, expecting T_ID: Unterminated string or variable
    syntax error, unexpected $end: Function 'bar' does not exist
    Parse error near '@'          (also '%', '\\', '#', '~', ...)
    Unterminated string or variable
    Escape sequence out of bound
    Bad escape sequence
    Variable 'FOO' does not exist
    Function 'bar' does not exist
    List-returning function 'foo' does not exist
    Unary operator '-q' does not exist
    Binary operator '-foo' does not exist
    -R requires subnet/netmask as constant argument
    parsing of subnet/netmask failed
    Failed to compile regular expression
    Failed to compile regular expression: Variable 'NOPE' does not exist
    flex scanner jammed           (Apache prints this and exits; a backslash
                                   ending a string, a quote in %{f:arg})

plus every "syntax error, unexpected X[, expecting ...]" combination in the
corpus (all bison token names occur).  Where apache2 accepts a regex that
Python's re cannot run faithfully (\\K, (?R), \\p{..}, (*VERB), (?|..),
look-behinds with alternatives of different lengths, (?U)...), apyche
raises ExprUnsupported instead; those rows have apache "OK".

Set APYCHE_APACHE_LIVE=1 to re-ask the installed apache2 about a sample.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest

from apyche.expr import ExprError, ExprUnsupported, parse_expr, parse_string_expr

HERE = Path(__file__).parent
PARSE_CASES = json.loads((HERE / "apache_parse_cases.json").read_text())


def ours(mode: str, expr: str) -> str:
    try:
        (parse_string_expr if mode == "string" else parse_expr)(expr)
        return "OK"
    except ExprUnsupported:
        return "UNSUPPORTED"
    except ExprError as exc:
        return exc.message


def test_corpus_is_large_and_varied():
    assert len(PARSE_CASES) > 1000
    messages = {t for _, _, t in PARSE_CASES}
    assert len(messages) > 300
    assert sum(t == "OK" for _, _, t in PARSE_CASES) > 50


@pytest.mark.parametrize("mode,expr,apache", PARSE_CASES,
                         ids=[f"{i}" for i in range(len(PARSE_CASES))])
def test_parse_matches_apache(mode, expr, apache):
    got = ours(mode, expr)
    if got == "UNSUPPORTED":
        assert apache == "OK", "apyche refuses an expression Apache refuses too"
        return
    assert got == apache


def test_unsupported_rows_are_regex_features():
    rows = [(m, e) for m, e, t in PARSE_CASES if ours(m, e) == "UNSUPPORTED"]
    assert rows, "the corpus documents what apyche cannot run"
    assert all("=~" in e or "!~" in e for _, e in rows)


@pytest.mark.skipif(not os.environ.get("APYCHE_APACHE_LIVE")
                    or not shutil.which("apache2") and not os.path.exists("/usr/sbin/apache2"),
                    reason="set APYCHE_APACHE_LIVE=1 with apache2 installed")
def test_live_sample_still_matches():
    from .apache_probe import probe
    sample = random.Random(1).sample(PARSE_CASES, 60)
    for mode, expr, recorded in sample:
        assert probe(expr, mode == "string") == recorded, expr
