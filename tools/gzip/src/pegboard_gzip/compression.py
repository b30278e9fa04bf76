"""The response side: negotiate early, compress in ``before_finalize``.

``ResponseCompression.negotiate`` (on_start_resource) picks the coding for
this request, keeps it in ``req.state.gzip`` and widens
``If-None-Match``/``If-Match`` so validators compare identity tags.
``ResponseCompression.compress`` (before_finalize) compresses the body or
wraps the stream, adds ``Vary: Accept-Encoding`` to every response it could
have compressed, and gives strong ETags a per-coding suffix (on a 304 too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pegboard import Request, Response, State
from pegboard.httputil import MediaTypeMatcher, parse_cache_control

from .codings import Coding, StreamCompressor
from .etags import add_suffix, identity_opaque, widen_condition
from .negotiation import Negotiator

__all__ = ["HELD_TAGS", "STATE", "CompressedStream", "ResponseCompression", "coding_of"]

#: ``req.state.gzip``: the coding chosen for this request (None: identity).
STATE = "gzip"
#: ``req.state.gzip_held_tags``: identity tags derived from suffixed ones the client sent.
HELD_TAGS = "gzip_held_tags"
_CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH")
_UNSET: Any = object()


def coding_of(req: Request) -> str | None:
    """The content coding the gzip tool chose for this request's response, or None.

    None means identity: no ``Accept-Encoding``, nothing acceptable offered,
    or the tool not on for this path. The response is compressed with it
    when its status, type and size allow (see the README).
    """
    found: str | None = req.state.get(STATE)
    return found


def _widen_conditions(environ: dict[str, Any], coding: str, state: State) -> None:
    """Add the identity tag beside each ``-coding`` tag in If-None-Match/If-Match.

    The identity tags so derived are kept in ``req.state.gzip_held_tags``, so
    that a 304 can give the client back the tag it holds.
    """
    held: frozenset[str] = frozenset()
    for key in _CONDITIONS:
        value = environ.get(key)
        if value:
            widened, derived = widen_condition(value, coding)
            if derived:
                environ[key] = widened
                held |= derived
    if held:
        state.gzip_held_tags = held


def _declared_below(length: str | None, limit: int) -> bool:
    """Whether a stream's declared Content-Length is a number below ``limit``.

    Anything else (absent, Unicode digits, more digits than int() takes) is
    no reason to leave the stream uncompressed.
    """
    if length is None or not length.isascii() or not length.isdigit() or len(length) > 18:
        return False
    return int(length) < limit


class ResponseCompression:
    """What one compiled plan needs to compress responses; its hooks are the bound methods.

    Built once in ``attach``: the negotiator, the codings with their levels,
    the media type matcher. PERF: a bound method is stored in the plan as it
    is, so a hook costs one call with nothing to unpack.
    """

    __slots__ = ("codings", "media", "min_size", "negotiator")

    def __init__(
        self,
        negotiator: Negotiator,
        codings: Mapping[str, Coding],
        media: MediaTypeMatcher,
        min_size: int,
    ) -> None:
        self.negotiator = negotiator
        self.codings = dict(codings)
        self.media = media
        self.min_size = min_size

    def negotiate(self, req: Request, resp: Response) -> None:
        """Choose the coding now and widen the conditional headers for it."""
        environ = req.environ
        header = environ.get("HTTP_ACCEPT_ENCODING")
        if header is None:
            return  # PERF: nothing to choose, nothing to keep
        # PERF: the negotiator's answers read here, one call fewer for a value seen before.
        coding = self.negotiator.answers.get(header, _UNSET)
        if coding is _UNSET:
            coding = self.negotiator.choose(header)
        state = req.state
        state.gzip = coding
        # PERF: most requests carry no condition: two lookups, no loop.
        if coding is not None and ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MATCH" in environ):
            _widen_conditions(environ, coding, state)

    def compress(self, req: Request, resp: Response) -> None:
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
            self._not_modified(req, resp, content_type)
            return
        # The core sends text/html when nothing set a type.
        if not self.media.matches(content_type or "text/html"):
            return
        cache_control = headers.get("Cache-Control")
        if cache_control is not None and parse_cache_control(cache_control).no_transform:
            return
        headers.add_vary("Accept-Encoding")
        if status == 206 or req.method == "HEAD":
            return
        # PERF: _coding() inlined: negotiate() kept the choice in req.state when the
        # client sent Accept-Encoding.
        header = req.environ.get("HTTP_ACCEPT_ENCODING")
        if header is None:
            return
        # PERF: getattr() reads State's instance dict directly; State.get() is a call more.
        name: str | None = getattr(req.state, STATE, _UNSET)
        if name is _UNSET:  # negotiate did not run (an error answered before it)
            name = self.negotiator.choose(header)
        if name is None:
            return
        if resp.stream is not None:
            if not self._compress_stream(resp, name):
                return
        else:
            body = resp.body
            if len(body) < self.min_size or not body:
                return
            compressed = self.codings[name].compress(body)
            resp.set_body(compressed)  # PERF: the method itself, not the property around it
            # PERF: trusted writes: a number, and a coding name from our own list.
            headers.set_trusted("Content-Length", str(len(compressed)), "content-length")
        headers.set_trusted("Content-Encoding", name, "content-encoding")
        # Byte ranges of the identity body do not apply to this one.
        headers.pop("Accept-Ranges")
        etag = headers.get("ETag")
        if etag is not None:
            # The tag was checked when it was set; the suffix is a coding name.
            headers.set_trusted("ETag", add_suffix(etag, name), "etag")

    def _compress_stream(self, resp: Response, name: str) -> bool:
        """Wrap a streamed body in a compressor; False when it declares itself too short."""
        headers = resp.headers
        if _declared_below(headers.get("Content-Length"), self.min_size):
            return False
        assert resp.stream is not None
        resp.stream = CompressedStream(resp.stream, self.codings[name].stream())
        headers.pop("Content-Length")
        return True

    def _not_modified(self, req: Request, resp: Response, content_type: str | None) -> None:
        """A 304: vary as its 200 would, and give back the suffixed tag the client holds."""
        # A 304 carries no Content-Type when no handler ran: assume it could have.
        if content_type is None or self.media.matches(content_type):
            resp.headers.add_vary("Accept-Encoding")
        self._restore_held_tag(req, resp)

    def _restore_held_tag(self, req: Request, resp: Response) -> None:
        """Give a 304 the suffixed tag the client holds when it matched in identity form."""
        if req.environ.get("HTTP_ACCEPT_ENCODING") is None:
            return  # PERF: negotiate chose nothing, so nothing was widened
        state = req.state
        held: frozenset[str] | None = state.get(HELD_TAGS)
        if not held:
            return
        etag = resp.headers.get("ETag")
        name: str | None = state.get(STATE)
        if etag is not None and name and identity_opaque(etag) in held:
            resp.headers.set_trusted("ETag", add_suffix(etag, name), "etag")


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
