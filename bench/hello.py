"""Hello world, in-process: pegboard vs Falcon vs Flask vs CherryPy vs a raw WSGI callable.

Each framework answers GET /hello/{name} with "Hello, {name}!" as text. The
same environ is replayed through each WSGI callable (no sockets), so what is
measured is the framework's own per-request cost. Prints microseconds per
request (best of several rounds) and the ratio to pegboard.

    uv run python bench/hello.py [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from replay import make_environ as _replay_environ

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def raw_app() -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        name = environ["PATH_INFO"][len("/hello/") :]
        body = f"Hello, {name}!".encode()
        start_response(
            "200 OK",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


LOOP_ITERATIONS = 190
"""Of the control below: about as long in Python as pegboard's own path (app_cost.py)."""


def raw_app_with_loop(iterations: int = LOOP_ITERATIONS) -> WSGIApp:
    """A control, not a framework: the raw callable after a loop of pure Python.

    It spends about as much time in Python per request as pegboard does, but touches
    almost no memory: served under load beside pegboard, it shows how much of
    pegboard's gap is the time its code takes and how much is something else.
    """
    raw = raw_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        total = 0
        for step in range(iterations):
            total += step
        return raw(environ, start_response)

    return app


def pegboard_app() -> WSGIApp:
    import pegboard

    app = pegboard.App(discover=False)

    @app.route("/hello/{name}")
    def hello(req: Any, resp: Any, name: str) -> str:
        return f"Hello, {name}!"

    app.start()
    return app


def pegboard_with_tools_app() -> WSGIApp:
    """pegboard with every installed tool discovered but none on for the path."""
    import pegboard

    app = pegboard.App()

    @app.route("/hello/{name}")
    def hello(req: Any, resp: Any, name: str) -> str:
        return f"Hello, {name}!"

    app.start()
    return app


def falcon_app() -> WSGIApp:
    import falcon

    class Hello:
        def on_get(self, req: Any, resp: Any, name: str) -> None:
            resp.content_type = "text/plain; charset=utf-8"
            resp.text = f"Hello, {name}!"

    app = falcon.App()
    app.add_route("/hello/{name}", Hello())
    return app


def flask_app() -> WSGIApp:
    import flask

    app = flask.Flask("bench")

    @app.route("/hello/<name>")
    def hello(name: str) -> str:
        return f"Hello, {name}!"

    return app


def cherrypy_app() -> WSGIApp:
    import cherrypy

    class Root:
        @cherrypy.expose
        def hello(self, name: str) -> str:
            return f"Hello, {name}!"

    cherrypy.config.update({"environment": "embedded", "log.screen": False})
    app = cherrypy.tree.mount(Root(), "/", {"/": {}})
    return app


FRAMEWORKS: dict[str, Callable[[], WSGIApp]] = {
    "raw WSGI": raw_app,
    "pegboard": pegboard_app,
    "pegboard (all tools installed, none on)": pegboard_with_tools_app,
    "falcon": falcon_app,
    "flask": flask_app,
    "cherrypy": cherrypy_app,
}


def make_environ() -> dict[str, Any]:
    return _replay_environ("/hello/world")


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def check(app: WSGIApp) -> bytes:
    captured: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured.append(status)

    result = app(make_environ(), start_response)
    body = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    assert captured == ["200 OK"], captured
    return body


def run_once(app: WSGIApp, requests: int, base: dict[str, Any] | None = None) -> float:
    """Microseconds per request for ``requests`` calls of ``app`` with copies of ``base``."""
    base = base if base is not None else make_environ()
    start = time.perf_counter()
    for _ in range(requests):
        environ = base.copy()  # servers hand every request a fresh environ
        result = app(environ, _start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return (time.perf_counter() - start) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="frameworks to run (default: all)")
    args = parser.parse_args()
    apps: dict[str, WSGIApp] = {}
    for name, factory in FRAMEWORKS.items():
        if args.only and name not in args.only:
            continue
        apps[name] = factory()
        assert check(apps[name]) == b"Hello, world!", name
        run_once(apps[name], 1000)  # warm up
    # Rounds interleave the frameworks, and the best round counts, so that a
    # burst of load on the machine does not favour whichever ran at a quiet moment.
    results = {name: float("inf") for name in apps}
    for _ in range(args.rounds):
        for name, app in apps.items():
            results[name] = min(results[name], run_once(app, args.requests))
    base = results.get("pegboard")
    print(f"{'framework':<42}{'us/request':>12}{'req/s':>12}{'vs pegboard':>14}")
    for name, micros in sorted(results.items(), key=lambda kv: kv[1]):
        ratio = f"{micros / base:.2f}x" if base else "-"
        print(f"{name:<42}{micros:>12.2f}{1e6 / micros:>12.0f}{ratio:>14}")


if __name__ == "__main__":
    main()
