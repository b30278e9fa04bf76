"""Per-coding entity tags: ``"abc"`` becomes ``"abc-gzip"`` when the body is gzipped.

RFC 9110 §8.8.3 asks for different strong tags for differently encoded
representations. On the way in, the tool adds the identity tag beside each
suffixed tag in ``If-None-Match``/``If-Match`` so that a validator working
on the uncompressed body (the etags tool) still recognises the client's
tag; on the way out a 304 gets back the suffixed tag the client sent.
"""

from __future__ import annotations

import re

__all__ = ["add_suffix", "widen_condition"]

# One entity-tag in a list; etagc excludes DQUOTE, so "[^"]*" is exact.
_ENTITY_TAG = re.compile(r'(W/)?"([^"]*)"')


def add_suffix(etag: str, coding: str) -> str:
    """The strong tag ``etag`` with ``-coding`` appended; weak tags are returned as they are.

    A weak tag already says "semantically equivalent", which a compressed
    body is, so it is shared by every coding.
    """
    if etag.startswith('"') and etag.endswith('"') and len(etag) >= 2:
        return f'{etag[:-1]}-{coding}"'
    return etag


def widen_condition(value: str, coding: str) -> tuple[str, frozenset[str]]:
    """Add the identity form after each tag ending in ``-coding``.

    Returns the new header value and the identity tags (quoted, strong form)
    that were derived, so the response can tell which tag the client held.
    ``"abc-gzip"`` becomes ``"abc-gzip", "abc"``: a validator sees both the
    tag of a stored compressed response and that of a freshly built one.
    """
    ending = f"-{coding}"
    derived: list[str] = []
    extra: list[str] = []
    for match in _ENTITY_TAG.finditer(value):
        weak, opaque = match.group(1) or "", match.group(2)
        if opaque.endswith(ending) and len(opaque) > len(ending):
            identity = opaque[: -len(ending)]
            derived.append(f'"{identity}"')
            extra.append(f'{weak}"{identity}"')
    if not extra:
        return value, frozenset()
    return f"{value}, {', '.join(extra)}", frozenset(derived)
