"""A store that is down answers 503 within a bounded time, and service comes back by itself."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pegboard.testing.backends import BackendServer, free_port, start_memcached, start_redis

TIMEOUT = 0.25  # backend_timeout for these tests, in seconds
BOUND = 3.0  # no answer may take longer than this


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (in the kernel's backlog) but never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def _down_options(kind: str, how: str, port: int, tmp_path: Path) -> dict[str, Any]:
    if kind == "redis":
        return {"storage_type": "redis", "url": f"redis://127.0.0.1:{port}/0"}
    if kind == "memcached":
        return {"storage_type": "memcached", "servers": [f"127.0.0.1:{port}"]}
    if kind == "postgresql":
        return {
            "storage_type": "postgresql",
            "dsn": f"postgresql://postgres@127.0.0.1:{port}/postgres",
        }
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the session directory should be")
    return {"storage_type": "file", "storage_path": str(blocker / "sessions")}


@pytest.mark.parametrize(
    ("kind", "how"),
    [
        ("redis", "refused"),
        ("redis", "silent"),
        ("memcached", "refused"),
        ("memcached", "silent"),
        ("postgresql", "refused"),
        ("postgresql", "silent"),
        ("file", "unwritable"),
    ],
)
def test_a_store_that_is_down_gives_503_quickly(
    kind, how, silent_port, tmp_path, make_app, make_client
):
    port = silent_port if how == "silent" else free_port()
    options = {**_down_options(kind, how, port, tmp_path), "backend_timeout": TIMEOUT}
    config = {
        "/": {"tools.sessions.on": True, **{f"tools.sessions.{k}": v for k, v in options.items()}}
    }
    app = make_app(config)

    @app.route("/noop")
    def noop(req: Any, resp: Any) -> str:
        return "no session needed"

    @app.route("/incr")
    def incr(req: Any, resp: Any) -> str:
        req.session["n"] = req.session.get("n", 0) + 1
        return str(req.session["n"])

    app.start()  # nothing is connected at start-up, so this cannot fail either
    client = make_client(app)
    # A handler that never touches the session makes no round trip to the store.
    began = time.monotonic()
    assert client.get("/noop").status == 200
    assert time.monotonic() - began < TIMEOUT
    for cookie in (None, "A" * 43):
        began = time.monotonic()
        result = client.get("/incr", headers={"Cookie": f"session_id={cookie}"} if cookie else None)
        elapsed = time.monotonic() - began
        assert result.status == 503, result.text
        assert "session store is unavailable" in result.text
        assert elapsed < BOUND


def _restart(server: BackendServer) -> subprocess.Popen[bytes]:
    """Start the same server binary again with the same arguments (so the same port)."""
    # memcached refuses to run as root; the test kit runs it as an unprivileged user then.
    user = None
    if server.name == "memcached" and os.geteuid() == 0:
        user = os.environ.get("PEGBOARD_BACKEND_USER") or "nobody"
    process = subprocess.Popen(
        server.process.args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, user=user
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((server.host, server.port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"{server.name} did not come back")


@pytest.mark.parametrize("kind", ["redis", "memcached"])
def test_killing_the_server_mid_run_gives_503s_then_service_resumes(
    kind, tmp_path, make_app, make_client
):
    start = start_redis if kind == "redis" else start_memcached
    server = start(tmp_path / kind)
    restarted: subprocess.Popen[bytes] | None = None
    try:
        if kind == "redis":
            options: dict[str, Any] = {"storage_type": "redis", "url": server.url}
        else:
            options = {"storage_type": "memcached", "servers": [server.url]}
        options["backend_timeout"] = TIMEOUT
        app = make_app(
            {
                "/": {
                    "tools.sessions.on": True,
                    **{f"tools.sessions.{k}": v for k, v in options.items()},
                }
            }
        )

        @app.route("/incr")
        def incr(req: Any, resp: Any) -> str:
            req.session["n"] = req.session.get("n", 0) + 1
            return str(req.session["n"])

        client = make_client(app)
        statuses, texts = [], []
        for i in range(36):
            if i == 12:
                server.process.kill()  # SIGKILL: no goodbye to the clients
                server.process.wait()
            if i == 24:
                restarted = _restart(server)
            began = time.monotonic()
            result = client.get("/incr")
            assert time.monotonic() - began < BOUND
            statuses.append(result.status)
            texts.append(result.text)
        assert statuses[:12] == [200] * 12 and texts[11] == "12"
        assert statuses[12:24] == [503] * 12  # never a 500, never a hang
        assert statuses[24:] == [200] * 12
        # The restarted server is empty: the old id is not adopted, a new session starts.
        assert texts[24:] == [str(n) for n in range(1, 13)]
    finally:
        if restarted is not None:
            restarted.kill()
            restarted.wait()
        server.stop()


def test_postgresql_connections_cut_by_the_server_are_replaced_without_errors(
    postgresql_server, make_app, make_client
):
    import psycopg

    name = f"pb_{uuid.uuid4().hex[:10]}"
    dsn = f"{postgresql_server.url}?application_name={name}"
    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.sessions.storage_type": "postgresql",
                "tools.sessions.dsn": dsn,
                "tools.sessions.table": name,
                "tools.sessions.backend_timeout": TIMEOUT,
            }
        }
    )

    @app.route("/incr")
    def incr(req: Any, resp: Any) -> str:
        req.session["n"] = req.session.get("n", 0) + 1
        return str(req.session["n"])

    client = make_client(app)
    assert [client.get("/incr").text for _ in range(3)] == ["1", "2", "3"]
    with psycopg.connect(postgresql_server.url, autocommit=True) as admin:
        cut = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            [name],
        ).fetchone()
    assert cut is not None and cut[0] >= 1
    results = [client.get("/incr") for _ in range(3)]
    assert [r.status for r in results] == [200, 200, 200]
    assert [r.text for r in results] == ["4", "5", "6"]


def test_a_lock_that_redis_kept_across_a_crash_is_released_by_its_holder(
    tmp_path, make_app, make_client
):
    """Redis with persistence is killed while a request holds a session's lock: the lock
    key survives the restart. The process that took it releases it as soon as Redis
    answers again, so the session's next request does not wait ``lock_timeout`` (nor the
    lease) for a lock nobody holds."""
    import threading

    import redis

    server = start_redis(tmp_path / "redis", persistent=True)
    try:
        prefix = f"t{uuid.uuid4().hex[:8]}:"
        app = make_app(
            {
                "/": {
                    "tools.sessions.on": True,
                    "tools.sessions.storage_type": "redis",
                    "tools.sessions.url": server.url,
                    "tools.sessions.key_prefix": prefix,
                    "tools.sessions.backend_timeout": TIMEOUT,
                    "tools.sessions.lock_timeout": 5.0,
                    "tools.sessions.lock_lease": 60.0,
                }
            }
        )
        entered, leave = threading.Event(), threading.Event()

        @app.route("/incr")
        def incr(req: Any, resp: Any) -> str:
            req.session["n"] = req.session.get("n", 0) + 1
            return str(req.session["n"])

        @app.route("/hold")
        def hold(req: Any, resp: Any) -> str:
            req.session["n"] = req.session.get("n", 0) + 100  # locked from here on
            entered.set()
            leave.wait(10)
            return "held"

        client = make_client(app)
        assert client.get("/incr").text == "1"
        cookie = client.cookie("session_id")
        held: list[Any] = []
        holder = threading.Thread(
            target=lambda: held.append(
                make_client(app).get("/hold", headers={"Cookie": f"session_id={cookie}"})
            )
        )
        holder.start()
        assert entered.wait(10)
        lock_key = f"{prefix}{{{cookie}}}:lock"
        assert redis.Redis.from_url(server.url).exists(lock_key)
        server.kill()  # the lock key was written to the append-only file first
        leave.set()
        holder.join(10)
        assert held[0].status == 503  # its write and its unlock could not reach Redis
        server.restart()
        began = time.monotonic()
        result = client.get("/incr")
        waited = time.monotonic() - began
        assert result.status == 200 and result.text == "2"  # the held request saved nothing
        assert waited < 2.0, f"waited {waited:.1f} s for a lock nobody held"
        assert not redis.Redis.from_url(server.url).exists(lock_key)
    finally:
        server.stop()
