"""Nonce counts in a real Redis: processes agree on replays; an outage is a quick 503."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import redis

from .conftest import digest_challenges


@pytest.fixture
def prefix():
    return f"test:{uuid.uuid4().hex}:"


def redis_options(url: str, prefix: str, **more):
    return {
        "nc_store": "redis",
        "redis_url": url,
        "redis_prefix": prefix,
        "redis_timeout": 0.3,
        **more,
    }


def test_two_processes_sharing_redis_agree_on_replays(
    digest_app, make_client, challenge_of, mufasa, redis_server, prefix
):
    # Two apps built from the same config stand for two worker processes.
    first = make_client(digest_app(**redis_options(redis_server.url, prefix)))
    second = make_client(digest_app(**redis_options(redis_server.url, prefix)))
    challenge = challenge_of(first)
    header = mufasa.header(challenge, "GET", "/")
    assert first.get("/", headers={"Authorization": header}).text == "login=Mufasa"
    replay = second.get("/", headers={"Authorization": header})
    assert replay.status == 401
    assert "replay" in replay.text
    # The next count works on either worker.
    assert (
        second.get("/", headers={"Authorization": mufasa.header(challenge, "GET", "/")}).status
        == 200
    )


def test_redis_keys_expire_with_the_nonce(
    digest_app, make_client, challenge_of, mufasa, redis_server, prefix
):
    client = make_client(digest_app(**redis_options(redis_server.url, prefix, nonce_lifetime=120)))
    challenge = challenge_of(client)
    assert (
        client.get("/", headers={"Authorization": mufasa.header(challenge, "GET", "/")}).status
        == 200
    )
    connection = redis.Redis.from_url(redis_server.url)
    try:
        keys = connection.keys(prefix + "*")
        assert keys == [(prefix + challenge["nonce"]).encode()]
        assert 0 < connection.ttl(keys[0]) <= 121
    finally:
        connection.close()


def test_nonce_count_beyond_the_limit_is_stale_without_touching_redis(
    digest_app, make_client, challenge_of, mufasa, redis_server, prefix
):
    client = make_client(digest_app(**redis_options(redis_server.url, prefix)))
    result = client.get(
        "/", headers={"Authorization": mufasa.header(challenge_of(client), "GET", "/", nc=10**6)}
    )
    assert result.status == 401
    assert all(c["stale"] == "true" for c in digest_challenges(result))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_redis_fails_closed_with_503(
    digest_app, make_client, challenge_of, mufasa, prefix
):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    client = make_client(digest_app(**redis_options(url, prefix)))
    challenge = challenge_of(client)  # issuing a challenge needs no store
    result = client.get("/", headers={"Authorization": mufasa.header(challenge, "GET", "/")})
    assert result.status == 503
    assert "store is unavailable" in result.text
    # A wrong password is refused before the store is asked: still a plain 401.
    wrong = mufasa.header(challenge, "GET", "/", password="x")
    assert client.get("/", headers={"Authorization": wrong}).status == 401


def test_redis_that_never_answers_is_503_within_the_timeout(
    digest_app, make_client, challenge_of, mufasa, prefix
):
    # Accepts connections (the kernel does) but never replies, like a hung server.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        client = make_client(digest_app(**redis_options(url, prefix)))
        header = mufasa.header(challenge_of(client), "GET", "/")
        started = time.monotonic()
        result = client.get("/", headers={"Authorization": header})
        elapsed = time.monotonic() - started
    assert result.status == 503
    assert elapsed < 2.0  # redis_timeout is 0.3 s and there are no retries
