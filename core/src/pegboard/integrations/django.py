"""Django inside ``pegboard.wrap``: ``request.session`` on pegboard's sessions, errors to pegboard.

Put the middleware where Django's ``SessionMiddleware`` was (it is a
subclass, so the admin's checks accept it)::

    MIDDLEWARE = [
        "pegboard.integrations.django.PegboardMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        ...
    ]

Where ``tools.sessions`` is on, ``request.session`` is pegboard's session of
the request, with the API Django's own code uses (``django.contrib.auth``'s
``login()`` cycles its key, ``logout()`` flushes it); elsewhere it is
Django's own session (``SESSION_ENGINE``), as before. ``request.pegboard`` is
the pegboard Request. A ``pegboard.HTTPError`` raised in a view (a session
store that is down: 503) is answered by pegboard, not turned into Django's 500.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase

import pegboard

__all__ = ["PegboardMiddleware", "PegboardSession"]

#: where the sessions tool's session is in the environ of a wrapped app
SESSION_KEY = "pegboard.session"
#: what pegboard answers for (see pegboard.wsgi_handler.ENVIRON_HTTP_ERROR)
HTTP_ERROR_KEY = "pegboard.http_error"


class PegboardSession(SessionBase):  # type: ignore[misc]  # Django ships no types
    """A Django session (``SessionBase``) over pegboard's session of the request.

    Reads and writes go to pegboard's session, which the sessions tool loads
    lazily, locks, saves after the view and sends as its cookie; Django saves
    nothing. ``cycle_key()`` gives it a new id (pegboard's ``regenerate()``),
    ``flush()`` ends it (``expire()``).
    """

    def __init__(self, session: MutableMapping[str, Any]) -> None:
        super().__init__(None)
        self.pegboard_session = session

    # Everything SessionBase reads and writes goes through _session.
    @property
    def _session(self) -> MutableMapping[str, Any]:
        self.accessed = True
        return self.pegboard_session

    async def _aget_session(self, no_load: bool = False) -> MutableMapping[str, Any]:
        return self._session

    @property
    def session_key(self) -> str | None:
        key: str | None = getattr(self.pegboard_session, "id", None)
        return key

    def clear(self) -> None:
        self.pegboard_session.clear()
        self.accessed = self.modified = True

    def is_empty(self) -> bool:
        return len(self.pegboard_session) == 0

    def cycle_key(self) -> None:
        self.pegboard_session.regenerate()  # type: ignore[attr-defined]

    def flush(self) -> None:
        self.pegboard_session.expire()  # type: ignore[attr-defined]
        self.modified = True

    # The store is pegboard's: the sessions tool creates, saves and deletes records.
    def exists(self, session_key: str) -> bool:
        return False

    def create(self) -> None:
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        self.modified = True

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            self.flush()

    def load(self) -> MutableMapping[str, Any]:
        return self.pegboard_session

    @classmethod
    def clear_expired(cls) -> None:
        return None  # pegboard's stores expire sessions themselves


class PegboardMiddleware(SessionMiddleware):  # type: ignore[misc]  # Django ships no types
    """Sets ``request.pegboard`` and ``request.session``; hands pegboard's errors to pegboard."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)

    def process_request(self, request: HttpRequest) -> None:
        environ = request.META
        request.pegboard = environ.get("pegboard.request")
        session = environ.get(SESSION_KEY)
        if session is None:
            super().process_request(request)  # Django's own session where the tool is off
        else:
            request.session = PegboardSession(session)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if isinstance(getattr(request, "session", None), PegboardSession):
            return response  # pegboard saves it and sets the cookie and Vary
        result: HttpResponseBase = super().process_response(request, response)
        return result

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (pegboard.HTTPError, pegboard.HTTPRedirect)):
            return None
        if "pegboard.request" not in request.META:
            return None  # not running inside pegboard.wrap: Django's own handling
        request.META[HTTP_ERROR_KEY] = exception
        return HttpResponse(status=500)  # dropped: pegboard answers with the error
