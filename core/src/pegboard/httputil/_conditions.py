"""Conditional requests (RFC 9110 §13): preconditions in the RFC's order, and If-Range."""

from __future__ import annotations

import math

from ._dates import parse_http_date
from ._etags import EntityTag, entity_tags_match, parse_entity_tag

__all__ = ["NOT_MODIFIED", "PRECONDITION_FAILED", "evaluate_preconditions", "if_range_matches"]

NOT_MODIFIED = 304
PRECONDITION_FAILED = 412
_SAFE = frozenset({"GET", "HEAD"})


def evaluate_preconditions(
    method: str,
    *,
    etag: EntityTag | str | None,
    last_modified: float | None,
    if_match: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    if_unmodified_since: str | None = None,
    exists: bool = True,
) -> int | None:
    """RFC 9110 §13.2.2 steps 1 to 4: 412, 304, or None to go on with the request.

    ``etag``/``last_modified`` are the current representation's validators
    (None when it has none), ``exists`` whether there is one. A date
    condition is ignored when its tag counterpart is present, when it does not
    parse, or when there is no Last-Modified; this never raises.
    """
    if if_match is not None:
        if not entity_tags_match(if_match, etag, weak=False, exists=exists):
            return PRECONDITION_FAILED
    elif if_unmodified_since is not None and last_modified is not None:
        since = parse_http_date(if_unmodified_since)
        if since is not None and math.floor(last_modified) > since:
            return PRECONDITION_FAILED
    if if_none_match is not None:
        if entity_tags_match(if_none_match, etag, weak=True, exists=exists):
            return NOT_MODIFIED if method in _SAFE else PRECONDITION_FAILED
    elif if_modified_since is not None and last_modified is not None and method in _SAFE:
        since = parse_http_date(if_modified_since)
        if since is not None and math.floor(last_modified) <= since:
            return NOT_MODIFIED
    return None


def if_range_matches(value: str, etag: EntityTag | str | None, last_modified: float | None) -> bool:
    """Whether a Range may be honoured under this If-Range value (RFC 9110 §13.1.5).

    An entity-tag must match strongly (a weak one never does); a date must
    equal ``last_modified`` to the second. Anything else is False (send the
    whole representation); this never raises.
    """
    text = value.strip(" \t")
    if text[:1] == '"' or text[:2] == "W/":
        given = parse_entity_tag(text)
        if given is None or etag is None:
            return False
        current = etag if isinstance(etag, EntityTag) else parse_entity_tag(etag)
        return current is not None and given.strong_match(current)
    date = parse_http_date(text)
    return date is not None and last_modified is not None and date == math.floor(last_modified)
