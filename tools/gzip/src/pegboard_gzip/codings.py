"""The content codings the tool can produce: gzip, deflate, br and zstd.

A :class:`Coding` compresses a whole body at once or hands out a
:class:`StreamCompressor` that compresses chunk by chunk, flushing after
each chunk so that a client sees every chunk as soon as it is sent.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
import zlib
from collections.abc import Callable
from typing import Any, Protocol

__all__ = [
    "ALL_CODINGS",
    "Coding",
    "StreamCompressor",
    "available_codings",
    "make_coding",
    "missing_extra",
    "zlib_module",
]

#: Every coding the tool knows, in its default order of preference.
ALL_CODINGS: tuple[str, ...] = ("zstd", "br", "gzip", "deflate")

# The module each optional coding needs, and the extra that installs it.
_OPTIONAL: dict[str, tuple[str, str]] = {"br": ("brotli", "brotli"), "zstd": ("zstandard", "zstd")}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available_codings() -> tuple[str, ...]:
    """The codings usable in this environment, in the default order of preference."""
    return tuple(
        name for name in ALL_CODINGS if name not in _OPTIONAL or _installed(_OPTIONAL[name][0])
    )


def missing_extra(name: str) -> str | None:
    """The extra to install for coding ``name``, or None when it is usable."""
    needed = _OPTIONAL.get(name)
    if needed is None or _installed(needed[0]):
        return None
    return needed[1]


class StreamCompressor(Protocol):
    """Compresses one response body chunk by chunk."""

    def chunk(self, data: bytes) -> bytes:
        """Compress ``data`` and flush, so the output decodes up to here."""

    def finish(self) -> bytes:
        """The end of the compressed stream."""


class Coding:
    """One content coding with its level bound: ``compress()`` and ``stream()``."""

    __slots__ = ("_stream", "compress", "name")

    def __init__(
        self,
        name: str,
        compress: Callable[[bytes], bytes],
        stream: Callable[[], StreamCompressor],
    ) -> None:
        self.name = name
        #: ``compress(data)``: the whole of ``data``, compressed. PERF: the function
        #: itself, not a method around it: one call less per response.
        self.compress = compress
        self._stream = stream

    def stream(self) -> StreamCompressor:
        """A fresh compressor for one streamed body."""
        return self._stream()

    def __repr__(self) -> str:
        return f"<Coding {self.name}>"


def zlib_module(level: int) -> Any:
    """The zlib implementation used at ``level``: zlib-ng's when installed, for levels 2-9.

    PERF: zlib-ng (the ``fast`` extra) writes the same formats. Measured on
    this repository's docs and sources it is 10-40 % faster than zlib at
    levels 2-9, with output as small or smaller; at level 1 it is twice as
    fast but 25 % larger, so levels 0 and 1 keep zlib and their meaning.
    """
    if 2 <= level <= 9 and _installed("zlib_ng"):
        from zlib_ng import zlib_ng

        return zlib_ng
    return zlib


class _ZlibStream:
    """gzip (wbits 31) or zlib-wrapped deflate (wbits 15), synced after each chunk."""

    __slots__ = ("_obj",)

    def __init__(self, level: int, wbits: int) -> None:
        self._obj = zlib_module(level).compressobj(level, zlib.DEFLATED, wbits)

    def chunk(self, data: bytes) -> bytes:
        out: bytes = self._obj.compress(data) + self._obj.flush(zlib.Z_SYNC_FLUSH)
        return out

    def finish(self) -> bytes:
        out: bytes = self._obj.flush(zlib.Z_FINISH)
        return out


class _BrotliStream:
    __slots__ = ("_obj",)

    def __init__(self, quality: int) -> None:
        import brotli  # untyped: the project's mypy config ignores its missing stubs

        self._obj = brotli.Compressor(quality=quality)

    def chunk(self, data: bytes) -> bytes:
        out: bytes = self._obj.process(data) + self._obj.flush()
        return out

    def finish(self) -> bytes:
        out: bytes = self._obj.finish()
        return out


class _ZstdStream:
    __slots__ = ("_flush_block", "_obj")

    def __init__(self, compressor: Any, flush_block: int) -> None:
        self._obj = compressor.compressobj()
        self._flush_block = flush_block

    def chunk(self, data: bytes) -> bytes:
        out: bytes = self._obj.compress(data) + self._obj.flush(self._flush_block)
        return out

    def finish(self) -> bytes:
        out: bytes = self._obj.flush()
        return out


def _zlib_coding(name: str, level: int, wbits: int) -> Coding:
    # mtime 0 in the gzip header (zlib writes 0): equal bodies give equal bytes.
    # PERF: a partial of the C function, no Python frame per response.
    compress = functools.partial(zlib_module(level).compress, level=level, wbits=wbits)
    return Coding(name, compress, lambda: _ZlibStream(level, wbits))


def _brotli_coding(quality: int) -> Coding:
    import brotli

    def compress(data: bytes) -> bytes:
        out: bytes = brotli.compress(data, quality=quality)
        return out

    return Coding("br", compress, lambda: _BrotliStream(quality))


def _zstd_coding(level: int) -> Coding:
    import zstandard

    # PERF: a ZstdCompressor holds a compression context that is costly to
    # create and must not be shared between threads, so each thread keeps one.
    local = threading.local()

    def compressor() -> Any:
        found = getattr(local, "compressor", None)
        if found is None:
            found = local.compressor = zstandard.ZstdCompressor(level=level)
        return found

    def compress(data: bytes) -> bytes:
        out: bytes = compressor().compress(data)
        return out

    def stream() -> StreamCompressor:
        # A stream outlives the call that starts it, so it gets its own context.
        return _ZstdStream(zstandard.ZstdCompressor(level=level), zstandard.COMPRESSOBJ_FLUSH_BLOCK)

    return Coding("zstd", compress, stream)


def make_coding(name: str, *, compress_level: int, br_quality: int, zstd_level: int) -> Coding:
    """The :class:`Coding` called ``name`` with its level set (at start-up, once)."""
    if name == "gzip":
        return _zlib_coding("gzip", compress_level, 31)
    if name == "deflate":
        return _zlib_coding("deflate", compress_level, 15)
    if name == "br":
        return _brotli_coding(br_quality)
    if name == "zstd":
        return _zstd_coding(zstd_level)
    raise ValueError(f"unknown content coding {name!r}")
