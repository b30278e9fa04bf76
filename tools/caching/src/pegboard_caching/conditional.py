"""Conditional GET against a stored response: If-None-Match, then If-Modified-Since.

RFC 9110 section 13.2.2 through :func:`pegboard.httputil.evaluate_preconditions`
(weak comparison of entity tags, dates to the second). One addition, the gzip
contract: the gzip tool gives a compressed representation the tag
``"abc-gzip"`` and, on the way in, strips that suffix from ``If-None-Match``
for the coding it would choose; so a tag that matches the stored one *or* the
stored one without its ``-<coding>`` suffix is a match.
"""

from __future__ import annotations

from pegboard.httputil import (
    NOT_MODIFIED,
    HeaderError,
    entity_tags_match,
    evaluate_preconditions,
    parse_entity_tag,
    split_list,
)

__all__ = ["not_modified"]

#: The longest HTTP date (httputil parses none longer); longer If-Modified-Since values
#: are ignored here, before httputil's parse cache would keep them.
_LONGEST_DATE = 64
#: If-None-Match values longer than this are compared here, without httputil's parse
#: cache: it keys on the value, so a client could make it hold hundreds of huge ones.
_LONGEST_CACHED_LIST = 4096


def _without_coding(etag: str, coding: str) -> str | None:
    """``"abc"`` for ``"abc-gzip"`` and coding ``gzip`` (``W/`` kept); None without the suffix."""
    suffix = f'-{coding}"'
    return etag[: -len(suffix)] + '"' if etag.endswith(suffix) else None


def _long_list_names(if_none_match: str, tags: list[str]) -> bool:
    """Weak comparison of a long If-None-Match list with ``tags``, member by member.

    A minimal local helper (see ``_LONGEST_CACHED_LIST``): members are
    compared as text, ``W/`` dropped, so nothing is parsed or cached.
    """
    wanted = set()
    for tag in tags:
        parsed = parse_entity_tag(tag)
        if parsed is not None:
            wanted.add(f'"{parsed.opaque}"')
    try:
        members = split_list(if_none_match)
    except HeaderError:
        return False
    return any((m[2:] if m.startswith("W/") else m) in wanted for m in members)


def not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str | None,
    last_modified: float | None,
    coding: str | None,
) -> bool:
    """Whether a GET with these validators gets a 304 from the stored representation."""
    if if_none_match is not None:
        plain = _without_coding(etag, coding) if etag and coding else None
        if len(if_none_match) > _LONGEST_CACHED_LIST:
            if if_none_match.strip() == "*":
                return True
            return etag is not None and _long_list_names(
                if_none_match, [etag] if plain is None else [etag, plain]
            )
        if plain is not None and entity_tags_match(if_none_match, plain, weak=True):
            return True
    elif if_modified_since is not None and len(if_modified_since) > _LONGEST_DATE:
        return False
    answer = evaluate_preconditions(
        "GET",
        etag=etag,
        last_modified=last_modified,
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
    )
    return answer == NOT_MODIFIED
