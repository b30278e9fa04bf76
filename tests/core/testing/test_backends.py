"""The test kit's throw-away servers, exercised through the real client libraries."""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from pegboard.testing import backends
from pegboard.testing.backend_fixtures import unavailable
from pegboard.testing.backends import BackendServer, BackendUnavailable

SLEEP = shutil.which("sleep") or "/bin/sleep"


def _client(module: str) -> ModuleType:
    """Import a client library; a missing one fails in CI like a missing server."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        unavailable(f"client library {module} is not installed: {exc}")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _key() -> str:
    return f"test-{uuid.uuid4().hex}"


# -- Redis ------------------------------------------------------------------


def test_redis_set_get(redis_server: BackendServer) -> None:
    redis = _client("redis")
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    client = redis.Redis.from_url(redis_server.url)
    try:
        key = _key()
        assert client.set(key, b"value", ex=60)
        assert client.get(key) == b"value"
        assert client.incr(key + ":n") == 1
        assert client.config_get("save") == {"save": ""}
    finally:
        client.close()


# -- Memcached --------------------------------------------------------------


def test_memcached_set_get_add(memcached_server: BackendServer) -> None:
    base = _client("pymemcache.client.base")
    host, port = memcached_server.url.rsplit(":", 1)
    assert (host, int(port)) == ("127.0.0.1", memcached_server.port)
    client = base.Client((host, int(port)), connect_timeout=2, timeout=2)
    try:
        key = _key()
        assert client.get(key) is None
        client.set(key, b"one", expire=60)
        assert client.get(key) == b"one"
        assert client.add(key, b"two", noreply=False) is False
        assert client.get(key) == b"one"
        assert client.add(key + "-new", b"three", noreply=False) is True
        assert client.get(key + "-new") == b"three"
    finally:
        client.close()


# -- PostgreSQL -------------------------------------------------------------


def test_postgresql_table_roundtrip(postgresql_server: BackendServer) -> None:
    psycopg = _client("psycopg")
    table = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgresql_server.url, connect_timeout=5) as conn:
        conn.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, name text)")
        conn.execute(f"INSERT INTO {table} (name) VALUES (%s), (%s)", ("a", "b"))
        rows = conn.execute(f"SELECT id, name FROM {table} ORDER BY id").fetchall()
        assert rows == [(1, "a"), (2, "b")]
        fsync = conn.execute("SHOW fsync").fetchone()
        assert fsync == ("off",)
        addr = conn.execute("SELECT inet_server_addr()::text").fetchone()
        assert addr is not None and addr[0].startswith("127.0.0.1")


def test_postgresql_advisory_lock(postgresql_server: BackendServer) -> None:
    psycopg = _client("psycopg")
    url = postgresql_server.url
    lock_id = uuid.uuid4().int % (2**62)
    with (
        psycopg.connect(url, autocommit=True) as one,
        psycopg.connect(url, autocommit=True) as two,
    ):
        assert one.execute("SELECT pg_try_advisory_lock(%s)", (lock_id,)).fetchone() == (True,)
        assert two.execute("SELECT pg_try_advisory_lock(%s)", (lock_id,)).fetchone() == (False,)
        assert one.execute("SELECT pg_advisory_unlock(%s)", (lock_id,)).fetchone() == (True,)
        assert two.execute("SELECT pg_try_advisory_lock(%s)", (lock_id,)).fetchone() == (True,)


def test_postgresql_pool(postgresql_server: BackendServer) -> None:
    _client("psycopg")
    pool_mod = _client("psycopg_pool")
    pool = pool_mod.ConnectionPool(postgresql_server.url, min_size=1, max_size=2, open=False)
    with pool, pool.connection() as conn:
        assert conn.execute("SELECT 1 + 1").fetchone() == (2,)


def test_postgresql_runs_unprivileged(postgresql_server: BackendServer) -> None:
    """Postgres refuses root: as root the cluster belongs to another user."""
    owner = postgresql_server.data_dir.stat().st_uid
    if os.geteuid() == 0:
        assert owner != 0
    else:
        assert owner == os.geteuid()
    assert stat.S_IMODE(postgresql_server.data_dir.stat().st_mode) & 0o077 == 0o000 or (
        stat.S_IMODE(postgresql_server.data_dir.stat().st_mode) == 0o750
    )


# -- Life cycle -------------------------------------------------------------


def test_stop_closes_the_port(tmp_path: Path) -> None:
    try:
        server = backends.start_redis(tmp_path)
    except BackendUnavailable as exc:
        unavailable(str(exc))
    assert server.running and _port_open(server.host, server.port)
    server.stop()
    assert server.process.returncode is not None
    assert not server.running
    assert not _port_open(server.host, server.port)
    server.stop()  # a second stop is harmless
    assert tmp_path.is_dir() and (tmp_path / "redis.log").is_file()


def test_context_manager_stops_memcached(tmp_path: Path) -> None:
    try:
        server = backends.start_memcached(tmp_path)
    except BackendUnavailable as exc:
        unavailable(str(exc))
    with server as running:
        assert running is server
        assert _port_open(server.host, server.port)
    assert server.process.returncode is not None
    assert not _port_open(server.host, server.port)


def test_postgresql_stop_removes_only_its_own_dirs(tmp_path: Path) -> None:
    try:
        server = backends.start_postgresql(tmp_path / "pg")
    except BackendUnavailable as exc:
        unavailable(str(exc))
    with server:
        assert _port_open(server.host, server.port)
    assert not _port_open(server.host, server.port)
    # The caller's directory and logs stay; a root-only private cluster goes.
    assert (tmp_path / "pg" / "postgresql.log").is_file()
    if os.geteuid() == 0:
        assert not server.data_dir.exists()
    else:
        assert server.data_dir.is_dir()


def test_stop_kills_a_server_that_ignores_its_signal(tmp_path: Path) -> None:
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    process.stdout.close()
    server = BackendServer(
        name="stubborn",
        host="127.0.0.1",
        port=1,
        url="",
        process=process,
        log_path=tmp_path / "log",
        data_dir=tmp_path,
        _stop_signal=signal.SIGTERM,
    )
    server.stop(timeout=0.5)
    assert process.returncode == -signal.SIGKILL


# -- Failures ---------------------------------------------------------------


@pytest.fixture
def empty_search_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Nothing on PATH, in sbin or under /usr/lib/postgresql but *tmp_path*/bin."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setattr(backends, "SEARCH_DIRS", ())
    monkeypatch.setattr(backends, "POSTGRES_ROOTS", (str(tmp_path / "pgroot"),))
    return bindir


@pytest.mark.parametrize(
    ("start", "binary"),
    [
        (backends.start_redis, "redis-server"),
        (backends.start_memcached, "memcached"),
        (backends.start_postgresql, "postgres"),
    ],
)
def test_missing_binary_is_backend_unavailable(
    empty_search_path: Path,
    tmp_path: Path,
    start: Callable[[Path], BackendServer],
    binary: str,
) -> None:
    assert backends.find_binary(binary) is None
    with pytest.raises(BackendUnavailable, match=binary):
        start(tmp_path / "data")


def _fake(bindir: Path, name: str, body: str) -> Path:
    path = bindir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_postgres_binaries_come_from_one_installation(
    empty_search_path: Path, tmp_path: Path
) -> None:
    # A lone postgres on PATH, without its initdb, is not an installation ...
    _fake(empty_search_path, "postgres", "exit 1\n")
    assert backends.find_binary("postgres") is None
    assert backends.find_binary("initdb") is None
    # ... so a complete versioned one is used, the newest first.
    root = tmp_path / "pgroot"
    for version in ("9.6", "13", "16"):
        for name in ("postgres", "initdb", "pg_ctl"):
            (root / version / "bin").mkdir(parents=True, exist_ok=True)
            _fake(root / version / "bin", name, "exit 1\n")
    (root / "16" / "bin" / "initdb").unlink()  # incomplete: skipped
    assert backends.find_binary("postgres") == str(root / "13" / "bin" / "postgres")
    assert backends.find_binary("initdb") == str(root / "13" / "bin" / "initdb")
    # A symlink on PATH counts as the installation it points into.
    (empty_search_path / "postgres").unlink()
    (empty_search_path / "postgres").symlink_to(root / "9.6" / "bin" / "postgres")
    assert backends.find_binary("initdb") == str(root / "9.6" / "bin" / "initdb")


def test_server_that_exits_raises_with_log_tail(empty_search_path: Path, tmp_path: Path) -> None:
    _fake(empty_search_path, "redis-server", "echo 'FATAL: broken config' >&2\nexit 3\n")
    with pytest.raises(RuntimeError, match=r"(?s)exited with code 3.*broken config"):
        backends.start_redis(tmp_path / "data")


def test_server_that_never_answers_times_out(empty_search_path: Path, tmp_path: Path) -> None:
    _fake(empty_search_path, "redis-server", f"echo starting\nexec {SLEEP} 30\n")
    with pytest.raises(RuntimeError, match=r"(?s)did not answer in 0.5 s.*starting"):
        backends.start_redis(tmp_path / "data", timeout=0.5)


def test_unavailable_skips_on_a_developer_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server not found"):
        unavailable("redis-server not found")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        unavailable("redis-server not found")


def test_unavailable_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="redis-server not found"):
        unavailable("redis-server not found")


def test_a_persistent_redis_keeps_its_keys_across_a_kill(tmp_path: Path) -> None:
    import redis

    with backends.start_redis(tmp_path / "redis", persistent=True) as server:
        client = redis.Redis.from_url(server.url)
        client.set("kept", b"1")
        port = server.port
        took = server.restart(kill=True)
        assert server.port == port and took < 10
        assert redis.Redis.from_url(server.url).get("kept") == b"1"
        plain = backends.start_redis(tmp_path / "plain")
        try:
            redis.Redis.from_url(plain.url).set("gone", b"1")
            plain.restart(kill=True)
            assert redis.Redis.from_url(plain.url).get("gone") is None
        finally:
            plain.stop()


def test_postgresql_keeps_its_tables_across_a_kill(tmp_path: Path) -> None:
    import psycopg

    with backends.start_postgresql(tmp_path / "pg") as server:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept VALUES (7)")
        server.restart(kill=True)
        with psycopg.connect(server.url, autocommit=True) as conn:
            assert conn.execute("SELECT n FROM kept").fetchone() == (7,)
