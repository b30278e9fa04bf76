"""Accept: parse_accept and best_media raise only HeaderError, and weights stay in 0..1."""

from __future__ import annotations

import fuzzlib

from pegboard import httputil

SEEDS = [
    b"\x00text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
    b"\x00text/*;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5",
    b'\x00application/json;charset="utf-8";q=.5;ext=1, *; q=.2',
    b"\x03text/html;q=\xff",
]
OFFERS = ("text/html", "application/json", "text/plain; charset=utf-8")


def fuzz_one(data: bytes) -> None:
    value = fuzzlib.text(data)
    try:
        accept = httputil.parse_accept(value)
    except httputil.HeaderError:
        accept = None
    lenient = httputil.parse_accept(value, strict=False)
    if accept is not None:
        assert accept.ranges == lenient.ranges  # a valid header reads the same either way
    for item in lenient.ranges:
        assert 0.0 <= item.q <= 1.0
    assert httputil.best_media(value, OFFERS, strict=False) in (None, *OFFERS)
    for offer in OFFERS:
        assert 0.0 <= lenient.quality(offer) <= 1.0
