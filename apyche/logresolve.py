"""logresolve: replace the client address in access logs with host names.

The Performance Notes (``HostnameLookups``) advise logging addresses and
resolving them later, off the server, with ``logresolve``.  This module is
a translation of Apache's ``support/logresolve.c`` (httpd 2.4, as shipped
in Debian's apache2-utils), byte for byte in its output and statistics,
with one difference in *how* it gets there: lookups for distinct addresses
run concurrently in a bounded thread pool, while the output is still
written strictly in input order and streamed (at most ``window`` input
lines are held at once).

Theory of operation
-------------------
Apache's loop, per input "line":

1. ``apr_file_gets`` into a 128 KiB buffer: a line is the bytes up to and
   including ``\\n``, or ``LINE_BUF_SIZE - 1`` (131071) bytes, whichever
   comes first; the rest of a longer line arrives as the next "line".
   Everything after that is C string handling, so a NUL byte ends the line
   there (the rest of that chunk, newline included, is never written), and
   a chunk that starts with NUL is skipped without being counted.
2. ``entries++``.  If the first byte is not a hex digit or ``:`` the line
   is copied unchanged (``withname++``).
3. The key is the text before the first space, or the whole line (newline
   included!) when there is no space; in that case the "rest" is the
   ``" \\n"`` dummy, so a resolved name is written as ``name + " \\n"``.
4. A key already in the cache is written as ``cached + " " + rest``
   (``cachehits++``).
5. Otherwise ``apr_sockaddr_info_get(key, APR_UNSPEC)``, which is a full
   ``getaddrinfo`` (not numeric-only: a first field such as
   ``cafe.example`` is looked up forward and, if that works, its address
   is reverse-resolved).  Failure: copy the line (``withname++``), *not*
   cached, so Apache asks again next time.
6. ``resolves++``, ``cachesize++``; ``getnameinfo(NI_NAMEREQD)`` (v4-mapped
   IPv6 addresses are looked up as IPv4).  Failure: copy the line,
   ``noreverse++``, cache the key as itself.
7. With ``-c``: ``getaddrinfo(name, same family)`` and compare the *first*
   address returned with the original; mismatch or failure: copy the
   line, ``doublefailed++``, cache the key as itself.
8. Write ``name + " " + rest`` and cache the name.

Our pipeline splits this in two.  ``resolve_key`` (steps 5-7, pure apart
from DNS) runs in worker threads once per distinct key; ``_Replay`` runs
steps 1-4 and the bookkeeping of 5-8 on the main thread in input order, so
the statistics and the cache-hit behaviour come out exactly as Apache's.
The one observable difference: a key that does not parse as an address is
looked up once per run here, not once per occurrence; with a resolver that
gives the same answer twice the output is identical.
"""

from __future__ import annotations

import collections
import concurrent.futures
import ctypes
import dataclasses
import enum
import os
import socket
import struct
import sys
from typing import BinaryIO, NamedTuple, Protocol, Sequence

__all__ = ["main", "logresolve", "Stats", "Resolver", "SystemResolver",
           "Address", "Outcome", "Resolution", "resolve_key"]

#: ``LINE_BUF_SIZE`` in logresolve.c; ``apr_file_gets`` stores at most one
#: byte less than this (room for the NUL) per call.
LINE_BUF_SIZE = 128 * 1024
MAX_CHUNK = LINE_BUF_SIZE - 1

DEFAULT_CONCURRENCY = 64
DEFAULT_WINDOW = 8192
#: ...and at most this many bytes of them (lines may be 128 KiB each).
DEFAULT_WINDOW_BYTES = 16 * 1024 * 1024

# apr_isxdigit(line[0]) || line[0] == ':'  (C locale)
_MAY_BE_ADDRESS = frozenset(b"0123456789abcdefABCDEF:")

USAGE = ("{0} -- Resolve IP-addresses to hostnames in Apache log files.\n"
         "Usage: {0} [-s STATFILE] [-c]\n"
         "\n"
         "Options:\n"
         "  -s   Record statistics to STATFILE when finished.\n"
         "\n"
         "  -c   Perform double lookups when resolving IP addresses.\n")


# -- resolver abstraction ---------------------------------------------------

class Address(NamedTuple):
    """One socket address as APR's ``apr_sockaddr_t`` keeps it."""

    family: int          # socket.AF_INET or socket.AF_INET6
    packed: bytes        # ipaddr_ptr[0:ipaddr_len]: what -c compares
    sockaddr: tuple      # as returned by socket.getaddrinfo


class Resolver(Protocol):
    """The two blocking primitives logresolve needs.

    Both are called from worker threads, so must be thread-safe.  Tests
    inject a table-driven implementation; ``SystemResolver`` uses libc.
    """

    def getaddrinfo(self, host: bytes, family: int) -> Address | None:
        """``apr_sockaddr_info_get(host, family)``: first address or None."""

    def getnameinfo(self, addr: Address) -> bytes | None:
        """``apr_getnameinfo(addr, 0)``: the PTR name, or None."""


def _packed(family: int, sockaddr: tuple) -> bytes:
    host = sockaddr[0]
    if family == socket.AF_INET6:
        host = host.split("%", 1)[0]      # scope is not part of ipaddr_ptr
    return socket.inet_pton(family, host)


class SystemResolver:
    """libc's resolver, called with exactly the hints APR uses.

    APR's ``call_resolver`` asks for ``SOCK_STREAM`` and, for
    ``APR_UNSPEC``, ``AI_ADDRCONFIG``, retrying without it on
    ``EAI_BADFLAGS``/``EAI_ADDRFAMILY`` (PR 52709); it keeps the first
    AF_INET/AF_INET6 result.  ``apr_getnameinfo`` passes ``NI_NAMEREQD``
    and maps v4-mapped IPv6 addresses to IPv4 first.  Hosts are passed as
    bytes so Python applies no IDNA encoding.
    """

    _RETRY = {getattr(socket, n) for n in ("EAI_BADFLAGS", "EAI_ADDRFAMILY")
              if hasattr(socket, n)}

    def getaddrinfo(self, host: bytes, family: int) -> Address | None:
        flags = 0
        if family == socket.AF_UNSPEC and hasattr(socket, "AI_ADDRCONFIG"):
            flags = socket.AI_ADDRCONFIG
        try:
            try:
                infos = socket.getaddrinfo(host, None, family,
                                           socket.SOCK_STREAM, 0, flags)
            except socket.gaierror as exc:
                if not (flags and exc.errno in self._RETRY):
                    return None
                infos = socket.getaddrinfo(host, None, family,
                                           socket.SOCK_STREAM, 0, 0)
        except (OSError, UnicodeError, ValueError):
            return None
        for fam, _type, _proto, _canon, sockaddr in infos:
            if fam in (socket.AF_INET, socket.AF_INET6):
                try:
                    return Address(fam, _packed(fam, sockaddr), sockaddr)
                except OSError:
                    return None
        return None

    def getnameinfo(self, addr: Address) -> bytes | None:
        if (addr.family == socket.AF_INET6
                and addr.packed[:12] == b"\0" * 10 + b"\xff\xff"):
            addr = Address(socket.AF_INET, addr.packed[12:],
                           (socket.inet_ntop(socket.AF_INET,
                                             addr.packed[12:]), 0))
        if _libc_getnameinfo is not None:
            return _raw_getnameinfo(addr)
        try:
            host, _serv = socket.getnameinfo(addr.sockaddr,
                                             socket.NI_NAMEREQD)
        except (OSError, UnicodeError, ValueError):
            return None
        return host.encode("utf-8", "surrogateescape")


def _load_getnameinfo():
    """libc's getnameinfo via ctypes, or None where that is unavailable.

    ``socket.getnameinfo`` decodes the name as strict UTF-8 and raises on
    anything else (possible with /etc/hosts entries), where Apache simply
    writes the bytes; calling libc directly keeps them.  ctypes releases
    the GIL around the call, so worker threads still overlap.
    """
    try:
        # dlopen(NULL): the process's own symbols, libc's among them
        # (ctypes.util.find_library would spawn ldconfig at start-up).
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.getnameinfo
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_char_p, ctypes.c_uint32, ctypes.c_char_p,
                   ctypes.c_uint32, ctypes.c_char_p, ctypes.c_uint32,
                   ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_libc_getnameinfo = _load_getnameinfo() if sys.platform.startswith("linux") \
    else None
_NI_MAXHOST = 1025


def _raw_getnameinfo(addr: Address,
                     flags: int = socket.NI_NAMEREQD) -> bytes | None:
    """Build the Linux ``struct sockaddr_in``/``sockaddr_in6`` by hand."""
    if addr.family == socket.AF_INET:
        sa = struct.pack("=H", socket.AF_INET) + b"\0\0" + addr.packed \
            + b"\0" * 8
    else:
        flow = addr.sockaddr[2] if len(addr.sockaddr) > 2 else 0
        scope = addr.sockaddr[3] if len(addr.sockaddr) > 3 else 0
        sa = (struct.pack("=H", socket.AF_INET6) + b"\0\0"
              + struct.pack("!I", flow) + addr.packed
              + struct.pack("=I", scope))
    host = ctypes.create_string_buffer(_NI_MAXHOST)
    rc = _libc_getnameinfo(sa, len(sa), host, _NI_MAXHOST, None, 0, flags)
    if rc != 0:
        return None
    return host.value


class Outcome(enum.Enum):
    NOT_ADDRESS = "not-address"      # getaddrinfo failed: withname
    NO_REVERSE = "no-reverse"        # getnameinfo failed
    DOUBLE_FAILED = "double-failed"  # -c and the forward lookup disagrees
    NAMED = "named"


class Resolution(NamedTuple):
    outcome: Outcome
    hostname: bytes | None = None


def resolve_key(resolver: Resolver, key: bytes, double: bool) -> Resolution:
    """Steps 5-7 of logresolve.c for one key (see the module docstring)."""
    addr = resolver.getaddrinfo(key, socket.AF_UNSPEC)
    if addr is None:
        return Resolution(Outcome.NOT_ADDRESS)
    name = resolver.getnameinfo(addr)
    if name is None:
        return Resolution(Outcome.NO_REVERSE)
    if double:
        fwd = resolver.getaddrinfo(name, addr.family)
        if fwd is None or fwd.packed != addr.packed:
            return Resolution(Outcome.DOUBLE_FAILED, name)
    return Resolution(Outcome.NAMED, name)


# -- statistics ---------------------------------------------------------------

@dataclasses.dataclass
class Stats:
    """The counters of logresolve.c, with its historical meanings.

    ``resolves`` counts keys that *parsed* as addresses, not successful
    reverse lookups (Apache's own comment says so).
    """

    entries: int = 0
    withname: int = 0
    resolves: int = 0
    noreverse: int = 0
    doublefailed: int = 0
    cachehits: int = 0
    cachesize: int = 0

    def format(self) -> str:
        """``print_statistics``: optional lines appear only when non-zero."""
        out = ["logresolve Statistics:\n",
               f"Entries: {self.entries}\n",
               f"    With name   : {self.withname}\n",
               f"    Resolves    : {self.resolves}\n"]
        if self.noreverse:
            out.append(f"    - No reverse : {self.noreverse}\n")
        if self.doublefailed:
            out.append(f"    - Double lookup failed : {self.doublefailed}\n")
        out.append(f"Cache hits      : {self.cachehits}\n")
        out.append(f"Cache size      : {self.cachesize}\n")
        return "".join(out)


# -- the ordered replay -------------------------------------------------------

class _Replay:
    """Apache's main loop bookkeeping, fed lines in input order.

    ``cache`` is Apache's hash (key -> text written in place of the key);
    only lines whose key is neither there nor in ``results`` need to wait.
    """

    def __init__(self, out: BinaryIO):
        self.write = out.write
        self.stats = Stats()
        self.cache: dict[bytes, bytes] = {}

    def copy(self, text: bytes) -> None:
        """A first byte that cannot start an address: copied."""
        self.stats.entries += 1
        self.stats.withname += 1
        self.write(text)

    def emit(self, text: bytes, key: bytes, rest: bytes,
             res: "Resolution | None") -> None:
        """A line with a key; ``res`` may be None only for a cached key."""
        st = self.stats
        st.entries += 1
        cached = self.cache.get(key)
        if cached is not None:
            self.write(cached + b" " + rest)
            st.cachehits += 1
            return
        outcome = res.outcome
        if outcome is Outcome.NOT_ADDRESS:
            st.withname += 1             # not cached: Apache asks again
            self.write(text)
            return
        st.resolves += 1
        st.cachesize += 1
        if outcome is Outcome.NAMED:
            self.write(res.hostname + b" " + rest)
            self.cache[key] = res.hostname
            return
        if outcome is Outcome.NO_REVERSE:
            st.noreverse += 1
        else:
            st.doublefailed += 1
        self.write(text)
        self.cache[key] = key


def _record(results: dict, key: bytes):
    """Done-callback storing a finished lookup (a failed one stays out of
    ``results``; ``Future.result()`` re-raises it on the main thread)."""
    def done(fut: concurrent.futures.Future) -> None:
        if not fut.cancelled() and fut.exception() is None:
            results[key] = fut.result()
    return done


def _chunks(infile: BinaryIO):
    """``apr_file_gets(line, LINE_BUF_SIZE, infile)`` as C strings."""
    readline = infile.readline
    while True:
        chunk = readline(MAX_CHUNK)
        if not chunk:
            return
        nul = chunk.find(b"\0")
        yield chunk if nul < 0 else chunk[:nul]


def logresolve(infile: BinaryIO, outfile: BinaryIO, *, double: bool = False,
               resolver: Resolver | None = None,
               concurrency: int = DEFAULT_CONCURRENCY,
               window: int = DEFAULT_WINDOW,
               window_bytes: int = DEFAULT_WINDOW_BYTES) -> Stats:
    """Copy ``infile`` to ``outfile`` resolving first fields; return stats.

    At most ``concurrency`` lookups run at once and at most ``window``
    lines (and ``window_bytes`` bytes) are held ahead of the output.  Each
    distinct key is resolved once per run.
    """
    if resolver is None:
        resolver = SystemResolver()
    concurrency = max(1, int(concurrency))
    window = max(1, int(window))
    replay = _Replay(outfile)
    cache = replay.cache
    # key -> Future, for every key seen; key -> Resolution once it is known
    # (set from the workers' done-callbacks: a plain dict store).
    lookups: dict[bytes, concurrent.futures.Future] = {}
    results: dict[bytes, Resolution] = {}
    # Lines read but not yet written: (text, key, rest); key None = copy.
    pending: collections.deque = collections.deque()
    held = 0                                   # bytes of text in pending

    def emit_head() -> int:
        text, key, rest = pending.popleft()
        if key is None:
            replay.copy(text)
        elif key in cache:
            replay.emit(text, key, rest, None)
        else:
            res = results.get(key)
            if res is None:
                res = lookups[key].result()    # the only place we block
            replay.emit(text, key, rest, res)
        return len(text)

    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=concurrency, thread_name_prefix="logresolve")
    try:
        for text in _chunks(infile):
            if not text:
                continue                       # line[0] == '\0'
            if text[0] not in _MAY_BE_ADDRESS:
                if not pending:
                    replay.copy(text)
                    continue
                key = rest = None
            else:
                sp = text.find(b" ")
                if sp < 0:
                    key, rest = text, b"\n"
                else:
                    key, rest = text[:sp], text[sp + 1:]
                if not pending:                # fast path: nothing to wait for
                    if key in cache:
                        replay.emit(text, key, rest, None)
                        continue
                    res = results.get(key)
                    if res is not None:
                        replay.emit(text, key, rest, res)
                        continue
                if key not in lookups:
                    fut = pool.submit(resolve_key, resolver, key, double)
                    lookups[key] = fut
                    fut.add_done_callback(_record(results, key))
            pending.append((text, key, rest))
            held += len(text)
            # Write whatever is ready at the head; block only when full.
            while pending:
                if len(pending) < window and held < window_bytes:
                    hkey = pending[0][1]
                    if not (hkey is None or hkey in cache
                            or hkey in results):
                        break
                held -= emit_head()
        while pending:
            emit_head()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return replay.stats


# -- command line ------------------------------------------------------------

class _Usage(Exception):
    pass


def _getopt(argv: Sequence[str], prog: str, err) -> tuple[bool, str | None]:
    """``apr_getopt(o, "s:c", ...)`` as logresolve.c drives it.

    Parsing stops at the first non-option word or at ``--``; later words
    are ignored.  ``-c`` or ``-s`` twice, an unknown option or a missing
    argument is a usage error (apr_getopt prints its own line first).
    """
    double = False
    stats: str | None = None
    i = 0
    while i < len(argv):
        word = argv[i]
        if not word.startswith("-") or word == "-":
            break
        if word == "--":
            break
        j = 1
        while j < len(word):
            opt = word[j]
            j += 1
            if opt == "c":
                if double:
                    raise _Usage()
                double = True
            elif opt == "s":
                if j < len(word):
                    arg = word[j:]
                elif i + 1 < len(argv):
                    i += 1
                    arg = argv[i]
                else:
                    err.write(f"{prog}: option requires an argument -- s\n")
                    raise _Usage()
                if stats is not None:
                    raise _Usage()
                stats = arg
                break
            else:
                if opt == "-":        # "-x-..." : apr_getopt ends quietly
                    return double, stats
                err.write(f"{prog}: illegal option -- {opt}\n")
                raise _Usage()
        i += 1
    return double, stats


def main(argv: Sequence[str] | None = None, *, prog: str = "logresolve",
         stdin: BinaryIO | None = None, stdout: BinaryIO | None = None,
         resolver: Resolver | None = None,
         concurrency: int | None = None, window: int | None = None) -> int:
    """``logresolve [-s STATFILE] [-c] < access_log > new_log``.

    ``argv`` is the argument list *after* the program name (``sys.argv[1:]``
    when None).  Returns the exit status.  ``concurrency`` defaults to
    ``$APYCHE_LOGRESOLVE_CONCURRENCY`` or 64 (1 means Apache's one lookup
    at a time).
    """
    if argv is None:
        argv = sys.argv[1:]
    err = sys.stderr
    try:
        double, stats_path = _getopt(list(argv), prog, err)
    except _Usage:
        err.write(USAGE.format(prog))
        err.flush()
        return 1
    if concurrency is None:
        try:
            concurrency = int(os.environ.get(
                "APYCHE_LOGRESOLVE_CONCURRENCY", DEFAULT_CONCURRENCY))
        except ValueError:
            concurrency = DEFAULT_CONCURRENCY
    infile = stdin if stdin is not None else sys.stdin.buffer
    outfile = stdout if stdout is not None else sys.stdout.buffer
    try:
        stats = logresolve(infile, outfile, double=double, resolver=resolver,
                           concurrency=concurrency,
                           window=window or DEFAULT_WINDOW)
        outfile.flush()
    except BrokenPipeError:
        # Apache's logresolve dies of SIGPIPE here; we stop quietly
        # instead of printing a traceback (and, like it, write no stats).
        if stdout is None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return 1
    if stats_path is not None:
        try:
            with open(stats_path, "w", encoding="ascii") as fh:
                fh.write(stats.format())
        except OSError:
            err.write(f"{prog}: Could not open {stats_path} for writing.")
            err.flush()
            return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
