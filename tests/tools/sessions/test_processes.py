"""Sessions shared by separate server processes, and file records that survive a kill."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
THREADS_PER_SERVER = 4
PER_THREAD = 200


class ServerProcess:
    """``serve_counter.py`` running in a child process; ``wait()`` returns once it listens."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "serve_counter.py"), json.dumps(config)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = 0

    def wait(self) -> ServerProcess:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the server process did not start: {line!r}")
        self.port = int(line)
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _get(
    conn: http.client.HTTPConnection, path: str, cookie: str | None = None
) -> tuple[int, str, str | None]:
    conn.request("GET", path, headers={"Cookie": f"session_id={cookie}"} if cookie else {})
    response = conn.getresponse()
    body = response.read().decode()
    return response.status, body, response.getheader("Set-Cookie")


def test_two_server_processes_agree_on_one_session(shared_backend):
    config = shared_backend.config(lock_timeout=60)
    servers = [ServerProcess(config), ServerProcess(config)]  # both start at once
    try:
        for server in servers:
            server.wait()
        first = http.client.HTTPConnection("127.0.0.1", servers[0].port, timeout=30)
        status, _, set_cookie = _get(first, "/start")
        assert status == 200 and set_cookie is not None
        cookie = set_cookie.split(";", 1)[0].split("=", 1)[1]
        statuses: list[int] = []
        barrier = threading.Barrier(2 * THREADS_PER_SERVER)

        def worker(port: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            barrier.wait()
            for _ in range(PER_THREAD):
                statuses.append(_get(conn, "/incr", cookie)[0])
            conn.close()

        workers = [
            threading.Thread(target=worker, args=(server.port,))
            for server in servers
            for _ in range(THREADS_PER_SERVER)
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        total = 2 * THREADS_PER_SERVER * PER_THREAD
        assert statuses == [200] * total
        second = http.client.HTTPConnection("127.0.0.1", servers[1].port, timeout=30)
        assert _get(first, "/read", cookie)[1] == str(total)
        assert _get(second, "/read", cookie)[1] == str(total)
        first.close()
        second.close()
    finally:
        for server in servers:
            server.stop()


def test_a_file_session_is_never_left_half_written_by_a_killed_process(tmp_path):
    from pegboard_sessions.serializers import get_serializer
    from pegboard_sessions.storage.file import PREFIX

    storage = tmp_path / "sessions"
    decode = get_serializer("json").loads
    cookie = "-"
    for round_ in range(3):
        writer = subprocess.Popen(
            [sys.executable, str(HERE / "file_writer.py"), str(storage), cookie],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        cookie = writer.stdout.readline().strip()
        time.sleep(0.1 + 0.05 * round_)  # kill it at a different point each round
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        records = [
            p
            for p in storage.iterdir()
            if p.name.startswith(PREFIX) and not p.name.endswith(".lock")
        ]
        assert [p.name for p in records] == [PREFIX + cookie]
        blob = decode(records[0].read_bytes())["d"]["blob"]
        assert len(blob) == 2_000_000 and len(set(blob)) == 1


@pytest.mark.parametrize("storage_type", ["file"])
def test_leftover_temporary_files_are_ignored_and_cleaned(
    tmp_path, make_app, make_client, storage_type
):
    from pegboard_sessions.storage.file import STALE_TEMP_AGE, TEMP_PREFIX

    storage = tmp_path / "sessions"
    storage.mkdir()
    stale = storage / (TEMP_PREFIX + "killed")
    stale.write_bytes(b'{"c": 0, "d": {"half')
    old = time.time() - STALE_TEMP_AGE - 10
    os.utime(stale, (old, old))
    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.sessions.storage_type": storage_type,
                "tools.sessions.storage_path": str(storage),
                "tools.sessions.clean_freq": 0.002,
            }
        }
    )

    @app.route("/")
    def index(req: Any, resp: Any) -> str:
        req.session["x"] = 1
        return "ok"

    assert make_client(app).get("/").status == 200
    deadline = time.monotonic() + 5
    while stale.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not stale.exists()
