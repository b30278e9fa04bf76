"""``tools.ratelimit`` on the memory store: what a client sees, key by key and tool by tool."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import pytest

import pegboard
import pegboard_auth_basic
import pegboard_caching
import pegboard_http
import pegboard_json
import pegboard_ratelimit
import pegboard_sessions
from pegboard.testing.httpcheck import lint_response
from pegboard_ratelimit import ratelimit_of

ALL = [
    pegboard_ratelimit,
    pegboard_auth_basic,
    pegboard_caching,
    pegboard_http,
    pegboard_json,
    pegboard_sessions,
]


def _app(make_app: Any, config: dict[str, Any] | None = None, **options: Any) -> pegboard.App:
    section = {"tools.ratelimit.on": True}
    section.update({f"tools.ratelimit.{k}": v for k, v in options.items()})
    merged = {path: dict(values) for path, values in (config or {}).items()}
    merged.setdefault("/", {}).update(section)
    app = make_app(merged, plugins=ALL)

    @app.route("/")
    def home(req: Any, resp: Any) -> str:
        status = ratelimit_of(req)
        left = [s.remaining for s in status.statuses] if status else None
        return f"home, remaining {left}"

    @app.route("/other")
    def other(req: Any, resp: Any) -> str:
        return "other"

    @app.route("/items/{id:int}")
    def item(req: Any, resp: Any, id: int) -> str:
        return f"item {id}"

    return app


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_past_the_limit_a_client_gets_429_with_retry_after_and_the_ratelimit_fields(
    make_app, make_client
):
    client = make_client(_app(make_app, limits="2/2 seconds; 10/minute"))
    first, second, third = (client.get("/") for _ in range(3))
    burst_sent = time.monotonic()
    assert [first.status, second.status, third.status] == [200, 200, 429]
    time.sleep(max(0.0, burst_sent + 1.05 - time.monotonic()))  # one interval (1 s) later...
    again, refused_again = client.get("/"), client.get("/")
    assert (again.status, refused_again.status) == (200, 429)  # ...exactly one more passes
    policy = '"2/2s per ip";q=2;w=2, "10/60s per ip";q=10;w=60'
    assert first.headers["RateLimit-Policy"] == policy
    assert first.headers["RateLimit"] == '"2/2s per ip";r=1;t=1, "10/60s per ip";r=9;t=6'
    assert second.headers["RateLimit"] == '"2/2s per ip";r=0;t=1, "10/60s per ip";r=8;t=6'
    assert first.text == "home, remaining [1, 9]"  # ratelimit_of(req) in the handler
    assert third.headers["Retry-After"] == "1"
    assert third.headers["RateLimit-Policy"] == policy
    assert third.headers["RateLimit"].startswith('"2/2s per ip";r=0;t=1, "10/60s per ip";r=8;')
    assert "Too many requests: try again in 1 second." in third.text
    assert lint_response(third) == []


def test_a_refused_request_spends_nothing(make_app, make_client):
    client = make_client(_app(make_app, limits="1/second; 3/minute"))
    assert [client.get("/").status for _ in range(5)] == [200, 429, 429, 429, 429]
    time.sleep(1.05)  # the per-second limit passes one again (the minute's debt is 20 s)
    # the four refused requests took nothing from the per-minute limit: 2 left of 3
    assert '"3/60s per ip";r=1;t=' in client.get("/").headers["RateLimit"]


def test_clients_are_counted_by_address(make_app, make_client):
    app = _app(make_app, limits="1/minute")
    assert make_client(app, remote_addr="192.0.2.1").get("/").status == 200
    assert make_client(app, remote_addr="192.0.2.1").get("/").status == 429
    assert make_client(app, remote_addr="192.0.2.2").get("/").status == 200


@pytest.mark.parametrize(("prefix", "shared"), [(64, True), (128, False)])
def test_ipv6_clients_are_counted_by_their_network(make_app, make_client, prefix, shared):
    app = _app(make_app, limits="1/minute", ipv6_prefix=prefix)
    assert make_client(app, remote_addr="2001:db8:1:2::1").get("/").status == 200
    other_address_same_64 = make_client(app, remote_addr="2001:db8:1:2:aaaa::7").get("/")
    assert other_address_same_64.status == (429 if shared else 200)
    assert make_client(app, remote_addr="2001:db8:1:3::1").get("/").status == 200


def test_behind_a_proxy_the_address_the_proxy_tool_resolved_is_counted(make_app, make_client):
    app = _app(
        make_app,
        {"/": {"tools.proxy.on": True, "tools.proxy.remote": "X-Forwarded-For"}},
        limits="1/minute",
    )
    proxy = make_client(app, remote_addr="127.0.0.1")  # every request comes through the proxy
    assert proxy.get("/", headers={"X-Forwarded-For": "198.51.100.7"}).status == 200
    assert proxy.get("/", headers={"X-Forwarded-For": "198.51.100.7"}).status == 429
    assert proxy.get("/", headers={"X-Forwarded-For": "198.51.100.8"}).status == 200


def test_route_limits_count_every_client_together_per_route_template(make_app, make_client):
    app = _app(make_app, limits="2/minute per route")
    alice = make_client(app, remote_addr="192.0.2.1")
    bob = make_client(app, remote_addr="192.0.2.2")
    assert alice.get("/items/1").status == 200
    assert bob.get("/items/2").status == 200  # the same template: the same count
    assert alice.get("/items/3").status == 429
    assert bob.get("/other").status == 200
    assert '"2/60s per route"' in bob.get("/other").headers["RateLimit"]


def test_a_key_function_counts_by_what_it_returns_and_none_is_not_counted(
    make_app, make_client, keyfuncs
):
    client = make_client(_app(make_app, limits="1/minute", key=f"{keyfuncs}:by_token"))
    assert client.get("/", headers={"X-Api-Token": "a"}).status == 200
    refused = client.get("/", headers={"X-Api-Token": "a"})
    assert refused.status == 429
    assert '"1/60s per by_token"' in refused.headers["RateLimit"]
    assert client.get("/", headers={"X-Api-Token": "b"}).status == 200
    for _ in range(3):  # no token: not counted, no fields
        free = client.get("/")
        assert free.status == 200
        assert "RateLimit" not in free.headers


def test_limits_per_user_count_after_authentication(make_app, make_client):
    checks = []

    def checkpassword(realm: str, user: str, password: str) -> bool:
        checks.append(user)
        return password == f"{user}-pw"

    app = _app(
        make_app,
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "api",
                "tools.auth_basic.checkpassword": checkpassword,
            }
        },
        limits="30/minute per ip; 2/minute per user",
    )
    client = make_client(app)
    statuses = [client.get("/", headers=_basic("alice", "alice-pw")).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = client.get("/", headers=_basic("alice", "alice-pw"))
    assert '"2/60s per user";r=0' in refused.headers["RateLimit"]
    # another user from the same address has a count of their own
    assert client.get("/", headers=_basic("bob", "bob-pw")).status == 200
    # a wrong password is answered 401 by auth_basic first: the user limit never sees it
    assert client.get("/", headers=_basic("carol", "nope")).status == 401


def test_a_flood_is_refused_before_any_password_is_checked(make_app, make_client):
    checks = []

    def checkpassword(realm: str, user: str, password: str) -> bool:
        checks.append(user)
        return False

    app = _app(
        make_app,
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "api",
                "tools.auth_basic.checkpassword": checkpassword,
            }
        },
        limits="3/minute",
    )
    client = make_client(app)
    statuses = [client.get("/", headers=_basic("mallory", f"guess{n}")).status for n in range(50)]
    assert statuses == [401] * 3 + [429] * 47
    assert len(checks) == 3  # 47 guesses cost no password check


def test_a_refused_request_runs_nothing_after_the_limit(make_app, make_client):
    reached = []
    app = _app(
        make_app,
        {"/": {"hooks.before_handler": lambda req, resp: reached.append(req.path)}},
        limits="1/minute",
    )
    client = make_client(app)
    client.post("/", body=b"x" * 1000)
    assert reached == ["/"]
    assert client.post("/", body=b"x" * 1000).status == 429
    assert reached == ["/"]  # no body parsing, session, auth or handler for the 429


def test_the_429_goes_through_the_error_path_so_other_tools_apply(make_app, make_client):
    app = _app(
        make_app,
        {
            "/": {
                "tools.response_headers.on": True,
                "tools.response_headers.headers": {"X-Frame-Options": "DENY"},
                "tools.json_out.on": True,
                "tools.json_out.problem_details": True,
                "tools.request_id.on": True,
            }
        },
        limits="1/minute",
    )
    client = make_client(app)
    client.get("/other")
    refused = client.get("/other")
    assert refused.status == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert refused.json()["detail"] == "Too many requests: try again in 60 seconds."
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["X-Frame-Options"] == "DENY"
    assert refused.headers["X-Request-Id"]
    assert lint_response(refused) == []


def test_the_fields_can_be_left_out_but_retry_after_stays(make_app, make_client):
    client = make_client(_app(make_app, limits="1/minute", headers=False))
    passed = client.get("/")
    assert "RateLimit" not in passed.headers and "RateLimit-Policy" not in passed.headers
    refused = client.get("/")
    assert refused.headers["Retry-After"] == "60"
    assert "RateLimit" not in refused.headers


def test_sections_with_the_same_limits_share_counters_unless_scoped(make_app, make_client):
    config = {"/other": {"tools.ratelimit.scope": "other"}}
    app = _app(make_app, config, limits="1/minute")
    client = make_client(app)
    assert client.get("/").status == 200
    assert client.get("/items/1").status == 429  # the same key and limits as "/": shared
    assert client.get("/other").status == 200  # a scope of its own
    assert client.get("/other").headers["RateLimit-Policy"] == '"other 1/60s per ip";q=1;w=60'


def test_a_cache_hit_is_counted_and_carries_its_own_clients_fields(make_app, make_client):
    app = _app(make_app, {"/": {"tools.caching.on": True}}, limits="5/minute")
    alice = make_client(app, remote_addr="192.0.2.1")
    bob = make_client(app, remote_addr="192.0.2.2")
    for expected in (4, 3, 2):
        assert alice.get("/other").headers["RateLimit"].endswith(f";r={expected};t=12")
    hit = bob.get("/other")
    assert "hit" in hit.headers["Cache-Status"]
    assert hit.headers["RateLimit"] == '"5/60s per ip";r=4;t=12'  # bob's, not alice's
    assert hit.headers.get_all("RateLimit") == [hit.headers["RateLimit"]]
    for _ in range(2):
        alice.get("/other")
    assert alice.get("/other").status == 429  # hits count as requests


def test_an_answer_given_by_an_earlier_tool_is_not_counted(make_app, make_client):
    def preflight(req: Any, resp: Any) -> None:
        if req.method == "OPTIONS":
            resp.status = 204
            req.handler = None

    preflight.priority = 3  # type: ignore[attr-defined]
    app = _app(make_app, {"/": {"hooks.on_start_resource": preflight}}, limits="1/minute")
    client = make_client(app)
    assert [client.options("/").status for _ in range(3)] == [204] * 3
    assert client.get("/").status == 200


def test_head_and_unrouted_paths_count_too(make_app, make_client):
    client = make_client(_app(make_app, limits="2/minute"))
    assert client.head("/").status == 200
    assert client.get("/nowhere").status == 404
    assert client.get("/").status == 429


def test_after_login_moves_a_key_function_after_authentication(make_app, make_client, keyfuncs):
    app = _app(
        make_app,
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "api",
                "tools.auth_basic.users": {"alice": "pw"},
            }
        },
        limits="1/minute",
        key=f"{keyfuncs}:by_login_or_none",
        after_login=True,
    )
    client = make_client(app)
    assert client.get("/", headers=_basic("alice", "pw")).status == 200
    assert client.get("/", headers=_basic("alice", "pw")).status == 429


def test_the_hooks_run_where_the_ordering_table_says(make_app):
    app = _app(
        make_app,
        {
            "/": {
                "tools.proxy.on": True,
                "tools.proxy.remote": "X-Forwarded-For",
                "tools.sessions.on": True,
                "tools.caching.on": True,
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "r",
                "tools.auth_basic.users": {"a": "b"},
            }
        },
        limits="5/second; 100/day per user",
    )
    app.start()
    plan = app.router.static["/"].default_plan
    order = [(point, hook.source) for point, hooks in plan.hooks.items() for hook in hooks]
    start = [s for p, s in order if p == "on_start_resource"]
    assert start.index("proxy") < start.index("ratelimit")  # the client's address first
    handler = [s for p, s in order if p == "before_handler"]
    # per ip before everything at before_handler; per user after auth, before the cache
    assert handler.index("auth_basic") < handler.index("ratelimit") < handler.index("caching")
    assert handler.index("sessions") < handler.index("ratelimit")
    finalize = [s for p, s in order if p == "before_finalize"]
    assert finalize.index("caching") < finalize.index("ratelimit")


def test_the_policy_names_are_structured_field_strings(make_app, make_client):
    client = make_client(_app(make_app, limits="5/15 minutes; 1000/day", scope="api.v1"))
    fields = client.get("/").headers
    item = r'"api\.v1 \d+/\d+s per ip"'
    assert re.fullmatch(rf"{item};q=\d+;w=\d+, {item};q=\d+;w=\d+", fields["RateLimit-Policy"])
    assert re.fullmatch(rf"{item};r=\d+;t=\d+, {item};r=\d+;t=\d+", fields["RateLimit"])
