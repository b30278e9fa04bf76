"""``app.state`` and ``req.state``: where tools and handlers keep data of their own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

__all__ = ["State"]

T = TypeVar("T")

# setdefault() is rare (start-up, first use), so one lock for every State is enough.
_SETDEFAULT_LOCK = threading.Lock()


class State:
    """An attribute namespace: ``state.limiter = ...``, then ``state.limiter``.

    ``app.state`` lives as long as the app and is shared by every route and
    request (a tool's pools, registries and counters); ``req.state`` lives
    for one request (what a tool found out for the handler and for its own
    later hooks). Pick names that cannot clash: a tool uses its own name.
    """

    def __init__(self, **values: Any) -> None:
        if values:
            self.__dict__.update(values)

    # PERF: no __getattr__, __setattr__ or __delattr__ at run time (a Python hook
    # there slows every read or write); any attribute is allowed, which these tell
    # type checkers.
    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name``, or ``default`` when it is not set."""
        return self.__dict__.get(name, default)

    def setdefault(self, name: str, factory: Callable[[], T]) -> T:
        """The value of ``name``; if unset, ``factory()`` is stored first (once, thread-safe)."""
        try:
            value: T = self.__dict__[name]
            return value
        except KeyError:
            pass
        with _SETDEFAULT_LOCK:
            if name not in self.__dict__:
                self.__dict__[name] = factory()
            stored: T = self.__dict__[name]
            return stored

    def __contains__(self, name: object) -> bool:
        return name in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.__dict__))

    def __repr__(self) -> str:
        return f"State({', '.join(sorted(self.__dict__))})"
