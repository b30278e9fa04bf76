"""Laying out a multipart/byteranges body (RFC 9110 §14.6) for several ranges of one file.

The Range header itself is read by :func:`pegboard.httputil.parse_range`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pegboard.httputil import ByteRange, format_content_range

__all__ = ["ByteRanges", "plan_multipart"]


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
            f"Content-Range: {format_content_range(first, last, size)}\r\n\r\n"
        ).encode("latin-1")
        pieces.append(head)
        pieces.append((first, last))
        length += len(head) + last - first + 1
    tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
    pieces.append(tail)
    length += len(tail)
    return ByteRanges(f"multipart/byteranges; boundary={boundary}", tuple(pieces), length)
