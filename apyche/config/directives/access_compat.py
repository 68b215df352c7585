"""access_compat_module directives (modules/aaa/mod_access_compat.c).

Apache spells three of them in lower case ("order", "allow", "deny") and
prints them so in messages ("allow not allowed here").
"""

from __future__ import annotations

from ..registry import OR_AUTHCFG, OR_LIMIT, ArgForm, Cmd, Directive
from ..values import AllowDeny, SubnetError, ipsubnet_create
from ._util import DirectiveError, limited_methods

ACCESS = "access_compat_module"


def order(cmd: Cmd, arg: str):
    low = arg.lower()
    if low in ("allow,deny", "deny,allow", "mutual-failure"):
        return low
    raise DirectiveError("unknown order")


def satisfy(cmd: Cmd, arg: str):
    low = arg.lower()
    if low in ("all", "any"):
        return low
    raise DirectiveError("Satisfy either 'any' or 'all'.")


def _allow_cmd(is_allow: bool):
    def allow_cmd(cmd: Cmd, frm: str, where: str):
        if frm.lower() != "from":
            raise DirectiveError("allow and deny must be followed by 'from'")
        lim = limited_methods(cmd)
        low = where.lower()
        if low.startswith("env=!"):
            return AllowDeny(is_allow, "nenv", where[5:], limited=lim)
        if low.startswith("env="):
            return AllowDeny(is_allow, "env", where[4:], limited=lim)
        if low == "all":
            return AllowDeny(is_allow, "all", where, limited=lim)
        if "/" in where:
            ip, _, mask = where.partition("/")
            try:
                subnet = ipsubnet_create(ip, mask)
            except SubnetError as exc:
                if exc.kind == "EINVAL":
                    raise DirectiveError("An IP address was expected") from None
                raise DirectiveError(exc.text) from None
            return AllowDeny(is_allow, "ip", where, subnet, lim)
        try:
            subnet = ipsubnet_create(where, None)
        except SubnetError as exc:
            if exc.kind != "EINVAL":
                raise DirectiveError(exc.text) from None
        else:
            return AllowDeny(is_allow, "ip", where, subnet, lim)
        if "#" in where:
            raise DirectiveError("No comments are allowed here")
        return AllowDeny(is_allow, "host", where, limited=lim)
    return allow_cmd


_FROM_HELP = "'from' followed by hostnames or IP-address wildcards"

DIRECTIVES = (
    Directive("order", ACCESS, ArgForm.TAKE1, OR_LIMIT,
              "'allow,deny', 'deny,allow', or 'mutual-failure'", order,
              default="deny,allow"),
    Directive("allow", ACCESS, ArgForm.ITERATE2, OR_LIMIT, _FROM_HELP,
              _allow_cmd(True), merge="append", default=()),
    Directive("deny", ACCESS, ArgForm.ITERATE2, OR_LIMIT, _FROM_HELP,
              _allow_cmd(False), merge="append", default=()),
    Directive("Satisfy", ACCESS, ArgForm.TAKE1, OR_AUTHCFG,
              "access policy if both allow and require used ('all' or 'any')",
              satisfy, default="all"),
)
