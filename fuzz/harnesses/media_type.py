"""Media types: parse_media_type raises only HeaderError and round-trips; matching never raises."""

from __future__ import annotations

import fuzzlib

from pegboard import httputil

SEEDS = [
    b'\x00text/html; charset="UTF-8"; level=1',
    b"\x00application/vnd.api+json",
    b'\x00multipart/form-data; boundary="--a\\"b"',
]
MATCHER = httputil.MediaTypeMatcher(["text/*", "application/json", "application/*+json"])


def fuzz_one(data: bytes) -> None:
    value = fuzzlib.text(data)
    try:
        media = httputil.parse_media_type(value)
    except httputil.HeaderError:
        media = None
    if media is not None:
        assert httputil.parse_media_type(str(media)) == media
        assert media.charset is None or media.charset == media.charset.lower()
    assert isinstance(MATCHER.matches(value), bool)
    if httputil.is_media_pattern(value):
        httputil.MediaTypeMatcher([value])
