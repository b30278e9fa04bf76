"""Conditional GET against a stored response: If-None-Match, then If-Modified-Since.

The comparison of entity tags is the weak one (RFC 9110 section 8.8.3.2).
The gzip tool gives a compressed representation the tag ``"abc-gzip"`` and,
on the way in, strips that suffix from ``If-None-Match`` for the coding it
would choose; so a tag that matches the stored one *or* the stored one
without its ``-<coding>`` suffix is a match.
"""

from __future__ import annotations

import re

from .policy import http_date

__all__ = ["etag_matches", "not_modified_since", "opaque_tags"]

_TAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')


def opaque_tags(header: str) -> list[str]:
    """The opaque tags (quotes included, ``W/`` dropped) listed in an If-None-Match value."""
    return _TAG.findall(header)


def etag_matches(if_none_match: str, etag: str | None, coding: str | None) -> bool:
    """True when ``If-None-Match`` names the stored representation (or is ``*``)."""
    if if_none_match.strip() == "*":
        return True
    if not etag:
        return False
    stored = etag[2:] if etag.startswith("W/") else etag
    candidates = {stored}
    if coding and stored.endswith(f'-{coding}"'):
        candidates.add(stored[: -len(coding) - 2] + '"')
    return any(tag in candidates for tag in opaque_tags(if_none_match))


def not_modified_since(if_modified_since: str, last_modified: float | None) -> bool:
    """True when the stored representation is not newer than the client's date."""
    since = http_date(if_modified_since)
    if since is None or last_modified is None:
        return False
    return last_modified <= since
