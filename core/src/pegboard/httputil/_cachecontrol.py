"""Cache-Control (RFC 9111 §5.2): directives of requests and responses, and delta-seconds."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ._cache import cache_short
from ._fields import parse_field_names

__all__ = ["DELTA_SECONDS_MAX", "CacheControl", "parse_cache_control", "parse_delta_seconds"]

#: What an overlong delta-seconds counts as (RFC 9111 §1.2.2: 2**31).
DELTA_SECONDS_MAX = 2**31

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
_DIGITS = re.compile(r"[0-9]+").fullmatch
# One directive: name, then optionally "=" and a quoted-string or a token-ish argument.
_DIRECTIVE = re.compile(
    r'[ \t,]*([^=,;"\s]*)[ \t]*(?:=[ \t]*(?:"((?:[^"\\]|\\.)*)"?|([^,]*)))?[^,]*',
    re.DOTALL,
)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def parse_delta_seconds(text: str | None) -> int | None:
    """A delta-seconds argument (``max-age=60``) as an int, or None when absent or not digits.

    A number too long for 32 bits counts as 2**31, as RFC 9111 asks, however many digits.
    """
    if text is None or _DIGITS(text) is None:
        return None
    significant = text.lstrip("0")
    if len(significant) > 10:
        return DELTA_SECONDS_MAX
    return min(int(significant or "0"), DELTA_SECONDS_MAX)


class CacheControl(Mapping[str, "str | None"]):
    """The directives of a Cache-Control value: lower-cased name -> argument (None without one).

    A read-only mapping, so ``"no-store" in cc`` and ``cc.get("private")``
    work; the properties read the usual directives of requests and responses.
    """

    __slots__ = ("_directives",)

    def __init__(self, directives: Mapping[str, str | None]) -> None:
        self._directives: dict[str, str | None] = dict(directives)

    def __getitem__(self, name: str) -> str | None:
        return self._directives[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._directives)

    def __len__(self) -> int:
        return len(self._directives)

    def __contains__(self, name: object) -> bool:
        return name in self._directives

    def __repr__(self) -> str:
        return f"CacheControl({self._directives!r})"

    def seconds(self, name: str) -> int | None:
        """The delta-seconds argument of directive ``name``; None if absent or invalid."""
        return parse_delta_seconds(self._directives.get(name))

    def field_names(self, name: str) -> frozenset[str]:
        """Lower-cased field names qualifying ``private``/``no-cache``; empty when unqualified."""
        argument = self._directives.get(name)
        return frozenset(parse_field_names(argument)) if argument else frozenset()

    @property
    def max_age(self) -> int | None:
        """``max-age`` in seconds, or None when absent or invalid."""
        return self.seconds("max-age")

    @property
    def s_maxage(self) -> int | None:
        """``s-maxage`` in seconds (shared caches), or None when absent or invalid."""
        return self.seconds("s-maxage")

    @property
    def max_stale(self) -> int | None:
        """A request's ``max-stale``: seconds, 2**31 when given without a value, else None."""
        if "max-stale" not in self._directives:
            return None
        argument = self._directives["max-stale"]
        return DELTA_SECONDS_MAX if argument is None else parse_delta_seconds(argument)

    @property
    def min_fresh(self) -> int | None:
        """A request's ``min-fresh`` in seconds, or None."""
        return self.seconds("min-fresh")

    @property
    def stale_while_revalidate(self) -> int | None:
        """``stale-while-revalidate`` in seconds (RFC 5861), or None."""
        return self.seconds("stale-while-revalidate")

    @property
    def stale_if_error(self) -> int | None:
        """``stale-if-error`` in seconds (RFC 5861), or None."""
        return self.seconds("stale-if-error")

    @property
    def no_store(self) -> bool:
        """Whether ``no-store`` is present."""
        return "no-store" in self._directives

    @property
    def no_cache(self) -> bool:
        """Whether ``no-cache`` is present (qualified or not; see :meth:`field_names`)."""
        return "no-cache" in self._directives

    @property
    def private(self) -> bool:
        """Whether ``private`` is present (qualified or not; see :meth:`field_names`)."""
        return "private" in self._directives

    @property
    def public(self) -> bool:
        """Whether ``public`` is present."""
        return "public" in self._directives

    @property
    def must_revalidate(self) -> bool:
        """Whether ``must-revalidate`` is present."""
        return "must-revalidate" in self._directives

    @property
    def no_transform(self) -> bool:
        """Whether ``no-transform`` is present: no compression or other change of the content."""
        return "no-transform" in self._directives


def parse_cache_control(value: str | None) -> CacheControl:
    """The directives of a Cache-Control value; lenient, never raises.

    Names are lower-cased; quoted arguments are unquoted and may hold commas
    (``no-cache="Set-Cookie, X-Id"``). A repeated directive keeps its first
    value (RFC 9111 §4.2.1). Members whose name is not a token are skipped.
    """
    return _parse_cache_control(value or "")


# PERF: responses of one site carry a handful of distinct Cache-Control values.
@cache_short(256)
def _parse_cache_control(value: str) -> CacheControl:
    directives: dict[str, str | None] = {}
    position, end = 0, len(value)
    while position < end:
        match = _DIRECTIVE.match(value, position)
        if match is None or match.end() == position:
            position += 1  # a stray character: step over it
            continue
        position = match.end()
        name = match.group(1)
        if not name or _TOKEN(name) is None:
            continue
        quoted, plain = match.group(2), match.group(3)
        if quoted is not None:
            argument: str | None = _UNESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
        elif plain is not None:
            argument = plain.strip(" \t")
        else:
            argument = None
        directives.setdefault(name.lower(), argument)
    return CacheControl(directives)
