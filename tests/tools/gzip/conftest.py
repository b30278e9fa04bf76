"""Helpers for the gzip tests: decoding bodies as a client does, and httplint."""

from __future__ import annotations

import gzip
import os
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import brotli
import pytest
import zstandard

import pegboard_etags
import pegboard_gzip
import pegboard_json

# The tools these tests compose, registered from code: a broken or half-written
# package elsewhere in the environment cannot change what these tests see.
# test_discovery.py checks that the entry points find the same tools.
PLUGINS = (pegboard_gzip, pegboard_etags, pegboard_json)


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """pegboard's ``make_app`` with only this folder's tool packages."""

    def factory(config: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("plugins", PLUGINS)
        kwargs.setdefault("discover", False)
        return make_app(config, **kwargs)

    return factory


def decode_body(encoding: str | None, body: bytes) -> bytes:
    """Undo a Content-Encoding the way an HTTP client library does."""
    if encoding in (None, "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        out: bytes = brotli.decompress(body)
        return out
    if encoding == "zstd":
        # Streamed frames carry no content size, so read them as a stream.
        reader = zstandard.ZstdDecompressor().stream_reader(body)
        return reader.read()
    raise AssertionError(f"unexpected Content-Encoding {encoding!r}")


@pytest.fixture
def decode() -> Callable[[str | None, bytes], bytes]:
    return decode_body


def _httplint() -> Any:
    try:
        import httplint
    except ImportError as exc:  # the dev group must list httplint
        reason = f"httplint is not installed: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
        pytest.skip(reason)
    return httplint


@pytest.fixture
def lint() -> Callable[..., list[str]]:
    """``lint(result, method=..., request_headers=...)``: httplint's BAD notes, as text."""
    httplint = _httplint()
    from httplint.note import levels

    def run(
        result: Any, method: str = "GET", request_headers: Iterable[tuple[str, str]] = ()
    ) -> list[str]:
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
        response.process_headers([(k.encode(), v.encode("latin-1")) for k, v in lines])
        response.feed_content(result.body)
        response.finish_content(True)
        return [
            f"{note.subject}: {note.summary}" for note in response.notes if note.level == levels.BAD
        ]

    return run
