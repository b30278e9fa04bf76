"""What a hello world costs in instructions and cache misses: counted, not timed.

On a shared machine a timing moves by 20-50 % from one run to the next, more than
most changes to the request path are worth. valgrind's cachegrind counts instead:
the instructions each request runs and the misses of simulated caches (32 KiB L1
for code and for data, a 1 MiB last level, as one core of the bench machines
has), the same on every run. Each app is called as granian's WSGI worker calls
it (bench/servers/app_cost.py), and two runs of N1 and N2 requests cancel the
start-up: per request = (run N2 - run N1) / (N2 - N1).

Two settings:

- ``warm``: request after request, as in-process benchmarks run;
- ``cold``: 2 MiB of other memory written before each request, as a server's own
  work (sockets, its Rust side, other threads) does between two calls of the app.
  Under load the apps run like this: pegboard's 5 us in-process become about 14
  over a real server (bench/README.md), and the misses here say why.

    uv run python bench/servers/app_instructions.py
    uv run python bench/servers/app_instructions.py --baseline-src /tmp/main/core/src

Needs valgrind (``apt-get install valgrind``); about 3 minutes a core on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POLLUTION = 2 * 1024 * 1024  # bytes written before each request in the cold setting
CACHES = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,16,64")
EVENTS = ("Ir", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")
RUNS = {"warm": (300, 1300), "cold": (100, 400)}  # N1, N2 requests per setting
APPS = ("raw WSGI callable", "pegboard", "falcon")


def _child(app_name: str, requests: int, pollute: bool) -> None:
    """Serve ``requests`` requests to one app the way granian's worker does."""
    sys.path.insert(0, str(HERE))
    import app_cost
    from granian.wsgi import _callback_wrapper

    runner = _callback_wrapper(app_cost._apps()[app_name], {})
    proto = app_cost._Proto()
    for _ in range(300):  # warm up: the specialising interpreter settles
        runner(proto, app_cost.SCOPE)
    buffer = bytearray(POLLUTION)
    zeros = bytes(len(buffer[::64]))
    for _ in range(requests):
        if pollute:
            buffer[::64] = zeros  # one write to every cache line, in C
        runner(proto, app_cost.SCOPE)


def _count(app_name: str, requests: int, pollute: bool, src: Path | None) -> dict[str, int]:
    """cachegrind's totals for one child run."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "cachegrind.out"
        prelude = f"import sys; sys.path.insert(0, {str(src)!r}); " if src else "import sys; "
        code = (
            prelude + "sys.argv = sys.argv[1:]; import runpy; runpy.run_path(sys.argv[0], "
            "run_name='__main__')"
        )
        argv = [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=yes",
            *CACHES,
            f"--cachegrind-out-file={out}",
            sys.executable,
            "-c",
            code,
            __file__,
            "--child",
            app_name,
            str(requests),
            "cold" if pollute else "warm",
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts on every run
        subprocess.run(argv, check=True, capture_output=True, env=env)
        events: list[str] = []
        totals: list[int] = []
        for line in out.read_text().splitlines():
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("summary:"):
                totals = [int(n) for n in line.split()[1:]]
        return dict(zip(events, totals, strict=True))


def measure(src: Path | None, jobs: int) -> dict[tuple[str, str], dict[str, float]]:
    """Per-request counts by (setting, app)."""
    tasks = [(setting, app, n) for setting in RUNS for app in APPS for n in RUNS[setting]]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        counts = list(pool.map(lambda t: _count(t[1], t[2], t[0] == "cold", src), tasks))
    by_task = dict(zip(tasks, counts, strict=True))
    result = {}
    for setting, (n1, n2) in RUNS.items():
        for app in APPS:
            low, high = by_task[(setting, app, n1)], by_task[(setting, app, n2)]
            result[(setting, app)] = {e: (high[e] - low[e]) / (n2 - n1) for e in EVENTS}
    return result


def _print(label: str, figures: dict[tuple[str, str], dict[str, float]]) -> None:
    print(f"\n{label}: per request, over the raw callable's (warm: its own row, whole)")
    print(f"{'setting':<6} {'app':<20} {'instr':>8} {'L1 code':>8} {'L1 data':>8} {'last lvl':>9}")
    print(f"{'':<28}{'(misses of the simulated caches)':>35}")
    for (setting, app), per in figures.items():
        raw = figures[(setting, "raw WSGI callable")]
        if app == "raw WSGI callable" and setting == "cold":
            continue  # its figures are mostly the 2 MiB written: only the others' excess tells
        shown = per if app == "raw WSGI callable" else {e: per[e] - raw[e] for e in EVENTS}
        data = shown["D1mr"] + shown["D1mw"]
        last = shown["ILmr"] + shown["DLmr"] + shown["DLmw"]
        print(
            f"{setting:<6} {app:<20} {shown['Ir']:>8.0f} {shown['I1mr']:>8.0f} "
            f"{data:>8.0f} {last:>9.0f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, help="another checkout's core/src")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, requests, setting = args.child
        _child(name, int(requests), setting == "cold")
        return 0
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed: apt-get install valgrind")
    columns: list[tuple[str, Any]] = []
    if args.baseline_src:
        columns.append((f"baseline core ({args.baseline_src})", args.baseline_src))
    columns.append(("this core", None))
    for label, src in columns:
        _print(label, measure(src, args.jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
