"""HTTP dates: parse_http_date returns an int or None, and what it formats it reads back."""

from __future__ import annotations

import fuzzlib

from pegboard import httputil

SEEDS = [
    b"\x00Sun, 06 Nov 1994 08:49:37 GMT",
    b"\x00Sunday, 06-Nov-94 08:49:37 GMT",
    b"\x00Sun Nov  6 08:49:37 1994",
    b"\x00Tue, 29 Feb 2000 23:59:60 +2359",
]


def fuzz_one(data: bytes) -> None:
    stamp = httputil.parse_http_date(fuzzlib.text(data))
    if stamp is None:
        return
    assert isinstance(stamp, int)
    try:
        text = httputil.format_http_date(stamp)
    except httputil.HeaderError:
        return  # a numeric zone can push a year-9999 date past what an HTTP-date holds
    assert httputil.parse_http_date(text) == stamp
