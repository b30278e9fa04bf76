"""Decoding request bodies as JSON, with orjson when it is installed."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DecodeError", "decode"]


class DecodeError(ValueError):
    """The body is not JSON; ``line`` and ``column`` (1-based) say where it broke."""

    def __init__(self, reason: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


def _stdlib_loads(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise DecodeError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise DecodeError("the document is nested too deeply", 1, 1) from None


try:
    import orjson
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    decode = _stdlib_loads
else:

    def decode(data: bytes | str) -> Any:
        """Parse JSON text (UTF-8 bytes or str); DecodeError names line and column."""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise DecodeError(exc.msg, exc.lineno, exc.colno) from None
