"""unixd_module directives (modules/arch/unix/mod_unixd.c ``unixd_cmds``)."""

from __future__ import annotations

import grp
import os
import pwd

from ..registry import GLOBAL_ONLY, RSRC_CONF, ArgForm, Cmd, Directive
from ..values import Account, FatalConfigError, c_atoi
from ._util import DirectiveError, globals_, is_directory

UNIXD = "unixd_module"
SUEXEC_BIN = "/usr/lib/apache2/suexec"

ROOT_ERROR = (
    "Error:\tApache has not been designed to serve pages while\n"
    "\trunning as root.  There are known race conditions that\n"
    "\twill allow any local user to read any file on the system.\n"
    "\tIf you still desire to serve pages as root then\n"
    "\tadd -DBIG_SECURITY_HOLE to the CFLAGS env variable\n"
    "\tand then rebuild the server.\n"
    "\tIt is strongly suggested that you instead modify the User\n"
    "\tdirective in your httpd.conf file to list a non-root\n"
    "\tuser.\n")


def uname2id(name: str) -> int:
    """ap_uname2id: ``#n`` is numeric; an unknown name is fatal."""
    if name.startswith("#"):
        return c_atoi(name[1:])
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        raise FatalConfigError(f"AH00543: {{argv0}}: bad user name {name}",
                               "AH00543") from None


def gname2id(name: str) -> int:
    if name.startswith("#"):
        return c_atoi(name[1:])
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise FatalConfigError(f"AH00544: {{argv0}}: bad group name {name}",
                               "AH00544") from None


def set_user(cmd: Cmd, arg: str):
    """Account(name, uid).  The message Apache returns for root contains real tabs
    and newlines; Apache's logger escapes them when printing."""
    cmd.check_context(GLOBAL_ONLY)
    uid = uname2id(arg)
    if uid == 0:
        raise DirectiveError(ROOT_ERROR)
    return Account(arg, uid)


def set_group(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    return Account(arg, gname2id(arg))


def set_chroot_dir(cmd: Cmd, arg: str):
    cmd.check_context(GLOBAL_ONLY)
    if not is_directory(arg):
        raise DirectiveError("ChrootDir must be a valid directory")
    return arg


def suexec_disabled_reason() -> str:
    """unixd_pre_config's probe of the suexec wrapper ("" if usable)."""
    try:
        st = os.stat(SUEXEC_BIN)
    except OSError:
        return f"Missing suexec binary {SUEXEC_BIN}"
    if st.st_mode & 0o4000 and st.st_uid == 0 and os.access(SUEXEC_BIN, os.R_OK | os.X_OK):
        return ""
    return f"Invalid owner or file mode for {SUEXEC_BIN}"


def set_suexec(cmd: Cmd, flag: bool):
    cmd.check_context(GLOBAL_ONLY)
    if flag:
        reason = globals_(cmd).get("suexec_disabled_reason")
        if reason is None:
            reason = suexec_disabled_reason()
        if reason:
            raise DirectiveError(f"suEXEC isn't supported: {reason}")
    return flag


DIRECTIVES = (
    Directive("User", UNIXD, ArgForm.TAKE1, RSRC_CONF,
              "Effective user id for this server", set_user,
              default=Account("#-1", -1)),
    Directive("Group", UNIXD, ArgForm.TAKE1, RSRC_CONF,
              "Effective group id for this server", set_group,
              default=Account("#-1", -1)),
    Directive("ChrootDir", UNIXD, ArgForm.TAKE1, RSRC_CONF,
              "The directory to chroot(2) into", set_chroot_dir),
    Directive("Suexec", UNIXD, ArgForm.FLAG, RSRC_CONF,
              "Enable or disable suEXEC support", set_suexec),
)
