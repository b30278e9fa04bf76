"""Evaluating conditional requests in the order of RFC 9110 §13.2.2.

1. If-Match: no match (strong comparison) -> 412.
2. Otherwise If-Unmodified-Since: modified after the date -> 412.
3. If-None-Match: a match (weak comparison) -> 304 for GET/HEAD, else 412.
4. Otherwise, for GET/HEAD, If-Modified-Since: not modified since -> 304.

A date condition is ignored when its tag counterpart is present, and a
date that does not parse is ignored, as the RFC asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .dates import parse_http_date
from .entity_tags import matches_any, parse_entity_tag, parse_tag_list

__all__ = ["NOT_MODIFIED", "PRECONDITION_FAILED", "evaluate", "has_conditions"]

NOT_MODIFIED = 304
PRECONDITION_FAILED = 412

_SAFE = frozenset({"GET", "HEAD"})


def has_conditions(environ: Mapping[str, Any]) -> bool:
    """Whether the request carries any of the four conditional headers."""
    # PERF: runs on every response; four lookups, no generator.
    return (
        "HTTP_IF_NONE_MATCH" in environ
        or "HTTP_IF_MODIFIED_SINCE" in environ
        or "HTTP_IF_MATCH" in environ
        or "HTTP_IF_UNMODIFIED_SINCE" in environ
    )


def evaluate(
    environ: Mapping[str, Any],
    method: str,
    etag: str | None,
    last_modified: str | float | None,
    *,
    tags: bool = True,
    dates: bool = True,
    exists: bool = True,
) -> int | None:
    """304, 412, or None (go on) for a request against the current representation.

    ``etag``/``last_modified`` are its validators (an ``ETag`` header value,
    a ``Last-Modified`` header value or timestamp), ``exists`` whether there
    is a current representation. ``tags``/``dates`` switch the two kinds of
    condition on; a switched-off kind still silences its date counterpart,
    because that is what its presence means in the RFC.
    """
    if_match = environ.get("HTTP_IF_MATCH")
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    tag = parse_entity_tag(etag) if etag is not None else None
    modified = parse_http_date(last_modified) if isinstance(last_modified, str) else last_modified
    # Step 1 / 2
    if if_match is not None:
        if tags and not matches_any(tag, parse_tag_list(if_match), weak=False, exists=exists):
            return PRECONDITION_FAILED
    elif dates and modified is not None:
        since = environ.get("HTTP_IF_UNMODIFIED_SINCE")
        if since is not None:
            limit = parse_http_date(since)
            if limit is not None and int(modified) > int(limit):
                return PRECONDITION_FAILED
    # Step 3 / 4
    if if_none_match is not None:
        if tags and matches_any(tag, parse_tag_list(if_none_match), weak=True, exists=exists):
            return NOT_MODIFIED if method in _SAFE else PRECONDITION_FAILED
    elif dates and modified is not None and method in _SAFE:
        since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if since is not None:
            limit = parse_http_date(since)
            if limit is not None and int(modified) <= int(limit):
                return NOT_MODIFIED
    return None
