"""Stores: a backend that is down or hangs, memory eviction, lifecycle, apps side by side."""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
import time

import pytest
import redis

from pegboard.testing.backends import find_binary, start_memcached, start_redis
from pegboard_caching.runtime import runtime_for

START = {"redis": start_redis, "memcached": start_memcached}


def _options(kind, server, **extra):
    options = {
        "tools.caching.on": True,
        "tools.caching.backend": kind,
        "tools.caching.timeout": 0.3,
    }
    options["tools.caching.url" if kind == "redis" else "tools.caching.servers"] = (
        server.url if kind == "redis" else [server.url]
    )
    options.update({f"tools.caching.{k}": v for k, v in extra.items()})
    return options


@pytest.mark.parametrize("kind", ["redis", "memcached"])
def test_a_backend_that_goes_down_is_stepped_around(
    make_app, make_client, counter, tmp_path, caplog, kind
):
    server = START[kind](tmp_path)
    try:
        app = make_app({"/": _options(kind, server, retry_interval=30)})
        handler = counter("page")
        app.route("/page", handler)
        client = make_client(app)
        client.get("/page")
        assert client.get("/page").headers["Cache-Status"].startswith("pegboard; hit")
    finally:
        server.stop()
    caplog.set_level(logging.WARNING, logger="pegboard.caching")
    start = time.monotonic()
    result = client.get("/page")
    assert time.monotonic() - start < 1.0
    assert result.status == 200 and result.text == "page 2"
    assert result.headers["Cache-Status"] == "pegboard; fwd=bypass; detail=backend-down"
    warnings = [r for r in caplog.records if r.name == "pegboard.caching"]
    assert len(warnings) == 1
    assert f"cache backend '{kind}' is unavailable" in warnings[0].getMessage()
    # While it is marked down, requests do not even try it, and nothing more is logged.
    start = time.monotonic()
    for _ in range(5):
        assert (
            client.get("/page").headers["Cache-Status"]
            == "pegboard; fwd=bypass; detail=backend-down"
        )
    assert time.monotonic() - start < 0.5
    assert handler.calls == 7
    assert len([r for r in caplog.records if r.name == "pegboard.caching"]) == 1


def test_a_backend_that_never_answers_costs_a_bounded_time(make_app, make_client, counter):
    """A server that accepts connections and then says nothing (a hung Redis)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        app = make_app(
            {
                "/": {
                    "tools.caching.on": True,
                    "tools.caching.backend": "redis",
                    "tools.caching.url": f"redis://127.0.0.1:{port}/0",
                    "tools.caching.timeout": 0.2,
                }
            }
        )
        handler = counter("page")
        app.route("/page", handler)
        client = make_client(app)
        start = time.monotonic()
        result = client.get("/page")
        elapsed = time.monotonic() - start
        assert result.status == 200 and result.text == "page 1"
        assert result.headers["Cache-Status"] == "pegboard; fwd=bypass; detail=backend-down"
        assert 0.15 < elapsed < 1.0
        start = time.monotonic()
        assert client.get("/page").text == "page 2"
        assert time.monotonic() - start < 0.1
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()


def test_caching_resumes_when_the_backend_is_back(make_app, make_client, counter, tmp_path, caplog):
    server = start_redis(tmp_path / "first")
    port = server.port
    app = make_app({"/": _options("redis", server, retry_interval=0.2)})
    handler = counter("page")
    app.route("/page", handler)
    client = make_client(app)
    server.stop()
    assert client.get("/page").headers["Cache-Status"].endswith("detail=backend-down")
    # The same port again, with a fresh server.
    binary = find_binary("redis-server")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client_to_new = redis.Redis(port=port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client_to_new.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis did not come back"
                time.sleep(0.05)
        time.sleep(0.25)  # retry_interval
        caplog.set_level(logging.INFO, logger="pegboard.caching")
        assert client.get("/page").headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
        assert client.get("/page").headers["Cache-Status"].startswith("pegboard; hit")
        assert any("answers again" in r.getMessage() for r in caplog.records)
        client_to_new.close()
    finally:
        process.terminate()
        process.wait(10)


def test_memory_evicts_the_least_recently_used_entry_by_count(
    make_app, make_client, memory_store, counter
):
    app = make_app({"/": {**memory_store, "tools.caching.maxobjects": 2}})
    handler = counter("page")
    app.route("/{name}", handler)
    client = make_client(app)
    client.get("/a")
    client.get("/b")
    assert client.get("/a").headers["Cache-Status"].startswith("pegboard; hit")  # /a is now newest
    client.get("/c")  # evicts /b, the least recently used
    assert client.get("/a").headers["Cache-Status"].startswith("pegboard; hit")
    assert client.get("/b").headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"


def test_memory_evicts_by_size_and_never_refuses(make_app, make_client, memory_store):
    app = make_app(
        {"/": {**memory_store, "tools.caching.maxsize": 7000, "tools.caching.maxobj_size": 2000}}
    )
    app.route("/{name}", lambda req, resp, name: name * 1000)
    client = make_client(app)
    client.get("/a")
    client.get("/b")  # a and b (about 2.8 KB each, with key and per-entry overhead) fit
    assert client.get("/a").headers["Cache-Status"].startswith("pegboard; hit")
    assert client.get("/c").headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
    assert client.get("/c").headers["Cache-Status"].startswith("pegboard; hit")
    assert client.get("/b").headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
    backend = runtime_for(app).backends
    assert all(b.size <= 7000 for b in backend.values())


def test_two_paths_may_use_different_stores_and_settings(
    make_app, make_client, memory_store, store_for
):
    shared = store_for("redis")
    app = make_app(
        {
            "/": {**memory_store, "tools.caching.delay": 60},
            "/shared": {**shared, "tools.caching.delay": 5},
            "/off": {"tools.caching.on": False},
        }
    )
    for path in ("/local", "/shared/page", "/off/page"):
        app.route(path, lambda req, resp: "body")
    client = make_client(app)
    for path in ("/local", "/shared/page", "/off/page"):
        client.get(path)
    assert client.get("/local").headers["Cache-Status"] == "pegboard; hit; ttl=59"
    assert client.get("/shared/page").headers["Cache-Status"] == "pegboard; hit; ttl=4"
    assert "Cache-Status" not in client.get("/off/page").headers
    keys = redis.Redis.from_url(shared["tools.caching.url"]).keys(
        shared["tools.caching.key_prefix"] + "*"
    )
    assert [k.decode() for k in keys] == [
        shared["tools.caching.key_prefix"] + "/shared/page http://localhost"
    ]


def test_stores_open_when_the_app_starts_and_close_when_it_stops(make_app, make_client, tmp_path):
    server = start_redis(tmp_path)
    try:
        watcher = redis.Redis.from_url(server.url)

        def ours():
            return [c for c in watcher.client_list() if c.get("name") == "pegboard-caching"]

        app = make_app({"/": _options("redis", server)})
        app.route("/page", lambda req, resp: "page")
        app.start()
        assert [s.name for s in runtime_for(app).backends] == ["redis"]
        make_client(app).get("/page")
        assert len(ours()) >= 1
        app.stop()
        deadline = time.monotonic() + 2
        while ours() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ours() == []
        # The next request starts the app again, with a new pool.
        assert make_client(app).get("/page").headers["Cache-Status"].startswith("pegboard; hit")
        watcher.close()
    finally:
        server.stop()


def test_apps_in_one_process_keep_their_own_memory_stores(
    make_app, make_client, memory_store, counter
):
    first, second = make_app({"/": memory_store}), make_app({"/": memory_store})
    one, two = counter("first"), counter("second")
    first.route("/page", one)
    second.route("/page", two)
    assert make_client(first).get("/page").text == "first 1"
    assert make_client(second).get("/page").text == "second 1"
    first.stop()
    assert make_client(second).get("/page").text == "second 1"
    assert make_client(first).get("/page").text == "first 2"  # restarted with an empty store


def test_a_route_added_after_start_is_cached_too(make_app, make_client, memory_store, counter):
    app = make_app({"/": memory_store})
    app.start()
    handler = counter("late")
    app.route("/late", handler)
    client = make_client(app)
    client.get("/late")
    assert client.get("/late").headers["Cache-Status"].startswith("pegboard; hit")
    assert handler.calls == 1
