"""Conditional GET against a stored response: If-None-Match, then If-Modified-Since.

RFC 9110 section 13.2.2 through :func:`pegboard.httputil.evaluate_preconditions`
(weak comparison of entity tags, dates to the second). One addition, the gzip
contract: the gzip tool gives a compressed representation the tag
``"abc-gzip"`` and, on the way in, strips that suffix from ``If-None-Match``
for the coding it would choose; so a tag that matches the stored one *or* the
stored one without its ``-<coding>`` suffix is a match.
"""

from __future__ import annotations

from pegboard.httputil import NOT_MODIFIED, entity_tags_match, evaluate_preconditions

__all__ = ["not_modified"]


def _without_coding(etag: str, coding: str) -> str | None:
    """``"abc"`` for ``"abc-gzip"`` and coding ``gzip`` (``W/`` kept); None without the suffix."""
    suffix = f'-{coding}"'
    return etag[: -len(suffix)] + '"' if etag.endswith(suffix) else None


def not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str | None,
    last_modified: float | None,
    coding: str | None,
) -> bool:
    """Whether a GET with these validators gets a 304 from the stored representation."""
    if if_none_match is not None and etag and coding:
        plain = _without_coding(etag, coding)
        if plain is not None and entity_tags_match(if_none_match, plain, weak=True):
            return True
    answer = evaluate_preconditions(
        "GET",
        etag=etag,
        last_modified=last_modified,
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
    )
    return answer == NOT_MODIFIED
