"""Differential configtest harness: ``apache2 -t`` versus ``python -m apyche -t``.

Each case is a directory under ``cases/``::

    cases/<name>/httpd.conf     the main config (``-f``); other files as needed
    cases/<name>/case.toml      optional: description, defines, env, args, ...
    cases/<name>/apache.out     what the real Apache said, recorded by
                                ``python tests/differential/record_apache.py``

A case is copied to a fresh directory, ``@ROOT@`` is replaced by that
directory's absolute path in every file (and in ``env``/``args``), ``logs/``
and ``run/`` are created, and both programs are run with ``-d`` pointing there
and a clean environment (``PATH``, ``LANG=C`` plus the case's ``env``).

case.toml keys (all optional)::

    description = "what the case is about"
    expect      = "ok" | "error"   # the verdict Apache gives (checked)
    conf        = "httpd.conf"     # the -f argument, relative to the case root
    defines     = ["FOO"]          # passed as -D FOO
    args        = ["-C", "Define X"]   # further command-line arguments
    env         = { NAME = "value" }   # extra environment variables
    divergence  = "why"            # apyche differs from Apache on purpose:
                                   # the apyche comparisons become xfail
    compare_warnings = false       # skip the warning comparison

Apache's stderr is normalised before comparing: the case root becomes
``@ROOT@`` and the ``[date] [module:level] [pid N:tid N]`` prefix of log lines
becomes ``[module:level]``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
REPO_ROOT = HERE.parent.parent

ROOT_TOKEN = b"@ROOT@"
RUN_TIMEOUT = 30  # seconds, per process

#: Apache truncates a log line to MAX_STRING_LEN - 2 = 8190 bytes.
APACHE_LOG_LINE_MAX = 8190


def find_apache() -> str | None:
    """The apache2/httpd binary, or None.  ``APYCHE_APACHE_BIN`` overrides."""
    env = os.environ.get("APYCHE_APACHE_BIN")
    if env:
        return env if os.access(env, os.X_OK) else None
    for cand in ("apache2", "httpd"):
        found = shutil.which(cand, path="/usr/sbin:/usr/local/sbin:/usr/bin:/sbin:/bin:"
                             + os.environ.get("PATH", ""))
        if found:
            return found
    return None


def apyche_command() -> list[str]:
    """How to start apyche: ``python -m apyche``, or ``APYCHE_DIFF_CMD``
    (split like a shell line, e.g. ``apyche`` or ``/path/to/python -m apyche``)."""
    override = os.environ.get("APYCHE_DIFF_CMD")
    if override:
        import shlex
        return shlex.split(override)
    return [sys.executable, "-m", "apyche"]


def apyche_cli_available() -> bool:
    if os.environ.get("APYCHE_DIFF_CMD"):
        return True
    import importlib.util
    try:
        return importlib.util.find_spec("apyche.cli") is not None
    except (ImportError, ValueError):
        return False


# --------------------------------------------------------------------------
# cases

@dataclasses.dataclass
class Case:
    name: str
    path: Path
    description: str = ""
    expect: str | None = None
    conf: str = "httpd.conf"
    defines: list[str] = dataclasses.field(default_factory=list)
    args: list[str] = dataclasses.field(default_factory=list)
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    divergence: str | None = None
    compare_warnings: bool = True

    @property
    def recording(self) -> Path:
        return self.path / "apache.out"

    def recorded(self) -> "Outcome | None":
        if not self.recording.exists():
            return None
        return Outcome.from_recording(self.recording.read_bytes())


def load_case(path: Path) -> Case:
    meta = {}
    toml = path / "case.toml"
    if toml.exists():
        meta = tomllib.loads(toml.read_text(encoding="utf-8"))
    known = {f.name for f in dataclasses.fields(Case)} - {"name", "path"}
    unknown = set(meta) - known
    if unknown:
        raise ValueError(f"{toml}: unknown keys {sorted(unknown)}")
    return Case(name=path.name, path=path, **meta)


def load_cases() -> list[Case]:
    if not CASES_DIR.is_dir():
        return []
    return [load_case(p) for p in sorted(CASES_DIR.iterdir())
            if p.is_dir() and not p.name.startswith(".")]


SKIP_FILES = {"case.toml", "apache.out"}


def materialise(case: Case, dest: Path) -> Path:
    """Copy the case to ``dest`` (which must not exist); return its resolved path."""
    dest.mkdir(parents=True)
    root = dest.resolve()
    rootb = str(root).encode()
    for src in sorted(case.path.rglob("*")):
        rel = src.relative_to(case.path)
        if rel.parts[0] in SKIP_FILES and len(rel.parts) == 1:
            continue
        target = root / rel
        if src.is_symlink():
            target.symlink_to(os.readlink(src))
        elif src.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes().replace(ROOT_TOKEN, rootb))
    (root / "logs").mkdir(exist_ok=True)
    (root / "run").mkdir(exist_ok=True)
    return root


def _subst(s: str, root: Path) -> str:
    return s.replace(ROOT_TOKEN.decode(), str(root))


def command_tail(case: Case, root: Path) -> list[str]:
    conf = _subst(case.conf, root)
    if not os.path.isabs(conf):
        conf = str(root / conf)
    tail = ["-t", "-f", conf, "-d", str(root)]
    for d in case.defines:
        tail += ["-D", _subst(d, root)]
    tail += [_subst(a, root) for a in case.args]
    return tail


def clean_env(case: Case, root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": "C"}
    env.update(extra or {})
    env.update({k: _subst(v, root) for k, v in case.env.items()})
    return env


@dataclasses.dataclass
class RunResult:
    returncode: int
    stdout: bytes
    stderr: bytes


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> RunResult:
    try:
        cp = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired as exc:  # the child is killed by run()
        return RunResult(-999, exc.stdout or b"", (exc.stderr or b"")
                         + f"\n<harness: timed out after {RUN_TIMEOUT}s>".encode())
    return RunResult(cp.returncode, cp.stdout, cp.stderr)


def run_apache(apache: str, case: Case, root: Path) -> RunResult:
    return _run([apache, *command_tail(case, root)], clean_env(case, root), root)


def run_apyche(case: Case, root: Path) -> RunResult:
    extra = {"APYCHE_NO_CACHE": "1", "PYTHONPATH": str(REPO_ROOT),
             "PYTHONDONTWRITEBYTECODE": "1"}
    return _run([*apyche_command(), *command_tail(case, root)],
                clean_env(case, root, extra), root)


# --------------------------------------------------------------------------
# outcome parsing

_LOG_PREFIX = re.compile(
    r"^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [^\]]*\] (\[[^\]]*\]) \[pid [^\]]*\] ")
_WALK_HDR = re.compile(r"^AH00526: Syntax error on line (\d+) of (.*):$")
_READ_PREFIX = re.compile(r"^Syntax error on line (\d+) of (.*?): ")
_NOT_CLOSED = re.compile(r"^(.*):(\d+): (</?[^ >]*>?) was not closed\.")
_ARGV0_SYNTAX = re.compile(r"^[^\s:]+: (Syntax error on line .*)$")
_ARGV0_OTHER = re.compile(
    r"^(?:AH\d{5}: )?[^\s:]+: (Could not open configuration file|Configuration error:)")


#: Apache prefixes some messages with its argv[0] basename ("apache2: Syntax
#: error ...", "AH00534: apache2: Configuration error: ...").  apyche may print
#: its own name there; both are mapped to "apache2" unless
#: APYCHE_DIFF_STRICT_ARGV0=1 asks for the exact name.
_ARGV0 = re.compile(r"^(AH00534: )?(?:apache2|httpd|apyche): ")


def normalise(raw: bytes, root: Path | str | None) -> list[str]:
    """stderr bytes -> lines (latin-1, so bytes survive), root -> @ROOT@,
    log-line prefixes shortened, argv[0] unified (see _ARGV0)."""
    strict_argv0 = os.environ.get("APYCHE_DIFF_STRICT_ARGV0") == "1"
    text = raw.decode("latin-1")
    if root is not None:
        text = text.replace(str(root), ROOT_TOKEN.decode())
    lines = []
    for line in text.splitlines():
        line = _LOG_PREFIX.sub(r"\1 ", line.rstrip("\r"))
        if not strict_argv0:
            line = _ARGV0.sub(r"\1apache2: ", line)
        if line.strip() == "":
            continue
        lines.append(line)
    return lines


def _error_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if (_WALK_HDR.match(line) or _ARGV0_SYNTAX.match(line)
                or _ARGV0_OTHER.match(line)):
            return i
    return None


@dataclasses.dataclass
class Outcome:
    ok: bool
    returncode: int
    lines: list[str]

    @classmethod
    def from_run(cls, res: RunResult, root: Path | None) -> "Outcome":
        return cls(res.returncode == 0, res.returncode, normalise(res.stderr, root))

    # recorded form: "exit=N\n" + normalised stderr lines (latin-1)
    def to_recording(self) -> bytes:
        return ("exit=%d\n" % self.returncode + "".join(
            l + "\n" for l in self.lines)).encode("latin-1")

    @classmethod
    def from_recording(cls, data: bytes) -> "Outcome":
        text = data.decode("latin-1").split("\n")
        m = re.match(r"exit=(-?\d+)$", text[0])
        if not m:
            raise ValueError("recording must start with exit=N")
        rc = int(m.group(1))
        return cls(rc == 0, rc, [l for l in text[1:] if l != ""])

    # ---- views used by the comparisons
    @property
    def syntax_ok(self) -> bool:
        return "Syntax OK" in self.lines

    @property
    def error_lines(self) -> list[str]:
        """The error report: from the first Apache-shaped error line on.

        For the two-line ``AH00526: Syntax error on line N of F:`` form it is
        the header and the message; for the one-line forms just that line; if
        no known shape is present, every line (minus "Syntax OK").
        """
        if self.ok:
            return []
        start = _error_start(self.lines)
        if start is None:
            return [l for l in self.lines if l != "Syntax OK"]
        if _WALK_HDR.match(self.lines[start]):
            return self.lines[start:start + 2]
        return self.lines[start:start + 1]

    @property
    def warnings(self) -> list[str]:
        """Lines before the error report (or all lines but "Syntax OK")."""
        if self.ok:
            return [l for l in self.lines if l != "Syntax OK"]
        start = _error_start(self.lines)
        if start is None:
            return []
        return self.lines[:start]

    @property
    def locations(self) -> list[tuple[str, int]]:
        """(file, line) of the error, outermost first.

        ``Syntax error on line 6 of A: Syntax error on line 2 of B: msg``
        gives [(A, 6), (B, 2)]; a trailing ``F:N: <X> was not closed.`` adds
        (F, N) for each unclosed section.
        """
        errs = self.error_lines
        if not errs:
            return []
        first = errs[0]
        m = _WALK_HDR.match(first)
        if m:
            return [(m.group(2), int(m.group(1)))]
        m = _ARGV0_SYNTAX.match(first)
        if not m:
            return []
        rest = m.group(1)
        locs: list[tuple[str, int]] = []
        while True:
            m = _READ_PREFIX.match(rest)
            if not m:
                break
            locs.append((m.group(2), int(m.group(1))))
            rest = rest[m.end():]
        # several unclosed sections are joined by a logged "\n" (escaped)
        for part in rest.split("\\n"):
            m = _NOT_CLOSED.match(part)
            if m:
                locs.append((m.group(1), int(m.group(2))))
        return locs

    @property
    def message(self) -> str:
        """The innermost error message without any location prefix."""
        errs = self.error_lines
        if not errs:
            return ""
        if _WALK_HDR.match(errs[0]):
            return errs[1] if len(errs) > 1 else ""
        m = _ARGV0_SYNTAX.match(errs[0])
        if m:
            rest = m.group(1)
            while True:
                m2 = _READ_PREFIX.match(rest)
                if not m2:
                    return rest
                rest = rest[m2.end():]
        return "\n".join(errs)

    def summary(self) -> str:
        return f"exit={self.returncode}\n" + "\n".join(self.lines)


def lines_match(a: list[str], b: list[str], tolerant: bool = False) -> bool:
    """Exact equality; ``tolerant`` forgives differences past the truncation
    point of very long lines (their length depends on the temp-dir path)."""
    if not tolerant:
        if len(a) != len(b):
            return False
        # A line cut at the 8190-byte log limit: the cut point shifts by
        # the difference in argv[0] ("apache2" vs "apyche"), so compare the
        # common prefix of very long lines.
        def same(x: str, y: str) -> bool:
            n = min(len(x), len(y))
            return x == y or (n > 2000 and abs(len(x) - len(y)) < 16
                              and x[:n - 16] == y[:n - 16])
        return all(same(x, y) for x, y in zip(a, b))
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if max(len(x), len(y)) > 2000:
            # possibly truncated at a path-length-dependent point: compare
            # the common prefix, minus the partial path at the cut
            n = max(0, min(len(x), len(y)) - 300)
            if x[:n] != y[:n]:
                return False
        elif x != y:
            return False
    return True


def locations_match(a: list[tuple[str, int]], b: list[tuple[str, int]],
                    tolerant: bool = False) -> bool:
    """Exact equality; ``tolerant`` (comparing with a recording made under a
    different temp dir) accepts a common prefix when a chain was cut short by
    Apache's log-line truncation (more than 20 entries)."""
    if a == b or not tolerant:
        return a == b
    if max(len(a), len(b)) <= 20:
        return False
    n = min(len(a), len(b)) - 1
    return a[:n] == b[:n]
