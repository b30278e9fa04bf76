"""Decoding request bodies as JSON, with orjson when it is installed.

Both decoders raise :class:`DecodeError`, and nothing else, for any input:
invalid JSON, bytes that are not UTF-8, nesting too deep for the parser, and
(with the standard library) an integer longer than Python's int-string limit.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

__all__ = ["DecodeError", "decode", "decode_stdlib"]


class DecodeError(ValueError):
    """The body is not JSON; ``line`` and ``column`` (1-based) say where it broke."""

    def __init__(self, reason: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


# A JSON string or a run of digits: digits inside strings are skipped (error path only).
_STRING_OR_DIGITS = re.compile(r'"(?:[^"\\]|\\.)*"?|[0-9]+', re.DOTALL)


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _long_number(text: str) -> DecodeError | None:
    """The error for the first integer longer than the int-string limit, if there is one."""
    limit = sys.get_int_max_str_digits()
    if not limit:
        return None
    for match in _STRING_OR_DIGITS.finditer(text):
        digits = match.group()
        if not digits.startswith('"') and len(digits) > limit:
            line, column = _position(text, match.start())
            return DecodeError(f"a number has more than {limit} digits", line, column)
    return None


def decode_stdlib(data: bytes | str) -> Any:
    """Parse JSON text (UTF-8 bytes or str) with the standard library's ``json``."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise DecodeError(exc.msg, exc.lineno, exc.colno) from None
    except UnicodeDecodeError as exc:
        # json.loads guessed UTF-8/16/32 from the first bytes and the bytes disagree.
        raw = data if isinstance(data, bytes) else b""
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DecodeError(f"the body is not valid {exc.encoding}", line, column) from None
    except RecursionError:
        raise DecodeError("the document is nested too deeply", 1, 1) from None
    except ValueError as exc:
        # The int-string limit (CVE-2020-10735): int() refuses more than 4300 digits.
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        found = _long_number(text)
        if found is not None:
            raise found from None
        raise DecodeError(str(exc), 1, 1) from None


try:
    import orjson
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    decode = decode_stdlib
else:

    def decode(data: bytes | str) -> Any:
        """Parse JSON text (UTF-8 bytes or str); DecodeError names line and column."""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise DecodeError(exc.msg, exc.lineno, exc.colno) from None
