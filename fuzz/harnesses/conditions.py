"""Preconditions and If-Range: any header values give 304, 412 or None, never an exception."""

from __future__ import annotations

import fuzzlib

from pegboard import httputil

SEEDS = [
    b'\x00"v1"\n"v1"\nSun, 06 Nov 1994 08:49:37 GMT\nSun, 06 Nov 1994 08:49:37 GMT\n"v1"',
    b"\x00*\n*\nSunday, 06-Nov-94 08:49:37 GMT\n\nSun Nov  6 08:49:37 1994",
    b'\x00W/"v1"\n\n\nyesterday\nW/"v1"',
]
METHODS = ("GET", "HEAD", "PUT", "DELETE")


def fuzz_one(data: bytes) -> None:
    if_match, if_none_match, ims, ius, if_range = fuzzlib.fields(data, 5)
    method = METHODS[len(data) % len(METHODS)]
    for etag in ('"v1"', 'W/"v1"', None):
        result = httputil.evaluate_preconditions(
            method,
            etag=etag,
            last_modified=784111777,
            if_match=if_match or None,
            if_none_match=if_none_match or None,
            if_modified_since=ims or None,
            if_unmodified_since=ius or None,
            exists=etag is not None,
        )
        assert result in (None, 304, 412)
        assert isinstance(httputil.if_range_matches(if_range, etag, 784111777), bool)
