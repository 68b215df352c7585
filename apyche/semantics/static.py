"""Decide-then-send for a static file: conditionals, then byte ranges.

Theory of operation
-------------------
Apache's ``default_handler`` (``server/core.c``) sets ``Last-Modified`` and
``ETag``, calls ``ap_meets_conditions`` and, if that says "go ahead", sends
the file through the output filters, where ``ap_byterange_filter`` may turn
the 200 into 206 or 416.  :func:`decide` does the same two steps without any
I/O and returns one small value (as aiohttp's ``_FileResponseResult`` does),
so the sender never has to re-derive the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .conditional import (Condition, Decision, condition_if_range, get_header,
                          meets_conditions)
from .ranges import (DEFAULT_MAX_OVERLAPS, DEFAULT_MAX_RANGES, DEFAULT_MAX_REVERSALS,
                     RangePlan, plan_ranges)

__all__ = ["StaticDecision", "decide"]


@dataclass(frozen=True, slots=True)
class StaticDecision:
    """The status to send and, for 200/206/416, the range plan.

    How Apache 2.4.71 frames each outcome (checked on the wire):

    * 304 -- the file's headers (``Last-Modified``, ``ETag``,
      ``Accept-Ranges``), no body, no ``Content-Length``;
    * 412 -- ``default_handler`` just sets the status and sends no body: the
      file's headers *including its Content-Type*, ``Content-Length: 0``, and
      **no** canned error page;
    * 416 -- an error bucket, so the canned 416 page
      (:func:`apyche.semantics.errorpages.error_page`) with ``text/html;
      charset=iso-8859-1`` and *without* ``ETag``/``Last-Modified``/
      ``Content-Range``.
    """

    status: int
    plan: RangePlan | None

    @property
    def body_is_canned_page(self) -> bool:
        """True only for 416, the one outcome Apache answers with an error page."""
        return self.status == 416


def decide(headers: Mapping[str, str], *, method: str, length: int, etag: str | None,
           last_modified: int, request_time: int,
           max_ranges: int | None = DEFAULT_MAX_RANGES,
           max_overlaps: int | None = DEFAULT_MAX_OVERLAPS,
           max_reversals: int | None = DEFAULT_MAX_REVERSALS) -> StaticDecision:
    """Given request headers and the file's validators (times in whole
    seconds), return the :class:`StaticDecision` for a GET/HEAD of a static
    file: 304 or 412 from ``ap_meets_conditions``, else 200/206/416 from the
    byte-range filter."""
    verdict = meets_conditions(headers, method=method, etag=etag,
                               last_modified=last_modified, request_time=request_time)
    if verdict is not Decision.PROCEED:
        return StaticDecision(verdict.value, None)
    range_header = get_header(headers, "Range")
    if_range = condition_if_range(get_header(headers, "If-Range"), etag,
                                  last_modified=last_modified, request_time=request_time,
                                  has_range=range_header is not None)
    plan = plan_ranges(range_header, length, if_range_ok=if_range is not Condition.NOMATCH,
                       max_ranges=max_ranges, max_overlaps=max_overlaps,
                       max_reversals=max_reversals)
    return StaticDecision(plan.status, plan)
