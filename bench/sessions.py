"""Benchmark: one request that reads and writes a session, per store, side by side in one run.

pegboard's sessions on RAM, file, Redis, Memcached and PostgreSQL, against
CherryPy's RAM and file sessions and Flask-Session's Redis interface (which
does not lock). Every app is called in-process through WSGI (no HTTP
server), with the same handler: read a counter from the session, add one,
store it. Real servers are started from their binaries with pegboard's test
kit, on loopback.

    uv run python bench/sessions.py [--requests 1000] [--rounds 7]

The machine this runs on is shared, so:

- the contenders run in interleaved rounds (each round runs every one of
  them, in a rotating order), and each keeps its best round and its median;
  the spread between the two says how noisy the run was;
- beside wall time, each figure has CPU time: this process's and the store
  server's (every process and thread of it), read from the kernel before
  and after each round. CPU time hardly moves with the load of other jobs,
  where wall time does;
- round trips per request are counted on the wire, through a counting
  proxy in front of the server (a separate app, not the timed one).

Ratios are other / pegboard (above 1: pegboard is faster), and for
Memcached and PostgreSQL their cost relative to pegboard's own Redis.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from replay import make_environ

WSGIApp = Callable[..., Any]

_HERE = Path(__file__).resolve().parent
#: The counting proxy the sessions tests use (loaded by path: tests are not a package).
_PROXY_FILE = _HERE.parent / "tests" / "tools" / "sessions" / "roundtrip_proxy.py"


def _counting_proxy() -> Any:
    spec = importlib.util.spec_from_file_location("sessions_roundtrip_proxy", _PROXY_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CountingProxy


# -- calling an app -----------------------------------------------------------------------


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


def _start_session(app: WSGIApp) -> str:
    status, set_cookie, body = _call(app, None)
    assert status.startswith("200") and set_cookie, (status, body)
    return set_cookie.split(";", 1)[0]


# -- CPU time of the store's server ---------------------------------------------------------


def _ns_on_cpu(pid: int) -> int:
    """Nanoseconds every thread of ``pid`` has run (``/proc/<pid>/task/*/schedstat``)."""
    total = 0
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    return total


def _process_tree(root: int) -> list[int]:
    """``root`` and every process below it (PostgreSQL runs a process per connection)."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{name}/stat") as f:
                parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _server_ns(roots: list[int]) -> int:
    return sum(_ns_on_cpu(pid) for root in roots for pid in _process_tree(root))


# -- the contenders -----------------------------------------------------------------------------


@dataclass
class Contender:
    label: str
    app: WSGIApp
    #: pids of the store's server processes, whose CPU time counts too
    servers: list[int]
    #: round trips to the store per request, counted on the wire (None: no network)
    round_trips: float | None
    cookie: str = ""
    calls: int = 0
    #: us per request, one entry per round
    walls: list[float] = field(default_factory=list)
    app_cpus: list[float] = field(default_factory=list)
    server_cpus: list[float] = field(default_factory=list)

    def run(self, requests: int) -> None:
        app, cookie = self.app, self.cookie
        server_before = _server_ns(self.servers) if self.servers else 0
        cpu_before = time.thread_time_ns()  # the requests all run in this thread
        began = time.perf_counter()
        for _ in range(requests):
            _call(app, cookie)
        wall = time.perf_counter() - began
        cpu = time.thread_time_ns() - cpu_before
        server = _server_ns(self.servers) - server_before if self.servers else 0
        self.calls += requests
        self.walls.append(wall / requests * 1e6)
        self.app_cpus.append(cpu / requests / 1000)
        self.server_cpus.append(server / requests / 1000)

    def cpu(self) -> float:
        """CPU us per request, app and server, in the round where it was least."""
        return min(a + s for a, s in zip(self.app_cpus, self.server_cpus, strict=True))

    def check(self) -> None:
        """The counter counted every request: the session really was read and written."""
        _, _, body = _call(self.app, self.cookie)
        assert int(body) == self.calls + 2, (self.label, body, self.calls)


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


def _count_round_trips(make: Callable[[str, int], WSGIApp], server: Any) -> float:
    """Round trips per request of an app built by ``make(host, port)`` against a proxy."""
    proxy = _counting_proxy()(server.host, server.port)
    try:
        app = make(proxy.host, proxy.port)
        cookie = _start_session(app)
        for _ in range(20):  # warm up: connections, scripts, prepared statements
            _call(app, cookie)
        proxy.reset()
        for _ in range(20):
            _call(app, cookie)
        count = float(proxy.round_trips) / 20
        stop = getattr(app, "stop", None)
        if stop is not None:
            stop()
        return count
    finally:
        proxy.close()


@contextlib.contextmanager
def servers(base: Path) -> Iterator[dict[str, Any]]:
    from pegboard.testing.backends import start_memcached, start_postgresql, start_redis

    with (
        start_redis(base / "redis") as redis,
        start_memcached(base / "memcached") as memcached,
        start_postgresql(base / "postgresql") as postgresql,
    ):
        yield {"redis": redis, "memcached": memcached, "postgresql": postgresql}


def contenders(tmp: Path, running: dict[str, Any]) -> list[Contender]:
    redis, memcached, postgresql = running["redis"], running["memcached"], running["postgresql"]

    def pb_redis(host: str, port: int) -> WSGIApp:
        return pegboard_app({"storage_type": "redis", "url": f"redis://{host}:{port}/0"})

    def pb_memcached(host: str, port: int) -> WSGIApp:
        return pegboard_app({"storage_type": "memcached", "servers": [f"{host}:{port}"]})

    def pb_postgresql(host: str, port: int) -> WSGIApp:
        dsn = f"postgresql://postgres@{host}:{port}/postgres"
        return pegboard_app({"storage_type": "postgresql", "dsn": dsn, "clean_freq": 0})

    def flask(host: str, port: int) -> WSGIApp:
        return flask_session_app(f"redis://{host}:{port}/0")

    Path(tmp, "cp").mkdir()
    found = [
        Contender("pegboard ram", pegboard_app({"storage_type": "ram"}), [], None),
        Contender("CherryPy RamSession", cherrypy_app("ram"), [], None),
        Contender(
            "pegboard file",
            pegboard_app({"storage_type": "file", "storage_path": str(Path(tmp, "pb"))}),
            [],
            None,
        ),
        Contender("CherryPy FileSession", cherrypy_app("file", str(Path(tmp, "cp"))), [], None),
    ]
    networked: list[tuple[str, Callable[[str, int], WSGIApp], Any]] = [
        ("pegboard redis", pb_redis, redis),
        ("Flask-Session redis", flask, redis),
        ("pegboard memcached", pb_memcached, memcached),
        ("pegboard postgresql", pb_postgresql, postgresql),
    ]
    for label, make, server in networked:
        found.append(
            Contender(
                label,
                make(server.host, server.port),
                [server.process.pid],
                _count_round_trips(make, server),
            )
        )
    return found


# -- the report -------------------------------------------------------------------------------


def _by_label(rows: list[Contender]) -> dict[str, Contender]:
    return {row.label: row for row in rows}


def report(rows: list[Contender], requests: int, rounds: int, loads: tuple[str, str]) -> None:
    print("Sessions: one request reads and writes a counter (in-process WSGI, servers on loopback)")
    print(
        f"{rounds} interleaved rounds x {requests} requests per contender; "
        f"load average {loads[0]} at the start, {loads[1]} at the end, "
        f"{os.cpu_count()} CPUs"
    )
    print()
    print(f"{'':<22} {'wall us/request':^26} {'cpu us/request':^30} {'round trips':>12}")
    print(
        f"{'contender':<22} {'best':>8} {'median':>8} {'spread':>8}"
        f" {'best':>8} {'app':>6} {'server':>7} {'spread':>7} {'per request':>12}"
    )
    for row in rows:
        best, mid = min(row.walls), median(row.walls)
        cpus = [a + s for a, s in zip(row.app_cpus, row.server_cpus, strict=True)]
        least = min(cpus)
        at = cpus.index(least)
        trips = "-" if row.round_trips is None else f"{row.round_trips:g}"
        print(
            f"{row.label:<22} {best:>8.1f} {mid:>8.1f} {mid / best - 1:>8.0%}"
            f" {least:>8.1f} {row.app_cpus[at]:>6.1f} {row.server_cpus[at]:>7.1f}"
            f" {median(cpus) / least - 1:>7.0%} {trips:>12}"
        )
    print()
    print("wall: the best round, the median round, and spread = median / best - 1: the noise.")
    print("cpu: the thread making the requests (app) plus every process and thread of the")
    print("store's server (server), in the round where their sum was least; spread as for wall.")
    print()
    rows_by = _by_label(rows)
    if len(rows_by) < 8:
        return  # --only: no ratios

    def wall(label: str) -> float:
        return min(rows_by[label].walls)

    def cpu(label: str) -> float:
        return rows_by[label].cpu()

    print(f"{'ratio':<50} {'wall':>6} {'cpu':>6}   target")
    faster = [
        ("pegboard redis", "Flask-Session redis", 1.5),
        ("pegboard file", "CherryPy FileSession", 2.0),
        ("pegboard ram", "CherryPy RamSession", None),
    ]
    for ours, theirs, target in faster:
        by_wall, by_cpu = wall(theirs) / wall(ours), cpu(theirs) / cpu(ours)
        verdict = (
            "" if target is None else f">= {target:g}: " + _met(min(by_wall, by_cpu) >= target)
        )
        print(f"{theirs + ' / ' + ours:<50} {by_wall:>6.2f} {by_cpu:>6.2f}   {verdict}")
    for store in ("pegboard memcached", "pegboard postgresql"):
        by_wall, by_cpu = wall(store) / wall("pegboard redis"), cpu(store) / cpu("pegboard redis")
        verdict = "<= 1.3: " + _met(max(by_wall, by_cpu) <= 1.3)
        print(f"{store + ' / pegboard redis':<50} {by_wall:>6.2f} {by_cpu:>6.2f}   {verdict}")


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--only", nargs="+", metavar="WORD", help="run only the contenders whose name has a WORD"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as running:
        rows = contenders(Path(tmp), running)
        if args.only:
            rows = [row for row in rows if any(word in row.label for word in args.only)]
        for row in rows:
            row.cookie = _start_session(row.app)
            for _ in range(100):  # warm up: imports, pools, caches, prepared statements
                _call(row.app, row.cookie)
            row.calls = 100
        start_load = _load()
        for round_number in range(args.rounds):
            shift = round_number % len(rows)
            for row in rows[shift:] + rows[:shift]:
                row.run(args.requests)
        end_load = _load()
        for row in rows:
            row.check()
            stop = getattr(row.app, "stop", None)
            if stop is not None:
                stop()
    report(rows, args.requests, args.rounds, (start_load, end_load))


if __name__ == "__main__":
    main()
