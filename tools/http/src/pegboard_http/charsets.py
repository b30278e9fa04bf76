"""The ``encode`` and ``decode`` tools: response charsets (Accept-Charset) and form charsets.

pegboard turns a ``str`` returned by a handler into UTF-8 and says so in
``Content-Type``; ``encode`` transcodes such text responses into the
charset the client prefers. ``decode`` tells the form parser which charset
an urlencoded or multipart body uses when the client did not say.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote

import multipart

import pegboard

from ._config import with_defaults
from .qvalues import MalformedHeader, parse_weighted

__all__ = ["DecodeTool", "EncodeTool", "codec_name", "content_type_charset", "with_charset"]

# Codecs that are not charsets a client should be able to ask for: UTF-7 is a
# known cross-site-scripting vector, the others are not character encodings.
_REFUSED = frozenset(
    {"utf-7", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}
)
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*(\"[^\"]*\"|[^;\s]*)", re.IGNORECASE)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def codec_name(label: str) -> str | None:
    """Python's canonical codec name for a charset label, or None if it is not one we serve."""
    try:
        info = codecs.lookup(label.strip())
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    return info.name


def content_type_charset(ctype: str) -> str | None:
    """The ``charset`` parameter of a Content-Type value, unquoted, or None."""
    match = _CHARSET_PARAM.search(ctype)
    if match is None:
        return None
    return match.group(1).strip('"') or None


def with_charset(ctype: str, charset: str) -> str:
    """``ctype`` with its charset parameter set to ``charset`` (replaced or added)."""
    if _CHARSET_PARAM.search(ctype):
        return _CHARSET_PARAM.sub(f"; charset={charset}", ctype, count=1)
    return f"{ctype.rstrip().rstrip(';')}; charset={charset}"


def _check_charsets(values: str | list[str] | None, section: str, key: str) -> None:
    for label in [values] if isinstance(values, str) else values or []:
        if codec_name(label) is None:
            raise pegboard.ConfigError(
                f"{label!r} is not a charset pegboard can use", section=section, key=key
            )


# -- encode ------------------------------------------------------------------


class EncodeTool(pegboard.Tool):
    """Encode text responses in a charset the client accepts (Accept-Charset).

    Without ``encoding`` the client's preference wins among the charsets it
    lists (``*`` stands for ``default_encoding``); without an Accept-Charset
    header ``default_encoding`` is used. ``encoding`` forces one charset (406
    if the client refuses it). A body that cannot be encoded in a charset
    tries the next one; none left is a 406. ``Vary: Accept-Charset`` is added.
    """

    points = ("before_finalize",)

    def __init__(self) -> None:
        super().__init__("encode", point="before_finalize", priority=65)

    def check(self, options: dict[str, Any], section: str) -> None:
        values = with_defaults(self, options)
        _check_charsets(values["encoding"], section, "tools.encode.encoding")
        _check_charsets(values["default_encoding"], section, "tools.encode.default_encoding")
        try:
            codecs.lookup_error(values["errors"])
        except LookupError:
            raise pegboard.ConfigError(
                f"{values['errors']!r} is not an error handler "
                "(strict, replace, xmlcharrefreplace, ...)",
                section=section,
                key="tools.encode.errors",
            ) from None

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        encoding: str | None = None,
        default_encoding: str = "utf-8",
        errors: str = "strict",
        text_only: bool = True,
        add_charset: bool = True,
    ) -> None:
        plan.add(
            "before_finalize",
            _encode,
            self.priority,
            forced=encoding,
            default=default_encoding,
            errors=errors,
            text_only=text_only,
            add_charset=add_charset,
        )


def _candidates(header: str | None, forced: str | None, default: str) -> list[tuple[str, str]]:
    """Acceptable ``(label, codec)`` pairs, most preferred first. Raises MalformedHeader."""
    if header is None or not header.strip():
        label = forced or default
        return [(label, codec_name(label) or "utf-8")]
    by_codec: dict[str, float] = {}
    ranked: list[tuple[float, int, str, str]] = []
    star: float | None = None
    for index, element in enumerate(parse_weighted(header)):
        if element.value == "*":
            star = element.q if star is None else star
            continue
        codec = codec_name(element.value)
        if codec is None or codec in by_codec:
            continue  # a charset we cannot produce, or a repeat: the first one counts
        by_codec[codec] = element.q
        ranked.append((element.q, index, element.value, codec))
    if forced is not None:
        codec = codec_name(forced) or "utf-8"
        q = by_codec.get(codec, star or 0.0)
        return [(forced, codec)] if q > 0 else []
    default_codec = codec_name(default) or "utf-8"
    if star and default_codec not in by_codec:
        # "*" stands for the default charset, ranked after those listed with the same q
        ranked.append((star, len(ranked) + 1000, default, default_codec))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [(label, codec) for q, _, label, codec in ranked if q > 0]


def _encode(
    req: pegboard.Request,
    resp: pegboard.Response,
    forced: str | None,
    default: str,
    errors: str,
    text_only: bool,
    add_charset: bool,
) -> None:
    headers = resp.headers
    ctype = headers.get("Content-Type")
    if not ctype or "Content-Encoding" in headers:
        return
    is_text = ctype[:5].lower() == "text/"
    if text_only and not is_text:
        return
    declared = content_type_charset(ctype)
    if declared is None and not (add_charset and is_text):
        return  # a body with no declared charset that is not text: bytes we must not touch
    source = codec_name(declared or "utf-8")
    if source is None:
        return  # the handler declared a charset we do not know; leave its bytes alone
    headers.add_vary("Accept-Charset")
    try:
        candidates = _candidates(req.headers.get("Accept-Charset"), forced, default)
    except MalformedHeader as exc:
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
                resp.stream = _transcode(resp.stream, source, codec, errors)
            headers["Content-Type"] = with_charset(ctype, label)
            return
    else:
        chosen = _encode_body(resp, source, candidates, errors)
        if chosen is not None:
            headers["Content-Type"] = with_charset(ctype, chosen)
            return
    if resp.status >= 400:
        return  # never replace an error with a 406; it stays in its own charset
    header = req.headers.get("Accept-Charset")
    said = f"this Accept-Charset header: {header}" if header else "no Accept-Charset header"
    tried = ", ".join(label for label, _ in candidates) or "none"
    raise pegboard.HTTPError(406, f"Your client sent {said}. Charsets tried: {tried}.")


def _encode_body(
    resp: pegboard.Response, source: str, candidates: list[tuple[str, str]], errors: str
) -> str | None:
    """Re-encode the buffered body in the first candidate that can hold it; its label."""
    body = resp.body
    text: str | None = None
    for label, codec in candidates:
        if codec == source:
            return label  # PERF: already in this charset, nothing to do
        if text is None:
            try:
                text = body.decode(source)
            except UnicodeDecodeError:
                return None
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

    def __init__(self, stream: Iterable[bytes], source: str, target: str, errors: str) -> None:
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


def _transcode(stream: Iterable[bytes], source: str, target: str, errors: str) -> Iterable[bytes]:
    return _Transcoder(stream, source, target, errors)


# -- decode ------------------------------------------------------------------


class DecodeTool(pegboard.Tool):
    """Choose the charset of urlencoded and multipart form bodies.

    ``encoding`` (one or a list) is tried in order whatever the request
    declares; otherwise the declared charset is tried first, then
    ``default_encoding``. The first charset in which the form decodes
    cleanly is used; when none does, the answer is 400.
    """

    points = ("before_request_body",)

    def __init__(self) -> None:
        super().__init__("decode", point="before_request_body", priority=60)

    def check(self, options: dict[str, Any], section: str) -> None:
        values = with_defaults(self, options)
        _check_charsets(values["encoding"], section, "tools.decode.encoding")
        _check_charsets(values["default_encoding"], section, "tools.decode.default_encoding")

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        encoding: str | list[str] | None = None,
        default_encoding: str | list[str] = "utf-8",
    ) -> None:
        def labels(value: str | list[str] | None) -> tuple[str, ...]:
            return tuple([value] if isinstance(value, str) else value or [])

        plan.add(
            "before_request_body",
            _decode,
            self.priority,
            forced=labels(encoding),
            defaults=labels(default_encoding),
        )


def _decode(
    req: pegboard.Request,
    resp: pegboard.Response,
    forced: tuple[str, ...],
    defaults: tuple[str, ...],
) -> None:
    if not req.process_request_body:
        return
    kind = req.content_type
    if kind not in _FORMS:
        return
    raw_type: str = req.environ.get("CONTENT_TYPE", "")
    if forced:
        candidates = list(forced)
    else:
        declared = content_type_charset(raw_type)
        candidates = [declared, *defaults] if declared and codec_name(declared) else list(defaults)
    if not candidates:
        return
    body = req.body.bytes
    chosen = candidates[0]
    if len(candidates) > 1 or kind == _FORMS[0]:
        for label in candidates:
            if _decodes(body, kind, raw_type, label, req.plan.max_body_size):
                chosen = label
                break
        else:
            raise pegboard.HTTPError(
                400,
                f"The form data is not valid in any of these charsets: {', '.join(candidates)}.",
            )
    req.environ["CONTENT_TYPE"] = with_charset(raw_type, chosen)


def _decodes(body: bytes, kind: str, raw_type: str, label: str, limit: int) -> bool:
    """Whether the form in ``body`` decodes in ``label`` without a replacement character."""
    codec = codec_name(label) or label
    if kind == _FORMS[0]:
        try:
            for field in body.decode(codec).split("&"):
                unquote(field.replace("+", " "), encoding=codec, errors="strict")
        except UnicodeDecodeError:
            return False
        return True
    environ = {
        "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": with_charset(raw_type, label),
        "CONTENT_LENGTH": str(len(body)),
    }
    try:
        _, files = multipart.parse_form_data(
            environ, strict=False, ignore_errors=False, memory_limit=limit, disk_limit=limit
        )
    except UnicodeDecodeError:
        return False
    except multipart.MultipartError:
        return True  # malformed whatever the charset: the form parser answers 400 itself
    for _, part in files.iterallitems():
        part.close()
    return True
