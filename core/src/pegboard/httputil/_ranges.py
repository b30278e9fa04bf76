"""Byte ranges (RFC 9110 §14): parsing ``Range`` against a length, formatting ``Content-Range``."""

from __future__ import annotations

import itertools
import re

from ._fields import HeaderError

__all__ = [
    "MAX_RANGES",
    "ByteRange",
    "format_content_range",
    "format_unsatisfied_range",
    "parse_range",
]

#: A Range header with more ranges than this is ignored (a full 200), as RFC 9110 §14.2 allows.
MAX_RANGES = 64

#: (first, last) byte positions, both inclusive, as in Content-Range.
ByteRange = tuple[int, int]

_SPEC = re.compile(r"([0-9]*)-([0-9]*)").fullmatch
# More digits than this cannot be a position in any representation we serve
# (sizes stay below 10**18 bytes); such numbers are compared without int().
_MAX_DIGITS = 18
_HUGE = 10**_MAX_DIGITS


def _position(digits: str) -> int:
    """A position, capped at 10**18: beyond every representation, so only its order matters.

    PERF and safety: int() on thousands of digits is slow and, past Python's
    int-string limit, a ValueError; a number this long only has to compare.
    """
    if len(digits) <= _MAX_DIGITS:
        return int(digits)
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= _MAX_DIGITS else _HUGE


def _less(a_digits: str, b_digits: str) -> bool:
    """Whether the number written ``a_digits`` is below ``b_digits``, however long both are."""
    a, b = a_digits.lstrip("0"), b_digits.lstrip("0")
    return (len(a), a) < (len(b), b)


def parse_range(value: str, size: int, *, max_ranges: int = MAX_RANGES) -> list[ByteRange] | None:
    """The satisfiable byte ranges of a Range value for a representation of ``size`` bytes.

    None means "ignore the header and send everything" (another unit, bad
    syntax, more than ``max_ranges`` ranges, an empty representation); an empty
    list means no range can be satisfied (416). Suffix ranges (``-500``) count
    from the end; overlapping or adjacent ranges are merged, so no byte is sent
    twice. Numbers of any length are handled; this never raises.
    """
    if size <= 0:
        return None
    unit, sep, specs = value.partition("=")
    if not sep or unit.strip(" \t").lower() != "bytes":
        return None
    items = [item for item in (part.strip(" \t") for part in specs.split(",")) if item]
    if not items or len(items) > max_ranges:
        return None
    ranges: list[ByteRange] = []
    for item in items:
        match = _SPEC(item)
        if match is None:
            return None
        first_text, last_text = match.groups()
        if not first_text:
            if not last_text:
                return None  # "-" alone
            suffix = _position(last_text)
            if suffix > 0:
                ranges.append((max(0, size - suffix), size - 1))
            continue
        first = _position(first_text)
        if last_text:
            last = _position(last_text)
            if last < first or (last == first == _HUGE and _less(last_text, first_text)):
                return None  # an invalid int-range makes the whole header invalid
            if first < size:
                ranges.append((first, min(last, size - 1)))
        elif first < size:
            ranges.append((first, size - 1))
    return _coalesce(ranges)


def _coalesce(ranges: list[ByteRange]) -> list[ByteRange]:
    """Keep the client's order unless two ranges overlap or touch; then sort and merge them."""
    if len(ranges) < 2:
        return ranges
    ordered = sorted(ranges)
    if all(a[1] + 1 < b[0] for a, b in itertools.pairwise(ordered)):
        return ranges
    merged = [ordered[0]]
    for first, last in ordered[1:]:
        top_first, top_last = merged[-1]
        if first <= top_last + 1:
            merged[-1] = (top_first, max(top_last, last))
        else:
            merged.append((first, last))
    return merged


def format_content_range(first: int, last: int, size: int | None) -> str:
    """``bytes 0-499/1234`` for a 206 (``*`` for an unknown size); HeaderError if inconsistent."""
    if first < 0 or last < first or (size is not None and last >= size):
        raise HeaderError(f"bytes {first}-{last} is not a range within {size} bytes")
    return f"bytes {first}-{last}/{'*' if size is None else size}"


def format_unsatisfied_range(size: int) -> str:
    """``bytes */1234``, the Content-Range of a 416 answer."""
    if size < 0:
        raise HeaderError(f"{size} is not a representation length")
    return f"bytes */{size}"
