"""Choosing a content coding from ``Accept-Encoding`` (RFC 9110 §12.5.3).

The client's q-values decide; among codings the client likes equally, the
server's order of preference decides. ``identity`` is always an answer:
when nothing acceptable is offered the body goes out uncompressed, never
as a 406.
"""

from __future__ import annotations

__all__ = ["Negotiator", "parse_accept_encoding"]

# x-gzip is gzip (RFC 9110 §8.4.1.3); x-compress is not offered so it is not mapped.
_ALIASES = {"x-gzip": "gzip"}
_CACHE_SIZE = 256


def _qvalue(params: str) -> float | None:
    """The q of one list member's parameters: 1.0 when absent, None when malformed."""
    for param in params.split(";"):
        name, sep, value = param.partition("=")
        if sep and name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            if not 0.0 <= q <= 1.0:
                return None
            return q
    return 1.0


def parse_accept_encoding(value: str) -> dict[str, float]:
    """``"gzip;q=0.8, br"`` -> ``{"gzip": 0.8, "br": 1.0}`` (names lower-cased).

    Members with a malformed q-value are dropped; when a coding is listed
    twice the highest q wins.
    """
    found: dict[str, float] = {}
    for member in value.split(","):
        coding, _, params = member.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        coding = _ALIASES.get(coding, coding)
        q = _qvalue(params) if params else 1.0
        if q is None:
            continue
        if q > found.get(coding, -1.0):
            found[coding] = q
    return found


class Negotiator:
    """Picks one of ``offered`` (server preference order) for an ``Accept-Encoding`` value.

    PERF: clients send a handful of distinct header values, so answers are
    kept in a small dict; it is emptied when it grows past its bound.
    """

    __slots__ = ("_cache", "offered")

    def __init__(self, offered: tuple[str, ...]) -> None:
        self.offered = offered
        self._cache: dict[str, str | None] = {}

    def choose(self, accept_encoding: str | None) -> str | None:
        """The coding to use, or None for identity (no compression)."""
        if accept_encoding is None:
            # No header: RFC 9110 allows any coding, but a client that says
            # nothing is safest served as it asked, uncompressed.
            return None
        cache = self._cache
        try:
            return cache[accept_encoding]
        except KeyError:
            pass
        chosen = self._choose(parse_accept_encoding(accept_encoding))
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[accept_encoding] = chosen
        return chosen

    def _choose(self, accepted: dict[str, float]) -> str | None:
        star = accepted.get("*")
        best: str | None = None
        best_q = 0.0
        for name in self.offered:
            q = accepted.get(name, star if star is not None else 0.0)
            if q > best_q:  # strictly greater: ties keep the server's earlier choice
                best, best_q = name, q
        if best is None:
            return None
        # identity is acceptable by default but the least preferred unless the
        # client names it (or "*") with a higher q than every coding offered.
        identity_q = accepted.get("identity")
        if identity_q is not None and identity_q > best_q:
            return None
        return best
