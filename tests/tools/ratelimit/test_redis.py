"""The Redis store against real Redis servers: shared counts, one round trip, outages.

Round trips are counted with ``MONITOR``, which shows every command a client
sends (and, marked ``lua``, those a script runs inside Redis): a request must
send exactly one ``EVALSHA`` and nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import pegboard
from pegboard_ratelimit import SCRIPT, stores_of
from pegboard_ratelimit.redis_store import redacted

from .conftest import redis_options


def _app(make_app: Any, options: dict[str, Any], limits: str = "3/minute") -> pegboard.App:
    section = {"tools.ratelimit.on": True, "tools.ratelimit.limits": limits, **options}
    app = make_app({"/": section})
    app.route("/", lambda req, resp: "ok")
    return app


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_both_stores_give_the_same_answers(make_app, make_client, redis_server, prefix, storage):
    options = {"tools.ratelimit.storage": storage}
    if storage == "redis":
        options = redis_options(redis_server.url, prefix)
    client = make_client(_app(make_app, options, "3/minute; 2/2 seconds"))
    answers = [client.get("/") for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 429, 429]
    assert [a.headers["RateLimit"] for a in answers] == [
        '"3/60s per ip";r=2;t=20, "2/2s per ip";r=1;t=1',
        '"3/60s per ip";r=1;t=20, "2/2s per ip";r=0;t=1',
        '"3/60s per ip";r=1;t=20, "2/2s per ip";r=0;t=1',
        '"3/60s per ip";r=1;t=20, "2/2s per ip";r=0;t=1',
    ]
    assert [a.headers.get("Retry-After") for a in answers] == [None, None, "1", "1"]


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_limits_on_two_keys_are_all_or_nothing(
    make_app, make_client, redis_server, prefix, storage
):
    options = {"tools.ratelimit.storage": storage}
    if storage == "redis":
        options = redis_options(redis_server.url, prefix)
    app = _app(make_app, options, "1/minute per ip; 3/minute per route")
    alice, bob, carol, dave = (make_client(app, remote_addr=f"192.0.2.{n}") for n in range(1, 5))
    assert [alice.get("/").status for _ in range(4)] == [200, 429, 429, 429]
    # alice's refused requests took nothing from the route's budget: 2 left for others
    assert bob.get("/").status == 200
    third = carol.get("/")
    assert third.status == 200
    assert third.headers["RateLimit"] == '"1/60s per ip";r=0;t=60, "3/60s per route";r=0;t=20'
    last = dave.get("/")
    assert last.status == 429
    assert last.headers["RateLimit"].endswith('"3/60s per route";r=0;t=20')


def test_two_apps_on_one_redis_share_the_count(make_app, make_client, redis_server, prefix):
    options = redis_options(redis_server.url, prefix)
    first = make_client(_app(make_app, options, "5/minute"))
    second = make_client(_app(make_app, options, "5/minute"))
    statuses = [client.get("/").status for _ in range(4) for client in (first, second)]
    assert statuses.count(200) == 5
    assert statuses[5:] == [429, 429, 429]


def test_a_key_lives_until_its_debt_is_paid(make_app, make_client, redis_server, prefix):
    client = make_client(_app(make_app, redis_options(redis_server.url, prefix), "10/minute"))
    client.get("/")
    connection = redis.Redis.from_url(redis_server.url)
    (key,) = connection.keys(f"{prefix}*")
    assert key.decode().endswith(":127.0.0.1")
    assert 5_000 < connection.pttl(key) <= 6_000  # one request of 10/minute: 6 s of debt
    connection.close()


@contextlib.contextmanager
def _monitor(url: str) -> Iterator[list[dict[str, Any]]]:
    """Every command Redis receives while the block runs (scripts' own marked ``lua``)."""
    seen: list[dict[str, Any]] = []
    connection = redis.Redis.from_url(url)
    ready = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        with connection.monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                if "__stop_monitor__" in command["command"]:
                    return
                seen.append(command)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(5)
    time.sleep(0.1)  # MONITOR is registered once the server answered it
    try:
        yield seen
    finally:
        stop.set()
        marker = redis.Redis.from_url(url)
        marker.echo("__stop_monitor__")
        marker.close()
        thread.join(5)
        connection.close()


def test_each_request_is_one_evalsha_and_nothing_else(make_app, make_client, own_redis, prefix):
    client = make_client(_app(make_app, redis_options(own_redis.url, prefix), "3/minute"))
    client.get("/")  # the first request connects and loads the script
    with _monitor(own_redis.url) as seen:
        statuses = [client.get("/").status for _ in range(10)]
    assert statuses == [200, 200] + [429] * 8
    from_clients = [c for c in seen if c.get("client_type") != "lua"]
    apps = {c["client_port"] for c in from_clients if c["command"].upper().startswith("EVALSHA")}
    sent = [c["command"].split()[0].upper() for c in from_clients if c["client_port"] in apps]
    assert sent == ["EVALSHA"] * 10
    others = {c["command"].split()[0].upper() for c in from_clients if c["client_port"] not in apps}
    assert others <= {"HELLO", "CLIENT", "ECHO"}  # the monitor's own connections
    inside = [c["command"].split()[0].upper() for c in seen if c.get("client_type") == "lua"]
    assert inside.count("TIME") == 10  # one script run per request


def test_a_flushed_script_is_sent_again_once(make_app, make_client, own_redis, prefix):
    client = make_client(_app(make_app, redis_options(own_redis.url, prefix), "9/minute"))
    client.get("/")
    admin = redis.Redis.from_url(own_redis.url)
    admin.script_flush()
    admin.config_resetstat()
    assert [client.get("/").status for _ in range(3)] == [200, 200, 200]
    stats = admin.info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] == 3
    assert stats["cmdstat_evalsha"]["failed_calls"] == 1  # NOSCRIPT...
    assert stats["cmdstat_eval"]["calls"] == 1  # ...then EVAL, which caches it again
    assert admin.script_exists(redis.Redis().register_script(SCRIPT).sha) == [True]
    admin.close()


def _down_options(url: str, prefix: str, policy: str) -> dict[str, Any]:
    return redis_options(
        url, prefix, timeout=0.2, retry_interval=0.6, on_store_error=policy, pool_size=4
    )


@contextlib.contextmanager
def _frozen(server: Any) -> Iterator[None]:
    """SIGSTOP the server: it accepts connections and never answers (a hung Redis)."""
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def _timed(client: Any, count: int) -> list[tuple[int, float, Any]]:
    answers = []
    for _ in range(count):
        began = time.monotonic()
        result = client.get("/")
        answers.append((result.status, time.monotonic() - began, result))
    return answers


@pytest.mark.parametrize(
    ("policy", "statuses"),
    [
        ("local", [200, 200, 429, 429, 429, 429]),  # counted in this process meanwhile
        ("allow", [200] * 6),
        ("deny", [503] * 6),
    ],
)
def test_a_hung_redis_costs_bounded_time_and_is_logged_once(
    make_app, make_client, own_redis, prefix, caplog, policy, statuses
):
    caplog.set_level(logging.INFO, "pegboard_ratelimit")
    app = _app(make_app, _down_options(own_redis.url, prefix, policy), "2/minute")
    client = make_client(app)
    with _frozen(own_redis):
        answers = _timed(client, 6)
        (health,) = app.health()
    assert [status for status, _, _ in answers] == statuses
    # The first request waits for the timeouts (connect 0.2 s, and a pool of idle
    # connections may need a second connect); the rest do not ask Redis at all.
    assert answers[0][1] < 3 * 0.2 + 0.3, answers[0][1]
    assert all(seconds < 0.1 for _, seconds, _ in answers[1:]), answers
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "failed" in errors[0].getMessage()
    assert f"on_store_error = '{policy}'" in errors[0].getMessage()
    assert health.up is False and "Timeout" in health.detail
    if policy == "deny":
        assert answers[0][2].headers["Retry-After"] == "1"
    if policy == "allow":
        assert "RateLimit" not in answers[0][2].headers


def test_after_an_outage_the_shared_count_resumes_and_says_so(
    make_app, make_client, own_redis, prefix, caplog
):
    caplog.set_level(logging.INFO, "pegboard_ratelimit")
    app = _app(make_app, _down_options(own_redis.url, prefix, "local"), "50/minute")
    client = make_client(app)
    assert client.get("/").status == 200
    own_redis.kill()
    for _ in range(20):
        assert client.get("/").status == 200
    own_redis.restart()
    time.sleep(0.7)  # past retry_interval: the next request asks Redis again
    assert client.get("/").status == 200
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "failed" in m]) == 1
    assert len([m for m in messages if "answers again after" in m]) == 1
    (health,) = app.health()
    assert health.up is True
    # The restarted Redis (no persistence) counts afresh: one request so far.
    connection = redis.Redis.from_url(own_redis.url)
    (key,) = connection.keys(f"{prefix}*")
    assert 1_100 <= connection.pttl(key) <= 1_200  # one request's debt of 50/minute
    connection.close()


def test_a_refused_connection_fails_fast_under_deny(make_app, make_client, own_redis, prefix):
    app = _app(make_app, _down_options(own_redis.url, prefix, "deny"), "2/minute")
    client = make_client(app)
    own_redis.kill()
    answers = _timed(client, 3)
    assert [status for status, _, _ in answers] == [503, 503, 503]
    assert all(seconds < 0.5 for _, seconds, _ in answers)
    assert "unavailable" in answers[0][2].text


def test_passwords_never_reach_the_log_or_the_health_page():
    assert redacted("redis://:s3cret@cache.example:6380/2") == "redis://:***@cache.example:6380/2"
    assert redacted("rediss://app:s3cret@cache.example/0") == "rediss://app:***@cache.example/0"
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_the_stores_close_with_the_app(make_app, make_client, redis_server, prefix):
    app = _app(make_app, redis_options(redis_server.url, prefix))
    app.start()
    (waiting,) = app.health()
    assert waiting.up and "not asked yet" in waiting.detail
    make_client(app).get("/")
    (answered,) = app.health()
    assert answered.up and answered.detail.startswith(redis_server.url)
    stores = stores_of(app)
    assert stores is not None
    (store,) = stores.redis.values()
    assert store.client is not None
    assert [h.name for h in app.health()] == [store.name]
    app.stop()
    assert store.client is None
    assert app.health() == []
