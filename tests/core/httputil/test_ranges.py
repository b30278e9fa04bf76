"""Byte ranges (RFC 9110 §14)."""

from __future__ import annotations

import pytest

from pegboard import httputil
from pegboard.httputil import HeaderError

SIZE = 10_000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 9110 §14.1.2's examples, on a 10000-byte representation.
        ("bytes=0-499", [(0, 499)]),
        ("bytes=500-999", [(500, 999)]),
        ("bytes=-500", [(9500, 9999)]),
        ("bytes=9500-", [(9500, 9999)]),
        ("bytes=0-0,-1", [(0, 0), (9999, 9999)]),
        ("bytes= 0-999, 4500-5499, -1000", [(0, 999), (4500, 5499), (9000, 9999)]),
        # Overlapping or touching ranges are merged and sorted, so no byte goes twice.
        ("bytes=500-600,601-999", [(500, 999)]),
        ("bytes=500-700,601-999", [(500, 999)]),
        ("bytes=5000-5999,0-99", [(5000, 5999), (0, 99)]),  # disjoint: the client's order stays
        ("bytes=0-5,2-8,100-200", [(0, 8), (100, 200)]),
        # Clamping and suffixes longer than the representation.
        ("bytes=9000-20000", [(9000, 9999)]),
        ("bytes=-20000", [(0, 9999)]),
        ("BYTES=0-1", [(0, 1)]),  # range units are case-insensitive
        ("bytes=0-1,,2-3", [(0, 3)]),  # empty list members are allowed
        ("bytes=00000000000000000000000000000005-6", [(5, 6)]),  # leading zeros
    ],
)
def test_satisfiable_ranges(value, expected):
    assert httputil.parse_range(value, SIZE) == expected


@pytest.mark.parametrize(
    "value", ["bytes=10000-", "bytes=20000-30000", "bytes=-0", "bytes=10000-10001,-0"]
)
def test_unsatisfiable_ranges_are_an_empty_list(value):
    assert httputil.parse_range(value, SIZE) == []  # answer 416


@pytest.mark.parametrize(
    "value",
    [
        "",
        "bytes",
        "bytes=",
        "bytes=-",
        "items=0-1",
        "bytes=1-0",  # last before first: the whole header is invalid
        "bytes=a-b",
        "bytes=0-1;x",
        "bytes=0 -1",
        "bytes=--1",
        "bytes=\u0660-\u0661",  # Arabic-Indic digits are not DIGIT
        "bytes=0-1, 5-2",
        "bytes=1-2-3",
    ],
)
def test_invalid_headers_are_ignored(value):
    assert httputil.parse_range(value, SIZE) is None  # answer 200 with everything


def test_an_empty_representation_ignores_range():
    assert httputil.parse_range("bytes=0-", 0) is None


def test_too_many_ranges_are_ignored():
    many = ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(httputil.MAX_RANGES + 1))
    assert httputil.parse_range("bytes=" + many, SIZE) is None
    assert httputil.parse_range("bytes=" + many, SIZE, max_ranges=100) is not None
    assert httputil.parse_range("bytes=0-1,5-6,9-10", SIZE, max_ranges=2) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes=" + "9" * 5000 + "-", []),  # first beyond the end: unsatisfiable
        ("bytes=0-" + "9" * 5000, [(0, 9999)]),  # last beyond the end: clamped
        ("bytes=-" + "9" * 5000, [(0, 9999)]),  # suffix longer than everything
        ("bytes=" + "9" * 5000 + "-1", None),  # last before first, however long
        ("bytes=" + "9" * 5000 + "-" + "9" * 5001, []),
        ("bytes=" + "9" * 5001 + "-" + "9" * 5000, None),
        ("bytes=" + "8" * 5000 + "-" + "9" * 5000, []),
        ("bytes=" + "9" * 5000 + "-" + "8" * 5000, None),
        ("bytes=" + "0" * 5000 + "1-" + "0" * 5000 + "2", [(1, 2)]),
    ],
)
def test_numbers_longer_than_the_int_string_limit(value, expected):
    # Python refuses int() on more than 4300 digits; a 500 here was issue 14.7.
    assert httputil.parse_range(value, SIZE) == expected


def test_content_range():
    assert httputil.format_content_range(0, 499, 1234) == "bytes 0-499/1234"
    assert httputil.format_content_range(0, 499, None) == "bytes 0-499/*"
    assert httputil.format_unsatisfied_range(1234) == "bytes */1234"
    for first, last, size in [(5, 4, 10), (-1, 3, 10), (0, 10, 10)]:
        with pytest.raises(HeaderError):
            httputil.format_content_range(first, last, size)
    with pytest.raises(HeaderError):
        httputil.format_unsatisfied_range(-1)
