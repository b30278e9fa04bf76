"""`pegboard serve examples/site/app.py`: the README's first command, run for real.

The site is served in a subprocess by the default production server (and by
every other installed one), fetched with httpx, then stopped with SIGTERM,
which must end it cleanly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pegboard.serving import available_servers
from pegboard.testing.backends import free_port

from .conftest import ROOT

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
PORT_ATTEMPTS = 3
SERVERS = available_servers()


def _pegboard_command() -> list[str]:
    """The ``pegboard`` script of this environment (the one ``uv run`` puts on PATH)."""
    script = Path(sys.executable).with_name("pegboard")
    if script.exists():
        return [str(script)]
    found = shutil.which("pegboard")
    return [found] if found else [sys.executable, "-m", "pegboard.cli"]


class _ServeFailed(Exception):
    """The server did not come up; ``port_taken`` when its port was taken meanwhile."""

    def __init__(self, message: str, port_taken: bool) -> None:
        super().__init__(message)
        self.port_taken = port_taken


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise _ServeFailed(
                f"pegboard serve exited early with code {process.returncode}:\n{output}",
                port_taken="in use" in output.lower(),
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    output = log.read_text(errors="replace")
    raise _ServeFailed(
        f"pegboard serve did not listen on {port} in {START_TIMEOUT} s:\n{output}", False
    )


def _serve(argv: list[str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Run ``argv --port PORT`` on a free port; again on another if that one got taken."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [*argv, "--port", str(port)],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            _wait_for_port(port, process, log)
        except _ServeFailed as failed:
            if process.poll() is None:
                process.kill()
            process.wait()
            if failed.port_taken and attempt + 1 < PORT_ATTEMPTS:
                continue  # another process bound it between free_port() and the server
            raise AssertionError(str(failed)) from None
        return process, port
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _served(argv: list[str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``_serve``, and the server killed on the way out if a check failed first."""
    process, port = _serve(argv, log)
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop_cleanly(process: subprocess.Popen[bytes], log: Path) -> str:
    """SIGTERM, which must end the server with exit code 0; its output."""
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=STOP_TIMEOUT)
    output = log.read_text(errors="replace")
    assert code == 0, output
    return output


@pytest.mark.parametrize("server", SERVERS, ids=[f"{SERVERS[0]}-default", *SERVERS[1:]])
def test_pegboard_serve_runs_the_site_and_stops_cleanly_on_sigterm(
    tmp_path: Path, server: str
) -> None:
    log = tmp_path / "serve.log"
    # The installed default is used as the README's command does (no --server).
    choice = [] if server == SERVERS[0] else ["--server", server]
    argv = [*_pegboard_command(), "serve", "examples/site/app.py", *choice]
    with _served(argv, log) as (process, port):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            home = client.get("/")
            assert home.status_code == 200
            assert 'id="visits">1<' in home.text
            assert 'id="visits">2<' in client.get("/").text  # the session cookie works
            css = client.get(home.text.split('rel="stylesheet" href="')[1].split('"')[0])
            assert css.status_code == 200 and css.headers["Content-Encoding"] in ("br", "gzip")
        output = _stop_cleanly(process, log)
    assert "Traceback" not in output, output
    assert f"serving examples/site/app.py on http://127.0.0.1:{port}" in output
    assert '"GET / HTTP/1.1" 200 ' in output  # the access log reached stderr


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
@pytest.mark.skipif("granian" not in SERVERS, reason="worker processes are granian's")
def test_cpu_affinity_flag_keeps_each_worker_on_one_cpu_and_says_which(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    argv = [*_pegboard_command(), "serve", "examples/site/app.py", "--workers", "2"]
    with _served([*argv, "--cpu-affinity"], log) as (process, port):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            assert client.get("/").status_code == 200
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        pinned = {
            line.split()[-1]
            for pid in children
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("Cpus_allowed_list")
        }
        output = _stop_cleanly(process, log)
    allowed = sorted(os.sched_getaffinity(0))
    first, second = allowed[0], allowed[1 % len(allowed)]
    assert f"server.cpu_affinity: worker 1 on CPU {first}, worker 2 on CPU {second}" in output
    assert pinned == {str(first), str(second)}, (pinned, output)
