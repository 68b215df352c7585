"""``apyche -t`` must give exactly Apache's ``apache2 -t`` verdict.

For every case under ``cases/`` (see diffharness.py for the layout):

* test_case_is_well_formed      the fixture itself is sane
* test_apache_matches_recording the installed Apache still says what
                                ``apache.out`` recorded (skipped without apache2)
* test_verdict                  apyche exit status zero <=> Apache's is zero
* test_error_location           (broken cases) same file/line chain
* test_error_message            (broken cases) same error text, byte for byte
* test_warnings                 same warnings (AH00111, AH01574, ...)

The apyche side is compared with the live Apache when apache2 is installed,
otherwise with the recording.  Cases marked ``divergence`` in case.toml are
deliberate differences and run as non-strict xfail.
"""

from __future__ import annotations

import re

import pytest

import diffharness as h

CASES = h.load_cases()
BROKEN = [c for c in CASES if c.expect == "error"]


def _ids(cases):
    return [c.name for c in cases]


def _xfail_divergence(request, case: h.Case) -> None:
    if case.divergence:
        request.applymarker(pytest.mark.xfail(reason=f"deliberate: {case.divergence}",
                                              strict=False))


def _show(label: str, out: h.Outcome) -> str:
    body = out.summary()
    if len(body) > 3000:
        body = body[:3000] + " ...[truncated]"
    return f"--- {label}:\n{body}\n"


def test_enough_cases():
    valid = [c for c in CASES if c.expect == "ok" and not c.divergence]
    broken = [c for c in CASES if c.expect == "error" and not c.divergence]
    assert len(valid) + len(broken) >= 70
    assert len(valid) >= 35 and len(broken) >= 35


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_case_is_well_formed(case: h.Case):
    assert case.expect in ("ok", "error"), f"{case.name}: case.toml needs expect = ok|error"
    if case.name != "b_config_file_missing":
        assert (case.path / case.conf).is_file()
    rec = case.recorded()
    assert rec is not None, (f"{case.name}: no apache.out; run "
                             "python tests/differential/record_apache.py " + case.name)
    assert rec.ok == (case.expect == "ok"), f"{case.name}: recording disagrees with expect"


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_apache_matches_recording(case: h.Case, diff_runner):
    live = diff_runner.apache_outcome(case)
    rec = case.recorded()
    if rec is None:
        pytest.skip("not recorded")
    assert live.ok == rec.ok, _show("live apache", live) + _show("recorded", rec)
    assert h.lines_match(live.lines, rec.lines, tolerant=True), (
        _show("live apache", live) + _show("recorded", rec))


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_verdict(case: h.Case, diff_runner, request):
    ref, _ = diff_runner.reference(case)
    _xfail_divergence(request, case)
    got = diff_runner.apyche_outcome(case)
    assert got.ok == ref.ok, (
        f"{case.name}: {case.description}\n"
        f"Apache says {'OK' if ref.ok else 'error'}, apyche says "
        f"{'OK' if got.ok else 'error'}\n" + _show("apache", ref) + _show("apyche", got))
    if got.ok:
        assert got.syntax_ok, "apyche exited 0 but did not print 'Syntax OK'\n" + _show("apyche", got)
    else:
        assert got.returncode == 1, f"Apache exits 1 on config errors; apyche exited {got.returncode}"


@pytest.mark.parametrize("case", BROKEN, ids=_ids(BROKEN))
def test_error_location(case: h.Case, diff_runner, request):
    ref, is_recording = diff_runner.reference(case)
    _xfail_divergence(request, case)
    got = diff_runner.apyche_outcome(case)
    if got.ok:
        pytest.fail("apyche accepted the config (see test_verdict)")
    assert h.locations_match(got.locations, ref.locations, tolerant=is_recording), (
        f"{case.name}: {case.description}\n" + _show("apache", ref) + _show("apyche", got))


@pytest.mark.parametrize("case", BROKEN, ids=_ids(BROKEN))
def test_error_message(case: h.Case, diff_runner, request):
    ref, is_recording = diff_runner.reference(case)
    _xfail_divergence(request, case)
    got = diff_runner.apyche_outcome(case)
    if got.ok:
        pytest.fail("apyche accepted the config (see test_verdict)")
    assert h.lines_match(got.error_lines, ref.error_lines, tolerant=is_recording), (
        f"{case.name}: {case.description}\n"
        f"apache error: {ref.error_lines!r}\napyche error: {got.error_lines!r}\n"
        + _show("apache", ref) + _show("apyche", got))


_LEVEL_PREFIX = re.compile(r"^\[[a-z_0-9]+:[a-z0-9]+\] ")


def _warning_texts(out: h.Outcome) -> list[str]:
    return [_LEVEL_PREFIX.sub("", line) for line in out.warnings]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_warnings(case: h.Case, diff_runner, request):
    if not case.compare_warnings:
        pytest.skip("case.toml: compare_warnings = false")
    ref, _ = diff_runner.reference(case)
    _xfail_divergence(request, case)
    got = diff_runner.apyche_outcome(case)
    if got.ok != ref.ok:
        pytest.fail("verdicts differ (see test_verdict)")
    assert _warning_texts(got) == _warning_texts(ref), (
        f"{case.name}: {case.description}\n" + _show("apache", ref) + _show("apyche", got))
