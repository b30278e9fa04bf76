"""Cache-Control: parse_cache_control never raises; names are tokens, seconds are bounded."""

from __future__ import annotations

import fuzzlib

from pegboard import httputil

SEEDS = [
    b'\x00public, max-age=600, no-cache="Set-Cookie, X-Id", stale-while-revalidate=30',
    b"\x00max-stale, min-fresh=5, only-if-cached",
    b'\x00private="a\\"b", max-age=' + b"9" * 5000,
]


def fuzz_one(data: bytes) -> None:
    cc = httputil.parse_cache_control(fuzzlib.text(data))
    for name in cc:
        assert httputil.is_token(name) and name == name.lower()
    for seconds in (cc.max_age, cc.s_maxage, cc.max_stale, cc.min_fresh, cc.stale_if_error):
        assert seconds is None or 0 <= seconds <= httputil.DELTA_SECONDS_MAX
    cc.field_names("no-cache")
    cc.field_names("private")
