"""Differential serving test: Debian's apache2 and apyche, same config, same tree.

Both servers are started once for the module from **the same config text**
(only ``@PORT@``/``@PORT2@`` - the Listen ports, and the log/pid file
names built from them - differ per server) over **the same document tree**,
each on free 127.0.0.1 ports: apache2 with the event MPM in the foreground,
apyche with ``python -m apyche -f CONF -d ROOT``.  The same table of
requests goes to both, one connection each, and the answers are compared:

* the status code;
* Content-Type (a multipart boundary normalised), Content-Length (with the
  port's digits discounted where the body quotes it), Location (port
  replaced), Allow (as a set: Apache's order varies per process),
  Content-Range, Accept-Ranges, Transfer-Encoding, ETag, Last-Modified and
  Vary.  ETags are compared whole: both servers stat the same files, so even
  ``FileETag All`` (inode included) must agree.

Also compared: the error-log message of a few failures, and the access-log
lines (common format, date normalised).

The table covers nested <Directory>, regex sections, <Files> inside
.htaccess, <Location> over <Directory>, Options chains, AllowOverride
classes and broken .htaccess, mod_alias redirects, DirectoryIndex and
DirectorySlash, ErrorDocument, access rules, symlink options, ranges,
conditionals, hostile paths and vhosts.  A known apyche mismatch is an
``xfail(strict=True)`` whose reason says what differs.

Skipped, with the reason, when apache2 or its modules are absent.  Every
wait is bounded; both servers are stopped by PID at the end.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.server.harness import (MODULES, ServerFailed, apache_missing,  # noqa: E402
                                  ServerProcess, free_port, load_modules, read_text, request)

MTIME = 1_600_000_000                 # 2020-09-13 12:26:40 UTC
DATA = bytes(range(256)) * 4          # 1024 bytes
NOBODY = 65534

CONFIG = f"""\
ServerRoot @ROOT@
Listen 127.0.0.1:@PORT@
Listen 127.0.0.1:@PORT2@
ServerName localhost
{load_modules()}User nobody
Group nogroup
PidFile @ROOT@/logs/httpd-@PORT@.pid
DefaultRuntimeDir @ROOT@/logs
Mutex file:@ROOT@/logs default
ErrorLog @ROOT@/logs/error-@PORT@.log
LogLevel info
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog @ROOT@/logs/access-@PORT@.log common
TypesConfig {REPO}/conf.d/mime.types
KeepAlive On
DocumentRoot @DOCROOT@

<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory @DOCROOT@>
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
    DirectoryIndex index.html index.txt
</Directory>

# --- nested <Directory>, written longest first -----------------------------
<Directory @DOCROOT@/nest/a/b>
    ForceType application/x-ab
</Directory>
<Directory @DOCROOT@/nest/a>
    ForceType application/x-a
</Directory>
<Directory @DOCROOT@/nest>
    ForceType application/x-nest
</Directory>

# --- regex sections ----------------------------------------------------------
<DirectoryMatch "^@DOCROOT@/rx/">
    ForceType application/x-regex
</DirectoryMatch>
<Directory @DOCROOT@/rx/deep>
    ForceType application/x-plain-deep
</Directory>
<Directory ~ "/tilde/">
    ForceType application/x-tilde
</Directory>
<Directory @DOCROOT@/tilde>
    ForceType application/x-plain-tilde
</Directory>
<DirectoryMatch "only\\.txt$">
    ForceType application/x-file-name
</DirectoryMatch>
<DirectoryMatch "^@DOCROOT@/rxorder/">
    ForceType application/x-more-slashes
</DirectoryMatch>
<DirectoryMatch "rxorder">
    ForceType application/x-fewer-slashes
</DirectoryMatch>
<Directory @DOCROOT@/wild*>
    ForceType application/x-wild
</Directory>

# --- <Files>, <FilesMatch>, <Location> --------------------------------------
<Files "special.txt">
    ForceType application/x-files
</Files>
<FilesMatch "\\.dat$">
    ForceType application/x-filesmatch
</FilesMatch>
<Files "hidden.txt">
    Require all denied
</Files>
<Directory @DOCROOT@/loc>
    Require all denied
</Directory>
<Location /loc/open>
    Require all granted
    ForceType application/x-location
</Location>
<LocationMatch "^/nest/a/b/lm">
    ForceType application/x-locmatch
</LocationMatch>

# --- Options chains ----------------------------------------------------------
<Directory @DOCROOT@/opt/minus>
    Options -Indexes
</Directory>
<Directory @DOCROOT@/opt/minus/plus>
    Options +Indexes
</Directory>
<Directory @DOCROOT@/opt/reset>
    Options FollowSymLinks
</Directory>
<Directory @DOCROOT@/opt/none>
    Options None
</Directory>

# --- .htaccess ---------------------------------------------------------------
<Directory @DOCROOT@/ht/none>
    AllowOverride None
</Directory>
<Directory @DOCROOT@/ht/auth>
    AllowOverride AuthConfig
</Directory>
<Directory @DOCROOT@/ht/opts>
    AllowOverride Options
</Directory>
<Directory @DOCROOT@/ht/fileinfo>
    AllowOverride FileInfo
</Directory>
<Directory @DOCROOT@/ht/limit>
    AllowOverride Limit
</Directory>
<Directory @DOCROOT@/ht/list>
    AllowOverrideList ForceType
</Directory>
<Directory @DOCROOT@/ht/broken>
    AllowOverride All
</Directory>
<Directory @DOCROOT@/ht/unclosed>
    AllowOverride All
</Directory>
<Directory @DOCROOT@/ht/notfile>
    AllowOverride All
</Directory>
<Files ".ht*">
    Require all denied
</Files>
<Directory @DOCROOT@/ht/filesin>
    AllowOverride AuthConfig
</Directory>

<Directory @DOCROOT@/ht/optlist>
    AllowOverride Options=Indexes
</Directory>
<Directory @DOCROOT@/ht/optlist-denied>
    AllowOverride Options=FollowSymLinks
</Directory>
<Directory @DOCROOT@/ht/fileinfo-options>
    AllowOverride FileInfo
</Directory>
<Directory @DOCROOT@/ht/limitin>
    AllowOverride AuthConfig Limit
</Directory>
<Directory @DOCROOT@/ht/locover>
    AllowOverride AuthConfig
</Directory>
<Location /ht/locover>
    Require all denied
</Location>
<Directory @DOCROOT@/ht/broken-ed>
    AllowOverride All
    ErrorDocument 500 "custom 500
</Directory>

<Directory @DOCROOT@/ht2>
    AllowOverride FileInfo AuthConfig
</Directory>
<Directory @DOCROOT@/ht2/sub-none>
    AllowOverride None
</Directory>
<Files "filesdir">
    Require all denied
</Files>
<FilesMatch "(?i)\\.SECRET$">
    Require all denied
</FilesMatch>
<Directory @DOCROOT@/wm/*/deep>
    ForceType application/x-wild-middle
</Directory>
<Location /loc/slash/>
    ForceType application/x-loc-slash
</Location>
<Directory @DOCROOT@/ad-empty>
    Order allow,deny
</Directory>

# --- more per-directory behaviour --------------------------------------------
<Directory @DOCROOT@/misc/pathinfo>
    AcceptPathInfo On
</Directory>
<Directory @DOCROOT@/misc/addtype>
    AddType application/x-added .txt
</Directory>
<Directory @DOCROOT@/misc/charset>
    AddDefaultCharset On
</Directory>
<Directory @DOCROOT@/misc/charset-named>
    AddDefaultCharset utf-8
</Directory>
<Directory @DOCROOT@/misc/maxranges>
    MaxRanges 1
</Directory>
<Directory @DOCROOT@/misc/maxranges-none>
    MaxRanges none
</Directory>
<Directory @DOCROOT@/misc/etag-none>
    FileETag None
</Directory>
<Directory @DOCROOT@/misc/etag-mtime>
    FileETag MTime
</Directory>
<Directory @DOCROOT@/misc/etag-all>
    FileETag All
</Directory>
<Directory @DOCROOT@/misc/etag-inode>
    FileETag INode -MTime
</Directory>
<Directory @DOCROOT@/misc/etag-size>
    FileETag Size
</Directory>
<Directory @DOCROOT@/misc/if>
    <If "%{{QUERY_STRING}} =~ /deny/">
        Require all denied
    </If>
</Directory>
<Directory @DOCROOT@/misc/method>
    Require method GET HEAD
</Directory>
<Directory @DOCROOT@/misc/local>
    Require local
</Directory>
# <Limit> registers a method Apache does not know (then 405, not 501)
<Directory @DOCROOT@/misc/registered>
    <Limit FROB>
        Require all granted
    </Limit>
</Directory>
<Directory @DOCROOT@/misc/satisfy>
    Order deny,allow
    Deny from all
    Require all granted
    Satisfy Any
</Directory>
<Directory @DOCROOT@/misc/satisfy-all>
    Order deny,allow
    Deny from all
    Require all granted
    Satisfy All
</Directory>
<Directory @DOCROOT@/misc/indexdenied>
    DirectoryIndex index.html index.txt
    <Files "index.html">
        Require all denied
    </Files>
</Directory>
<Directory @DOCROOT@/misc/indexurl>
    DirectoryIndex /page.html
</Directory>
<Directory @DOCROOT@/misc/nested-files>
    <Files "n.txt">
        ForceType application/x-nested-files
    </Files>
</Directory>
<Location /misc/locredirect>
    Redirect http://example.com/from-location
</Location>
Redirect 307 /r307 http://example.com/307
RedirectMatch "^/rm0/.*$" "http://example.com/zero$0"

# --- mod_alias -----------------------------------------------------------------
Alias /static @ROOT@/elsewhere
AliasMatch "^/img/(.*)\\.png$" "@ROOT@/elsewhere/images/$1.gif"
<Directory @ROOT@/elsewhere>
    Require all granted
</Directory>
Redirect /old http://example.com/new
Redirect permanent /perm http://example.com/p
Redirect temp /temp http://example.com/t
Redirect seeother /other http://example.com/o
Redirect gone /gone
Redirect /rel /local/target
RedirectMatch "^/rm/(.*)\\.html$" "http://example.com/rm/$1.htm"
RedirectMatch permanent "^/rmp/(.*)$" "http://example.com/rmp/$1"
RedirectMatch gone "^/rmgone"

# --- mod_dir ---------------------------------------------------------------------
<Directory @DOCROOT@/idx/order>
    DirectoryIndex second.html first.html
</Directory>
<Directory @DOCROOT@/idx/noslash>
    DirectorySlash Off
</Directory>
<Directory @DOCROOT@/idx/noindex>
    Options -Indexes
</Directory>
<Directory @DOCROOT@/fb>
    FallbackResource /fb/front.txt
</Directory>

# --- ErrorDocument ---------------------------------------------------------------
<Directory @DOCROOT@/ed/text>
    ErrorDocument 404 "Nothing here, sorry
</Directory>
<Directory @DOCROOT@/ed/local>
    ErrorDocument 404 /ed/notfound.html
</Directory>
<Directory @DOCROOT@/ed/remote>
    ErrorDocument 404 http://errors.example.com/nf
</Directory>
<Directory @DOCROOT@/ed/missing>
    ErrorDocument 404 /ed/does-not-exist.html
</Directory>
<Directory @DOCROOT@/ed/denied>
    Require all denied
    ErrorDocument 403 /ed/forbidden.html
</Directory>

# --- access ------------------------------------------------------------------------
<Directory @DOCROOT@/acc/denied>
    Require all denied
</Directory>
<Directory @DOCROOT@/acc/ip>
    Require ip 127.0.0.1
</Directory>
<Directory @DOCROOT@/acc/ipother>
    Require ip 10.0.0.0/8
</Directory>
<Directory @DOCROOT@/acc/notself>
    <RequireAll>
        Require all granted
        Require not ip 127.0.0.1
    </RequireAll>
</Directory>
<Directory @DOCROOT@/acc/notother>
    <RequireAll>
        Require all granted
        Require not ip 10.1.2.3
    </RequireAll>
</Directory>
<Directory @DOCROOT@/acc/requirenone>
    <RequireAll>
        Require all granted
        <RequireNone>
            Require ip 127.0.0.1
        </RequireNone>
    </RequireAll>
</Directory>
<Directory @DOCROOT@/acc/order-da>
    Order deny,allow
    Deny from all
    Allow from 127.0.0.1
</Directory>
<Directory @DOCROOT@/acc/order-ad>
    Order allow,deny
    Allow from all
    Deny from 127.0.0.1
</Directory>

# --- symlinks ----------------------------------------------------------------------
<Directory @DOCROOT@/sym/nofollow>
    Options -FollowSymLinks
</Directory>
<Directory @DOCROOT@/sym/owner>
    Options -FollowSymLinks +SymLinksIfOwnerMatch
</Directory>

# --- vhosts: name-based on the first port, IP-based on the second ----------------
<VirtualHost 127.0.0.1:@PORT@>
    ServerName localhost
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName other.test
    ServerAlias *.other.test
    DocumentRoot @ROOT@/vhosts/other
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName slashes.test
    AllowEncodedSlashes On
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName nodecode.test
    AllowEncodedSlashes NoDecode
</VirtualHost>
<VirtualHost *:@PORT2@>
    ServerName wild.test
    DocumentRoot @ROOT@/vhosts/wild
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT2@>
    ServerName ip.test
    DocumentRoot @ROOT@/vhosts/ip
</VirtualHost>
<Directory @ROOT@/vhosts>
    Require all granted
</Directory>
"""

TREE = {
    "index.html": "<p>root</p>\n",
    "page.html": "<p>hello</p>\n",
    "data.bin": DATA,
    "nest/f.txt": "n\n",
    "nest/a/f.txt": "a\n",
    "nest/a/b/f.txt": "ab\n",
    "nest/a/b/c/f.txt": "abc\n",
    "nest/a/b/lm.txt": "lm\n",
    "rx/f.txt": "r\n",
    "rx/deep/f.txt": "rd\n",
    "tilde/f.txt": "t\n",
    "rx2/only.txt": "only\n",
    "rxorder/f.txt": "o\n",
    "wildcard/f.txt": "w\n",
    "files/special.txt": "special\n",
    "files/x.dat": "dat\n",
    "files/hidden.txt": "hidden\n",
    "loc/open/f.txt": "open\n",
    "loc/closed/f.txt": "closed\n",
    "opt/listed/f.txt": "x\n",
    "opt/minus/f.txt": "x\n",
    "opt/minus/plus/f.txt": "x\n",
    "opt/reset/f.txt": "x\n",
    "opt/none/f.txt": "x\n",
    "ht/none/.htaccess": "This is not a directive\n<Unclosed\n",
    "ht/none/f.txt": "x\n",
    "ht/auth/.htaccess": "Options +Indexes\n",
    "ht/auth/f.txt": "x\n",
    "ht/opts/.htaccess": "Options -Indexes\n",
    "ht/opts/f.txt": "x\n",
    "ht/fileinfo/.htaccess": "ForceType application/x-from-htaccess\n",
    "ht/fileinfo/f.txt": "x\n",
    "ht/limit/.htaccess": "Require all denied\n",
    "ht/limit/f.txt": "x\n",
    "ht/list/.htaccess": "ForceType application/x-listed\n",
    "ht/list/f.txt": "x\n",
    "ht/broken/.htaccess": "# comment\nNoSuchDirective here\n",
    "ht/broken/f.txt": "x\n",
    "ht/unclosed/.htaccess": "# 1\n<Files x>\nForceType text/plain\n",
    "ht/unclosed/f.txt": "x\n",
    "ht/notfile/.htaccess/": None,
    "ht/notfile/f.txt": "x\n",
    "ht/optlist/.htaccess": "Options +Indexes\n",
    "ht/optlist/f.txt": "x\n",
    "ht/optlist-denied/.htaccess": "Options +Indexes\n",
    "ht/optlist-denied/f.txt": "x\n",
    "ht/fileinfo-options/.htaccess": "Options +Indexes\n",
    "ht/fileinfo-options/f.txt": "x\n",
    "ht/limitin/.htaccess": "<Limit POST>\n    Require all denied\n</Limit>\n",
    "ht/limitin/f.txt": "x\n",
    "ht/locover/.htaccess": "Require all granted\n",
    "ht/locover/f.txt": "x\n",
    "ht/broken-ed/.htaccess": "NoSuchDirective\n",
    "ht/broken-ed/f.txt": "x\n",
    "misc/pathinfo/p.txt": "p\n",
    "misc/addtype/f.txt": "x\n",
    "misc/charset/f.html": "<p>x</p>\n",
    "misc/charset/f.txt": "x\n",
    "misc/charset/f.bin": "x\n",
    "misc/charset-named/f.html": "<p>x</p>\n",
    "misc/maxranges/d.bin": DATA,
    "misc/maxranges-none/d.bin": DATA,
    "misc/etag-none/f.txt": "x\n",
    "misc/etag-mtime/f.txt": "x\n",
    "misc/etag-size/f.txt": "x\n",
    "misc/etag-all/f.txt": "x\n",
    "misc/etag-inode/f.txt": "x\n",
    "misc/if/f.txt": "x\n",
    "misc/method/f.txt": "x\n",
    "misc/local/f.txt": "x\n",
    "misc/registered/f.txt": "x\n",
    "misc/satisfy/f.txt": "x\n",
    "misc/satisfy-all/f.txt": "x\n",
    "misc/indexdenied/index.html": "denied index\n",
    "misc/indexdenied/index.txt": "txt index\n",
    "misc/indexurl/": None,
    "misc/nested-files/n.txt": "n\n",
    "misc/nested-files/sub/n.txt": "n\n",
    "misc/noext": "no extension\n",
    "ht2/.htaccess": "ForceType application/x-ht2\nErrorDocument 404 \"ht2 missing\n"
                     "Redirect /ht2/moved http://example.com/moved\n",
    "ht2/f.txt": "x\n",
    "ht2/sub-none/.htaccess": "ForceType application/x-never\n",
    "ht2/sub-none/f.txt": "x\n",
    "filesdir/f.txt": "x\n",
    "files/x.Secret": "s\n",
    "wm/one/deep/f.txt": "x\n",
    "wm/one/two/deep/f.txt": "x\n",
    "loc/slash/f.txt": "x\n",
    "ad-empty/f.txt": "x\n",
    "misc/empty.txt": "",
    "ht/filesin/.htaccess": '<Files "secret.txt">\n    Require all denied\n</Files>\n',
    "ht/filesin/secret.txt": "secret\n",
    "ht/filesin/public.txt": "public\n",
    "idx/txtonly/index.txt": "txt\n",
    "idx/both/index.html": "html\n",
    "idx/both/index.txt": "txt\n",
    "idx/order/first.html": "first\n",
    "idx/order/second.html": "second\n",
    "idx/noslash/index.html": "noslash\n",
    "idx/noindex/f.txt": "x\n",
    "idx/sub/index.html": "sub\n",
    "fb/front.txt": "front\n",
    "fb/real.txt": "real\n",
    "ed/notfound.html": "<p>custom not found</p>\n",
    "ed/forbidden.html": "<p>custom forbidden</p>\n",
    "ed/text/": None,
    "ed/local/": None,
    "ed/remote/": None,
    "ed/missing/": None,
    "ed/denied/f.txt": "x\n",
    "acc/denied/f.txt": "x\n",
    "acc/ip/f.txt": "x\n",
    "acc/ipother/f.txt": "x\n",
    "acc/notself/f.txt": "x\n",
    "acc/notother/f.txt": "x\n",
    "acc/requirenone/f.txt": "x\n",
    "acc/order-da/f.txt": "x\n",
    "acc/order-ad/f.txt": "x\n",
    "sym/target/t.txt": "target\n",
    "a/b.txt": "a-b\n",
    "x.txt": "x\n",
}

OUTSIDE = {
    "elsewhere/file.txt": "elsewhere\n",
    "elsewhere/images/logo.gif": b"GIF89a",
    "vhosts/other/who.txt": "other\n",
    "vhosts/other/index.html": "other index\n",
    "vhosts/wild/who.txt": "wild\n",
    "vhosts/ip/who.txt": "ip\n",
    "secret.txt": "top secret\n",
}


def _symlinks(docroot: Path) -> None:
    target = docroot / "sym" / "target"
    follow = docroot / "sym" / "follow"
    follow.mkdir(parents=True)
    os.symlink(docroot.parent / "secret.txt", follow / "outside.txt")
    os.symlink(docroot / "sym" / "nothing-here", follow / "dangling.txt")
    os.symlink("loop.txt", follow / "loop.txt")
    for sub in ("follow", "nofollow", "owner"):
        d = docroot / "sym" / sub
        d.mkdir(parents=True, exist_ok=True)
        (d / "plain.txt").write_text("plain\n")
        os.symlink(target / "t.txt", d / "link.txt")
        os.symlink(target, d / "linkdir")
    owner = docroot / "sym" / "owner"
    os.symlink(target / "t.txt", owner / "other.txt")
    os.lchown(owner / "other.txt", NOBODY, NOBODY)
    os.symlink(target, owner / "otherdir")
    os.lchown(owner / "otherdir", NOBODY, NOBODY)


def _write(base: Path, files: dict) -> None:
    for rel, content in files.items():
        p = base / rel
        if content is None:
            p.mkdir(parents=True, exist_ok=True)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


def build_tree(root: Path) -> Path:
    docroot = root / "htdocs"
    _write(docroot, TREE)
    _write(root, OUTSIDE)
    (root / "logs").mkdir()
    _symlinks(docroot)
    for p in [root, *root.rglob("*")]:
        if p.is_symlink():
            continue
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
        os.utime(p, (MTIME, MTIME))
    return docroot


# --- the request table ---------------------------------------------------------

# (id, method, target, headers, host, which port: 1 or 2)
def C(cid, target, headers=None, method="GET", host="localhost", port=1):
    return (cid, method, target, headers or {}, host, port)


ETAG_DATA = f'"{len(DATA):x}-{MTIME * 1_000_000:x}"'
LAST_MODIFIED = "Sun, 13 Sep 2020 12:26:40 GMT"

CASES = [
    # plain files
    C("root-index", "/"),
    C("page", "/page.html"),
    C("data", "/data.bin"),
    C("missing", "/no/such/file"),
    # nested <Directory>
    C("nest-top", "/nest/f.txt"),
    C("nest-a", "/nest/a/f.txt"),
    C("nest-ab", "/nest/a/b/f.txt"),
    C("nest-abc", "/nest/a/b/c/f.txt"),
    # regex sections
    C("rx-after-plain", "/rx/deep/f.txt"),
    C("rx-plain", "/rx/f.txt"),
    C("tilde-after-plain", "/tilde/f.txt"),
    C("rx-file-name", "/rx2/only.txt"),
    C("rx-order-by-slashes", "/rxorder/f.txt"),
    C("wildcard-dir", "/wildcard/f.txt"),
    # <Files>, <FilesMatch>, <Location>
    C("files", "/files/special.txt"),
    C("filesmatch", "/files/x.dat"),
    C("files-denied", "/files/hidden.txt"),
    C("location-over-directory", "/loc/open/f.txt"),
    C("location-dir-no-slash", "/loc/open"),
    C("directory-denied", "/loc/closed/f.txt"),
    C("locationmatch", "/nest/a/b/lm.txt"),
    # Options chains
    C("opt-listed", "/opt/listed/"),
    C("opt-minus", "/opt/minus/"),
    C("opt-minus-plus", "/opt/minus/plus/"),
    C("opt-reset", "/opt/reset/"),
    C("opt-none", "/opt/none/"),
    # .htaccess
    C("ht-none-never-read", "/ht/none/f.txt"),
    C("ht-forbidden-class", "/ht/auth/f.txt"),
    C("ht-options-allowed", "/ht/opts/"),
    C("ht-options-allowed-file", "/ht/opts/f.txt"),
    C("ht-fileinfo-allowed", "/ht/fileinfo/f.txt"),
    C("ht-require-needs-authconfig", "/ht/limit/f.txt"),
    C("ht-allowoverridelist", "/ht/list/f.txt"),
    C("ht-broken", "/ht/broken/f.txt"),
    C("ht-unclosed", "/ht/unclosed/f.txt"),
    C("ht-not-regular-file", "/ht/notfile/f.txt"),
    C("ht-file-itself", "/ht/list/.htaccess"),
    C("ht-files-denied", "/ht/filesin/secret.txt"),
    C("ht-files-other", "/ht/filesin/public.txt"),
    C("ht-options-list-allowed", "/ht/optlist/"),
    C("ht-options-list-denied", "/ht/optlist-denied/f.txt"),
    C("ht-options-under-fileinfo", "/ht/fileinfo-options/f.txt"),
    C("ht-limit-get", "/ht/limitin/f.txt"),
    C("ht-limit-post", "/ht/limitin/f.txt", method="POST"),
    C("ht-location-over-htaccess", "/ht/locover/f.txt"),
    C("ht-broken-errordocument", "/ht/broken-ed/f.txt"),
    # more per-directory behaviour
    C("acceptpathinfo-on", "/misc/pathinfo/p.txt/extra"),
    C("addtype", "/misc/addtype/f.txt"),
    C("charset-on-html", "/misc/charset/f.html"),
    C("charset-on-text", "/misc/charset/f.txt"),
    C("charset-on-other", "/misc/charset/f.bin"),
    C("charset-named", "/misc/charset-named/f.html"),
    C("maxranges-1-multi", "/misc/maxranges/d.bin", {"Range": "bytes=0-1,5-6"}),
    C("maxranges-1-single", "/misc/maxranges/d.bin", {"Range": "bytes=0-1"}),
    C("maxranges-none", "/misc/maxranges-none/d.bin", {"Range": "bytes=0-1"}),
    C("fileetag-none", "/misc/etag-none/f.txt"),
    C("fileetag-mtime", "/misc/etag-mtime/f.txt"),
    C("fileetag-size", "/misc/etag-size/f.txt"),
    C("fileetag-all", "/misc/etag-all/f.txt"),
    C("fileetag-inode", "/misc/etag-inode/f.txt"),
    C("if-section-false", "/misc/if/f.txt?allow"),
    C("if-section-true", "/misc/if/f.txt?deny"),
    C("require-method-get", "/misc/method/f.txt"),
    C("require-method-post", "/misc/method/f.txt", method="POST"),
    C("require-local", "/misc/local/f.txt"),
    C("satisfy-any", "/misc/satisfy/f.txt"),
    C("satisfy-all", "/misc/satisfy-all/f.txt"),
    C("index-denied-next", "/misc/indexdenied/"),
    C("index-url", "/misc/indexurl/"),
    C("nested-files", "/misc/nested-files/n.txt"),
    C("nested-files-subdir", "/misc/nested-files/sub/n.txt"),
    C("no-extension", "/misc/noext"),
    C("empty-file", "/misc/empty.txt"),
    C("empty-file-range", "/misc/empty.txt", {"Range": "bytes=0-1"}),
    C("location-redirect", "/misc/locredirect"),
    C("location-redirect-sub", "/misc/locredirect/x"),
    C("redirect-307", "/r307"),
    C("redirectmatch-dollar0", "/rm0/x"),
    # mod_alias
    C("alias", "/static/file.txt"),
    C("alias-boundary", "/staticfile.txt"),
    C("aliasmatch", "/img/logo.png"),
    C("alias-dir-slash", "/static"),
    C("alias-dir", "/static/"),
    C("redirect-escaped-rest", "/old/a%20b/c%3fd"),
    C("redirect", "/old/x/y.html?q=1"),
    C("redirect-permanent", "/perm"),
    C("redirect-temp", "/temp/z"),
    C("redirect-seeother", "/other"),
    C("redirect-gone", "/gone/x"),
    C("redirect-local-path", "/rel/x"),
    C("redirectmatch", "/rm/page.html"),
    C("redirectmatch-nomatch", "/rm/page.txt"),
    C("redirectmatch-permanent", "/rmp/a/b"),
    C("redirectmatch-gone", "/rmgone/x"),
    # mod_dir
    C("index-second-name", "/idx/txtonly/"),
    C("index-first-wins", "/idx/both/"),
    C("index-config-order", "/idx/order/"),
    C("slash-redirect", "/idx/sub"),
    C("slash-redirect-query", "/idx/sub?a=1"),
    C("slash-off", "/idx/noslash"),
    C("no-index-no-indexes", "/idx/noindex/"),
    C("fallback-missing", "/fb/no/such"),
    C("fallback-real", "/fb/real.txt"),
    # default_handler's answer per method (after mod_dir and mod_autoindex)
    C("method-put-missing", "/no/such/file", method="PUT"),
    C("method-delete-file", "/page.html", method="DELETE"),
    C("method-unknown-file", "/page.html", method="BREW"),
    C("method-unknown-missing", "/no/such/file", method="BREW"),
    C("method-registered", "/misc/registered/f.txt", method="FROB"),
    C("method-options-missing", "/no/such/file", method="OPTIONS"),
    C("method-unknown-listing", "/opt/listed/", method="BREW"),
    C("method-delete-listing", "/opt/listed/", method="DELETE"),
    C("method-options-listing", "/opt/listed/", method="OPTIONS"),
    C("method-post-listing", "/opt/listed/", method="POST"),
    C("method-post-no-index", "/idx/noindex/", method="POST"),
    C("method-post-index", "/idx/both/", method="POST"),
    C("method-options-index", "/idx/both/", method="OPTIONS"),
    C("name-too-long", "/" + "n" * 300),
    C("method-put-dir-slash", "/idx/sub", method="PUT"),
    C("method-unknown-pathinfo", "/page.html/extra", method="BREW"),
    C("method-put-fallback", "/fb/no/such", method="PUT"),
    # ErrorDocument
    C("ed-text", "/ed/text/nope"),
    C("ed-local", "/ed/local/nope"),
    C("ed-remote", "/ed/remote/nope"),
    C("ed-missing-doc", "/ed/missing/nope"),
    C("ed-local-403", "/ed/denied/f.txt"),
    # access
    C("acc-denied", "/acc/denied/f.txt"),
    C("acc-ip", "/acc/ip/f.txt"),
    C("acc-ip-other", "/acc/ipother/f.txt"),
    C("acc-not-self", "/acc/notself/f.txt"),
    C("acc-not-other", "/acc/notother/f.txt"),
    C("acc-requirenone", "/acc/requirenone/f.txt"),
    C("acc-order-deny-allow", "/acc/order-da/f.txt"),
    C("acc-order-allow-deny", "/acc/order-ad/f.txt"),
    # symlinks
    C("sym-follow", "/sym/follow/link.txt"),
    C("sym-follow-dir", "/sym/follow/linkdir/t.txt"),
    C("sym-nofollow", "/sym/nofollow/link.txt"),
    C("sym-nofollow-dir", "/sym/nofollow/linkdir/t.txt"),
    C("sym-nofollow-plain", "/sym/nofollow/plain.txt"),
    C("sym-owner-match", "/sym/owner/link.txt"),
    C("sym-owner-match-dir", "/sym/owner/linkdir/t.txt"),
    C("sym-owner-mismatch", "/sym/owner/other.txt"),
    C("sym-owner-mismatch-dir", "/sym/owner/otherdir/t.txt"),
    C("sym-outside-docroot", "/sym/follow/outside.txt"),
    C("sym-dangling", "/sym/follow/dangling.txt"),
    C("sym-loop", "/sym/follow/loop.txt"),
    C("sym-dir-no-slash", "/sym/follow/linkdir"),
    C("sym-dotdot-through-link", "/sym/follow/linkdir/../plain.txt"),
    # more sections and .htaccess
    C("ht-root-htaccess-applies", "/ht2/f.txt"),
    C("ht-sub-none-keeps-parent", "/ht2/sub-none/f.txt"),
    C("ht-errordocument", "/ht2/nope"),
    C("ht-redirect", "/ht2/moved/x"),
    C("files-matches-directory", "/filesdir/f.txt"),
    C("files-matches-directory-itself", "/filesdir/"),
    C("filesmatch-case-insensitive", "/files/x.Secret"),
    C("wildcard-middle", "/wm/one/deep/f.txt"),
    C("wildcard-middle-too-deep", "/wm/one/two/deep/f.txt"),
    C("location-trailing-slash-dir", "/loc/slash/f.txt"),
    C("location-trailing-slash-nomatch", "/loc/slash"),
    C("order-allow-deny-no-allow", "/ad-empty/f.txt"),
    C("inm-on-404", "/nope", {"If-None-Match": "*"}),
    C("ims-head", "/data.bin", {"If-Modified-Since": LAST_MODIFIED}, method="HEAD"),
    C("if-range-date", "/data.bin", {"Range": "bytes=0-1", "If-Range": LAST_MODIFIED}),
    C("if-range-old-date", "/data.bin",
      {"Range": "bytes=0-1", "If-Range": "Sat, 12 Sep 2020 12:00:00 GMT"}),
    C("redirect-temp-query", "/temp/z?a=b"),
    C("redirectmatch-query", "/rm/page.html?x=1"),
    C("aliasmatch-nomatch", "/img/logo.jpg"),
    C("vhost-host-port-mismatch", "/who.txt", host="other.test:1"),
    C("vhost-alias-exact-base", "/who.txt", host="other.test.other.test"),
    # Host names fix_hostname refuses (HttpProtocolOptions Strict, the default)
    *[C(f"host-malformed-{i}", "/page.html", host=h) for i, h in enumerate((
        "1.2.3", "01.2.3.4", "123", "x:0", "x:99999", "x:abc", "a.1", "a..b", "a b",
        "a,b", "[::1", "[fe80::1%eth0]", "a@b", "Connection: close"))],
    *[C(f"host-taken-{i}", "/page.html", host=h) for i, h in enumerate((
        "localhost.", ".localhost", "LOCALHOST", "[::1]", "256.1.1.1", "-a.com", "x_y.test"))],
    # ranges
    C("range-single", "/data.bin", {"Range": "bytes=10-19"}),
    C("range-suffix", "/data.bin", {"Range": "bytes=-5"}),
    C("range-open", "/data.bin", {"Range": "bytes=1000-"}),
    C("range-multi", "/data.bin", {"Range": "bytes=0-1,100-102"}),
    C("range-unsatisfiable", "/data.bin", {"Range": "bytes=2000-3000"}),
    C("range-if-range-match", "/data.bin", {"Range": "bytes=0-1", "If-Range": ETAG_DATA}),
    C("range-if-range-other", "/data.bin", {"Range": "bytes=0-1", "If-Range": '"x"'}),
    C("range-head", "/data.bin", {"Range": "bytes=10-19"}, method="HEAD"),
    C("range-multi-head", "/data.bin", {"Range": "bytes=0-1,100-102"}, method="HEAD"),
    # conditionals
    C("inm-match", "/data.bin", {"If-None-Match": ETAG_DATA}),
    C("inm-star", "/data.bin", {"If-None-Match": "*"}),
    C("inm-other", "/data.bin", {"If-None-Match": '"x"'}),
    C("ims-equal", "/data.bin", {"If-Modified-Since": LAST_MODIFIED}),
    C("ims-older", "/data.bin", {"If-Modified-Since": "Sat, 12 Sep 2020 12:00:00 GMT"}),
    C("im-other", "/data.bin", {"If-Match": '"x"'}),
    C("ius-older", "/data.bin", {"If-Unmodified-Since": "Sat, 12 Sep 2020 12:00:00 GMT"}),
    C("range-unsatisfiable-keepalive", "/data.bin",
      {"Range": "bytes=2000-3000", "Connection": "keep-alive"}),
    C("range-overlapping", "/data.bin", {"Range": "bytes=0-5,3-10"}),
    C("range-first-and-last", "/data.bin", {"Range": "bytes=0-0,-1"}),
    C("range-invalid-syntax", "/data.bin", {"Range": "bytes=abc"}),
    C("range-reversed", "/data.bin", {"Range": "bytes=5-2"}),
    C("range-not-bytes", "/data.bin", {"Range": "items=0-1"}),
    C("range-past-end", "/data.bin", {"Range": "bytes=1000-5000"}),
    C("inm-weak-match", "/data.bin", {"If-None-Match": "W/" + ETAG_DATA}),
    C("inm-list", "/data.bin", {"If-None-Match": '"a", ' + ETAG_DATA}),
    C("im-match", "/data.bin", {"If-Match": ETAG_DATA}),
    C("ims-future", "/data.bin", {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
    C("inm-other-ims-equal", "/data.bin",
      {"If-None-Match": '"x"', "If-Modified-Since": LAST_MODIFIED}),
    C("range-empty", "/data.bin", {"Range": "bytes="}),
    C("ims-invalid-date", "/data.bin", {"If-Modified-Since": "yesterday"}),
    C("inm-head", "/data.bin", {"If-None-Match": ETAG_DATA}, method="HEAD"),
    # methods
    C("head", "/page.html", method="HEAD"),
    C("head-index", "/", method="HEAD"),
    C("head-missing", "/nope", method="HEAD"),
    C("head-missing-keepalive", "/nope", {"Connection": "keep-alive"}, method="HEAD"),
    C("missing-keepalive", "/nope", {"Connection": "keep-alive"}),
    C("redirect-keepalive", "/perm", {"Connection": "keep-alive"}),
    C("post-static", "/page.html", method="POST"),
    C("path-info", "/page.html/extra"),
    C("file-trailing-slash", "/page.html/"),
    C("file-trailing-dot", "/page.html."),
    C("file-case", "/PAGE.HTML"),
    C("ed-text-head", "/ed/text/nope", method="HEAD"),
    C("query-on-file", "/page.html?a=b"),
    C("options", "/page.html", method="OPTIONS"),
    C("delete", "/page.html", method="DELETE"),
    # hostile paths
    C("dotdot", "/../secret.txt"),
    C("dotdot-inner", "/a/../../secret.txt"),
    C("dotdot-encoded", "/%2e%2e/secret.txt"),
    C("dotdot-half-encoded", "/.%2e/secret.txt"),
    C("dotdot-inside", "/a/%2e%2e/x.txt"),
    C("dot-segment", "/a/./b.txt"),
    C("double-slash", "/a//b.txt"),
    C("unreserved-escape", "/%61/b.txt"),
    C("encoded-slash-off", "/a%2fb.txt"),
    C("encoded-slash-dotdot", "/..%2f..%2fsecret.txt"),
    C("encoded-slash-on", "/a%2fb.txt", host="slashes.test"),
    C("encoded-slash-nodecode", "/a%2fb.txt", host="nodecode.test"),
    C("nul", "/a%00.txt"),
    C("bad-escape", "/%zz"),
    C("double-escape", "/%%32%65%%32%65/secret.txt"),
    # vhosts
    C("vhost-name", "/who.txt", host="other.test"),
    C("vhost-alias-wildcard", "/who.txt", host="www.other.test"),
    C("vhost-default", "/who.txt", host="unknown.test"),
    C("vhost-default-index", "/", host="unknown.test"),
    C("vhost-host-trailing-dot", "/who.txt", host="other.test."),
    C("vhost-host-upper", "/who.txt", host="OTHER.TEST"),
    C("vhost-absolute-uri", "http://other.test/who.txt", host="localhost"),
    C("vhost-ip-over-wildcard", "/who.txt", host="wild.test", port=2),
    C("vhost-ip-by-port", "/who.txt", host="other.test", port=2),
]

# Known apyche mismatches (exact answers in the reasons).  A case whose
# status differs is listed in both tables.
XFAIL_STATUS = {
}

XFAIL_HEADERS = {
    **XFAIL_STATUS,
}


def _params(xfails):
    out = []
    for case in CASES:
        marks = []
        if case[0] in xfails:
            marks.append(pytest.mark.xfail(strict=True, reason="apyche: " + xfails[case[0]]))
        out.append(pytest.param(case, id=case[0], marks=marks))
    return out


# --- the servers ------------------------------------------------------------------


def _skip_reason() -> str | None:
    missing = apache_missing(f"mod_{m}.so" for m in MODULES)
    if missing:
        return missing
    if os.geteuid() != 0:
        return "the symlink cases need root (os.lchown) and apache2 must switch to nobody"
    return None


class Pair:
    def __init__(self, root: Path, docroot: Path, apache: ServerProcess,
                 apyche: ServerProcess) -> None:
        self.root, self.docroot = root, docroot
        self.answers: dict = {}
        self.servers = {"apache": apache, "apyche": apyche}
        self.ports = {"apache": (apache.port, apache.port2),
                      "apyche": (apyche.port, apyche.port2)}

    def error_log(self, kind: str) -> str:
        return read_text(self.root / "logs" / f"error-{self.servers[kind].port}.log")


def _start(kind: str, root: Path, docroot: Path, used: set) -> ServerProcess:
    ports = []
    while len(ports) < 2:
        p = free_port()
        if p not in used:
            used.add(p)
            ports.append(p)
    text = (CONFIG.replace("@PORT2@", str(ports[1])).replace("@PORT@", str(ports[0]))
            .replace("@DOCROOT@", str(docroot)).replace("@ROOT@", str(root)))
    conf = root / f"{kind}.conf"
    conf.write_text(text)
    return ServerProcess(conf, root, ports[0], kind, port2=ports[1]).start()


@pytest.fixture(scope="module")
def pair():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="apyche-servediff-"))
    started: list[ServerProcess] = []
    try:
        docroot = build_tree(root)
        used: set = set()
        try:
            started.append(_start("apache", root, docroot, used))
        except ServerFailed as exc:
            pytest.skip(f"apache2 could not serve the test config: {exc}")
        started.append(_start("apyche", root, docroot, used))
        yield Pair(root, docroot, *started)
    finally:
        for server in started:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- comparison -------------------------------------------------------------------

KEY_HEADERS = ["Content-Type", "Content-Length", "Transfer-Encoding", "Location", "Allow",
               "Content-Range", "Accept-Ranges", "ETag", "Last-Modified", "Vary"]


def _ask(pair: Pair, kind: str, case):
    _cid, method, target, headers, host, which = case
    port = pair.ports[kind][which - 1]
    if host == "localhost":
        host = f"localhost:{port}"
    return request(port, method, target, headers, host=host), pair.ports[kind]


def summary(resp, ports, ranges: str | None = None) -> dict:
    """The compared fields, with this server's port numbers normalised.
    *ranges*: the request's Range header (a HEAD's multipart answer has no
    body to count its boundaries in: one per range and a closing one)."""
    def norm(text):
        if text is None:
            return None
        for i, p in enumerate(ports):
            text = text.replace(str(p), f"PORT{i + 1}")
        return text
    out = {"status": resp.status}
    for name in KEY_HEADERS:
        value = resp.get(name)
        if value is None:
            out[name] = None
        elif name == "Content-Type":
            out[name] = re.sub(r"boundary=\S+", "boundary=B", value)
        elif name == "Content-Length":
            # Discount the port's digits where the body quotes it (redirect
            # pages), and a multipart boundary (Apache's is the request time
            # and the child's PID in hex: its length varies).
            n = int(value)
            for i, p in enumerate(ports):
                n -= resp.body.count(str(p).encode()) * (len(str(p)) - len(f"PORT{i + 1}"))
            m = re.search(r"boundary=(\S+)", resp.get("Content-Type") or "")
            if m and resp.body:
                n -= resp.body.count(m.group(1).encode()) * len(m.group(1))
            elif m and ranges:
                n -= (ranges.count(",") + 2) * len(m.group(1))
            out[name] = n
        elif name == "Allow":
            out[name] = sorted(value.split(","))
        else:
            out[name] = norm(value)
    return out


def answers(pair: Pair, case):
    """Both servers' answers to *case* (asked once per module)."""
    cid = case[0]
    if cid not in pair.answers:
        a_resp, a_ports = _ask(pair, "apache", case)
        y_resp, y_ports = _ask(pair, "apyche", case)
        ranges = case[3].get("Range")
        pair.answers[cid] = (a_resp, summary(a_resp, a_ports, ranges), y_resp,
                             summary(y_resp, y_ports, ranges))
    return pair.answers[cid]


@pytest.mark.parametrize("case", _params(XFAIL_STATUS))
def test_same_status(pair, case):
    a_resp, _a, y_resp, _y = answers(pair, case)
    assert y_resp.status == a_resp.status, \
        f"{case[1]} {case[2]} host={case[4]}: apache {a_resp.status}, apyche {y_resp.status}"


@pytest.mark.parametrize("case", _params(XFAIL_HEADERS))
def test_same_headers(pair, case):
    _ar, a, _yr, y = answers(pair, case)
    assert y == a, f"{case[1]} {case[2]} host={case[4]}\napache: {a}\napyche: {y}"


ERROR_LOG_CASES = [
    ("/ht/auth/f.txt", "/ht/auth/.htaccess: Options not allowed here"),
    ("/ht/broken/f.txt", "/ht/broken/.htaccess: Invalid command 'NoSuchDirective', perhaps "
                         "misspelled or defined by a module not included in the server "
                         "configuration"),
    ("/ht/unclosed/f.txt", "/ht/unclosed/.htaccess:2: <Files> was not closed."),
    ("/sym/nofollow/link.txt", "AH00037: Symbolic link not allowed or link target not "
                               "accessible: @DOCROOT@/sym/nofollow/link.txt"),
    ("/acc/denied/f.txt", "AH01630: client denied by server configuration: "
                          "@DOCROOT@/acc/denied/f.txt"),
    ("/acc/order-ad/f.txt", "AH01797: client denied by server configuration: "
                            "@DOCROOT@/acc/order-ad/f.txt"),
    ("/idx/noindex/", "AH01276: Cannot serve directory @DOCROOT@/idx/noindex/"),
    ("/no/such/file", "AH00128: File does not exist: @DOCROOT@/no/such/file"),
    ("/a%2fb.txt", "AH00026: found %2f (encoded '/') in URI path"),
    ("BREW /page.html", "AH00135: Invalid method in request BREW /page.html HTTP/1.1"),
    ("POST /idx/noindex/", "AH00129: Attempt to serve directory: @DOCROOT@/idx/noindex/"),
    ("/" + "m" * 300, "AH00036: access to /" + "m" * 300 + " failed"),
]


def _log_line(pair: Pair, kind: str, needle: str) -> str | None:
    for line in pair.error_log(kind).splitlines():
        if needle in line:
            # Drop the date and the pid/tid; keep [module:level], the client
            # address without its port, and the message.
            line = re.sub(r"^\[[^\]]+\] ", "", line)
            line = re.sub(r"\[pid \d+(:tid \d+)?\] ", "", line)
            return re.sub(r"(\[client 127\.0\.0\.1):\d+\]", r"\1]", line)
    return None


@pytest.mark.parametrize("target,needle", ERROR_LOG_CASES, ids=[c[0] for c in ERROR_LOG_CASES])
def test_same_error_log_line(pair, target, needle):
    """The same error-log line (module, level, client, message).
    *target* may start with a method ("BREW /page.html"); GET otherwise."""
    from tests.server.harness import wait_for
    method, _, path = target.rpartition(" ")
    needle = needle.replace("@DOCROOT@", str(pair.docroot))
    if needle.startswith("/"):
        needle = str(pair.docroot) + needle
    lines = {}
    for kind in ("apache", "apyche"):
        request(pair.ports[kind][0], method or "GET", path, host="localhost")
        lines[kind] = wait_for(lambda: _log_line(pair, kind, needle), timeout=5.0)
        assert lines[kind], f"{kind} error log lacks {needle!r}:\n{pair.error_log(kind)[-2000:]}"
    assert lines["apyche"] == lines["apache"]


ACCESS_REQUESTS = [
    ("GET", "/page.html?x=1", {}),
    ("HEAD", "/page.html", {}),
    ("GET", "/data.bin", {"Range": "bytes=10-19"}),
    ("GET", "/data.bin", {"If-None-Match": ETAG_DATA}),
    ("GET", "/no/such/file", {}),
    ("GET", "/perm", {}),
    ("GET", "/acc/denied/f.txt", {}),
]


def test_same_access_log_lines(pair):
    """The common-format lines, with the date (and the port) normalised."""
    from tests.server.harness import wait_for
    got = {}
    for kind in ("apache", "apyche"):
        path = pair.root / "logs" / f"access-{pair.servers[kind].port}.log"
        before = len(read_text(path).splitlines())
        for method, target, headers in ACCESS_REQUESTS:
            request(pair.ports[kind][0], method, target, headers, host="localhost")
        want = before + len(ACCESS_REQUESTS)
        lines = wait_for(lambda: len(read_text(path).splitlines()) >= want
                         and read_text(path).splitlines(), timeout=5.0)
        assert lines, f"{kind} access log has fewer than {want} lines"
        got[kind] = [re.sub(r"\[[^\]]+\]", "[DATE]", ln) for ln in lines[before:want]]
    # one connection per request, so possibly one worker each: lines from
    # different workers need not come in request order (Apache's children
    # do not promise it either; apyche's per-iteration batches widen the
    # window), so compare them as a multiset
    assert sorted(got["apyche"]) == sorted(got["apache"])


KEEPALIVE_SEQUENCES = {
    "http11": [("GET", "/page.html", {}, "1.1"), ("GET", "/no/such", {}, "1.1"),
               ("GET", "/perm", {}, "1.1"), ("HEAD", "/data.bin", {}, "1.1"),
               ("GET", "/data.bin", {"Range": "bytes=0-1,5-6"}, "1.1"),
               ("GET", "/acc/denied/f.txt", {}, "1.1"),
               ("GET", "/page.html", {"Connection": "close"}, "1.1")],
    "http10": [("GET", "/page.html", {"Connection": "keep-alive"}, "1.0"),
               ("GET", "/no/such", {"Connection": "keep-alive"}, "1.0"),
               ("GET", "/page.html", {}, "1.0")],
}


@pytest.mark.parametrize("name", sorted(KEEPALIVE_SEQUENCES))
def test_same_keepalive_behaviour(pair, name):
    """Several requests on one connection: status, Connection and Keep-Alive
    of each answer, and whether the server then closes."""
    from tests.server.harness import Conn
    got = {}
    for kind in ("apache", "apyche"):
        seen = []
        with Conn(pair.ports[kind][0]) as c:
            for method, target, headers, version in KEEPALIVE_SEQUENCES[name]:
                r = c.request(method, target, headers, host="localhost", version=version)
                seen.append((r.status, r.get("Connection"), r.get("Keep-Alive")))
            seen.append(("closed", c.closed_by_server(timeout=3.0)))
        got[kind] = seen
    assert got["apyche"] == got["apache"]
