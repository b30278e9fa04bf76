"""The benchmark suite: the same scenarios on pegboard, Falcon, Flask and CherryPy.

    uv run python bench/run.py              # everything, about 3 minutes
    uv run python bench/run.py --quick      # a rough run in well under a minute
    uv run python bench/run.py --only stack cache --profile

Scenarios 1-4 run in-process (a WSGI environ replayed, no sockets; rounds
interleave the frameworks and each keeps its best round); scenario 5 serves
static files over a real server (waitress) measured with wrk on 127.0.0.1.
Prints a Markdown table of requests per second with pegboard's speed-up over
each row, checks the issue's targets, and draws bench/results-inprocess.png
(bench/results.png is the chart of the frameworks over real servers, drawn by
bench/servers/frameworks.py). See bench/README.md for what each scenario does
and why it is fair.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
import wsgiref.util
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chart  # bench/ is not a package: its modules are found through sys.path
import static_files
from replay import Contender, best_of, calibrate, call, make_environ, profile
from scenarios import SCENARIOS, STACK_TOOLS, Scenario, pegboard_stack, stack_environ

HERE = Path(__file__).resolve().parent
STATIC_KEYS = ("static-1k", "static-10m")
STATIC_TITLES = {"1 KiB": "static 1 KiB (wrk)", "10 MiB": "static 10 MiB (wrk)"}
ALL_KEYS = [s.key for s in SCENARIOS] + ["static"]
VERSIONS = (
    "pegboard-core",
    "falcon",
    "flask",
    "flask-compress",
    "flask-session",
    "flask-caching",
    "cherrypy",
    "waitress",
    "whitenoise",
    "orjson",
)


@dataclass
class Row:
    """One line of the table: a framework's result in a scenario (rps None: not run)."""

    scenario: str  # the scenario's title
    name: str
    framework: str
    rps: float | None
    speedup: float | None = None  # pegboard's req/s over this row's
    note: str = ""
    reference: bool = False  # the pegboard row the speed-ups are computed from


def _reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text if len(text) <= 110 else text[:107] + "..."


def run_scenario(scenario: Scenario, rounds: int, seconds: float, verbose: bool) -> list[Row]:
    """Build and check every app of ``scenario``, then time them in interleaved rounds."""
    contenders: dict[str, Contender] = {}
    rows = []
    for entry in scenario.entries:
        try:
            app = entry.factory()
            environ = scenario.environ(app)
            entry.check(call(app, environ))
        except Exception as exc:  # a broken contender is reported as not run, never fatal
            if verbose:
                traceback.print_exc()
            note = f"NOT RUN: {_reason(exc)}"
            rows.append(Row(scenario.title, entry.name, entry.framework, None, note=note))
            continue
        contender = Contender(entry.name, entry.framework, app, environ)
        calibrate(contender, seconds)
        contenders[entry.name] = contender
    best_of(list(contenders.values()), rounds)
    ref = contenders.get(scenario.reference)
    for c in contenders.values():
        rows.append(
            Row(
                scenario.title,
                c.name,
                c.framework,
                c.rps,
                speedup=ref.rps / c.rps if ref else None,
                note=f"{c.micros:.1f} us/req",
                reference=c is ref,
            )
        )
    order = [e.name for e in scenario.entries]
    rows.sort(key=lambda row: order.index(row.name))
    for framework, why in scenario.not_applicable:
        rows.append(Row(scenario.title, framework, framework, None, note=f"n/a: {why}"))
    return rows


def run_static(duration: str, rounds: int, warmup: str) -> list[Row]:
    """The static scenario's rows: one per app and file, from wrk over waitress."""
    try:
        table = static_files.measure(duration, rounds, warmup)
    except Exception as exc:
        note = f"NOT RUN: {_reason(exc)}"
        return [
            Row(STATIC_TITLES[label], static_files.LABELS[name], name, None, note=note)
            for label in static_files.FILES
            for name in static_files.APPS
        ]
    rows = []
    for label in static_files.FILES:
        base = table["pegboard"][label].rps
        for name in static_files.APPS:
            cell = table[name][label]
            note = f"{cell.mib_per_s:,.1f} MiB/s"
            if cell.errors:
                note += f", {cell.errors} errors"
            rows.append(
                Row(
                    STATIC_TITLES[label],
                    static_files.LABELS[name],
                    name,
                    cell.rps,
                    speedup=base / cell.rps if cell.rps else None,
                    note=note,
                    reference=name == "pegboard",
                )
            )
    return rows


# -- targets ---------------------------------------------------------------------


def _rps(rows: list[Row], scenario: str, name: str) -> float | None:
    for row in rows:
        if row.scenario == scenario and row.name == name:
            return row.rps
    return None


def targets(rows: list[Row]) -> list[str]:
    """The issue's targets, each met, missed or not run, with the measured ratio."""
    by_key = {s.key: s for s in SCENARIOS}
    hello, stack, cache = by_key["hello"], by_key["stack"], by_key["cache"]

    def verdict(label: str, ours: float | None, theirs: float | None, factor: float) -> str:
        if ours is None or theirs is None:
            return f"- {label}: NOT RUN"
        ratio = ours / theirs
        state = "met" if ratio >= factor else "MISSED"
        return f"- {label}: {ratio:.2f}x -> {state}"

    flask_best = max(
        (r.rps for r in rows if r.scenario == stack.title and r.framework == "flask" and r.rps),
        default=None,
    )
    return [
        verdict(
            "hello world >= Falcon",
            _rps(rows, hello.title, hello.reference),
            _rps(rows, hello.title, "falcon"),
            1.0,
        ),
        verdict(
            "tool stack >= 10x CherryPy",
            _rps(rows, stack.title, stack.reference),
            _rps(rows, stack.title, "cherrypy sessions(ram)+gzip+etags"),
            10.0,
        ),
        verdict(
            "tool stack >= 2x Flask + extensions (the faster Flask row)",
            _rps(rows, stack.title, stack.reference),
            flask_best,
            2.0,
        ),
        verdict(
            "cache hit >= Falcon's hello world",
            _rps(rows, cache.title, cache.reference),
            _rps(rows, cache.title, "falcon hello world (no cache)"),
            1.0,
        ),
    ]


# -- output --------------------------------------------------------------------


def markdown(rows: list[Row]) -> str:
    lines = [
        "| scenario | framework | req/s | pegboard speed-up | notes |",
        "|---|---|---:|---:|---|",
    ]
    for row in rows:
        rps = f"{row.rps:,.0f}" if row.rps else "-"
        speedup = f"{row.speedup:.2f}x" if row.speedup else "-"
        name = f"**{row.name}**" if row.framework == "pegboard" else row.name
        lines.append(f"| {row.scenario} | {name} | {rps} | {speedup} | {row.note} |")
    return "\n".join(lines)


def machine() -> str:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"load average {load}"
    )


def versions() -> str:
    found = []
    for dist in VERSIONS:
        try:
            found.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist} (missing)")
    return ", ".join(found)


def stack_breakdown(rounds: int = 5, seconds: float = 0.15) -> str:
    """What each tool of the stack adds: pegboard's stack app with subsets of its tools."""
    subsets = [(), ("etags",), ("gzip",), ("gzip", "etags"), ("sessions",), STACK_TOOLS]
    contenders = []
    for tools in subsets:
        app = pegboard_stack(tools)
        if "sessions" in tools:
            environ = stack_environ(app)
        else:
            environ = make_environ("/stack", accept_encoding="gzip")
        contender = Contender("+".join(tools) or "no tools", "pegboard", app, environ)
        calibrate(contender, seconds)
        contenders.append(contender)
    best_of(contenders, rounds)
    return "\n".join(f"  {c.name:<22}{c.micros:8.1f}" for c in contenders)


def show_profiles(selected: list[Scenario], static: bool, top: int, requests: int) -> None:
    """cProfile of pegboard's row in each scenario: the functions with the most own time."""
    for scenario in selected:
        entry = next(e for e in scenario.entries if e.name == scenario.profile)
        print(f"\n### profile: {scenario.title} - {entry.name}")
        try:
            app = entry.factory()
            environ = scenario.environ(app)
            entry.check(call(app, environ))
        except Exception as exc:
            print(f"  not run: {_reason(exc)}")
            continue
        print(profile(app, environ, requests, top))
    if any(s.key == "stack" for s in selected):
        print("\n### the stack tool by tool: pegboard with some of its tools on, us/request")
        print(stack_breakdown())
    if not static:
        return
    print("\n### profile: static 1 KiB - pegboard staticdir (in-process, wsgiref FileWrapper)")
    with static_files.sample_files() as folder:
        app = static_files.build_app("pegboard", folder)
        environ = make_environ("/static/small.bin")
        environ["wsgi.file_wrapper"] = wsgiref.util.FileWrapper
        print(profile(app, environ, requests, top))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (< 1 min)")
    parser.add_argument("--only", nargs="+", choices=ALL_KEYS, help="scenarios to run")
    parser.add_argument("--rounds", type=int, help="in-process rounds (default 12; quick 3)")
    parser.add_argument(
        "--seconds",
        type=float,
        help="seconds per in-process round and app (default 0.2; quick 0.08)",
    )
    parser.add_argument("--wrk-duration", help="wrk time per static run (default 3s; quick 1s)")
    parser.add_argument("--wrk-rounds", type=int, help="static rounds (default 3; quick 1)")
    parser.add_argument("--chart", default=str(HERE / "results-inprocess.png"), help="PNG path")
    parser.add_argument("--no-chart", action="store_true", help="do not draw the PNG")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument(
        "--profile", action="store_true", help="show a cProfile of pegboard in each scenario"
    )
    parser.add_argument("--profile-top", type=int, default=15, help="profile lines (default 15)")
    parser.add_argument("-v", "--verbose", action="store_true", help="tracebacks of failures")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 12)
    seconds = args.seconds or (0.08 if args.quick else 0.2)
    wrk_duration = args.wrk_duration or ("1s" if args.quick else "3s")
    wrk_rounds = args.wrk_rounds or (1 if args.quick else 3)
    keys = args.only or ALL_KEYS
    selected = [s for s in SCENARIOS if s.key in keys]

    started = time.monotonic()
    print(f"machine: {machine()}", flush=True)
    rows: list[Row] = []
    for scenario in selected:
        print(f"running: {scenario.title} ...", file=sys.stderr, flush=True)
        rows.extend(run_scenario(scenario, rounds, seconds, args.verbose))
    if "static" in keys:
        print("running: static files over waitress with wrk ...", file=sys.stderr, flush=True)
        rows.extend(run_static(wrk_duration, wrk_rounds, "1s"))
    elapsed = time.monotonic() - started

    print(f"versions: {versions()}")
    print(
        f"in-process: {rounds} interleaved rounds of ~{seconds}s per app, best round; "
        f"static: waitress 8 threads, wrk -t{static_files.WRK_THREADS} "
        f"{wrk_duration} x {wrk_rounds} rounds, best round; took {elapsed:.0f}s; "
        f"load average now {os.getloadavg()[0]:.2f}\n"
    )
    print(markdown(rows))
    print("\nTargets (issue 9):")
    print("\n".join(targets(rows)))
    if not args.no_chart:
        chart.draw(rows, args.chart, f"{os.cpu_count()} CPUs, shared machine; best of {rounds}")
        print(f"\nchart: {args.chart}")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))
    if args.profile:
        show_profiles(selected, "static" in keys, args.profile_top, 2000 if args.quick else 10000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
