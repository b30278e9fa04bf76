"""Media types (RFC 9110 §8.3.1): parsing ``type/subtype; params`` and matching patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from ._cache import cache_short
from ._fields import HeaderError, _shorten, is_token, parse_parameters, quote_if_needed

__all__ = ["MediaType", "MediaTypeMatcher", "is_media_pattern", "parse_media_type"]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# type "/" subtype, then whatever follows (parameters, checked by parse_parameters).
_MEDIA_TYPE = re.compile(rf"[ \t]*({_TOKEN})/({_TOKEN})(.*)", re.DOTALL)
_PATTERN_PART = re.compile(r"[!#$%&'+\-.^_`|~0-9A-Za-z]+").fullmatch  # a token without "*"
_MATCH_CACHE_SIZE = 256


class MediaType(NamedTuple):
    """A concrete media type: lower-cased ``type``/``subtype`` and its parameters in order.

    Parameter names are lower-cased, values kept as sent (unquoted);
    ``str()`` gives the header form, quoting values that need it. An
    immutable named tuple, like the other parsed values here.
    """

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def essence(self) -> str:
        """``type/subtype`` without parameters, e.g. ``"text/html"``."""
        return f"{self.type}/{self.subtype}"

    @property
    def suffix(self) -> str | None:
        """The structured-syntax suffix: ``"json"`` for ``application/ld+json``, else None."""
        plus = self.subtype.rfind("+")
        return self.subtype[plus + 1 :] or None if plus > 0 else None

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter, lower-cased (charset names are case-insensitive), or None."""
        value = self.param("charset")
        return value.lower() if value is not None else None

    def param(self, name: str) -> str | None:
        """The value of the first parameter called ``name`` (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.params:
            if key == name:
                return value
        return None

    def with_param(self, name: str, value: str) -> MediaType:
        """A copy with ``name`` set to ``value`` (replaced in place, or added at the end).

        HeaderError when ``name`` is not a token or ``value`` holds control characters.
        """
        key = name.lower()
        if not is_token(key):
            raise HeaderError(f"{_shorten(name)} is not a parameter name")
        quote_if_needed(value)  # raises for a value no header can carry
        params = [(k, v) for k, v in self.params if k != key]
        if len(params) == len(self.params):
            params.append((key, value))
        else:
            index = next(i for i, (k, _) in enumerate(self.params) if k == key)
            params.insert(index, (key, value))
        return MediaType(self.type, self.subtype, tuple(params))

    def __str__(self) -> str:
        if not self.params:
            return f"{self.type}/{self.subtype}"
        rendered = "".join(f"; {k}={quote_if_needed(v)}" for k, v in self.params)
        return f"{self.type}/{self.subtype}{rendered}"


def parse_media_type(value: str) -> MediaType:
    """Parse a Content-Type value such as ``text/html; charset="UTF-8"``.

    Type, subtype and parameter names are lower-cased; a wildcard (``*``), a
    missing subtype or a malformed parameter is a HeaderError.
    """
    return _parse_media_type(value)


# PERF: a site sees few distinct Content-Type values; the parse is a pure function of them.
@cache_short(256)
def _parse_media_type(value: str) -> MediaType:
    match = _MEDIA_TYPE.fullmatch(value)
    if match is None:
        raise HeaderError(f"{_shorten(value)} is not a media type like 'text/html'")
    kind, sub, rest = match.group(1).lower(), match.group(2).lower(), match.group(3)
    if kind == "*" or sub == "*":
        raise HeaderError(f"{_shorten(value)} is a media range, not a media type")
    params = parse_parameters(rest) if rest.strip(" \t") else ()
    return MediaType(kind, sub, params)


def is_media_pattern(pattern: str) -> bool:
    """Whether ``pattern`` is ``type/subtype``, ``type/*``, ``*/*`` or ``type/*+suffix``."""
    main, slash, sub = pattern.strip(" \t").partition("/")
    if not slash:
        return False
    if main == "*":
        return sub == "*"
    if _PATTERN_PART(main) is None:
        return False
    if sub == "*":
        return True
    if sub.startswith("*+"):
        return _PATTERN_PART(sub[2:]) is not None
    return _PATTERN_PART(sub) is not None


class MediaTypeMatcher:
    """Answers "is this Content-Type one of these patterns?", built once per route.

    Patterns are those :func:`is_media_pattern` accepts; an invalid one is a
    HeaderError when the matcher is built, so a configuration mistake shows at
    start-up rather than as a pattern that silently never matches.
    """

    __slots__ = ("_any", "_cache", "_exact", "_suffixes", "_types", "patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns: tuple[str, ...] = tuple(p.strip(" \t").lower() for p in patterns)
        self._exact: set[str] = set()
        self._types: set[str] = set()
        self._suffixes: set[tuple[str, str]] = set()
        self._any = False
        for pattern in self.patterns:
            if not is_media_pattern(pattern):
                raise HeaderError(
                    f"{_shorten(pattern)} is not a media type pattern like "
                    "'text/html', 'text/*' or 'application/*+json'"
                )
            main, _, sub = pattern.partition("/")
            if main == "*":
                self._any = True
            elif sub == "*":
                self._types.add(main)
            elif sub.startswith("*+"):
                self._suffixes.add((main, sub[1:]))  # ("application", "+json")
            else:
                self._exact.add(pattern)
        # PERF: a site sends few distinct Content-Type values; answers are kept, bounded.
        self._cache: dict[str, bool] = {}

    def matches(self, content_type: str) -> bool:
        """Whether ``content_type`` (parameters allowed and ignored) matches a pattern."""
        cache = self._cache
        found = cache.get(content_type)
        if found is not None:
            return found
        found = self._match(content_type.partition(";")[0].strip(" \t").lower())
        if len(cache) >= _MATCH_CACHE_SIZE:
            cache.clear()
        cache[content_type] = found
        return found

    def _match(self, essence: str) -> bool:
        if self._any:
            return True
        if essence in self._exact:
            return True
        main, _, sub = essence.partition("/")
        if main in self._types:
            return True
        plus = sub.rfind("+")
        return plus > 0 and (main, sub[plus:]) in self._suffixes

    def __repr__(self) -> str:
        return f"MediaTypeMatcher({list(self.patterns)!r})"
