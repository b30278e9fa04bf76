"""The cache hit path, in-process: pegboard's caching tool vs CherryPy's vs Flask-Caching.

Every app answers GET /page/world; a cache is warmed with one request, then
the same environ is replayed through each WSGI callable (no sockets), so what
is measured is each framework's cost of answering from its cache. Falcon's
and pegboard's uncached hello worlds are the yardsticks: the issue's target is
that a pegboard hit costs no more than a hello world on Falcon.

    uv run python bench/cache_hit.py [--requests N] [--rounds R] [--redis URL]

Needs falcon, flask, flask-caching and cherrypy (pip install
"pegboard-caching[bench]" falcon flask cherrypy).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from hello import run_once as _timed
from replay import make_environ as _replay_environ

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def _page(name: str) -> str:
    # What a real page costs to build does not matter here: only hits are measured.
    return f"Hello, {name}!"


def pegboard_hit(backend: str = "memory", url: str | None = None) -> WSGIApp:
    import pegboard
    import pegboard_caching

    options: dict[str, Any] = {"tools.caching.on": True, "tools.caching.backend": backend}
    if url:
        options["tools.caching.url"] = url
        options["tools.caching.key_prefix"] = f"bench-{time.time_ns()}:"
    app = pegboard.App({"/": options}, plugins=[pegboard_caching], discover=False)

    @app.route("/page/{name}")
    def page(req: Any, resp: Any, name: str) -> str:
        resp.headers["Content-Type"] = "text/plain"
        return _page(name)

    app.start()
    return app


def pegboard_hello() -> WSGIApp:
    import pegboard

    app = pegboard.App(discover=False)

    @app.route("/page/{name}")
    def page(req: Any, resp: Any, name: str) -> str:
        resp.headers["Content-Type"] = "text/plain"
        return _page(name)

    app.start()
    return app


def falcon_hello() -> WSGIApp:
    import falcon

    class Page:
        def on_get(self, req: Any, resp: Any, name: str) -> None:
            resp.content_type = "text/plain; charset=utf-8"
            resp.text = _page(name)

    app = falcon.App()
    app.add_route("/page/{name}", Page())
    return app


def flask_caching_hit() -> WSGIApp:
    import flask
    from flask_caching import Cache

    app = flask.Flask("bench")
    cache = Cache(app, config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 600})

    @app.route("/page/<name>")
    @cache.cached()
    def page(name: str) -> Any:
        return flask.Response(_page(name), content_type="text/plain; charset=utf-8")

    return app


def cherrypy_hit() -> WSGIApp:
    import cherrypy

    class Root:
        @cherrypy.expose
        def page(self, name: str) -> str:
            cherrypy.response.headers["Content-Type"] = "text/plain; charset=utf-8"
            return _page(name)

    cherrypy.config.update({"environment": "embedded", "log.screen": False})
    return cherrypy.tree.mount(Root(), "/", {"/": {"tools.caching.on": True}})


def make_environ() -> dict[str, Any]:
    return _replay_environ("/page/world")


def call(app: WSGIApp) -> tuple[str, dict[str, str], bytes]:
    captured: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured.append((status, dict(headers)))

    result = app(make_environ(), start_response)
    body = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    status, headers = captured[0]
    return status, headers, body


def run_once(app: WSGIApp, requests: int) -> float:
    return _timed(app, requests, make_environ())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis", help="also measure hits on this Redis (redis://host:port/0)")
    args = parser.parse_args()
    factories: dict[str, Callable[[], WSGIApp]] = {
        "pegboard caching hit (memory)": pegboard_hit,
        "cherrypy tools.caching hit": cherrypy_hit,
        "flask-caching @cached hit": flask_caching_hit,
        "falcon hello world (no cache)": falcon_hello,
        "pegboard hello world (no cache)": pegboard_hello,
    }
    if args.redis:
        factories["pegboard caching hit (redis)"] = lambda: pegboard_hit("redis", args.redis)
    apps = {}
    for name, factory in factories.items():
        app = factory()
        call(app)  # warm the cache
        status, headers, body = call(app)
        assert status.startswith("200") and body == b"Hello, world!", (name, status, body)
        if name.startswith("pegboard caching"):
            assert headers["Cache-Status"].startswith("pegboard; hit"), headers
        apps[name] = app
        run_once(app, 1000)
    # Interleaved rounds, best one counts: a burst of load favours nobody.
    results = {name: float("inf") for name in apps}
    for _ in range(args.rounds):
        for name, app in apps.items():
            results[name] = min(results[name], run_once(app, args.requests))
    base = results["pegboard caching hit (memory)"]
    print(f"{'app':<36}{'us/request':>12}{'req/s':>12}{'vs pegboard hit':>18}")
    for name, micros in sorted(results.items(), key=lambda kv: kv[1]):
        print(f"{name:<36}{micros:>12.2f}{1e6 / micros:>12.0f}{micros / base:>17.2f}x")


if __name__ == "__main__":
    main()
