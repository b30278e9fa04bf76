"""The ``params`` tool: pass request parameters to the handler, converted by its annotations.

``def search(req, resp, q: str, page: int = 1, tags: list[str] = [])`` gets
``q``, ``page`` and ``tags`` from the query string or form; a value that
does not convert is a 400 naming the parameter.
"""

from __future__ import annotations

import collections.abc
import datetime as _dt
import decimal
import enum
import inspect
import math
import re
import threading
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pegboard

__all__ = ["ParamsOptions", "ParamsTool", "converter_for"]

Raw = str | list[str]
Convert = Callable[[Raw], Any]

_MISSING: Any = inspect.Parameter.empty
_INT = re.compile(r"^[+-]?[0-9]+$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError, ArithmeticError)


class _Invalid(ValueError):
    """A value that does not convert; the message says what was expected."""


def _one(raw: Raw) -> str:
    if isinstance(raw, list):
        raise _Invalid("expected one value, got several")
    return raw


def _to_int(raw: Raw) -> int:
    text = _one(raw).strip()
    if not _INT.fullmatch(text):
        raise _Invalid(f"expected an integer, got {text!r}")
    return int(text)


def _to_float(raw: Raw) -> float:
    value = float(_one(raw))
    if not math.isfinite(value):
        raise _Invalid("expected a finite number")
    return value


def _to_decimal(raw: Raw) -> decimal.Decimal:
    value = decimal.Decimal(_one(raw).strip())
    if not value.is_finite():
        raise _Invalid("expected a finite number")
    return value


def _to_bool(raw: Raw) -> bool:
    text = _one(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Invalid(f"expected true/false, 1/0, yes/no or on/off, got {text!r}")


def _to_bytes(raw: Raw) -> bytes:
    return _one(raw).encode("utf-8")


def _simple(func: Callable[[str], Any]) -> Convert:
    def convert(raw: Raw) -> Any:
        return func(_one(raw))

    return convert


def _enum(cls: type[enum.Enum]) -> Convert:
    def convert(raw: Raw) -> Any:
        text = _one(raw)
        for member in cls:
            if str(member.value) == text:
                return member
        try:
            return cls[text]
        except KeyError:
            choices = ", ".join(str(m.value) for m in cls)
            raise _Invalid(f"expected one of {choices}") from None

    return convert


def _literal(choices: tuple[Any, ...]) -> Convert:
    def convert(raw: Raw) -> Any:
        text = _one(raw)
        for choice in choices:
            if str(choice) == text:
                return choice
        raise _Invalid(f"expected one of {', '.join(repr(str(c)) for c in choices)}")

    return convert


def _many(item: Convert, kind: type) -> Convert:
    def convert(raw: Raw) -> Any:
        values = raw if isinstance(raw, list) else [raw]
        return kind(item(v) for v in values)

    return convert


def _first_of(options: list[Convert]) -> Convert:
    def convert(raw: Raw) -> Any:
        last: BaseException | None = None
        for option in options:
            try:
                return option(raw)
            except _ERRORS as exc:
                last = exc
        raise _Invalid(str(last) if last else "no conversion applies")

    return convert


_BY_TYPE: dict[Any, Convert] = {
    str: _one,
    int: _to_int,
    float: _to_float,
    bool: _to_bool,
    bytes: _to_bytes,
    decimal.Decimal: _to_decimal,
    uuid.UUID: _simple(uuid.UUID),
    _dt.date: _simple(_dt.date.fromisoformat),
    _dt.datetime: _simple(_dt.datetime.fromisoformat),
    _dt.time: _simple(_dt.time.fromisoformat),
}


def _identity(raw: Raw) -> Raw:
    return raw


def converter_for(annotation: Any) -> tuple[Convert, bool]:
    """The converter for an annotation, and whether ``None`` is allowed (``X | None``)."""
    if annotation is _MISSING or annotation is Any or annotation is object:
        return _identity, False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        optional = type(None) in args
        options = [converter_for(a)[0] for a in args if a is not type(None)]
        return (options[0] if len(options) == 1 else _first_of(options)), optional
    if origin is typing.Literal:
        return _literal(args), False
    if origin in (list, set, frozenset, tuple, collections.abc.Sequence, collections.abc.Iterable):
        item = converter_for(args[0])[0] if args else _one
        kind = origin if origin in (set, frozenset, tuple) else list
        return _many(item, kind), False
    if origin is typing.Annotated:
        return converter_for(args[0])
    if annotation in _BY_TYPE:
        return _BY_TYPE[annotation], False
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum(annotation), False
    if callable(annotation):
        return _simple(annotation), False  # CherryPy's rule: call the annotation with the text
    return _identity, False


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    convert: Convert
    optional: bool
    default: Any


@dataclass(frozen=True, slots=True)
class _Spec:
    params: tuple[_Param, ...]
    takes_kwargs: bool
    reserved: frozenset[str]


_specs: dict[Any, _Spec] = {}
_specs_lock = threading.Lock()


def _spec_for(handler: Callable[..., Any]) -> _Spec:
    """The handler's convertible parameters, computed once per handler."""
    try:
        return _specs[handler]
    except KeyError:
        pass
    except TypeError:  # an unhashable callable: no caching
        return _build_spec(handler)
    spec = _build_spec(handler)
    with _specs_lock:
        _specs[handler] = spec
    return spec


class UnresolvedAnnotation(TypeError):
    """A handler parameter's annotation names something that cannot be found."""


def _resolve(annotation: Any, globalns: dict[str, Any], where: str) -> Any:
    """A string annotation (``from __future__ import annotations``) evaluated like typing does."""
    if not isinstance(annotation, str):
        return annotation

    def probe() -> None: ...

    probe.__annotations__ = {"value": annotation}
    try:
        return typing.get_type_hints(probe, globalns=globalns, include_extras=True)["value"]
    except Exception as exc:
        raise UnresolvedAnnotation(
            f"params: cannot resolve the annotation {annotation!r} of {where} ({exc}); "
            "define the type at module level"
        ) from None


def _build_spec(handler: Callable[..., Any]) -> _Spec:
    signature = inspect.signature(handler)
    target = handler if inspect.isroutine(handler) else type(handler).__call__
    globalns = getattr(inspect.unwrap(target), "__globals__", {})
    label = getattr(handler, "__qualname__", repr(handler))
    params: list[_Param] = []
    reserved: set[str] = set()
    takes_kwargs = False
    positional = 0
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            takes_kwargs = True
            continue
        if param.kind is param.VAR_POSITIONAL:
            continue
        if positional < 2 and param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            positional += 1  # req, resp: their annotations are never evaluated
            reserved.add(param.name)
            continue
        if param.kind is param.POSITIONAL_ONLY:
            continue
        annotation = _resolve(param.annotation, globalns, f"parameter {param.name!r} of {label}")
        convert, optional = converter_for(annotation)
        params.append(_Param(param.name, convert, optional, param.default))
    return _Spec(tuple(params), takes_kwargs, frozenset(reserved))


def convert_params(
    spec: _Spec,
    given: dict[str, Raw],
    path_params: dict[str, Any],
    error: int,
    caught: tuple[type[BaseException], ...],
) -> dict[str, Any]:
    """Keyword arguments for the handler from the request parameters; HTTPError on bad input."""
    kwargs: dict[str, Any] = {}
    named = set()
    for param in spec.params:
        named.add(param.name)
        if param.name in path_params:
            continue
        raw = given.get(param.name)
        if raw is None or (param.optional and raw == ""):
            if param.default is not _MISSING:
                continue
            if param.optional:
                kwargs[param.name] = None
                continue
            raise pegboard.HTTPError(error, f"Missing parameter {param.name!r}.")
        try:
            kwargs[param.name] = param.convert(raw)
        except caught as exc:
            reason = str(exc) or type(exc).__name__
            raise pegboard.HTTPError(
                error, f"Invalid value for parameter {param.name!r}: {reason}."
            ) from None
    if spec.takes_kwargs:
        for name, raw in given.items():
            if name not in named and name not in path_params and name not in spec.reserved:
                kwargs[name] = raw
    return kwargs


class ParamsOptions(pegboard.ToolOptions):
    """Options of the ``params`` tool."""

    error: int = pegboard.option(
        default=400, doc="the status for a missing or unconvertible parameter (4xx)"
    )
    exception: Callable[..., Any] | None = pegboard.option(
        default=None, doc="one more exception class that means a bad value (an import string)"
    )

    def __post_init__(self) -> None:
        if not 400 <= self.error <= 499:
            raise pegboard.OptionError("error", "error must be a 4xx status")
        exc = self.exception
        if exc is not None and not (isinstance(exc, type) and issubclass(exc, Exception)):
            raise pegboard.OptionError("exception", f"{exc!r} is not an exception class")


@dataclass(frozen=True, slots=True)
class _Settings:
    error: int
    caught: tuple[type[BaseException], ...]


class ParamsTool(pegboard.Tool[ParamsOptions]):
    """Convert query and form parameters by the handler's annotations and pass them in.

    Parameters named in the handler's signature (after ``req, resp``, and
    other than path parameters) are filled from ``req.params``; a missing
    one without a default, or one that does not convert, is answered with
    ``error`` (400) naming it. A handler with ``**kwargs`` also receives the
    other parameters as strings (lists when repeated).
    """

    hooks = (
        pegboard.HookDoc(
            "before_handler",
            60,
            "wraps the handler to pass it the parameters, converted by its annotations",
        ),
    )

    def __init__(self) -> None:
        super().__init__("params", point="before_handler", priority=60)

    def attach(self, plan: pegboard.PlanBuilder, options: ParamsOptions) -> None:
        exception = options.exception
        caught = _ERRORS if exception is None else (*_ERRORS, typing.cast(type, exception))
        plan.add("before_handler", _params, self.priority, args=(_Settings(options.error, caught),))


def _params(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    inner = req.handler
    route = req.route
    if inner is None or route is None:
        return
    original = route.handler_for(req.method)
    if original is None:
        return
    spec = _spec_for(original)
    if not spec.params and not spec.takes_kwargs:
        return
    kwargs = convert_params(spec, req.params, req.path_params, settings.error, settings.caught)
    if not kwargs:
        return

    def with_params(req: pegboard.Request, resp: pegboard.Response, **path_params: Any) -> Any:
        return inner(req, resp, **path_params, **kwargs)

    req.handler = with_params
