"""auth_digest on the typed tool API: its option class, declared hooks, stores in app.state."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

import pegboard
from pegboard import OptionError
from pegboard_auth_digest import DigestAuthOptions, DigestAuthTool

from .conftest import KEY

BASE = {"realm": "zoo", "key": KEY, "users": {"Mufasa": "Circle of Life"}}


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"realm": "a\\b"}, "realm"),
        ({"key": "short"}, "key"),
        ({"users": None}, "users"),
        ({"htdigest": "file"}, "htdigest"),
        ({"algorithms": ("SHA256",)}, "algorithms"),
        ({"algorithms": ()}, "algorithms"),
        ({"qop": ("auth", "auth-conf")}, "qop"),
        ({"qop": ()}, "qop"),
        ({"nonce_lifetime": 0}, "nonce_lifetime"),
        ({"max_nonces": 0}, "max_nonces"),
        ({"redis_timeout": 0.0}, "redis_timeout"),
        ({"nc_store": "redis"}, "redis_url"),
        ({"users": None, "get_ha1": lambda realm, user: None, "userhash": True}, "userhash"),
    ],
)
def test_the_option_class_refuses_values_that_cannot_work(options, key):
    with pytest.raises(OptionError) as caught:
        DigestAuthOptions(**{**BASE, **options})
    assert caught.value.key == key


def test_single_names_are_accepted_where_lists_are():
    options = DigestAuthOptions(**BASE, algorithms="MD5", qop="auth-int")
    assert (options.algorithms, options.qop) == ("MD5", "auth-int")


def test_every_option_has_a_meaning_and_numbers_their_unit():
    options = DigestAuthTool().options
    assert all(option.doc for option in options.values())
    assert options["nonce_lifetime"].unit == "seconds"
    assert options["redis_timeout"].unit == "seconds"
    assert {name for name, option in options.items() if option.required} == {"realm", "key"}


def test_declared_hooks_are_the_attached_ones_and_the_per_request_one(
    digest_app, make_client, challenge_of, mufasa
):
    tool = DigestAuthTool()
    seen = []

    def record(req, resp):
        seen.extend(
            ("before_finalize", hook.priority)
            for hook in req.plan.hooks["before_finalize"]
            if getattr(hook.callback, "__module__", "").startswith("pegboard_auth_digest")
        )

    record.priority = 99
    app = digest_app(qop=["auth", "auth-int"], extra={"hooks.on_end_resource": record})
    attached = {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "auth_digest"
    }
    assert attached == {(h.point, h.priority) for h in tool.hooks if not h.per_request}
    client = make_client(app)
    challenge = challenge_of(client)
    header = mufasa.header(challenge, "POST", "/echo", body=b"x", qop="auth-int")
    result = client.post("/echo", body=b"x", headers={"Authorization": header})
    assert result.status == 200 and "Authentication-Info" in result.headers
    per_request = {(h.point, h.priority) for h in tool.hooks if h.per_request}
    assert per_request <= set(seen)


def test_explicit_algorithms_an_htdigest_file_cannot_give_are_a_config_error(digest_app, tmp_path):
    path = tmp_path / "htdigest"
    path.write_text("Mufasa:zoo:" + "0" * 32 + "\n", encoding="utf-8")
    app = digest_app(users=None, htdigest=str(path), algorithms=["SHA-256"])
    with pytest.raises(
        pegboard.ConfigError, match=r"tools\.auth_digest\.algorithms.*only give MD5"
    ):
        app.start()
    fine = digest_app(users=None, htdigest=str(path))  # the default list falls back to MD5
    fine.start()
    assert fine.state.auth_digest.htdigest(str(path), "zoo") is not None


def _clients(connection, name):
    return [c for c in connection.client_list() if c.get("name") == name]


def _clients_after_close(connection, name, timeout=2.0):
    """The named clients once Redis has seen the closes (it notices them asynchronously)."""
    deadline = time.monotonic() + timeout
    while (found := _clients(connection, name)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def test_stop_closes_the_redis_connections_and_a_restart_reconnects(
    digest_app, make_client, challenge_of, mufasa, redis_server
):
    prefix = f"test:{uuid.uuid4().hex}:"
    observer = redis.Redis.from_url(redis_server.url)
    name = f"digest-{uuid.uuid4().hex[:8]}"
    url = f"{redis_server.url}?client_name={name}"
    try:
        app = digest_app(nc_store="redis", redis_url=url, redis_prefix=prefix)
        client = make_client(app)
        challenge = challenge_of(client)
        ok = client.get("/", headers={"Authorization": mufasa.header(challenge, "GET", "/")})
        assert ok.status == 200
        assert len(_clients(observer, name)) == 1
        app.stop()
        assert _clients_after_close(observer, name) == []
        # The next request starts the app again; the same store reconnects.
        again = client.get("/", headers={"Authorization": mufasa.header(challenge, "GET", "/")})
        assert again.status == 200
        assert len(_clients(observer, name)) == 1
        app.stop()
    finally:
        observer.close()


def test_each_app_keeps_its_own_stores(digest_app):
    first, second = digest_app(), digest_app()
    first.start()
    second.start()
    assert first.state.auth_digest is not second.state.auth_digest
