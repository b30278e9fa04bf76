"""The ``encode`` tool: text responses in the charset the client accepts (Accept-Charset).

pegboard turns a ``str`` returned by a handler into UTF-8 and says so in
``Content-Type``, and labels a body without a type ``text/html;
charset=utf-8``; ``encode`` transcodes such text into the charset the client
prefers, or answers 406 when it accepts none the body can be sent in.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pegboard
import pegboard.httputil as httputil
from pegboard.httputil import HeaderError

from ._charsets import Candidate, checked_labels, declared_charset, with_charset

__all__ = ["EncodeOptions", "EncodeTool"]

#: What the core labels a body that has no Content-Type when the response goes out.
_CORE_DEFAULT_TYPE = "text/html; charset=utf-8"


class EncodeOptions(pegboard.ToolOptions):
    """Options of the ``encode`` tool."""

    encoding: str | None = pegboard.option(
        default=None, doc="force this charset (406 if the client's Accept-Charset refuses it)"
    )
    default_encoding: str = pegboard.option(
        default="utf-8", doc="the charset without Accept-Charset, and what `*` stands for"
    )
    errors: str = pegboard.option(
        default="strict", doc="the codec error handler (replace, xmlcharrefreplace, ...)"
    )
    text_only: bool = pegboard.option(
        default=True, doc="only text/* bodies; false: also other types that declare a charset"
    )
    add_charset: bool = pegboard.option(
        default=True, doc="add charset= to a text/* type that has none"
    )

    def __post_init__(self) -> None:
        checked_labels(self.encoding, "encoding")
        checked_labels(self.default_encoding, "default_encoding")
        try:
            codecs.lookup_error(self.errors)
        except LookupError:
            raise pegboard.OptionError(
                "errors",
                f"{self.errors!r} is not an error handler "
                "(strict, replace, xmlcharrefreplace, ...)",
            ) from None


@dataclass(frozen=True, slots=True)
class _Settings:
    forced: Candidate | None
    default: Candidate
    errors: str
    text_only: bool
    add_charset: bool


class EncodeTool(pegboard.Tool[EncodeOptions]):
    """Encode text responses in a charset the client accepts (Accept-Charset).

    Without ``encoding`` the client's preference wins among the charsets it
    lists (``*`` stands for ``default_encoding``); without an Accept-Charset
    header ``default_encoding`` is used. ``encoding`` forces one charset (406
    if the client refuses it). A body that cannot be encoded in a charset
    tries the next one; none left is a 406. ``Vary: Accept-Charset`` is added.
    """

    hooks = (
        pegboard.HookDoc(
            "before_finalize",
            65,
            "transcodes text into the client's charset, before etags (each charset its own ETag)",
        ),
    )

    def __init__(self) -> None:
        super().__init__("encode", point="before_finalize", priority=65)

    def attach(self, plan: pegboard.PlanBuilder, options: EncodeOptions) -> None:
        forced = checked_labels(options.encoding, "encoding")
        settings = _Settings(
            forced[0] if forced else None,
            checked_labels(options.default_encoding, "default_encoding")[0],
            options.errors,
            options.text_only,
            options.add_charset,
        )
        plan.add("before_finalize", _encode, self.priority, args=(settings,))


@functools.lru_cache(maxsize=256)
def _candidates(
    header: str | None, forced: Candidate | None, default: Candidate
) -> tuple[Candidate, ...]:
    """Acceptable ``(label, codec)`` pairs, most preferred first. Raises HeaderError.

    PERF: a pure function of a header that clients repeat; the answer is kept
    (bounded). A malformed header raises, and is not kept.
    """
    if header is None or not header.strip():
        return (forced or default,)
    by_codec: dict[str, float] = {}
    ranked: list[tuple[float, int, str, str]] = []
    star: float | None = None
    for index, item in enumerate(httputil.parse_accept_charset(header).items):
        if item.value == "*":
            star = item.q if star is None else star
            continue
        codec = httputil.charset_codec(item.value)
        if codec is None or codec in by_codec:
            continue  # a charset we cannot produce, or a repeat: the first one counts
        by_codec[codec] = item.q
        ranked.append((item.q, index, item.value, codec))
    if forced is not None:
        q = by_codec.get(forced[1], star or 0.0)
        return (forced,) if q > 0 else ()
    if star and default[1] not in by_codec:
        # "*" stands for the default charset, ranked after those listed with the same q
        ranked.append((star, len(ranked) + 1000, *default))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return tuple((label, codec) for q, _, label, codec in ranked if q > 0)


def _encode(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    headers = resp.headers
    if "Content-Encoding" in headers:
        return
    ctype = headers.get("Content-Type")
    if ctype is None:
        if resp.status in httputil.NO_BODY_STATUSES:
            return
        # The core will label this body text/html; charset=utf-8 (bytes returned
        # without a type): it is UTF-8 text, so the client's charsets apply.
        ctype = _CORE_DEFAULT_TYPE
    is_text = ctype[:5].lower() == "text/"
    if settings.text_only and not is_text:
        return
    try:
        declared = declared_charset(ctype)
    except HeaderError:
        return  # a Content-Type we cannot read: its bytes are left alone
    if declared is None and not (settings.add_charset and is_text):
        return  # a body with no declared charset that is not text: bytes we must not touch
    source = httputil.charset_codec(declared or "utf-8")
    if source is None:
        return  # the handler declared a charset we do not know; leave its bytes alone
    headers.add_vary("Accept-Charset")
    header = req.headers.get("Accept-Charset")
    try:
        candidates = _candidates(header, settings.forced, settings.default)
    except HeaderError as exc:
        if resp.status >= 400:
            return  # an error response stays as it is
        raise pegboard.HTTPError(400, f"Malformed Accept-Charset header: {exc}.") from None
    if resp.stream is not None:
        if candidates:
            # A stream cannot be re-encoded after a failure: prefer a Unicode charset.
            unicode = [c for c in candidates if c[1].startswith("utf-")]
            label, codec = unicode[0] if unicode else candidates[0]
            if codec != source:
                headers.pop("Content-Length")
                resp.stream = _Transcoder(resp.stream, source, codec, settings.errors)
            headers["Content-Type"] = with_charset(ctype, label)
            return
    else:
        chosen = _encode_body(resp, source, candidates, settings.errors)
        if chosen is not None:
            headers["Content-Type"] = with_charset(ctype, chosen)
            return
    if resp.status >= 400:
        return  # never replace an error with a 406; it stays in its own charset
    said = f"this Accept-Charset header: {header}" if header else "no Accept-Charset header"
    if settings.forced is not None and not candidates:
        sent = f"This resource is only sent in {settings.forced[0]}."
    else:
        sent = f"Charsets tried: {', '.join(label for label, _ in candidates) or 'none'}."
    raise pegboard.HTTPError(406, f"Your client sent {said}. {sent}")


def _encode_body(
    resp: pegboard.Response, source: str, candidates: tuple[Candidate, ...], errors: str
) -> str | None:
    """Re-encode the buffered body in the first candidate that can hold it; its label.

    A body that is not valid in its own charset cannot be transcoded: it goes
    out as it is if the client accepts that charset, else None (406).
    """
    body = resp.body
    text: str | None = None
    for label, codec in candidates:
        if codec == source:
            return label  # PERF: already in this charset, nothing to do
        if text is None:
            try:
                text = body.decode(source)
            except UnicodeDecodeError:
                return next((lab for lab, cod in candidates if cod == source), None)
        try:
            encoded = text.encode(codec, errors)
        except UnicodeEncodeError:
            continue
        resp.headers.pop("Content-Length")
        resp.set_body(encoded)
        return label
    return None


class _Transcoder:
    """A stream re-encoded chunk by chunk; closing it closes the original."""

    def __init__(self, stream: Iterable[Any], source: str, target: str, errors: str) -> None:
        self._stream = stream
        self._chunks = self._run(iter(stream), source, target, errors)

    @staticmethod
    def _run(chunks: Iterator[Any], source: str, target: str, errors: str) -> Iterator[bytes]:
        decoder = codecs.getincrementaldecoder(source)()
        encoder = codecs.getincrementalencoder(target)(errors)
        for chunk in chunks:
            data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
            out = encoder.encode(decoder.decode(data))
            if out:
                yield out
        tail = encoder.encode(decoder.decode(b"", final=True), final=True)
        if tail:
            yield tail

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()
