"""The frameworks over real servers: each on the server its users would pick, under wrk.

pegboard runs on ``pegboard serve`` (granian, its default: the request-body
buffering and the gate in front of the app included); a raw WSGI callable,
Falcon and Flask on granian's WSGI interface with the same workers and threads
(``granian --interface wsgi --blocking-threads 8``); CherryPy on its own
server, cheroot, as ``cherrypy.quickstart`` runs it (one process, its default
pool of 10 threads). Four scenarios, at 1 and 2 worker processes:

- ``hello``: GET /hello/world, "Hello, world!" (the apps of bench/hello.py);
- ``stack``: a session read and written, gzip, an ETag, a 2 KB page (the apps of
  bench/scenarios.py); sessions in process memory with 1 worker, in Redis with
  2 (a memory store is not shared between processes);
- ``cache``: a cache hit (Falcon's hello world as the yardstick);
- ``redis``: a session counter on a real Redis (the apps of bench/sessions.py).

Every app is checked over HTTP before it is timed. The servers of a scenario
and worker count are started together; each round runs wrk once against each
(the order reversed every other round), so that a change in the load of a shared
machine hits every app alike; the table keeps the median of the rounds, their
spread, and the ratio to the scenario's raw floor, taken round by round. Besides
wrk's figures, the CPU time the server's processes used per request (from
/proc) is given: it moves less than requests per second when other jobs share
the cores.

    uv run python bench/servers/frameworks.py                 # everything, ~18 minutes
    uv run python bench/servers/frameworks.py --only hello --workers 1 --rounds 9
    uv run python bench/servers/frameworks.py --quick         # ~3 minutes, rough

Needs the ``wrk`` binary (bench/servers/install-wrk, which this script runs
when wrk is missing, installs it with apt-get), redis-server for the Redis rows
(.ci/install-backends), and the dev group's falcon, flask, flask-caching,
flask-session and cherrypy. Linux only (the CPU time is read from /proc).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from pegboard.serving import body_readers

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
THREADS = 8  # request threads per process: pegboard serve's default, given to granian too
# pegboard serve runs granian with THREADS + readers threads, readers being the bodies it
# reads at once (16 by default with 8 threads: pegboard.serving.body_readers).
SERVE_THREADS = THREADS + body_readers(THREADS)


def _load_servers_run() -> Any:
    """bench/servers/run.py (the server comparison), for its wrk and process helpers."""
    spec = importlib.util.spec_from_file_location("bench_servers_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


servers_run = _load_servers_run()


# -- what runs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One framework in one scenario: the app it serves at 1 and at 2 workers."""

    name: str
    framework: str  # raw, pegboard, falcon, flask, cherrypy (chart colours)
    launcher: str  # granian, pegboard, cherrypy
    app_1w: str  # framework_apps attribute
    app_2w: str | None  # None: cannot run several processes
    floor: bool = False
    diagnostic: bool = False  # not how its users run it: shows where a gap comes from
    threads: int = THREADS  # granian's blocking threads (granian launcher)
    readers_only: bool = False  # runs only with --readers (one row per reader count)
    cpu_affinity: bool = False  # pegboard serve / pegboard.serving with server.cpu_affinity on


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    path: str
    sessions: bool  # requests carry a session cookie from a first visit
    gzip: bool  # requests accept gzip
    rows: tuple[Row, ...]
    note_2w: str = ""


def _hello_rows() -> tuple[Row, ...]:
    return (
        Row("raw WSGI callable (floor)", "raw", "granian", "raw_hello", "raw_hello", floor=True),
        Row("pegboard", "pegboard", "pegboard", "pegboard_hello", "pegboard_hello"),
        # Where pegboard's gap to the floor comes from: granian with as many threads as
        # pegboard serve gives it (the body readers' included), the serving layer alone
        # (body buffering, its extra threads and the gate, around the raw callable), and
        # the app alone (pegboard on plain granian, which pegboard serve does not run).
        Row(
            f"raw WSGI callable on granian with {SERVE_THREADS} threads",
            "raw",
            "granian",
            "raw_hello",
            "raw_hello",
            diagnostic=True,
            threads=SERVE_THREADS,
        ),
        Row(
            "raw WSGI callable via pegboard.serving",
            "raw",
            "serving",
            "raw_hello",
            "raw_hello",
            diagnostic=True,
        ),
        # A control: the raw callable after a loop of pure Python as long as pegboard's
        # path (bench/servers/app_cost.py): the time of pegboard's code without its
        # memory footprint.
        Row(
            "raw WSGI callable after a Python loop as long as pegboard's path (control)",
            "raw",
            "granian",
            "raw_hello_loop",
            "raw_hello_loop",
            diagnostic=True,
        ),
        # The option that keeps each worker on one CPU, beside the same raw callable
        # served with it (the like-for-like floor of that row).
        Row(
            "pegboard, one CPU per worker (--cpu-affinity)",
            "pegboard",
            "pegboard",
            "pegboard_hello",
            "pegboard_hello",
            diagnostic=True,
            cpu_affinity=True,
        ),
        Row(
            "raw WSGI callable via pegboard.serving, one CPU per worker",
            "raw",
            "serving",
            "raw_hello",
            "raw_hello",
            diagnostic=True,
            cpu_affinity=True,
        ),
        Row(
            "pegboard App via pegboard.serving",
            "pegboard",
            "serving",
            "pegboard_hello",
            "pegboard_hello",
            diagnostic=True,
            readers_only=True,
        ),
        Row(
            "pegboard App on plain granian",
            "pegboard",
            "granian",
            "pegboard_hello",
            "pegboard_hello",
            diagnostic=True,
        ),
        Row("falcon", "falcon", "granian", "falcon_hello", "falcon_hello"),
        Row("flask", "flask", "granian", "flask_hello", "flask_hello"),
        Row("cherrypy", "cherrypy", "cherrypy", "cherrypy_hello", None),
    )


SCENARIOS = (
    Scenario("hello", "hello world", "/hello/world", False, False, _hello_rows()),
    Scenario(
        "stack",
        "tool stack: session r+w, gzip, etag, 2 KB",
        "/stack",
        True,
        True,
        (
            Row(
                "raw WSGI: the same work by hand (floor)",
                "raw",
                "granian",
                "raw_stack",
                "raw_stack_redis",
                floor=True,
            ),
            Row(
                "pegboard sessions+gzip+etags",
                "pegboard",
                "pegboard",
                "pegboard_stack",
                "pegboard_stack_redis",
            ),
            Row(
                "pegboard sessions+gzip+etags, one CPU per worker",
                "pegboard",
                "pegboard",
                "pegboard_stack",
                "pegboard_stack_redis",
                diagnostic=True,
                cpu_affinity=True,
            ),
            Row(
                "flask signed-cookie session+Flask-Compress+etag",
                "flask",
                "granian",
                "flask_stack_cookie",
                "flask_stack_cookie",
            ),
            Row(
                "flask Flask-Session+Flask-Compress+etag",
                "flask",
                "granian",
                "flask_stack_server",
                "flask_stack_redis",
            ),
            Row("cherrypy sessions+gzip+etags", "cherrypy", "cherrypy", "cherrypy_stack", None),
        ),
        note_2w="sessions in Redis",
    ),
    Scenario(
        "cache",
        "cache hit",
        "/hello/world",
        False,
        False,
        (
            Row(
                "raw WSGI hello world (floor)",
                "raw",
                "granian",
                "raw_hello",
                "raw_hello",
                floor=True,
            ),
            Row(
                "pegboard caching hit (memory)",
                "pegboard",
                "pegboard",
                "pegboard_cache",
                "pegboard_cache",
            ),
            Row(
                "pegboard caching hit, one CPU per worker",
                "pegboard",
                "pegboard",
                "pegboard_cache",
                "pegboard_cache",
                diagnostic=True,
                cpu_affinity=True,
            ),
            Row(
                "falcon hello world (no cache)", "falcon", "granian", "falcon_hello", "falcon_hello"
            ),
            Row(
                "flask Flask-Caching hit (SimpleCache)",
                "flask",
                "granian",
                "flask_cache",
                "flask_cache",
            ),
            Row("cherrypy tools.caching hit", "cherrypy", "cherrypy", "cherrypy_cache", None),
        ),
    ),
    Scenario(
        "redis",
        "session on Redis: read, +1, write",
        "/incr",
        True,
        False,
        (
            Row(
                "raw WSGI: GET + SET by hand, no lock (floor)",
                "raw",
                "granian",
                "raw_session_redis",
                "raw_session_redis",
                floor=True,
            ),
            Row(
                "pegboard sessions (redis, implicit locking)",
                "pegboard",
                "pegboard",
                "pegboard_session_redis",
                "pegboard_session_redis",
            ),
            Row(
                "pegboard sessions (redis), one CPU per worker",
                "pegboard",
                "pegboard",
                "pegboard_session_redis",
                "pegboard_session_redis",
                diagnostic=True,
                cpu_affinity=True,
            ),
            Row(
                "flask Flask-Session (redis, no lock)",
                "flask",
                "granian",
                "flask_session_redis",
                "flask_session_redis",
            ),
        ),
    ),
)
NOT_APPLICABLE = {
    "stack": [("falcon", "no session or compression tools of its own")],
    "redis": [("cherrypy", "no Redis session store of its own"), ("falcon", "no sessions")],
}
CHERRYPY_2W = "cheroot serves from one process"
SUBTITLE = f"{os.cpu_count()} CPUs shared by the servers, wrk and other jobs"


@dataclass
class Cell:
    """One row of a scenario at one worker count: its server, checks and figures."""

    scenario: Scenario
    row: Row
    workers: int
    app: str
    baseline: bool = False  # pegboard from --baseline-src
    readers: int | None = None  # body readers of a pegboard.serving row (None: the default)
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)  # server CPU time per request
    errors: list[int] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # rps / the floor's, same round
    note: str = ""
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log: Any = None
    cookies: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        readers = f", readers={self.readers}" if self.readers is not None else ""
        return self.row.name + readers + (" (baseline core)" if self.baseline else "")

    @property
    def short(self) -> str:
        """A few words for the progress lines."""
        words = {"serving": "via-serving", "pegboard": "serve", "cherrypy": "cheroot"}
        tags = [self.app, words.get(self.row.launcher, self.row.launcher)]
        if self.readers is not None:
            tags.append(f"r{self.readers}")
        if self.row.cpu_affinity:
            tags.append("cpu")
        if self.baseline:
            tags.append("baseline")
        return "/".join(tags)

    @property
    def server(self) -> str:
        if self.row.launcher == "granian" and self.row.threads != THREADS:
            return f"granian, {self.row.threads} threads"
        name: str = {
            "granian": "granian",
            "pegboard": "pegboard serve (granian)",
            "serving": "pegboard.serving.serve (granian)",
            "cherrypy": "cheroot (quickstart)",
        }[self.row.launcher]
        return name + ", cpu_affinity" if self.row.cpu_affinity else name


# -- the servers ---------------------------------------------------------------------

_PEGBOARD = "import sys; from pegboard.cli import main; sys.exit(main())"
_SERVING = (
    "import sys; sys.path[:0] = [p for p in (sys.argv[1], '') if p]; "
    "import framework_apps; from pegboard import serving; "
    "name, port, workers, threads, readers, affinity = sys.argv[2], *map(int, sys.argv[3:]); "
    "serving.serve(lambda: getattr(framework_apps, name), host='127.0.0.1', port=port, "
    "workers=workers, threads=threads, readers=readers or None, cpu_affinity=bool(affinity))"
)
_PEGBOARD_FROM = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from pegboard.cli import main; sys.exit(main())"
)


def _argv(cell: Cell, baseline_src: Path | None) -> list[str]:
    py, port, app = sys.executable, str(cell.port), cell.app
    launcher = cell.row.launcher
    if launcher == "granian":
        return list(
            servers_run.granian_argv(cell.workers, cell.row.threads, port, f"framework_apps:{app}")
        )
    if launcher == "pegboard":
        serve = [
            "serve",
            f"framework_apps:{app}",
            "--host",
            HOST,
            "--port",
            port,
            "--workers",
            str(cell.workers),
            "--threads",
            str(THREADS),
            *(["--cpu-affinity"] if cell.row.cpu_affinity else []),
        ]
        if cell.baseline:
            return [py, "-c", _PEGBOARD_FROM, str(baseline_src), *serve]
        return [py, "-c", _PEGBOARD, *serve]
    if launcher == "serving":
        src = str(baseline_src) if cell.baseline else ""
        readers = str(cell.readers or 0)  # 0: the default
        affinity = str(int(cell.row.cpu_affinity))
        return [
            py,
            "-c",
            _SERVING,
            src,
            app,
            port,
            str(cell.workers),
            str(THREADS),
            readers,
            affinity,
        ]
    return [py, "framework_apps.py", "cherrypy", app, port]


def _server_cpus(wrk_cpu: int | None) -> list[str]:
    """``taskset`` before a server's command: every CPU but wrk's (none when wrk roams)."""
    if wrk_cpu is None:
        return []
    others = sorted(os.sched_getaffinity(0) - {wrk_cpu})
    return ["taskset", "-c", ",".join(map(str, others))]


def _start(
    cell: Cell, env: dict[str, str], baseline_src: Path | None, wrk_cpu: int | None = None
) -> None:
    cell.port = servers_run._free_port()
    cell.log = tempfile.TemporaryFile()  # noqa: SIM115  # closed by _stop()
    cell.proc = subprocess.Popen(
        [*_server_cpus(wrk_cpu), *_argv(cell, baseline_src)],
        cwd=HERE,
        env=env,
        stdout=cell.log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped (and measured) as one
    )


def _stop(cell: Cell) -> None:
    if cell.proc is not None:
        servers_run._stop(cell.proc)
        if cell.proc.returncode not in (0, -signal.SIGTERM, 1) and not cell.note:
            cell.note = f"exit code {cell.proc.returncode} on SIGTERM"
    if cell.log is not None:
        cell.log.close()
        cell.log = None


def _server_log(cell: Cell) -> str:
    if cell.log is None:
        return ""
    cell.log.seek(0)
    text: str = cell.log.read().decode(errors="replace")
    return text[-1500:]


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every live process in the process group ``pgid``."""
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                data = stat.read()
        except OSError:
            continue  # gone in the meantime
        fields = data[data.rindex(b")") + 2 :].split()
        if int(fields[2]) == pgid:  # fields: state ppid pgrp ... utime(11) stime(12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# -- checks over HTTP --------------------------------------------------------------------


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], list[str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        cookies = answer.headers.get_all("Set-Cookie") or []
        named = {k.title(): v for k, v in answer.headers.items()}
        return answer.status, named, cookies, answer.read()


def _wait_ready(cell: Cell, deadline: float) -> None:
    url = f"http://{HOST}:{cell.port}/"
    assert cell.proc is not None
    while time.monotonic() < deadline:
        if cell.proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {cell.proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers (a 404 for /)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer within 60 s")


def _check_and_prepare(cell: Cell, sessions_needed: int) -> None:
    """Check the app does the scenario's work; for session scenarios, open the sessions."""
    url = f"http://{HOST}:{cell.port}{cell.scenario.path}"
    key = cell.scenario.key
    accept = {"Accept-Encoding": "gzip"} if cell.scenario.gzip else {}
    if not cell.scenario.sessions:
        for _ in range(3):  # the first may fill a cache; the others must give the same page
            status, _headers, _cookies, body = _get(url, accept)
            if status != 200 or body != b"Hello, world!":
                raise AssertionError(f"answered {status} {body[:60]!r}")
        return
    for _ in range(sessions_needed):
        status, _headers, cookies, _body = _get(url, accept)
        if status != 200 or not cookies:
            raise AssertionError(f"a first visit got {status} and no session cookie")
        cell.cookies.append("; ".join(c.split(";", 1)[0] for c in cookies))
    status, headers, cookies, body = _get(url, {**accept, "Cookie": cell.cookies[0]})
    if status != 200 or not cookies:
        raise AssertionError(f"a second visit got {status} and no renewed cookie")
    if key == "stack":
        if headers.get("Content-Encoding") != "gzip" or not headers.get("Etag"):
            raise AssertionError(f"no gzip or no ETag: {headers}")
        if "accept-encoding" not in headers.get("Vary", "").lower():
            raise AssertionError(f"Vary lacks Accept-Encoding: {headers}")
        text = gzip.decompress(body).decode()
        visits = int(text.split(None, 2)[1])
    else:
        visits = int(body)
    if visits != 2:
        raise AssertionError(f"the session was not read back: count {visits} on a second visit")


# -- wrk ---------------------------------------------------------------------------------

_LUA = """
-- Each wrk thread cycles through its own share of the sessions opened before the run,
-- so that requests in flight at once carry different sessions (as different users do).
local cookies = {%(cookies)s}
local per_thread = %(per_thread)d
local next_thread = 0
function setup(thread)
  thread:set("first", next_thread * per_thread)
  next_thread = next_thread + 1
end
function init(args)
  requests = {}
  for i = 1, per_thread do
    requests[i] = wrk.format("GET", wrk.path, {
      ["Host"] = wrk.host .. ":" .. wrk.port,
      ["Cookie"] = cookies[first + i],%(extra)s
    })
  end
  index = 0
end
function request()
  index = index %% per_thread + 1
  return requests[index]
end
"""


def _lua(cell: Cell, wrk_threads: int, folder: Path) -> Path:
    per_thread = len(cell.cookies) // wrk_threads
    quoted = ", ".join(json.dumps(c) for c in cell.cookies)  # JSON strings are Lua strings here
    extra = '\n      ["Accept-Encoding"] = "gzip",' if cell.scenario.gzip else ""
    path = folder / f"{cell.scenario.key}-{cell.workers}-{cell.app}-{cell.port}.lua"
    path.write_text(_LUA % {"cookies": quoted, "per_thread": per_thread, "extra": extra})
    return path


def _wrk(
    cell: Cell, args: argparse.Namespace, duration: str, script: Path | None
) -> dict[str, float]:
    cmd = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{duration}",
        "--latency",
        "--timeout",
        "5s",
    ]
    if script is not None:
        cmd += ["-s", str(script)]
    elif cell.scenario.gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    cmd.append(f"http://{HOST}:{cell.port}{cell.scenario.path}")
    if args.wrk_cpu is not None:
        cmd = ["taskset", "-c", str(args.wrk_cpu), *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stdout
    figures: dict[str, float] = servers_run.parse_wrk(out)
    done = re.search(r"^\s+(\d+) requests in", out, re.M)
    figures["requests"] = float(done.group(1)) if done else 0.0
    return figures


def _measure(cell: Cell, args: argparse.Namespace, script: Path | None) -> None:
    assert cell.proc is not None
    before = _group_cpu_seconds(cell.proc.pid)
    figures = _wrk(cell, args, args.duration, script)
    used = _group_cpu_seconds(cell.proc.pid) - before
    cell.rps.append(figures["rps"])
    cell.p50_ms.append(figures["p50_ms"])
    cell.p99_ms.append(figures["p99_ms"])
    cell.errors.append(int(figures["errors"]))
    if figures["requests"]:
        cell.cpu_us.append(used / figures["requests"] * 1e6)


# -- one scenario at one worker count ----------------------------------------------------


@dataclass
class Noise:
    """What the machine did during the run: the load, and the floor measured twice a round."""

    load: list[float] = field(default_factory=list)  # 1-minute load average, each round
    floor_again: list[tuple[float, float]] = field(default_factory=list)  # (first, last)


def run_group(
    scenario: Scenario,
    workers: int,
    args: argparse.Namespace,
    env: dict[str, str],
    noise: Noise,
) -> list[Cell]:
    """Start the scenario's servers, check them, run the interleaved rounds, stop them."""
    cells: list[Cell] = []
    for row in scenario.rows:
        if args.frameworks and row.framework not in (*args.frameworks, "raw"):
            continue
        if (row.diagnostic and args.no_diagnostic) or (row.readers_only and not args.readers):
            continue
        app = row.app_1w if workers == 1 else row.app_2w
        if app is None:
            continue
        variants = args.readers if row.launcher == "serving" and args.readers else [None]
        for readers in variants:
            cells.append(Cell(scenario, row, workers, app, readers=readers))
            if row.launcher == "pegboard" and args.baseline_src and not row.cpu_affinity:
                cells.append(Cell(scenario, row, workers, app, baseline=True, readers=readers))
    sessions_needed = 64 * args.wrk_threads
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for cell in cells:
                _start(cell, env, args.baseline_src, args.wrk_cpu)
            live: list[Cell] = []
            for cell in cells:
                try:
                    _wait_ready(cell, time.monotonic() + 60)
                    _check_and_prepare(cell, sessions_needed)
                except Exception as exc:  # reported in the table, the others still run
                    cell.note = f"NOT RUN: {exc}"[:160]
                    print(f"  {cell.label}: {cell.note}\n{_server_log(cell)}", file=sys.stderr)
                    continue
                live.append(cell)
            scripts = {
                id(c): (_lua(c, args.wrk_threads, Path(tmp)) if scenario.sessions else None)
                for c in live
            }
            for cell in live:  # warm-up: imports, pools, caches, the JIT-less first calls
                if args.warmup:
                    _wrk(cell, args, args.warmup, scripts[id(cell)])
            floor = next((c for c in live if c.row.floor), None)
            for number in range(args.rounds):
                noise.load.append(os.getloadavg()[0])
                order = live if number % 2 == 0 else live[::-1]
                first_floor = None
                for cell in order:
                    _measure(cell, args, scripts[id(cell)])
                    if cell is floor and first_floor is None:
                        first_floor = cell.rps[-1]
                if floor is not None and scenario.key == "hello" and first_floor is not None:
                    # The floor once more: how much two runs of the same thing differ.
                    extra = Cell(scenario, floor.row, workers, floor.app)
                    extra.proc, extra.port = floor.proc, floor.port
                    _measure(extra, args, scripts[id(floor)])
                    noise.floor_again.append((first_floor, extra.rps[0]))
                if floor is not None:
                    for cell in live:
                        cell.ratios.append(cell.rps[-1] / floor.rps[-1])
                print(
                    f"  {scenario.key} {workers}w round {number + 1}: "
                    + ", ".join(f"{c.short} {c.rps[-1]:,.0f}" for c in order),
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            for cell in cells:
                _stop(cell)
    return cells


# -- output ------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(cells: list[Cell], workers: list[int]) -> str:
    lines = [
        "| scenario | framework | server | workers | req/s (median) | min - max | "
        "vs floor | p50 ms | p99 ms | server CPU us/req | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        group = [c for c in cells if c.scenario is scenario]
        if not group:
            continue
        for count in workers:
            title = scenario.title
            if count > 1 and scenario.note_2w:
                title += f" ({scenario.note_2w})"
            for cell in (c for c in group if c.workers == count):
                name = f"**{cell.label}**" if cell.row.framework == "pegboard" else cell.label
                if not cell.rps:
                    lines.append(
                        f"| {title} | {name} | {cell.server} | {count} | - | | | | | | "
                        f"| {cell.note} |"
                    )
                    continue
                ratio = (
                    "1.00x"
                    if cell.row.floor
                    else (f"{_median(cell.ratios):.2f}x" if cell.ratios else "-")
                )
                lines.append(
                    f"| {title} | {name} | {cell.server} | {count} | "
                    f"{_median(cell.rps):,.0f} | {min(cell.rps):,.0f} - {max(cell.rps):,.0f} | "
                    f"{ratio} | {_median(cell.p50_ms):.2f} | {_median(cell.p99_ms):.2f} | "
                    f"{_median(cell.cpu_us):.1f} | {sum(cell.errors)} |"
                )
            for framework, why in NOT_APPLICABLE.get(scenario.key, []):
                lines.append(f"| {title} | {framework} | | {count} | n/a | | | | | | {why} |")
            if count > 1 and any(r.app_2w is None for r in scenario.rows):
                lines.append(
                    f"| {title} | cherrypy | cheroot | {count} | n/a | | | | | | {CHERRYPY_2W} |"
                )
    return "\n".join(lines)


def noise_report(noise: Noise, cells: list[Cell]) -> str:
    lines = []
    if noise.load:
        lines.append(
            "- load average (1 min, the run's own servers and wrk included) at the rounds' "
            f"starts: {min(noise.load):.1f} to "
            f"{max(noise.load):.1f}, median {_median(noise.load):.1f}"
        )
    for cell in cells:
        if cell.row.floor and cell.scenario.key == "hello" and len(cell.rps) > 1:
            spread = (max(cell.rps) - min(cell.rps)) / _median(cell.rps)
            cpu = cell.cpu_us
            cpu_spread = (max(cpu) - min(cpu)) / _median(cpu) if len(cpu) > 1 else 0.0
            lines.append(
                f"- the raw floor, {cell.workers} worker(s), {len(cell.rps)} rounds: "
                f"{', '.join(f'{x:,.0f}' for x in cell.rps)} req/s (range {spread:.0%} of the "
                f"median); server CPU {', '.join(f'{x:.1f}' for x in cpu)} us/req "
                f"(range {cpu_spread:.0%})"
            )
    if noise.floor_again:
        gaps = [abs(b - a) / a for a, b in noise.floor_again]
        lines.append(
            f"- the floor measured again at the end of each hello round: differs from the "
            f"same round's first run by {_median(gaps):.0%} (median), {max(gaps):.0%} at most"
        )
    return "\n".join(lines)


def environment(args: argparse.Namespace) -> str:
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    versions = []
    for dist in ("pegboard-core", "granian", "falcon", "flask", "cherrypy", "cheroot", "redis"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (missing)")
    return "\n".join(
        [
            f"- machine: {os.cpu_count()} CPUs, {platform.platform()}, "
            f"{platform.python_implementation()} {platform.python_version()}",
            f"- versions: {', '.join(versions)}, {(wrk.stdout + wrk.stderr).splitlines()[0]}",
            f"- load: wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration} --latency "
            f"(warm-up {args.warmup or 'none'}), {args.rounds} interleaved rounds; "
            f"{THREADS} request threads per process everywhere but cheroot (its default 10)",
            (
                f"- placement: wrk on CPU {args.wrk_cpu}, the servers on the others (taskset)"
                if args.wrk_cpu is not None
                else "- placement: wrk and the servers share every CPU"
            ),
        ]
    )


def draw(cells: list[Cell], path: Path, workers: list[int], subtitle: str) -> None:
    """One panel per scenario: median req/s per framework and worker count, min-max bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sys.path.append(str(HERE.parent))
    from chart import COLOURS, _readable
    from matplotlib.ticker import FuncFormatter

    shown = [s for s in SCENARIOS if any(c.scenario is s and c.rps for c in cells)]
    fig, axes = plt.subplots(
        (len(shown) + 1) // 2, 2, figsize=(15, 3.6 * ((len(shown) + 1) // 2)), squeeze=False
    )
    for ax, scenario in zip(axes.flat, shown, strict=False):
        labels: list[str] = []
        for each in cells:
            if each.scenario is scenario and each.label not in labels:
                labels.append(each.label)
        height = 0.8 / len(workers)
        for position, label in enumerate(reversed(labels)):
            for slot, count in enumerate(workers):
                cell = next(
                    (
                        c
                        for c in cells
                        if c.scenario is scenario and c.label == label and c.workers == count
                    ),
                    None,
                )
                y = position + (slot - (len(workers) - 1) / 2) * height
                if cell is None or not cell.rps:
                    ax.text(0, y, " n/a", va="center", fontsize=7)
                    continue
                middle = _median(cell.rps)
                ax.barh(
                    y,
                    middle,
                    height=height * 0.9,
                    color=COLOURS.get(cell.row.framework, "#8c564b"),
                    alpha=1.0 if count == 1 else 0.55,
                    xerr=[[middle - min(cell.rps)], [max(cell.rps) - middle]],
                    error_kw={"elinewidth": 0.8, "capsize": 2},
                )
                ratio = (
                    ""
                    if cell.row.floor or not cell.ratios
                    else (f"  ({_median(cell.ratios):.2f}x floor)")
                )
                ax.text(
                    max(cell.rps), y, f" {middle:,.0f} {count}w{ratio}", va="center", fontsize=7
                )
        ax.set_yticks(range(len(labels)), list(reversed(labels)), fontsize=8)
        top = max((max(c.rps) for c in cells if c.scenario is scenario and c.rps), default=1.0)
        ax.set_xlim(0, top * 1.5)
        title = scenario.title + (f"\n(2 workers: {scenario.note_2w})" if scenario.note_2w else "")
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("requests/s, median (bars: min-max of the rounds)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.set_major_formatter(FuncFormatter(_readable))
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Over real servers under wrk: solid 1 worker, pale 2 workers ({subtitle})", fontsize=11
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- main ---------------------------------------------------------------------------------


def replot(saved: Path, chart: Path | None) -> int:
    """The table, noise and chart of a run saved with ``--json``."""
    data = json.loads(saved.read_text())
    cells = []
    for item in data["rows"]:
        scenario = next(s for s in SCENARIOS if s.key == item["scenario"])
        name, baseline = item["name"], item["name"].endswith(" (baseline core)")
        name = name.removesuffix(" (baseline core)")
        readers = None
        if ", readers=" in name:
            name, _, count = name.rpartition(", readers=")
            readers = int(count)
        row = next(r for r in scenario.rows if r.name == name)
        cell = Cell(scenario, row, item["workers"], "", baseline=baseline, readers=readers)
        cell.rps, cell.p50_ms, cell.p99_ms = item["rps"], item["p50_ms"], item["p99_ms"]
        cell.cpu_us, cell.errors, cell.ratios = item["cpu_us"], item["errors"], item["ratios"]
        cell.note = item["note"]
        cells.append(cell)
    noise = Noise(data["load"], [(a, b) for a, b in data.get("floor_again", [])])
    workers = data.get("workers") or sorted({c.workers for c in cells})
    print(data.get("environment", f"- (from {saved})") + "\n")
    print(table(cells, workers))
    print("\nNoise:")
    print(noise_report(noise, cells))
    if chart is not None:
        draw(cells, chart, workers, SUBTITLE)
        print(f"\nchart: {chart}")
    return 0


@contextlib.contextmanager
def _redis(needed: bool) -> Iterator[str | None]:
    if not needed:
        yield None
        return
    from pegboard.testing.backends import start_redis

    with tempfile.TemporaryDirectory() as tmp, start_redis(Path(tmp) / "redis") as server:
        yield server.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    keys = [s.key for s in SCENARIOS]
    parser.add_argument("--only", nargs="+", choices=keys, help="scenarios to run (default: all)")
    parser.add_argument(
        "--frameworks",
        nargs="+",
        choices=["pegboard", "falcon", "flask", "cherrypy"],
        help="frameworks to run (the raw floor always runs)",
    )
    parser.add_argument(
        "--no-diagnostic",
        action="store_true",
        help="leave out the rows that only show where pegboard's gap comes from",
    )
    parser.add_argument(
        "--readers",
        nargs="+",
        type=int,
        help="the rows via pegboard.serving (the raw callable's; pegboard's App in hello) "
        "once per body-reader count (default: the raw one, with the default count)",
    )
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2], help="default: 1 2")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 5; quick 2)")
    parser.add_argument("--duration", help="wrk -d of each round (default 5s; quick 2s)")
    parser.add_argument("--warmup", default="1s", help="wrk -d of each server's warm-up")
    parser.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument(
        "--wrk-cpu",
        type=int,
        metavar="N",
        help="keep wrk on CPU N and the servers on the other CPUs (default: all share all)",
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 s")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="another checkout's core/src: adds a pegboard serve row running that core",
    )
    parser.add_argument("--chart", type=Path, default=HERE.parent / "results.png")
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every round's figures here")
    parser.add_argument(
        "--replot",
        type=Path,
        metavar="JSON",
        help="print the table and draw the chart of a run saved with --json, run nothing",
    )
    args = parser.parse_args(argv)
    if args.replot:
        return replot(args.replot, None if args.no_chart else args.chart)
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.duration = args.duration or ("2s" if args.quick else "5s")
    if shutil.which("wrk") is None:  # the set-up: install it (Debian/Ubuntu) or say how
        print("wrk is missing: running bench/servers/install-wrk", file=sys.stderr)
        subprocess.run([str(HERE / "install-wrk")], check=False)
        if shutil.which("wrk") is None:
            parser.error("wrk is not installed and install-wrk failed: apt-get install wrk")
    if not sys.platform.startswith("linux"):
        parser.error("Linux only: the servers' CPU time is read from /proc")
    if args.wrk_cpu is not None and (
        args.wrk_cpu not in os.sched_getaffinity(0) or len(os.sched_getaffinity(0)) < 2
    ):
        parser.error(f"--wrk-cpu {args.wrk_cpu}: not one of two or more CPUs this process may use")
    selected = [s for s in SCENARIOS if not args.only or s.key in args.only]
    needs_redis = any(s.key == "redis" for s in selected) or any(
        s.key == "stack" for s in selected if any(w > 1 for w in args.workers)
    )
    started = time.monotonic()
    cells: list[Cell] = []
    noise = Noise()
    with _redis(needs_redis) as redis_url:
        env = dict(os.environ)
        if redis_url:
            env["BENCH_REDIS_URL"] = redis_url
        for scenario in selected:
            for count in args.workers:
                print(f"running: {scenario.title}, {count} worker(s) ...", file=sys.stderr)
                cells.extend(run_group(scenario, count, args, env, noise))
    env_text = environment(args) + f"\n- took {time.monotonic() - started:.0f} s"
    print(env_text + "\n")
    print(table(cells, args.workers))
    print("\nNoise:")
    print(noise_report(noise, cells))
    if not args.no_chart:
        draw(cells, args.chart, args.workers, SUBTITLE)
        print(f"\nchart: {args.chart}")
    if args.json:
        rows = [
            {
                "scenario": c.scenario.key,
                "name": c.label,
                "server": c.server,
                "workers": c.workers,
                "rps": c.rps,
                "p50_ms": c.p50_ms,
                "p99_ms": c.p99_ms,
                "cpu_us": c.cpu_us,
                "errors": c.errors,
                "ratios": c.ratios,
                "note": c.note,
            }
            for c in cells
        ]
        raw = {
            "environment": env_text,
            "workers": args.workers,
            "rows": rows,
            "load": noise.load,
            "floor_again": noise.floor_again,
        }
        args.json.write_text(json.dumps(raw, indent=1) + "\n")
    return 0 if all(not c.note for c in cells) else 1


if __name__ == "__main__":
    sys.exit(main())
