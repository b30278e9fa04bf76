"""Accept-Encoding: negotiation never raises when lenient, and only offers come back."""

from __future__ import annotations

import contextlib

import fuzzlib

from pegboard import httputil

SEEDS = [
    b"\x00gzip, deflate, br, zstd",
    b"\x00gzip;q=0.5, identity;q=1, *;q=0",
    b"\x00x-gzip;q=1.000, br;q=.5;ext=1",
    b"\x00gzip;q=abc, br",
]
OFFERS = ("zstd", "br", "gzip", "deflate")


def fuzz_one(data: bytes) -> None:
    value = fuzzlib.text(data)
    with contextlib.suppress(httputil.HeaderError):
        httputil.parse_accept_encoding(value)
    prefs = httputil.parse_accept_encoding(value, strict=False)
    ranked = httputil.ranked_encodings(value, OFFERS, strict=False)
    assert set(ranked) <= set(OFFERS)
    best = httputil.best_encoding(value, OFFERS, strict=False)
    assert best == (ranked[0] if ranked else None)
    for coding in ranked:  # each is acceptable and preferred to identity
        assert prefs.quality(coding) > 0.0
        assert prefs.quality(coding) >= prefs.quality("identity")
