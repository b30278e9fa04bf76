"""``pegboard_sessions.session``: the current request's session, for code without ``req``."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import pegboard

from .session import Session

__all__ = ["SessionProxy", "session"]


class SessionProxy(MutableMapping[str, Any]):
    """Forwards to ``pegboard.request.session`` of the request being handled."""

    __slots__ = ()

    @staticmethod
    def _target() -> Session:
        found = getattr(pegboard.request, "session", None)  # RuntimeError outside a request
        if not isinstance(found, Session):
            raise RuntimeError(
                "pegboard_sessions.session needs tools.sessions.on = true for this path"
            )
        return found

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

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __repr__(self) -> str:
        try:
            return repr(self._target())
        except RuntimeError:
            return "<unbound pegboard_sessions.session>"


session: Any = SessionProxy()
