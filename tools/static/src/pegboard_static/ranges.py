"""Byte ranges (RFC 9110 section 14): parsing ``Range`` and laying out multipart/byteranges."""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass

__all__ = ["MAX_RANGES", "ByteRanges", "parse_range", "plan_multipart"]

#: A Range header with more specs than this is ignored (a full 200), as RFC 9110 allows.
MAX_RANGES = 64

_SPEC = re.compile(r"^(\d*)-(\d*)$")

#: (first, last) byte positions, both inclusive, as in Content-Range.
ByteRange = tuple[int, int]


def parse_range(value: str | None, size: int) -> list[ByteRange] | None:
    """The satisfiable ranges of ``value`` for a representation of ``size`` bytes.

    Returns None when the header must be ignored (absent, another unit,
    bad syntax, too many ranges, an empty file), and an empty list when it
    is valid but nothing in it can be satisfied (416). Overlapping or
    adjacent ranges are merged (sorted) so that no byte is sent twice.
    """
    if value is None or size == 0:
        return None
    unit, sep, specs = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    items = [item.strip() for item in specs.split(",")]
    items = [item for item in items if item]
    if not items or len(items) > MAX_RANGES:
        return None
    ranges: list[ByteRange] = []
    for item in items:
        match = _SPEC.match(item)
        if match is None:
            return None
        first_text, last_text = match.groups()
        if not first_text:
            if not last_text:
                return None
            suffix = int(last_text)
            if suffix > 0:
                ranges.append((max(0, size - suffix), size - 1))
            continue
        first = int(first_text)
        if last_text and int(last_text) < first:
            return None
        if first < size:
            last = min(int(last_text), size - 1) if last_text else size - 1
            ranges.append((first, last))
    return _coalesce(ranges)


def _coalesce(ranges: list[ByteRange]) -> list[ByteRange]:
    """Keep the client's order unless two ranges touch; then sort and merge them."""
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


@dataclass(frozen=True, slots=True)
class ByteRanges:
    """A multipart/byteranges body laid out in advance: part headers, ranges, closing line.

    ``pieces`` alternates literal bytes and ``(first, last)`` ranges of the
    file; ``length`` is the exact Content-Length.
    """

    content_type: str
    pieces: tuple[bytes | ByteRange, ...]
    length: int


def plan_multipart(ranges: list[ByteRange], size: int, part_type: str) -> ByteRanges:
    """Lay out a multipart/byteranges body for ``ranges`` of a ``part_type`` file."""
    boundary = secrets.token_hex(16)
    pieces: list[bytes | ByteRange] = []
    length = 0
    for index, (first, last) in enumerate(ranges):
        head = (b"\r\n" if index else b"") + (
            f"--{boundary}\r\n"
            f"Content-Type: {part_type}\r\n"
            f"Content-Range: bytes {first}-{last}/{size}\r\n\r\n"
        ).encode("latin-1")
        pieces.append(head)
        pieces.append((first, last))
        length += len(head) + last - first + 1
    tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
    pieces.append(tail)
    length += len(tail)
    return ByteRanges(f"multipart/byteranges; boundary={boundary}", tuple(pieces), length)
