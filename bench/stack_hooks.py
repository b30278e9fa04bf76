"""Where the tool stack's time goes, hook by hook, timed directly (no profiler).

Builds the stack scenario's pegboard app (sessions on RAM, gzip, etags),
wraps every hook of its compiled plan, the handler, the core's ``finish`` and the
gzip coding's compress function in a ``perf_counter_ns`` timer, replays the
stack request, and prints microseconds per request for each. The wrappers
add a little to every figure (two clock reads each); the total is printed
beside the unwrapped app's, measured in the same run. The floor
(``scenarios.raw_stack``) runs in the same rounds, whole and with its own
compress call timed the same way, so the two columns compare part by part.

    uv run python bench/stack_hooks.py [--requests 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import scenarios
from hello import run_once
from scenarios import pegboard_stack, raw_stack, stack_environ

_clock = time.perf_counter_ns


def _timed(spent: dict[str, int], label: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = _clock()
        try:
            return func(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0) + _clock() - start

    return timed


def _codings(hook: Any) -> dict[str, Any]:
    """The gzip codings a hook uses: its bound options, or the object it is a method of."""
    owner = getattr(hook.callback, "__self__", None)
    found = getattr(owner, "codings", None) or hook.options.get("codings")
    return found or {}


def instrument(app: Any, spent: dict[str, int]) -> Callable[..., Any]:
    """Wrap the hooks, handler and codec of ``app``'s /stack route (in place).

    Returns the core's ``finish`` wrapped in a timer, to swap in while ``app`` runs.
    """
    import pegboard.app
    from pegboard.hooks import HOOKPOINTS
    from pegboard.plans import _runner

    route = app.router.static["/stack"]
    plan = route.compiled.default
    runners = list(plan.runners)
    wrapped: set[int] = set()  # the compress hooks of two hookpoints share their codings
    for index, point in enumerate(HOOKPOINTS):
        hooks = plan.hooks[point]
        if not hooks:
            continue
        for hook in hooks:
            for coding in _codings(hook).values():
                if id(coding) not in wrapped:
                    wrapped.add(id(coding))
                    coding.compress = _timed(spent, f"  zlib ({coding.name})", coding.compress)
        callbacks = tuple(
            _timed(spent, f"{point}: {h.callback.__qualname__}", cb)
            for h, cb in zip(hooks, getattr(plan, point), strict=True)
        )
        setattr(plan, point, callbacks)
        runners[index] = _runner(callbacks, plan.failsafe(point))
    plan.runners = tuple(runners)
    for method, handler in list(route.handlers.items()):
        route.handlers[method] = _timed(spent, "handler (reads and writes the session)", handler)
    if route.any_method is not None:
        route.any_method = _timed(spent, "handler (reads and writes the session)", route.any_method)
    return _timed(spent, "finish (headers, cookies, start_response)", pegboard.app.finish)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    plain = pegboard_stack()
    plain_environ = stack_environ(plain)
    floor = raw_stack()
    floor_environ = stack_environ(floor)
    floor_spent: dict[str, int] = {}
    compress = scenarios._gzip_compress
    scenarios._gzip_compress = lambda: _timed(floor_spent, "zlib", compress())
    try:
        timed_floor = raw_stack()
    finally:
        scenarios._gzip_compress = compress
    timed_floor_environ = stack_environ(timed_floor)
    timed_app = pegboard_stack()
    environ = stack_environ(timed_app)
    spent: dict[str, int] = {}
    timed_finish = instrument(timed_app, spent)
    import pegboard.app

    finish = pegboard.app.finish

    best_plain = best_total = best_floor = best_floor_timed = float("inf")
    best: dict[str, float] = {}
    floor_zlib = 0.0
    for _ in range(args.rounds):
        best_plain = min(best_plain, run_once(plain, args.requests, plain_environ))
        best_floor = min(best_floor, run_once(floor, args.requests, floor_environ))
        floor_spent.clear()
        floor_total = run_once(timed_floor, args.requests, timed_floor_environ)
        if floor_total < best_floor_timed:
            best_floor_timed = floor_total
            floor_zlib = floor_spent["zlib"] / args.requests / 1000
        spent.clear()
        pegboard.app.finish = timed_finish  # the module global App.__call__ calls
        try:
            total = run_once(timed_app, args.requests, environ)
        finally:
            pegboard.app.finish = finish
        if total < best_total:
            best_total = total
            best = {k: v / args.requests / 1000 for k, v in spent.items()}
    print(f"{args.requests} requests x {args.rounds} rounds, the fastest round; us per request")
    for label, micros in sorted(best.items(), key=lambda item: -item[1]):
        print(f"  {micros:6.2f}  {label}")
    print(f"  {best_total:6.2f}  the whole request, timers in place")
    print(f"  {best_plain:6.2f}  the whole request, no timers")
    print("the floor (raw_stack), same rounds")
    print(f"  {floor_zlib:6.2f}    zlib (gzip)")
    print(f"  {best_floor_timed - floor_zlib:6.2f}  everything else, timer in place")
    print(f"  {best_floor:6.2f}  the whole request, no timer")
    print(f"  {best_plain / best_floor:6.2f}x pegboard over the floor, no timers")


if __name__ == "__main__":
    main()
