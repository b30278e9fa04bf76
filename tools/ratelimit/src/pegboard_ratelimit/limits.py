"""Limits as written in config (``"10/second; 1000/hour per user"``), parsed once at start-up.

A limit is ``COUNT/PERIOD``, where PERIOD is a unit (``second``, ``minute``,
``hour``, ``day``; ``s``, ``m``, ``h``, ``d``; plurals too) with an optional
whole multiplier (``5/15 minutes``), optionally followed by ``per KEY``: the
key its requests are counted by (``ip``, ``user``, ``route``, or an import
string ``"package.module:function"``). Several limits are separated by ``;``
and must all pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pegboard

__all__ = [
    "KEY_NAMES",
    "MAX_PERIOD",
    "KeyFunction",
    "Limit",
    "key_label",
    "parse_limits",
    "resolve_key",
]

#: ``key(req)`` returns the string requests are counted by, or None to not count the request.
KeyFunction = Callable[[pegboard.Request], "str | None"]

#: The keys named by a word; anything else must be an import string.
KEY_NAMES = ("ip", "user", "route")

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
#: The longest period a limit may have (a year): a longer one is a typo, and the
#: stores keep a key at most this long.
MAX_PERIOD = 366 * 86400
_MICROS = 1_000_000
_LIMIT = re.compile(
    r"(?P<count>\d+)\s*/\s*(?P<multiple>\d+)?\s*(?P<unit>[A-Za-z]+)"
    r"(?:\s+per\s+(?P<key>\S+))?",
)


@dataclass(frozen=True, slots=True)
class Limit:
    """``count`` requests per ``seconds``, counted by ``key``.

    The GCRA parameters are in microseconds: one request every
    ``interval``, and a burst of ``count`` requests (``capacity``).
    """

    count: int
    seconds: int
    #: "ip", "user", "route", or a key function
    key: str | KeyFunction

    @property
    def interval(self) -> int:
        """Microseconds between two requests at the sustained rate (GCRA's emission interval)."""
        return self.seconds * _MICROS // self.count

    @property
    def capacity(self) -> int:
        """Microseconds of debt a burst of ``count`` requests runs up (the burst tolerance + 1)."""
        return self.interval * self.count

    @property
    def text(self) -> str:
        """The limit in one canonical spelling: ``10/1s per ip``."""
        return f"{self.count}/{self.seconds}s per {key_label(self.key)}"


def key_label(key: str | KeyFunction) -> str:
    """``ip``, ``user``, ``route``, or a key function's name."""
    if isinstance(key, str):
        return key
    name: str = getattr(key, "__name__", "") or type(key).__name__
    return name if name.isidentifier() else "key"


def resolve_key(written: str) -> str | KeyFunction:
    """A key name as it is, an import string as the function it names; ValueError otherwise."""
    if written in KEY_NAMES:
        return written
    if ":" not in written:
        raise ValueError(
            f"unknown key {written!r}: use ip, user, route or an import string 'module:function'"
        )
    try:
        found = pegboard.import_string(written)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"cannot import the key function {written!r}: {exc}") from None
    if not callable(found):
        raise ValueError(f"the key {written!r} is not a function of the request")
    function: KeyFunction = found
    return function


def _one(part: str, default_key: str | KeyFunction) -> Limit:
    match = _LIMIT.fullmatch(part)
    if match is None:
        raise ValueError(
            f"{part!r} is not a limit: write COUNT/PERIOD, like '10/second', "
            "'1000/hour' or '5/15 minutes per user'"
        )
    unit = match["unit"].lower()
    if unit not in _UNITS:
        raise ValueError(
            f"unknown unit {match['unit']!r} in {part!r}: use second, minute, hour or day"
        )
    count = int(match["count"])
    seconds = int(match["multiple"] or 1) * _UNITS[unit]
    if count < 1:
        raise ValueError(f"{part!r} allows no request at all: the count must be at least 1")
    if seconds < 1:
        raise ValueError(f"{part!r} has an empty period")
    if seconds > MAX_PERIOD:
        raise ValueError(f"{part!r}: the period must be at most a year")
    if count > seconds * _MICROS:
        raise ValueError(f"{part!r}: at most one request per microsecond can be counted")
    key = resolve_key(match["key"]) if match["key"] else default_key
    return Limit(count, seconds, key)


def parse_limits(text: str, default_key: str | KeyFunction = "ip") -> tuple[Limit, ...]:
    """The limits written in ``text`` (``;``-separated); ValueError naming the part at fault."""
    parts = [p.strip() for p in text.split(";")]
    if not any(parts):
        raise ValueError("no limit is written: set it like '10/second; 1000/hour'")
    limits: list[Limit] = []
    for part in parts:
        if not part:
            continue
        limit = _one(part, default_key)
        same = [
            other
            for other in limits
            if (other.count, other.seconds, other.key) == (limit.count, limit.seconds, limit.key)
        ]
        if same:
            raise ValueError(f"{part!r} is written twice")
        limits.append(limit)
    return tuple(limits)
