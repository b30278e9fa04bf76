"""Option schemas taken from signatures, and checking values against annotations."""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["MISSING", "Option", "coerce", "import_string", "schema_from", "type_name"]

MISSING: Any = inspect.Parameter.empty


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a tool: its name, annotation and default (MISSING if required)."""

    name: str
    annotation: Any
    default: Any

    @property
    def required(self) -> bool:
        return self.default is MISSING

    def describe(self) -> str:
        kind = type_name(self.annotation)
        default = "required" if self.required else f"default {self.default!r}"
        return f"{self.name}: {kind} ({default})"


def schema_from(func: Callable[..., Any], skip: int) -> tuple[dict[str, Option], bool]:
    """Options from ``func``'s parameters after the first ``skip`` positional ones.

    Returns the options by name and whether ``**kwargs`` accepts any other name.
    """
    sig = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        hints = {}
    options: dict[str, Option] = {}
    open_ended = False
    for index, param in enumerate(sig.parameters.values()):
        if param.kind is param.VAR_KEYWORD:
            open_ended = True
            continue
        if param.kind is param.VAR_POSITIONAL or index < skip:
            continue
        annotation = hints.get(param.name, param.annotation)
        options[param.name] = Option(param.name, annotation, param.default)
    return options, open_ended


def import_string(path: str) -> Any:
    """Resolve ``"package.module:attr"`` (or ``package.module.attr``) to the object."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"{path!r} is not an import string like 'package.module:name'")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def type_name(annotation: Any) -> str:
    if annotation is MISSING or annotation is Any:
        return "any"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("collections.abc.", "")


def _is_callable_type(annotation: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    return origin in (collections.abc.Callable, typing.Callable)


def coerce(value: Any, annotation: Any) -> Any:
    """Check ``value`` against ``annotation`` and return it, converted where lossless.

    Import strings become objects where a callable is expected; an int is
    accepted for a float; a list for a tuple or set. Raises TypeError with
    the expected type named.
    """
    if annotation is MISSING or annotation is Any or annotation is object:
        return value
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        errors = []
        # Try callables last so that a plain string stays a string where str is allowed.
        for arg in sorted(args, key=_is_callable_type):
            try:
                return coerce(value, arg)
            except (TypeError, ValueError) as exc:
                errors.append(str(exc))
        # An import string that failed to import says more than "expected X | None".
        for error in errors:
            if error.startswith("cannot import"):
                raise TypeError(error)
        raise TypeError(f"expected {type_name(annotation)}, got {type(value).__name__} {value!r}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise TypeError(f"expected one of {', '.join(repr(a) for a in args)}, got {value!r}")
    if annotation is None or annotation is type(None):
        if value is None:
            return None
        raise TypeError(f"expected None, got {value!r}")
    if _is_callable_type(annotation):
        if isinstance(value, str):
            try:
                value = import_string(value)
            except (ImportError, AttributeError, ValueError) as exc:
                raise TypeError(f"cannot import {value!r}: {exc}") from None
        if callable(value):
            return value
        raise TypeError(f"expected a callable or an import string, got {value!r}")
    if origin is not None:
        return _coerce_generic(value, origin, args, annotation)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (tuple, set, frozenset) and isinstance(value, list):
        return annotation(value)
    if isinstance(annotation, type):
        if annotation is int and isinstance(value, bool):
            raise TypeError(f"expected int, got bool {value!r}")
        if isinstance(value, annotation):
            return value
        raise TypeError(f"expected {annotation.__name__}, got {type(value).__name__} {value!r}")
    return value


def _coerce_generic(value: Any, origin: Any, args: tuple[Any, ...], annotation: Any) -> Any:
    if origin in (list, collections.abc.Sequence, collections.abc.Iterable):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise TypeError(
                f"expected {type_name(annotation)}, got {type(value).__name__} {value!r}"
            )
        return [coerce(v, args[0]) for v in value] if args else list(value)
    if origin in (tuple, set, frozenset):
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise TypeError(
                f"expected {type_name(annotation)}, got {type(value).__name__} {value!r}"
            )
        if args and origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise TypeError(f"expected {type_name(annotation)}, got {value!r}")
            return tuple(coerce(v, a) for v, a in zip(value, args, strict=True))
        item = args[0] if args else Any
        return origin(coerce(v, item) for v in value)
    if origin in (dict, collections.abc.Mapping):
        if not isinstance(value, collections.abc.Mapping):
            raise TypeError(
                f"expected {type_name(annotation)}, got {type(value).__name__} {value!r}"
            )
        if len(args) == 2:
            return {coerce(k, args[0]): coerce(v, args[1]) for k, v in value.items()}
        return dict(value)
    if isinstance(origin, type) and not isinstance(value, origin):
        raise TypeError(f"expected {type_name(annotation)}, got {type(value).__name__} {value!r}")
    return value
