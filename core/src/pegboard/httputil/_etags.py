"""Entity tags (RFC 9110 §8.8.3): parsing tags and If-Match/If-None-Match lists, comparing them.

An entity-tag is ``"opaque"`` (strong) or ``W/"opaque"`` (weak). Strong
comparison needs both tags strong and their opaque parts equal; weak
comparison only needs the opaque parts equal.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from ._cache import cache_short
from ._fields import HeaderError, _shorten

__all__ = [
    "EntityTag",
    "entity_tags_match",
    "format_entity_tag",
    "parse_entity_tag",
    "parse_entity_tag_list",
    "strong_compare",
    "weak_compare",
]

# etagc = %x21 / %x23-7E / obs-text: no DQUOTE, no space, no control; a backslash is
# an ordinary character here (entity-tags have no escapes).
_ETAGC = r"[\x21\x23-\x7e\x80-\xff]*"
_OPAQUE = re.compile(_ETAGC).fullmatch
_ENTITY_TAG = re.compile(rf'[ \t]*(W/)?"({_ETAGC})"[ \t]*').fullmatch
# One list member with the separator after it (or the end); empty members allowed.
_MEMBER = re.compile(rf'[ \t]*(W/)?"({_ETAGC})"[ \t]*(?:,[ \t,]*|\Z)')
_LEADING = re.compile(r"[ \t,]*")


class EntityTag(NamedTuple):
    """One entity-tag: its opaque part (without quotes) and whether it is weak.

    ``str()`` gives the header form: ``"v1"`` or ``W/"v1"``. A named tuple:
    PERF, it is built for every member of every list parsed.
    """

    opaque: str
    weak: bool = False

    def __str__(self) -> str:
        return f'W/"{self.opaque}"' if self.weak else f'"{self.opaque}"'

    def strong_match(self, other: EntityTag) -> bool:
        """Strong comparison: both strong and the same opaque part (If-Match, If-Range)."""
        return not self.weak and not other.weak and self.opaque == other.opaque

    def weak_match(self, other: EntityTag) -> bool:
        """Weak comparison: the same opaque part, weak or not (If-None-Match)."""
        return self.opaque == other.opaque


def parse_entity_tag(value: str) -> EntityTag | None:
    """``W/"x"`` as ``EntityTag("x", weak=True)``; None when ``value`` is not one entity-tag."""
    return _parse_entity_tag(value)


# PERF: the same few stored tags are compared on every conditional request.
@cache_short(1024)
def _parse_entity_tag(value: str) -> EntityTag | None:
    match = _ENTITY_TAG(value)
    if match is None:
        return None
    return EntityTag(match.group(2), match.group(1) is not None)


def format_entity_tag(opaque: str, *, weak: bool = False) -> str:
    """The header form of a tag made of ``opaque``; HeaderError for ``"``, spaces or controls."""
    if _OPAQUE(opaque) is None:
        raise HeaderError(
            f"{_shorten(opaque)} cannot be an entity-tag: no quotes, spaces or controls"
        )
    return f'W/"{opaque}"' if weak else f'"{opaque}"'


def parse_entity_tag_list(
    value: str, *, strict: bool = True
) -> tuple[EntityTag, ...] | Literal["*"]:
    """The entity-tags of an If-Match / If-None-Match value, or ``"*"`` for ``*``.

    A member that is not an entity-tag is a HeaderError when ``strict``;
    otherwise it is skipped (it can match nothing).
    """
    return _parse_list(value, strict)


@cache_short(512)
def _parse_list(value: str, strict: bool) -> tuple[EntityTag, ...] | Literal["*"]:
    if value.strip(" \t") == "*":
        return "*"
    tags: list[EntityTag] = []
    leading = _LEADING.match(value)
    position, end = (leading.end() if leading else 0), len(value)
    while position < end:
        match = _MEMBER.match(value, position)
        if match is None:
            if strict:
                raise HeaderError(
                    f"{_shorten(value)} is not a list of entity-tags (at character {position})"
                )
            comma = value.find(",", position)
            if comma < 0:
                break
            position = comma + 1
            continue
        tags.append(EntityTag(match.group(2), match.group(1) is not None))
        position = match.end()
    return tuple(tags)


def _tag(value: EntityTag | str) -> EntityTag | None:
    return value if isinstance(value, EntityTag) else _parse_entity_tag(value)


def strong_compare(a: EntityTag | str, b: EntityTag | str) -> bool:
    """Strong comparison of two tags (objects or header forms); an invalid tag matches nothing."""
    first, second = _tag(a), _tag(b)
    return first is not None and second is not None and first.strong_match(second)


def weak_compare(a: EntityTag | str, b: EntityTag | str) -> bool:
    """Weak comparison of two tags (objects or header forms); an invalid tag matches nothing."""
    first, second = _tag(a), _tag(b)
    return first is not None and second is not None and first.opaque == second.opaque


def entity_tags_match(
    condition: str, etag: EntityTag | str | None, *, weak: bool, exists: bool = True
) -> bool:
    """Whether an If-Match (``weak=False``) or If-None-Match (``weak=True``) value names ``etag``.

    ``etag`` is the current representation's tag (None when it has none) and
    ``exists`` whether there is a current representation, which is what ``*``
    asks. Members that are not entity-tags match nothing; this never raises.
    """
    if etag is None:
        return exists and condition.strip(" \t") == "*"
    current = _tag(etag)
    if current is None:
        return exists and condition.strip(" \t") == "*"
    if current.weak and not weak:
        return exists and condition.strip(" \t") == "*"  # a weak tag never matches strongly
    members = _parse_list(condition, False)
    if members == "*":
        return exists
    opaque = current.opaque
    for member in members:  # noqa: SIM110  # PERF: a plain loop beats any() on a generator
        if member.opaque == opaque and (weak or not member.weak):
            return True
    return False
