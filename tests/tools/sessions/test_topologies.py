"""Redis behind Sentinel, Redis Cluster, and several Memcached servers."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pegboard.testing.backends import find_binary, free_port, start_memcached


def _serve(argv: list[str], port: int) -> subprocess.Popen[bytes]:
    import redis

    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            client.close()
            return process
        except redis.RedisError:
            time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"{argv[0]} did not answer on port {port}")


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is valid and free too."""
    import socket

    for _ in range(100):
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


@pytest.fixture
def redis_binary(redis_server: Any) -> str:
    """The redis-server binary (requesting redis_server makes a missing one fail in CI)."""
    binary = find_binary("redis-server")
    assert binary is not None
    return binary


@pytest.fixture
def sentinel_url(redis_server: Any, redis_binary: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor pbmain 127.0.0.1 {redis_server.port} 1\n"
    )
    process = _serve([redis_binary, str(conf), "--sentinel"], port)
    try:
        yield f"redis+sentinel://127.0.0.1:{port}/pbmain/0"
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def cluster_url(redis_binary: str, tmp_path: Path) -> Iterator[str]:
    import redis

    port = _cluster_port()
    argv = [
        redis_binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    argv += [
        "--dir",
        str(tmp_path),
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
    ]
    process = _serve(argv, port)
    try:
        node = redis.Redis(port=port)
        node.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)  # one node holds every slot
        deadline = time.monotonic() + 10
        while b"cluster_state:ok" not in node.execute_command("CLUSTER", "INFO"):
            assert time.monotonic() < deadline, "the one-node cluster did not come up"
            time.sleep(0.05)
        node.close()
        yield f"redis+cluster://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def _count_concurrently(app: Any, cookie: str) -> list[int]:
    import threading

    from pegboard.testing import Client

    statuses: list[int] = []

    def worker() -> None:
        client = Client(app)
        for _ in range(25):
            statuses.append(client.get("/incr", headers={"Cookie": f"session_id={cookie}"}).status)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("topology", ["sentinel", "cluster"])
def test_sessions_and_locks_through_sentinel_and_cluster_urls(
    topology, request, counter_app, make_client
):
    url = request.getfixturevalue(f"{topology}_url")
    app = counter_app(
        {
            "storage_type": "redis",
            "url": url,
            "key_prefix": f"t{uuid.uuid4().hex[:8]}:",
            # Generous bounds: this test is about correctness through the topology,
            # and a loaded CI machine must not turn a slow round trip into a 503.
            "backend_timeout": 5.0,
            "lock_timeout": 30.0,
        }
    )
    client = make_client(app)
    assert client.get("/start").text == "0"
    statuses = _count_concurrently(app, client.cookie("session_id"))
    assert statuses == [200] * 100
    assert client.get("/read").text == "100"


def test_sessions_spread_over_several_memcached_servers(
    memcached_server, tmp_path, counter_app, make_client
):
    from pymemcache.client.base import Client as Memcache

    second = start_memcached(tmp_path / "second")
    try:
        prefix = f"t{uuid.uuid4().hex[:8]}:"
        servers = [memcached_server.url, second.url]
        app = counter_app(
            {
                "storage_type": "memcached",
                "servers": servers,
                "key_prefix": prefix,
                "backend_timeout": 0.25,
            }
        )
        clients = [make_client(app) for _ in range(16)]
        for client in clients:
            assert client.get("/incr").text == "1"
        homes = {}
        for client in clients:
            key = prefix + client.cookie("session_id")
            holders = [s for s in (memcached_server, second) if Memcache((s.host, s.port)).get(key)]
            assert len(holders) == 1  # each session lives on exactly one server
            homes[client] = holders[0].port
        assert set(homes.values()) == {memcached_server.port, second.port}  # both servers are used
        second.process.kill()
        second.process.wait()
        # Sessions on the server that died get 503; the others go on, never moved elsewhere.
        for client in clients:
            expected = 503 if homes[client] == second.port else 200
            assert client.get("/incr").status == expected
    finally:
        second.stop()


def test_cluster_ports_leave_room_for_the_bus() -> None:
    for _ in range(50):
        assert _cluster_port() + 10000 <= 65535
