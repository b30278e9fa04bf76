"""How session data becomes bytes: JSON by default, msgpack, or pickle when asked for."""

from __future__ import annotations

import json
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


# PERF: json.dumps() with non-default arguments builds a new encoder per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _json_dumps(obj: Any) -> bytes:
    try:
        return _ENCODER.encode(obj).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"session data cannot be stored as JSON: {exc}") from None


def _json_loads(data: bytes) -> Any:
    return json.loads(data)


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

_JSON = Serializer("json", _json_dumps, _json_loads)


def get_serializer(name: str) -> Serializer:
    """The serializer called ``name``; ImportError if msgpack is asked for but missing."""
    if name == "json":
        return _JSON
    if name == "msgpack":
        return _msgpack()
    if name == "pickle":
        return _pickle()
    raise ValueError(f"unknown serializer {name!r}; expected one of {', '.join(SERIALIZERS)}")
