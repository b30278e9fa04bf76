"""Flask inside ``pegboard.wrap``: ``flask.session`` on pegboard's sessions, errors to pegboard.

::

    app = flask.Flask(__name__)
    pegboard.integrations.flask.init_app(app)
    site = pegboard.wrap(app, config="site.toml")

Where ``tools.sessions`` is on, ``flask.session`` is pegboard's session of
the request (its store, its lock, its cookie); elsewhere it is what it was
(Flask's signed cookie, or the interface the app had set). A
``pegboard.HTTPError`` raised in a view (a session store that is down: 503)
is answered by pegboard as in a pegboard handler, not turned into Flask's 500.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import flask
from flask.sessions import SessionInterface, SessionMixin

import pegboard

__all__ = ["PegboardSession", "PegboardSessionInterface", "init_app"]

#: where the sessions tool's session is in the environ of a wrapped app
SESSION_KEY = "pegboard.session"
#: what pegboard answers for (see pegboard.wsgi_handler.ENVIRON_HTTP_ERROR)
HTTP_ERROR_KEY = "pegboard.http_error"


def init_app(app: flask.Flask, *, sessions: bool = True) -> None:
    """Make ``app`` use what pegboard's tools provide: sessions and HTTP errors."""
    if sessions:
        app.session_interface = PegboardSessionInterface(app.session_interface)
    app.register_error_handler(pegboard.HTTPError, _to_pegboard)
    app.register_error_handler(pegboard.HTTPRedirect, _to_pegboard)


def _to_pegboard(exc: Exception) -> flask.Response:
    environ = flask.request.environ
    if "pegboard.request" not in environ:
        raise exc  # not running inside pegboard.wrap: Flask's own error handling
    environ[HTTP_ERROR_KEY] = exc
    return flask.Response(status=500)  # dropped: pegboard answers with the error


class PegboardSession(SessionMixin):
    """``flask.session`` backed by pegboard's session of the request.

    The sessions tool loads it lazily, locks it, saves it after the view and
    sets its cookie and ``Vary: Cookie``; Flask saves nothing. Its other
    methods (``regenerate()`` at login, ``expire()`` at logout, ``id``) are
    reachable here too.
    """

    #: Flask asks; pegboard tracks changes (nested ones included) itself
    new = False
    modified = False
    accessed = True

    def __init__(self, session: MutableMapping[str, Any]) -> None:
        self.pegboard_session = session

    def __getitem__(self, key: str) -> Any:
        return self.pegboard_session[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.pegboard_session[key] = value

    def __delitem__(self, key: str) -> None:
        del self.pegboard_session[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.pegboard_session)

    def __len__(self) -> int:
        return len(self.pegboard_session)

    def __contains__(self, key: object) -> bool:
        return key in self.pegboard_session

    def get(self, key: str, default: Any = None) -> Any:
        return self.pegboard_session.get(key, default)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pegboard_session, name)

    def __repr__(self) -> str:
        return f"<PegboardSession {self.pegboard_session!r}>"


class PegboardSessionInterface(SessionInterface):
    """Opens pegboard's session where the sessions tool is on, ``fallback``'s elsewhere."""

    def __init__(self, fallback: SessionInterface | None = None) -> None:
        if fallback is None or isinstance(fallback, PegboardSessionInterface):
            fallback = flask.Flask.session_interface
        self.fallback = fallback

    def open_session(self, app: flask.Flask, request: flask.Request) -> SessionMixin | None:
        session = request.environ.get(SESSION_KEY)
        if session is None:
            return self.fallback.open_session(app, request)
        return PegboardSession(session)

    def save_session(
        self, app: flask.Flask, session: SessionMixin, response: flask.Response
    ) -> None:
        if not isinstance(session, PegboardSession):
            self.fallback.save_session(app, session, response)

    def is_null_session(self, obj: object) -> bool:
        return self.fallback.is_null_session(obj)

    def make_null_session(self, app: flask.Flask) -> Any:
        return self.fallback.make_null_session(app)
