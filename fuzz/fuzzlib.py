"""What the harnesses share: turning the fuzzer's bytes into header values.

A header value reaches a parser as the WSGI server hands it over: a ``str``
of Latin-1 characters. Tools and tests may pass any ``str``, so the first
byte of an input picks how the rest becomes text: Latin-1 (three times in
four), or UTF-8 with invalid bytes kept as lone surrogates (the oddest
``str`` Python can hold).
"""

from __future__ import annotations


def text(data: bytes) -> str:
    """One header value made from ``data``."""
    if not data:
        return ""
    if data[0] % 4 == 3:
        return data[1:].decode("utf-8", "surrogateescape")
    return data[1:].decode("latin-1")


def fields(data: bytes, count: int) -> list[str]:
    """``count`` header values from ``data``, split on LF (which no header value holds).

    Missing ones are empty strings; the mode byte of :func:`text` applies to all.
    """
    mode, rest = data[:1], data[1:]
    parts = rest.split(b"\n", count - 1)
    parts += [b""] * (count - len(parts))
    return [text(mode + part) for part in parts]


def number(data: bytes, limit: int) -> int:
    """A number from 0 to ``limit`` read from the first bytes of ``data`` (for sizes)."""
    return int.from_bytes(data[:4].ljust(4, b"\0"), "big") % (limit + 1)
