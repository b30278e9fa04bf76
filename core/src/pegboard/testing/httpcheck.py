"""Checking responses as a client sees them: undo Content-Encoding, and lint with httplint.

Both need packages the core does not depend on (brotli, zstandard, httplint);
they are imported when used, so tool authors install only what their tests need.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterable
from email.utils import formatdate
from typing import Any

__all__ = ["decode_body", "lint_response"]


def decode_body(encoding: str | None, body: bytes) -> bytes:
    """Undo a ``Content-Encoding`` (gzip, deflate, br, zstd) the way an HTTP client does."""
    if encoding in (None, "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli

        out: bytes = brotli.decompress(body)
        return out
    if encoding == "zstd":
        import zstandard

        # Streamed frames carry no content size, so read them as a stream.
        data: bytes = zstandard.ZstdDecompressor().stream_reader(body).read()
        return data
    raise AssertionError(f"unexpected Content-Encoding {encoding!r}")


def lint_response(
    result: Any, method: str = "GET", request_headers: Iterable[tuple[str, str]] = ()
) -> list[str]:
    """httplint's errors (BAD notes) for a test-client ``Result``, as text; [] when clean."""
    import httplint
    from httplint.note import levels

    request = httplint.HttpRequestLinter()
    request.process_request_topline(method.encode(), b"http://localhost/", b"HTTP/1.1")
    request.process_headers([(k.encode(), v.encode("latin-1")) for k, v in request_headers])
    request.finish_content(True)
    response = httplint.HttpResponseLinter(start_time=time.time())
    response.request = request
    response.is_head_response = method == "HEAD"
    code, _, phrase = result.status_line.partition(" ")
    response.process_response_topline(b"HTTP/1.1", code.encode(), phrase.encode())
    lines = [(k, v) for k in result.headers for v in result.headers.get_all(k)]
    if not any(k.lower() == "date" for k, _ in lines):
        # The WSGI server adds Date (waitress and granian do); in-process there is none.
        lines.append(("Date", formatdate(usegmt=True)))
    response.process_headers([(k.encode(), v.encode("latin-1")) for k, v in lines])
    response.feed_content(result.body)
    response.finish_content(True)
    bad = [note for note in response.notes if note.level == levels.BAD]
    return [f"{note.subject}: {note.summary}" for note in bad]
