"""Parsed values, argument-count errors, contexts and warnings."""

from __future__ import annotations

import os

import pytest

from apyche.config.directives import REGISTRY
from apyche.config.errors import DirectiveError
from apyche.config.registry import (
    ACCESS_CONF, NONFATAL_ALL, OR_ALL, OR_AUTHCFG, OR_FILEINFO, OR_INDEXES,
    OR_LIMIT, OR_NONE, OR_OPTIONS, RSRC_CONF, invoke,
)
from apyche.config import values as V

from .test_directives import FakeState, error_of, make_cmd, run


# --- argument counts: Apache's messages carry the help text ----------------

ARGCOUNT = [
    ("DocumentRoot", "", "DocumentRoot takes one argument, Root directory of the document tree"),
    ("ErrorDocument", "404", "ErrorDocument takes two arguments, Change responses for HTTP errors"),
    ("Alias", "", "Alias takes 1-2 arguments, a fakename and a realname, or a realname in a Location"),
    ("Redirect", "a b c d", "Redirect takes one, two or three arguments, an optional status, then document to be redirected and destination URL"),
    ("CustomLog", "x", "CustomLog takes two or three arguments, a file name, a custom log format string or format name, and an optional \"env=\" or \"expr=\" clause (see docs)"),
    ("AddType", "text/html", "AddType requires at least two arguments, a mime type followed by one or more file extensions"),
    ("IndexIgnore", "", "IndexIgnore requires at least one argument, one or more file extensions"),
    ("KeepAlive", "maybe", "KeepAlive must be On or Off"),
    ("IndexOrderDefault", "Ascending", "IndexOrderDefault takes two arguments, {Ascending,Descending} {Name,Size,Description,Date}"),
    ("Listen", "", "Listen requires 1 or 2 arguments."),
    ("MaxClients", "", "MaxClients takes one argument, Deprecated name of MaxRequestWorkers"),
    ("KeepAliveTimeout", "", "KeepAliveTimeout takes one argument, Keep-Alive timeout duration (sec)"),
    ("LogFormat", "a b c", "LogFormat takes 1-2 arguments, a log format string (see docs) and an optional format name"),
    ("SetEnv", "", "SetEnv takes 1-2 arguments, an environment variable name and optional value to pass to CGI."),
]


@pytest.mark.parametrize("name,args,message", ARGCOUNT)
def test_argument_counts(name, args, message):
    assert error_of(f"{name} {args}".strip() if args else name) == message


# --- "not allowed here" via the override bits ------------------------------

@pytest.mark.parametrize("name,override", [
    ("Options", OR_FILEINFO), ("AllowOverride", RSRC_CONF | OR_ALL),
    ("Require", OR_FILEINFO), ("IndexOptions", OR_FILEINFO),
    ("AddType", OR_INDEXES), ("order", OR_AUTHCFG), ("Satisfy", OR_LIMIT),
    ("DocumentRoot", ACCESS_CONF | OR_ALL), ("XBitHack", OR_FILEINFO),
])
def test_not_allowed_here(name, override):
    cmd = make_cmd(name, "server", override=override, parents=())
    with pytest.raises(DirectiveError) as info:
        invoke(cmd, "x")
    assert info.value.message == f"{REGISTRY.get(name).name} not allowed here"


def test_not_allowed_in_section():
    cmd = make_cmd("DocumentRoot", "dir")
    with pytest.raises(DirectiveError) as info:
        invoke(cmd, "/tmp")
    assert info.value.message == "DocumentRoot not allowed in <Directory> context"


def test_htaccess_override_bits_admit():
    # AllowOverride FileInfo admits AddType but not Options.
    assert run("AddType text/x .x", "dir", override=OR_FILEINFO, htaccess=True,
               parents=())
    assert error_of("Options Indexes", "dir", override=OR_FILEINFO,
                    htaccess=True, parents=()) == "Options not allowed here"
    assert error_of("AllowOverride None", "dir", override=ACCESS_CONF | OR_ALL,
                    htaccess=True, parents=()) == "AllowOverride cannot occur within htaccess files"


# --- GLOBAL_ONLY / NOT_IN_DIR_CONTEXT ------------------------------------

@pytest.mark.parametrize("line", [
    "ServerTokens Prod", "PidFile x", "Listen 80", "StartServers 2",
    "MaxRequestWorkers 10", "User www-data", "Mutex default",
    "ListenBacklog 5", "MaxConnectionsPerChild 5", "GlobalLog x common",
    "ExtendedStatus on", "WatchdogInterval 1", "AcceptFilter http none",
])
def test_global_only_in_vhost(line):
    name = line.split()[0]
    assert error_of(line, "vhost") == \
        f"{name} cannot occur within <VirtualHost> section"


def test_limit_context():
    assert error_of("ServerTokens Prod", "server", limited=True) == \
        "ServerTokens cannot occur within <Limit> or <LimitExcept> section"


# --- core values ----------------------------------------------------------

def test_options_values():
    o = run("Options Indexes FollowSymLinks")
    assert o == V.Options(V.OPT_INDEXES | V.OPT_SYM_LINKS, 0, 0, True)
    o = run("Options +ExecCGI -Indexes")
    assert (o.add, o.remove, o.explicit) == (V.OPT_EXECCGI, V.OPT_INDEXES, False)
    assert run("Options None").opts == V.OPT_NONE
    assert run("Options All").opts == V.OPT_ALL
    assert run("Options Includes").opts == V.OPT_INCLUDES | V.OPT_INC_WITH_EXEC
    assert run("Options IncludesNOEXEC").opts == V.OPT_INCLUDES
    assert run("Options None +Indexes").opts == V.OPT_INDEXES


def test_options_override_opts():
    # AllowOverride Options=Indexes in .htaccess: only Indexes may be set.
    assert error_of("Options FollowSymLinks", "dir",
                    extra={"override_opts": V.OPT_INDEXES}) == \
        "Option FollowSymLinks not allowed here"
    run("Options Indexes", "dir", extra={"override_opts": V.OPT_INDEXES})


def test_merge_options():
    base = V.Options(V.OPT_INDEXES | V.OPT_SYM_LINKS, 0, 0, True)
    merged = V.merge_options(base, run("Options -Indexes +ExecCGI"))
    assert merged.opts == V.OPT_SYM_LINKS | V.OPT_EXECCGI
    assert V.merge_options(base, run("Options MultiViews")).opts == V.OPT_MULTI
    inc = V.Options(V.OPT_INCLUDES | V.OPT_INC_WITH_EXEC, 0, 0, True)
    assert V.merge_options(inc, run("Options +IncludesNOEXEC")).opts == V.OPT_INCLUDES


def test_allow_override_values():
    v = run("AllowOverride None", "dir")
    assert v == V.AllowOverride(OR_NONE, None)
    v = run("AllowOverride FileInfo AuthConfig Options=Indexes,MultiViews", "dir")
    assert v.override == OR_FILEINFO | OR_AUTHCFG | OR_OPTIONS
    assert v.override_opts == V.OPT_INDEXES | V.OPT_MULTI
    assert run("AllowOverride All", "dir").override == OR_ALL
    assert run("AllowOverride All Nonfatal=All", "dir").override == OR_ALL | NONFATAL_ALL


def test_allow_override_useless_warning():
    st = FakeState()
    run("AllowOverride None", "loc", st)
    assert st.warnings == ["AH00114: Useless use of AllowOverride in line 2 of test.conf."]


def test_allow_override_list():
    st = FakeState()
    v = run("AllowOverrideList Redirect NoSuchThing ServerName", "dir", st)
    assert v == V.OverrideList(("Redirect",))
    assert st.warnings == [
        "AH00116: Discarding unrecognized directive `NoSuchThing' in AllowOverrideList at test.conf:2",
        "AH02304: Discarding directive `ServerName' not allowed in AllowOverrideList at test.conf:2",
    ]
    assert run("AllowOverrideList None", "dir") == V.OverrideList(())


def test_document_root():
    assert run("DocumentRoot /tmp") == "/tmp"
    st = FakeState()
    assert run("DocumentRoot /nonexistent", "vhost", st) == "/nonexistent"
    assert st.warnings == ["AH00112: Warning: DocumentRoot [/nonexistent] does not exist"]
    # relative to ServerRoot
    assert run("DocumentRoot .", "server", FakeState("/tmp")) == "/tmp/."


def test_server_name():
    assert run("ServerName www.example.com") == V.ServerName("www.example.com", 0, None)
    assert run("ServerName https://Example.com:8443") == \
        V.ServerName("Example.com", 8443, "https")


def test_server_alias():
    assert run("ServerAlias a.example *.b.example", "vhost") == ("a.example", "*.b.example")


def test_error_document():
    (doc,) = run('ErrorDocument 404 /missing.html')
    assert doc == V.ErrorDocument(404, "local", "/missing.html")
    (doc,) = run('ErrorDocument 500 "Oops, sorry"')
    assert doc.kind == "message"
    (doc,) = run('ErrorDocument 403 http://example.com/')
    assert doc.kind == "remote"
    (doc,) = run('ErrorDocument 404 default')
    assert doc.kind == "default"
    st = FakeState()
    assert run('ErrorDocument 401 http://example.com/', "server", st) is None
    assert st.warnings == ["AH00113: test.conf:2 cannot use a full URL in a 401 "
                           "ErrorDocument directive --- ignoring!"]
    merged = V.merge_error_documents(run("ErrorDocument 404 /a"),
                                     run("ErrorDocument 404 /b"))
    assert [d.value for d in merged] == ["/b"]


def test_fileetag():
    assert run("FileETag INode MTime Size") == V.FileETag(V.ETAG_ALL)
    assert run("FileETag None") == V.FileETag(V.ETAG_NONE)
    v = run("FileETag -INode")
    assert (v.bits, v.remove) == (V.ETAG_UNSET, V.ETAG_INODE)
    assert V.merge_etag(V.FileETag(V.ETAG_ALL), v).bits == V.ETAG_MTIME | V.ETAG_SIZE
    assert run("FileETag Digest").bits == V.ETAG_DIGEST


def test_keyword_values():
    assert run("HostnameLookups Double") == "double"
    assert run("EnableSendfile On") is True
    assert run("EnableMMAP off") is False
    assert run("AllowEncodedSlashes NoDecode") == "nodecode"
    assert run("TraceEnable extended") == "extended"
    assert run("ServerTokens Prod") == "ProductOnly"
    assert run("ServerTokens min") == "Minimal"
    assert run("ServerSignature EMail") == "email"
    assert run("AcceptPathInfo Default") == "default"
    assert run("UseCanonicalName DNS") == "dns"
    assert run("ProtocolsHonorOrder on") is True
    assert run("AddDefaultCharset On") == "iso-8859-1"
    assert run("AddDefaultCharset utf-8") == "utf-8"
    assert run("AddDefaultCharset Off") is False
    assert run("ForceType Text/HTML") == "text/html"
    assert run("Timeout 300") == 300
    assert run("LimitRequestBody 102400") == 102400
    assert run("LimitRequestFields 0") == 0
    assert run("Protocols h2 http/1.1") == ("h2", "http/1.1")
    assert run("AccessFileName .htaccess .acl") == V.AccessFiles((".htaccess", ".acl"))
    assert run("LimitInternalRecursion 20 5") == V.RecursionLimit(20, 5)
    assert run("LimitInternalRecursion 20") == V.RecursionLimit(20, 20)
    assert run("MaxRanges unlimited") == -3


def test_loglevel():
    v = run("LogLevel info alias:debug")
    folded = REGISTRY.get("LogLevel").merge(None, v)
    assert folded == (V.LogLevel(6, (("alias_module", 7),)),)
    st = FakeState(loaded={"core_module", "mpm_event_module"})
    assert error_of("LogLevel alias:debug", state=st) == "Cannot find module alias"
    assert run("LogLevel mod_alias.c:trace8")[0].modules == (("alias_module", 15),)


def test_errorlog_format():
    (v,) = run('ErrorLogFormat "[%t] [%l] [pid %P] %F: %E: [client %a] %M"')
    assert (v.scope, v.text) == ("main", "[%t] [%l] [pid %P] %F: %E: [client %a] %M")
    (v,) = run('ErrorLogFormat request "[%{u}t] [%L] request %+i"')
    assert v.scope == "request"


def test_http_protocol_options():
    st = FakeState()
    v = run("HttpProtocolOptions Unsafe LenientMethods Allow0.9", state=st)
    merged = REGISTRY.get("HttpProtocolOptions").merge(None, v)
    assert merged == V.HttpProtocolOptions(True, False, False)
    # clash across two directives of the same server
    assert error_of("HttpProtocolOptions Strict", state=st) == \
        "HttpProtocolOptions 'Strict' and 'Unsafe' are mutually exclusive"


def test_mutex():
    (m,) = run("Mutex file:/tmp default")
    assert m == V.Mutex("fcntl", "/tmp", ("default",), False)
    (m,) = run("Mutex posixsem watchdog-callback OmitPID")
    assert (m.mechanism, m.types, m.omit_pid) == ("posixsem", ("watchdog-callback",), True)
    st = FakeState(loaded={"core_module", "mpm_prefork_module", "watchdog_module"})
    (m,) = run("Mutex flock:/tmp mpm-accept", state=st)
    assert m.types == ("mpm-accept",)
    assert error_of("Mutex none mpm-accept", state=st) == \
        "None is not allowed for mutex type mpm-accept"


def test_set_handler_and_filters():
    assert run("SetHandler server-status") == "server-status"
    assert run("SetOutputFilter INCLUDES;DEFLATE") == "INCLUDES;DEFLATE"


def test_error_directive():
    assert error_of('Error "Stop here"') == "Stop here"
    assert error_of("Error") == "The Error directive was used with no message."


def test_deprecated():
    assert error_of("Port 80") == "Port was replaced with Listen in Apache 2.0"
    st = FakeState()
    assert run("DefaultType text/plain", state=st) is None
    assert st.warnings == ["AH00117: Ignoring deprecated use of DefaultType in line 2 of test.conf."]
    st = FakeState()
    run("NameVirtualHost *:80", state=st)
    assert st.warnings == ["AH00548: NameVirtualHost has no effect and will be removed in the next release test.conf:2"]


# --- mpm ------------------------------------------------------------------

def test_listen_values():
    assert run("Listen 80") == (V.ListenAddr(None, 80, "http"),)
    assert run("Listen 443") == (V.ListenAddr(None, 443, "https"),)
    assert run("Listen 127.0.0.1:8443 HTTPS") == (V.ListenAddr("127.0.0.1", 8443, "https"),)
    assert run("Listen [::1]:8080") == (V.ListenAddr("::1", 8080, "http"),)
    assert run("Listen *:81") == (V.ListenAddr(None, 81, "http"),)


def test_listen_duplicates():
    st = FakeState()
    run("Listen 8080", state=st)
    run("Listen 0.0.0.0:8080", state=st)
    assert error_of("Listen 8080", state=st) == \
        "Cannot define multiple Listeners on the same IP:port"


def test_mpm_values():
    assert run("StartServers 4") == 4
    assert run("MaxRequestWorkers 150") == 150
    assert run("AsyncRequestWorkerFactor 2.5") == 2.5
    assert run("MaxMemFree 2048") == 2048
    assert run("ListenBacklog 511") == 511
    assert run("SendBufferSize 0") == 0


def test_deprecated_aliases_note():
    st = FakeState()
    assert run("MaxClients 150", state=st) == 150
    assert st.infos == ["AH00521: MaxClients is deprecated, use MaxRequestWorkers instead."]
    st = FakeState()
    assert run("MaxRequestsPerChild 10", state=st) == 10
    assert st.infos == ["AH00545: MaxRequestsPerChild is deprecated, use MaxConnectionsPerChild instead."]
    assert st.warnings == []


def test_keepalive():
    assert run("KeepAliveTimeout 5") == 5.0
    assert run("KeepAliveTimeout 500ms") == 0.5
    assert run("KeepAliveTimeout 2mi") == 120.0
    assert run("KeepAlive Off") is False
    assert run("MaxKeepAliveRequests 0") == 0


def test_unixd():
    import pwd
    name = pwd.getpwuid(os.getuid()).pw_name if os.getuid() else "nobody"
    assert run(f"User {name}").name == name
    assert run("Group #1234") == V.Account("#1234", 1234)
    msg = error_of("User root")
    assert msg.startswith("Error:\tApache has not been designed to serve pages while\n")
    with pytest.raises(V.FatalConfigError) as info:
        run("User no-such-user-xyz")
    assert info.value.message == "AH00543: {argv0}: bad user name no-such-user-xyz"
    assert info.value.code == "AH00543"


# --- mod_log_config -------------------------------------------------------

def test_log_format_values():
    # The value keeps the text and nickname; apyche.logs.format compiles it
    # (and its tests cover every item kind).
    (f,) = run('LogFormat "%h %l %u %t \\"%r\\" %>s %b" common')
    assert (f.text, f.name) == ('%h %l %u %t "%r" %>s %b', "common")
    (f,) = run('LogFormat "%{Referer}i -> %U %!200,304{X}o %^ti"')
    assert f.name is None and f.text == "%{Referer}i -> %U %!200,304{X}o %^ti"


def test_custom_log_values():
    (c,) = run("CustomLog logs/access.log combined env=!dontlog")
    assert (c.target, c.format, c.condition_var) == ("logs/access.log", "combined", "!dontlog")
    (c,) = run('CustomLog "|/bin/cat" "%h %r" expr=%{REQUEST_STATUS}==200')
    assert c.condition_expr == "%{REQUEST_STATUS}==200"
    (c,) = run("TransferLog logs/t.log")
    assert c.format is None
    (c,) = run("GlobalLog logs/g.log common")
    assert c.inherit is True


# --- mod_alias ------------------------------------------------------------

def test_alias_values():
    assert run("Alias /icons/ /usr/share/apache2/icons/") == \
        (V.Alias("/icons/", "/usr/share/apache2/icons/"),)
    assert run("ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/")[0].handler == "cgi-script"
    assert run("AliasMatch ^/x(.*) /srv$1")[0].regex is True
    assert run("Alias /srv/data", "loc") == (V.Alias(None, "/srv/data", in_location=True),)


def test_alias_overlap_warning():
    st = FakeState()
    run("Alias /a /srv/a", state=st)
    run("Alias /a/b /srv/b", state=st)
    assert st.warnings == ["AH00671: The Alias directive in test.conf at line 2 "
                           "will probably never match because it overlaps an "
                           "earlier Alias."]


def test_redirect_values():
    assert run("Redirect /old http://x/new") == (V.Redirect(302, "/old", "http://x/new"),)
    assert run("Redirect permanent /old /new") == (V.Redirect(301, "/old", "/new"),)
    assert run("Redirect 410 /gone") == (V.Redirect(410, "/gone", None),)
    assert run("Redirect seeother /a /b")[0].status == 303
    assert run("RedirectPermanent /a http://b/")[0].status == 301
    assert run("RedirectTemp /a http://b/")[0].status == 302
    assert run("RedirectMatch 301 ^/a(.*) http://b$1")[0] == \
        V.Redirect(301, "^/a(.*)", "http://b$1", True)
    assert run("Redirect /elsewhere", "loc") == (V.Redirect(302, None, "/elsewhere"),)
    assert run("Redirect gone", "loc") == (V.Redirect(410, None, None),)


# --- mod_dir / mod_negotiation / mod_mime ----------------------------------

def test_dir_values():
    assert run("DirectoryIndex index.html index.php") == ("index.html", "index.php")
    assert run("DirectoryIndex disabled") == ()
    assert run("DirectoryIndex disabled x.html") == ("disabled", "x.html")
    assert run("DirectoryIndexRedirect on") == 302
    assert run("DirectoryIndexRedirect 301") == 301
    assert run("DirectoryIndexRedirect off") == 0
    assert run("DirectorySlash Off") is False
    assert run("FallbackResource /index.php") == "/index.php"


def test_negotiation_values():
    assert run("LanguagePriority en fr de") == ("en", "fr", "de")
    assert run("ForceLanguagePriority Prefer Fallback") == ("prefer", "fallback")
    assert run("CacheNegotiatedDocs on") is True


def test_mime_values():
    assert run("AddType Text/HTML .SHTML html") == (
        V.ExtensionMapping("type", "text/html", "shtml"),
        V.ExtensionMapping("type", "text/html", "html"))
    assert run("AddHandler cgi-script .cgi")[0].field == "handler"
    assert run("AddCharset UTF-8 .utf8")[0] == V.ExtensionMapping("charset", "utf-8", "utf8")
    assert run("AddEncoding x-gzip .gz .tgz")[1].extension == "tgz"
    assert run("AddLanguage en .en")[0].field == "language"
    assert run("AddOutputFilter INCLUDES .shtml")[0].value == "includes"
    assert run("RemoveHandler .cgi .PL") == (V.ExtensionRemoval("handler", "cgi"),
                                             V.ExtensionRemoval("handler", "pl"))
    assert run("RemoveType .x")[0] == V.ExtensionMapping("type", "", "x")
    assert run("MultiviewsMatch Handlers Filters") == ("handlers", "filters")
    assert run("DefaultLanguage fr") == "fr"
    assert run("TypesConfig /etc/mime.types") == "/etc/mime.types"
    assert run("ModMimeUsePathInfo on", "dir") is True


# --- authn / authz / access_compat -----------------------------------------

def test_require_values():
    (r,) = run("Require all granted", "dir")
    assert (r.provider, r.parsed, r.negate) == ("all", True, False)
    (r,) = run("Require ip 10.0.0.0/8 192.168.1 ::1", "dir")
    assert [s.text for s in r.parsed] == ["10.0.0.0/8", "192.168.1", "::1"]
    assert r.parsed[0].contains("10.2.3.4") and not r.parsed[0].contains("11.0.0.1")
    assert r.parsed[1].contains("192.168.1.77")
    (r,) = run("Require method GET POST", "dir")
    assert r.parsed == ("GET", "POST")
    (r,) = run('Require expr "%{REQUEST_URI} =~ m#^/x#"', "dir")
    assert r.parsed == "%{REQUEST_URI} =~ m#^/x#"
    assert run("Require user alice bob", "dir")[0].args == "alice bob"
    assert run("Require valid-user", "dir")[0].provider == "valid-user"
    assert run("Require group admins", "dir")[0].provider == "group"
    assert run("Require host example.com", "dir")[0].provider == "host"
    assert run("Require local", "dir")[0].provider == "local"


def test_require_negation_by_section():
    assert error_of("Require not ip 1.2.3.4", "dir") == \
        "negative Require directive has no effect in <RequireAny> directive"
    (r,) = run("Require not ip 1.2.3.4", "dir",
               parents=(("<RequireAll", ">"), ("<Directory", "/tmp>")))
    assert r.negate
    assert error_of("Require not ip 1.2.3.4", "dir",
                    parents=(("<RequireNone", ">"), ("<Directory", "/tmp>"))) == \
        "negative Require directive has no effect in <RequireNone> directive"


def test_require_needs_provider_module():
    st = FakeState(loaded={"core_module", "authz_core_module"})
    assert error_of("Require valid-user", "dir", st) == "Unknown Authz provider: valid-user"
    assert error_of("Require ip 1.2.3.4", "dir", st) == "Unknown Authz provider: ip"
    run("Require all denied", "dir", st)
    st.globals["authz_aliases"] = {"ldap-group-alias"}
    run("Require ldap-group-alias x", "dir", st)


def test_auth_values():
    assert run("AuthType Basic", "dir") == "Basic"
    assert run('AuthName "Members Only"', "dir") == "Members Only"
    assert run("AuthUserFile .htpasswd", "dir", FakeState("/etc/apache2")) == \
        "/etc/apache2/.htpasswd"
    assert run("AuthGroupFile /etc/groups", "dir") == "/etc/groups"
    assert run("AuthBasicProvider file", "dir") == ("file",)
    assert run("AuthBasicAuthoritative off", "dir") is False
    assert run("AuthBasicFake demo", "dir") == V.FakeBasicAuth("demo", "password")
    assert run("AuthBasicFake off", "dir") is None
    assert run("AuthMerging And", "dir") == "and"
    st = FakeState(loaded={"core_module", "auth_basic_module"})
    assert error_of("AuthBasicProvider file", "dir", st) == "Unknown Authn provider: file"


def test_access_compat_values():
    assert run("Order Deny,Allow", "dir") == "deny,allow"
    a = run("Allow from 10.0.0.0/255.0.0.0 example.com env=let_in env=!no all", "dir")
    assert [x.kind for x in a] == ["ip", "host", "env", "nenv", "all"]
    assert a[0].subnet.contains("10.1.1.1")
    assert a[2].value == "let_in" and a[3].value == "no"
    d = run("Deny from 192.168", "dir")
    assert d[0].allow is False and d[0].subnet.contains("192.168.5.5")
    assert run("Satisfy Any", "dir") == "any"


# --- mod_autoindex --------------------------------------------------------

def test_autoindex_values():
    v = run("IndexOptions FancyIndexing HTMLTable VersionSort NameWidth=* Charset=UTF-8", "dir")
    assert v.opts == (1 << 13) | (1 << 14) | (1 << 11)
    assert dict(v.settings) == {"name_adjust": True, "charset": "UTF-8"}
    v = run("IndexOptions +SuppressIcon -FoldersFirst", "dir")
    assert (v.opts, v.add, v.remove) == (0, 1 << 3, 1 << 10)
    assert dict(run("IndexOptions IconWidth=16 -IconHeight", "dir").settings) == \
        {"icon_width": 16, "icon_height": 0}
    assert run("IndexOrderDefault Descending Date", "dir") == V.SortOrder("descending", "date")
    icons = run("AddIcon (DIR,/icons/folder.gif) ^^DIRECTORY^^", "dir")
    assert icons == (V.IndexItem("path", "*^^DIRECTORY^^", "/icons/folder.gif", "/tmp/", "DIR"),)
    assert run("AddIcon /icons/dir.gif **DIRECTORY**", "dir")[0].pattern == "*^^DIRECTORY^^"
    assert run("AddIconByType /icons/text.gif text/*", "dir")[0].pattern == "text/*"
    assert run("AddIconByEncoding /icons/c.gif X-GZIP", "dir")[0].pattern == "x-gzip"
    desc = run('AddDescription "GZIP file" .gz sub/x', "dir")
    assert [d.pattern for d in desc] == [".gz", "*/sub/x*"]
    assert run("IndexIgnore .??* *~ #*#", "dir")[0].pattern == ".??*"
    assert run("HeaderName HEADER.html", "dir") == "HEADER.html"
    assert run("ReadmeName README.html", "dir") == "README.html"
    assert run("DefaultIcon /icons/unknown.gif", "dir") == "/icons/unknown.gif"
    assert run("IndexStyleSheet /s.css", "dir") == "/s.css"
    assert run("IndexHeadInsert <meta>", "dir") == "<meta>"


def test_merge_index_options():
    base = run("IndexOptions FancyIndexing FoldersFirst", "dir")
    merged = V.merge_index_options(base, run("IndexOptions -FoldersFirst +IgnoreCase", "dir"))
    assert merged.opts == (1 << 13) | (1 << 16)


# --- mod_setenvif / mod_env / mod_headers ---------------------------------

def test_setenvif_values():
    (r,) = run('SetEnvIf Request_URI "\\.gif$" image=gif !nolog other', "dir")
    assert (r.attribute, r.pattern, r.icase) == ("Request_URI", "\\.gif$", False)
    assert r.features == (("image", "gif"), ("nolog", "!"), ("other", "1"))
    (r,) = run('BrowserMatchNoCase "MSIE [2-5]" nokeepalive', "dir")
    assert (r.attribute, r.icase) == ("User-Agent", True)
    (r,) = run("SetEnvIfExpr \"-R '10.0.0.0/8'\" internal", "dir")
    assert r.expr and r.attribute is None


def test_env_values():
    assert run("SetEnv A b", "dir") == (V.EnvAction("set", "A", "b"),)
    assert run("SetEnv A", "dir") == (V.EnvAction("set", "A", ""),)
    assert run("UnsetEnv A B", "dir") == (V.EnvAction("unset", "A"), V.EnvAction("unset", "B"))
    os.environ["APYCHE_TEST_PASSENV"] = "v"
    assert run("PassEnv APYCHE_TEST_PASSENV", "dir") == (V.EnvAction("pass", "APYCHE_TEST_PASSENV", "v"),)
    st = FakeState()
    assert run("PassEnv APYCHE_NO_SUCH_VAR", "dir", st) == ()
    assert st.warnings == ["AH01506: PassEnv variable APYCHE_NO_SUCH_VAR was undefined"]
    st = FakeState()
    run("SetEnv A=b", "dir", st)
    assert st.warnings == ["AH10032: Spurious usage of '=' in an environment "
                           "variable name. 'SetEnv A b' expected instead?"]


def test_headers_values():
    (h,) = run('Header always set X-Frame-Options "DENY"', "dir")
    assert (h.condition, h.action, h.header, h.value) == ("always", "set", "X-Frame-Options", "DENY")
    (h,) = run("Header unset ETag", "dir")
    assert (h.action, h.value) == ("unset", None)
    (h,) = run("Header edit Location ^http: https:", "dir")
    assert (h.value, h.subs) == ("^http:", "https:")
    (h,) = run('Header set X "%D %t" env=foo', "dir")
    assert h.condition_var == "foo"
    (h,) = run("RequestHeader unset Proxy early", "dir")
    assert h.early and h.directive == "RequestHeader"
    (h,) = run("Header echo ^X-", "dir")
    assert h.action == "echo"


# --- mod_include / mod_cgi / mod_reqtimeout / status / watchdog ----------

def test_misc_values():
    assert run("XBitHack Full", "dir") == "full"
    assert run("SSIStartTag <!--%") == "<!--%"
    assert run("SSIErrorMsg oops", "dir") == "oops"
    assert run("SSILastModified on", "dir", override=OR_LIMIT) is True
    assert run("ScriptLog logs/cgi.log", "server", FakeState("/srv")) == "/srv/logs/cgi.log"
    assert run("ScriptLogLength 1000") == 1000
    assert run("CGIScriptTimeout 30") == 30.0
    assert run("RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500") == (
        V.ReqTimeoutStage("header", 20, 40, 500), V.ReqTimeoutStage("body", 20, 0, 500))
    assert run("RequestReadTimeout handshake=5") == (V.ReqTimeoutStage("handshake", 5, 0, 0),)
    assert run("ExtendedStatus On") is True
    assert run("SeeRequestTail off") is False
    assert run("WatchdogInterval 500ms") == 0.5
    assert run("LogIOTrackTTFB on", "dir") is True
    assert run("BufferedLogs on") is True


def test_regex_errors_use_apache_wording():
    assert error_of("AliasMatch ( /x") == "Regular expression could not be compiled."
    assert error_of("SetEnvIf Host ( x", "dir") == "SetEnvIf regex could not be compiled."
    assert error_of("Header edit X ( y", "dir") == "Header edit regex could not be compiled"


def test_helpers():
    assert V.c_atoi("  42abc") == 42 and V.c_atoi("-3") == -3 and V.c_atoi("x") == 0
    assert V.parse_timeout("5") == 5_000_000
    assert V.parse_timeout("5x") is None and V.parse_timeout("-1") is None
    assert V.parse_timeout("3h") == 3 * 3600 * 1_000_000
    assert V.parse_addr_port("8080") == (None, None, 8080)
    assert V.parse_addr_port("host:80") == ("host", None, 80)
    assert V.parse_addr_port("[fe80::1%eth0]:80") == ("fe80::1", "eth0", 80)
    with pytest.raises(V.AddrPortError):
        V.parse_addr_port(":80")
    assert V.is_url("http://x") and not V.is_url("/x") and not V.is_url(":x")
    with pytest.raises(V.SubnetError) as info:
        V.ipsubnet_create("1.2.3.4", "33")
    assert info.value.kind == "EBADMASK"
    assert V.ipsubnet_create("10.0.0.0", "255.0.0.0").contains("10.9.9.9")


# --- the scope contract: list-valued directives return tuples ------------

LIST_SAMPLES = [
    ("dir", "allow from all"), ("dir", "deny from 10.0.0.1"),
    ("server", "Alias /a /b"), ("server", "ScriptAlias /a /b"),
    ("server", "Redirect /a /b"), ("server", "AliasMatch ^/a /b"),
    ("server", "ScriptAliasMatch ^/a /b"), ("server", "RedirectMatch ^/a /b"),
    ("server", "RedirectTemp /a /b"), ("server", "RedirectPermanent /a /b"),
    ("dir", "Require all granted"), ("dir", "AddIcon /i.gif .x"),
    ("dir", "AddIconByType /i.gif text/*"), ("dir", "AddIconByEncoding /i.gif x-gzip"),
    ("dir", "AddAlt X .x"), ("dir", "AddAltByType X text/*"),
    ("dir", "AddAltByEncoding X gzip"), ("dir", "IndexIgnore .x"),
    ("dir", "AddDescription d .x"), ("server", "AcceptFilter http none"),
    ("server", 'ErrorLogFormat "%M"'), ("vhost", "ServerAlias a"),
    ("server", "Mutex default"), ("server", "CGIVar REQUEST_URI original-uri"),
    ("server", "RegisterHttpMethod FOO"), ("dir", "PassEnv PATH"),
    ("dir", "SetEnv A b"), ("dir", "UnsetEnv A"), ("dir", "Header set A b"),
    ("dir", "RequestHeader set A b"), ("server", "GlobalLog x common"),
    ("server", "LogFormat x"), ("server", "CustomLog x common"),
    ("server", "TransferLog x"), ("dir", "AddCharset utf-8 .u"),
    ("dir", "AddEncoding gzip .gz"), ("dir", "AddHandler h .h"),
    ("dir", "AddInputFilter F .f"), ("dir", "AddLanguage en .en"),
    ("dir", "AddOutputFilter F .f"), ("dir", "AddType a/b .b"),
    ("dir", "RemoveCharset .u"), ("dir", "RemoveEncoding .gz"),
    ("dir", "RemoveHandler .h"), ("dir", "RemoveInputFilter .f"),
    ("dir", "RemoveLanguage .en"), ("dir", "RemoveOutputFilter .f"),
    ("dir", "RemoveType .b"), ("server", "Listen 8123"),
    ("dir", "SetEnvIf Host x y"), ("dir", "SetEnvIfNoCase Host x y"),
    ("dir", "SetEnvIfExpr true y"), ("dir", "BrowserMatch x y"),
    ("dir", "BrowserMatchNoCase x y"), ("dir", "ErrorDocument 404 /x"),
    ("dir", "DirectoryIndex a b"), ("dir", "LanguagePriority en"),
    ("server", "Protocols http/1.1"), ("dir", "AuthBasicProvider file"),
    ("dir", "MultiviewsMatch Any"), ("dir", "ForceLanguagePriority None"),
    ("server", "LogLevel info"), ("server", "HttpProtocolOptions Strict"),
    ("server", "RequestReadTimeout header=5"),
]


@pytest.mark.parametrize("ctx,line", LIST_SAMPLES)
def test_list_valued_directives_return_tuples(ctx, line):
    assert isinstance(run(line, ctx), tuple)


def test_every_list_merge_is_sampled():
    sampled = {REGISTRY.get(line.split()[0]).key for _, line in LIST_SAMPLES}
    for d in REGISTRY:
        if d.section or d.key in ("loadfile",):
            continue
        if d.merge == "append" or d.merge is V.merge_prepend:
            assert d.key in sampled, d.name


@pytest.mark.parametrize("line,cls", [
    ("Options Indexes", V.Options), ("AllowOverride None", V.AllowOverride),
    ("FileETag MTime", V.FileETag), ("IndexOptions FancyIndexing", V.IndexOptions),
    ("IndexOrderDefault Ascending Name", V.SortOrder),
    ("AuthBasicFake u p", V.FakeBasicAuth),
])
def test_single_valued_directives_are_not_tuples(line, cls):
    assert isinstance(run(line, "dir"), cls)


def test_scope_state_spans_lines():
    # Apache (apache2 -t): the second line of one <Directory> fails.
    st = FakeState()
    scope = object()
    run("ForceLanguagePriority None", "dir", st, extra={"scope": scope})
    assert error_of("ForceLanguagePriority Prefer", "dir", st,
                    extra={"scope": scope}) == \
        "Cannot combine ForceLanguagePriority options None and Prefer"
    run("MultiviewsMatch Any", "dir", st, extra={"scope": scope})
    assert error_of("MultiviewsMatch Handlers", "dir", st,
                    extra={"scope": scope}) == \
        "Handlers is incompatible with Any and NegotiatedOnly"
    # another section starts afresh
    run("ForceLanguagePriority Prefer", "dir", st, extra={"scope": object()})
