"""Run resolver-using programs against FakeDNS inside private namespaces.

glibc's stub resolver (which Debian's logresolve uses) always talks to port
53 of the servers named in /etc/resolv.conf; a subprocess cannot be pointed
elsewhere.  So the comparison runs inside ``unshare --mount --net``:

* a new network namespace, whose only interface is a loopback we bring up:
  DNS sent by anything in it cannot leave the namespace, whatever it does;
* a new mount namespace (private propagation) in which temporary
  resolv.conf / hosts / nsswitch.conf files are bind-mounted over the
  /etc ones.  The real files are never written; the mounts vanish with the
  namespace when this process exits.

The parent side (``run_sandboxed``) writes a JSON spec, starts
``unshare ... python sandbox.py SPEC`` in its own session, waits with a
timeout (killing that session on expiry) and reads back a JSON result.
The child side (``_child_main``) serves FakeDNS on 127.0.0.1:53 and runs
each program in turn with its own timeout, recording exit status, wall
time and the number of DNS queries it caused.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n"
HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
NSSWITCH = "hosts: files dns\n"

_UNSHARE = ["unshare", "--mount", "--net", "--propagation", "private"]


def unavailable_reason() -> str | None:
    """None when sandboxed runs work here, else why not (for pytest.skip)."""
    if shutil.which("unshare") is None:
        return "unshare(1) not installed"
    if shutil.which("mount") is None or shutil.which("ip") is None:
        return "mount(8) or ip(8) not installed"
    try:
        r = subprocess.run(_UNSHARE + ["true"], capture_output=True,
                           timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    if r.returncode != 0:
        return ("cannot create mount+network namespaces (needs root / "
                "CAP_SYS_ADMIN): " + r.stderr.decode(errors="replace").strip())
    try:  # the whole set-up once: lo up, bind mounts, FakeDNS on port 53
        run_sandboxed({}, [], timeout=60)
    except (OSError, RuntimeError) as exc:
        return f"sandbox set-up failed: {exc}"
    return None


def run_sandboxed(dns: dict, runs: list[dict], *, delay: float = 0.0,
                  timeout: float = 120.0, hosts_extra: bytes = b"") -> list[dict]:
    """Run ``runs`` one after another inside a sandbox serving ``dns``.

    Each run is ``{"argv": [...], "stdin": bytes, "env": {...}?,
    "timeout": seconds?}``.  Returns, per run, ``{"rc", "stdout",
    "stderr", "elapsed", "queries", "files"}`` where stdout/stderr are
    bytes and ``files`` maps each path listed in the run's ``"collect"``
    to its bytes (or None).  ``hosts_extra`` is appended to the sandbox's
    /etc/hosts (any bytes: glibc's files backend passes names through).
    """
    with tempfile.TemporaryDirectory(prefix="logresolve-sandbox-") as tmp:
        tmpd = Path(tmp)
        spec_runs = []
        for i, run in enumerate(runs):
            stdin_path = tmpd / f"in{i}"
            stdin_path.write_bytes(run.get("stdin", b""))
            spec_runs.append({
                "argv": run["argv"],
                "stdin": str(stdin_path),
                "stdout": str(tmpd / f"out{i}"),
                "stderr": str(tmpd / f"err{i}"),
                "env": run.get("env"),
                "cwd": run.get("cwd", str(tmpd)),
                "timeout": run.get("timeout", 60.0),
            })
        spec = {"dns": dns, "delay": delay, "runs": spec_runs,
                "hosts_extra": hosts_extra.decode("latin-1"),
                "tmp": str(tmpd), "result": str(tmpd / "result.json")}
        spec_path = tmpd / "spec.json"
        spec_path.write_text(json.dumps(spec))
        proc = subprocess.Popen(
            _UNSHARE + [sys.executable, str(Path(__file__).resolve()),
                        str(spec_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RuntimeError(f"sandbox did not finish within {timeout}s")
        if proc.returncode != 0:
            raise RuntimeError(
                f"sandbox failed (rc={proc.returncode}): "
                + (out + err).decode(errors="replace"))
        result = json.loads(Path(spec["result"]).read_text())
        for i, r in enumerate(result):
            r["stdout"] = Path(spec_runs[i]["stdout"]).read_bytes()
            r["stderr"] = Path(spec_runs[i]["stderr"]).read_bytes()
            r["files"] = {}
            for p in runs[i].get("collect", ()):
                fp = Path(p)
                r["files"][p] = fp.read_bytes() if fp.exists() else None
        return result


# -- child side: runs inside the namespaces ---------------------------------

def _check_isolated() -> None:
    """Refuse to serve unless the only network interface is loopback."""
    names = [name for _, name in socket.if_nameindex()]
    if names != ["lo"]:
        raise SystemExit(f"sandbox: not in a private netns (interfaces {names})")


def _bind(src: Path, target: str) -> None:
    subprocess.run(["mount", "--bind", str(src), target], check=True,
                   timeout=20)


def _child_main(spec_path: str) -> int:
    sys.path.insert(0, str(HERE))
    from fakedns import FakeDNS  # noqa: E402  (path set just above)

    spec = json.loads(Path(spec_path).read_text())
    _check_isolated()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=20)
    tmp = Path(spec["tmp"])
    hosts = HOSTS.encode() + spec.get("hosts_extra", "").encode("latin-1")
    for name, text in (("resolv.conf", RESOLV_CONF.encode()), ("hosts", hosts),
                       ("nsswitch.conf", NSSWITCH.encode())):
        (tmp / name).write_bytes(text)
        _bind(tmp / name, "/etc/" + name)
    results = []
    with FakeDNS(spec["dns"], host="127.0.0.1", port=53,
                 delay=spec["delay"]) as dns:
        for run in spec["runs"]:
            before = dns.total_queries
            env = dict(os.environ)
            env.update(run.get("env") or {})
            t0 = time.perf_counter()
            with open(run["stdin"], "rb") as fin, \
                    open(run["stdout"], "wb") as fout, \
                    open(run["stderr"], "wb") as ferr:
                try:
                    rc = subprocess.run(run["argv"], stdin=fin, stdout=fout,
                                        stderr=ferr, env=env, cwd=run["cwd"],
                                        timeout=run["timeout"]).returncode
                except subprocess.TimeoutExpired:
                    rc = "timeout"
            elapsed = time.perf_counter() - t0
            results.append({"rc": rc, "elapsed": elapsed,
                            "queries": dns.total_queries - before})
    Path(spec["result"]).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1]))
