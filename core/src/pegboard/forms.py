"""Query strings and urlencoded bodies, parsed the way the WHATWG URL standard does.

The bytes are split on ``&`` and ``=`` first, ``+`` becomes a space and
percent-escapes are decoded to bytes; only then is each name and value
decoded in the declared charset. So a charset that is not ASCII-compatible
(UTF-16) works, and bytes that are not valid in it are a 400, not replacement
characters. Written here rather than taken from ``multipart`` (which keeps
parsing multipart bodies): its urlencoded branch decodes the whole body
before splitting it and replaces invalid bytes.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from .errors import HTTPError

__all__ = ["MAX_FORM_FIELDS", "parse_urlencoded"]

#: How many fields one query string or form body may have; more is a 413.
MAX_FORM_FIELDS = 1000


def parse_urlencoded(
    data: bytes, charset: str = "utf-8", *, what: str = "form", limit: int = MAX_FORM_FIELDS
) -> list[tuple[str, str]]:
    """``[(name, value), ...]`` from ``a=1&b=2`` bytes; HTTPError 400 or 413 on bad input.

    Empty pieces (``a=1&&b``) are skipped; a name without ``=`` has the value
    ``""``. ``charset`` must be a text codec (see ``httputil.charset_codec``).
    ``what`` names the input in error messages ("form", "query string").
    """
    pairs: list[tuple[str, str]] = []
    if not data:
        return pairs
    pieces = data.split(b"&")
    if len(pieces) > limit:
        raise HTTPError(413, f"The {what} has more than {limit} fields.")
    try:
        for piece in pieces:
            if not piece:
                continue
            name, _, value = piece.partition(b"=")
            pairs.append((_decode(name, charset), _decode(value, charset)))
    except UnicodeDecodeError:
        label = charset.upper() if charset.startswith("utf") else charset
        raise HTTPError(400, f"The {what} is not valid {label}.") from None
    return pairs


def _decode(raw: bytes, charset: str) -> str:
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    return raw.decode(charset)
