"""What ``tools.stats`` costs per request: the same apps with it off and on, side by side.

Two routes, each replayed in-process (no sockets) in interleaved rounds, best
round kept (as ``replay.best_of``, but in CPU time: see ``_replay_cpu``):

- ``hello``: ``GET /hello/world`` with no other tool;
- ``stack``: the same with five cheap tools on the path (request_id,
  response_headers, response_time, trailing_slash, allow): eight hooks of
  other tools, so that the cost of wrapping each hook for the sampled hook
  timing shows.

Each runs with stats off, on with the default sampling (the hooks of one
request in 100 timed), on with ``hook_sample = 0`` (hooks not wrapped), and
on with ``hook_sample = 1`` (every request timed, what sampling saves). A
third-party figure sits beside them: the same counting done with
``prometheus_client``'s own Counter and Histogram in two hooks.

    uv run python bench/stats.py [--rounds 12] [--seconds 0.2] [--profile]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from typing import Any

import replay
from replay import Contender

import pegboard

STACK = {
    "tools.request_id.on": True,
    "tools.response_headers.on": True,
    "tools.response_headers.headers": {"X-Content-Type-Options": "nosniff"},
    "tools.response_time.on": True,
    "tools.trailing_slash.on": True,
    "tools.allow.on": True,
    "tools.allow.methods": ["GET", "HEAD"],
}
VARIANTS: dict[str, dict[str, Any] | None] = {
    "stats off": {},
    "stats on (hook_sample 100)": {"tools.stats.on": True},
    "stats on (hook_sample 0)": {"tools.stats.on": True, "tools.stats.hook_sample": 0},
    "stats on (hook_sample 1)": {"tools.stats.on": True, "tools.stats.hook_sample": 1},
    "prometheus_client in 2 hooks": None,
}


def _hello(req: pegboard.Request, resp: pegboard.Response, name: str) -> str:
    return f"Hello, {name}!"


def _prometheus_tool() -> pegboard.Tool:
    """The same figures kept with prometheus_client's own metric objects (a fresh registry)."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry()
    labels = ["route", "method", "status"]
    requests = Counter("bench_requests", "requests", labels, registry=registry)
    duration = Histogram("bench_duration_seconds", "latency", labels, registry=registry)
    written = Counter("bench_written_bytes", "bytes", labels, registry=registry)
    in_flight = Gauge("bench_in_flight", "in flight", ["route", "method"], registry=registry)

    class PrometheusTool(pegboard.Tool):
        def __init__(self) -> None:
            super().__init__("bench_prometheus", point="on_end_resource")

        def attach(self, plan: pegboard.PlanBuilder) -> None:  # type: ignore[override]
            plan.add("on_start_resource", _begin, -10)
            plan.add("on_end_resource", _end, 100)

    def _begin(req: pegboard.Request, resp: pegboard.Response) -> None:
        in_flight.labels(req.route.template, req.method).inc()
        req.state.bench = time.perf_counter()

    def _end(req: pegboard.Request, resp: pegboard.Response) -> None:
        values = (req.route.template, req.method, f"{resp.status // 100}xx")
        requests.labels(*values).inc()
        duration.labels(*values).observe(time.perf_counter() - req.state.bench)
        written.labels(*values).inc(len(resp.body))
        in_flight.labels(req.route.template, req.method).dec()

    return PrometheusTool()


def build(scenario: str, variant: str) -> pegboard.App:
    config: dict[str, Any] = dict(STACK) if scenario == "stack" else {}
    extra = VARIANTS[variant]
    if extra is None:
        app = pegboard.App()
        app.add_tool(_prometheus_tool())
        config["tools.bench_prometheus.on"] = True
    else:
        app = pegboard.App()
        config.update(extra)
    app.config.update(pegboard.load_config({"/": config}))
    app.route("/hello/{name}", _hello)
    app.start()
    return app


def _replay_cpu(app: pegboard.App, environ: dict[str, Any], requests: int) -> float:
    """CPU seconds of this process for ``requests`` replays (as ``replay.replay``).

    CPU time, not wall time: on a shared machine a process waiting for a core
    is not charged for the wait, so the figures move far less with the load.
    """
    base = dict(environ)
    began = time.process_time()
    for _ in range(requests):
        result = app(base.copy(), _start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return time.process_time() - began


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def check(app: pegboard.App, environ: dict[str, Any]) -> None:
    answer = replay.call(app, environ)
    assert answer.status.startswith("200") and answer.body == b"Hello, world!", answer


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=0.2, help="time per app per round")
    parser.add_argument("--profile", action="store_true", help="a cProfile of stats on, stack")
    args = parser.parse_args()
    logging.getLogger("pegboard").setLevel(logging.WARNING)
    environ = replay.make_environ("/hello/world")
    for scenario in ("hello", "stack"):
        contenders = []
        for variant in VARIANTS:
            app = build(scenario, variant)
            check(app, environ)
            contender = Contender(variant, "pegboard", app, environ)
            replay.calibrate(contender, args.seconds)
            contenders.append(contender)
        for _ in range(args.rounds):  # interleaved rounds, best kept (as replay.best_of)
            for c in contenders:
                taken = _replay_cpu(c.app, c.environ, c.requests)
                c.best = min(c.best, taken / c.requests)
        base = contenders[0].micros
        print(f"\n{scenario}: GET /hello/world, best of {args.rounds} rounds")
        print(f"{'':<32}{'us/request':>12}{'req/s':>10}{'added us':>10}")
        for c in contenders:
            print(f"{c.name:<32}{c.micros:>12.2f}{c.rps:>10.0f}{c.micros - base:>+10.2f}")
    if args.profile:
        print("\nstats on (hook_sample 100), stack:")
        print(replay.profile(build("stack", "stats on (hook_sample 100)"), environ, 20000, 25))


_: Callable[..., Any] = main

if __name__ == "__main__":
    main()
