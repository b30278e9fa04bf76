"""Range: parse_range never raises, and every range it returns lies inside the representation.

Inputs may be long: numbers past Python's int-string limit (4300 digits) are
how issue 14 found a 500.
"""

from __future__ import annotations

import fuzzlib

from pegboard import httputil

MAX_LEN = 12_000
SEEDS = [
    b"\x00\x00\x27\x10\x00bytes=0-499, 500-999, -500, 9500-",
    b"\x00\x00\x00\x64\x00bytes=0-0,-1,,2-3",
    b"\x00\x00\x00\x64\x00bytes=" + b"9" * 4400 + b"-",
    b"\x00\x00\x00\x64\x00BYTES = 1-2",
]


def fuzz_one(data: bytes) -> None:
    size = fuzzlib.number(data, 10**7)
    ranges = httputil.parse_range(fuzzlib.text(data[4:]), size)
    if ranges is None:
        return
    assert len(ranges) <= httputil.MAX_RANGES
    for first, last in ranges:
        assert 0 <= first <= last < size
        httputil.format_content_range(first, last, size)
