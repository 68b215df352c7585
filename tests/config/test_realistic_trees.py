"""``apyche -t`` says "Syntax OK" on realistic, complete configuration trees.

(a) Debian style: apache2.conf + ports.conf + envvars + mods-/conf-/sites-
    available/enabled (with the .load/.conf pairs and relative symlinks):
    - the system tree in /etc/apache2, when present;
    - the trimmed copy shipped in tests/data/debian/ (runs anywhere).
    The tree is copied to a temp dir; paths under /etc/apache2, /var/log,
    /var/run, /var/lock and /var/www are moved into it; ports 80/443 become
    20080/20443; envvars is sourced (with APACHE_CONFDIR set, as apache2ctl
    does) and its exports are the environment of the run.

(b) Upstream style: httpd.conf + conf/extra/*.conf generated from httpd's
    docs/conf/*.in (tests/data/upstream, see generate.py there) with the
    Include lines enabled.

Each tree is also checked with the real ``apache2 -t`` when it is installed,
so a fixture that Apache itself rejects is caught here and not blamed on
apyche.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
SYSTEM_DEBIAN = Path("/etc/apache2")
DEBIAN_MODULES = Path("/usr/lib/apache2/modules")
TIMEOUT = 60

CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def find_apache() -> str | None:
    env = os.environ.get("APYCHE_APACHE_BIN")
    if env:
        return env if os.access(env, os.X_OK) else None
    return shutil.which("apache2", path=CLEAN_PATH) or shutil.which("httpd", path=CLEAN_PATH)


APACHE = find_apache()
needs_apache = pytest.mark.skipif(APACHE is None, reason="apache2 not installed")


# --------------------------------------------------------------------- helpers

def _rewrite_tree(root: Path, replacements: list[tuple[bytes, bytes]],
                  regexes: list[tuple[bytes, bytes]] = ()) -> None:
    """Apply byte replacements (one pass, longest match first) to every
    regular file; fix absolute symlinks the same way."""
    mapping = dict(replacements)
    pattern = re.compile(b"|".join(re.escape(k) for k in
                                   sorted(mapping, key=len, reverse=True)))

    def replace(data: bytes) -> bytes:
        return pattern.sub(lambda m: mapping[m.group(0)], data)

    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            target = os.readlink(p).encode()
            new = replace(target)
            if new != target:
                p.unlink()
                p.symlink_to(new.decode())
            continue
        if not p.is_file():
            continue
        data = p.read_bytes()
        new = replace(data)
        for pat, rep in regexes:
            new = re.sub(pat, rep, new, flags=re.M)
        if new != data:
            p.write_bytes(new)


def prepare_debian_tree(src: Path, dest: Path) -> tuple[Path, dict[str, str]]:
    """Copy a Debian /etc/apache2-style tree; return (apache2.conf, env)."""
    shutil.copytree(src, dest, symlinks=True)
    root = str(dest).encode()
    var = dest / "var"
    _rewrite_tree(dest, [
        (b"/etc/apache2", root),
        (b"/var/log/apache2", root + b"/var/log/apache2"),
        (b"/var/run/apache2", root + b"/var/run/apache2"),
        (b"/run/apache2", root + b"/var/run/apache2"),
        (b"/var/lock/apache2", root + b"/var/lock/apache2"),
        (b"/var/www", root + b"/var/www"),
    ], [
        (rb"^(\s*Listen\s+)80\s*$", rb"\g<1>20080"),
        (rb"^(\s*Listen\s+)443\s*$", rb"\g<1>20443"),
        (rb"\*:80>", rb"*:20080>"),
        (rb"_default_:443>", rb"_default_:20443>"),
        (rb"\*:443>", rb"*:20443>"),
    ])
    for d in ("log/apache2", "run/apache2", "lock/apache2", "www/html"):
        (var / d).mkdir(parents=True, exist_ok=True)
    env = source_envvars(dest)
    return dest / "apache2.conf", env


def source_envvars(confdir: Path) -> dict[str, str]:
    """The environment apache2ctl would give apache2: envvars sourced."""
    base = {"PATH": CLEAN_PATH, "LANG": "C", "APACHE_CONFDIR": str(confdir)}
    envvars = confdir / "envvars"
    if not envvars.exists():
        return base
    out = subprocess.run(
        ["/bin/sh", "-c", '. "$1" >/dev/null && env -0', "sh", str(envvars)],
        env=base, capture_output=True, timeout=TIMEOUT, check=True).stdout
    env = {}
    for item in out.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode()] = v.decode()
    env.pop("PWD", None)
    env.pop("SHLVL", None)
    env.pop("_", None)
    return env


def prepare_upstream_tree(dest: Path) -> tuple[Path, dict[str, str]]:
    src = DATA / "upstream"
    shutil.copytree(src, dest, symlinks=True,
                    ignore=shutil.ignore_patterns("generate.py", "__pycache__"))
    _rewrite_tree(dest, [(b"@ROOT@", str(dest).encode())])
    for d in ("logs", "htdocs", "cgi-bin", "docs/dummy-host.example.com",
              "docs/dummy-host2.example.com"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    if DEBIAN_MODULES.is_dir() and not (dest / "modules").exists():
        (dest / "modules").symlink_to(DEBIAN_MODULES)
    return dest / "conf" / "httpd.conf", {"PATH": CLEAN_PATH, "LANG": "C"}


def run_configtest(argv0: list[str], conf: Path, root: Path,
                   env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*argv0, "-t", "-f", str(conf), "-d", str(root)],
                          env=env, cwd=root, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=TIMEOUT)


def apyche_argv() -> list[str]:
    override = os.environ.get("APYCHE_DIFF_CMD")
    if override:
        import shlex
        return shlex.split(override)
    return [sys.executable, "-m", "apyche"]


def apyche_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PYTHONPATH": str(REPO), "APYCHE_NO_CACHE": "1",
            "PYTHONDONTWRITEBYTECODE": "1"}


def assert_syntax_ok(cp: subprocess.CompletedProcess, who: str) -> None:
    err = cp.stderr.decode("utf-8", "replace")
    assert cp.returncode == 0 and "Syntax OK" in err, (
        f"{who} -t failed (exit {cp.returncode}):\n{err[-4000:]}")


TREES = {
    "debian-fixture": lambda tmp: prepare_debian_tree(DATA / "debian", tmp / "apache2"),
    "debian-system": lambda tmp: prepare_debian_tree(SYSTEM_DEBIAN, tmp / "apache2"),
    "upstream": lambda tmp: prepare_upstream_tree(tmp / "httpd"),
}


def _tree(name: str, tmp_path: Path):
    if name == "debian-system" and not (SYSTEM_DEBIAN / "apache2.conf").is_file():
        pytest.skip("/etc/apache2/apache2.conf not present")
    conf, env = TREES[name](tmp_path)
    return conf, conf.parent if name != "upstream" else conf.parent.parent, env


# ----------------------------------------------------------------------- tests

@pytest.mark.parametrize("tree", sorted(TREES))
def test_apyche_syntax_ok(tree, tmp_path):
    conf, root, env = _tree(tree, tmp_path)
    cp = run_configtest(apyche_argv(), conf, root, apyche_env(env))
    assert_syntax_ok(cp, "apyche")


@needs_apache
@pytest.mark.parametrize("tree", sorted(TREES))
def test_apache_syntax_ok(tree, tmp_path):
    conf, root, env = _tree(tree, tmp_path)
    cp = run_configtest([APACHE], conf, root, env)
    assert_syntax_ok(cp, "apache2")


def test_debian_fixture_shape():
    d = DATA / "debian"
    for f in ("apache2.conf", "ports.conf", "envvars"):
        assert (d / f).is_file()
    for kind in ("mods", "conf", "sites"):
        enabled = list((d / f"{kind}-enabled").iterdir())
        assert enabled, f"{kind}-enabled is empty"
        for link in enabled:
            assert link.is_symlink(), f"{link} should be a symlink as on Debian"
            assert link.resolve().parent == (d / f"{kind}-available").resolve()
    loads = {p.stem for p in (d / "mods-enabled").glob("*.load")}
    assert "mpm_event" in loads


def test_debian_envvars_are_exported(tmp_path):
    conf, env = prepare_debian_tree(DATA / "debian", tmp_path / "apache2")
    for var in ("APACHE_RUN_USER", "APACHE_RUN_GROUP", "APACHE_PID_FILE",
                "APACHE_RUN_DIR", "APACHE_LOCK_DIR", "APACHE_LOG_DIR"):
        assert var in env, var
    assert env["APACHE_LOG_DIR"].startswith(str(tmp_path)), env["APACHE_LOG_DIR"]
    assert Path(env["APACHE_RUN_DIR"]).is_dir()


def test_upstream_fixture_includes_enabled():
    text = (DATA / "upstream" / "conf" / "httpd.conf").read_text()
    assert "Licensed to the Apache Software Foundation" in text
    assert not re.search(r"^#Include conf/extra", text, re.M)
    for extra in ("httpd-mpm", "httpd-multilang-errordoc", "httpd-autoindex",
                  "httpd-languages", "httpd-info", "httpd-vhosts",
                  "httpd-manual", "httpd-default"):
        assert re.search(rf"^Include conf/extra/{extra}\.conf$", text, re.M), extra
        assert (DATA / "upstream" / "conf" / "extra" / f"{extra}.conf").is_file()
