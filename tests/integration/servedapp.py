"""Starting ``pegboard serve`` on a small app, for the live tests of slow clients and hang-ups.

The app (written to a temporary folder) answers ``GET /``, echoes the length and
SHA-256 of a ``POST /echo`` body (and ``/small/echo``, whose section allows 1,000
bytes), and streams ``GET /stream`` for ever. Each run of an echo handler, each
close of a stream and each ``on_end_request`` of a stream appends a line to a file,
so a test sees what ran in the server process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

APP = textwrap.dedent(
    """
    import hashlib, os, time
    import pegboard

    MARKS = os.environ["PB_MARKS"]

    def mark(line):
        with open(MARKS, "a") as fh:
            fh.write(f"{line} {time.monotonic():.3f}\\n")

    def end_request(req, resp):
        if req.path == "/stream":
            mark("end_request")

    app = pegboard.App({
        "/": {"hooks.on_end_request": end_request},
        "/small": {"request.max_body_size": 1000},
    })

    @app.route("/")
    def home(req, resp):
        return "ok"

    @app.route("/echo", methods=["POST"])
    @app.route("/small/echo", methods=["POST"])
    def echo(req, resp):
        data = req.body.bytes
        mark(f"handled {len(data)}")
        return f"{len(data)} {hashlib.sha256(data).hexdigest()}"

    @app.route("/stream")
    def stream(req, resp):
        pause = float(req.params.get("interval", "0.05"))

        def chunks():
            try:
                while True:
                    yield b"x" * 1023 + b"\\n"
                    if pause:
                        time.sleep(pause)
            finally:
                mark("closed")

        return chunks()
    """
)


def _pegboard_command() -> list[str]:
    script = Path(sys.executable).with_name("pegboard")
    if script.exists():
        return [str(script)]
    found = shutil.which("pegboard")
    return [found] if found else [sys.executable, "-m", "pegboard.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A ``pegboard serve`` process and the file its app writes marks to."""

    proc: subprocess.Popen[bytes]
    server: str
    port: int
    marks: Path
    log: Path

    def lines(self, prefix: str) -> list[str]:
        """The marks that start with ``prefix``."""
        if not self.marks.exists():
            return []
        return [line for line in self.marks.read_text().splitlines() if line.startswith(prefix)]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def serve(folder: Path, server: str, config: str = "") -> Served:
    """Write the app (and ``config`` as its TOML overlay), serve it and wait until it answers."""
    (folder / "served_app.py").write_text(APP)
    argv = [*_pegboard_command(), "serve", str(folder / "served_app.py"), "--server", server]
    if config:
        (folder / "serve.toml").write_text(config)
        argv += ["--config", str(folder / "serve.toml")]
    marks, log = folder / f"marks-{server}", folder / f"serve-{server}.log"
    for _ in range(3):  # another process may take the free port first
        port = _free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*argv, "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PB_MARKS": str(marks), "PYTHONUNBUFFERED": "1"},
                start_new_session=True,
            )
        served = Served(proc, server, port, marks, log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return served
            except OSError:
                time.sleep(0.05)
        served.stop()
        if "in use" not in served.output():
            raise AssertionError(f"pegboard serve did not start:\n{served.output()}")
    raise AssertionError("no free port")
