"""Benchmark: one request that reads and writes a session, per backend, in one run.

pegboard's sessions on RAM, file, Redis, Memcached and PostgreSQL, against
CherryPy's RAM and file sessions and Flask-Session's Redis interface. Every
app is called in-process through WSGI (no HTTP server, so only the framework
and the session code are measured), with the same handler: read a counter
from the session, add one, store it. Real servers are started from their
binaries with pegboard's test kit.

    uv run python bench/sessions.py [--requests 2000] [--rounds 3]

Prints microseconds per request (best round) and the ratio other / pegboard
for the same kind of store (above 1: pegboard is faster).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from replay import make_environ

WSGIApp = Callable[..., Any]


def _environ(cookie: str | None) -> dict[str, Any]:
    environ = make_environ("/incr")
    environ["wsgi.multithread"] = True
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    return environ


def _call(app: WSGIApp, cookie: str | None) -> tuple[str, str | None, bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, headers
        return lambda data: None

    iterable = app(_environ(cookie), start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    set_cookie = next((v for k, v in seen["headers"] if k.lower() == "set-cookie"), None)
    return seen["status"], set_cookie, body


def measure(app: WSGIApp, requests: int, rounds: int) -> float:
    """Microseconds per request, best of ``rounds``; checks the counter really counts."""
    status, set_cookie, body = _call(app, None)
    assert status.startswith("200") and set_cookie, (status, body)
    cookie = set_cookie.split(";", 1)[0]
    for _ in range(50):  # warm up: imports, pools, caches
        _call(app, cookie)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(requests):
            _call(app, cookie)
        best = min(best, time.perf_counter() - start)
    _, _, body = _call(app, cookie)
    assert int(body) == 1 + 50 + rounds * requests + 1, body
    return best / requests * 1e6


# -- the apps ------------------------------------------------------------------------------


def pegboard_app(options: dict[str, Any]) -> WSGIApp:
    import pegboard

    config = {
        "/": {"tools.sessions.on": True, **{f"tools.sessions.{k}": v for k, v in options.items()}}
    }
    app = pegboard.App(config)

    @app.route("/incr")
    def incr(req: Any, resp: Any) -> str:
        n = req.session.get("n", 0) + 1
        req.session["n"] = n
        return str(n)

    app.start()
    return app


def cherrypy_app(storage: str, path: str | None = None) -> WSGIApp:
    import cherrypy
    from cherrypy.lib import sessions

    class Root:
        @cherrypy.expose
        def incr(self) -> str:
            n = cherrypy.session.get("n", 0) + 1
            cherrypy.session["n"] = n
            return str(n)

    cherrypy.config.update({"environment": "embedded", "log.screen": False})
    config: dict[str, Any] = {"tools.sessions.on": True, "tools.sessions.locking": "implicit"}
    if storage == "ram":
        config["tools.sessions.storage_class"] = sessions.RamSession
    else:
        config["tools.sessions.storage_class"] = sessions.FileSession
        config["tools.sessions.storage_path"] = path
    return cherrypy.Application(Root(), "", {"/": config})


def flask_session_app(redis_url: str) -> WSGIApp:
    import redis
    from flask import Flask, session
    from flask_session import Session

    app = Flask("bench")
    app.config.update(SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(redis_url))
    Session(app)

    @app.route("/incr")
    def incr() -> str:
        n = session.get("n", 0) + 1
        session["n"] = n
        return str(n)

    return app


# -- the run ------------------------------------------------------------------------------------


@contextlib.contextmanager
def servers(base: Path) -> Iterator[dict[str, Any]]:
    from pegboard.testing.backends import start_memcached, start_postgresql, start_redis

    with (
        start_redis(base / "redis") as redis,
        start_memcached(base / "memcached") as memcached,
        start_postgresql(base / "postgresql") as postgresql,
    ):
        yield {"redis": redis.url, "memcached": memcached.url, "postgresql": postgresql.url}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n, rounds = args.requests, args.rounds
    with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as urls:
        rows: list[tuple[str, float, str, float | None]] = []

        def run(
            label: str, ours: dict[str, Any], other_label: str = "", other: WSGIApp | None = None
        ) -> None:
            app = pegboard_app(ours)
            mine = measure(app, n, rounds)
            app.stop()  # type: ignore[attr-defined]
            theirs = measure(other, n, rounds) if other is not None else None
            rows.append((label, mine, other_label, theirs))

        run("ram", {"storage_type": "ram"}, "CherryPy RamSession", cherrypy_app("ram"))
        Path(tmp, "cp").mkdir()
        run(
            "file",
            {"storage_type": "file", "storage_path": str(Path(tmp, "pb"))},
            "CherryPy FileSession",
            cherrypy_app("file", str(Path(tmp, "cp"))),
        )
        try:
            flask = flask_session_app(urls["redis"])
        except ImportError:
            flask = None
        run("redis", {"storage_type": "redis", "url": urls["redis"]}, "Flask-Session redis", flask)
        run("memcached", {"storage_type": "memcached", "servers": [urls["memcached"]]})
        run("postgresql", {"storage_type": "postgresql", "dsn": urls["postgresql"]})

    print(f"{n} requests x {rounds} rounds, best round; one request reads and writes a session")
    print(
        f"{'pegboard store':<12} {'us/req':>8}   {'compared with':<22} {'us/req':>8} {'ratio':>6}"
    )
    for label, mine, other_label, theirs in rows:
        if theirs is None:
            other = f"{other_label or '-':<22} {'-':>8} {'-':>6}"
        else:
            other = f"{other_label:<22} {theirs:>8.1f} {theirs / mine:>6.2f}"
        print(f"{label:<12} {mine:>8.1f}   {other}")


if __name__ == "__main__":
    main()
