"""Answering a request with one file: validators, preconditions, ranges, encodings, streaming.

Everything that serves a file goes through ``send_file`` (staticdir,
staticfile, ``serve_file``) or ``send_fileobj`` (``serve_fileobj``), so the
HTTP rules live in one place.
"""

from __future__ import annotations

import os
import re
import stat
import time
import unicodedata
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import quote

from pegboard import HTTPError, NotFound, Request, Response
from pegboard.httputil import (
    NOT_MODIFIED,
    PRECONDITION_FAILED,
    format_unsatisfied_range,
    if_range_matches,
    parse_range,
)

from .mediatypes import MediaTypes
from .negotiation import CODINGS, ranked_codings, worth_compressing
from .ranges import plan_multipart
from .safepath import inside
from .streams import CHUNK_SIZE, FileChunks, Readable, file_stream, open_regular
from .validators import evaluate, file_etag, http_date

__all__ = ["ServeSettings", "content_disposition", "send_file", "send_fileobj"]

#: Cache-Control for names that carry a content hash: a year, never revalidated.
IMMUTABLE = "max-age=31536000, immutable"

_SUFFIX = dict(CODINGS)
_ETAG_SUFFIX = {"br": ".br", "zstd": ".zst", "gzip": ".gz"}
# RFC 9110 section 15.4.5: a 304 repeats ETag, Vary and Cache-Control of the 200
# it stands for, but no other representation metadata. Headers that are not
# about the representation (security headers from config, CORS) stay.
_NOT_ON_304 = (
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Content-Range",
    "Content-Disposition",
    "Content-Language",
    "Last-Modified",
    "Accept-Ranges",
)
# RFC 8187 attr-char beyond letters and digits (quote() keeps "_.-~" itself).
_ATTR_CHARS = "!#$&+^`|"
_UNSAFE_FALLBACK = re.compile(r'[^\x20-\x7e]|["\\%]')


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """How files are answered: derived from a tool's options once, in ``attach``.

    It holds what saves work per request (the extension table with charsets
    appended, the compiled immutable pattern, the ``max-age`` header value)
    and is what ``serve_file`` uses too, with the defaults.
    """

    media_types: MediaTypes = field(default_factory=MediaTypes)
    #: the Cache-Control value for names the immutable pattern does not find
    max_age_header: str | None = None
    immutable: re.Pattern[str] | None = None
    precompressed: bool = False
    follow_symlinks: bool = False
    #: siblings (``app.js.br``) must resolve inside this folder unless follow_symlinks
    root: str | None = None

    def cache_control(self, name: str) -> str | None:
        if self.immutable is not None and self.immutable.search(name):
            return IMMUTABLE
        return self.max_age_header


DEFAULT_SETTINGS = ServeSettings()


def content_disposition(kind: str, name: str) -> str:
    """``attachment; filename="..."`` with an RFC 6266 ``filename*`` for non-ASCII names.

    The plain ``filename`` is an ASCII stand-in (accents stripped, anything
    else replaced by ``_``) for clients that ignore ``filename*``.
    """
    fallback = "".join(_ascii_stand_in(ch) for ch in name) or "download"
    if fallback == name:
        return f'{kind}; filename="{name}"'
    encoded = quote(name, safe=_ATTR_CHARS)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _last_modified(st: os.stat_result) -> int:
    # RFC 9110 section 8.8.2.1: never a Last-Modified later than the response's Date.
    return min(int(st.st_mtime), int(time.time()))


def _ascii_stand_in(ch: str) -> str:
    base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    return base if base and not _UNSAFE_FALLBACK.search(base) else "_"


def _sibling(
    path: str, st: os.stat_result, codings: tuple[str, ...], settings: ServeSettings
) -> tuple[str | None, str]:
    """The first fresh precompressed sibling in ``codings`` order: ``(coding, path)``.

    ``(None, path)`` when there is none. A sibling older than the file is
    stale and ignored; one that is a symlink leading outside the root is
    ignored unless follow_symlinks.
    """
    for coding in codings:
        candidate = path + _SUFFIX[coding]
        try:
            sib = os.lstat(candidate)
        except OSError:
            continue
        if stat.S_ISLNK(sib.st_mode):
            real = os.path.realpath(candidate)
            root = settings.root
            if root is not None and not settings.follow_symlinks and not inside(real, root):
                continue
            try:
                sib = os.stat(real)
            except OSError:
                continue
            candidate = real
        if stat.S_ISREG(sib.st_mode) and sib.st_mtime_ns >= st.st_mtime_ns:
            return coding, candidate
    return None, path


def _not_modified(resp: Response) -> None:
    resp.status = 304
    headers = resp.headers
    for name in _NOT_ON_304:
        headers.pop(name)
    resp.set_body(None)


def _close(file: Readable | None) -> None:
    if file is not None:
        file.close()


def send_file(
    req: Request,
    resp: Response,
    path: str,
    settings: ServeSettings = DEFAULT_SETTINGS,
    *,
    content_type: str | None = None,
    disposition: str | None = None,
    st: os.stat_result | None = None,
) -> None:
    """Answer ``req`` with the regular file at ``path`` (already checked to be servable).

    ``st`` is its stat if the caller has it. Sets status, headers and
    ``resp.stream``; raises NotFound if the file is gone, HTTPError 412/416
    for failed preconditions or unsatisfiable ranges.
    """
    if st is None:
        try:
            st = os.stat(path)
        except OSError:
            raise NotFound(req.path) from None
    if not stat.S_ISREG(st.st_mode):
        raise NotFound(req.path)
    name = os.path.basename(path)
    varies = settings.precompressed and worth_compressing(name)
    coding: str | None = None
    chosen = path
    if varies:
        # PERF: only the siblings this client accepts are looked for, best first.
        codings = ranked_codings(req.environ.get("HTTP_ACCEPT_ENCODING"))
        if codings:
            coding, chosen = _sibling(path, st, codings, settings)
    file: IO[bytes] | None = None
    if req.method == "HEAD":
        chosen_st = st
        if coding is not None:
            try:
                chosen_st = os.stat(chosen)
            except OSError:  # the sibling vanished: describe the file itself
                coding, chosen = None, path
    else:
        opened = open_regular(chosen)
        if opened is None and coding is not None:  # the sibling vanished: send the file itself
            coding, chosen = None, path
            opened = open_regular(path)
        if opened is None:
            raise NotFound(req.path)
        file, chosen_st = opened
    try:
        headers = resp.headers
        if varies:
            if "Vary" in headers:
                headers.add_vary("Accept-Encoding")
            else:  # PERF: the common case needs no parsing
                headers.set_trusted("Vary", "Accept-Encoding", "vary")
        if coding is not None:
            headers.set_trusted("Content-Encoding", coding, "content-encoding")
        ctype = content_type or settings.media_types.for_name(name)
        _respond(
            req,
            resp,
            file,
            size=chosen_st.st_size,
            etag=file_etag(chosen_st, _ETAG_SUFFIX[coding] if coding else ""),
            mtime=_last_modified(chosen_st),
            content_type=ctype,
            cache_control=settings.cache_control(name),
            disposition=disposition,
        )
    except BaseException:
        _close(file)
        raise


def send_fileobj(
    req: Request,
    resp: Response,
    fileobj: IO[bytes],
    *,
    content_type: str,
    disposition: str | None = None,
) -> None:
    """Answer ``req`` with an open binary file object from its current position; closes it.

    A real file (``fileno()``) read from its start gets validators from
    ``fstat``; any seekable object gets ranges; anything else is streamed as
    it comes, with ``Accept-Ranges: none`` and no Content-Length.
    """
    head = req.method == "HEAD"
    try:
        size, start, etag, mtime = _describe(fileobj)
    except BaseException:
        fileobj.close()
        raise
    if size is None:
        headers = resp.headers
        headers["Content-Type"] = content_type
        headers["Accept-Ranges"] = "none"
        headers["X-Content-Type-Options"] = "nosniff"
        if disposition:
            headers["Content-Disposition"] = disposition
        if head:
            fileobj.close()
        else:
            resp.stream = _UnsizedChunks(fileobj)
        return
    body: Readable = fileobj if start == 0 else _Offset(fileobj, start)
    try:
        _respond(
            req,
            resp,
            None if head else body,
            size=size,
            etag=etag,
            mtime=mtime,
            content_type=content_type,
            cache_control=None,
            disposition=disposition,
            wrap=start == 0,
        )
    except BaseException:
        fileobj.close()
        raise
    if head:
        fileobj.close()


def _describe(fileobj: IO[bytes]) -> tuple[int | None, int, str | None, int | None]:
    """``(size from the current position, position, etag, mtime)``; size None if unknown."""
    seekable = bool(getattr(fileobj, "seekable", lambda: False)())
    if not seekable:
        return None, 0, None, None
    start = fileobj.tell()
    try:
        st: os.stat_result | None = os.fstat(fileobj.fileno())
    except (AttributeError, OSError, ValueError):
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        if start == 0:
            return st.st_size, 0, file_etag(st), _last_modified(st)
        return max(0, st.st_size - start), start, None, None
    end = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(start)
    return max(0, end - start), start, None, None


def _respond(
    req: Request,
    resp: Response,
    file: Readable | None,
    *,
    size: int,
    etag: str | None,
    mtime: int | None,
    content_type: str,
    cache_control: str | None,
    disposition: str | None,
    wrap: bool = True,
) -> None:
    """Validators, preconditions, then 200/206/304/412/416 with the right body.

    PERF: the headers this module builds itself (hex tags, dates, numbers,
    constants) are trusted writes; what a handler passed in (a Content-Type,
    a disposition) is checked.
    """
    env = req.environ
    headers = resp.headers
    if etag is not None:
        headers.set_trusted("ETag", etag, "etag")
    if cache_control is not None:
        headers.set_trusted("Cache-Control", cache_control, "cache-control")
    outcome = evaluate(env, req.method, etag, mtime)
    if outcome == PRECONDITION_FAILED:
        _close(file)
        raise HTTPError(412, "A precondition of the request does not hold.")
    if outcome == NOT_MODIFIED:
        _close(file)
        _not_modified(resp)
        return
    if mtime is not None:
        headers.set_trusted("Last-Modified", http_date(mtime), "last-modified")
    headers["Content-Type"] = content_type
    headers.set_trusted("Accept-Ranges", "bytes", "accept-ranges")
    headers.set_trusted("X-Content-Type-Options", "nosniff", "x-content-type-options")
    if disposition:
        headers["Content-Disposition"] = disposition
    if file is None:  # HEAD: the length of what GET would send, no file opened
        headers.set_trusted("Content-Length", str(size), "content-length")
        resp.set_body(None)
        return
    ranges = None
    range_header = env.get("HTTP_RANGE")
    if range_header is not None:
        if_range = env.get("HTTP_IF_RANGE")
        if if_range is None or if_range_matches(if_range, etag, mtime):
            ranges = parse_range(range_header, size)
    if ranges == []:
        file.close()
        raise HTTPError(
            416,
            f"None of the requested ranges lies within the {size} bytes of this file.",
            headers={"Content-Range": format_unsatisfied_range(size), "Accept-Ranges": "bytes"},
        )
    if ranges is None:
        headers.set_trusted("Content-Length", str(size), "content-length")
        if size <= CHUNK_SIZE:
            # PERF: a file that fits in one chunk is one read, and the fd is
            # closed before the response goes out (no stream to drive).
            resp.set_body(_read_small(file, size))
        else:
            whole = ((0, size - 1),)
            resp.stream = file_stream(file, size, env) if wrap else FileChunks(file, whole)
        return
    resp.status = 206
    if len(ranges) == 1:
        first, last = ranges[0]
        # PERF: parse_range gave positions within the file: the plain form is exact.
        headers.set_trusted("Content-Range", f"bytes {first}-{last}/{size}", "content-range")
        headers.set_trusted("Content-Length", str(last - first + 1), "content-length")
        resp.stream = FileChunks(file, ranges)
        return
    layout = plan_multipart(ranges, size, content_type)
    headers["Content-Type"] = layout.content_type
    headers.set_trusted("Content-Length", str(layout.length), "content-length")
    resp.stream = FileChunks(file, layout.pieces)


def _read_small(file: Readable, size: int) -> bytes:
    """All of a file of at most CHUNK_SIZE bytes; it is closed afterwards."""
    parts = []
    remaining = size
    try:
        while remaining > 0:
            data = file.read(remaining)  # a raw read may return less than asked
            if not data:
                raise OSError(f"the file shrank while it was read ({remaining} bytes missing)")
            parts.append(data)
            remaining -= len(data)
    finally:
        file.close()
    return parts[0] if len(parts) == 1 else b"".join(parts)


class _Offset:
    """A file object seen from ``start`` on, so that ranges count from there."""

    def __init__(self, file: Readable, start: int) -> None:
        self._file = file
        self._start = start

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 0:
            return self._file.seek(self._start + pos) - self._start
        return self._file.seek(pos, whence) - self._start

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()


class _UnsizedChunks:
    """64 KiB reads from a file object of unknown length; closes it at the end."""

    def __init__(self, file: Readable) -> None:
        self._file = file

    def __iter__(self) -> _UnsizedChunks:
        return self

    def __next__(self) -> bytes:
        data = self._file.read(CHUNK_SIZE)
        if not data:
            self.close()
            raise StopIteration
        return data

    def close(self) -> None:
        self._file.close()
