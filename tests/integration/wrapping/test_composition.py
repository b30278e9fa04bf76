"""Flask, Django and Falcon apps with sessions, auth_basic, caching, gzip and etags on by config.

The composition checks the core's own handlers pass (tests/integration/test_composition.py),
now around apps pegboard cannot see into: every response decoded as a client
would and linted by httplint; a 304 carries its 200's ETag; each encoding has
its own ETag; Vary names Accept-Encoding under gzip and Cookie under sessions;
a cache hit is the stored response and never reaches the app; one user's page
never reaches another; a tool that answers first (a 401) means the app is not
called. Sessions run on RAM and on a real Redis.
"""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest

from pegboard.testing import Client
from pegboard.testing.httpcheck import decode_body, lint_response

from .apps import DATA, FRAMEWORKS
from .conftest import ALICE, BOB, tool_config

TOOLS = ("sessions", "auth_basic", "caching", "gzip", "etags")
COMBINATIONS = [
    frozenset(),
    *(frozenset(pair) for pair in itertools.combinations(TOOLS, 2)),
    frozenset(TOOLS),
]
ENCODINGS = (None, "gzip", "br")


def _name(combo: frozenset[str]) -> str:
    return "+".join(t for t in TOOLS if t in combo) or "none"


CASES = [
    pytest.param(framework, combo, store, id=f"{framework}-{_name(combo)}-{store}")
    for framework in FRAMEWORKS
    for combo in COMBINATIONS
    for store in (("ram", "redis") if "sessions" in combo else ("ram",))
]


def basic(user: tuple[str, str]) -> dict[str, str]:
    token = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _redis(request: pytest.FixtureRequest, store: str) -> str | None:
    return request.getfixturevalue("redis_server").url if store == "redis" else None


def check(result: Any, headers: dict[str, str], combo: frozenset[str], user: str) -> str | None:
    """The checks every 200 of /data passes; returns its Content-Encoding."""
    assert result.status == 200, result.text
    coding = result.headers.get("Content-Encoding")
    expected = {**DATA, "user": user} if "sessions" in combo else DATA
    assert json.loads(decode_body(coding, result.body)) == expected
    assert lint_response(result, request_headers=headers.items()) == []
    vary = {v.strip().lower() for v in result.headers.get("Vary", "").split(",") if v.strip()}
    if "gzip" in combo:
        assert "accept-encoding" in vary
    if "sessions" in combo:
        assert "cookie" in vary
    return coding


@pytest.mark.parametrize(("framework", "combo", "store"), CASES)
def test_composition(
    wrap_site: Any,
    request: pytest.FixtureRequest,
    framework: str,
    combo: frozenset[str],
    store: str,
) -> None:
    app, counters = wrap_site(framework, {"/": tool_config(combo, store, _redis(request, store))})
    client = Client(app)
    auth = basic(ALICE) if "auth_basic" in combo else {}
    if auth:
        denied = client.get("/data")
        assert denied.status == 401 and "WWW-Authenticate" in denied.headers
        assert lint_response(denied) == []
        assert counters.calls == []  # the tool answered; the app was never called
    tags: dict[str | None, str] = {}
    for encoding in ENCODINGS:
        headers = {**auth, **({"Accept-Encoding": encoding} if encoding else {})}
        first = client.get("/data?user=alice", headers=headers)
        coding = check(first, headers, combo, "alice")
        if "gzip" in combo and encoding:
            assert coding == encoding
        etag = first.headers.get("ETag")
        if "etags" in combo:
            assert etag, "a validator was expected"
            tags[coding] = etag
            again = client.get("/data?user=alice", headers={**headers, "If-None-Match": etag})
            assert again.status == 304, again.text
            assert again.body == b""
            assert again.headers["ETag"] == etag  # the tag of the 200
            assert lint_response(again, request_headers=headers.items()) == []
        if "caching" in combo and not {"sessions", "auth_basic"} & combo:
            calls = len(counters.calls)
            hit = client.get("/data?user=alice", headers=headers)
            assert "hit" in hit.headers["Cache-Status"], hit.headers["Cache-Status"]
            assert check(hit, headers, combo, "alice") == coding
            assert hit.body == first.body
            assert len(counters.calls) == calls  # answered without the app
    if len(tags) > 1:
        assert len(set(tags.values())) == len(tags), tags  # one ETag per representation


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("store", ["ram", "redis"])
def test_cached_pages_never_cross_users(
    wrap_site: Any, request: pytest.FixtureRequest, framework: str, store: str
) -> None:
    combo = frozenset(TOOLS)
    app, _ = wrap_site(framework, {"/": tool_config(combo, store, _redis(request, store))})
    alice, bob = Client(app), Client(app)
    for _ in range(3):
        for client, user in ((alice, ALICE), (bob, BOB)):
            for encoding in ENCODINGS:
                headers = {**basic(user), **({"Accept-Encoding": encoding} if encoding else {})}
                result = client.get(f"/data?user={user[0]}", headers=headers)
                assert result.status == 200
                body = json.loads(decode_body(result.headers.get("Content-Encoding"), result.body))
                assert body["user"] == user[0]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_page_stored_behind_auth_is_never_served_without_credentials(
    wrap_site: Any, framework: str
) -> None:
    app, counters = wrap_site(framework, {"/": tool_config({"auth_basic", "caching", "gzip"})})
    client = Client(app)
    # Django's RemoteUserMiddleware signs alice in to Django's own session at her
    # first request: that answer sets a cookie, so the cache keeps the next one.
    pages = [client.get("/shared", headers=basic(ALICE)) for _ in range(3)]
    assert "hit" in pages[-1].headers["Cache-Status"]  # public: stored despite Authorization
    assert pages[-1].text == pages[-2].text
    builds, calls = counters.shared_builds, list(counters.calls)
    assert builds <= 2
    anonymous = client.get("/shared")
    assert anonymous.status == 401 and "shared page" not in anonymous.text
    wrong = client.get("/shared", headers=basic(("alice", "guess")))
    assert wrong.status == 401 and "shared page" not in wrong.text
    assert (counters.shared_builds, counters.calls) == (builds, calls)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_user_of_auth_basic_is_the_frameworks_user(wrap_site: Any, framework: str) -> None:
    app, _ = wrap_site(framework, {"/": tool_config({"auth_basic"})})
    client = Client(app)
    assert client.get("/whoami", headers=basic(ALICE)).text == "alice"
    assert client.get("/whoami", headers=basic(BOB)).text == "bob"
    wrong = client.get("/whoami", headers=basic(("alice", "nope")))
    assert wrong.status == 401


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_app_reads_the_body_json_in_parsed_first(wrap_site: Any, framework: str) -> None:
    app, _ = wrap_site(framework, {"/": {"tools.json_in.on": True, "tools.gzip.on": True}})
    payload = {"text": "héllo", "n": [1, 2, 3]}
    result = Client(app).post("/echo", json=payload)
    assert result.status == 200
    assert result.json() == {"framework": payload, "pegboard": payload}
    bad = Client(app).post("/echo", body=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status == 400  # json_in answered: the app never saw it


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_streamed_body_streams_through_gzip_and_closes_before_on_end_request(
    wrap_site: Any, framework: str
) -> None:
    log: list[str] = []
    config = {
        "/": {
            "tools.gzip.on": True,
            "tools.sessions.on": True,
            "hooks.on_end_request": lambda req, resp: log.append("on_end_request"),
        }
    }
    app, counters = wrap_site(framework, config)
    counters.log = log
    result = Client(app).get("/stream", headers={"Accept-Encoding": "gzip"})
    assert result.status == 200
    assert result.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in result.headers  # it streamed
    assert decode_body("gzip", result.body) == b"a" * 2000 + b"b" * 2000 + b"c" * 2000
    assert lint_response(result, request_headers=[("Accept-Encoding", "gzip")]) == []
    assert log == ["chunk /stream"] * 3 + ["closed", "on_end_request"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_request_id_and_cache_tags_reach_the_app(wrap_site: Any, framework: str) -> None:
    import pegboard_caching

    config = {"/": {"tools.request_id.on": True}, "/tagged": {"tools.caching.on": True}}
    app, counters = wrap_site(framework, config)
    client = Client(app)
    rid = client.get("/rid")
    assert rid.text == rid.headers["X-Request-Id"] and len(rid.text) == 32
    assert client.get("/tagged").text == client.get("/tagged").text == "tagged page, build 1"
    assert counters.tagged_builds == 1
    assert pegboard_caching.purge_tag(app, "tagged") == 1
    assert client.get("/tagged").text == "tagged page, build 2"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_http_error_raised_in_a_view_is_pegboards_answer(wrap_site: Any, framework: str) -> None:
    app, _ = wrap_site(framework, {"/": {"tools.gzip.on": True}})
    result = Client(app).get("/boom")
    assert result.status == 503
    assert result.headers["Retry-After"] == "1"
    assert "The store is down." in result.text
    assert lint_response(result) == []
