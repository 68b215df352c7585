"""Who may have the answer: access control as Apache's request pipeline
runs it, between the walks and the handler.

* mod_access_compat: Order/Allow/Deny, and Satisfy between it and Require;
* mod_authz_core: the merged Require tree (``access.py`` builds and
  evaluates it; the providers - user, group, valid-user, all, ip, local,
  env, method, host, forward-dns, expr - are checked here);
* mod_auth_basic with the file providers (AuthUserFile, AuthGroupFile),
  when a rule needs a user;
* the client's DNS names that host rules and HostnameLookups need.

A DNS answer that is not cached yet raises :class:`NeedLookup`: the Site
answers the request again once the lookup has run off the event loop, so
the loop never blocks on DNS (Apache blocks its thread instead).

The gate answers refusals through its :class:`Pipeline` (the Site): error
responses and error-log lines look the same as every other refusal.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..expr import holds
from ..http.response import Response
from ..logs.errorlog import ERROR
from . import authn, hostlookup
from .access import (AuthzGroup, Result, applies_to, authz_from_origins,
                     client_independent, evaluate, order_allows)


class NeedLookup(Exception):
    """Raised inside the pipeline when a DNS answer is not cached yet; the
    request is answered again once the lookup has run (off the loop)."""

    def __init__(self, kind: str, *args: str) -> None:
        super().__init__(kind, *args)
        self.kind = kind
        self.args_ = args

    async def wait(self, hosts: hostlookup.HostResolver) -> None:
        if self.kind == "double":
            await hosts.double_reverse(self.args_[0])
        elif self.kind == "reverse":
            await hosts.reverse(self.args_[0])
        else:   # forward-dns: every name of the Require line
            for word in hostlookup._forward_dns_words(self.args_[0]):
                await hosts.forward(word)


class Pipeline(Protocol):
    """What the gate needs from the request pipeline it guards."""

    def error_response(self, ex, status: int, **kw) -> Response: ...
    def log_error(self, ex, level: int, module: str, message: str) -> None: ...
    def error_log(self, ex) -> Any: ...
    def expr_context(self, ex) -> Any: ...


class Gate:
    """Access checks for one Site, with what they cache: the merged Require
    tree per DirConfig and the parsed password and group files."""

    def __init__(self, site: Pipeline, hosts: hostlookup.HostResolver) -> None:
        self._site = site
        self.hosts = hosts
        # DirConfig id -> (it, its Require tree, "open to every request")
        self._authz: dict[int, tuple[Any, AuthzGroup | None, bool]] = {}
        self._auth_files: dict[tuple[str, str], Any] = {}

    def check(self, ex, cfg) -> Response | None:
        """None when the request may go on to its handler; else the refusal
        (403, or 401 with the challenge, or 500 when a rule needs a user and
        no authentication is configured)."""
        if self._entry(cfg)[2]:
            return None
        req = ex.request
        client = (req.client or ("", 0))[0]
        method = req.method
        allows = cfg.get("allow") or ()
        denies = cfg.get("deny") or ()
        compat_ok = True
        if allows or denies or "order" in cfg:
            compat_ok = order_allows(cfg.get("order") or "deny,allow", list(allows),
                                     list(denies), client, ex.env, method,
                                     host_check=lambda e: hostlookup.host_matches(
                                         e.value, self.double_reverse(ex)))
        group = self.authz_for(cfg)
        if group is not None and not applies_to(group, method):
            group = None    # every Require is <Limit>ed to other methods
        satisfy_any = str(cfg.get("Satisfy") or "all").lower() == "any"
        if group is None:
            allowed = compat_ok
        else:
            if satisfy_any and compat_ok:
                return None
            if not compat_ok and not satisfy_any:
                return self._deny(ex, compat=True)
            logs: list = []
            result = evaluate(group, lambda rule: self.check_rule(ex, cfg, rule, logs), method)
            if result is Result.DENIED_NO_USER:
                # Authorization needs a user: authenticate (mod_auth_basic),
                # then decide again with the user known.
                challenge = self._authenticate(ex, cfg)
                if challenge is not None:
                    return challenge
                logs = []
                result = evaluate(group, lambda rule: self.check_rule(ex, cfg, rule, logs), method)
            for entry in logs:
                self._emit(ex, entry)
            if result is Result.GRANTED:
                return None
            if ex.user is not None:
                self._emit(ex, authn.msg_authz_failure(ex.user, ex.uri))
                return self._unauthorized(ex, cfg)
            allowed = False
        if not allowed:
            return self._deny(ex, compat=not compat_ok)
        return None

    def allows_subrequest(self, ex, cfg) -> bool:
        """Would a sub-request with the merged *cfg* pass the access checks
        without authenticating?  (mod_dir and mod_autoindex skip members a
        sub-request is refused.)"""
        group = self.authz_for(cfg)
        method = ex.request.method
        if group is not None and not applies_to(group, method):
            group = None
        client = (ex.request.client or ("", 0))[0]
        allows, denies = cfg.get("allow") or (), cfg.get("deny") or ()
        if allows or denies or "order" in cfg:
            if not order_allows(cfg.get("order") or "deny,allow", list(allows), list(denies),
                                client, ex.env, method):
                return False
        if group is None:
            return True
        result = evaluate(group, lambda rule: self.check_rule(ex, cfg, rule, []), method)
        return result is Result.GRANTED

    def _deny(self, ex, compat: bool) -> Response:
        code = "AH01797" if compat else "AH01630"
        self._site.log_error(ex, ERROR, "access_compat" if compat else "authz_core",
                             f"{code}: client denied by server configuration: "
                             f"{ex.filename or ex.uri}")
        return self._site.error_response(ex, 403)

    def _authenticate(self, ex, cfg) -> Response | None:
        """mod_auth_basic with the file provider: sets ``ex.user`` or answers
        401/500."""
        auth_type = str(cfg.get("AuthType") or "").lower()
        if auth_type != "basic":
            self._site.log_error(ex, ERROR, "core",
                                 "AH00027: No authentication done but request not allowed "
                                 f"without authentication for {ex.uri}. "
                                 "Authentication not configured?")
            return self._site.error_response(ex, 500)
        pwfile = self._auth_file(authn.PasswordFile, cfg.get("AuthUserFile"))
        outcome = authn.authenticate(ex.request.get("Authorization"), cfg.get("AuthName"),
                                     ex.uri, pwfile)
        for entry in outcome.logs:
            self._emit(ex, entry)
        ex.user = outcome.user
        if outcome.status == 0:
            return None
        if outcome.status == 401:
            return self._site.error_response(ex, 401, www_authenticate=outcome.www_authenticate)
        return self._site.error_response(ex, outcome.status)

    def _unauthorized(self, ex, cfg) -> Response:
        name = cfg.get("AuthName")
        challenge = authn.www_authenticate(name) if name else None
        return self._site.error_response(ex, 401, www_authenticate=challenge)

    def _auth_file(self, kind: type, path) -> Any:
        """The parsed AuthUserFile (``authn.PasswordFile``) or AuthGroupFile
        (``authn.GroupFile``) at *path*, one per file for this Site."""
        if not path:
            return None
        key = (kind.__name__, str(path))
        found = self._auth_files.get(key)
        if found is None:
            found = self._auth_files[key] = kind(str(path))
        return found

    def _emit(self, ex, entry) -> None:
        """Log one of authn's entries to the request's server ErrorLog."""
        if entry is None:
            return
        try:
            entry.emit(self._site.error_log(ex), client=ex.request.client)
        except Exception:
            self._site.log_error(ex, ERROR, getattr(entry, "module", "auth_basic"),
                                 getattr(entry, "text", str(entry)))

    def authz_for(self, cfg) -> AuthzGroup | None:
        """The merged Require tree for a DirConfig (cached by identity)."""
        return self._entry(cfg)[1]

    def _entry(self, cfg) -> tuple[Any, AuthzGroup | None, bool]:
        hit = self._authz.get(id(cfg))
        if hit is not None and hit[0] is cfg:
            return hit
        group = authz_from_origins(cfg)
        # Open: no mod_access_compat rule, and a Require tree of "Require
        # all" lines only that grants - the same answer for every request,
        # with nothing to log, so check() need not walk it again.
        compat = cfg.get("allow") or cfg.get("deny") or "order" in cfg
        is_open = not compat and (group is None or (
            client_independent(group)
            and evaluate(group, _require_all, "GET") is Result.GRANTED))
        if len(self._authz) > 4096:
            self._authz.clear()
        hit = self._authz[id(cfg)] = (cfg, group, is_open)
        return hit

    def check_rule(self, ex, cfg, rule, logs: list) -> Result:
        """One Require line's provider; authn's log entries go to *logs*."""
        provider = rule.provider
        req = ex.request
        if provider == "valid-user":
            return authn.require_valid_user(ex.user)[0]
        if provider == "user":
            result, entries = authn.require_user(ex.user, rule.args, ex.uri)
            logs.extend(entries)
            return result
        if provider == "group":
            groups = self._auth_file(authn.GroupFile, cfg.get("AuthGroupFile"))
            result, entries = authn.require_group(groups, ex.user, rule.args, ex.uri)
            logs.extend(entries)
            return result
        if provider == "all":
            return _require_all(rule)
        if provider == "ip":
            client = (req.client or ("", 0))[0]
            return Result.GRANTED if any(s.contains(client) for s in rule.parsed or ()) \
                else Result.DENIED
        if provider == "local":
            client = (req.client or ("", 0))[0]
            local = (req.server or ("", 0))[0]
            return Result.GRANTED if client in ("127.0.0.1", "::1", local) \
                or client.startswith("127.") else Result.DENIED
        if provider == "env":
            return Result.GRANTED if any(name in ex.env for name in rule.args.split()) \
                else Result.DENIED
        if provider == "method":
            methods = rule.parsed or tuple(rule.args.split())
            return Result.GRANTED if req.method in methods else Result.DENIED
        if provider == "host":
            name = self.double_reverse(ex)
            ex.replayable = False
            return Result.GRANTED if hostlookup.require_host_matches(rule.args, name) \
                else Result.DENIED
        if provider == "forward-dns":
            client = (req.client or ("", 0))[0]
            ex.replayable = False
            hit = hostlookup.forward_dns_matches_cached(rule.args, client, self.hosts)
            if hit is hostlookup.NOT_CACHED:
                if not ex.allow_lookups:
                    return Result.DENIED
                raise NeedLookup("forward-dns", rule.args, client)
            return Result.GRANTED if hit else Result.DENIED
        if provider == "expr":
            cond = rule.parsed
            if cond is None or isinstance(cond, str):
                return Result.DENIED
            return Result.GRANTED if holds(cond, self._site.expr_context(ex)) else Result.DENIED
        self._site.log_error(ex, ERROR, "authz_core",
                             f"Require {provider} is not supported by apyche; denying")
        return Result.DENIED

    def double_reverse(self, ex) -> str | None:
        """The client's double-reverse name (``REMOTE_DOUBLE_REV``), from the
        cache or by asking for a lookup."""
        client = (ex.request.client or ("", 0))[0]
        name = self.hosts.cached_double_reverse(client)
        if name is hostlookup.NOT_CACHED:
            if not ex.allow_lookups:
                return None
            raise NeedLookup("double", client)
        return name

    def remote_host_for_log(self, ex, cfg) -> None:
        """HostnameLookups On/Double: resolve before answering, so %h and
        %{c}h can be logged without blocking (Apache looks it up while
        logging, blocking its thread)."""
        mode = str(cfg.get("HostnameLookups") or "off").lower()
        if mode == "off":
            return
        ex.replayable = False
        client = (ex.request.client or ("", 0))[0]
        if mode == "double":
            name = self.double_reverse(ex)
        else:
            name = self.hosts.cached_reverse(client)
            if name is hostlookup.NOT_CACHED:
                if not ex.allow_lookups:
                    return
                raise NeedLookup("reverse", client)
        ex.remote_host = name     # (REMOTE_HOST goes to a CGI's environment, not the request's)


def _require_all(rule) -> Result:
    """``Require all granted|denied`` (the one provider that reads nothing
    of the request)."""
    return Result.GRANTED if rule.parsed else Result.DENIED
