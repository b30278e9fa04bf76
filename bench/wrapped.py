"""pegboard's tools around a foreign WSGI app (pegboard.wrap), in-process, side by side.

Three comparisons, each app checked before it is timed, rounds interleaved
in one process, each app's best round kept (see replay.py):

1. **stack**: a Flask app whose view reads and writes the session and returns
   a ~2 KB page, with pegboard's sessions (RAM), gzip and etags around it,
   against the same Flask view with Flask-Session (cachelib, in memory),
   Flask-Compress and Werkzeug's ETag (and with Flask's signed-cookie session).
2. **cache hit**: pegboard's cache around a Flask app against Flask-Caching's
   ``@cached`` hit, with Flask's and pegboard's uncached hello worlds as yardsticks.
3. **overhead**: the same tools and the same work on a pegboard handler and
   around a plain WSGI callable (the handler's work written as WSGI, reading
   the session from ``environ["pegboard.session"]``); the target is that the
   wrapped app costs at most 10% more. Also the bare cost of wrapping.

    uv run python bench/wrapped.py [--rounds R] [--seconds S] [--only stack cache overhead]

Needs flask, flask-session, flask-compress and flask-caching (the dev group).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import hello
import scenarios
from replay import Contender, WSGIApp, best_of, calibrate, call
from scenarios import LEVEL, _build_page, _check_hit, _stack_body

STACK = {
    "tools.sessions.on": True,
    "tools.gzip.on": True,
    "tools.gzip.compress_level": LEVEL,
    "tools.etags.on": True,
    "tools.etags.autotags": True,
}


def _plugins() -> list[Any]:
    import pegboard_caching
    import pegboard_etags
    import pegboard_gzip
    import pegboard_sessions

    return [pegboard_sessions, pegboard_gzip, pegboard_etags, pegboard_caching]


def _wrap(app: WSGIApp, config: dict[str, Any] | None) -> WSGIApp:
    import pegboard

    wrapped = pegboard.wrap(
        app, {"/": config} if config else None, plugins=_plugins(), discover=False
    )
    wrapped.start()
    return wrapped


# -- 1. the stack on Flask ---------------------------------------------------------------


def flask_view_app() -> WSGIApp:
    """The stack's view as a Flask user writes it; flask.session is pegboard's (init_app)."""
    import flask

    from pegboard.integrations.flask import init_app

    app = flask.Flask("bench_wrapped_stack")
    app.secret_key = "bench-secret-key-bench-secret-key"
    init_app(app)

    @app.route("/stack")
    def stack() -> Any:
        visits = flask.session.get("visits", 0) + 1
        flask.session["visits"] = visits
        return flask.Response(_stack_body(visits), content_type="text/plain; charset=utf-8")

    return app


def flask_wrapped_stack() -> WSGIApp:
    return _wrap(flask_view_app(), STACK)


# -- 2. the cache hit around Flask -------------------------------------------------------


def flask_wrapped_cache_hit() -> WSGIApp:
    import flask

    scenarios.PAGES_BUILT["pegboard around flask"] = 0
    app = flask.Flask("bench_wrapped_cache")

    @app.route("/hello/<name>")
    def page(name: str) -> Any:
        return flask.Response(
            _build_page("pegboard around flask", name), content_type="text/plain; charset=utf-8"
        )

    return _wrap(app, {"tools.caching.on": True, "tools.caching.backend": "memory"})


# -- 3. the same work on a pegboard handler and around a WSGI callable ---------------------


def wsgi_stack_view(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """pegboard_stack's handler written as a WSGI callable."""
    session = environ.get("pegboard.session")
    visits = 2
    if session is not None:
        visits = session.get("visits", 0) + 1
        session["visits"] = visits
    body = _stack_body(visits).encode()
    start_response(
        "200 OK",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def check_page(answer: Any) -> None:
    assert answer.status.startswith("200"), answer.status
    assert answer.body.decode().endswith(scenarios.PAGE), answer.body[:40]


# -- running -------------------------------------------------------------------------------

Row = tuple[str, Callable[[], WSGIApp], Callable[[WSGIApp], dict[str, Any]], Callable[..., None]]


def _stack_rows() -> list[Row]:
    env = scenarios.stack_environ
    check = scenarios.check_stack
    return [
        ("flask + pegboard sessions(ram)+gzip+etags", flask_wrapped_stack, env, check),
        (
            "flask + Flask-Session(cachelib)+Flask-Compress+etag",
            scenarios.flask_stack_server,
            env,
            check,
        ),
        (
            "flask + signed-cookie session+Flask-Compress+etag",
            scenarios.flask_stack_cookie,
            env,
            check,
        ),
        ("pegboard handler + the same tools", scenarios.pegboard_stack, env, check),
    ]


def _cache_rows() -> list[Row]:
    env = scenarios.cache_environ
    return [
        (
            "pegboard cache hit around flask",
            flask_wrapped_cache_hit,
            env,
            _check_hit("pegboard around flask"),
        ),
        ("Flask-Caching @cached hit", scenarios.flask_cache_hit, env, _check_hit("flask")),
        (
            "pegboard cache hit, pegboard handler",
            scenarios.pegboard_cache_hit,
            env,
            _check_hit("pegboard"),
        ),
        ("flask hello world (no cache)", hello.flask_app, env, scenarios.check_hello),
        ("pegboard hello world (no cache)", hello.pegboard_app, env, scenarios.check_hello),
    ]


def _plain_pegboard_handler() -> WSGIApp:
    return scenarios.pegboard_stack(tools=())


def _overhead_rows() -> list[Row]:
    stack_env = scenarios.stack_environ

    def plain_env(app: WSGIApp) -> dict[str, Any]:
        return scenarios.make_environ("/stack", accept_encoding="gzip")

    check = scenarios.check_stack
    return [
        ("tools on a pegboard handler", scenarios.pegboard_stack, stack_env, check),
        ("tools around a WSGI callable", lambda: _wrap(wsgi_stack_view, STACK), stack_env, check),
        ("no tools: pegboard handler", _plain_pegboard_handler, plain_env, check_page),
        (
            "no tools: WSGI callable wrapped",
            lambda: _wrap(wsgi_stack_view, None),
            plain_env,
            check_page,
        ),
        ("no tools: the WSGI callable alone", lambda: wsgi_stack_view, plain_env, check_page),
    ]


def _measure(title: str, rows: list[Row], rounds: int, seconds: float) -> dict[str, float]:
    contenders = []
    for name, factory, environ_for, check in rows:
        app = factory()
        environ = environ_for(app)
        check(call(app, environ))
        contender = Contender(name, name, app, environ)
        calibrate(contender, seconds)
        contenders.append(contender)
    best_of(contenders, rounds)
    base = contenders[0].micros
    print(f"\n{title}")
    print(f"{'':<56}{'us/req':>9}{'req/s':>10}{'vs first':>10}")
    for c in contenders:
        print(f"{c.name:<56}{c.micros:>9.2f}{c.rps:>10.0f}{c.micros / base:>9.2f}x")
    return {c.name: c.micros for c in contenders}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=0.2, help="per app per round")
    parser.add_argument("--only", nargs="*", choices=["stack", "cache", "overhead"])
    args = parser.parse_args()
    only = set(args.only or ["stack", "cache", "overhead"])
    if "stack" in only:
        _measure(
            "1. session r+w, gzip, etag, 2 KB page: Flask", _stack_rows(), args.rounds, args.seconds
        )
    if "cache" in only:
        _measure("2. cache hit around Flask", _cache_rows(), args.rounds, args.seconds)
    if "overhead" in only:
        t = _measure(
            "3. the same tools and work: pegboard handler vs WSGI callable",
            _overhead_rows(),
            args.rounds,
            args.seconds,
        )
        handler, wrapped = t["tools on a pegboard handler"], t["tools around a WSGI callable"]
        bare_handler = t["no tools: pegboard handler"]
        bare_wrapped = t["no tools: WSGI callable wrapped"]
        alone = t["no tools: the WSGI callable alone"]
        tools_handler, tools_wrapped = handler - bare_handler, wrapped - bare_wrapped
        print(
            f"\nwrapped / handler, the same tools and work: {wrapped / handler:.3f} "
            f"(target <= 1.10)"
        )
        print(
            f"the tools' own time: {tools_wrapped:.2f} us around the WSGI callable, "
            f"{tools_handler:.2f} us on the handler ({tools_wrapped / tools_handler:.3f})"
        )
        print(
            f"wrapping alone: {bare_wrapped - alone:.2f} us over the callable "
            f"(a pegboard handler: {bare_handler - alone:.2f} us over it)"
        )


if __name__ == "__main__":
    main()
