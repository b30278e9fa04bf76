"""The ``json_in`` tool: parse a JSON request body for the handler (``json_of(req)``)."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

import pegboard
from pegboard import HookDoc, HTTPError, OptionError, PlanBuilder, Request, Response, option
from pegboard.httputil import HeaderError, MediaTypeMatcher, charset_codec, parse_media_type

from .decoding import DecodeError, decode

__all__ = [
    "DEFAULT_CONTENT_TYPES",
    "JSON_IN_PRIORITY",
    "JsonInOptions",
    "JsonInTool",
    "decode_body",
    "json_of",
    "parse_json_body",
]

DEFAULT_CONTENT_TYPES: tuple[str, ...] = ("application/json", "application/*+json")
JSON_IN_PRIORITY = 30
#: The name json_in keeps the parsed body under in ``req.state``.
STATE_NAME = "json_in"

Decoder = Callable[["bytes | str"], Any]
_UTF8 = "utf-8"
_NOT_RUN: Any = object()


def _patterns(content_type: str | tuple[str, ...]) -> tuple[str, ...]:
    return (content_type,) if isinstance(content_type, str) else content_type


class JsonInOptions(pegboard.ToolOptions):
    """The options of ``tools.json_in``."""

    content_type: str | tuple[str, ...] = option(
        default=DEFAULT_CONTENT_TYPES,
        doc="the media types parsed as JSON; `type/*` and `type/*+suffix` patterns work",
    )
    force: bool = option(
        default=True,
        doc="answer 415 to a body of another type (false: leave it, the JSON is None)",
    )
    processor: Callable[[Request], Any] | None = option(
        default=None, doc="`processor(req)` replaces the parser; its result is the JSON"
    )
    max_bytes: int | None = option(
        default=None,
        doc="413 for a JSON body larger than this (none: `request.max_body_size` applies)",
        unit="bytes",
    )

    def __post_init__(self) -> None:
        try:
            MediaTypeMatcher(_patterns(self.content_type))
        except HeaderError as exc:
            raise OptionError("content_type", str(exc)) from None
        if self.max_bytes is not None and self.max_bytes < 0:
            raise OptionError("max_bytes", f"must not be negative, got {self.max_bytes}")


def _has_body(req: Request) -> bool:
    environ = req.environ
    length: str | None = environ.get("CONTENT_LENGTH")
    if length:
        return length.strip() != "0"
    if not environ.get("wsgi.input_terminated"):
        return False  # PEP 3333: no Content-Length and no end marker means no body
    # A chunked body has no Content-Length, but some servers (waitress,
    # gunicorn) mark every input as terminated, bodiless GETs included: look.
    return bool(req.body.bytes)


def _charset(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type; 400 when the header is malformed."""
    if ";" not in content_type:
        return None  # PERF: the usual "application/json" has no parameters to parse
    try:
        return parse_media_type(content_type).charset
    except HeaderError as exc:
        raise HTTPError(400, f"Malformed Content-Type header: {exc}") from None


def decode_body(data: bytes, content_type: str = "", decoder: Decoder = decode) -> Any:
    """``data`` parsed as JSON in the charset ``content_type`` declares (None when empty).

    Raises HTTPError and nothing else, whatever the input: 415 for a charset
    that is not a text encoding Python knows (``klingon``, but also ``rot13``,
    ``hex``, ``base64``, ``zlib``, ``utf-7``), 400 for a malformed
    Content-Type, for bytes invalid in the charset and for invalid JSON
    (naming line and column).
    """
    if not data:
        return None
    label = _charset(content_type)
    text: bytes | str = data
    if label is not None:
        codec = charset_codec(label)
        if codec is None:
            raise HTTPError(415, f"The charset {label!r} is not supported.")
        if codec != _UTF8:
            try:
                text = data.decode(codec)
            except UnicodeError:
                raise HTTPError(400, f"The body is not valid {label}.") from None
    if isinstance(text, bytes) and text.startswith(codecs.BOM_UTF8):
        text = text[len(codecs.BOM_UTF8) :]  # RFC 8259 §8.1: a parser may ignore a BOM
    try:
        return decoder(text)
    except DecodeError as exc:
        raise HTTPError(
            400, f"Invalid JSON at line {exc.line}, column {exc.column}: {exc.reason}."
        ) from None


def parse_json_body(req: Request, max_bytes: int | None = None, decoder: Decoder = decode) -> Any:
    """The request body parsed as JSON (None for an empty body).

    413 past ``max_bytes`` (or ``request.max_body_size``), otherwise as
    :func:`decode_body`. ``decoder`` parses the text (``decode_stdlib`` for
    the standard library's ``json``).
    """
    if max_bytes is not None:
        length = req.content_length
        if length is not None and length > max_bytes:
            raise HTTPError(413, f"The JSON body is larger than {max_bytes} bytes.")
    data = req.body.bytes  # bounded by request.max_body_size, chunked bodies included
    if max_bytes is not None and len(data) > max_bytes:
        raise HTTPError(413, f"The JSON body is larger than {max_bytes} bytes.")
    return decode_body(data, req.environ.get("CONTENT_TYPE", ""), decoder)


def _store(req: Request, value: Any) -> None:
    req.state.json_in = value
    # ``req.json`` keeps working for handlers written before json_of().
    setattr(req, "json", value)  # noqa: B010 - Request declares no such attribute


def json_of(req: Request) -> Any:
    """The JSON body ``json_in`` parsed for ``req``: a dict, list, str, number, bool or None.

    None when the request had no body (or, with ``force = false``, a body of
    another type). LookupError when json_in is not on for the request's path.
    """
    value = req.state.get(STATE_NAME, _NOT_RUN)
    if value is _NOT_RUN:
        raise LookupError(
            "no JSON body was parsed for this request: turn tools.json_in.on = true for its path"
        )
    return value


class _JsonReader:
    """What one route needs to read JSON bodies, prepared once in ``attach``."""

    __slots__ = ("expected", "force", "matcher", "max_bytes", "processor")

    def __init__(self, options: JsonInOptions) -> None:
        self.matcher = MediaTypeMatcher(_patterns(options.content_type))
        self.force = options.force
        self.processor = options.processor
        self.max_bytes = options.max_bytes
        self.expected = " or ".join(self.matcher.patterns)

    def read(self, req: Request, resp: Response) -> None:
        """before_handler: parse the body into ``req.state``; 415 for another type when forced."""
        value = None
        if _has_body(req):
            raw_type: str = req.environ.get("CONTENT_TYPE", "")
            if self.matcher.matches(raw_type):
                processor = self.processor
                if processor is not None:
                    value = processor(req)
                else:
                    value = parse_json_body(req, self.max_bytes)
            elif self.force:
                got = raw_type.partition(";")[0].strip().lower() or "no Content-Type"
                raise HTTPError(415, f"Expected a JSON body ({self.expected}), got {got}.")
        _store(req, value)


class JsonInTool(pegboard.Tool[JsonInOptions]):
    """Parse JSON request bodies for the handler (415 for other types, 400 for bad JSON)."""

    hooks = (
        HookDoc(
            "before_handler",
            JSON_IN_PRIORITY,
            does="reads and parses the body for `json_of(req)` and `req.json`",
        ),
    )

    def __init__(self) -> None:
        super().__init__("json_in", point="before_handler", priority=JSON_IN_PRIORITY)

    def attach(self, plan: PlanBuilder, options: JsonInOptions) -> None:
        # PERF: a bound method with no options, so the plan calls it directly.
        plan.add("before_handler", _JsonReader(options).read, self.priority)
