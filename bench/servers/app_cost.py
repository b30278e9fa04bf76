"""What a hello world costs in Python on granian, without the noise of the machine.

Calls each app the way granian's WSGI worker does (its own ``_callback_wrapper``:
the environ merged from the process environment, its ``start_response``, the
body joined), in one thread, and times the thread's CPU time: other jobs on a
shared machine slow the wall clock, much less this. What it leaves out is what
only a real server has: the Rust side, sockets, thread switches (see
bench/servers/frameworks.py for those).

    uv run python bench/servers/app_cost.py
    uv run python bench/servers/app_cost.py --baseline-src /tmp/main/core/src

``--baseline-src`` runs the same apps in a second process with another checkout's
``core/src`` first on ``sys.path`` (``git archive main core/src | tar -x -C /tmp/main``)
and prints both, to show what a change to the core did.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCOPE = {  # what granian's Rust side puts in the environ for wrk's GET /hello/world
    "SERVER_PROTOCOL": "HTTP/1.1",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8080",
    "REMOTE_ADDR": "127.0.0.1",
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/hello/world",
    "QUERY_STRING": "",
    "wsgi.url_scheme": "http",
    "wsgi.input": None,
    "HTTP_HOST": "127.0.0.1:8080",
}


class _Proto:
    """Stands in for granian's protocol object: takes the response and drops it."""

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        pass

    def response_iter(self, status: int, headers: list[tuple[str, str]], body: Any) -> None:
        for _chunk in body:
            pass
        body.close()


def _apps() -> dict[str, Any]:
    sys.path.append(str(HERE.parent))
    import hello

    from pegboard.serving.bodies import BufferedBodies

    def buffered(app: Any) -> Any:
        wrapped = BufferedBodies(app, body_timeout=30, max_body_size=1 << 20, readers=64, threads=8)
        return getattr(wrapped, "wsgi", wrapped)  # what pegboard serve hands granian

    return {
        "raw WSGI callable": hello.raw_app(),
        "raw WSGI callable behind BufferedBodies": buffered(hello.raw_app()),
        f"raw WSGI callable after {hello.LOOP_ITERATIONS} loop steps (control)": (
            hello.raw_app_with_loop()
        ),
        "pegboard": hello.pegboard_app(),
        "pegboard behind BufferedBodies (pegboard serve)": buffered(hello.pegboard_app()),
        "falcon": hello.falcon_app(),
    }


def _cpu_us(runner: Callable[[Any, dict[str, Any]], Any], requests: int) -> float:
    proto = _Proto()
    started = time.thread_time()
    for _ in range(requests):
        runner(proto, SCOPE)
    return (time.thread_time() - started) / requests * 1e6


def measure(requests: int, rounds: int) -> dict[str, float]:
    """Best round's thread CPU microseconds per request, per app; rounds interleave."""
    from granian.wsgi import _callback_wrapper

    runners = {name: _callback_wrapper(app, {}) for name, app in _apps().items()}
    best = dict.fromkeys(runners, float("inf"))
    for runner in runners.values():
        _cpu_us(runner, 2000)  # warm up
    for _ in range(rounds):
        for name, runner in runners.items():
            best[name] = min(best[name], _cpu_us(runner, requests))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=30000, help="per round and app")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--baseline-src", type=Path, help="another checkout's core/src")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # for the child
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.requests, args.rounds)))
        return 0
    columns = {"this core": measure(args.requests, args.rounds)}
    if args.baseline_src:
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, runpy; sys.path.insert(0, sys.argv.pop(1)); "
                "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                str(args.baseline_src),
                __file__,
                "--json",
                f"--requests={args.requests}",
                f"--rounds={args.rounds}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        columns = {"baseline core": json.loads(child.stdout), **columns}
    floor = {label: figures["raw WSGI callable"] for label, figures in columns.items()}
    print(
        f"thread CPU time per request, best of {args.rounds} rounds of {args.requests}; "
        "'over raw': minus the raw callable's"
    )
    header = "".join(f"{label:>28}" for label in columns)
    print(f"{'app':<50}{header}")
    for name in next(iter(columns.values())):
        cells = "".join(
            f"{figures[name]:>10.2f} us {figures[name] - floor[label]:>+6.2f} over raw"
            for label, figures in columns.items()
        )
        print(f"{name:<50}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
