"""Every directive apyche must know is registered, with Apache's shape."""

from __future__ import annotations

import glob
import os
import re

import pytest

from apyche.config import modules as modcat
from apyche.config.directives import REGISTRY
from apyche.config.directives.mpm import MPM_VARIANTS, for_mpm
from apyche.config.registry import ArgForm, RSRC_CONF

HERE = os.path.dirname(__file__)
DATA = os.path.join(HERE, "..", "data")

# Named in the brief (ServerRoot aside), expanded where it says "…"/"*".
REQUIRED = """
DocumentRoot ServerName ServerAlias ServerAdmin User Group Timeout KeepAlive
KeepAliveTimeout MaxKeepAliveRequests AccessFileName AllowOverride
AllowOverrideList Options HostnameLookups EnableMMAP EnableSendfile
DirectorySlash ErrorDocument FileETag LimitRequestLine LimitRequestFields
LimitRequestFieldSize LimitRequestBody LimitXMLRequestBody TraceEnable
ServerTokens ServerSignature UseCanonicalName UseCanonicalPhysicalPort
AllowEncodedSlashes Protocols ProtocolsHonorOrder HttpProtocolOptions
AcceptPathInfo AddDefaultCharset DefaultRuntimeDir PidFile Mutex Listen
ListenBacklog SendBufferSize ReceiveBufferSize StartServers MinSpareServers
MaxSpareServers MinSpareThreads MaxSpareThreads ThreadsPerChild ThreadLimit
ServerLimit MaxRequestWorkers MaxClients MaxConnectionsPerChild
MaxRequestsPerChild AsyncRequestWorkerFactor ExtendedStatus SeeRequestTail
ErrorLog ErrorLogFormat LogLevel LogFormat CustomLog TransferLog
BufferedLogs GlobalLog SetHandler ForceType AddType AddHandler AddCharset
AddEncoding AddLanguage DefaultLanguage RemoveType RemoveHandler
RemoveCharset RemoveEncoding RemoveLanguage RemoveInputFilter
RemoveOutputFilter TypesConfig MultiviewsMatch ModMimeUsePathInfo
DirectoryIndex DirectoryIndexRedirect FallbackResource DirectoryCheckHandler
Alias AliasMatch ScriptAlias ScriptAliasMatch Redirect RedirectMatch
RedirectPermanent RedirectTemp Require AuthMerging AuthType AuthName
AuthUserFile AuthGroupFile AuthBasicProvider AuthBasicAuthoritative Order
Allow Deny Satisfy IndexOptions IndexIgnore IndexOrderDefault HeaderName
ReadmeName AddDescription AddIcon AddIconByType AddIconByEncoding
DefaultIcon IndexStyleSheet IndexHeadInsert LanguagePriority
ForceLanguagePriority CacheNegotiatedDocs SetEnvIf SetEnvIfNoCase
SetEnvIfExpr BrowserMatch BrowserMatchNoCase SetEnv UnsetEnv PassEnv Header
RequestHeader XBitHack SSIErrorMsg SSITimeFormat SSIStartTag SSIEndTag
SSIUndefinedEcho SSILegacyExprParser SSILastModified SSIEtag ScriptLog
ScriptLogLength ScriptLogBuffer RequestReadTimeout
""".split()

# Directives /work/shared/spec/apache-performance-notes.txt names that
# Apache 2.4 still has (LockFile is gone from 2.4; RewriteRule belongs to
# mod_rewrite, which apyche does not provide).
PERFORMANCE_NOTES = """
AllowOverride DirectoryIndex HostnameLookups EnableMMAP EnableSendfile
KeepAliveTimeout MaxSpareServers MinSpareServers Options StartServers Alias
Allow Deny DocumentRoot ErrorLog Listen MaxClients MaxRequestsPerChild
ExtendedStatus
""".split()

# Containers and read-time directives live in sections.py / readtime.py.
NOT_OURS = {
    "<directory", "<directorymatch", "<files", "<filesmatch", "<location",
    "<locationmatch", "<virtualhost", "<limit", "<limitexcept", "<if",
    "<elseif", "<else", "<requireall", "<requireany", "<requirenone",
    "<requirenotall", "<ifversion", "<proxy", "<authnprovideralias",
    "<authzprovideralias", "include", "includeoptional", "define",
    "undefine", "<ifmodule", "<ifdefine", "<iffile", "<ifdirective",
    "<ifsection", "loadmodule", "loadfile", "serverroot",
}


@pytest.mark.parametrize("name", REQUIRED)
def test_brief_directives_registered(name):
    d = REGISTRY.get(name)
    assert d is not None, name
    assert modcat.BY_IDENT.get(d.module.split()[0]) is not None, d.module


@pytest.mark.parametrize("name", PERFORMANCE_NOTES)
def test_performance_notes_directives_registered(name):
    assert REGISTRY.get(name) is not None, name


def _logical_lines(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    text = re.sub(r"\\\n", " ", text)
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line


def _module_of_load(load_path):
    for line in _logical_lines(load_path):
        m = re.match(r"LoadModule\s+(\S+)", line, re.I)
        if m:
            return m.group(1)
    return None


def directives_needed(root, pattern):
    """(file, directive) for directives of provided modules in *root*.

    A directive counts unless it sits in an <IfModule> naming a module
    apyche does not provide, or in mods-available/X.conf whose X.load
    loads such a module.
    """
    needed = []
    for path in sorted(glob.glob(os.path.join(root, pattern), recursive=True)):
        if not os.path.isfile(path):
            continue
        base = os.path.basename(path)
        load = os.path.join(os.path.dirname(path), base[:-5] + ".load")
        if base.endswith(".conf") and os.path.exists(load):
            ident = _module_of_load(load)
            if ident and modcat.find(ident) is None:
                continue
        stack = []
        for line in _logical_lines(path):
            word = line.split()[0]
            if word.startswith("</"):
                if stack:
                    stack.pop()
                continue
            if word.startswith("<"):
                name = word.rstrip(">")
                if name.lower() == "<ifmodule":
                    arg = line[len(word):].strip().rstrip(">").strip() or word[len(name):]
                    arg = arg.strip("\"'")
                    provided = arg.startswith("!") or modcat.find(arg) is not None
                    stack.append(provided)
                else:
                    stack.append(True)
                continue
            if all(stack) and word.lower() not in NOT_OURS:
                needed.append((os.path.relpath(path, root), word))
    return needed


# Directives of modules apyche lacks that Debian's/upstream's files use
# outside any <IfModule> (sites-available/default-ssl.conf needs mod_ssl,
# httpd-dav.conf mod_dav...).
LACKING = re.compile(r"^(SSL|Dav|ProxyHTML|UserDir|AuthDigest)", re.I)


@pytest.mark.skipif(not os.path.isdir("/etc/apache2"), reason="no /etc/apache2")
def test_etc_apache2_directives_registered():
    needed = directives_needed("/etc/apache2", "**/*.conf")
    assert needed, "parsed nothing"
    missing = sorted({w for _, w in needed
                      if REGISTRY.get(w) is None and not LACKING.match(w)})
    assert missing == []


def test_debian_copy_directives_registered():
    root = os.path.join(DATA, "debian")
    if not os.path.isdir(root):
        pytest.skip("no tests/data/debian")
    needed = directives_needed(root, "**/*.conf")
    missing = sorted({w for _, w in needed
                      if REGISTRY.get(w) is None and not LACKING.match(w)})
    assert missing == []


UPSTREAM_NOT_PROVIDED = {
    # mpm_winnt / netware only, and directives of modules apyche lacks
    # that upstream's files use outside <IfModule>.
    "maxthreads", "startthreads",
}


@pytest.mark.parametrize("pattern", ["httpd.conf", "extra/*.conf"])
def test_upstream_conf_directives_registered(pattern):
    root = os.path.join(DATA, "upstream", "conf")
    ref = "/work/ref/httpd-2.4/docs/conf"
    if not os.path.isdir(root) and not os.path.isdir(ref):
        pytest.skip("no upstream conf")
    needed = []
    if os.path.isdir(root):
        needed += directives_needed(root, pattern)
    if os.path.isdir(ref):
        needed += directives_needed(ref, pattern + ".in")
    missing = sorted({w for _, w in needed
                      if REGISTRY.get(w) is None and not LACKING.match(w)
                      and w.lower() not in UPSTREAM_NOT_PROVIDED
                      and not w.startswith("@")})
    assert missing == []


# --- the shape of every entry ---------------------------------------------

OWN_MODULES = {m.ident for m in modcat.MODULES} - {"so_module", "version_module"}


def _own():
    for d in REGISTRY:
        if d.section or d.key in NOT_OURS:
            continue
        yield d


def test_every_entry_has_help_and_a_provided_module():
    for d in _own():
        assert d.help, d.name
        for m in d.module.split():
            assert m in modcat.BY_IDENT, (d.name, m)
        assert isinstance(d.how, ArgForm)
        assert d.merge == "replace" or d.merge == "append" or callable(d.merge)


def test_registry_size():
    # core 70-odd, mpm 23, mime 18, autoindex 17, ... (see the report)
    assert len(list(_own())) >= 190


def test_mpm_variants():
    assert for_mpm("MaxRequestWorkers", "mpm_prefork_module").help == \
        "Maximum number of children alive at the same time"
    assert for_mpm("MaxRequestWorkers", "mpm_event_module").help == \
        "Maximum number of threads alive at the same time"
    assert for_mpm("ServerLimit", "mpm_prefork_module").help == \
        "Maximum value of MaxRequestWorkers for this run of Apache"
    assert for_mpm("MinSpareServers", "mpm_event_module") is None
    assert for_mpm("ThreadsPerChild", "mpm_prefork_module") is None
    assert for_mpm("AsyncRequestWorkerFactor", "mpm_worker_module") is None
    assert set(REGISTRY.get("Listen").module.split()) == set(MPM_VARIANTS)
    assert REGISTRY.get("MinSpareServers").module == "mpm_prefork_module"
    assert REGISTRY.get("ThreadsPerChild").module == \
        "mpm_event_module mpm_worker_module"
    assert REGISTRY.get("AsyncRequestWorkerFactor").module == "mpm_event_module"
    for variants in MPM_VARIANTS.values():
        for d in variants.values():
            assert d.where == RSRC_CONF


def test_lowercase_access_compat_names():
    # Apache declares them in lower case and prints them so.
    assert REGISTRY.get("Order").name == "order"
    assert REGISTRY.get("Allow").name == "allow"
    assert REGISTRY.get("Deny").name == "deny"
    assert REGISTRY.get("Satisfy").name == "Satisfy"


# --- against Apache's own command_rec tables (when the source is here) ----

REF = "/work/ref/httpd-2.4"
COMMAND_TABLES = """
server/core.c modules/http/http_core.c include/ap_listen.h include/mpm_common.h
server/mpm/event/event.c server/mpm/worker/worker.c modules/arch/unix/mod_unixd.c
modules/core/mod_watchdog.c modules/loggers/mod_log_config.c
modules/loggers/mod_logio.c modules/mappers/mod_alias.c modules/mappers/mod_dir.c
modules/mappers/mod_negotiation.c modules/http/mod_mime.c
modules/aaa/mod_access_compat.c modules/aaa/mod_auth_basic.c
modules/aaa/mod_authn_core.c modules/aaa/mod_authn_file.c
modules/aaa/mod_authz_core.c modules/aaa/mod_authz_groupfile.c
modules/generators/mod_autoindex.c modules/generators/mod_cgi.c
modules/metadata/mod_env.c modules/metadata/mod_headers.c
modules/metadata/mod_setenvif.c modules/filters/mod_include.c
modules/filters/mod_reqtimeout.c server/mpm/prefork/prefork.c
""".split()
# Compiled out of Debian's apache2 (GPROF, WIN32, AP_ENABLE_EXCEPTION_HOOK).
NOT_BUILT = {"GprofDir", "UNCList", "EnableExceptionHook"}


def _c_entries(path):
    """(form, name, req_override text, help) of each AP_INIT_* in *path*."""
    src = open(path, encoding="latin-1").read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    out = []
    for m in re.finditer(r"AP_INIT_(\w+)\s*\(", src):
        i, depth, in_str = m.end(), 1, False
        parts, cur = [], ""
        while depth:
            c = src[i]
            if in_str:
                cur += c
                if c == "\\":
                    cur += src[i + 1]
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str, cur = True, cur + c
            elif c == "(":
                depth, cur = depth + 1, cur + c
            elif c == ")":
                depth -= 1
                if depth:
                    cur += c
            elif c == "," and depth == 1:
                parts.append(cur.strip())
                cur = ""
            else:
                cur += c
            i += 1
        parts.append(cur.strip())

        def text(s):
            strs = re.findall(r'"((?:[^"\\]|\\.)*)"', s)
            return "".join(strs).replace('\\"', '"') if strs else None

        out.append((m.group(1), text(parts[0]), parts[3], text(parts[-1])))
    return out


def _bits(expr):
    from apyche.config import registry as R
    names = {"DIR_CMD_PERMS": R.OR_INDEXES}
    value = 0
    for tok in re.sub(r"[()\\\s]", "", expr).split("|"):
        value |= names.get(tok, getattr(R, tok, 0))
    return value


@pytest.mark.skipif(not os.path.isdir(REF), reason="no Apache source")
def test_tables_match_apache_command_rec():
    problems = []
    checked = 0
    for rel in COMMAND_TABLES:
        prefork = "prefork" in rel
        for form, name, where, help_ in _c_entries(os.path.join(REF, rel)):
            checked += 1
            if name in NOT_BUILT or name.startswith("<") or name.lower() in NOT_OURS:
                continue
            d = for_mpm(name, "mpm_prefork_module") if prefork else REGISTRY.get(name)
            if d is None:
                problems.append(("missing", name))
                continue
            if d.name != name:
                problems.append(("name", name, d.name))
            if d.how.name != form:
                problems.append(("form", name, form, d.how.name))
            if d.where != _bits(where):
                problems.append(("where", name, where, d.where))
            if d.help != help_:
                problems.append(("help", name, help_, d.help))
    assert checked > 200
    assert problems == []


def test_deprecated_aliases_declared():
    from apyche.config.directives.mpm import DEPRECATED_ALIASES
    for old, new in DEPRECATED_ALIASES.items():
        assert REGISTRY.get(old).handler is REGISTRY.get(new).handler
    assert "DEPRECATED" in REGISTRY.get("MaxRequestsPerChild").help
    assert REGISTRY.get("MaxClients").help == "Deprecated name of MaxRequestWorkers"
