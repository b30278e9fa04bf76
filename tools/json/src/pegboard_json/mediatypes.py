"""Matching a request's ``Content-Type`` against patterns like ``application/*+json``."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MediaTypes"]


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PATTERN = re.compile(rf"(?:\*/\*|{_TOKEN}/\*|{_TOKEN}/\*\+{_TOKEN}|{_TOKEN}/{_TOKEN})")


class MediaTypes:
    """Exact types, ``type/*`` and ``type/*+suffix`` patterns, compiled once per route."""

    __slots__ = ("_exact", "_suffixes", "_types", "patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(p.strip().lower() for p in patterns)
        self._exact: set[str] = set()
        self._types: set[str] = set()
        self._suffixes: set[tuple[str, str]] = set()
        for pattern in self.patterns:
            main, _, sub = pattern.partition("/")
            if sub == "*":
                self._types.add(main)
            elif sub.startswith("*+"):
                self._suffixes.add((main, sub[1:]))
            else:
                self._exact.add(pattern)

    def matches(self, media: str) -> bool:
        """Whether ``media`` (already without parameters, lower-cased) matches."""
        if media in self._exact:
            return True
        main, _, sub = media.partition("/")
        if main in self._types or "*" in self._types:
            return True
        plus = sub.rfind("+")
        return plus > 0 and (main, sub[plus:]) in self._suffixes

    @staticmethod
    def valid(pattern: str) -> bool:
        """Whether ``pattern`` is ``type/subtype``, ``type/*``, ``*/*`` or ``type/*+suffix``."""
        return _PATTERN.fullmatch(pattern.strip()) is not None
