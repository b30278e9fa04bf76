"""``pegboard.request`` and ``pegboard.response``: context-local proxies."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .request import Request
    from .response import Response

__all__ = ["current", "current_exchange", "request", "response"]

#: PERF: one ContextVar holds the (request, response) pair, so a request costs one set().
#: None once a request is over, so the proxies never show a finished request.
current: ContextVar[tuple[Any, Any] | None] = ContextVar("pegboard.current", default=None)
#: PERF: ``current.set`` bound once. Other modules import ``current`` by name, and
#: CPython 3.11 compiles a method call on an imported name as an attribute load,
#: which builds a new bound method object on every call.
_set_current = current.set


def current_exchange() -> tuple[Request, Response] | None:
    """The request and response being handled in this context, or None outside a request.

    For code that has no ``req`` at hand and needs the real objects rather
    than the ``pegboard.request``/``pegboard.response`` proxies.
    """
    return current.get()


class _Proxy:
    """Forwards attribute access to the current request's object."""

    __slots__ = ("_index", "_name")

    def __init__(self, index: int, name: str) -> None:
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_name", name)

    def _get(self) -> Any:
        pair = current.get()
        if pair is None:
            raise RuntimeError(
                f"pegboard.{self._name} is only available while a request is handled"
            )
        return pair[self._index]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get(), name)

    def __bool__(self) -> bool:
        return current.get() is not None

    def __repr__(self) -> str:
        pair = current.get()
        return repr(pair[self._index]) if pair is not None else f"<unbound pegboard.{self._name}>"


request: Any = _Proxy(0, "request")
response: Any = _Proxy(1, "response")
