"""Answering from a stored response: the whole of it, or a 304 for matching validators.

A hit replays the stored status, headers and body; ``Age`` and
``Cache-Status`` are added. Validators are compared as RFC 9110 section 13
says, through :mod:`pegboard_caching.conditional`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pegboard.headers import ResponseHeaders

from .conditional import etag_matches, not_modified_since
from .policy import http_date
from .records import CachedResponse

if TYPE_CHECKING:
    from pegboard import Request, Response

__all__ = ["answer_validators", "serve_entry"]

#: headers a 304 carries (RFC 9110 section 15.4.5), besides Age and Cache-Status
_NOT_MODIFIED_KEEP = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "last-modified", "vary"}
)
#: headers describing a body that a 304 does not have
_REPRESENTATION = (
    "Content-Encoding",
    "Content-Length",
    "Content-Language",
    "Content-Range",
    "Content-Disposition",
)

# PERF: stored headers were checked for CR/LF when the handler set them (and
# when read back from a shared store), so a hit replays them through the core's
# trusted setter when it has one; the public one checks every value again.
_set_trusted = getattr(ResponseHeaders, "_set_trusted", None)


def _replay(headers: ResponseHeaders, items: Iterable[tuple[str, str, str, bool]]) -> None:
    """Set each stored header on ``headers``, replacing values of the same name."""
    trusted = _set_trusted
    for lowered, name, value, repeated in items:
        if repeated:
            headers.add(name, value)
        elif trusted is not None:
            trusted(headers, lowered, name, value)
        else:
            headers[name] = value


def serve_entry(
    req: Request,
    resp: Response,
    entry: CachedResponse,
    age: float,
    cache_status: str,
    validators: tuple[str | None, str | None] | None = None,
) -> None:
    """Answer from ``entry``: a 304 when the client's validators match, else all of it.

    ``validators`` are (If-None-Match, If-Modified-Since) when they are no
    longer in the environ (the cache removed them for a miss).
    """
    if validators is None:
        env = req.environ
        validators = env.get("HTTP_IF_NONE_MATCH"), env.get("HTTP_IF_MODIFIED_SINCE")
    inm, ims = validators
    not_modified = False
    if (inm is not None or ims is not None) and 200 <= entry.status < 300:
        if inm is not None:
            not_modified = etag_matches(inm, entry.etag, entry.content_encoding)
        else:
            assert ims is not None
            not_modified = not_modified_since(ims, entry.last_modified)
    headers = resp.headers
    if not_modified:
        resp.status = 304
        resp.set_body(None)
        _replay(headers, [h for h in entry.replay if h[0] in _NOT_MODIFIED_KEEP])
    else:
        resp.status = entry.status
        _replay(headers, entry.replay)
        resp.set_body(entry.body)
    trusted = _set_trusted
    if trusted is not None:
        trusted(headers, "age", "Age", str(int(age)))
        trusted(headers, "cache-status", "Cache-Status", cache_status)
    else:
        headers["Age"] = str(int(age))
        headers["Cache-Status"] = cache_status
    req.handler = None


def answer_validators(resp: Response, inm: str | None, ims: str | None) -> None:
    """Turn a 2xx into a 304 when the client's validators (taken off a miss) match it."""
    headers = resp.headers
    if inm is not None:
        match = etag_matches(inm, headers.get("ETag"), headers.get("Content-Encoding"))
    else:
        assert ims is not None
        match = not_modified_since(ims, http_date(headers.get("Last-Modified")))
    if match:
        resp.status = 304
        resp.set_body(None)
        for name in _REPRESENTATION:
            headers.pop(name)
