"""Slow clients against ``pegboard serve``: do other requests still get quick answers?

Starts ``pegboard serve bench/servers/slow_app.py`` (default settings unless
told otherwise), opens ``--factor`` x threads connections that send a request
body one byte every ``--interval`` seconds (``Content-Length: 1000``) and as
many that send their headers that slowly, then measures the latency of normal
``GET /`` requests from ``--clients`` concurrent clients for ``--duration``
seconds, each on a fresh connection. Prints p50/p99/max and the failures
(a request that gets no answer within ``--timeout`` counts as failed, with
that timeout as its latency).

Usage, from the repository root::

    uv run python bench/servers/slow_clients.py                     # default server
    uv run python bench/servers/slow_clients.py --server waitress
    uv run python bench/servers/slow_clients.py --factor 0          # no slow clients

POSIX only. The figures are printed as one Markdown table row per run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
HOST = "127.0.0.1"


def pegboard_command() -> list[str]:
    """The ``pegboard`` script next to this Python, else ``python -m pegboard.cli``."""
    script = Path(sys.executable).with_name("pegboard")
    if script.exists():
        return [str(script)]
    found = shutil.which("pegboard")
    return [found] if found else [sys.executable, "-m", "pegboard.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running ``pegboard serve`` process."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def start(argv_extra: list[str], log: Path, env: dict[str, str] | None = None) -> Served:
    """``pegboard serve slow_app.py ARGS --port P`` in its own process group, once it answers."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *pegboard_command(),
                "serve",
                str(HERE / "slow_app.py"),
                "--port",
                str(port),
                *argv_extra,
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,
        )
    served = Served(proc, port, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pegboard serve exited with {proc.returncode}:\n{served.output()}")
        try:
            status, _ = asyncio.run(get(port, "/", 1.0))
            if status == 200:
                return served
        except (TimeoutError, OSError):
            time.sleep(0.05)
    served.stop()
    raise RuntimeError(f"pegboard serve did not answer in 20 s:\n{served.output()}")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def get(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    """One ``GET`` on a fresh connection: (status, body)."""

    async def _go() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            return await _read_response(reader)
        finally:
            writer.close()

    return await asyncio.wait_for(_go(), timeout)


@dataclass
class SlowClient:
    """A connection that dribbles its request; what it got back, and when."""

    kind: str  # "body" or "header"
    status: int | None = None
    answered_after: float | None = None
    closed_after: float | None = None
    error: str = ""


async def slow_client(
    port: int, kind: str, interval: float, length: int, stop: asyncio.Event
) -> SlowClient:
    """Send a request one byte every ``interval`` s (its body, or its headers) until ``stop``."""
    result = SlowClient(kind)
    began = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError as exc:
        result.error = f"connect: {exc}"
        return result
    if kind == "body":
        writer.write(
            f"POST /echo HTTP/1.1\r\nHost: bench\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
    else:
        writer.write(b"GET / HTTP/1.1\r\nHost: bench\r\nX-Slow: ")

    async def dribble() -> None:
        for _ in range(length):
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(interval)

    async def listen() -> None:
        try:
            status, _ = await _read_response(reader)
            result.status = status
            result.answered_after = time.monotonic() - began
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        with contextlib.suppress(ConnectionError):
            await reader.read()  # until the server closes
        result.closed_after = time.monotonic() - began

    tasks = [asyncio.ensure_future(dribble()), asyncio.ensure_future(listen())]
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([tasks[1], stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (*tasks, stopper):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        writer.close()
    return result


@dataclass
class Latencies:
    """Latencies (s) of the normal requests, and how many failed."""

    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def pct(self, p: float) -> float:
        if not self.seconds:
            return float("nan")
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(port: int, clients: int, duration: float, timeout: float) -> Latencies:
    """``clients`` loops of ``GET /`` on fresh connections for ``duration`` seconds."""
    out = Latencies()
    end = time.monotonic() + duration

    async def loop() -> None:
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                status, _ = await get(port, "/", timeout)
                if status != 200:
                    out.failures.append(f"status {status}")
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                out.failures.append(type(exc).__name__)
            out.seconds.append(time.perf_counter() - t0)

    await asyncio.gather(*(loop() for _ in range(clients)))
    return out


async def scenario(
    port: int,
    *,
    slow_body: int,
    slow_header: int,
    interval: float,
    clients: int,
    duration: float,
    timeout: float,
    settle: float,
) -> tuple[Latencies, list[SlowClient]]:
    """Open the slow connections, let them settle, measure, then hang them up."""
    stop = asyncio.Event()
    slow = [
        asyncio.ensure_future(slow_client(port, kind, interval, 1000, stop))
        for kind, n in (("body", slow_body), ("header", slow_header))
        for _ in range(n)
    ]
    await asyncio.sleep(settle)
    latencies = await measure(port, clients, duration, timeout)
    stop.set()
    results = await asyncio.gather(*slow)
    return latencies, list(results)


def row(label: str, lat: Latencies, slow: list[SlowClient]) -> str:
    ms = 1000.0
    answered = [s for s in slow if s.status is not None]
    statuses = sorted({s.status for s in answered if s.status is not None})
    return (
        f"| {label} | {len(lat.seconds)} | {statistics.median(lat.seconds) * ms:.1f} | "
        f"{lat.pct(99) * ms:.1f} | {max(lat.seconds) * ms:.1f} | {len(lat.failures)} | "
        f"{len(answered)}/{len(slow)} {statuses or ''} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", help="pegboard serve --server (default: its default)")
    parser.add_argument("--threads", type=int, default=8, help="request threads (serve default)")
    parser.add_argument("--factor", type=int, default=4, help="slow connections per thread")
    parser.add_argument("--interval", type=float, default=25.0, help="seconds between bytes")
    parser.add_argument("--clients", type=int, default=4, help="concurrent normal clients")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--timeout", type=float, default=5.0, help="a normal request's timeout")
    parser.add_argument("--body-timeout", type=float, help="server.body_timeout, via --config")
    args = parser.parse_args(argv)

    extra = ["--threads", str(args.threads)] if args.threads != 8 else []
    if args.server:
        extra += ["--server", args.server]
    with tempfile.TemporaryDirectory() as tmp:
        if args.body_timeout is not None:
            cfg = Path(tmp) / "serve.toml"
            cfg.write_text(f"[server]\nbody_timeout = {args.body_timeout}\n")
            extra += ["--config", str(cfg)]
        served = start(extra, Path(tmp) / "serve.log")
        try:
            n = args.factor * args.threads
            lat, slow = asyncio.run(
                scenario(
                    served.port,
                    slow_body=n,
                    slow_header=n,
                    interval=args.interval,
                    clients=args.clients,
                    duration=args.duration,
                    timeout=args.timeout,
                    settle=args.settle,
                )
            )
        finally:
            code = served.stop()
        label = (
            f"{args.server or 'default'}, {args.threads} threads, {n} slow-body + {n} slow-header"
        )
        print(
            "| run | requests | p50 ms | p99 ms | max ms | failed | slow answered [status] |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
        )
        print(row(label, lat, slow))
        if lat.failures:
            print(f"failures: {sorted(set(lat.failures))}")
        if code not in (0, -signal.SIGTERM):
            print(f"server exit code {code}:\n{served.output()[-2000:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
