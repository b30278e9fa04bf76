"""The request body: a file-like reader that enforces the size limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from .errors import HTTPError

__all__ = ["RequestBody"]

_CHUNK = 64 * 1024


class RequestBody:
    """File-like access to the request body, never reading past its end or the limit.

    ``read()`` streams; ``bytes`` reads the whole body once and keeps it, so
    several readers (a form parser, a digest check, the handler) see the same
    bytes. A body larger than ``limit`` raises a 413 ``HTTPError``.

    ``replayable`` bodies are read whole at the first read of any kind, so that
    the whole body can be handed on afterwards (to a wrapped WSGI app, which
    reads ``wsgi.input`` itself after tools read the body).
    """

    __slots__ = ("_buffer", "_consumed", "_length", "_limit", "_pos", "_replayable", "_stream")

    def __init__(
        self, stream: IO[bytes], length: int | None, limit: int, replayable: bool = False
    ) -> None:
        self._stream = stream
        self._replayable = replayable
        # None: length unknown (chunked request, wsgi.input_terminated)
        self._length = length
        self._limit = limit
        self._consumed = 0
        self._buffer: bytes | None = None
        self._pos = 0
        if length is not None and length > limit:
            raise HTTPError(413, f"The request body is larger than {limit} bytes.")

    @property
    def length(self) -> int | None:
        """The declared Content-Length, or None when the body is chunked."""
        return self._length

    def _remaining(self) -> int:
        if self._length is not None:
            return self._length - self._consumed
        return self._limit + 1 - self._consumed

    def _raw_read(self, size: int) -> bytes:
        remaining = self._remaining()
        if remaining <= 0:
            return b""
        size = remaining if size < 0 else min(size, remaining)
        data = self._stream.read(size) if size else b""
        self._consumed += len(data)
        if self._length is None and self._consumed > self._limit:
            raise HTTPError(413, f"The request body is larger than {self._limit} bytes.")
        if self._length is not None and len(data) < size and not data:
            raise HTTPError(400, "The request body ended before its Content-Length.")
        return data

    @property
    def started(self) -> bool:
        """Whether anything has read the body yet."""
        return self._consumed > 0 or self._buffer is not None

    def _keep_whole(self) -> None:
        # A replayable body: read all of it once, so that every later reader starts at 0.
        self._replayable = False
        _ = self.bytes

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left when negative)."""
        if self._replayable:
            self._keep_whole()
        if self._buffer is not None:
            end = len(self._buffer) if size < 0 else self._pos + size
            out = self._buffer[self._pos : end]
            self._pos += len(out)
            return out
        if size < 0:
            chunks = []
            while True:
                chunk = self._raw_read(_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        return self._raw_read(size)

    def readline(self, size: int = -1) -> bytes:
        """Read one line (through ``\\n``), at most ``size`` bytes."""
        data = self.bytes
        end = data.find(b"\n", self._pos)
        end = len(data) if end < 0 else end + 1
        if size >= 0:
            end = min(end, self._pos + size)
        out = data[self._pos : end]
        self._pos = end
        return out

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    @property
    def bytes(self) -> bytes:
        """The whole body (read once, then kept)."""
        if self._buffer is None:
            self._buffer = self.read()
            self._pos = 0
        return self._buffer

    def rewind(self) -> None:
        """Let the next ``read()`` start again from the beginning of the body."""
        _ = self.bytes
        self._pos = 0

    def as_stream(self) -> Any:
        """A file-like object over the body for parsers that read it themselves."""
        if self._replayable:
            self._keep_whole()
        if self._buffer is not None:
            import io

            return io.BytesIO(self._buffer[self._pos :])
        return self
