"""Static files over a real server with wrk: pegboard staticdir vs WhiteNoise vs CherryPy staticdir.

All three are WSGI apps served by the same server (waitress by default, one
process with 8 threads), one after the other, on 127.0.0.1 only. Two files:
1 KiB (per-request overhead) and 10 MiB (streaming throughput). One wrk run per
app and file; the table gives requests/s, MB/s and the ratio to pegboard.

    python tools/static/bench/bench_static.py [--duration 5s]

Needs ``wrk`` (Debian: ``apt-get install wrk``), ``whitenoise``
(``pip install "pegboard-static[bench]"``) and ``cherrypy``.
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
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
FILES = {"1 KiB": ("small.bin", 1024), "10 MiB": ("large.bin", 10 * 1024 * 1024)}
APPS = ("pegboard", "whitenoise", "cherrypy")
# wrk connections per file size: many small requests, a few large streams.
CONNECTIONS = {"1 KiB": 16, "10 MiB": 4}


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
        from whitenoise import WhiteNoise  # type: ignore[import-untyped]

        return WhiteNoise(_not_found, root=folder, prefix="static/", autorefresh=False)
    if name == "cherrypy":
        import cherrypy  # type: ignore[import-untyped]

        cherrypy.config.update({"environment": "embedded", "log.screen": False})
        cherrypy.server.unsubscribe()
        config = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": folder}}
        cherrypy.tree.mount(None, "/", config=config)
        cherrypy.engine.start()
        return cherrypy.tree
    raise ValueError(name)


def serve(name: str, folder: str, port: int, server: str) -> None:
    """Run in the child process: serve one app until SIGTERM."""
    app = build_app(name, folder)
    if server != "waitress":
        raise ValueError(server)
    import waitress

    # waitress logs every moment its queue is not empty; under wrk that is noise.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(app, host=HOST, port=port, threads=8, _quiet=True)


# -- the harness ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            response.read()
            return
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


def _parse_wrk(output: str) -> tuple[float, float, int]:
    """``(requests/s, MiB/s, non-2xx count)`` from wrk's text report (wrk's units are binary)."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    amount, unit = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", output).groups()  # type: ignore[union-attr]
    scale = {"B": 1 / 1048576, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rps, float(amount) * scale, int(errors.group(1)) if errors else 0


Cell = tuple[float, float, int]


def measure(name: str, folder: str, server: str, duration: str) -> dict[str, Cell]:
    """Start ``name`` under ``server``, wrk each file, stop it."""
    port = _free_port()
    argv = [sys.executable, __file__, "--serve", name, "--folder", folder, "--port", str(port)]
    child = subprocess.Popen([*argv, "--server", server], start_new_session=True)
    results = {}
    try:
        base = f"http://{HOST}:{port}/static/"
        _wait_until_up(base + FILES["1 KiB"][0], time.monotonic() + 30)
        for label, (filename, _) in FILES.items():
            url = base + filename
            conns = str(CONNECTIONS[label])
            warm_up = ["wrk", "-t", "2", "-c", conns, "-d", "1s", url]
            subprocess.run(warm_up, capture_output=True, check=True)
            done = subprocess.run(
                ["wrk", "-t", "2", "-c", conns, "-d", duration, url],
                capture_output=True,
                text=True,
                check=True,
            )
            results[label] = _parse_wrk(done.stdout)
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", default="5s", help="wrk time per measurement (default 5s)")
    parser.add_argument("--server", default="waitress", choices=("waitress",))
    parser.add_argument("--serve", choices=APPS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.folder, args.port, args.server)
        return 0
    if shutil.which("wrk") is None:
        print("bench_static: the wrk binary is needed (apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pegboard-static-bench-") as folder:
        for filename, size in FILES.values():
            Path(folder, filename).write_bytes(os.urandom(size))
        table = {name: measure(name, folder, args.server, args.duration) for name in APPS}
    print(f"\nserver: {args.server}; wrk -t2, {args.duration} per cell; {os.cpu_count()} CPU(s)\n")
    print("| file | app | requests/s | MiB/s | vs pegboard | non-2xx |")
    print("|---|---|---:|---:|---:|---:|")
    for label in FILES:
        base_rps = table["pegboard"][label][0]
        for name in APPS:
            rps, mbps, errors = table[name][label]
            ratio = rps / base_rps
            print(f"| {label} | {name} | {rps:,.0f} | {mbps:,.1f} | {ratio:.2f}x | {errors} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
