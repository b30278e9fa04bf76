"""Per-coding entity tags: ``"abc"`` becomes ``"abc-gzip"`` when the body is gzipped.

RFC 9110 §8.8.3 asks for different strong tags for differently encoded
representations. On the way in, the tool adds the identity tag beside each
suffixed tag in ``If-None-Match``/``If-Match`` so that a validator working
on the uncompressed body (the etags tool) still recognises the client's
tag; on the way out a 304 gets back the suffixed tag the client sent.
Tags are read with :mod:`pegboard.httputil`.
"""

from __future__ import annotations

from pegboard.httputil import EntityTag, parse_entity_tag, parse_entity_tag_list

__all__ = ["add_suffix", "identity_opaque", "widen_condition"]


def add_suffix(etag: str, coding: str) -> str:
    """The strong tag ``etag`` with ``-coding`` appended; weak tags are returned as they are.

    A weak tag already says "semantically equivalent", which a compressed
    body is, so it is shared by every coding. A value that does not end in
    quotes is returned as it is too.
    """
    # PERF: this runs on every compressed response, and a tag made from the body
    # (autotags) is new whenever the body is: httputil's parse_entity_tag would
    # miss its cache each time (a microsecond) and push out the tags clients
    # send. The header value was checked when it was set; the shape of a strong
    # tag, a quote at each end, is all that decides here.
    if len(etag) < 2 or etag[0] != '"' or etag[-1] != '"':
        stripped = etag.strip(" \t")  # a handler's tag with spaces around it: still strong
        if stripped == etag or len(stripped) < 2 or stripped[0] != '"' or stripped[-1] != '"':
            return etag  # weak (W/"..."), or not an entity-tag
        etag = stripped
    return f'{etag[:-1]}-{coding}"'


def identity_opaque(etag: str) -> str | None:
    """The opaque part of ``etag`` when it is a strong tag, else None."""
    tag = parse_entity_tag(etag)
    return tag.opaque if tag is not None and not tag.weak else None


def widen_condition(value: str, coding: str) -> tuple[str, frozenset[str]]:
    """Add the identity form after each tag ending in ``-coding``.

    Returns the new header value and the opaque parts of the identity tags
    that were derived, so the response can tell which tag the client held.
    ``"abc-gzip"`` becomes ``"abc-gzip", "abc"``: a validator sees both the
    tag of a stored compressed response and that of a freshly built one.
    Members that are not entity-tags are left alone (they match nothing).
    """
    members = parse_entity_tag_list(value, strict=False)
    if members == "*":
        return value, frozenset()
    ending = f"-{coding}"
    derived: list[str] = []
    extra: list[str] = []
    for tag in members:
        opaque = tag.opaque
        if opaque.endswith(ending) and len(opaque) > len(ending):
            identity = EntityTag(opaque[: -len(ending)], tag.weak)
            derived.append(identity.opaque)
            extra.append(str(identity))
    if not extra:
        return value, frozenset()
    return f"{value}, {', '.join(extra)}", frozenset(derived)
