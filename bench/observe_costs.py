"""What tools.otel and tools.profiler cost per request, side by side in one run.

Every scenario is the same in-process app (a templated route, with
``response_time`` on so that there are hooks for otel to record), with one
configuration of the tool under test; ``bare`` has neither tool. Timed
batches alternate between the scenarios, and each keeps its best batch, so a
burst of load on the shared machine slows a batch of every scenario rather
than every batch of one.

otel: with no tracer provider set (the tool attaches nothing), with the SDK
and every span sampled out, and with the SDK recording each hook as an event,
as a child span, or not at all. The SDK has no span processor here: what is
timed is the work on the request's thread (exporting runs in the batch
processor's own thread in production).

profiler: on but not sampling (one in 1,000,000), on with only a trigger and
no trigger sent, and the cost of a profiled request with each engine.

    uv run python bench/observe_costs.py [--rounds 15] [--requests 3000]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

import pegboard
import pegboard_otel
import pegboard_profiler
import pegboard_response_time

Environ = dict[str, Any]
PLUGINS = [pegboard_otel, pegboard_profiler, pegboard_response_time]
SECRET = "bench-trigger-secret-0123456789"


def _environ() -> Environ:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/items/42",
        "QUERY_STRING": "page=2",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "bench/1.0",
        "HTTP_TRACEPARENT": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _start_response(status: str, headers: list[tuple[str, str]]) -> None:
    pass


def _app(section: dict[str, Any]) -> pegboard.App:
    config = {"tools.response_time.on": True, **section}
    app = pegboard.App({"/": config}, plugins=PLUGINS, discover=False)

    @app.route("/items/{id}")
    def item(req: pegboard.Request, resp: pegboard.Response, id: str) -> str:
        return f"item {id}"

    app.start()
    return app


def _one(app: pegboard.App) -> None:
    body = app(_environ(), _start_response)
    for _ in body:
        pass
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _batch(app: pegboard.App, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        _one(app)
    return (time.perf_counter() - started) / requests


def _compare(scenarios: dict[str, pegboard.App], rounds: int, requests: int) -> dict[str, float]:
    for app in scenarios.values():
        _batch(app, 200)  # warm up
    best = dict.fromkeys(scenarios, float("inf"))
    for _ in range(rounds):
        for name, app in scenarios.items():
            best[name] = min(best[name], _batch(app, requests))
    return best


def _calls(app: pegboard.App, requests: int = 200) -> float:
    """Python function calls per request: a figure the machine's load does not change."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        _one(app)
    profile.disable()
    return pstats.Stats(profile).total_calls / requests  # type: ignore[attr-defined,no-any-return]


def _table(
    title: str, best: dict[str, float], base: str, scenarios: dict[str, pegboard.App]
) -> None:
    print(f"\n{title}")
    print(f"{'scenario':<44}{'us/request':>12}{'vs bare':>12}{'calls/request':>15}")
    for name, seconds in best.items():
        delta = (seconds - best[base]) * 1e6
        shown = "" if name == base else f"{delta:+.2f} us"
        # A profiled request cannot be counted: the profiler under test holds the hook.
        calls = "n/a" if "every request" in name else f"{_calls(scenarios[name]):.0f}"
        print(f"{name:<44}{seconds * 1e6:>12.2f}{shown:>12}{calls:>15}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args(argv)
    logging.getLogger("pegboard.otel").setLevel(logging.ERROR)  # the "no provider" warning

    def otel(**options: Any) -> dict[str, Any]:
        return {"tools.otel.on": True, **{f"tools.otel.{k}": v for k, v in options.items()}}

    recording = TracerProvider()
    otel_scenarios = {
        "bare (response_time only)": _app({}),
        "otel, no tracer provider set": _app(otel()),
        "otel, SDK, every span sampled out": _app(
            otel(tracer_provider=TracerProvider(sampler=ALWAYS_OFF))
        ),
        "otel, SDK recording, hooks off": _app(otel(tracer_provider=recording, hooks="off")),
        "otel, SDK recording, hooks as events": _app(otel(tracer_provider=recording)),
        "otel, SDK recording, hooks as spans": _app(otel(tracer_provider=recording, hooks="spans")),
    }
    _table(
        "tools.otel (2 response_time hooks recorded)",
        _compare(otel_scenarios, args.rounds, args.requests),
        "bare (response_time only)",
        otel_scenarios,
    )

    folder = tempfile.mkdtemp(prefix="bench-profiles-")

    def profiler(**options: Any) -> dict[str, Any]:
        settings = {"on": True, "folder": folder, **options}
        return {f"tools.profiler.{k}": v for k, v in settings.items()}

    profiler_scenarios = {
        "bare (response_time only)": otel_scenarios["bare (response_time only)"],
        "profiler, one in 1,000,000 (not sampling)": _app(profiler(every=1_000_000)),
        "profiler, trigger only, none sent": _app(profiler(every=0, secret=SECRET)),
    }
    _table(
        "tools.profiler, requests not profiled",
        _compare(profiler_scenarios, args.rounds, args.requests),
        "bare (response_time only)",
        profiler_scenarios,
    )
    profiled: dict[str, Callable[[], pegboard.App]] = {
        "bare (response_time only)": lambda: otel_scenarios["bare (response_time only)"],
        "profiler, every request, pyinstrument": lambda: _app(
            profiler(every=1, engine="pyinstrument", keep=5)
        ),
        "profiler, every request, cprofile": lambda: _app(profiler(every=1, engine="cprofile")),
    }
    every = {k: make() for k, make in profiled.items()}
    _table(
        "tools.profiler, every request profiled (the cost a profiled request pays)",
        _compare(every, max(args.rounds // 3, 3), 100),
        "bare (response_time only)",
        every,
    )


if __name__ == "__main__":
    main()
