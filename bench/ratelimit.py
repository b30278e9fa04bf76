"""What a rate limit costs per request: pegboard's ratelimit vs Flask-Limiter, memory and Redis.

Every app answers ``GET /`` with ``ok``; the limited ones count each request
against two limits per client address (``1000000000/hour; 50000000/minute``,
so no request of the run is refused) and send their rate limit headers. The
bare apps are the same route with no limit: the difference is the limiter's
own cost. ``pegboard 429`` times the refused path (a client over ``1/hour``),
beside ``pegboard bare 429``, a route that raises the same 429 itself.

- pegboard: ``tools.ratelimit`` (GCRA), ``storage = "memory"`` or ``"redis"``;
- Flask: Flask-Limiter (``limits``), its default ``fixed-window`` strategy and
  ``sliding-window-counter`` (the one without twice the limit at a window edge),
  on ``memory://`` and ``redis://``, ``headers_enabled=True``.

Redis is a local ``redis-server`` the script starts (the test kit's
launcher) and stops; each app has its own key prefix. After the timings, the
Redis commands each limiter sends per request are counted with ``MONITOR``
(commands a script runs inside Redis are not round trips and are left out).

Requests are replayed in-process (no sockets) in interleaved rounds, best
round kept (``replay.best_of``); the Redis round trip over loopback is part
of the figure.

    uv run python bench/ratelimit.py [--rounds 8] [--seconds 0.2] [--no-redis] [--calls]

``--calls`` also counts the Python function calls of 500 requests of each
pegboard app with cProfile: a figure the machine's load does not change.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import replay
from replay import Contender, WSGIApp

LIMITS = "1000000000/hour; 50000000/minute"
FLASK_LIMITS = ["1000000000 per hour", "50000000 per minute"]


def pegboard_app(storage: str | None, url: str = "", limits: str = LIMITS) -> WSGIApp:
    import pegboard
    import pegboard_ratelimit

    section: dict[str, Any] = {}
    if storage is not None:
        section = {
            "tools.ratelimit.on": True,
            "tools.ratelimit.limits": limits,
            "tools.ratelimit.storage": storage,
        }
        if storage == "redis":
            section["tools.ratelimit.url"] = url
            section["tools.ratelimit.key_prefix"] = f"bench-pegboard-{time.monotonic_ns()}:"
    app = pegboard.App({"/": section}, plugins=[pegboard_ratelimit], discover=False)
    app.route("/", lambda req, resp: "ok")
    app.start()
    return app


def pegboard_refusing() -> WSGIApp:
    """A route that answers 429 itself: what an error response costs without the tool."""
    import pegboard

    app = pegboard.App({"/": {}}, discover=False)

    def refuse(req: Any, resp: Any) -> None:
        raise pegboard.HTTPError(429, "Too many requests.", headers={"Retry-After": "3600"})

    app.route("/", refuse)
    app.start()
    return app


def flask_app(strategy: str | None, storage_uri: str = "memory://") -> WSGIApp:
    import flask

    app = flask.Flask("bench")
    if strategy is not None:
        from flask_limiter import Limiter
        from flask_limiter.util import get_remote_address

        Limiter(
            get_remote_address,
            app=app,
            default_limits=list(FLASK_LIMITS),
            storage_uri=storage_uri,
            strategy=strategy,
            headers_enabled=True,
            key_prefix=f"bench-flask-{time.monotonic_ns()}",
        )

    @app.route("/")
    def home() -> str:
        return "ok"

    return app


def check(name: str, app: WSGIApp, environ: dict[str, Any], status: str = "200") -> None:
    answer = replay.call(app, environ)
    assert answer.status.startswith(status), (name, answer.status, answer.body[:200])
    limited = "bare" not in name
    if limited and status == "429":
        assert answer.headers.get("Retry-After"), (name, answer.headers)
        return
    header = answer.headers.get("Ratelimit") or answer.headers.get("X-Ratelimit-Remaining")
    assert bool(header) == limited, (name, answer.headers)


def contenders(redis_url: str | None) -> list[Contender]:
    environ = replay.make_environ("/")
    apps: dict[str, tuple[str, Callable[[], WSGIApp]]] = {
        "pegboard bare": ("pegboard", lambda: pegboard_app(None)),
        "pegboard ratelimit memory": ("pegboard", lambda: pegboard_app("memory")),
        "flask bare": ("flask", lambda: flask_app(None)),
        "flask-limiter fixed-window memory": ("flask", lambda: flask_app("fixed-window")),
        "flask-limiter sliding-window memory": (
            "flask",
            lambda: flask_app("sliding-window-counter"),
        ),
    }
    if redis_url:
        url = redis_url
        apps["pegboard ratelimit redis"] = ("pegboard", lambda: pegboard_app("redis", url))
        apps["flask-limiter fixed-window redis"] = ("flask", lambda: flask_app("fixed-window", url))
        apps["flask-limiter sliding-window redis"] = (
            "flask",
            lambda: flask_app("sliding-window-counter", url),
        )
    found = []
    for name, (framework, factory) in apps.items():
        app = factory()
        check(name, app, environ)
        found.append(Contender(name, framework, app, dict(environ)))
    bare_429 = pegboard_refusing()
    check("pegboard bare 429", bare_429, environ, "429")
    found.append(Contender("pegboard bare 429", "pegboard 429", bare_429, dict(environ)))
    refused = pegboard_app("memory", limits="1/hour")
    replay.call(refused, environ)  # spends the one request: every later one is a 429
    check("pegboard 429 (memory)", refused, environ, "429")
    found.append(Contender("pegboard 429 (memory)", "pegboard 429", refused, dict(environ)))
    return found


@contextlib.contextmanager
def local_redis() -> Iterator[str | None]:
    """A throw-away redis-server's URL, or None when the binary is missing."""
    from pegboard.testing.backends import BackendUnavailable, start_redis

    with tempfile.TemporaryDirectory() as folder:
        try:
            server = start_redis(folder)
        except BackendUnavailable as exc:
            print(f"(no Redis: {exc})")
            yield None
            return
        with server:
            yield server.url


def commands_per_request(app: WSGIApp, url: str, requests: int = 50) -> dict[str, float]:
    """The commands ``app`` sends Redis per request (MONITOR; scripts' own left out)."""
    import redis

    seen: list[dict[str, Any]] = []
    connection = redis.Redis.from_url(url)
    ready = threading.Event()

    def watch() -> None:
        with connection.monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                if "__bench_stop__" in command["command"]:
                    return
                seen.append(command)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(5)
    time.sleep(0.1)
    environ = replay.make_environ("/")
    for _ in range(requests):
        replay.call(app, environ)
    stopper = redis.Redis.from_url(url)
    stopper.echo("__bench_stop__")
    thread.join(5)
    stopper.close()
    connection.close()
    stop_ports = {c["client_port"] for c in seen if "__bench_stop__" in c["command"]}
    sent = Counter(
        c["command"].split()[0].strip('"').upper()
        for c in seen
        if c.get("client_type") != "lua" and c["client_port"] not in stop_ports
    )
    sent.pop("HELLO", None)  # the stopper's connection
    return {name: count / requests for name, count in sent.items()}


def calls_per_request(app: WSGIApp, requests: int = 500) -> float:
    """Function calls (Python and builtin) per request, under cProfile."""
    environ = replay.make_environ("/")
    replay.replay(app, environ, 50)
    profiler = cProfile.Profile()
    profiler.enable()
    replay.replay(app, environ, requests)
    profiler.disable()
    total: int = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
    return total / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--calls", action="store_true", help="count function calls too")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = None if args.no_redis else stack.enter_context(local_redis())
        found = contenders(url)
        for contender in found:
            replay.calibrate(contender, args.seconds)
        replay.best_of(found, args.rounds)
        bare = {c.framework: c.micros for c in found if "bare" in c.name}
        print(
            f"GET / answering 'ok', limits {LIMITS!r} per client address; "
            f"{args.rounds} rounds of ~{args.seconds} s, best round"
        )
        print(f"\n{'app':<38}{'us/request':>11}{'req/s':>9}{'limit costs':>13}")
        for c in found:
            extra = "" if "bare" in c.name else f"{c.micros - bare[c.framework]:>10.1f} us"
            print(f"{c.name:<38}{c.micros:>11.1f}{c.rps:>9.0f}{extra:>13}")
        if args.calls:
            print("\nFunction calls per request (cProfile; the replay loop's own excluded)")
            floor = calls_per_request(lambda env, start: [b""])
            for c in found:
                if c.framework.startswith("pegboard"):
                    print(f"  {c.name:<38}{calls_per_request(c.app) - floor:>6.0f}")
        if url:
            print("\nRedis commands sent per request (MONITOR; a script's own commands excluded)")
            for c in found:
                if c.name.endswith("redis"):
                    sent = commands_per_request(c.app, url)
                    listed = ", ".join(f"{n} {k:g}" for n, k in sorted(sent.items()))
                    print(f"  {c.name:<38}{sum(sent.values()):>4g}  ({listed})")


if __name__ == "__main__":
    main()
