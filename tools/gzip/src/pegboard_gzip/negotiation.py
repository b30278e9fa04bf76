"""Choosing a content coding from ``Accept-Encoding`` (RFC 9110 §12.5.3).

The parsing and ranking are :func:`pegboard.httputil.ranked_encodings`: the
client's q-values decide; among codings the client likes equally, the
server's order of preference decides; a coding the client likes less than no
coding at all (``identity``) is not chosen. ``identity`` is always an answer:
when nothing acceptable is offered the body goes out uncompressed, never as a
406.
"""

from __future__ import annotations

from pegboard.httputil import ranked_encodings

__all__ = ["Negotiator"]

_CACHE_SIZE = 256
#: Longer values are answered but not kept: a cache a client fills must stay small in bytes too.
_CACHED_LENGTH = 256


class Negotiator:
    """Picks one of ``offered`` (server preference order) for an ``Accept-Encoding`` value.

    A member that breaks the grammar (``gzip;q=abc``) is skipped, the rest
    still count: a response left uncompressed is never wrong.

    PERF: clients send a handful of distinct header values, so answers are
    kept in a small dict, one lookup per request; it is emptied when it grows
    past its bound, and values longer than any browser sends are not kept.
    """

    __slots__ = ("answers", "offered")

    def __init__(self, offered: tuple[str, ...]) -> None:
        self.offered = offered
        #: the answers given so far, by header value (read it; ``choose`` fills it)
        self.answers: dict[str, str | None] = {}

    def choose(self, accept_encoding: str | None) -> str | None:
        """The coding to use, or None for identity (no compression)."""
        if accept_encoding is None:
            # No header: RFC 9110 allows any coding, but a client that says
            # nothing is safest served as it asked, uncompressed.
            return None
        cache = self.answers
        try:
            return cache[accept_encoding]
        except KeyError:
            pass
        ranked = ranked_encodings(accept_encoding, self.offered, strict=False)
        chosen = ranked[0] if ranked else None
        if len(accept_encoding) <= _CACHED_LENGTH:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[accept_encoding] = chosen
        return chosen
