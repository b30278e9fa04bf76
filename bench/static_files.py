"""Static files over a real server with wrk: pegboard staticdir vs WhiteNoise vs CherryPy staticdir.

The three are WSGI apps served by the same server (waitress, one process with
8 threads), each in its own child process on 127.0.0.1, all started before
the first measurement. Two files: 1 KiB (the per-request overhead) and 10 MiB
(streaming throughput). The rounds interleave the apps, one bounded wrk run
per app and file each round, and each cell keeps its best round, as the
in-process scenarios do: the machine is shared and noisy.

    python bench/static_files.py [--duration 3s] [--rounds 3]

bench/run.py runs it as its last scenario. Needs the ``wrk`` binary
(Debian: ``apt-get install wrk``), ``waitress``, ``whitenoise`` and ``cherrypy``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
FILES = {"1 KiB": ("small.bin", 1024), "10 MiB": ("large.bin", 10 * 1024 * 1024)}
APPS = ("pegboard", "whitenoise", "cherrypy")
LABELS = {
    "pegboard": "pegboard staticdir",
    "whitenoise": "WhiteNoise",
    "cherrypy": "cherrypy tools.staticdir",
}
# wrk connections per file size: many small requests, a few large streams.
CONNECTIONS = {"1 KiB": 16, "10 MiB": 4}
# One wrk thread: on a 2-core machine the other core is the server's.
WRK_THREADS = 1


# -- the three apps (built inside the server process) ---------------------------


def _not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return [b""]


def build_app(name: str, folder: str) -> Any:
    """The WSGI app ``name`` serving ``folder`` under /static/."""
    if name == "pegboard":
        import pegboard
        import pegboard_static

        app = pegboard.App(
            {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": folder}},
            discover=False,
            plugins=[pegboard_static],
        )
        app.start()
        return app
    if name == "whitenoise":
        from whitenoise import WhiteNoise

        return WhiteNoise(_not_found, root=folder, prefix="static/", autorefresh=False)
    if name == "cherrypy":
        import cherrypy

        cherrypy.config.update({"environment": "embedded", "log.screen": False})
        cherrypy.server.unsubscribe()
        config = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": folder}}
        cherrypy.tree.mount(None, "/", config=config)
        cherrypy.engine.start()
        return cherrypy.tree
    raise ValueError(name)


def serve(name: str, folder: str, port: int) -> None:
    """Run in the child process: serve one app with waitress until SIGTERM."""
    app = build_app(name, folder)
    import waitress

    # waitress logs every moment its queue is not empty; under wrk that is noise.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(app, host=HOST, port=port, threads=8, _quiet=True)


@contextlib.contextmanager
def sample_files() -> Iterator[str]:
    """A temporary folder holding the 1 KiB and 10 MiB files (random, incompressible)."""
    with tempfile.TemporaryDirectory(prefix="pegboard-static-bench-") as folder:
        for filename, size in FILES.values():
            Path(folder, filename).write_bytes(os.urandom(size))
        yield folder


# -- the harness ------------------------------------------------------------------


@dataclass
class Cell:
    """The best wrk round of one app on one file."""

    rps: float = 0.0
    mib_per_s: float = 0.0
    errors: int = 0  # non-2xx/3xx answers and socket errors in the best round


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, child: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {child.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            response.read()
            return
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


def parse_wrk(output: str) -> Cell:
    """requests/s, MiB/s and errors from wrk's text report (wrk's units are binary)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", output)
    if rps is None or transfer is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    amount, unit = transfer.groups()
    scale = {"B": 1 / 1048576, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0}[unit]
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(r"Socket errors:(.*)", output)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Cell(float(rps.group(1)), float(amount) * scale, errors)


def _wrk(url: str, connections: int, duration: str) -> Cell:
    seconds = float(duration.rstrip("s"))
    done = subprocess.run(
        ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", duration, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,  # wrk stops itself; this only bounds a wedged run
    )
    return parse_wrk(done.stdout)


def _start(name: str, folder: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    argv = [sys.executable, __file__, "--serve", name, "--folder", folder, "--port", str(port)]
    # Its own process group, so that stopping it reaches anything it started.
    return subprocess.Popen(argv, start_new_session=True), port


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    os.killpg(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def measure(
    duration: str = "3s", rounds: int = 3, warmup: str = "1s", apps: Iterable[str] = APPS
) -> dict[str, dict[str, Cell]]:
    """``{app: {file label: best Cell}}``: every app served at once, rounds interleaved."""
    if shutil.which("wrk") is None:
        raise RuntimeError("the wrk binary is needed (apt-get install wrk)")
    names = list(apps)
    best = {name: {label: Cell() for label in FILES} for name in names}
    with sample_files() as folder:
        children: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        try:
            for name in names:
                children[name] = _start(name, folder)
            urls = {name: f"http://{HOST}:{port}/static/" for name, (_, port) in children.items()}
            for name, (child, _) in children.items():
                _wait_until_up(urls[name] + FILES["1 KiB"][0], child, time.monotonic() + 30)
            for label, (filename, _) in FILES.items():
                for name in names:
                    _wrk(urls[name] + filename, CONNECTIONS[label], warmup)
            for _ in range(rounds):
                for label, (filename, _) in FILES.items():
                    for name in names:
                        cell = _wrk(urls[name] + filename, CONNECTIONS[label], duration)
                        if cell.rps > best[name][label].rps:
                            best[name][label] = cell
        finally:
            for child, _ in children.values():
                _stop(child)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", default="3s", help="wrk time per measurement (default 3s)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--serve", choices=APPS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.folder, args.port)
        return 0
    try:
        table = measure(args.duration, args.rounds)
    except RuntimeError as exc:
        print(f"static_files: {exc}", file=sys.stderr)
        return 2
    print(f"\nwaitress, 8 threads; wrk -t{WRK_THREADS}, {args.duration} x {args.rounds} rounds,")
    print(f"best round; {os.cpu_count()} CPU(s)\n")
    print("| file | app | requests/s | MiB/s | pegboard speed-up | errors |")
    print("|---|---|---:|---:|---:|---:|")
    for label in FILES:
        base_rps = table["pegboard"][label].rps
        for name in APPS:
            cell = table[name][label]
            ratio = base_rps / cell.rps if cell.rps else float("nan")
            print(
                f"| {label} | {LABELS[name]} | {cell.rps:,.0f} | {cell.mib_per_s:,.1f} "
                f"| {ratio:.2f}x | {cell.errors} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
