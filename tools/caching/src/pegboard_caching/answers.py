"""Answering from a stored response: the whole of it, or a 304 for matching validators.

A hit replays the stored status, headers and body; ``Age`` and
``Cache-Status`` are added. Validators are compared as RFC 9110 section 13
says, through :mod:`pegboard_caching.conditional`.
"""

from __future__ import annotations

from collections.abc import Iterable

from pegboard import Request, Response, ResponseHeaders
from pegboard.httputil import parse_http_date

from .conditional import not_modified
from .records import CachedResponse

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


def _replay(headers: ResponseHeaders, items: Iterable[tuple[str, str, str, bool]]) -> None:
    """Set each stored header on ``headers``, replacing values of the same name.

    PERF: stored headers were checked for CR/LF when the handler set them (and
    when read back from a shared store), so they go through the trusted setter.
    """
    for lowered, name, value, repeated in items:
        if repeated:
            headers.add(name, value)
        else:
            headers.set_trusted(name, value, lowered)


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
    headers = resp.headers
    if (
        (inm is not None or ims is not None)
        and 200 <= entry.status < 300
        and not_modified(inm, ims, entry.etag, entry.last_modified, entry.content_encoding)
    ):
        resp.status = 304
        resp.set_body(None)
        _replay(headers, [h for h in entry.replay if h[0] in _NOT_MODIFIED_KEEP])
    else:
        resp.status = entry.status
        _replay(headers, entry.replay)
        resp.set_body(entry.body)
    headers.set_trusted("Age", str(int(age)), "age")
    headers.set_trusted("Cache-Status", cache_status, "cache-status")
    req.handler = None


def answer_validators(resp: Response, inm: str | None, ims: str | None) -> None:
    """Turn a 2xx into a 304 when the client's validators (taken off a miss) match it."""
    headers = resp.headers
    last_modified = headers.get("Last-Modified")
    if not_modified(
        inm,
        ims,
        headers.get("ETag"),
        parse_http_date(last_modified) if last_modified else None,
        headers.get("Content-Encoding"),
    ):
        resp.status = 304
        resp.set_body(None)
        for name in _REPRESENTATION:
            headers.pop(name)
