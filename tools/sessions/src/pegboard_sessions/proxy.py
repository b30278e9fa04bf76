"""``pegboard_sessions.session``: the current request's session, for code without ``req``."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import pegboard

from .session import Session, session_of

__all__ = ["SessionProxy", "session"]


class SessionProxy(MutableMapping[str, Any]):
    """Forwards to the session of the request being handled (``session_of(request)``).

    The mapping and the :class:`Session` members are spelled out, so code that
    uses the proxy type-checks as code that uses ``req.session`` does.
    """

    __slots__ = ()

    @staticmethod
    def _target() -> Session:
        exchange = pegboard.current_exchange()
        if exchange is None:
            raise RuntimeError(
                "pegboard_sessions.session is only available while a request is handled"
            )
        return session_of(exchange[0])

    # -- the mapping ---------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._target()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __contains__(self, key: object) -> bool:
        return key in self._target()

    def get(self, key: str, default: Any = None) -> Any:
        return self._target().get(key, default)

    def clear(self) -> None:
        self._target().clear()

    # -- the session's own members ---------------------------------------------------

    @property
    def id(self) -> str:
        """The current session's id (see :attr:`Session.id`)."""
        return self._target().id

    @property
    def loaded(self) -> bool:
        return self._target().loaded

    @property
    def locked(self) -> bool:
        return self._target().locked

    def load(self) -> None:
        self._target().load()

    def regenerate(self) -> None:
        self._target().regenerate()

    def expire(self) -> None:
        self._target().expire()

    def acquire_lock(self) -> None:
        self._target().acquire_lock()

    def release_lock(self) -> None:
        self._target().release_lock()

    def __repr__(self) -> str:
        try:
            return repr(self._target())
        except RuntimeError:
            return "<unbound pegboard_sessions.session>"


#: The current request's session; ``session["cart"]`` as ``req.session["cart"]``.
session = SessionProxy()
