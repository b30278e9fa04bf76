"""Accept-Language: parsing raises only HeaderError; lenient negotiation never raises."""

from __future__ import annotations

import contextlib

import fuzzlib

from pegboard import httputil

SEEDS = [
    b"\x00fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5",
    b"\x00en-US,en;q=0.5",
    b"\x00zh-Hant-TW;q=0.1, x-klingon",
]
OFFERS = ("en", "fr-CH", "de")


def fuzz_one(data: bytes) -> None:
    value = fuzzlib.text(data)
    with contextlib.suppress(httputil.HeaderError):
        httputil.parse_accept_language(value)
    prefs = httputil.parse_accept_language(value, strict=False)
    assert httputil.best_language(value, OFFERS, strict=False) in (None, *OFFERS)
    for offer in OFFERS:
        assert 0.0 <= prefs.quality(offer) <= 1.0
