"""The response side: negotiate early, compress in ``before_finalize``.

``negotiate`` (on_start_resource) picks the coding for this request and
widens ``If-None-Match``/``If-Match`` so validators compare identity tags.
``compress`` (before_finalize) compresses the body or wraps the stream,
adds ``Vary: Accept-Encoding`` to every response it could have compressed,
and gives strong ETags a per-coding suffix (on a 304 too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pegboard import Request, Response

from .codings import Coding, StreamCompressor
from .etags import add_suffix, widen_condition
from .mediatypes import MediaTypeMatcher
from .negotiation import Negotiator

__all__ = ["CompressedStream", "compress", "negotiate"]

# Request attributes this tool sets (tools may hang their own attributes on a request).
_CODING = "gzip_coding"
_HELD = "_gzip_held_tags"
_CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH")


def _coding_for(req: Request, negotiator: Negotiator) -> str | None:
    state = req.__dict__
    if _CODING in state:
        found: str | None = state[_CODING]
        return found
    found = negotiator.choose(req.environ.get("HTTP_ACCEPT_ENCODING"))
    state[_CODING] = found
    return found


def negotiate(req: Request, resp: Response, *, negotiator: Negotiator) -> None:
    """Choose the coding now and widen the conditional headers for it."""
    coding = _coding_for(req, negotiator)
    if coding is None:
        return
    environ = req.environ
    held: frozenset[str] = frozenset()
    for key in _CONDITIONS:
        value = environ.get(key)
        if value:
            widened, derived = widen_condition(value, coding)
            if derived:
                environ[key] = widened
                held |= derived
    if held:
        req.__dict__[_HELD] = held


def _no_transform(resp: Response) -> bool:
    value = resp.headers.get("Cache-Control")
    return value is not None and "no-transform" in value.lower()


def compress(
    req: Request,
    resp: Response,
    *,
    negotiator: Negotiator,
    codings: dict[str, Coding],
    media: MediaTypeMatcher,
    min_size: int,
) -> None:
    """Compress the response when the client, the status and the type allow it."""
    status = resp.status
    if status < 200 or status == 204:
        return
    headers = resp.headers
    encoding = headers.get("Content-Encoding")
    if encoding is not None and encoding.strip().lower() != "identity":
        return  # already encoded (a pre-compressed file, a cached answer)
    content_type = headers.get("Content-Type")
    if status == 304:
        # A 304 carries no Content-Type when no handler ran: assume it could have.
        if content_type is None or media.matches(content_type):
            headers.add_vary("Accept-Encoding")
        _restore_held_tag(req, resp)
        return
    # The core sends text/html when nothing set a type.
    if not media.matches(content_type or "text/html") or _no_transform(resp):
        return
    headers.add_vary("Accept-Encoding")
    if status == 206 or req.method == "HEAD":
        return
    name = _coding_for(req, negotiator)
    if name is None:
        return
    coding = codings[name]
    if resp.stream is not None:
        declared = headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) < min_size:
            return
        resp.stream = CompressedStream(resp.stream, coding.stream())
        headers.pop("Content-Length")
    else:
        body = resp.body
        if len(body) < min_size or not body:
            return
        compressed = coding.compress(body)
        resp.body = compressed
        headers["Content-Length"] = str(len(compressed))
    headers["Content-Encoding"] = name
    # Byte ranges of the identity body do not apply to this one.
    headers.pop("Accept-Ranges")
    etag = headers.get("ETag")
    if etag is not None:
        headers["ETag"] = add_suffix(etag, name)


def _restore_held_tag(req: Request, resp: Response) -> None:
    """Give a 304 the suffixed tag the client holds when it matched in identity form."""
    held = req.__dict__.get(_HELD)
    if not held:
        return
    etag = resp.headers.get("ETag")
    name = req.__dict__.get(_CODING)
    if etag is not None and etag in held and name:
        resp.headers["ETag"] = add_suffix(etag, name)


class CompressedStream:
    """Compresses a streamed body chunk by chunk, with a flush after every chunk.

    A class rather than a generator so that ``close()`` reaches the source
    even when the server never started iterating.
    """

    __slots__ = ("_compressor", "_done", "_iterator", "_source")

    def __init__(self, source: Iterable[bytes], compressor: StreamCompressor) -> None:
        self._source = source
        self._iterator: Iterator[Any] = iter(source)
        self._compressor = compressor
        self._done = False

    def __iter__(self) -> CompressedStream:
        return self

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        for chunk in self._iterator:
            if not chunk:
                continue
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            return self._compressor.chunk(bytes(chunk))
        self._done = True
        return self._compressor.finish()

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()
