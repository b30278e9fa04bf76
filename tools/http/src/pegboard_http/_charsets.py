"""Charset helpers shared by ``encode`` and ``decode``: checked labels and Content-Type charsets."""

from __future__ import annotations

import functools

import pegboard
import pegboard.httputil as httputil

Candidate = tuple[str, str]  # (the label as written, Python's codec name)


def checked_labels(values: str | list[str] | None, key: str) -> tuple[Candidate, ...]:
    """Configured charsets as (label, codec) pairs; a label that is no text encoding: OptionError.

    ``pegboard.httputil.charset_codec`` refuses codecs that are no charsets
    (``rot13``, ``hex``, ``base64``, ``zlib``) and UTF-7.
    """
    labels = [values] if isinstance(values, str) else values or []
    checked = []
    for label in labels:
        codec = httputil.charset_codec(label)
        if codec is None:
            raise pegboard.OptionError(key, f"{label!r} is not a charset pegboard can use")
        checked.append((label, codec))
    return tuple(checked)


def declared_charset(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type value (lower-cased), or None.

    HeaderError for a malformed value.
    """
    return httputil.parse_media_type(content_type).charset


@functools.lru_cache(maxsize=256)
def with_charset(content_type: str, charset: str) -> str:
    """``content_type`` with its charset parameter set to ``charset`` (replaced or added).

    ``content_type`` must parse (HeaderError otherwise). PERF: a site sends few
    distinct types and charsets, so the rendering is kept.
    """
    return str(httputil.parse_media_type(content_type).with_param("charset", charset))
