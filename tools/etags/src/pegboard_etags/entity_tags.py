"""Entity tags (RFC 9110 §8.8.3): parsing lists, comparing, making tags.

An entity-tag is ``"opaque"`` (strong) or ``W/"opaque"`` (weak). Strong
comparison needs both tags strong and equal; weak comparison only needs
the opaque parts equal.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "ANY",
    "EntityTag",
    "body_tag",
    "matches_any",
    "parse_entity_tag",
    "parse_tag_list",
    "to_entity_tag",
]

# etagc = %x21 / %x23-7E / obs-text: no DQUOTE, no space, no control characters.
_OPAQUE = re.compile(r"[\x21\x23-\x7e\x80-\xff]*")
_LIST_MEMBER = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')

#: The value ``*`` of If-Match / If-None-Match: any current representation.
ANY = "*"

EntityTag = tuple[bool, str]  # (weak, opaque)


def parse_entity_tag(value: str) -> EntityTag | None:
    """``W/"x"`` -> ``(True, "x")``; None when ``value`` is not one entity-tag."""
    value = value.strip()
    weak = value.startswith("W/")
    if weak:
        value = value[2:]
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return None
    opaque = value[1:-1]
    if not _OPAQUE.fullmatch(opaque):
        return None
    return weak, opaque


def parse_tag_list(value: str) -> list[EntityTag] | str:
    """The members of an If-Match/If-None-Match value, or :data:`ANY` for ``*``.

    Members that are not entity-tags are skipped (they can match nothing).
    """
    value = value.strip()
    if value == "*":
        return ANY
    tags: list[EntityTag] = []
    pos = 0
    while pos < len(value):
        match = _LIST_MEMBER.match(value, pos)
        if match is None:
            # Skip one malformed member and go on after its comma.
            comma = value.find(",", pos)
            if comma < 0:
                break
            pos = comma + 1
            continue
        tags.append((match.group(1) is not None, match.group(2)))
        pos = match.end()
    return tags


def matches_any(
    tag: EntityTag | None, members: list[EntityTag] | str, *, weak: bool, exists: bool
) -> bool:
    """Whether the current representation matches one of ``members``.

    ``tag`` is its entity-tag (None when it has none), ``exists`` whether
    there is a current representation at all (``*`` matches exactly then),
    ``weak`` selects weak comparison (If-None-Match) over strong (If-Match).
    """
    if isinstance(members, str):  # ANY
        return exists
    if tag is None:
        return False
    tag_weak, opaque = tag
    if weak:
        return any(other == opaque for _, other in members)
    return not tag_weak and any(not w and other == opaque for w, other in members)


def to_entity_tag(value: str, *, weak: bool = False) -> str:
    """A tag as it goes in the ``ETag`` header: quoted, ``W/`` when weak.

    A value that is already an entity-tag (``"v3"``, ``W/"v3"``) is kept;
    anything else is quoted. Raises ValueError for characters a tag cannot
    hold (``"``, spaces, control characters).
    """
    if parse_entity_tag(value) is not None:
        return value.strip()
    if not _OPAQUE.fullmatch(value):
        raise ValueError(f"{value!r} cannot be an entity tag: no quotes, spaces or controls")
    return f'W/"{value}"' if weak else f'"{value}"'


def body_tag(body: bytes) -> str:
    """A strong tag for exactly these bytes: 128 bits of BLAKE2b, in hex."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
