"""Compare WSGI servers on the same hello-world app with wrk, on 127.0.0.1 only.

Each server runs in its own subprocess (its own process group) from this
directory, serving ``hello_wsgi:app``. The script waits until the server
answers, runs a short wrk warm-up, then ``--rounds`` measured wrk runs, stops
the server with SIGTERM and prints a Markdown table of the median figures.

Usage (from the repository root, with a Python that has the servers installed)::

    python bench/servers/run.py                      # all servers, 3 x 10 s each
    python bench/servers/run.py --only granian waitress --rounds 1 --duration 5s

Requirements: ``pip install waitress cheroot gunicorn granian`` and the ``wrk``
binary (Debian: ``apt-get install wrk``). POSIX only (gunicorn, SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORE_SRC = HERE.parents[1] / "core" / "src"  # for the pegboard.serving entry
HOST = "127.0.0.1"
APP = "hello_wsgi:app"


@dataclass(frozen=True)
class Server:
    """One server configuration under test."""

    name: str
    dist: str  # distribution whose version is reported
    layout: str  # processes x threads, for the table
    argv: tuple[str, ...]  # command; "{port}" is substituted


_PEGBOARD_RUNNER = """
import sys
sys.path.insert(0, sys.argv[1])
import hello_wsgi
from pegboard import serving
serving.serve(lambda: hello_wsgi.app, port=int(sys.argv[2]), workers=int(sys.argv[3]),
              threads=int(sys.argv[4]), server="granian")
"""


def granian_argv(workers: int, threads: int, port: str, app: str) -> tuple[str, ...]:
    """granian's WSGI interface on ``app`` as this bench runs it (quiet, 1 Rust thread)."""
    return (
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--runtime-threads",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        HOST,
        "--port",
        port,
        app,
    )


def _servers(workers: int, threads: int, baseline_src: Path | None = None) -> list[Server]:
    py = sys.executable
    bind = f"{HOST}:{{port}}"
    per_worker = max(1, threads // workers)
    return [
        Server(
            "waitress",
            "waitress",
            f"1 proc x {threads} threads",
            (py, "-m", "waitress", f"--listen={bind}", f"--threads={threads}", APP),
        ),
        Server(
            "cheroot",
            "cheroot",
            f"1 proc x {threads} threads",
            (py, "-m", "cheroot", "--bind", bind, "--threads", str(threads), APP),
        ),
        Server(
            "gunicorn-sync",
            "gunicorn",
            f"{workers} procs x 1 thread",
            (
                py,
                "-m",
                "gunicorn",
                "-k",
                "sync",
                "-w",
                str(workers),
                "-b",
                bind,
                "--log-level",
                "warning",
                APP,
            ),
        ),
        Server(
            "gunicorn-gthread",
            "gunicorn",
            f"{workers} procs x {per_worker} threads",
            (
                py,
                "-m",
                "gunicorn",
                "-k",
                "gthread",
                "-w",
                str(workers),
                "--threads",
                str(per_worker),
                "-b",
                bind,
                "--log-level",
                "warning",
                APP,
            ),
        ),
        Server(
            "granian",
            "granian",
            f"{workers} procs x {per_worker} threads (+1 Rust I/O thread each)",
            granian_argv(workers, per_worker, "{port}", APP),
        ),
        Server(
            "pegboard-granian",
            "granian",
            f"{workers} procs x {per_worker} threads, via pegboard.serving.serve",
            (py, "-c", _PEGBOARD_RUNNER, str(CORE_SRC), "{port}", str(workers), str(per_worker)),
        ),
        *(
            [
                Server(
                    "pegboard-granian-baseline",
                    "granian",
                    f"{workers} procs x {per_worker} threads, via the serve() of {baseline_src}",
                    (
                        py,
                        "-c",
                        _PEGBOARD_RUNNER,
                        str(baseline_src),
                        "{port}",
                        str(workers),
                        str(per_worker),
                    ),
                )
            ]
            if baseline_src
            else []
        ),
        Server(
            "granian-1w",
            "granian",
            f"1 proc x {threads} threads (+1 Rust I/O thread)",
            granian_argv(1, threads, "{port}", APP),
        ),
    ]


@dataclass
class Result:
    """Figures of one server: median over the measured rounds."""

    server: Server
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    note: str = ""


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unparsable latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> dict[str, float]:
    """Pull requests/sec, p50/p99 latency (ms) and error count out of wrk --latency output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if not rps:
        raise ValueError("no Requests/sec line in wrk output:\n" + output)
    figures = {"rps": float(rps.group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        figures[f"p{pct}_ms"] = _to_ms(m.group(1)) if m else float("nan")
    errors = 0
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sock:
        errors += sum(int(g) for g in sock.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
    figures["errors"] = float(errors)
    return figures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    url = f"http://{HOST}:{port}/"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200 and resp.read() == b"Hello, World!":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not answer in time")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group; SIGKILL it if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Reap stray children of the group, if any were left (never outside our group).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _wrk(args: argparse.Namespace, port: int, duration: str) -> str:
    cmd = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{duration}",
        "--latency",
        "--timeout",
        "5s",
        f"http://{HOST}:{port}/",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600)
    return out.stdout


def bench(server: Server, args: argparse.Namespace, result: Result | None = None) -> Result:
    """Start ``server``, warm it up, run ``args.rounds`` measured rounds and stop it."""
    result = result or Result(server)
    port = _free_port()
    argv = [a.replace("{port}", str(port)) for a in server.argv]
    with tempfile.TemporaryFile() as log:  # server output, shown only if it fails
        proc = subprocess.Popen(
            argv, cwd=HERE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_ready(port, proc, time.monotonic() + 20)
            if args.warmup:
                _wrk(args, port, args.warmup)
            for _ in range(args.rounds):
                fig = parse_wrk(_wrk(args, port, args.duration))
                result.rps.append(fig["rps"])
                result.p50_ms.append(fig["p50_ms"])
                result.p99_ms.append(fig["p99_ms"])
                result.errors.append(int(fig["errors"]))
                if args.verbose:
                    print(f"  {server.name}: {fig}", file=sys.stderr)
        except Exception as exc:  # a broken server is reported, not fatal to the run
            result.note = f"failed: {exc}"
        finally:
            _stop(proc)
            if result.note:
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace")[-2000:])
    if proc.returncode not in (0, -signal.SIGTERM):
        result.note = (result.note + f" exit code {proc.returncode} on SIGTERM").strip()
    return result


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment() -> dict[str, str]:
    """Machine and version facts printed with the table."""
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    env = {
        "cpus": str(os.cpu_count()),
        "load average before (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout + wrk.stderr).split("\n")[0].strip(),
    }
    for dist in ("waitress", "cheroot", "gunicorn", "granian"):
        env[dist] = _version(dist)
    return env


def table(results: list[Result]) -> str:
    """Markdown table of the median figures, fastest first."""
    rows = [
        "| server | layout | req/s (median) | p50 ms | p99 ms | errors | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]

    def med(xs: list[float]) -> float:
        return statistics.median(xs) if xs else float("nan")

    for r in sorted(results, key=lambda r: -med(r.rps) if r.rps else 0.0):
        rows.append(
            f"| {r.server.name} | {r.server.layout} | {med(r.rps):,.0f} | "
            f"{med(r.p50_ms):.2f} | {med(r.p99_ms):.2f} | {sum(r.errors)} | {r.note} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="server names to run (default: all)")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes for multi-process servers"
    )
    parser.add_argument("--threads", type=int, default=8, help="Python threads in total per server")
    parser.add_argument("--duration", default="10s", help="wrk -d of each measured round")
    parser.add_argument("--warmup", default="2s", help="wrk -d of the warm-up ('' for none)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per server")
    parser.add_argument("--connections", type=int, default=50, help="wrk -c")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--json", type=Path, help="also write raw figures to this file")
    parser.add_argument("--interleave", action="store_true", help="run the servers' rounds in turn")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="another checkout's core/src: adds a pegboard-granian-baseline row",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        parser.error("wrk is not on PATH (Debian: apt-get install wrk)")
    servers = _servers(args.workers, args.threads, args.baseline_src)
    if args.only:
        unknown = set(args.only) - {s.name for s in servers}
        if unknown:
            parser.error(f"unknown server(s) {sorted(unknown)}; known: {[s.name for s in servers]}")
        servers = [s for s in servers if s.name in args.only]

    env = environment()
    cmd = (
        f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration} --latency "
        f"http://{HOST}:PORT/  (warm-up {args.warmup or 'none'}, "
        f"median of {args.rounds} rounds{', interleaved' if args.interleave else ''})"
    )
    results = [Result(server) for server in servers]
    # --interleave: one round of each server in turn, so that a change in the load of a
    # shared machine hits every server alike (each round then has its own warm-up).
    passes, rounds = (args.rounds, 1) if args.interleave else (1, args.rounds)
    per_pass = argparse.Namespace(**{**vars(args), "rounds": rounds})
    for _ in range(passes):
        for result in results:
            print(f"benchmarking {result.server.name} ...", file=sys.stderr, flush=True)
            bench(result.server, per_pass, result)

    env["load average after"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print("\n".join(f"- {k}: {v}" for k, v in env.items()))
    print(f"- load: {cmd}\n")
    print(table(results))
    if args.json:
        raw = {
            "env": env,
            "command": cmd,
            "results": [
                {
                    "server": r.server.name,
                    "layout": r.server.layout,
                    "argv": list(r.server.argv),
                    "rps": r.rps,
                    "p50_ms": r.p50_ms,
                    "p99_ms": r.p99_ms,
                    "errors": r.errors,
                    "note": r.note,
                }
                for r in results
            ],
        }
        args.json.write_text(json.dumps(raw, indent=2) + "\n")
    return 0 if all(not r.note for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
