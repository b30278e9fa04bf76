"""RFC 9111 rules: may a response be stored by a shared cache, and for how long.

Pure functions over header values, so every rule can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import mktime_tz, parsedate_tz

__all__ = [
    "HEURISTIC_STATUSES",
    "STORABLE_STATUSES",
    "Freshness",
    "freshness",
    "http_date",
    "parse_cache_control",
    "parse_field_names",
    "refusal",
]

#: statuses stored with the default freshness (``delay``) when the response gives none
HEURISTIC_STATUSES = frozenset({200, 203, 204, 300, 301, 308})
#: statuses stored only when the response itself says it may be (explicit freshness or public)
EXPLICIT_STATUSES = frozenset({404, 410})
STORABLE_STATUSES = HEURISTIC_STATUSES | EXPLICIT_STATUSES


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """Directives of a ``Cache-Control`` value: lower-cased name -> argument or None.

    Quoted arguments may contain commas (``no-cache="Set-Cookie, X-Id"``). A
    repeated directive keeps its first value.
    """
    directives: dict[str, str | None] = {}
    if not value:
        return directives
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        start = i
        while i < n and value[i] not in "=,":
            i += 1
        name = value[start:i].strip().lower()
        argument: str | None = None
        if i < n and value[i] == "=":
            i += 1
            while i < n and value[i] in " \t":
                i += 1
            if i < n and value[i] == '"':
                i += 1
                chars = []
                while i < n and value[i] != '"':
                    if value[i] == "\\" and i + 1 < n:
                        i += 1
                    chars.append(value[i])
                    i += 1
                i += 1
                argument = "".join(chars)
                while i < n and value[i] != ",":
                    i += 1
            else:
                start = i
                while i < n and value[i] != ",":
                    i += 1
                argument = value[start:i].strip()
        if name:
            directives.setdefault(name, argument)
    return directives


def parse_field_names(argument: str | None) -> frozenset[str]:
    """The lower-cased field names of a qualified ``private``/``no-cache``."""
    if not argument:
        return frozenset()
    return frozenset(n.strip().lower() for n in argument.split(",") if n.strip())


def delta_seconds(argument: str | None) -> int | None:
    """A delta-seconds argument; None when absent or not a non-negative integer."""
    if argument is None or not argument.isdigit():
        return None
    return int(argument)


def http_date(value: str | None) -> float | None:
    """An HTTP date as seconds since the epoch, or None when absent or invalid."""
    if not value:
        return None
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    try:
        return float(mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Freshness:
    """How long a response stays fresh, and what may be done once it is stale."""

    lifetime: float
    explicit: bool
    stale_while_revalidate: float
    stale_if_error: float
    must_revalidate: bool


def freshness(
    directives: dict[str, str | None],
    expires: str | None,
    date: float,
    default: float,
) -> Freshness:
    """RFC 9111 section 4.2.1: s-maxage, then max-age, then Expires, then ``default``.

    An invalid max-age or Expires counts as already stale (lifetime 0).
    """
    explicit = True
    if "s-maxage" in directives:
        lifetime = float(delta_seconds(directives["s-maxage"]) or 0)
    elif "max-age" in directives:
        lifetime = float(delta_seconds(directives["max-age"]) or 0)
    elif expires is not None:
        when = http_date(expires)
        lifetime = max(0.0, when - date) if when is not None else 0.0
    else:
        lifetime, explicit = default, False
    must_revalidate = (
        "must-revalidate" in directives
        or "proxy-revalidate" in directives
        or "s-maxage" in directives
    )
    swr = (
        0.0
        if must_revalidate
        else float(delta_seconds(directives.get("stale-while-revalidate")) or 0)
    )
    sie = 0.0 if must_revalidate else float(delta_seconds(directives.get("stale-if-error")) or 0)
    return Freshness(lifetime, explicit, swr, sie, must_revalidate)


def refusal(
    status: int,
    directives: dict[str, str | None],
    get_header: Callable[[str], str | None],
    authorized: bool,
) -> str | None:
    """Why a shared cache must not store this response, or None when it may.

    The reason is a short token shown in ``Cache-Status`` (``detail=``).
    """
    if status not in STORABLE_STATUSES:
        return "status"
    if "no-store" in directives:
        return "no-store"
    if "private" in directives and directives["private"] is None:
        return "private"
    if "no-cache" in directives and directives["no-cache"] is None:
        return "no-cache"
    if get_header("Cache-Control") is None and "no-cache" in (get_header("Pragma") or "").lower():
        return "no-cache"  # HTTP/1.0's Pragma, honoured when Cache-Control is absent
    public = "public" in directives
    if authorized and not (public or "s-maxage" in directives or "must-revalidate" in directives):
        return "authorization"
    if status in EXPLICIT_STATUSES and not (
        public
        or "max-age" in directives
        or "s-maxage" in directives
        or get_header("Expires") is not None
    ):
        return "status"
    return None
