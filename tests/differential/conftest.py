"""Fixtures for the differential configtest suite (see diffharness.py)."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import diffharness as h  # noqa: E402


class DiffRunner:
    """Runs each case once per session (Apache and apyche on the same copy).

    The first request runs every case selected in this session in a thread
    pool, so the whole module stays well under a minute.
    """

    def __init__(self, tmp_root: Path, apache: str | None, apyche: bool):
        self.tmp_root = tmp_root
        self.apache = apache
        self.apyche_ok = apyche
        self._lock = threading.Lock()
        self._done: dict[str, tuple[h.Outcome | None, h.Outcome | None]] = {}

    def _run_case(self, case: h.Case):
        root = h.materialise(case, self.tmp_root / case.name)
        ap = yc = None
        if self.apache:
            ap = h.Outcome.from_run(h.run_apache(self.apache, case, root), root)
        if self.apyche_ok:
            yc = h.Outcome.from_run(h.run_apyche(case, root), root)
        return ap, yc

    def prefetch(self, cases: list[h.Case]) -> None:
        todo = [c for c in cases if c.name not in self._done]
        if not todo:
            return
        # apyche runs are ~0.4 s CPU plus waiting: oversubscribe a little
        workers = max(4, min(16, 2 * (os.cpu_count() or 2)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for case, res in zip(todo, pool.map(self._run_case, todo)):
                self._done[case.name] = res

    def get(self, case: h.Case) -> tuple[h.Outcome | None, h.Outcome | None]:
        with self._lock:
            if case.name not in self._done:
                self._done[case.name] = self._run_case(case)
            return self._done[case.name]

    def apache_outcome(self, case: h.Case) -> h.Outcome:
        if not self.apache:
            pytest.skip("apache2 not installed (set APYCHE_APACHE_BIN to point at one)")
        return self.get(case)[0]

    def reference(self, case: h.Case) -> tuple[h.Outcome, bool]:
        """Apache's outcome: live if apache2 is installed, else the recording.

        Returns (outcome, is_recording).
        """
        if self.apache:
            return self.get(case)[0], False
        rec = case.recorded()
        if rec is None:
            pytest.skip(f"apache2 not installed and {case.name}/apache.out not recorded")
        return rec, True

    def apyche_outcome(self, case: h.Case) -> h.Outcome:
        if not self.apyche_ok:
            pytest.skip("apyche CLI not implemented yet (no apyche.cli module)")
        return self.get(case)[1]


@pytest.fixture(scope="session")
def diff_runner(request, tmp_path_factory) -> DiffRunner:
    runner = DiffRunner(tmp_path_factory.mktemp("configtest-diff"),
                        h.find_apache(), h.apyche_cli_available())
    selected = []
    seen = set()
    for item in request.session.items:
        cs = getattr(item, "callspec", None)
        case = cs.params.get("case") if cs else None
        if isinstance(case, h.Case) and case.name not in seen:
            seen.add(case.name)
            selected.append(case)
    runner.prefetch(selected)
    return runner
