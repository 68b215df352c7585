"""env_module directives (modules/metadata/mod_env.c)."""

from __future__ import annotations

import os

from ..registry import OR_FILEINFO, ArgForm, Cmd, Directive
from ..values import EnvAction
from ._util import warn

ENV = "env_module"


def add_passed(cmd: Cmd, arg: str):
    """PassEnv: the value is captured now, from apyche's own environment."""
    value = os.environ.get(arg)
    if value is None:
        warn(cmd, f"AH01506: PassEnv variable {arg} was undefined")
        return None
    return EnvAction("pass", arg, value)


def add_set(cmd: Cmd, name: str, value: str | None):
    if "=" in name:
        parts = [p for p in name.split("=") if p]
        env = parts[0] if parts else ""
        rest = "=".join(name.split("=")[1:]) if parts else ""
        rest = rest.lstrip("=")
        warn(cmd, "AH10032: Spurious usage of '=' in an environment variable "
                  f"name. '{cmd.name} {env} {rest}' expected instead?")
    return (EnvAction("set", name, value if value is not None else ""),)


def add_unset(cmd: Cmd, arg: str):
    return EnvAction("unset", arg)


DIRECTIVES = (
    Directive("PassEnv", ENV, ArgForm.ITERATE, OR_FILEINFO,
              "a list of environment variables to pass to CGI.", add_passed,
              merge="append", default=()),
    Directive("SetEnv", ENV, ArgForm.TAKE12, OR_FILEINFO,
              "an environment variable name and optional value to pass to CGI.",
              add_set, merge="append", default=()),
    Directive("UnsetEnv", ENV, ArgForm.ITERATE, OR_FILEINFO,
              "a list of variables to remove from the CGI environment.",
              add_unset, merge="append", default=()),
)
