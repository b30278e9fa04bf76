"""Header values from fuzzer bytes, as fuzz/fuzzlib.py makes them (kept here so these run alone).

The first byte picks how the rest becomes text: Latin-1, as a WSGI server
hands a header over (three inputs in four), or UTF-8 with invalid bytes as
lone surrogates (the oddest ``str`` Python can hold).
"""

from __future__ import annotations


def text(data: bytes) -> str:
    if not data:
        return ""
    if data[0] % 4 == 3:
        return data[1:].decode("utf-8", "surrogateescape")
    return data[1:].decode("latin-1")


def fields(data: bytes, count: int) -> list[str]:
    """``count`` values split on LF (which no header value holds); missing ones are empty."""
    mode, rest = data[:1], data[1:]
    parts = rest.split(b"\n", count - 1)
    parts += [b""] * (count - len(parts))
    return [text(mode + part) for part in parts]
