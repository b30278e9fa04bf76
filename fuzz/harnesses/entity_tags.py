"""If-Match / If-None-Match lists: parsing raises only HeaderError, matching never raises."""

from __future__ import annotations

import fuzzlib

from pegboard import httputil

SEEDS = [
    b'\x00"xyzzy", "r2d2xxxx", "c3piozzzz"',
    b'\x00W/"0815", "5d8c72a5edda8d6a"',
    b"\x00*",
    b'\x00"a\\", junk, W/"b,c",,',
]
CURRENT = ('"v1"', 'W/"v1"', httputil.EntityTag("xyzzy"))


def fuzz_one(data: bytes) -> None:
    value = fuzzlib.text(data)
    tag = httputil.parse_entity_tag(value)
    if tag is not None:
        assert httputil.parse_entity_tag(str(tag)) == tag
    try:
        strict = httputil.parse_entity_tag_list(value)
    except httputil.HeaderError:
        strict = None
    lenient = httputil.parse_entity_tag_list(value, strict=False)
    if strict is not None:
        assert strict == lenient
    for etag in (*CURRENT, value, None):
        for weak in (True, False):
            assert isinstance(httputil.entity_tags_match(value, etag, weak=weak), bool)
    assert httputil.weak_compare(value, value) == (tag is not None)
