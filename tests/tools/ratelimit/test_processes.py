"""Two ``pegboard serve`` processes on one Redis: clients over both never get more than the limit.

Each server is a separate process with its own connection pool, started the
way a deployment starts it (an app file, a TOML config laid over it). Eight
client threads send their requests to both servers in turn, all at once and
all from the same address (one key, the contended case): exactly the limit
passes in total, and both processes grant part of it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from pegboard.testing.backends import free_port

LIMIT = 25
CLIENTS = 8
REQUESTS = 20  # per client: 160 in all, over both servers

APP = textwrap.dedent(
    """
    import os
    import pegboard

    app = pegboard.App()

    @app.route("/")
    def home(req, resp):
        return str(os.getpid())
    """
)


def _pegboard() -> list[str]:
    script = Path(sys.executable).with_name("pegboard")
    if script.exists():
        return [str(script)]
    found = shutil.which("pegboard")
    return [found] if found else [sys.executable, "-m", "pegboard.cli"]


def _serve(folder: Path, name: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    log = folder / f"{name}.log"
    for _ in range(3):
        port = free_port()
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [*_pegboard(), "serve", "app.py", "--config", "limits.toml", "--port", str(port)],
                cwd=folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return process, port, log
            except OSError:
                time.sleep(0.05)
        if process.poll() is None:
            process.kill()
        process.wait()
        if "in use" not in log.read_text(errors="replace").lower():
            break
    raise AssertionError(f"pegboard serve did not start:\n{log.read_text(errors='replace')}")


def test_clients_over_two_processes_never_get_more_than_the_limit(tmp_path, redis_server, prefix):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "limits.toml").write_text(
        textwrap.dedent(
            f"""
            ["/"]
            tools.ratelimit.on = true
            tools.ratelimit.limits = "{LIMIT}/hour"
            tools.ratelimit.storage = "redis"
            tools.ratelimit.url = "{redis_server.url}"
            tools.ratelimit.key_prefix = "{prefix}"
            """
        )
    )
    servers = [_serve(tmp_path, "first"), _serve(tmp_path, "second")]
    try:
        urls = [f"http://127.0.0.1:{port}/" for _, port, _ in servers]
        results: list[tuple[int, str]] = []
        lock = threading.Lock()
        start = threading.Barrier(CLIENTS)

        def client(offset: int) -> None:
            with httpx.Client(timeout=10) as http:
                start.wait()
                for n in range(REQUESTS):
                    answer = http.get(urls[(n + offset) % 2])
                    with lock:
                        results.append((answer.status_code, answer.text))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for process, _, _ in servers:
            process.terminate()
        for process, _, _ in servers:
            process.wait(15)
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: LIMIT, 429: CLIENTS * REQUESTS - LIMIT}, statuses
    granted_by = {pid for status, pid in results if status == 200}
    assert len(granted_by) == 2, granted_by  # both processes granted part of the limit
    for _, _, log in servers:
        assert "Traceback" not in log.read_text(errors="replace")
