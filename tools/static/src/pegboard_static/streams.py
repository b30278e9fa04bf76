"""Opening files safely and streaming them (or parts of them) in 64 KiB reads."""

from __future__ import annotations

import os
import stat
from collections.abc import Generator, Sequence
from typing import IO, Any, Protocol

__all__ = ["CHUNK_SIZE", "FileChunks", "Readable", "file_stream", "open_regular"]

CHUNK_SIZE = 64 * 1024

# O_NOFOLLOW: the path was resolved already, a symlink appearing now is a swap.
# O_NONBLOCK: opening a FIFO planted in the folder must not hang the worker
# (it is then refused); on a regular file the flag changes nothing.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class Readable(Protocol):
    """What a streamed body needs from a file: read, seek and close."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, pos: int, whence: int = 0, /) -> int: ...

    def close(self) -> None: ...


def open_regular(path: str) -> tuple[IO[bytes], os.stat_result] | None:
    """Open ``path`` for reading if it is (still) a regular file; its fstat with it.

    Returns None when it vanished, is a symlink, a folder or a device.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb", buffering=0), st
    except BaseException:
        os.close(fd)
        raise


class FileChunks:
    """An iterable response body: literal bytes and byte ranges of one open file.

    The file is read in ``CHUNK_SIZE`` pieces, never whole, and closed by
    ``close()`` (the server or the core calls it, also when the client went
    away early) or when the last piece was sent. A file that shrank while
    being sent raises, so the server aborts the connection instead of
    sending fewer bytes than ``Content-Length`` promised.
    """

    __slots__ = ("_file", "_pieces")

    def __init__(self, file: Readable, pieces: Sequence[bytes | tuple[int, int]]) -> None:
        self._file: Readable | None = file
        self._pieces: Generator[bytes, None, None] = self._generate(file, pieces)

    @staticmethod
    def _generate(
        file: Readable, pieces: Sequence[bytes | tuple[int, int]]
    ) -> Generator[bytes, None, None]:
        read = file.read
        for piece in pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            first, last = piece
            file.seek(first)
            remaining = last - first + 1
            while remaining > 0:
                data = read(CHUNK_SIZE if remaining > CHUNK_SIZE else remaining)
                if not data:
                    raise OSError(f"the file shrank while it was sent ({remaining} bytes missing)")
                remaining -= len(data)
                yield data

    def __iter__(self) -> FileChunks:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._pieces)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            self._pieces.close()
            file.close()


def file_stream(file: Readable, size: int, environ: dict[str, Any]) -> Any:
    """The body for a whole file: the server's ``wsgi.file_wrapper`` if it has one.

    PERF: the core hands the server's own wrapper object back untouched, so
    a server with sendfile support sends the file without copying it
    through Python. Otherwise 64 KiB reads.
    """
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None:
        return wrapper(file, CHUNK_SIZE)
    return FileChunks(file, ((0, size - 1),))
