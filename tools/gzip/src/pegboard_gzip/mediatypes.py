"""Matching a response's ``Content-Type`` against ``mime_types`` patterns.

Patterns are ``type/subtype`` (exact), ``type/*`` (any subtype), ``*/*`` and
``type/*+suffix`` (any structured-syntax subtype, e.g. ``application/*+json``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MediaTypeMatcher", "invalid_pattern"]

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PATTERN = re.compile(rf"(?:\*/\*|{_TOKEN}/\*|{_TOKEN}/\*\+{_TOKEN}|{_TOKEN}/{_TOKEN})")


def invalid_pattern(pattern: str) -> bool:
    """True when ``pattern`` is not one of the four accepted shapes."""
    return _PATTERN.fullmatch(pattern) is None


class MediaTypeMatcher:
    """Answers "is this Content-Type one of the patterns?", built once per route."""

    __slots__ = ("_any", "_cache", "_exact", "_suffixes", "_types")

    def __init__(self, patterns: Iterable[str]) -> None:
        self._exact: set[str] = set()
        self._types: set[str] = set()
        self._suffixes: set[tuple[str, str]] = set()
        self._any = False
        for raw in patterns:
            pattern = raw.strip().lower()
            main, _, sub = pattern.partition("/")
            if pattern == "*/*":
                self._any = True
            elif sub == "*":
                self._types.add(main)
            elif sub.startswith("*+"):
                self._suffixes.add((main, sub[1:]))  # ("application", "+json")
            else:
                self._exact.add(pattern)
        # PERF: a site sends few distinct Content-Type values; remember the answers.
        self._cache: dict[str, bool] = {}

    def matches(self, content_type: str) -> bool:
        """Whether ``content_type`` (parameters allowed) matches any pattern."""
        cache = self._cache
        found = cache.get(content_type)
        if found is not None:
            return found
        found = self._match(content_type.partition(";")[0].strip().lower())
        if len(cache) >= 256:
            cache.clear()
        cache[content_type] = found
        return found

    def _match(self, media: str) -> bool:
        if self._any or media in self._exact:
            return True
        main, _, sub = media.partition("/")
        if main in self._types:
            return True
        plus = sub.rfind("+")
        return plus > 0 and (main, sub[plus:]) in self._suffixes
