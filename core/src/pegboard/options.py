"""Option schemas: typed option classes, signatures, and checking values against annotations.

A tool declares its options either as a :class:`ToolOptions` subclass (a
frozen dataclass whose fields are the options, each with its meaning and
unit) or, in the older form, as the keyword parameters of its callback or
``attach``. Both give the same :class:`Option` records, which validation, the
generated reference and ``pegboard tools`` read.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import importlib
import importlib.util
import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from typing_extensions import dataclass_transform

__all__ = [
    "MISSING",
    "Option",
    "OptionError",
    "ToolOptions",
    "coerce",
    "import_string",
    "missing_extra",
    "option",
    "schema_from",
    "schema_of_options",
    "type_name",
]

MISSING: Any = inspect.Parameter.empty
_META = "pegboard"


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a tool: its name, annotation and default (MISSING if required).

    ``doc`` says what it does and ``unit`` what its number counts (seconds,
    bytes...); both feed the generated configuration reference.
    """

    name: str
    annotation: Any
    default: Any
    doc: str = ""
    unit: str | None = None

    @property
    def required(self) -> bool:
        return self.default is MISSING

    def describe(self) -> str:
        kind = type_name(self.annotation)
        if self.unit:
            kind = f"{kind}, {self.unit}"
        default = "required" if self.required else f"default {self.default!r}"
        return f"{self.name}: {kind} ({default})"


class OptionError(ValueError):
    """An option value that cannot work, raised by an options class or ``Tool.check``.

    The core turns it into a :class:`~pegboard.ConfigError` naming the config
    section and the key ``tools.<tool>.<key>``.
    """

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


def option(
    *,
    default: Any = MISSING,
    doc: str = "",
    unit: str | None = None,
    default_factory: Callable[[], Any] | None = None,
) -> Any:
    """One field of a :class:`ToolOptions` class: its default, meaning and unit.

    Leave ``default`` out for a required option. ``unit`` is shown in the
    reference beside the type (``"seconds"``, ``"minutes"``, ``"bytes"``).
    Arguments are keywords so that type checkers see the default
    (``dataclass_transform`` field specifiers).
    """
    metadata = {_META: (doc, unit)}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    if default is MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(option,))
class ToolOptions:
    """Base class of a tool's typed options: each subclass is a frozen, keyword-only dataclass.

    The core builds one instance per compiled plan from the merged config and
    hands it to ``Tool.attach(plan, options)``; ``__post_init__`` may raise
    :class:`OptionError` for a value that cannot work.

    ::

        class GreetOptions(pegboard.ToolOptions):
            header: str = pegboard.option(default="X-Greeting", doc="the header to set")
            ttl: float = pegboard.option(default=60.0, doc="how long it lasts", unit="seconds")
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)


def schema_of_options(options_type: type[Any]) -> dict[str, Option]:
    """The options of a dataclass (a :class:`ToolOptions` subclass or any ``@dataclass``)."""
    if not dataclasses.is_dataclass(options_type):
        raise TypeError(f"tool options must be a dataclass, not {options_type!r}")
    try:
        hints = typing.get_type_hints(options_type)
    except Exception:
        hints = {}
    schema: dict[str, Option] = {}
    for field in dataclasses.fields(options_type):
        if not field.init:
            continue
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = MISSING
        doc, unit = field.metadata.get(_META, ("", None))
        schema[field.name] = Option(
            field.name, hints.get(field.name, field.type), default, doc, unit
        )
    return schema


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


def missing_extra(module: str, extra: str) -> str | None:
    """None if ``module`` can be imported; else the one-line fix naming the extra to install.

    For a tool's checks at start-up: ``missing_extra("redis", "caching-redis")``
    gives ``"needs the 'redis' package: pip install 'pegboard[caching-redis]'"``
    when the optional dependency behind a configured backend is not installed.
    """
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return None
    return f"needs the {module.split('.')[0]!r} package: pip install 'pegboard[{extra}]'"


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
    """``annotation`` as a reader writes it: ``list[str] | None``, ``pegboard.Request``."""
    if annotation is MISSING or annotation is Any:
        return "any"
    if isinstance(annotation, type):
        return annotation.__name__
    text = str(annotation).replace("typing.", "").replace("collections.abc.", "")
    # pegboard.request.Request -> pegboard.Request: the public name, not the module path
    return _PRIVATE_PATH.sub(r"\1.\2", text)


_PRIVATE_PATH = re.compile(r"\b(pegboard)\.[a-z_]+\.([A-Z]\w*)")


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
