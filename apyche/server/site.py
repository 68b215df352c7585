"""One configuration, serving: the request pipeline.

``Site.handle`` takes a parsed request from the protocol layer and returns
the response, in the order of Apache's ``ap_process_request_internal`` and
handler phase:

1. choose the server (vhost) from the connection address and Host;
2. check and decode the URL (``ap_normalize_path``/``ap_unescape_url``);
3. translate it: mod_alias redirects and aliases, else DocumentRoot;
4. the walks (apyche.tree): directory + .htaccess, regex, files, location;
   symlink checks per component as the merged Options require;
5. access control (Order/Allow/Deny, Require, Basic auth: ``gate.py``);
6. <If> sections;
7. the handler: mod_dir (DirectorySlash, DirectoryIndex, FallbackResource)
   and the default handler for files;
8. headers (mod_headers), error documents, the access log.

Everything that does not depend on the request was computed when the
config loaded (``ServerSettings``, the resolver's views); the per-request
work is lookups in caches, a stat or two, and the answer.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from dataclasses import dataclass, field
from typing import Any

from .. import SERVER_VERSION
from ..config.directives.sections import known_methods
from ..config.model import ServerConfig
from ..config.words import getword
from ..expr import holds
from ..http.request import ClientDisconnected, request_size
from ..http.response import FileBody, HttpError, Response
from ..http.ticks import loop_tick
from ..logs.errorlog import ERROR, INFO, ErrorLogHandler
from ..logs.format import LogRecord
from ..semantics import errorpages
from ..semantics.dates import format_http_date
from ..semantics.etag import make_etag
from ..semantics.mimetypes import load_mime_types
from ..semantics.static import StaticDecision, decide
from ..semantics.uri import UriError, map_request_target, split_request_target
from ..tree.walk import FOLLOW, OWNER_MATCH, Resolver
from .headers import (apply_response_headers, env_fixups, request_header_fixups,
                      setenvif_env, setenvif_rules)
from . import hostlookup, handlers
from .access import client_independent
from .gate import Gate, NeedLookup
from .listing import DirectoryLister
from .negotiator import Negotiator
from .logs import ServerLogs
from .dirplan import REDIRECT_DIRECTIVES, DirPlans
from .replay import BODY_MAX, ReplayState, StaticEntry, StaticReplay
from .mapping import AliasTable, Mapped, Redirected, alias_table
from ..tree.merge import merge

OPT_INDEXES = 1


@dataclass
class ServerSettings:
    """Per-server values the pipeline reads on every request."""

    docroot: str
    aliases: Any
    server_name: str
    port: int
    admin: str
    allow_encoded_slashes: str
    merge_slashes: bool
    tokens: str
    # (KeepAlive On and KeepAliveTimeout > 0, KeepAliveTimeout,
    # MaxKeepAliveRequests) of a virtual host that sets its own; None: the
    # main server's, which the connection policy holds
    keepalive: tuple[bool, float, int] | None = None


@dataclass
class Exchange:
    """One request's state as it goes through the pipeline."""

    request: Any
    view: Any = None
    settings: ServerSettings | None = None
    uri: str = "/"
    query: str | None = None
    filename: str | None = None
    handler: str | None = None
    config: Any = None
    env: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    status: int = 200
    user: str | None = None
    content_type: str | None = None
    redirected_from: int | None = None
    # An ErrorDocument's internal redirect: the first request's URI, and the
    # status the ErrorDocument's own request ended with when it failed
    # (%<U and %>s read them; the page sent keeps the first status).
    original_uri: str | None = None
    final_status: int | None = None
    # Request fields an ap_expr read (<If>, Require expr, SetEnvIfExpr,
    # expr=): Apache adds them to the answer's Vary.
    vary: list[str] = field(default_factory=list)
    start_us: int = 0
    # A head refused before Apache read Host (ap_update_vhost_from_headers
    # never ran): r->hostname is only an absolute-form target's host.
    no_hostname: bool = False
    # The answer comes from the handler phase (status still 200 when Apache
    # would read the request body): see Site._body_pending.
    in_handler: bool = False
    # False once the answer depended on more than the URL and the files
    # (content negotiation on Accept*, an internal redirect...): the fast
    # path must not replay it.
    replayable: bool = True
    # When the answer also depended on request headers but only on them
    # and on these files - a negotiated choice: (path, signature or None)
    # of the files it read - a repeat of the same request *bytes* may
    # still be replayed (http/replay.py), revalidating them.
    byte_probes: tuple | None = None
    allow_lookups: bool = True
    remote_host: str | None = None     # %h / REMOTE_HOST when looked up
    # What %b counts beyond the bytes sent: the page of an error another
    # took over from while it was sent (Apache counts both pages).
    unsent_bytes: int = 0

    def shallow_copy(self) -> "Exchange":
        """A copy sharing this one's values (copy.copy without its generic
        reduce protocol: several microseconds on a fast-path request)."""
        ex = object.__new__(Exchange)
        ex.__dict__.update(self.__dict__)
        return ex


def _server_banner(tokens: str) -> str:
    """``ap_get_server_banner`` per ServerTokens."""
    name, version = SERVER_VERSION.split("/")
    major, minor, _patch = version.split(".")
    tokens = (tokens or "Full").lower()
    if tokens in ("prod", "productonly"):
        return name
    if tokens == "major":
        return f"{name}/{major}"
    if tokens == "minor":
        return f"{name}/{major}.{minor}"
    if tokens in ("min", "minimal"):
        return SERVER_VERSION
    return f"{SERVER_VERSION} (Unix)"


class Site:
    """The request pipeline for one ``ServerConfig`` (one per worker)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.resolver = Resolver(config)
        self.views = self.resolver.views
        self.settings = [self._settings(v) for v in self.views]
        # each server's own SetEnvIf rules and their ids (_server_setenvif)
        self._server_env_rules = {
            v.index: (rules, frozenset(map(id, rules)))
            for v in self.views for rules in (setenvif_rules(v),)}
        self.types = self._mime_types(config)
        self.logs = ServerLogs(config, self.views)
        self.banner = _server_banner(config.main.get("ServerTokens") or "Full")
        self.plans = DirPlans(self.types)
        # Requests answered but not yet logged (the protocol reports each
        # exactly once through log_access).
        self._inflight: dict[int, Exchange] = {}
        self._fast: dict[tuple, StaticEntry] = {}
        self._seen_once: dict[tuple, bool] = {}
        self._replay_state = ReplayState()
        self.hosts = hostlookup.HostResolver()
        self.gate = Gate(self, self.hosts)
        self.lister = DirectoryLister(self)
        self.negotiator = Negotiator(
            self, enabled=config.self_contained or config.has_module("negotiation_module"))
        # Modules that act on a directory without any directive of theirs:
        # without mod_dir no DirectorySlash redirect and no index; without
        # mod_autoindex no listing and no 403 - the default handler's 404.
        self.dir_module = config.self_contained or config.has_module("dir_module")
        self.autoindex_module = config.self_contained or config.has_module("autoindex_module")
        self.known_methods = known_methods(config)
        # make_allow for the default handler: TRACE while TraceEnable is on
        trace = str(config.main.get("TraceEnable") or "on").lower() != "off"
        self.allow = "OPTIONS,HEAD,GET,POST" + (",TRACE" if trace else "")

    def bind_loop(self, loop) -> None:
        """The event loop this site answers on (in a worker, after fork):
        replay validation ticks and access-log batches follow it, and what
        the protocol layer logs goes to the main server's ErrorLog."""
        self._replay_state.tick = loop_tick(loop)
        self.logs.sinks.bind_loop(loop)
        ErrorLogHandler(self.logs.error[0]).install("apyche.http")

    # -- the fast path -----------------------------------------------------------
    # A plain GET/HEAD of a static file, asked again, is answered from what
    # the full pipeline decided the first time - as long as the inputs it
    # depended on still hold: the file's identity (inode, size, mtime) and
    # every .htaccess probed on the way (stat() each).  Only requests whose
    # answer depends on nothing else are remembered: no Range or
    # conditional headers, no symlink checks, no <If>, no per-request
    # environment or header rewriting, access rules that are not per client.
    # Such an answer cannot depend on the query string either, so an entry
    # is keyed by the path (_fast_target) and made on the path's second
    # request (a URL asked once is not worth one).
    def _fast_path(self, request) -> Response | None:
        if request.method not in _FAST_METHODS:
            return None
        host = _fast_host(request)
        if host is _VALIDATED:
            return None
        entry = self._fast.get((request.server, host, _fast_target(request)))
        if entry is None:
            return None
        first = entry.exchange
        if request.target != first.request.target:
            # the same path with another query string: the same answer,
            # logged with this request's own line and query
            return self._fast_variant(request, entry, first)
        body = _entry_body(entry, request.method)
        if body is None:
            return None
        response = Response(200, entry.headers, body)   # a tuple: its head is rendered once
        if entry.signature[1] <= BODY_MAX:
            hook = response.replay = entry.hook_for(self, request, response)
            if hook.shared:
                return response     # log_access logs it through the hook alone
        self._inflight[id(request)] = entry.exchange
        return response

    def _fast_variant(self, request, entry: StaticEntry, first: Exchange) -> Response | None:
        """A fast-path answer for a request whose query string differs from
        the one the entry was made for (a static file's answer does not
        depend on it: _remember_fast admits no answer that could)."""
        body = _entry_body(entry, request.method)
        if body is None:
            return None
        ex = first.shallow_copy()
        ex.request = request
        ex.query = request.query
        ex.start_us = int(request.start_time * 1e6) or time.time_ns() // 1000
        self._inflight[id(request)] = ex
        return Response(200, entry.headers, body)

    def _remember_fast(self, ex: Exchange, response: Response) -> None:
        req = ex.request
        bytes_only = not ex.replayable and ex.byte_probes is not None
        if (response.status != 200 or req.method not in _FAST_METHODS
                or not (ex.replayable or bytes_only)
                or ex.filename is None or ex.config is None or ex.redirected_from is not None):
            return
        host = _fast_host(req)
        if host is _VALIDATED:
            return
        key = (req.server, host, _fast_target(req))
        if key not in self._fast:
            # Remembered from its second request on: building an entry
            # costs about a third of a request, and many URLs (a query
            # string that changes every time) are asked only once.
            seen = self._seen_once
            if key not in seen:
                if len(seen) > 8192:
                    seen.clear()
                seen[key] = True
                return
            del seen[key]
        cfg = ex.config
        if ex.settings.keepalive is not None:
            return      # answers carry their server's keep-alive values (finish)
        if cfg.ifs or _per_request(cfg) or not client_independent(self.gate.authz_for(cfg)) \
                or cfg.get("allow") or cfg.get("deny"):
            return
        directory = ex.filename[:ex.filename.rfind("/") + 1]
        walk = self.resolver.directory_walk(ex.view, directory)
        plan = self.plans.plan_for(cfg)
        if walk.symlink_checks or plan.final_symlinks != FOLLOW:
            return
        if not isinstance(response.body, FileBody) and req.method != "HEAD":
            return   # only a file's own bytes are replayed (not listings, pages)
        try:
            st = os.stat(ex.filename)
        except OSError:
            return
        if not stat.S_ISREG(st.st_mode):
            return
        if st.st_mtime_ns // 1000 > ex.start_us - 2_000_000:
            return   # a weak ETag / Last-Modified that still depends on "now"
        headers = tuple((k, v) for k, v in response.headers)
        entry = StaticEntry(
            ex.filename, (st.st_ino, st.st_size, st.st_mtime_ns),
            tuple(walk.htaccess_probes) + (ex.byte_probes or ()),
            headers, plan.sender, ex, self._replay_state)
        if not bytes_only:
            # the URL alone decides: parsed requests for it may use it too
            if len(self._fast) > 8192:
                for old in self._fast.values():
                    old.release()
                self._fast.clear()
            old = self._fast.get(key)
            if old is not None:
                old.release()
            self._fast[key] = entry
        if st.st_size <= BODY_MAX:
            response.replay = StaticReplay(entry, self, req, response)

    # -- config-load work ---------------------------------------------------
    def _settings(self, view) -> ServerSettings:
        main = self.config.main
        vscope = view.vhost.scope if view.vhost is not None else None

        def first(name, default=None):
            for scope in ([vscope] if vscope else []) + [main]:
                found = scope.all(name)
                if found:
                    return getword(found[-1].args)[0]
            return default

        docroot = first("DocumentRoot", "/var/www/html")
        if not docroot.startswith("/"):
            docroot = os.path.join(self.config.server_root, docroot)
        docroot = os.path.normpath(docroot)
        # r->server->port (0 meaning ap_default_port's 80): a ServerName's
        # port, 0 for a ServerName without one; a <VirtualHost> without a
        # ServerName has its first address's port (ap_parse_vhost_addrs),
        # else the main server's (asked of Apache 2.4.71: %p, Location,
        # the signature)
        main_name = main.get("ServerName")
        port = getattr(main_name, "port", 0) or 80
        if vscope is not None:
            vhost_name = vscope.get("ServerName")
            if vhost_name is not None:
                port = getattr(vhost_name, "port", 0) or 80
            elif view.vhost.addresses and view.vhost.addresses[0].port:
                port = view.vhost.addresses[0].port
        aliases = alias_table(main.settings, vscope.settings if vscope else ())
        return ServerSettings(
            docroot=docroot.rstrip("/"), aliases=aliases, server_name=view.name,
            port=port, admin=first("ServerAdmin", "[no address given]"),
            allow_encoded_slashes=(first("AllowEncodedSlashes", "off") or "off").lower(),
            merge_slashes=(first("MergeSlashes", "on") or "on").lower() != "off",
            tokens=first("ServerTokens", "Full"), keepalive=self._keepalive(vscope))

    def _keepalive(self, vscope) -> tuple[bool, float, int] | None:
        """A virtual host's keep-alive values, when they differ from the
        main server's (Apache reads r->server's for every answer)."""
        main = self.config.main

        def values(scopes):
            out = []
            for name, default in (("KeepAlive", True), ("KeepAliveTimeout", 5.0),
                                  ("MaxKeepAliveRequests", 100)):
                found = next((v for v in (sc.get(name) for sc in scopes) if v is not None),
                             default)
                out.append(found)
            return bool(out[0]), float(out[1]), int(out[2])

        if vscope is None:
            return None
        own, base = values((vscope, main)), values((main,))
        if own == base:
            return None
        return own[0] and own[1] > 0, own[1], own[2]

    @staticmethod
    def _mime_types(config: ServerConfig) -> dict[str, str]:
        found = config.main.all("TypesConfig")
        path = getword(found[-1].args)[0] if found else "mime.types"
        if not path.startswith("/"):
            path = os.path.join(config.server_root, path)
        try:
            return load_mime_types(path)
        except OSError:
            from ..resources import data_dir
            return load_mime_types(str(data_dir("conf.d") / "mime.types"))

    # -- the pipeline --------------------------------------------------------
    def handle(self, request):
        """The response - or, when an answer needs a DNS lookup that is not
        cached yet (HostnameLookups, host-based access rules), a coroutine
        that waits for it off the event loop and then answers."""
        response = self._fast_path(request)
        if response is None:
            try:
                response = self._handle(request)
            except NeedLookup as need:
                return self._handle_after_lookup(request, need)
        if request.has_body:
            return self._with_body(request, response)
        return response

    async def _handle_after_lookup(self, request, need: NeedLookup):
        for _ in range(4):   # each lookup warms the cache; bounded
            await need.wait(self.hosts)
            try:
                response = self._handle(request)
                break
            except NeedLookup as again:
                need = again
        else:
            response = self._handle(request, allow_lookups=False)
        if request.has_body:
            response = self._with_body(request, response)
            if not isinstance(response, Response):
                response = await response
        return response

    # -- the request body -------------------------------------------------------
    # No handler here uses a request body, and Apache reads it (to throw it
    # away) before it answers - the default handler first thing, ap_die
    # before an error page.  A body that never arrives whole (the client's
    # EOF, a bad chunk, Timeout) turns the answer into that error: 400,
    # 413 or 408.  The one exception is a client waiting for "100
    # Continue" when an error was decided before the handler phase (access,
    # a redirect, a bad URI): Apache sends no 100, reads nothing and closes
    # after the answer.
    def _with_body(self, request, response: Response):
        """The answer once the request body is read and thrown away: the
        answer itself, the error that replaced it, or a coroutine when the
        body is still to come.

        The directory's LimitRequestBody applies here (the protocol checked
        only the main server's): a declared length over it is refused at
        once, without reading (ap_http_filter, AH01588), and the page goes
        out close-delimited as Apache's does.  A chunked body over it is
        not refused: Apache 2.4's default handler, throwing it away,
        answers as if it fitted."""
        limit = self._body_limit(request)
        declared = (request.get("Content-Length")
                    if limit and "Transfer-Encoding" not in request else None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            ex = self._inflight.get(id(request))
            if ex is not None and ex.request is request:
                self.log_error(ex, INFO, "http", f"AH01588: Requested content-length of "
                               f"{int(declared)} is larger than the configured limit of {limit}")
            _close_file_body(response)
            refused = self._body_failed(request, response, 413)
            refused.headers = [(k, v) for k, v in refused.headers if k != "Content-Length"]
            if isinstance(refused.body, bytes) and refused.body:
                refused.body = _once(refused.body)
            return refused
        if self._body_pending(request, response):
            return self._answer_after_body(request, response)
        return response

    def _body_limit(self, request) -> int:
        """LimitRequestBody where the request was answered (0: none, or
        the request never reached a directory: the protocol's check of the
        main server's value is all there is)."""
        ex = self._inflight.get(id(request))
        if ex is None or ex.request is not request or ex.config is None:
            return 0
        value = ex.config.get("LimitRequestBody")
        return int(value) if value is not None else DEFAULT_LIMIT_REQUEST_BODY

    def _body_pending(self, request, response: Response) -> bool:
        reader = request._body
        if reader is None:
            return False
        if request.expect_100 and not reader.read_started:
            ex = self._inflight.get(id(request))
            if ex is not None and ex.request is request and not ex.in_handler:
                return False
        if reader.complete:
            # all of it came with the head, but Apache reads it still: a
            # client waiting for "100 Continue" gets it first
            reader.start()
            return False
        return True

    async def _answer_after_body(self, request, response: Response) -> Response:
        try:
            async for _ in request.stream():
                pass
            return response
        except HttpError as exc:
            status = exc.status
        except ClientDisconnected:
            status = 400
        await _release_body(response)
        return self._body_failed(request, response, status)

    def _body_failed(self, request, response: Response, status: int) -> Response:
        """The error that replaces *response* when its request's body
        failed (400, 408, 413)."""
        ex = self._inflight.get(id(request))
        if ex is None or ex.request is not request:   # a fast-path answer's shared one
            ex = Exchange(request, start_us=int(getattr(request, "start_time", 0) * 1e6)
                          or time.time_ns() // 1000)
        self._inflight[id(request)] = ex
        if response.status >= 400 and not ex.in_handler:
            # the body failed while ap_die answered an error found before
            # the handler: Apache's page for the second notes the first,
            # and its log counts the first page's bytes too
            if isinstance(response.body, bytes):
                ex.unsent_bytes += len(response.body)
            return self.canned(ex, status, [], recursive=response.status)
        return self.error_response(ex, status)

    def _handle(self, request, allow_lookups: bool = True) -> Response:
        ex = Exchange(request, start_us=int(getattr(request, "start_time", 0) * 1e6)
                      or time.time_ns() // 1000)
        ex.allow_lookups = allow_lookups
        try:
            response = self._process(ex)
            self._remember_fast(ex, response)
        except NeedLookup:
            raise
        except Exception as exc:  # a bug must cost one 500, not the worker
            self.log_error(ex, ERROR, "core", f"apyche internal error: {exc!r}", code=None)
            response = self.error_response(ex, 500)
        self._inflight[id(request)] = ex
        return response

    def _process(self, ex: Exchange) -> Response:
        req = ex.request
        local = req.server or ("127.0.0.1", 0)
        # An absolute-form target names the host itself (ap_parse_uri sets
        # r->hostname from it, ahead of the Host header).
        host = getattr(req, "host_from_target", None) or req.get("Host")
        view = self.resolver.select_server(local[0], local[1], host)
        ex.view = view
        ex.config = view.base   # r->per_dir_config until the walks: lookup_defaults
        ex.settings = srv = self.settings[view.index]
        try:
            path = map_request_target(req.target, allow_encoded_slashes=srv.allow_encoded_slashes,
                                      merge_slashes=srv.merge_slashes, method=req.method)
        except UriError as err:
            if err.uri is not None:
                ex.uri = err.uri
            if err.log:
                self.log_error(ex, INFO, "core", err.log)
            return self.error_response(ex, err.status)
        ex.uri = path.fs_path
        ex.query = path.query
        server_rules = self._server_setenvif(view)[0]
        if server_rules:
            # post_read_request: the server's SetEnvIf rules, before the
            # walks (whose errors are logged with them)
            setenvif_env(ex, server_rules, self.expr_context)
        if ex.uri == "*":
            # "OPTIONS *" (the only method map_request_target lets through
            # with it): http_core's map_to_storage hook answers the server's
            # pong - no file, no access check, no Allow, no Header.  core's
            # translate_name still named a file (mod_alias declines "*"): %f
            ex.config = None
            ex.filename = srv.docroot + "/*"
            return self.finish(ex, Response(200, [("Content-Length", "0")]))
        mapped = _translate(srv, ex.uri, ex.query)
        if isinstance(mapped, Redirected):
            # translate_name runs after Apache's first location walk: the
            # URI's <Location> (and <If>) settings apply to the redirect
            cfg = self.resolver.location_walk(view, view.base, ex.uri)
            ex.config = self._if_walk(ex, cfg) if cfg.ifs else cfg
            return self.redirect(ex, mapped.status, mapped.location)
        ex.filename = mapped.filename
        ex.handler = mapped.handler
        return self.serve_path(ex)

    def serve_path(self, ex: Exchange) -> Response:
        """Walks, access, handler for ``ex.filename`` / ``ex.uri``."""
        view = ex.view
        filename = ex.filename
        st, path_info = self._stat_path(filename)
        if st is _NO_SEARCH:
            self.log_error(ex, ERROR, "core", f"AH00035: access to {ex.uri} denied "
                           f"(filesystem path '{filename}') because search permissions "
                           "are missing on a component of the path")
            return self.error_response(ex, 403)
        if isinstance(st, OSError):
            self.log_error(ex, ERROR, "core", f"AH00036: access to {ex.uri} failed "
                           f"(filesystem path '{filename}')", errnum=st.errno)
            return self.error_response(ex, 403)
        if path_info:
            # A file with more path after it: the walks and the handler see
            # the file; the rest is PATH_INFO (AcceptPathInfo decides).
            filename = ex.filename = filename[:len(filename) - len(path_info)]
            ex.notes["path_info"] = path_info
        is_dir = st is not None and stat.S_ISDIR(st.st_mode)
        if is_dir and ex.handler is None:
            ex.handler = _DIR_MAGIC_TYPE     # r->handler of a directory (%R)
        directory = filename if is_dir else filename[:filename.rfind("/") + 1]
        if is_dir and not directory.endswith("/"):
            directory += "/"
        walk = self.resolver.directory_walk(view, directory)
        if walk.error is not None:
            err = walk.error
            # r->filename is the directory being walked when it fails (%f)
            ex.filename = err.path[:err.path.rfind("/") + 1]
            if err.lines:
                for level, errnum, text in err.lines:
                    self.log_error(ex, _LEVELS[level], "core", text, errnum=errnum)
            else:
                self.log_error(ex, 1, "core", err.message)
            return self.error_response(ex, err.status, notes=err.notes)
        denied = self._check_symlinks(ex, walk, filename if not is_dir else None)
        if denied is not None:
            return denied
        cfg = self.resolver.regex_walk(view, walk, filename) if view.dir_regex else walk.config
        if not is_dir:
            cfg = self.resolver.file_walk(cfg, filename.rsplit("/", 1)[-1])
        cfg = self.resolver.location_walk(view, cfg, ex.uri)
        if cfg.ifs:
            cfg = self._if_walk(ex, cfg)
        ex.config = cfg
        if view.named_captures:
            ex.env.update(self.resolver.captures(view, filename, ex.uri))
        plan = self.plans.plan_for(cfg)
        self.gate.remote_host_for_log(ex, cfg)
        if plan.has_env_rules:
            # header_parser: the sections' rules (the server's ran already)
            rules = plan.section_env_rules(self._server_setenvif(ex.view)[1])
            if rules:
                setenvif_env(ex, rules, self.expr_context)
        refused = self.gate.check(ex, cfg)
        if refused is not None:
            return refused
        if plan.has_redirects:
            # mod_alias's fixup runs before mod_env's (asked of Apache
            # 2.4.71: a <Directory> Redirect's log line has no SetEnv)
            redirect = self._dir_redirect(ex, cfg)
            if redirect is not None:
                return redirect
        if plan.has_env_fixups:
            env_fixups(ex, cfg)
        if plan.has_request_headers and not (is_dir and self._slash_redirect(ex, cfg)):
            # (mod_dir's fixup, which redirects to the slash, runs first)
            request_header_fixups(ex, cfg, self.expr_context)
        ex.in_handler = True
        if plan.set_handler is not None or plan.add_handler:
            name = plan.handler_of(filename)
            if name:
                ex.handler = name                   # SetHandler/AddHandler (%R)
            named = handlers.find(name)             # server-status & co.
            if named is not None and (answer := named(self, ex)) is not None:
                return answer
        if st is None:
            return self._not_found(ex, cfg)
        if stat.S_ISLNK(st.st_mode):
            # A dangling or looping link (FollowSymLinks skips the lstat):
            # resolve_symlink's stat fails, as in Apache.
            self.log_error(ex, ERROR, "core", "AH00037: Symbolic link not allowed or link "
                           f"target not accessible: {filename}")
            return self.error_response(ex, 403)
        if path_info and not plan.accept_path_info:
            if ex.request.method not in _GET_POST:
                return self._other_method(ex)
            self.log_error(ex, INFO, "core", f"AH00130: File does not exist: {filename}")
            return self.error_response(ex, 404)
        if is_dir:
            return self._directory(ex, cfg, filename)
        return self._file(ex, cfg, plan, filename, st)

    def _if_walk(self, ex: Exchange, cfg):
        """``ap_if_walk``: each <If>/<ElseIf>/<Else> chain, in order; the
        first true branch of a chain is merged (its own nested <If>s too)."""
        ex.replayable = False
        ctx = self.expr_context(ex)
        merged = cfg
        taken = False
        for sec in cfg.ifs:
            if sec.kind == "if":
                taken = False
            if taken:
                continue
            cond = sec.condition
            truth = True if sec.kind == "else" else holds(cond, ctx)
            if truth:
                taken = True
                merged = merge(merged, self.resolver._scope_of(sec))
        return merged

    def expr_context(self, ex: Exchange):
        """What an ap_expr condition (<If>, Require expr) reads of the request."""
        from ..expr.context import Headers, SimpleContext
        req = ex.request
        client = req.client or ("", 0)
        return SimpleContext(
            method=req.method, uri=ex.uri, filename=ex.filename, query=ex.query,
            protocol=f"HTTP/{req.http_version}", the_request=req.request_line,
            remote_ip=client[0], remote_port=client[1],
            request_headers=Headers(req.headers), env=ex.env, vary=ex.vary,
            vars={"SERVER_NAME": ex.settings.server_name if ex.settings else "",
                  "DOCUMENT_ROOT": ex.settings.docroot if ex.settings else "",
                  "REQUEST_FILENAME": ex.filename or ""})

    def _dir_redirect(self, ex: Exchange, cfg) -> Response | None:
        """mod_alias ``fixup_redir``: Redirect* set in <Directory>, <Location>
        or .htaccess, nearest section first (``merge_alias_dir_config``)."""
        for scope in reversed(cfg.scopes):
            if scope.path is None:
                continue   # server level: translate_name already ran them
            for setting in scope.settings:
                if setting.name not in REDIRECT_DIRECTIVES:
                    continue
                values = setting.value if isinstance(setting.value, tuple) else (setting.value,)
                for r in values:
                    if getattr(r, "fake", None) is None:
                        return self.redirect(ex, r.status, r.url)
                    hit = AliasTable._match_redirect(r, ex.uri, ex.query)
                    if hit is not None:
                        return self.redirect(ex, hit.status, hit.location)
        return None

    # -- filesystem --------------------------------------------------------------
    @staticmethod
    def _stat_path(filename: str):
        """stat(), splitting off path info when a leading part is a file.

        A symlink whose target is missing (or loops) is returned as its own
        lstat result: the symlink check then refuses it (Apache's 403).  Any
        other failure than a missing file (a name too long, an I/O error)
        is returned as the OSError: the directory walk refuses it.
        """
        try:
            return os.stat(filename), ""
        except FileNotFoundError:
            try:
                lst = os.lstat(filename)
                if stat.S_ISLNK(lst.st_mode):
                    return lst, ""
            except OSError:
                pass
        except PermissionError:
            return _NO_SEARCH, ""
        except NotADirectoryError:
            head = filename
            while "/" in head:
                head = head[:head.rfind("/")]
                try:
                    st = os.stat(head)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    return st, filename[len(head):]
                return None, ""
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                try:
                    return os.lstat(filename), ""
                except OSError:
                    pass
            elif exc.errno != errno.ENOENT:
                return exc, ""
        return None, ""

    def _check_symlinks(self, ex: Exchange, walk, final: str | None) -> Response | None:
        """``resolve_symlink`` for each component whose Options need it."""
        checks = list(walk.symlink_checks)
        if final is not None:
            policy = self.plans.plan_for(walk.config).final_symlinks
            if policy != FOLLOW:
                checks.append((final, policy))
        for path, policy in checks:
            if not ex.filename.startswith(path):
                continue
            try:
                lst = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISLNK(lst.st_mode):
                continue
            ok = False
            if policy == OWNER_MATCH:
                try:
                    ok = os.stat(path).st_uid == lst.st_uid
                except OSError:
                    ok = False
            if not ok:
                self.log_error(ex, ERROR, "core", "AH00037: Symbolic link not allowed or "
                               f"link target not accessible: {path}")
                return self.error_response(ex, 403)
        return None

    # -- handlers --------------------------------------------------------------------
    def _directory(self, ex: Exchange, cfg, dirname: str) -> Response:
        """A directory: mod_dir (DirectorySlash, then DirectoryIndex - for
        every method in Apache 2.4: an OPTIONS answers with the index's
        type), mod_autoindex (GET only: the listing, or 403 without Options
        Indexes), else the default handler (404, or its answer to the
        method)."""
        method = ex.request.method
        tried = None
        if self.dir_module:
            if not ex.uri.endswith("/"):
                if self._slash_redirect(ex, cfg):    # (not with DirectorySlash Off)
                    location = self._self_url(ex, _escape_path(ex.uri) + "/")
                    if ex.query is not None:
                        location += "?" + ex.query
                    return self.redirect(ex, 301, location)
            else:
                indexed = self._directory_index(ex, cfg, dirname)
                if isinstance(indexed, Response):
                    return indexed
                tried = indexed
        base = dirname if dirname.endswith("/") else dirname + "/"
        if self.autoindex_module and method in _FAST_METHODS:
            if getattr(cfg.get("Options"), "opts", 0) & OPT_INDEXES:
                return self.lister.answer(ex, cfg, base)
            self.log_error(ex, ERROR, "autoindex", f"AH01276: Cannot serve directory {dirname}: "
                           f"No matching DirectoryIndex ({tried or 'none'}) found, and "
                           "server-generated directory index forbidden by Options directive")
            return self.error_response(ex, 403)
        if method not in _GET_POST:
            return self._other_method(ex, directory=True)
        self.log_error(ex, INFO, "core", f"AH00129: Attempt to serve directory: {dirname}")
        return self.error_response(ex, 404)

    def _slash_redirect(self, ex: Exchange, cfg) -> bool:
        """Whether mod_dir answers a directory with DirectorySlash's 301."""
        return (self.dir_module and not ex.uri.endswith("/")
                and cfg.get("DirectorySlash") is not False)

    def _directory_index(self, ex: Exchange, cfg, dirname: str) -> Response | str:
        """mod_dir's DirectoryIndex: the first listed name that is a regular
        file a sub-request may see, served; else the names tried, joined
        as mod_dir notes them for mod_autoindex's log line."""
        base = dirname if dirname.endswith("/") else dirname + "/"
        indexes = cfg.get("DirectoryIndex") or ()
        indexes = getattr(indexes, "names", indexes)
        if isinstance(indexes, str):
            indexes = (indexes,)
        for name in indexes:
            if name.lower() == "disabled":
                break
            if name.startswith("/"):
                # A URL: the sub-request maps it like any request.
                srv = ex.settings
                target = _translate(srv, name, None)
                if isinstance(target, Mapped) and os.path.isfile(target.filename):
                    ex.uri, ex.filename = name, target.filename
                    return self.serve_path(ex)
                continue
            candidate = base + name
            try:
                st = os.stat(candidate)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and self.subrequest_ok(ex, cfg, candidate,
                                                                 ex.uri + name):
                ex.filename = candidate
                ex.uri = ex.uri + name
                return self.serve_path(ex)
        return ",".join(indexes) or "none"

    def _other_method(self, ex: Exchange, directory: bool = False) -> Response:
        """default_handler's answer to a method other than GET (HEAD) and
        POST: OPTIONS lists the allowed methods, a method Apache does not
        know is 501, any other is 405.  OPTIONS answers with the type
        mod_mime gave the resource (a directory's is mod_dir's magic type;
        a missing file's comes from its name)."""
        req = ex.request
        allow = self.allow
        if req.method == "OPTIONS":
            ctype = _DIR_MAGIC_TYPE if directory else self.content_type(ex.config, ex.filename)
            headers = [("Allow", allow), ("Content-Length", "0")]
            if ctype:
                headers.append(("Content-Type", ctype))
            return self.finish(ex, Response(200, headers))
        if req.method not in self.known_methods:
            self.log_error(ex, ERROR, "core", f"AH00135: Invalid method in request "
                           f"{req.request_line}")
            return self.error_response(ex, 501, allow=allow)
        return self.error_response(ex, 405, allow=allow)

    def subrequest_ok(self, ex: Exchange, dir_cfg, filename: str, uri: str) -> bool:
        """Would a sub-request for *filename* pass the access checks?  (mod_dir
        and mod_autoindex skip members a sub-request is refused.)"""
        cfg = self.resolver.file_walk(dir_cfg, filename.rsplit("/", 1)[-1])
        cfg = self.resolver.location_walk(ex.view, cfg, uri)
        return self.gate.allows_subrequest(ex, cfg)

    def _not_found(self, ex: Exchange, cfg) -> Response:
        negotiated = self.negotiator.multiviews(ex, cfg, ex.filename)
        if negotiated is not None:
            return negotiated
        fallback = cfg.get("FallbackResource")
        if fallback and fallback != "disabled" and ex.redirected_from is None:
            ex.redirected_from = 404
            target = fallback if fallback.startswith("/") else "/" + fallback
            srv = ex.settings
            mapped = _translate(srv, target, None)
            if isinstance(mapped, Mapped):
                ex.uri, ex.filename = target, mapped.filename
                return self.serve_path(ex)
        if ex.request.method not in _GET_POST:
            return self._other_method(ex)
        self.log_error(ex, INFO, "core", f"AH00128: File does not exist: {ex.filename}")
        return self.error_response(ex, 404)

    def _file(self, ex: Exchange, cfg, plan, filename: str, st) -> Response:
        """The default handler for a regular file: GET/HEAD (and POST, which
        Apache 2.4 answers like GET) with validators, conditionals and
        ranges; other methods as ``_other_method``."""
        req = ex.request
        method = req.method
        if not stat.S_ISREG(st.st_mode):
            self.log_error(ex, ERROR, "core", f"AH00038: Forbidden: {filename} doesn't "
                           "point to a file or directory")
            return self.error_response(ex, 403)
        if self.negotiator.enabled and plan.handler_of(filename) == "type-map":
            return self.negotiator.type_map(ex, cfg, filename)
        if method not in _GET_POST:
            return self._other_method(ex)
        try:
            fd = os.open(filename, os.O_RDONLY)
        except PermissionError:
            self.log_error(ex, ERROR, "core", f"(13)Permission denied: AH00132: file "
                           f"permissions deny server access: {filename}")
            return self.error_response(ex, 403)
        except OSError:
            return self._not_found(ex, cfg)
        # The walk's stat() describes the file, as r->finfo does in Apache
        # (no fstat: a file replaced in between is a race Apache has too,
        # and a file cut short while sent is the sender's to handle).
        ctype, mime_extras, _ = plan.mime(filename)
        mtime_us = st.st_mtime_ns // 1000
        etag = make_etag(size=st.st_size, mtime_us=mtime_us, request_time_us=ex.start_us,
                         inode=st.st_ino, bits=plan.etag_bits)
        last_modified = min(mtime_us, ex.start_us) // 1_000_000
        headers = [("Last-Modified", format_http_date(last_modified))]
        if etag:
            headers.append(("ETag", etag))
        ranges_header = plan.ranges_header
        if _fast_host(req) is _VALIDATED:
            decision = decide(_Headers(req), method=method, length=st.st_size, etag=etag,
                              last_modified=last_modified,
                              request_time=ex.start_us // 1_000_000,
                              max_ranges=plan.max_ranges, max_overlaps=plan.max_overlaps,
                              max_reversals=plan.max_reversals)
        else:
            decision = _WHOLE    # nothing to decide: no validator, no Range
        status = decision.status
        if status in (304, 412):
            os.close(fd)
            headers.append(("Accept-Ranges", ranges_header))
            if status == 412:
                headers.append(("Content-Length", "0"))
                if ctype:
                    headers.append(("Content-Type", ctype))
            return self.finish(ex, Response(status, headers))
        if status == 416:
            os.close(fd)
            return self.error_response(ex, 416)
        headers.append(("Accept-Ranges", ranges_header))
        sender = plan.sender
        if status == 206 and len(decision.plan.parts) == 1:
            start, end = decision.plan.parts[0]
            headers.append(("Content-Range", f"bytes {start}-{end}/{st.st_size}"))
            headers.append(("Content-Length", str(end - start + 1)))
            if ctype:
                headers.append(("Content-Type", ctype))
            headers += mime_extras
            body = b"" if method == "HEAD" else FileBody(fd, start, end - start + 1,
                                                        sender=sender, close_fd=True)
        elif status == 206:
            from ..semantics.ranges import multipart_framing
            framing = multipart_framing(decision.plan.parts, st.st_size, ctype or "text/plain")
            headers.append(("Content-Type", framing.content_type))
            if framing.apache_sends_content_length:
                headers.append(("Content-Length", str(framing.content_length)))
            headers += mime_extras
            body = b"" if method == "HEAD" else _MultipartBody(fd, framing)
        else:
            headers.append(("Content-Length", str(st.st_size)))
            if ctype:
                headers.append(("Content-Type", ctype))
            headers += mime_extras
            body = b"" if method == "HEAD" else FileBody(fd, 0, st.st_size, sender=sender,
                                                        close_fd=True)
        if method == "HEAD":
            os.close(fd)
        ex.content_type = ctype
        return self.finish(ex, Response(status, headers, body))

    def content_type(self, cfg, filename: str) -> str | None:
        """The Content-Type mod_mime gives *filename* under *cfg* (ForceType
        and AddDefaultCharset applied)."""
        return self.plans.plan_for(cfg).mime(filename)[0]

    def extension_map(self, cfg) -> dict:
        """mod_mime's extension map as merged for *cfg* (AddType, AddCharset,
        AddLanguage, AddEncoding, AddHandler, RemoveType)."""
        return self.plans.plan_for(cfg).ext_map

    # -- responses -------------------------------------------------------------------
    def server_name_port(self, ex: Exchange) -> tuple[str, int]:
        """ap_get_server_name and ap_get_server_port, which self-referential
        URLs and the signature use.  UseCanonicalName Off (the default):
        the host the client asked for; DNS: the local address's name; On:
        ServerName.  The port: On, the server's; else the one the client
        gave with the host, or the server's (UseCanonicalPhysicalPort
        Off)."""
        req = ex.request
        srv = ex.settings
        mode = str((ex.config.get("UseCanonicalName") if ex.config is not None else None)
                   or "off").lower()
        if mode == "on":
            return srv.server_name, srv.port
        if mode == "dns":
            local = req.server or ("127.0.0.1", 80)
            name = self.hosts.cached_reverse(local[0])
            name = name if isinstance(name, str) else local[0]
        else:
            name = _canonical_name(req, ex) or srv.server_name
        given = None
        if not ex.no_hostname:
            given = _host_port(getattr(req, "host_from_target", None) or req.get("Host"))
        return name, given or srv.port

    def _self_url(self, ex: Exchange, path: str) -> str:
        """``ap_construct_url``: scheme://host[:port]path, the port left out
        when it is 80."""
        name, port = self.server_name_port(ex)
        if ":" in name and not name.startswith("["):
            name = f"[{name}]"      # an IPv6 literal (ap_get_server_name_for_url)
        return f"http://{name}{path}" if port == 80 else f"http://{name}:{port}{path}"

    def redirect(self, ex: Exchange, status: int, location: str | None) -> Response:
        if location is not None and not _is_absolute(location):
            location = self._self_url(ex, location)
        return self.error_response(ex, status, location=location)

    def error_response(self, ex: Exchange, status: int, *, location: str | None = None,
                       allow: str | None = None,
                       www_authenticate: str | None = None,
                       notes: str | None = None) -> Response:
        """Apache's error page, or the configured ErrorDocument."""
        req = ex.request
        headers: list[tuple[str, str]] = []
        if location is not None:
            headers.append(("Location", location))
        if allow is not None:
            headers.append(("Allow", allow))
        if www_authenticate is not None:
            headers.append(("WWW-Authenticate", www_authenticate))
        cfg = ex.config
        doc = None
        if cfg is not None and ex.redirected_from is None:
            doc = _error_document(cfg, status)
        if doc is not None:
            kind, value = doc
            if kind == "message":
                body = value.encode("utf-8", "surrogateescape")
                headers.append(("Content-Type", "text/html; charset=iso-8859-1"))
                if req.method == "HEAD":
                    return self.finish(ex, Response(status, headers), error_page=True)
                headers.append(("Content-Length", str(len(body))))
                return self.finish(ex, Response(status, headers, body), error_page=True)
            if kind == "remote":
                return self.canned(ex, 302, [("Location", value)])
            if kind == "local":
                ex.redirected_from = status
                env_uri = ex.uri or ""
                ex.env["REDIRECT_STATUS"] = str(status)
                ex.env["REDIRECT_URL"] = env_uri
                target = value.split("?", 1)[0]
                srv = ex.settings
                mapped = _translate(srv, target, None)
                if isinstance(mapped, Mapped):
                    ex.original_uri = ex.uri
                    ex.uri, ex.filename = target, mapped.filename
                    inner = self.serve_path(ex)
                    if inner.status == 200:
                        inner.status = status
                        return inner
                    # ap_die_r: the redirect's request inherited the first
                    # status, and that is the "recursive" one its page
                    # names; the log's %>s is the redirect's own
                    ex.final_status = inner.status
                    return self.canned(ex, status, headers, recursive=status)
        return self.canned(ex, status, headers, notes=notes)

    def canned(self, ex: Exchange, status: int, headers, recursive: int | None = None,
                variant_list: str | None = None, notes: str | None = None) -> Response:
        """Apache's built-in page for *status* (with ServerSignature), as
        ``ap_send_error_response`` renders it."""
        req = ex.request
        srv = ex.settings
        sig_mode = "off"
        if ex.config is not None:
            sig_mode = ex.config.get("ServerSignature") or "off"
        elif ex.view is not None:
            sig_mode = ex.view.get("ServerSignature") or "off"
        sig = ""
        if srv is not None and sig_mode != "off":
            name, port = self.server_name_port(ex)
            sig = errorpages.signature(sig_mode, banner=self.banner, server_name=name,
                                       port=port, server_admin=srv.admin)
        location = next((v for k, v in headers if k == "Location"), None)
        if req.method == "HEAD":
            # Apache builds no error body for HEAD, so no Content-Length.
            headers.append(("Content-Type", "text/html; charset=iso-8859-1"))
            return self.finish(ex, Response(status, headers), error_page=True)
        page = errorpages.error_page(status, signature_html=sig, recursive_error=recursive,
                                     method=req.method, location=location,
                                     server_admin=srv.admin if srv else "[no address given]",
                                     expect=req.get("Expect"), variant_list=variant_list,
                                     error_notes=notes)
        if page is None:
            return self.finish(ex, Response(status, headers), error_page=True)
        body = page.encode("latin-1", "replace")
        if status == 416:
            # The byte-range filter's error page goes out without a length
            # (chunked on a persistent connection, else until close).
            headers.append(("Content-Type", "text/html; charset=iso-8859-1"))
            return self.finish(ex, Response(status, headers, _once(body)), error_page=True)
        headers.append(("Content-Length", str(len(body))))
        headers.append(("Content-Type", "text/html; charset=iso-8859-1"))
        return self.finish(ex, Response(status, headers, body), error_page=True)

    def trace_check(self, request) -> list[tuple[str, str]] | None:
        """The core answers TRACE before any directory is known
        (ap_send_http_trace): None when the request's server has
        TraceEnable Off, else the fields its echo also carries (the Vary of
        the server's SetEnvIfExpr rules).  Its exchange is kept for the
        access log."""
        ex = self._core_exchange(request)
        self._inflight[id(request)] = ex
        if str(ex.view.get("TraceEnable") or "on").lower() == "off":
            return None
        return [("Vary", ",".join(ex.vary))] if ex.vary else []

    def _view_of(self, request):
        local = request.server or ("127.0.0.1", 0)
        host = getattr(request, "host_from_target", None) or request.get("Host")
        try:
            return self.resolver.select_server(local[0], local[1], host)
        except Exception:   # a Host the protocol let through but no vhost takes
            return self.views[0]

    def _core_exchange(self, request) -> Exchange:
        """The exchange of a TRACE, which the core answers at
        map_to_storage: its server, and the environment post_read_request
        gave it (the server's SetEnvIf rules), for the access log."""
        ex = Exchange(request)
        ex.view = view = self._view_of(request)
        ex.settings = srv = self.settings[view.index]
        ex.uri = request.path
        mapped = _translate(srv, ex.uri, None)
        if isinstance(mapped, Mapped):
            ex.filename = mapped.filename      # translate_name ran (%f)
        setenvif_env(ex, self._server_setenvif(view)[0], self.expr_context)
        return ex

    def _server_setenvif(self, view) -> tuple[tuple, frozenset]:
        """A server's own SetEnvIf rules (post_read_request's), and their
        ids (which header_parser skips in a merged section config): found
        at config load (``_server_env_rules``)."""
        return self._server_env_rules[view.index]

    def protocol_error(self, status: int, request=None) -> Response:
        """The page for an error the protocol layer found (400, 408, 413,
        414, 417...) before any directory was walked: ap_die with the
        server's own settings (r->per_dir_config is its lookup_defaults),
        so its ErrorDocument and "Header always" apply."""
        if request is not None and request.method == "TRACE":
            # answered at map_to_storage, with the server's settings
            ex = self._core_exchange(request)
            ex.config = ex.view.base
        else:
            ex = Exchange(request if request is not None else _NoRequest(),
                          start_us=int(getattr(request, "start_time", 0) * 1e6)
                          or time.time_ns() // 1000)
            view = self._error_server(request, status)
            ex.no_hostname = status != 417
            ex.view = view
            ex.settings = self.settings[view.index]
            ex.config = view.base
        if request is not None:
            self._inflight[id(request)] = ex
        error = getattr(request, "error", None)
        if error is None and status == 405 and request is not None \
                and request.method == "TRACE":
            # TRACE refused by TraceEnable Off: make_allow() lists nothing
            # for a request no handler saw
            return self.canned(ex, status, [("Allow", "")])
        if error is not None and error.replaced is not None:
            # a second error while ap_die answered the first: no
            # ErrorDocument for a recursive error
            ex.unsent_bytes = len(self.canned(ex, error.replaced, []).body)
            return self.canned(ex, status, [], recursive=error.replaced,
                               notes=error.note if error.shown else None)
        if request is not None:
            # r->uri as ap_parse_uri left it (%U): unset for a refused line
            ex.uri = _raw_path(request) if status != 414 and request.target else None
            ex.query = request.query if ex.uri is not None else None
        return self.error_response(ex, status,
                                   notes=error.note if error is not None and error.shown else None)

    def _error_server(self, request, status: int):
        """Whose settings answer a protocol error: the connection's default
        server (c->base_server) for a fault in the request line or head,
        which ap_read_request finds before it reads Host; the Host's server
        for a 417, found after (checked against apache2)."""
        local = getattr(request, "server", None)
        if not local:
            return self.views[0]
        host = request.get("Host") if status == 417 else None
        return self.resolver.select_server(local[0], local[1], host)

    def finish(self, ex: Exchange, response: Response, error_page: bool = False) -> Response:
        """Every answer's last step: mod_headers' Header directives
        (*error_page*: an error page or redirect, which only "Header
        always" edits)."""
        ex.status = response.status
        if ex.vary and not error_page:
            response.headers = _with_vary(response.headers, ex.vary)
        if ex.config is not None and "Header" in ex.config:
            response.headers = apply_response_headers(ex, ex.config, response.headers,
                                                      error_page, self.expr_context)
        for name, value in response.headers:
            if name == "Content-Type":
                ex.content_type = value   # r->content_type, as sent (%{Content-Type}o)
        if ex.settings is not None:
            response.keepalive = ex.settings.keepalive
        return response

    # -- logging ---------------------------------------------------------------------
    def log_error(self, ex: Exchange, level: int, module: str, message: str,
                  code=None, errnum: int | None = None) -> None:
        req = ex.request
        client = req.client if req.client else None
        try:
            self.error_log(ex).log(level, module, message, client=client, status=errnum or None)
        except Exception:   # a log failure must not fail the request
            pass

    def error_log(self, ex: Exchange):
        """The ErrorLog of the request's server."""
        return self.logs.error[ex.view.index if ex.view is not None else 0]

    def log_access(self, request, response, bytes_sent: int, duration: float) -> None:
        if request is None:
            # A connection that never made a request (408 on a stalled
            # request line, 400 on garbage): Apache logs it with "-" fields.
            request = _NoRequest()
        ex = self._inflight.pop(id(request), None)
        if ex is None and getattr(request, "method", None) == "TRACE" \
                and not isinstance(request, _NoRequest):
            ex = self._core_exchange(request)    # the core's echo
        hook = response.replay
        if hook is not None and hook.shared:
            # a fast-path answer whose line differs from its kind's first
            # only in what varies per request (StaticEntry.hook_for)
            hook.served(request.client,
                        int(request.start_time * 1e6) or time.time_ns() // 1000, bytes_sent,
                        request.keepalives, request.connection_kept,
                        request_size(request, response.status), request.bytes_out)
            return
        logs = self.access_logs_for(ex)
        if not logs:
            return
        end_us = time.time_ns() // 1000
        # the request's own start (a fast-path answer shares its exchange
        # with the first request for the same URL)
        start = getattr(request, "start_time", 0)
        start_us = (int(start * 1e6) if start else
                    ex.start_us if ex else end_us - int(duration * 1e6))
        if ex is not None and ex.unsent_bytes:
            bytes_sent += ex.unsent_bytes
        record = self.log_record(request, ex, response, bytes_sent, start_us,
                                 request.client, end_us)
        for log, _inherit in logs:
            log.log(record)

    def access_logs_for(self, ex: Exchange | None) -> list:
        """The (AccessLog, inherited) pairs of the exchange's server."""
        return self.logs.access[ex.view.index if ex is not None and ex.view is not None else 0]

    def log_record(self, request, ex: Exchange | None, response, bytes_sent: int, start_us: int,
                   client, end_us: int | None = None) -> LogRecord:
        """What the access log knows about one answered request."""
        view_index = ex.view.index if ex is not None and ex.view is not None else 0
        srv = self.settings[view_index]
        client = client or ("-", 0)
        local = request.server or ("-", 0)
        final_status = ex.final_status if ex is not None else None
        if final_status is not None:
            # a failed ErrorDocument: what is not the first request's is
            # the redirect's, which sent nothing (the page went out as the
            # first's)
            bytes_sent, headers_out, content_type = 0, (), None
        else:
            headers_out, content_type = response.headers, ex.content_type if ex else None
        return LogRecord(
            request_line=request.request_line,
            method=request.method or None, uri=ex.uri if ex else request.path,
            query=ex.query if ex else request.query,
            orig_uri=ex.original_uri if ex else None,
            orig_status=response.status if final_status is not None else None,
            handler=ex.handler if ex else None,
            protocol=f"HTTP/{request.http_version}",
            status=final_status if final_status is not None else response.status,
            bytes_sent=bytes_sent, content_type=content_type,
            bytes_in=request_size(request, response.status),
            bytes_out=getattr(request, "bytes_out", 0),
            headers_in=_Headers(request),
            headers_out=headers_out, env=ex.env if ex else {},
            remote_ip=client[0], remote_port=client[1], local_ip=local[0],
            remote_host=ex.remote_host if ex else None,
            # ap_get_remote_host caches the name on the connection too
            client_host=ex.remote_host if ex else None,
            local_port=local[1], server_port=srv.port, server_hostname=srv.server_name,
            server_name=_canonical_name(request, ex),
            filename=ex.filename if ex else None, user=ex.user if ex else None,
            request_time_us=start_us, end_time_us=end_us,
            keepalives=getattr(request, "keepalives", 0),
            keepalive=getattr(request, "connection_kept", False),
            keep_alive_max=getattr(request, "keep_alive_max", 100))


def _raw_path(request) -> str | None:
    """The path of the request's target, not decoded (what ap_parse_uri
    puts in r->uri before the request is processed)."""
    try:
        path, _query = split_request_target(request.target, request.method, strict=False)
    except Exception:
        return None
    return path.decode("latin-1") if path else None


def _translate(srv: ServerSettings, path: str, query: str | None):
    """translate_name for *path*: mod_alias's answer (Mapped or
    Redirected), else the file under DocumentRoot."""
    return srv.aliases.translate(path, query, srv.docroot) if srv.aliases \
        else Mapped(srv.docroot + path)


def _with_vary(headers: list[tuple[str, str]], names: list[str]) -> list[tuple[str, str]]:
    """*headers* with *names* merged into Vary, each token once (what
    ap_expr's vary tracking and the header filter's fixup_vary leave)."""
    tokens: list[str] = []
    rest = []
    for k, v in headers:
        if k.lower() == "vary":
            tokens += [t.strip() for t in v.split(",") if t.strip()]
        else:
            rest.append((k, v))
    seen = set()
    merged = []
    for t in tokens + names:
        if t.lower() not in seen:
            seen.add(t.lower())
            merged.append(t)
    return rest + [("Vary", ",".join(merged))]


def _host_port(host: str | None) -> int | None:
    """The port a Host value (or an absolute target's authority) names."""
    if not host:
        return None
    if host.startswith("["):
        host = host[host.find("]") + 1:]
    _, colon, port = host.rpartition(":")
    return int(port) if colon and port.isdigit() and port.isascii() else None


def _canonical_name(request, ex: Exchange | None) -> str | None:
    """ap_get_server_name for %V: with UseCanonicalName Off (the default)
    the request's host name as fix_hostname leaves it (lower case, no port,
    no trailing dot); None: the server's own name."""
    mode = ex.config.get("UseCanonicalName") if ex is not None and ex.config is not None \
        else None
    if mode is not None and str(mode).lower() != "off":
        return None
    host = getattr(request, "host_from_target", None)
    if not host and hasattr(request, "get") and not (ex is not None and ex.no_hostname):
        host = request.get("Host")
    if not host:
        return None
    if host.startswith("["):
        name = host[1:host.find("]")]     # fix_hostname keeps no brackets
    else:
        name = host.rsplit(":", 1)[0]
    name = name.lower()
    return name[:-1] if name.endswith(".") else name


_FAST_METHODS = frozenset(("GET", "HEAD"))
# LimitRequestBody when no section sets it (1 GiB since Apache 2.4.54).
DEFAULT_LIMIT_REQUEST_BODY = 1 << 30
# mod_mime's type for a directory (DIR_MAGIC_TYPE).
_DIR_MAGIC_TYPE = "httpd/unix-directory"
# The methods default_handler serves (HEAD is GET's method number).
_GET_POST = frozenset(("GET", "HEAD", "POST"))
_VALIDATOR_HEADERS = ("Range", "If-None-Match", "If-Modified-Since", "If-Match",
                      "If-Unmodified-Since", "If-Range")
_VALIDATOR_NAMES = frozenset(n.lower().encode() for n in _VALIDATOR_HEADERS)
# Directives whose effect depends on the request beyond its URL.
_PER_REQUEST = ("Header", "RequestHeader", "SetEnvIf", "SetEnvIfNoCase", "SetEnvIfExpr",
                "BrowserMatch", "BrowserMatchNoCase", "SetEnv", "UnsetEnv", "PassEnv")


_LEVELS = {"emerg": 0, "alert": 1, "crit": 2, "error": 3, "warn": 4, "notice": 5,
           "info": 6, "debug": 7}


def _entry_body(entry: StaticEntry, method: str):
    """The body a fast-path entry answers *method* with, or None when the
    answer no longer holds.  A small file's bytes are kept and validated at
    most once per tick of the loop's clock (http/ticks.py); a big one is
    stat()ed and opened."""
    if entry.signature[1] <= BODY_MAX:
        data = entry.check()
        if data is None:
            return None
        return b"" if method == "HEAD" else data
    if not entry.valid():
        return None
    if method == "HEAD":
        return b""
    try:
        fd = os.open(entry.filename, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    return FileBody(fd, 0, entry.signature[1], sender=entry.sender, close_fd=True)


_VALIDATED = object()


def _fast_host(request):
    """The Host header's raw value (None without one) that, with the
    target, keys a fast-path answer; ``_VALIDATED`` when the request has a
    validator or Range header, whose answer the fast path never gives."""
    host = None
    for name, value in request.raw_headers:
        low = name.lower()
        if low == b"host":
            host = value
        elif low in _VALIDATOR_NAMES:
            return _VALIDATED
    return host


def _fast_target(request) -> str:
    """What the URL fast path keys an answer by: an origin-form target's
    path (the query string changes nothing in a static file's answer), an
    absolute-form target whole (its host chooses the server)."""
    target = request.target
    return request.path if target[:1] == "/" else target


def _per_request(cfg) -> bool:
    if str(cfg.get("HostnameLookups") or "off").lower() != "off":
        return True
    return any(name in cfg for name in _PER_REQUEST)


_WHOLE = StaticDecision(200, None)   # a GET without validators or Range

_NO_SEARCH = object()   # stat() refused: a component lacks search permission


class _Headers:
    """The request's headers as the Mapping the semantics helpers expect
    (the request's own lookup is already case-insensitive)."""

    __slots__ = ("_req",)

    def __init__(self, req) -> None:
        self._req = req

    def get(self, name: str, default=None):
        return self._req.get(name, default)

    def items(self):
        return ()


class _NoRequest:
    """Stands in for a request the protocol never got (logged as "-")."""

    method = "-"
    target = "/"
    path = "-"
    query = None
    request_line = ""
    client = None
    server = None
    http_version = "1.1"
    headers: list = []
    raw_headers: list = []

    def get(self, name, default=None):
        return default


def _error_document(cfg, status: int):
    docs = cfg.get("ErrorDocument") or ()
    for doc in reversed(tuple(docs)):
        if getattr(doc, "status", None) == status:
            if doc.kind == "default":
                return None
            value = doc.value
            if doc.kind == "message" and value.startswith('"'):
                value = value[1:]
            return doc.kind, value
    return None


class _MultipartBody:
    """A multipart/byteranges body read from *fd* as it is sent.  The fd
    is closed at the end, or by ``aclose`` - also when the body is dropped
    before it was ever iterated (an async generator that never started
    would not run its ``finally``)."""

    def __init__(self, fd: int, framing) -> None:
        self._fd: int | None = fd
        self._framing = framing

    async def __aiter__(self):
        fd = self._fd
        if fd is None:
            return
        try:
            for piece in self._framing.pieces:
                if isinstance(piece, (bytes, bytearray)):
                    yield bytes(piece)
                else:
                    start, end = piece
                    os.lseek(fd, start, os.SEEK_SET)
                    remaining = end - start + 1
                    while remaining > 0:
                        chunk = os.read(fd, min(remaining, 65536))
                        if not chunk:
                            return
                        remaining -= len(chunk)
                        yield chunk
        finally:
            self._close()

    async def aclose(self) -> None:
        self._close()

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


async def _release_body(response: Response) -> None:
    """Free what an answer that will not be sent holds open."""
    _close_file_body(response)
    if hasattr(response.body, "aclose"):
        await response.body.aclose()


def _close_file_body(response: Response) -> None:
    body = response.body
    if isinstance(body, FileBody) and body.close_fd and body.fd is not None:
        os.close(body.fd)
        body.fd = None


async def _once(data: bytes):
    yield data


def _escape_path(path: str) -> str:
    from urllib.parse import quote
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def _is_absolute(url: str) -> bool:
    head, sep, _ = url.partition(":")
    return bool(sep) and head.isalpha()
