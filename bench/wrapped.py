"""pegboard's tools around a foreign WSGI app (pegboard.wrap), in-process, side by side.

Three comparisons, each app checked before it is timed, rounds interleaved
in one process, each app's best round kept (see replay.py). Rounds are timed
in CPU time of this process (``time.process_time``), not wall time: on a
shared machine, time the process spends waiting for a core is not its cost.

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
    uv run python bench/wrapped.py --instructions    # 3. counted by callgrind (needs valgrind)

Needs flask, flask-session, flask-compress and flask-caching (the dev group).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping
from typing import Any

import hello
import scenarios
from replay import Contender, WSGIApp, call
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


def _replay_cpu(app: WSGIApp, environ: Mapping[str, Any], requests: int) -> float:
    """CPU seconds for ``requests`` requests, each a fresh copy of ``environ`` (as replay())."""
    base = dict(environ)

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    began = time.process_time()
    for _ in range(requests):
        result = app(base.copy(), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return time.process_time() - began


def _calibrate(contender: Contender, seconds: float) -> None:
    _replay_cpu(contender.app, contender.environ, 200)
    taken = _replay_cpu(contender.app, contender.environ, 500)
    contender.requests = max(200, int(seconds / max(taken / 500, 1e-7)))


def _best_of(contenders: list[Contender], rounds: int) -> None:
    for _ in range(rounds):
        for c in contenders:
            taken = _replay_cpu(c.app, c.environ, c.requests)
            c.best = min(c.best, taken / c.requests)


def _measure(title: str, rows: list[Row], rounds: int, seconds: float) -> dict[str, float]:
    contenders = []
    for name, factory, environ_for, check in rows:
        app = factory()
        environ = environ_for(app)
        check(call(app, environ))
        contender = Contender(name, name, app, environ)
        _calibrate(contender, seconds)
        contenders.append(contender)
    _best_of(contenders, rounds)
    base = contenders[0].micros
    print(f"\n{title}")
    print(f"{'':<56}{'us/req':>9}{'req/s':>10}{'vs first':>10}")
    for c in contenders:
        print(f"{c.name:<56}{c.micros:>9.2f}{c.rps:>10.0f}{c.micros / base:>9.2f}x")
    return {c.name: c.micros for c in contenders}


def _paired_ratio(rounds: int, requests: int = 300) -> tuple[float, float, float]:
    """wrapped/handler time per round, each round timing both back to back (order alternating).

    Both run in the same stretch of time, so a change of load on the machine
    moves both; the median of the ratios is steadier than a ratio of bests.
    """
    handler = scenarios.pegboard_stack()
    wrapped = _wrap(wsgi_stack_view, STACK)
    environs = (scenarios.stack_environ(handler), scenarios.stack_environ(wrapped))
    for app, environ in zip((handler, wrapped), environs, strict=True):
        _replay_cpu(app, environ, 500)
    ratios = []
    for number in range(rounds):
        order = [0, 1] if number % 2 == 0 else [1, 0]
        taken = [0.0, 0.0]
        for index in order:
            app = (handler, wrapped)[index]
            taken[index] = _replay_cpu(app, environs[index], requests)
        ratios.append(taken[1] / taken[0])
    ratios.sort()
    return ratios[len(ratios) // 4], ratios[len(ratios) // 2], ratios[3 * len(ratios) // 4]


#: the apps --instructions counts: (label, factory, environ)
_COUNTED: dict[str, tuple[str, Callable[[], WSGIApp], Callable[[WSGIApp], dict[str, Any]]]] = {
    "handler": ("tools on a pegboard handler", scenarios.pegboard_stack, scenarios.stack_environ),
    "wrapped": (
        "tools around a WSGI callable",
        lambda: _wrap(wsgi_stack_view, STACK),
        scenarios.stack_environ,
    ),
    "bare-handler": (
        "no tools: pegboard handler",
        _plain_pegboard_handler,
        lambda app: scenarios.make_environ("/stack", accept_encoding="gzip"),
    ),
    "bare-wrapped": (
        "no tools: WSGI callable wrapped",
        lambda: _wrap(wsgi_stack_view, None),
        lambda app: scenarios.make_environ("/stack", accept_encoding="gzip"),
    ),
}


def _instructions() -> None:
    """Machine instructions per request under callgrind: steady where timings are noisy.

    Each app runs in a child process under ``valgrind --tool=callgrind`` twice,
    with 2,000 and 12,000 requests; the difference over 10,000 is the cost of
    one request, start-up excluded. PYTHONHASHSEED is fixed so that both runs
    hash alike.
    """
    import os
    import re
    import subprocess
    import sys

    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    counts = {}
    for key, (label, _, _) in _COUNTED.items():
        totals = []
        for requests in (2000, 12000):
            run = subprocess.run(
                [*valgrind, sys.executable, __file__, "--replay", key, str(requests)],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
                check=True,
            )
            found = re.search(r"Collected : (\d+)", run.stderr)
            assert found, run.stderr[-2000:]
            totals.append(int(found.group(1)))
        counts[key] = (totals[1] - totals[0]) / 10000
        print(f"{label:<40}{counts[key]:>12,.0f} instructions/request")
    print(
        f"\nwrapped / handler, the same tools and work: "
        f"{counts['wrapped'] / counts['handler']:.3f} (target <= 1.10)"
    )
    tools_handler = counts["handler"] - counts["bare-handler"]
    tools_wrapped = counts["wrapped"] - counts["bare-wrapped"]
    print(f"the tools' own instructions: {tools_wrapped / tools_handler:.3f} of the handler's")


def _replay_only(key: str, requests: int) -> None:
    _, factory, environ_for = _COUNTED[key]
    app = factory()
    _replay_cpu(app, environ_for(app), requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=0.2, help="per app per round")
    parser.add_argument("--only", nargs="*", choices=["stack", "cache", "overhead"])
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request of the overhead apps under callgrind instead",
    )
    parser.add_argument("--replay", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay:
        _replay_only(args.replay[0], int(args.replay[1]))
        return
    if args.instructions:
        _instructions()
        return
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
        print(f"\nwrapped / handler, the same tools and work, best rounds: {wrapped / handler:.3f}")
        low, median, high = _paired_ratio(args.rounds * 3)
        print(
            f"the same, paired rounds (median, quartiles): {median:.3f} "
            f"[{low:.3f}, {high:.3f}] (target <= 1.10)"
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
