"""Evaluating conditional requests in the order of RFC 9110 §13.2.2, from a WSGI environ.

The rules themselves are :func:`pegboard.httputil.evaluate_preconditions`;
this module reads the four headers and lets a tool switch the tag or the date
conditions off, as ``last_modified`` alone and ``etags`` alone need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pegboard.httputil import (
    NOT_MODIFIED,
    PRECONDITION_FAILED,
    evaluate_preconditions,
    parse_http_date,
)

__all__ = ["NOT_MODIFIED", "PRECONDITION_FAILED", "evaluate", "has_conditions"]


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
    modified = None
    if dates:
        modified = (
            parse_http_date(last_modified) if isinstance(last_modified, str) else last_modified
        )
    return evaluate_preconditions(
        method,
        etag=etag,
        last_modified=modified,
        if_match=if_match if tags else None,
        if_none_match=if_none_match if tags else None,
        if_unmodified_since=(environ.get("HTTP_IF_UNMODIFIED_SINCE") if if_match is None else None),
        if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE") if if_none_match is None else None,
        exists=exists,
    )
