"""Accept-Charset: parsing raises only HeaderError; charset_codec never raises."""

from __future__ import annotations

import contextlib

import fuzzlib

from pegboard import httputil

SEEDS = [
    b"\x00iso-8859-5, unicode-1-1;q=0.8",
    b"\x00utf-8, *;q=0.1",
    b"\x00rot13, hex;q=0.5, utf-7",
]
OFFERS = ("utf-8", "iso-8859-1")


def fuzz_one(data: bytes) -> None:
    value = fuzzlib.text(data)
    with contextlib.suppress(httputil.HeaderError):
        httputil.parse_accept_charset(value)
    prefs = httputil.parse_accept_charset(value, strict=False)
    assert httputil.best_charset(value, OFFERS, strict=False) in (None, *OFFERS)
    for item in prefs.items:
        assert 0.0 <= item.q <= 1.0
        codec = httputil.charset_codec(item.value)
        assert codec is None or isinstance(codec, str)
    httputil.charset_codec(value)
