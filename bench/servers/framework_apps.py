"""The apps of bench/servers/frameworks.py, each built when a server first asks for it.

A server process loads ``framework_apps:NAME`` (granian, ``pegboard serve``) and
the module builds that one app on attribute access (PEP 562), so that no server
builds the apps it does not serve. The apps themselves are those of the
in-process suite (bench/hello.py, bench/scenarios.py, bench/sessions.py): the
same code runs in-process and over a real server.

CherryPy runs on its own server, as ``cherrypy.quickstart`` does::

    python framework_apps.py cherrypy NAME PORT

The Redis apps read the server's URL from ``BENCH_REDIS_URL``.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parent.parent))  # bench/: the suite's apps

import hello
import scenarios
import sessions

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
SESSION_SECONDS = 3600


def _redis_url() -> str:
    url = os.environ.get("BENCH_REDIS_URL")
    if not url:
        raise RuntimeError("set BENCH_REDIS_URL to the Redis server of the run")
    return url


class _RedisRecords:
    """The raw floors' session records in Redis: one GET and one SET per request."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url)
        self._prefix = prefix

    def get(self, sid: str) -> Any:
        return self._client.get(self._prefix + sid)

    def __setitem__(self, sid: str, record: bytes) -> None:
        self._client.set(self._prefix + sid, record, ex=SESSION_SECONDS)


def raw_session(store: Any) -> WSGIApp:
    """A session counter written by hand (the Redis session scenario's floor).

    The same work as the frameworks' ``/incr``: read a JSON record by the
    cookie's id, add one to ``n``, write it back, renew the cookie. No lock.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        cookie = environ.get("HTTP_COOKIE", "")
        sid = cookie.partition("sid=")[2].partition(";")[0]
        record = store.get(sid) if sid else None
        if record is None:
            sid = secrets.token_urlsafe(32)
            data: dict[str, Any] = {}
        else:
            data = json.loads(record)
        data["n"] = n = data.get("n", 0) + 1
        store[sid] = json.dumps(data).encode()
        body = str(n).encode()
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Set-Cookie", f"sid={sid}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"),
            ],
        )
        return [body]

    return app


def _pegboard_redis_options() -> dict[str, Any]:
    return {"storage_type": "redis", "url": _redis_url()}


FACTORIES: dict[str, Callable[[], Any]] = {
    # hello world
    "raw_hello": hello.raw_app,
    "raw_hello_loop": hello.raw_app_with_loop,  # a control: Python time without the footprint
    "pegboard_hello": hello.pegboard_app,
    "falcon_hello": hello.falcon_app,
    "flask_hello": hello.flask_app,
    "cherrypy_hello": hello.cherrypy_app,
    # the tool stack, sessions in process memory (one process)
    "raw_stack": scenarios.raw_stack,
    "pegboard_stack": scenarios.pegboard_stack,
    "flask_stack_cookie": scenarios.flask_stack_cookie,
    "flask_stack_server": scenarios.flask_stack_server,
    "cherrypy_stack": scenarios.cherrypy_stack,
    # the tool stack, sessions in Redis (shared by the worker processes)
    "raw_stack_redis": lambda: scenarios.raw_stack_shared(
        _RedisRecords(_redis_url(), "bench-stack:")
    ),
    "pegboard_stack_redis": lambda: scenarios.pegboard_stack(
        session_options=_pegboard_redis_options()
    ),
    "flask_stack_redis": lambda: scenarios.flask_stack_redis(_redis_url()),
    # a cache hit
    "pegboard_cache": scenarios.pegboard_cache_hit,
    "flask_cache": scenarios.flask_cache_hit,
    "cherrypy_cache": scenarios.cherrypy_cache_hit,
    # a session in Redis
    "raw_session_redis": lambda: raw_session(_RedisRecords(_redis_url(), "bench-session:")),
    "pegboard_session_redis": lambda: sessions.pegboard_app(_pegboard_redis_options()),
    "flask_session_redis": lambda: sessions.flask_session_app(_redis_url()),
}

_built: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``framework_apps.NAME``: the app ``NAME``, built on first access."""
    if name not in FACTORIES:
        raise AttributeError(f"module {__name__!r} has no app {name!r}")
    if name not in _built:
        _built[name] = FACTORIES[name]()
    return _built[name]


def serve_cherrypy(name: str, port: int) -> None:
    """Serve the CherryPy app ``name`` as ``cherrypy.quickstart`` does: its own server
    (cheroot) with its default thread pool, signals handled by the engine."""
    import cherrypy

    app = __getattr__(name)
    cherrypy.config.update(
        {
            "environment": "production",
            "log.screen": False,
            "server.socket_host": "127.0.0.1",
            "server.socket_port": port,
        }
    )
    cherrypy.tree.mount(app)  # an Application: mounted at its own script name
    cherrypy.engine.signals.subscribe()
    cherrypy.engine.start()
    cherrypy.engine.block()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "cherrypy":
        sys.exit("usage: python framework_apps.py cherrypy NAME PORT")
    serve_cherrypy(sys.argv[2], int(sys.argv[3]))
