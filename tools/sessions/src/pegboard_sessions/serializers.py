"""How session data becomes bytes: JSON by default, msgpack, or pickle when asked for."""

from __future__ import annotations

import json
import json.encoder
import json.scanner
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["SERIALIZERS", "Serializer", "UnsafeSerializerWarning", "get_serializer"]


class UnsafeSerializerWarning(UserWarning):
    """Emitted at start-up when ``serializer = "pickle"`` is configured."""


@dataclass(frozen=True, slots=True)
class Serializer:
    """A named pair of functions: ``dumps(obj) -> bytes`` and ``loads(bytes) -> obj``."""

    name: str
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]


# PERF: json.dumps() and json.loads() build an encoder (and check the input's
# encoding) on every call, which costs more than encoding a small session.
# The C encoder and scanner behind them are built once here; where they do
# not exist (no _json accelerator) the documented functions are used.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_c_scanner = getattr(json.scanner, "c_make_scanner", None)


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _make_json() -> Serializer:
    """The JSON serializer: compact UTF-8, through the C encoder and scanner when present."""
    if _c_encoder is None or _c_scanner is None:  # pragma: no cover - CPython has them
        return _json_fallback()
    # markers=None: no cycle check; a cyclic value ends in RecursionError, reported below.
    chunks = _c_encoder(
        None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    scan = _c_scanner(json.JSONDecoder())

    # PERF: every request that uses a session decodes and encodes it once: the C
    # scanner and encoder called straight from these two functions, one frame each.
    def dumps(obj: Any) -> bytes:
        try:
            return "".join(chunks(obj, 0)).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            raise TypeError(f"session data cannot be stored as JSON: {exc}") from None

    def loads(data: bytes) -> Any:
        # Payloads are written by dumps: UTF-8, no surrounding whitespace.
        text = data.decode("utf-8")
        try:
            value, end = scan(text, 0)
        except StopIteration:
            raise ValueError("no JSON value at the start") from None
        if end != len(text):
            raise ValueError(f"extra data after the JSON value at {end}")
        return value

    return Serializer("json", dumps, loads)


def _json_fallback() -> Serializer:  # pragma: no cover - CPython has the accelerator
    """The JSON serializer through the documented classes, where ``_json`` is missing."""
    decoder = json.JSONDecoder()

    def dumps(obj: Any) -> bytes:
        try:
            return _ENCODER.encode(obj).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            raise TypeError(f"session data cannot be stored as JSON: {exc}") from None

    def loads(data: bytes) -> Any:
        return decoder.decode(data.decode("utf-8"))

    return Serializer("json", dumps, loads)


def _msgpack() -> Serializer:
    import msgpack  # type: ignore[import-untyped,unused-ignore]

    def dumps(obj: Any) -> bytes:
        try:
            packed: bytes = msgpack.packb(obj, use_bin_type=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"session data cannot be stored as msgpack: {exc}") from None
        return packed

    def loads(data: bytes) -> Any:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)

    return Serializer("msgpack", dumps, loads)


def _pickle() -> Serializer:
    def dumps(obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def loads(data: bytes) -> Any:
        # Only reached when the operator configured pickle and was warned at start-up.
        return pickle.loads(data)

    return Serializer("pickle", dumps, loads)


#: Serializer names accepted by the ``serializer`` option.
SERIALIZERS = ("json", "msgpack", "pickle")

_JSON = _make_json()


def get_serializer(name: str) -> Serializer:
    """The serializer called ``name``; ImportError if msgpack is asked for but missing."""
    if name == "json":
        return _JSON
    if name == "msgpack":
        return _msgpack()
    if name == "pickle":
        return _pickle()
    raise ValueError(f"unknown serializer {name!r}; expected one of {', '.join(SERIALIZERS)}")
