"""Encoding handler results as JSON, with orjson when it is installed.

Both encoders give the same bytes for the same value: compact separators,
UTF-8 (not ``\\u`` escapes), non-string keys turned into strings, and these
types beyond JSON's own: datetime/date/time (ISO 8601), Decimal (a string,
so no precision is lost), UUID (its string), Enum (its value), dataclass
instances (an object of their fields) and set/frozenset (an array).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from typing import Any

__all__ = ["HAVE_ORJSON", "encode", "encode_stdlib", "json_default"]


def json_default(value: Any) -> Any:
    """Turn one value JSON does not know into one it does; TypeError otherwise."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode_stdlib(value: Any) -> bytes:
    """``value`` as JSON bytes with the standard library (NaN and Infinity are refused)."""
    return json.dumps(
        value, default=json_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


try:
    import orjson
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    HAVE_ORJSON = False
    encode = encode_stdlib
else:
    HAVE_ORJSON = True
    _OPTIONS = orjson.OPT_NON_STR_KEYS

    def encode(value: Any) -> bytes:
        """``value`` as JSON bytes: orjson, or the standard library for what orjson refuses.

        orjson writes NaN and Infinity as null and refuses integers past 64
        bits; those fall back to the standard library.
        """
        try:
            return orjson.dumps(value, default=json_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return encode_stdlib(value)
