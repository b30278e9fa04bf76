"""The same small site written three times, as Flask, Django and Falcon users write it.

Each uses what pegboard's tools provide the way its framework's users expect
(``pegboard.integrations``): the session (``flask.session``, Django's
``request.session``, Falcon's ``req.context.session``), the authenticated user
(``REMOTE_USER``: ``flask.request.remote_user``, Django's ``request.user``
through ``RemoteUserMiddleware``, ``req.context.user``), the request id, the
JSON body json_in parsed, the cache's tags (``pegboard.response.cache_tags``).

Paths (the same in every framework):

- ``GET /data?user=U``: JSON; with the sessions tool on, the user is kept in the session
- ``GET /shared``: text with ``Cache-Control: public, max-age=60`` and a build counter
- ``GET /whoami``: the authenticated user, or ``anonymous``
- ``POST /echo``: the JSON body as the framework parsed it, and as json_in did
- ``GET /stream``: a streamed body (three chunks) that records when it is closed
- ``GET /rid``: the request id
- ``GET /tagged``: a page stored with the cache tag ``tagged``, with a build counter
- ``GET /boom``: raises ``pegboard.HTTPError(503)`` in the view
- ``POST /login``, ``POST /logout`` (Django): django.contrib.auth's login()/logout()
- ``GET /count``, ``GET /plain/count`` (Flask): a visit counter in ``flask.session``
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pegboard

DATA = {"title": "wrapped", "rows": [{"n": i, "even": i % 2 == 0} for i in range(60)]}
STREAM_CHUNK = 2000
FRAMEWORKS = ("flask", "django", "falcon")


@dataclass
class Counters:
    """What the app saw: calls per path, builds of the cached pages, closes of streams."""

    calls: list[str] = field(default_factory=list)
    shared_builds: int = 0
    tagged_builds: int = 0
    log: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.calls.clear()
        self.log.clear()
        self.shared_builds = self.tagged_builds = 0


def _payload(session: Any, user: str | None) -> dict[str, Any]:
    """What /data answers: DATA, plus the session's user where the sessions tool is on."""
    if session is None:
        return DATA
    session["user"] = user or "anonymous"
    return {**DATA, "user": session["user"]}


def _stream(counters: Counters) -> Iterator[bytes]:
    try:
        for letter in "abc":
            # pegboard.request is bound while the server iterates the body.
            counters.log.append(f"chunk {pegboard.request.path}")
            yield letter.encode() * STREAM_CHUNK
    finally:
        counters.log.append("closed")


# -- Flask ------------------------------------------------------------------------------


def flask_app(counters: Counters) -> Any:
    import flask

    from pegboard.integrations.flask import init_app

    app = flask.Flask("wrapped_flask")
    app.secret_key = "test-only secret for Flask's own cookie session"
    init_app(app)

    @app.before_request
    def count() -> None:
        counters.calls.append(flask.request.path)

    @app.get("/data")
    def data() -> Any:
        using_pegboard = "pegboard.session" in flask.request.environ
        session = flask.session if using_pegboard else None
        return flask.jsonify(_payload(session, flask.request.args.get("user")))

    @app.get("/shared")
    def shared() -> Any:
        counters.shared_builds += 1
        response = flask.make_response(f"shared page, build {counters.shared_builds}")
        response.headers["Cache-Control"] = "public, max-age=60"
        response.mimetype = "text/plain"
        return response

    @app.get("/whoami")
    def whoami() -> Any:
        return flask.request.remote_user or "anonymous"

    @app.post("/echo")
    def echo() -> Any:
        return flask.jsonify(
            framework=flask.request.get_json(), pegboard=flask.request.environ.get("pegboard.json")
        )

    @app.get("/stream")
    def stream() -> Any:
        return flask.Response(_stream(counters), mimetype="text/plain")

    @app.get("/rid")
    def rid() -> Any:
        return flask.request.environ["pegboard.request_id"]

    @app.get("/tagged")
    def tagged() -> Any:
        counters.tagged_builds += 1
        pegboard.response.cache_tags = ["tagged"]
        return f"tagged page, build {counters.tagged_builds}"

    @app.get("/boom")
    def boom() -> Any:
        raise pegboard.HTTPError(503, "The store is down.", headers={"Retry-After": "1"})

    @app.get("/count")
    @app.get("/plain/count")
    def count_visits() -> Any:
        # flask.session: pegboard's where tools.sessions is on, Flask's cookie elsewhere
        flask.session["n"] = flask.session.get("n", 0) + 1
        return str(flask.session["n"])

    return app


# -- Falcon -----------------------------------------------------------------------------


def falcon_app(counters: Counters) -> Any:
    import falcon

    from pegboard.integrations.falcon import init_app

    class Count:
        def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
            counters.calls.append(req.path)

    def text(resp: falcon.Response, body: str) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = body

    class Data:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            resp.media = _payload(req.context.session, req.get_param("user"))

    class Shared:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            counters.shared_builds += 1
            resp.cache_control = ["public", "max-age=60"]
            text(resp, f"shared page, build {counters.shared_builds}")

    class WhoAmI:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            text(resp, req.context.user or "anonymous")

    class Echo:
        def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
            resp.media = {"framework": req.get_media(), "pegboard": req.context.json}

    class Stream:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.stream = _stream(counters)

    class RequestId:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            text(resp, req.context.request_id)

    class Tagged:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            counters.tagged_builds += 1
            req.env["pegboard.response"].cache_tags = ["tagged"]
            text(resp, f"tagged page, build {counters.tagged_builds}")

    class Boom:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            raise pegboard.HTTPError(503, "The store is down.", headers={"Retry-After": "1"})

    app = falcon.App(middleware=[Count()])
    init_app(app)
    for path, resource in [
        ("/data", Data()),
        ("/shared", Shared()),
        ("/whoami", WhoAmI()),
        ("/echo", Echo()),
        ("/stream", Stream()),
        ("/rid", RequestId()),
        ("/tagged", Tagged()),
        ("/boom", Boom()),
    ]:
        app.add_route(path, resource)
    return app


# -- Django -----------------------------------------------------------------------------

#: the counters the Django views use (Django's settings and URLs are per process)
DJANGO_COUNTERS = Counters()
_django_handler: Any = None


def configure_django(database: Path) -> None:
    """Django's own settings for these tests, once per process, with a migrated SQLite file."""
    global _django_handler
    if _django_handler is not None:
        return
    import django
    from django.conf import settings
    from django.core.management import call_command

    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-only secret key for the wrapped Django app, never used elsewhere",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=_django_urls(),
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
        ],
        MIDDLEWARE=[
            "pegboard.integrations.django.PegboardMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.auth.middleware.RemoteUserMiddleware",
        ],
        AUTHENTICATION_BACKENDS=[
            "django.contrib.auth.backends.RemoteUserBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        # Where pegboard's sessions tool is off, Django's own session (no database).
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # fast, tests only
        USE_TZ=True,
    )
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from django.contrib.auth.models import User
    from django.core.wsgi import get_wsgi_application

    User.objects.create_user("carol", password="carol-test-password")
    _django_handler = get_wsgi_application()


def django_app(counters: Counters) -> Any:
    """The Django WSGI handler (``configure_django`` first); ``counters`` must be DJANGO_COUNTERS."""
    assert counters is DJANGO_COUNTERS and _django_handler is not None
    return _django_handler


def _django_urls() -> types.ModuleType:
    from django.contrib.auth import authenticate, login, logout
    from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    counters = DJANGO_COUNTERS

    def counted(view: Callable[..., Any]) -> Callable[..., Any]:
        def counting(request: HttpRequest) -> Any:
            counters.calls.append(request.path)
            return view(request)

        return csrf_exempt(counting)

    def data(request: HttpRequest) -> Any:
        session = request.session if "pegboard.session" in request.META else None
        return JsonResponse(_payload(session, request.GET.get("user")))

    def shared(request: HttpRequest) -> Any:
        counters.shared_builds += 1
        response = HttpResponse(
            f"shared page, build {counters.shared_builds}", content_type="text/plain"
        )
        response["Cache-Control"] = "public, max-age=60"
        return response

    def whoami(request: HttpRequest) -> Any:
        user = request.user
        return HttpResponse(user.get_username() if user.is_authenticated else "anonymous")

    def echo(request: HttpRequest) -> Any:
        return JsonResponse(
            {"framework": json.loads(request.body), "pegboard": request.META.get("pegboard.json")}
        )

    def stream(request: HttpRequest) -> Any:
        return StreamingHttpResponse(_stream(counters), content_type="text/plain")

    def rid(request: HttpRequest) -> Any:
        return HttpResponse(request.pegboard.request_id, content_type="text/plain")

    def tagged(request: HttpRequest) -> Any:
        counters.tagged_builds += 1
        request.META["pegboard.response"].cache_tags = ["tagged"]
        return HttpResponse(f"tagged page, build {counters.tagged_builds}")

    def boom(request: HttpRequest) -> Any:
        raise pegboard.HTTPError(503, "The store is down.", headers={"Retry-After": "1"})

    def sign_in(request: HttpRequest) -> Any:
        user = authenticate(
            request, username=request.POST["username"], password=request.POST["password"]
        )
        if user is None:
            return HttpResponse("no", status=403)
        login(request, user)
        return HttpResponse(f"signed in as {user.get_username()}")

    def sign_out(request: HttpRequest) -> Any:
        logout(request)
        return HttpResponse("signed out")

    module = types.ModuleType("wrapped_django_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path(route, counted(view))
        for route, view in [
            ("data", data),
            ("shared", shared),
            ("whoami", whoami),
            ("echo", echo),
            ("stream", stream),
            ("rid", rid),
            ("tagged", tagged),
            ("boom", boom),
            ("login", sign_in),
            ("logout", sign_out),
        ]
    ]
    return module
