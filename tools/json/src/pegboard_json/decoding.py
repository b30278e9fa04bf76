"""Decoding request bodies as JSON, with orjson when it is installed.

Both decoders raise :class:`DecodeError`, and nothing else, for any input:
invalid JSON, bytes that are not UTF-8, nesting too deep for the parser,
``NaN`` and ``Infinity``, numbers too large for a double, and (with the
standard library) an integer longer than Python's int-string limit.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["DecodeError", "decode", "decode_stdlib"]


class DecodeError(ValueError):
    """The body is not JSON; ``line`` and ``column`` (1-based) say where it broke."""

    def __init__(self, reason: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


# A JSON string, or a run of anything else up to a separator (error path only).
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[^\s"\[\]{},:]+', re.DOTALL)
_INFINITIES = (float("inf"), float("-inf"))


class _Refused(ValueError):
    """A value the standard library would accept but JSON (and orjson) does not."""

    def __init__(self, reason: str, token: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token = token


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value", name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in _INFINITIES:
        raise _Refused("the number is too large for a double", text)
    return value


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _locate(text: str, found: Callable[[str], bool]) -> tuple[int, int]:
    """Where the first token outside strings for which ``found`` is true starts (else 1, 1)."""
    for match in _TOKENS.finditer(text):
        token = match.group()
        if not token.startswith('"') and found(token):
            return _position(text, match.start())
    return 1, 1


def _text(data: bytes | str) -> str:
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def decode_stdlib(data: bytes | str) -> Any:
    """Parse JSON text (UTF-8 bytes or str) with the standard library's ``json``.

    Stricter than ``json.loads`` alone, to answer as orjson does: ``NaN``,
    ``Infinity`` and numbers too large for a double are refused.
    """
    try:
        return json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
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
    except _Refused as exc:
        token = exc.token
        line, column = _locate(_text(data), lambda t: t == token)
        raise DecodeError(exc.reason, line, column) from None
    except ValueError as exc:
        # The int-string limit (CVE-2020-10735): int() refuses more than 4300 digits.
        limit = sys.get_int_max_str_digits()
        if limit and "limit" in str(exc):
            line, column = _locate(
                _text(data), lambda t: len(t.lstrip("-")) > limit and t.lstrip("-").isdigit()
            )
            raise DecodeError(f"a number has more than {limit} digits", line, column) from None
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
