"""httputil's parse caches keep no long client value alive (memory stays bounded)."""

from __future__ import annotations

import pytest

from pegboard import httputil
from pegboard.httputil import _accept, _cachecontrol, _dates, _etags, _mediatypes
from pegboard.httputil._cache import MAX_CACHED_LENGTH


def _media_type_or_none(value: str) -> object:
    try:
        return httputil.parse_media_type(f"text/plain; a={value}")
    except httputil.HeaderError:
        return None


@pytest.mark.parametrize(
    ("parse", "cached"),
    [
        (httputil.parse_http_date, _dates._parse_http_date),
        (lambda v: httputil.parse_entity_tag_list(v, strict=False), _etags._parse_list),
        (httputil.parse_cache_control, _cachecontrol._parse_cache_control),
        (lambda v: httputil.parse_accept_encoding(v, strict=False), _accept._parse_accept_encoding),
        (lambda v: httputil.best_encoding(v, ("gzip",), strict=False), _accept._ranked_encodings),
        (_media_type_or_none, _mediatypes._parse_media_type),
    ],
)
def test_long_values_are_parsed_but_never_cached(parse, cached):
    cached.cache_clear()
    short = "gzip"
    parse(short)
    for n in range(50):
        parse(("x" * 60_000) + str(n))
    info = cached.cache_info()
    assert info.currsize <= 1, "only the short value is kept"
    assert len(short) <= MAX_CACHED_LENGTH


def test_short_values_are_still_answered_from_the_cache():
    _dates._parse_http_date.cache_clear()
    for _ in range(3):
        assert httputil.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777
    assert _dates._parse_http_date.cache_info().hits == 2
