#!/usr/bin/env python3
"""Record what the real Apache says for each differential case.

    python tests/differential/record_apache.py            # every case
    python tests/differential/record_apache.py NAME...    # some cases
    python tests/differential/record_apache.py --show NAME

Writes ``cases/<name>/apache.out`` (``exit=N`` then Apache's normalised
stderr).  The recordings are the expectations used when apache2 is not
installed, and ``test_apache_matches_recording`` checks them against the
installed Apache when it is.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import diffharness as h  # noqa: E402


def main(argv: list[str]) -> int:
    show = "--show" in argv
    names = [a for a in argv if not a.startswith("--")]
    apache = h.find_apache()
    if apache is None:
        print("apache2 not found", file=sys.stderr)
        return 2
    cases = {c.name: c for c in h.load_cases()}
    todo = [cases[n.rstrip("/").split("/")[-1]] for n in names] if names else list(cases.values())
    with tempfile.TemporaryDirectory(prefix="apd-rec-") as tmp:
        for case in todo:
            root = h.materialise(case, Path(tmp) / case.name)
            out = h.Outcome.from_run(h.run_apache(apache, case, root), root)
            verdict = "ok" if out.ok else "error"
            flag = "" if case.expect in (None, verdict) else f"  (case.toml expects {case.expect}!)"
            print(f"{case.name}: {verdict}{flag}")
            if show:
                print("    " + out.summary().replace("\n", "\n    "))
            else:
                case.recording.write_bytes(out.to_recording())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
