"""The ``json_in`` tool: parse a JSON request body into ``req.json``."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

import pegboard
from pegboard import ConfigError, HTTPError, PlanBuilder, Request, Response

from .decoding import DecodeError, decode
from .mediatypes import MediaTypes

__all__ = ["DEFAULT_CONTENT_TYPES", "JsonInTool", "parse_json_body"]

DEFAULT_CONTENT_TYPES: tuple[str, ...] = ("application/json", "application/*+json")
JSON_IN_PRIORITY = 30


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
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower() or None
    return None


def parse_json_body(req: Request, max_bytes: int | None = None) -> Any:
    """The request body parsed as JSON (None for an empty body).

    413 past ``max_bytes`` (or ``request.max_body_size``), 415 for a charset
    Python does not know, 400 naming line and column for invalid JSON.
    """
    if max_bytes is not None:
        length = req.content_length
        if length is not None and length > max_bytes:
            raise HTTPError(413, f"The JSON body is larger than {max_bytes} bytes.")
    data = req.body.bytes  # bounded by request.max_body_size, chunked bodies included
    if max_bytes is not None and len(data) > max_bytes:
        raise HTTPError(413, f"The JSON body is larger than {max_bytes} bytes.")
    if not data:
        return None
    charset = _charset(req.environ.get("CONTENT_TYPE", ""))
    text: bytes | str = data
    if charset is not None and charset not in ("utf-8", "utf8"):
        try:
            codecs.lookup(charset)
        except LookupError:
            raise HTTPError(415, f"The charset {charset!r} is not supported.") from None
        try:
            text = data.decode(charset)
        except UnicodeDecodeError:
            raise HTTPError(400, f"The body is not valid {charset}.") from None
    if isinstance(text, bytes) and text.startswith(codecs.BOM_UTF8):
        text = text[len(codecs.BOM_UTF8) :]  # RFC 8259 §8.1: a parser may ignore a BOM
    try:
        return decode(text)
    except DecodeError as exc:
        raise HTTPError(
            400, f"Invalid JSON at line {exc.line}, column {exc.column}: {exc.reason}."
        ) from None


def read_json(
    req: Request,
    resp: Response,
    *,
    media: MediaTypes,
    force: bool,
    processor: Callable[[Request], Any] | None,
    max_bytes: int | None,
) -> None:
    """Set ``req.json`` from a JSON body; 415 for another type when ``force`` is on."""
    # Tools hang their own attributes on the request; mypy does not know this one.
    state = req.__dict__
    state["json"] = None
    if not _has_body(req):
        return
    raw_type = req.environ.get("CONTENT_TYPE", "")
    media_type = raw_type.partition(";")[0].strip().lower()
    if not media.matches(media_type):
        if force:
            expected = " or ".join(media.patterns)
            got = media_type or "no Content-Type"
            raise HTTPError(415, f"Expected a JSON body ({expected}), got {got}.")
        return
    state["json"] = processor(req) if processor is not None else parse_json_body(req, max_bytes)


def _patterns(content_type: str | tuple[str, ...]) -> tuple[str, ...]:
    return (content_type,) if isinstance(content_type, str) else content_type


class JsonInTool(pegboard.Tool):
    """Parse JSON request bodies into ``req.json`` (415 for other types, 400 for bad JSON)."""

    def __init__(self) -> None:
        super().__init__("json_in", point="before_handler", priority=JSON_IN_PRIORITY)

    def check(self, options: dict[str, Any], section: str) -> None:
        for pattern in _patterns(options.get("content_type", ())):
            if not MediaTypes.valid(pattern):
                raise ConfigError(
                    f"{pattern!r} is not a media type such as 'application/json' "
                    "or 'application/*+json'",
                    section=section,
                    key="tools.json_in.content_type",
                )
        max_bytes = options.get("max_bytes")
        if max_bytes is not None and max_bytes < 0:
            raise ConfigError(
                f"must not be negative, got {max_bytes}",
                section=section,
                key="tools.json_in.max_bytes",
            )

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: PlanBuilder,
        content_type: str | tuple[str, ...] = DEFAULT_CONTENT_TYPES,
        force: bool = True,
        processor: Callable[[Request], Any] | None = None,
        max_bytes: int | None = None,
    ) -> None:
        """``content_type``: accepted types; ``force``: 415 for others (else leave them);
        ``processor(req)``: replaces the parser; ``max_bytes``: 413 past this size."""
        plan.add(
            "before_handler",
            read_json,
            self.priority,
            media=MediaTypes(_patterns(content_type)),
            force=force,
            processor=processor,
            max_bytes=max_bytes,
        )
