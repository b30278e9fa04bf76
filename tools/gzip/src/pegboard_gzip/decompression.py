"""The request side: bodies sent with ``Content-Encoding: gzip`` (or deflate).

Runs at ``before_request_body``, before anything reads the body. The body
is inflated in bounded steps, so a small "zip bomb" is refused with a 413
as soon as its output passes the limit, without ever being held whole.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

from pegboard import HTTPError, Request, Response
from pegboard.httputil import HeaderError, split_list

__all__ = ["decompress_request"]

_READ = 64 * 1024
# wbits for zlib.decompressobj: 16+15 reads a gzip member, 15 a zlib stream.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_ACCEPTED = "gzip, deflate"


def _read_compressed(req: Request) -> Iterator[bytes]:
    """The raw body in chunks, honouring Content-Length and the compressed-size limit."""
    environ = req.environ
    stream = environ["wsgi.input"]
    limit = req.plan.max_body_size
    length = req.content_length  # 400 when malformed
    if length is None:
        if not environ.get("wsgi.input_terminated"):
            return
        remaining = limit + 1  # chunked: read to EOF, but no further than the limit
    else:
        if length > limit:
            raise HTTPError(413, f"The request body is larger than {limit} bytes.")
        remaining = length
    while remaining > 0:
        data = stream.read(min(_READ, remaining))
        if not data:
            if length is not None:
                raise HTTPError(400, "The request body ended before its Content-Length.")
            return
        remaining -= len(data)
        if length is None and remaining <= 0:
            raise HTTPError(413, f"The request body is larger than {limit} bytes.")
        yield data


def _inflate(req: Request, wbits: int, limit: int) -> bytes:
    out: list[bytes] = []
    produced = 0
    decoder = zlib.decompressobj(wbits)
    seen_input = False
    try:
        for data in _read_compressed(req):
            seen_input = True
            while data:
                if decoder.eof:
                    decoder = zlib.decompressobj(wbits)  # gzip allows several members
                # At most one byte past the limit: enough to know it was passed.
                piece = decoder.decompress(data, limit - produced + 1)
                produced += len(piece)
                if produced > limit:
                    raise HTTPError(
                        413, f"The decompressed request body is larger than {limit} bytes."
                    )
                out.append(piece)
                data = decoder.unused_data if decoder.eof else decoder.unconsumed_tail
        if seen_input and not decoder.eof:
            raise HTTPError(400, "The compressed request body is truncated.")
    except zlib.error:
        raise HTTPError(400, "The request body is not valid for its Content-Encoding.") from None
    return b"".join(out)


def _unsupported(header: str) -> HTTPError:
    shown = header if len(header) <= 60 else header[:60] + "..."
    return HTTPError(
        415,
        f"Content-Encoding {shown!r} is not supported here; use one of: {_ACCEPTED}.",
        headers={"Accept-Encoding": _ACCEPTED},
    )


def decompress_request(req: Request, resp: Response, max_size: int | None) -> None:
    """Replace a gzip/deflate request body by its decompressed bytes (413 past ``max_size``).

    ``max_size`` None means the path's ``request.max_body_size``.
    """
    environ = req.environ
    header = environ.get("HTTP_CONTENT_ENCODING")
    if header is None:
        return
    try:
        members = split_list(header)
    except HeaderError:  # an unterminated quote: no coding we know looks like that
        raise _unsupported(header) from None
    codings = [c.lower() for c in members if c.lower() != "identity"]
    if not codings:
        del environ["HTTP_CONTENT_ENCODING"]
        return
    if len(codings) > 1 or codings[0] not in _WBITS:
        raise _unsupported(header)
    limit = req.plan.max_body_size if max_size is None else max_size
    body = _inflate(req, _WBITS[codings[0]], limit)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    environ["pegboard.gzip.request_encoding"] = environ.pop("HTTP_CONTENT_ENCODING")
