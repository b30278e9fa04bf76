"""Making validators: entity tags for bodies and handlers' values, HTTP dates for Last-Modified.

Parsing and comparing them is :mod:`pegboard.httputil`'s job; this module only
writes the values the tools and handlers send.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from pegboard.httputil import format_entity_tag, format_http_date, parse_entity_tag

__all__ = ["body_tag", "http_date", "to_entity_tag"]


def to_entity_tag(value: str, *, weak: bool = False) -> str:
    """A tag as it goes in the ``ETag`` header: quoted, ``W/`` when weak.

    A value that is already an entity-tag (``"v3"``, ``W/"v3"``) is kept;
    anything else is quoted. Raises ValueError (``httputil.HeaderError``) for
    characters a tag cannot hold (``"``, spaces, control characters).
    """
    if parse_entity_tag(value) is not None:
        return value.strip(" \t")
    return format_entity_tag(value, weak=weak)


def body_tag(body: bytes) -> str:
    """A strong tag for exactly these bytes: 128 bits of BLAKE2b, in hex."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def http_date(when: dt.datetime | float) -> str:
    """``Sun, 06 Nov 1994 08:49:37 GMT`` for a datetime (naive means UTC) or a timestamp."""
    return format_http_date(when)
