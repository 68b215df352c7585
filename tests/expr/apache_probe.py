"""Ask the installed apache2 what it says about expressions (developer aid).

    python tests/expr/apache_probe.py 'EXPR' ...        # <If "EXPR">
    python tests/expr/apache_probe.py --string 'STR'   # LogMessage STR (string expr)

Prints, for each expression, the text after Apache's prefix ("Cannot parse
condition clause: " / "Cannot parse expression in require line: "...) or OK.
Not a test; the tests use the messages recorded from running this.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODDIR = "/usr/lib/apache2/modules"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unescape_log(msg: str) -> str:
    """Undo the error log's escaping (ap_escape_errorlog_item): \\\\ \\" \\xHH."""
    return re.sub(r'\\(\\|"|x[0-9a-fA-F]{2})',
                  lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "x"
                  else m.group(1), msg)


def probe(expr: str, string: bool = False) -> str:
    with tempfile.TemporaryDirectory() as root:
        lines = [f"LoadModule mpm_event_module {MODDIR}/mod_mpm_event.so",
                 f"ErrorLog {root}/error.log"]
        if string:
            lines.append(f"LoadModule log_debug_module {MODDIR}/mod_log_debug.so")
            lines.append(f"LogMessage {_quote(expr)}")
        else:
            lines += [f"<If {_quote(expr)}>", "</If>"]
        conf = os.path.join(root, "t.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([APACHE, "-t", "-f", conf, "-d", root],
                           capture_output=True, text=True)
        out = (p.stderr + p.stdout).strip()
        if p.returncode == 0:
            return "OK"
        text = out.splitlines()
        # AH00526: Syntax error on line 3 of /tmp/.../t.conf:\n<message>
        msg = out
        for i, line in enumerate(text[:-1]):
            if "Syntax error on line" in line:
                msg = text[i + 1]
                break
        msg = _unescape_log(msg)
        for prefix in (f"Could not parse message expression '{expr}': ",
                       "Cannot parse condition clause: ",
                       "Cannot parse expression in require line: "):
            if msg.startswith(prefix):
                return msg[len(prefix):]
        return msg


if __name__ == "__main__":
    args = sys.argv[1:]
    string = False
    if args and args[0] == "--string":
        string, args = True, args[1:]
    for a in args:
        print(f"{a!r:40} -> {probe(a, string)!r}")
