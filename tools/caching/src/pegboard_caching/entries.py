"""What a miss leaves in the store: the RFC 9111 decision and the stored form.

:func:`build_entry` either refuses (returning the reason shown in
``Cache-Status``) or returns the :class:`~pegboard_caching.records.CachedResponse`
to store: the headers worth keeping, the body (read up to ``maxobj_size``, so a
large stream stays a stream) and the freshness facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pegboard import Request, Response
from pegboard.httputil import (
    format_http_date,
    parse_cache_control,
    parse_delta_seconds,
    parse_field_names,
)

from .keys import vary_values
from .policy import EXPLICIT_STATUSES, freshness, http_date, refusal
from .records import CachedResponse

if TYPE_CHECKING:
    from .options import CachingOptions

__all__ = ["build_entry"]

#: headers never stored: per connection, per response, or recomputed on every hit
_NOT_STORED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "age",
        "cache-status",
        "set-cookie",
        "content-length",
    }
)


def _vary_names(value: str | None) -> tuple[str, ...] | None:
    """Sorted lower-cased names in ``Vary``; None for ``*`` (never matches)."""
    if not value:
        return ()
    names = parse_field_names(value)
    if "*" in names:
        return None
    return tuple(sorted(names))


class _Resumed:
    """A stream whose first chunks were already read: they come first, then the rest."""

    def __init__(self, head: list[bytes], rest: Iterator[Any], original: Any) -> None:
        self._head = head
        self._rest = rest
        self._original = original

    def __iter__(self) -> Iterator[Any]:
        yield from self._head
        yield from self._rest

    def close(self) -> None:
        close = getattr(self._original, "close", None)
        if close is not None:
            close()


def _bounded_body(resp: Response, limit: int) -> bytes | None:
    """The whole body if it is at most ``limit`` bytes, else None (a stream stays a stream)."""
    length = resp.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) > limit:
        return None
    stream = resp.stream
    if stream is None:
        body = resp.body
        return body if len(body) <= limit else None
    chunks: list[bytes] = []
    size = 0
    iterator = iter(stream)
    for chunk in iterator:
        data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        chunks.append(data)
        size += len(data)
        if size > limit:
            resp.stream = _Resumed(chunks, iterator, stream)
            return None
    body = b"".join(chunks)
    resp.set_body(body)  # closes the original stream
    return body


def _age(value: str | None) -> int:
    """An ``Age`` header in seconds; 0 when absent or invalid."""
    return (parse_delta_seconds(value.strip()) or 0) if value else 0


def build_entry(
    req: Request, resp: Response, answered: bool, options: CachingOptions, now: float
) -> CachedResponse | str:
    """What to store for this response, or why it may not be (a ``Cache-Status`` detail).

    ``answered`` is False when the response was made from an ``HTTPError``.
    """
    status = resp.status
    if not answered and not (options.store_errors and status in EXPLICIT_STATUSES):
        return "error"
    headers = resp.headers
    if resp.cookies or "Set-Cookie" in headers:
        return "set-cookie"
    directives = parse_cache_control(headers.get("Cache-Control"))
    reason = refusal(status, directives, headers.get, "HTTP_AUTHORIZATION" in req.environ)
    if reason:
        return reason
    vary = _vary_names(headers.get("Vary"))
    if vary is None:
        return "vary-star"
    date = http_date(headers.get("Date"))
    fresh = freshness(
        directives, headers.get("Expires"), now if date is None else date, options.delay
    )
    keep = fresh.lifetime + max(fresh.stale_while_revalidate, fresh.stale_if_error)
    if keep <= 0:
        return "stale"
    body = _bounded_body(resp, options.maxobj_size)
    if body is None:
        return "too-large"
    unstored = _NOT_STORED | directives.field_names("private") | directives.field_names("no-cache")
    connection = headers.get("Connection")
    if connection:
        unstored |= frozenset(parse_field_names(connection))
    items = [(n, v) for n, v in headers.items() if n.lower() not in unstored]
    if date is None:
        items.append(("Date", format_http_date(now)))
    apparent_age = max(0.0, now - date) if date is not None else 0.0
    values = vary_values(req.environ, vary)
    entry = CachedResponse(
        status=status,
        headers=tuple(items),
        body=body,
        stored_at=now,
        initial_age=max(apparent_age, float(_age(headers.get("Age")))),
        lifetime=fresh.lifetime,
        stale_while_revalidate=fresh.stale_while_revalidate,
        stale_if_error=fresh.stale_if_error,
        must_revalidate=fresh.must_revalidate,
        vary=vary,
        vary_values=values,
        etag=headers.get("ETag"),
        last_modified=http_date(headers.get("Last-Modified")),
        content_encoding=headers.get("Content-Encoding"),
    )
    return entry
