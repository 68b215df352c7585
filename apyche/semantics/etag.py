"""Validators for static files: ``ETag`` (``FileETag``) and ``Last-Modified``.

Theory of operation
-------------------
``FileETag`` is parsed by ``set_etag_bits`` and merged by
``merge_core_dir_configs`` (``server/core.c``) into three bit sets: absolute
``bits`` and relative ``add``/``remove``.  ``ap_make_etag_ex``
(``modules/http/http_etag.c``) uses ``(bits & ~remove) | add``; if that is
still *unset* it falls back to ``ETAG_BACKWARD`` = ``MTime Size`` (the 2.4
default; 2.2 also had ``INode``).  A consequence worth knowing: a relative
``FileETag -MTime`` with nothing absolute above it has no effect, because
there are no absolute bits to remove from and the empty result means "use
the default".

The tag itself is ``"<inode>-<size>-<mtime>"`` with the chosen parts in that
order, each lower-case hex without leading zeros, ``mtime`` in *microseconds*
(``apr_time_t``).  It is weak (``W/``) when the request started less than one
second after the file's mtime, "since it could be modified again later in
the second" (comment in ``ap_make_etag_ex``).  ``FileETag Digest`` (2.4.58+)
replaces all of this, for regular files, with base64(SHA-1(content)) and is
never made weak by the one-second rule.

``Last-Modified`` is ``ap_rationalize_mtime``: the mtime, capped at the
request time (a file dated in the future is reported as modified "now").
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

from .dates import format_http_date

__all__ = [
    "ETAG_UNSET", "ETAG_NONE", "ETAG_MTIME", "ETAG_INODE", "ETAG_SIZE",
    "ETAG_DIGEST", "ETAG_ALL", "ETAG_BACKWARD",
    "FileETagConfig",
    "DEFAULT_FILE_ETAG",
    "parse_file_etag",
    "merge_file_etag",
    "effective_etag_bits",
    "make_etag",
    "digest_etag",
    "last_modified_seconds",
    "format_last_modified",
    "stat_times_us",
]

# include/http_core.h
ETAG_UNSET = 0
ETAG_NONE = 1 << 0
ETAG_MTIME = 1 << 1
ETAG_INODE = 1 << 2
ETAG_SIZE = 1 << 3
ETAG_DIGEST = 1 << 4
ETAG_ALL = ETAG_MTIME | ETAG_INODE | ETAG_SIZE
ETAG_BACKWARD = ETAG_MTIME | ETAG_SIZE

_KEYWORDS = {
    "size": ETAG_SIZE,
    "lmtime": ETAG_MTIME,
    "mtime": ETAG_MTIME,
    "lastmodified": ETAG_MTIME,
    "inode": ETAG_INODE,
    "digest": ETAG_DIGEST,
}


@dataclass(frozen=True, slots=True)
class FileETagConfig:
    """One per-dir ``FileETag`` state: absolute ``bits``, relative ``add`` and
    ``remove`` (fields of ``core_dir_config``)."""

    bits: int = ETAG_UNSET
    add: int = ETAG_UNSET
    remove: int = ETAG_UNSET


DEFAULT_FILE_ETAG = FileETagConfig()


def parse_file_etag(args: str | Sequence[str],
                    base: FileETagConfig = DEFAULT_FILE_ETAG) -> FileETagConfig:
    """Port of ``set_etag_bits`` (``server/core.c``).

    Given the directive's arguments (a string or a list of words) and the
    state of the same section so far, return the new state.  Raises
    ``ValueError`` with Apache's message for an unknown keyword or a signed
    ``None``/``All``.
    """
    words = args.split() if isinstance(args, str) else list(args)
    bits, add, remove = base.bits, base.add, base.remove
    first = True
    explicit = False
    for word in words:
        action = "*"
        token = word
        if token[:1] in ("+", "-"):
            action, token = token[0], token[1:]
        elif first:
            # The first absolute setting forgets inherited and relative ones.
            bits = add = remove = ETAG_UNSET
            first = False
        low = token.lower()
        if low in ("none", "all"):
            if action != "*":
                raise ValueError(f"FileETag keyword '{token}' cannot be used with '+' or '-'")
            bit = ETAG_NONE if low == "none" else ETAG_ALL
            bits = bit
            explicit = True
            continue
        bit = _KEYWORDS.get(low)
        if bit is None:
            raise ValueError(f"Unknown keyword '{token}' for FileETag directive")
        if action == "+":
            add |= bit
            remove &= ~bit
        elif action == "-":
            remove |= bit
            add &= ~bit
        else:
            bits |= bit
            add = remove = ETAG_UNSET
            explicit = True
    if explicit and (bits & ETAG_NONE) != ETAG_NONE:
        bits &= ~ETAG_NONE
    return FileETagConfig(bits, add, remove)


def merge_file_etag(base: FileETagConfig, new: FileETagConfig) -> FileETagConfig:
    """The ``FileETag`` part of ``merge_core_dir_configs`` (``server/core.c``):
    an absolute setting in *new* replaces *base*; a purely relative one is
    folded into it."""
    if new.bits == ETAG_UNSET:
        add = (base.add & ~new.remove) | new.add
        remove = (base.remove & ~new.add) | new.remove
        bits = (base.bits & ~remove) | add
    else:
        bits, add, remove = new.bits, new.add, new.remove
    if bits != ETAG_NONE:
        bits &= ~ETAG_NONE
    return FileETagConfig(bits, add, remove)


def effective_etag_bits(cfg: FileETagConfig) -> int:
    """The bit set ``ap_make_etag_ex`` acts on, after the ``ETAG_BACKWARD``
    default for an unset configuration."""
    bits = (cfg.bits & ~cfg.remove) | cfg.add
    if bits & ETAG_DIGEST:
        return bits
    if bits & ETAG_NONE:
        return ETAG_NONE
    if bits == ETAG_UNSET:
        return ETAG_BACKWARD
    return bits


def _hex(n: int) -> str:
    return format(n & 0xFFFFFFFFFFFFFFFF, "x")


def digest_etag(chunks: Iterable[bytes], *, weak: bool = False) -> str:
    """``make_digest_etag``: ``"`` + base64(SHA-1 of the content) + ``"``."""
    h = hashlib.sha1()
    for chunk in chunks:
        h.update(chunk)
    return ('W/"' if weak else '"') + base64.b64encode(h.digest()).decode("ascii") + '"'


def make_etag(*, size: int, mtime_us: int, request_time_us: int, inode: int = 0,
              bits: int | FileETagConfig = ETAG_BACKWARD, is_file: bool = True,
              force_weak: bool = False, content: Iterable[bytes] | None = None
              ) -> str | None:
    """Port of ``ap_make_etag_ex`` (``modules/http/http_etag.c``) for a file.

    Given the file's ``st_size``, mtime and inode, the request start time
    (both times in microseconds since the epoch, as ``apr_time_t``) and the
    effective ``FileETag`` bits (or a :class:`FileETagConfig`), return the
    ``ETag`` header value, or ``None`` when ``FileETag None`` suppresses it.

    ``ETAG_DIGEST`` needs *content* (an iterable of byte chunks); without it
    ``None`` is returned, as Apache returns "" when it cannot read the file.
    *is_file* false gives Apache's non-file form ``"<mtime>"``.
    """
    if isinstance(bits, FileETagConfig):
        bits = effective_etag_bits(bits)
    elif bits == ETAG_UNSET:
        bits = ETAG_BACKWARD
    if is_file and bits & ETAG_DIGEST:
        if content is None:
            return None
        return digest_etag(content, weak=force_weak)
    if bits & ETAG_NONE:
        return None
    weak = force_weak or (request_time_us - mtime_us < 1_000_000)
    prefix = 'W/"' if weak else '"'
    if not is_file:
        return prefix + _hex(mtime_us) + '"'
    parts = []
    if bits & ETAG_INODE:
        parts.append(_hex(inode))
    if bits & ETAG_SIZE:
        parts.append(_hex(size))
    if bits & ETAG_MTIME:
        parts.append(_hex(mtime_us))
    return prefix + "-".join(parts) + '"'


def last_modified_seconds(mtime_us: int, request_time_us: int,
                          now_us: int | None = None) -> int:
    """``ap_rationalize_mtime``: the mtime, but never later than "now".

    Apache uses the request start time as "now" when the mtime is older than
    it, otherwise the current clock (*now_us*, defaulting to the request
    time).  Returns whole seconds.
    """
    if mtime_us < request_time_us:
        now = request_time_us
    else:
        now = request_time_us if now_us is None else now_us
    return min(mtime_us, now) // 1_000_000


def format_last_modified(mtime_us: int, request_time_us: int,
                         now_us: int | None = None) -> str:
    """``ap_set_last_modified``: the ``Last-Modified`` value (RFC 9110
    §8.8.2, IMF-fixdate) for a file with the given mtime."""
    return format_http_date(last_modified_seconds(mtime_us, request_time_us, now_us))


def stat_times_us(st) -> tuple[int, int]:
    """Given an ``os.stat_result``, return ``(mtime_us, inode)`` the way APR
    fills ``apr_finfo_t`` (mtime truncated to microseconds)."""
    return st.st_mtime_ns // 1000, st.st_ino
