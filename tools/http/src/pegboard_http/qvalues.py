"""Parsing weighted header lists such as Accept and Accept-Charset (RFC 9110, 12.4-12.5).

The parser is strict about structure (a malformed element raises
:class:`MalformedHeader`, which the tools turn into a 400) and lenient where
real clients are known to stray: a ``q`` written ``.5`` and a bare ``*`` media
range (Java's default Accept header) are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MalformedHeader", "Weighted", "parse_weighted", "split_header"]

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_QVALUE = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


class MalformedHeader(ValueError):
    """A header that does not follow its grammar; the message says which part."""


@dataclass(frozen=True, slots=True)
class Weighted:
    """One element of a weighted list: its value (lower-cased), parameters and ``q``."""

    value: str
    params: tuple[tuple[str, str], ...]
    q: float


def split_header(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quoted strings; pieces are stripped, empty ones dropped."""
    if '"' not in text:
        return [p for p in (part.strip() for part in text.split(sep)) if p]
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted:
        raise MalformedHeader("an unterminated quoted string")
    parts.append("".join(current))
    return [p for p in (part.strip() for part in parts) if p]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _qvalue(text: str, element: str) -> float:
    if not _QVALUE.match(text):
        raise MalformedHeader(f"{element!r} has an invalid q value {text!r}")
    q = float(text)
    if q > 1.0:
        raise MalformedHeader(f"{element!r} has a q value above 1")
    return q


def parse_weighted(header: str, *, media: bool = False) -> list[Weighted]:
    """Parse ``header`` into its elements, in the order given.

    ``media`` checks each value as a ``type/subtype`` media range (Accept);
    otherwise each value must be a token (Accept-Charset, Accept-Language
    tags are tokens too). Parameters after ``q`` (accept-extensions) are
    dropped. Raises :class:`MalformedHeader`.
    """
    elements: list[Weighted] = []
    for element in split_header(header, ","):
        pieces = split_header(element, ";")
        if not pieces:
            continue
        value = pieces[0].lower()
        if media:
            if value == "*":
                value = "*/*"  # legacy clients (Java) send a bare "*"
            kind, slash, sub = value.partition("/")
            wildcard_type_only = kind == "*" and sub != "*"  # "*/html" means nothing
            if not slash or not _TOKEN.match(kind) or not _TOKEN.match(sub) or wildcard_type_only:
                raise MalformedHeader(f"{pieces[0]!r} is not a media range like 'text/html'")
        elif not _TOKEN.match(value):
            raise MalformedHeader(f"{pieces[0]!r} is not a valid token")
        params: list[tuple[str, str]] = []
        q = 1.0
        for piece in pieces[1:]:
            name, eq, raw = piece.partition("=")
            name = name.strip().lower()
            raw = raw.strip()
            if not eq or not _TOKEN.match(name) or not raw:
                raise MalformedHeader(f"{element!r} has a malformed parameter {piece!r}")
            if name == "q":
                q = _qvalue(raw, element)
                break  # what follows q are accept-extensions, not media type parameters
            params.append((name, _unquote(raw)))
        elements.append(Weighted(value, tuple(params), q))
    return elements
