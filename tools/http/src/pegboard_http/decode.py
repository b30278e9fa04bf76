"""The ``decode`` tool: the charset of urlencoded and multipart form bodies.

The first charset in which the form decodes cleanly is written into the
request's ``Content-Type``, which the form parser honours; none is a 400,
never text with replacement characters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import multipart

import pegboard
import pegboard.httputil as httputil
from pegboard.httputil import HeaderError

from ._charsets import Candidate, checked_labels, declared_charset, with_charset

__all__ = ["DecodeOptions", "DecodeTool"]

_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


class DecodeOptions(pegboard.ToolOptions):
    """Options of the ``decode`` tool."""

    encoding: str | list[str] | None = pegboard.option(
        default=None, doc="charsets tried in order, whatever the request declares"
    )
    default_encoding: str | list[str] = pegboard.option(
        default="utf-8", doc="charsets tried, in order, after the one the request declares"
    )

    def __post_init__(self) -> None:
        checked_labels(self.encoding, "encoding")
        checked_labels(self.default_encoding, "default_encoding")


@dataclass(frozen=True, slots=True)
class _Settings:
    forced: tuple[Candidate, ...]
    defaults: tuple[Candidate, ...]


class DecodeTool(pegboard.Tool[DecodeOptions]):
    """Choose the charset of urlencoded and multipart form bodies.

    ``encoding`` (one or a list) is tried in order whatever the request
    declares; otherwise the declared charset is tried first, then
    ``default_encoding``. The first charset in which the form decodes
    cleanly is used; when none does, the answer is 400. A declared charset
    that is not a text encoding (``rot13``, ``hex``, ``base64``) is a 415.
    """

    hooks = (
        pegboard.HookDoc(
            "before_request_body",
            60,
            "picks the charset a form decodes in (400 if none); after gzip inflates the body",
        ),
    )

    def __init__(self) -> None:
        super().__init__("decode", point="before_request_body", priority=60)

    def attach(self, plan: pegboard.PlanBuilder, options: DecodeOptions) -> None:
        settings = _Settings(
            checked_labels(options.encoding, "encoding"),
            checked_labels(options.default_encoding, "default_encoding"),
        )
        plan.add("before_request_body", _decode, self.priority, args=(settings,))


def _decode(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    if not req.process_request_body:
        return
    kind = req.content_type
    if kind != _URLENCODED and kind != _MULTIPART:
        return
    raw_type: str = req.environ.get("CONTENT_TYPE", "")
    try:
        declared = declared_charset(raw_type)
    except HeaderError:
        raise pegboard.HTTPError(400, "The Content-Type header is malformed.") from None
    candidates = settings.forced
    if not candidates:
        candidates = settings.defaults
        if declared is not None:
            candidates = (_declared(declared), *candidates)
    if not candidates:
        return
    chosen = candidates[0]
    if len(candidates) > 1 or kind == _URLENCODED:
        body = req.body.bytes
        for candidate in candidates:
            if _decodes(body, kind, raw_type, candidate, req.plan.max_body_size):
                chosen = candidate
                break
        else:
            labels = ", ".join(label for label, _ in candidates)
            raise pegboard.HTTPError(
                400, f"The form data is not valid in any of these charsets: {labels}."
            )
    req.environ["CONTENT_TYPE"] = with_charset(raw_type, chosen[0])


def _declared(label: str) -> Candidate:
    """The request's own charset as a candidate; 415 when it is not a text encoding."""
    codec = httputil.charset_codec(label)
    if codec is None:
        raise pegboard.HTTPError(
            415, f"The form's charset {label[:40]!r} is not a text encoding pegboard can decode."
        )
    return label, codec


def _decodes(body: bytes, kind: str, raw_type: str, candidate: Candidate, limit: int) -> bool:
    """Whether the form in ``body`` decodes in ``candidate`` without a replacement character."""
    label, codec = candidate
    if kind == _URLENCODED:
        return _urlencoded_decodes(body, codec)
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
    except (LookupError, ValueError):  # a part's own charset that is no text encoding
        raise pegboard.HTTPError(
            400, "A part of the form declares a charset that is not a text encoding."
        ) from None
    for _, part in files.iterallitems():
        part.close()
    return True


def _urlencoded_decodes(body: bytes, codec: str) -> bool:
    """Whether each name and value decodes in ``codec``, split on ``&`` and ``=`` as bytes first.

    The WHATWG urlencoded parser splits the bytes before it decodes them, so a
    charset that is not ASCII-compatible cannot move the separators.
    """
    try:
        for field in body.split(b"&"):
            if not field:
                continue
            name, _, value = field.partition(b"=")
            unquote_to_bytes(name.replace(b"+", b" ")).decode(codec)
            unquote_to_bytes(value.replace(b"+", b" ")).decode(codec)
    except UnicodeDecodeError:
        return False
    return True
