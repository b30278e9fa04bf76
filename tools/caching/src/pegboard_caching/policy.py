"""RFC 9111 rules: may a response be stored by a shared cache, and for how long.

Pure functions over parsed header values (:class:`pegboard.httputil.CacheControl`
and :func:`pegboard.httputil.parse_http_date` do the parsing), so every rule
can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pegboard.httputil import CacheControl, parse_http_date

__all__ = [
    "EXPLICIT_STATUSES",
    "HEURISTIC_STATUSES",
    "STORABLE_STATUSES",
    "Freshness",
    "freshness",
    "http_date",
    "refusal",
]

#: statuses stored with the default freshness (``delay``) when the response gives none
HEURISTIC_STATUSES = frozenset({200, 203, 204, 300, 301, 308})
#: statuses stored only when the response itself says it may be (explicit freshness or public)
EXPLICIT_STATUSES = frozenset({404, 410})
STORABLE_STATUSES = HEURISTIC_STATUSES | EXPLICIT_STATUSES


def http_date(value: str | None) -> float | None:
    """An HTTP date header as seconds since the epoch, or None when absent or invalid."""
    if not value:
        return None
    when = parse_http_date(value)
    return None if when is None else float(when)


@dataclass(frozen=True, slots=True)
class Freshness:
    """How long a response stays fresh, and what may be done once it is stale."""

    lifetime: float
    explicit: bool
    stale_while_revalidate: float
    stale_if_error: float
    must_revalidate: bool


def freshness(
    directives: CacheControl,
    expires: str | None,
    date: float,
    default: float,
) -> Freshness:
    """RFC 9111 section 4.2.1: s-maxage, then max-age, then Expires, then ``default``.

    An invalid max-age or Expires counts as already stale (lifetime 0).
    """
    explicit = True
    if "s-maxage" in directives:
        lifetime = float(directives.s_maxage or 0)
    elif "max-age" in directives:
        lifetime = float(directives.max_age or 0)
    elif expires is not None:
        when = http_date(expires)
        lifetime = max(0.0, when - date) if when is not None else 0.0
    else:
        lifetime, explicit = default, False
    must_revalidate = (
        directives.must_revalidate or "proxy-revalidate" in directives or "s-maxage" in directives
    )
    swr = 0.0 if must_revalidate else float(directives.stale_while_revalidate or 0)
    sie = 0.0 if must_revalidate else float(directives.stale_if_error or 0)
    return Freshness(lifetime, explicit, swr, sie, must_revalidate)


def refusal(
    status: int,
    directives: CacheControl,
    get_header: Callable[[str], str | None],
    authorized: bool,
) -> str | None:
    """Why a shared cache must not store this response, or None when it may.

    The reason is a short token shown in ``Cache-Status`` (``detail=``).
    """
    if status not in STORABLE_STATUSES:
        return "status"
    if directives.no_store:
        return "no-store"
    if directives.private and directives["private"] is None:
        return "private"
    if directives.no_cache and directives["no-cache"] is None:
        return "no-cache"
    if get_header("Cache-Control") is None and "no-cache" in (get_header("Pragma") or "").lower():
        return "no-cache"  # HTTP/1.0's Pragma, honoured when Cache-Control is absent
    public = directives.public
    if authorized and not (public or "s-maxage" in directives or directives.must_revalidate):
        return "authorization"
    if status in EXPLICIT_STATUSES and not (
        public
        or "max-age" in directives
        or "s-maxage" in directives
        or get_header("Expires") is not None
    ):
        return "status"
    return None
