"""Hookpoints, the Hook record, and running a hookpoint with failsafe semantics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HOOKPOINTS", "Hook", "run_hooks"]

#: The hookpoints of a request, in the order they run.
HOOKPOINTS: tuple[str, ...] = (
    "on_start_resource",
    "before_request_body",
    "before_handler",
    "before_finalize",
    "on_end_resource",
    "on_end_request",
    "before_error_response",
    "after_error_response",
)

_log = logging.getLogger("pegboard.hooks")


@dataclass(frozen=True, slots=True)
class Hook:
    """A callback at a hookpoint: lower ``priority`` runs first; ties keep attachment order.

    A ``failsafe`` hook still runs when an earlier hook of the same hookpoint
    raised. The callback is called as ``callback(req, resp, *args, **options)``.
    """

    callback: Callable[..., Any]
    priority: int = 50
    failsafe: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    #: the tool that attached this hook, for ``pegboard routes``; None for plain hooks
    source: str | None = None
    #: positional arguments after ``(req, resp)``: a typed tool's options object
    args: tuple[Any, ...] = ()

    @classmethod
    def coerce(cls, value: Any) -> Hook:
        """A Hook from a Hook or a callable carrying optional priority/failsafe attributes."""
        if isinstance(value, Hook):
            return value
        if not callable(value):
            raise TypeError(f"a hook must be callable or a pegboard.Hook, not {value!r}")
        return cls(
            value,
            int(getattr(value, "priority", 50)),
            bool(getattr(value, "failsafe", False)),
        )

    def bind(self) -> Callable[..., Any]:
        """The callable the plan stores: ``callback(req, resp)`` with options bound."""
        callback, args, options = self.callback, self.args, dict(self.options)
        if not options and not args:
            return callback
        if not options and len(args) == 1:
            (arg,) = args

            # PERF: the typed-tool case, one options object: no tuple or dict unpacking.
            def bound(req: Any, resp: Any) -> Any:
                return callback(req, resp, arg)

        else:

            def bound(req: Any, resp: Any) -> Any:
                return callback(req, resp, *args, **options)

        bound.__name__ = getattr(callback, "__name__", "hook")
        bound.__qualname__ = getattr(callback, "__qualname__", "hook")
        return bound

    def describe(self) -> str:
        name = getattr(self.callback, "__qualname__", None) or repr(self.callback)
        module = getattr(self.callback, "__module__", None)
        label = f"{module}.{name}" if module else name
        flags = " failsafe" if self.failsafe else ""
        origin = f"tools.{self.source}: " if self.source else ""
        return f"{self.priority:>3} {origin}{label}{flags}"


def run_hooks(
    callbacks: tuple[Callable[..., Any], ...],
    failsafe: tuple[bool, ...],
    req: Any,
    resp: Any,
) -> None:
    """Run one hookpoint: in order; after a failure only failsafe hooks, then re-raise."""
    index = 0
    try:
        for callback in callbacks:
            callback(req, resp)
            index += 1
    except BaseException:
        for callback, safe in zip(callbacks[index + 1 :], failsafe[index + 1 :], strict=True):
            if safe:
                try:
                    callback(req, resp)
                except Exception:
                    _log.exception("failsafe hook %r failed after an earlier hook failed", callback)
        raise
