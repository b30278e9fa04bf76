"""The composition matrix: gzip, etags, caching, static, json_out, sessions, cors, secure_headers,
csrf and ratelimit, every pair and all at once.

Every response is decoded as a client would and checked by httplint. What
must hold whatever is on: the body decodes to the right data; a 304 carries
the ETag of its 200; ETags differ between encodings; Vary names every request
header the response depends on (Accept-Encoding under gzip, Cookie under
sessions); a cache hit decodes like the response that was stored, and one
user's page never reaches another; an allowed origin reads every answer (a
cache hit too) and the answer says it varies by Origin; the security headers
are on every response the app makes (static files and cache hits included);
under ratelimit every response (a 304, a cache hit) carries the RateLimit
fields of the request it answers, and a 429 is a well-formed error whatever
else is on.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pegboard.testing.httpcheck import decode_body, lint_response

TOOLS = (
    "gzip",
    "etags",
    "caching",
    "static",
    "json_out",
    "sessions",
    "cors",
    "secure_headers",
    "csrf",
    "ratelimit",
)
ORIGIN = "https://app.example"
CSRF_SECRET = "composition-secret-0123456789abcdefghij"
DATA = {"title": "composition", "rows": [{"n": i, "even": i % 2 == 0} for i in range(60)]}
COMBINATIONS = [
    frozenset(),
    *(frozenset(pair) for pair in itertools.combinations(TOOLS, 2)),
    frozenset(TOOLS),
]
ENCODINGS = (None, "gzip", "br")


def _name(combo: frozenset[str]) -> str:
    return "+".join(t for t in TOOLS if t in combo) or "none"


def build(
    make_app: Any, combo: frozenset[str], public: Path, limits: str = "1000/minute"
) -> tuple[Any, str]:
    """An app with ``combo`` on at "/" and the path the test requests."""
    section: dict[str, Any] = {f"tools.{tool}.on": True for tool in combo if tool != "static"}
    if "etags" in combo:
        section["tools.etags.autotags"] = True
    if "ratelimit" in combo:
        section["tools.ratelimit.limits"] = limits
    if "cors" in combo:
        section["tools.cors.origins"] = [ORIGIN]
        section["tools.cors.methods"] = ["GET", "POST", "PUT"]
    if "csrf" in combo:
        section["tools.csrf.secret"] = CSRF_SECRET
    config: dict[str, Any] = {"/": section}
    if "static" in combo:
        config["/static"] = {"tools.staticdir.on": True, "tools.staticdir.dir": str(public)}
    app = make_app(config)

    @app.route("/data")
    def data(req: Any, resp: Any) -> Any:
        if "sessions" in combo:
            req.session["user"] = req.query.get("user", "anonymous")
        payload = {**DATA, "user": req.session["user"]} if "sessions" in combo else DATA
        if "json_out" in combo:
            return payload
        resp.headers["Content-Type"] = "application/json"
        return json.dumps(payload)

    return app, "/static/data.json" if "static" in combo else "/data"


def expected(combo: frozenset[str], path: str, user: str = "anonymous") -> Any:
    if path.startswith("/static/") or "sessions" not in combo:
        return DATA
    return {**DATA, "user": user}


def check(
    result: Any, headers: dict[str, str], combo: frozenset[str], path: str, user: str
) -> str | None:
    """Common checks for a 200; returns the Content-Encoding."""
    assert result.status == 200, result.text
    coding = result.headers.get("Content-Encoding")
    assert json.loads(decode_body(coding, result.body)) == expected(combo, path, user)
    assert lint_response(result, request_headers=headers.items()) == []
    vary = {v.strip().lower() for v in result.headers.get("Vary", "").split(",") if v.strip()}
    if "gzip" in combo or (path.startswith("/static/") and coding):
        assert "accept-encoding" in vary
    if "sessions" in combo and path == "/data":
        assert "cookie" in vary
    if "cors" in combo:
        assert "origin" in vary
        expected_origin = ORIGIN if headers.get("Origin") == ORIGIN else None
        assert result.headers.get("Access-Control-Allow-Origin") == expected_origin
    if "secure_headers" in combo:
        assert result.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in result.headers["Content-Security-Policy"]
    return coding


def remaining(result: Any, combo: frozenset[str]) -> int | None:
    """The ``r`` of the RateLimit field (None without ratelimit), checked against its policy."""
    if "ratelimit" not in combo:
        assert "RateLimit" not in result.headers
        return None
    assert result.headers["RateLimit-Policy"] == '"1000/60s per ip";q=1000;w=60'
    assert result.headers.get_all("RateLimit") == [result.headers["RateLimit"]]
    found = re.fullmatch(r'"1000/60s per ip";r=(\d+);t=\d+', result.headers["RateLimit"])
    assert found, result.headers["RateLimit"]
    return int(found.group(1))


@pytest.fixture
def public(tmp_path: Path) -> Path:
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "data.json").write_text(json.dumps(DATA))
    return folder


@pytest.mark.parametrize("combo", COMBINATIONS, ids=_name)
def test_composition(make_app: Any, make_client: Any, public: Path, combo: frozenset[str]) -> None:
    app, path = build(make_app, combo, public)
    client = make_client(app)
    tags: dict[str | None, str] = {}
    left: list[int | None] = []
    for encoding in ENCODINGS:
        headers = {"Accept-Encoding": encoding} if encoding else {}
        if "cors" in combo:
            headers["Origin"] = ORIGIN
        first = client.get(path, headers=headers)
        coding = check(first, headers, combo, path, "anonymous")
        left.append(remaining(first, combo))
        if "gzip" in combo and encoding:
            assert coding == encoding
        etag = first.headers.get("ETag")
        if "etags" in combo or path.startswith("/static/"):
            assert etag, "a validator was expected"
            tags[coding] = etag
            again = client.get(path, headers={**headers, "If-None-Match": etag})
            assert again.status == 304
            assert again.body == b""
            assert again.headers["ETag"] == etag  # the tag of the 200
            assert lint_response(again, request_headers=headers.items()) == []
            left.append(remaining(again, combo))
        if "caching" in combo and "sessions" not in combo:
            hit = client.get(path, headers=headers)
            assert "hit" in hit.headers["Cache-Status"], hit.headers["Cache-Status"]
            assert check(hit, headers, combo, path, "anonymous") == coding
            assert hit.body == first.body
            left.append(remaining(hit, combo))
    if len(tags) > 1:
        assert len(set(tags.values())) == len(tags), tags  # one ETag per representation
    if "ratelimit" in combo:
        # every response counted its own request, cache hits and 304s included
        assert left == list(range(999, 999 - len(left), -1)), left


@pytest.mark.parametrize("combo", [c for c in COMBINATIONS if "ratelimit" in c], ids=_name)
def test_a_429_is_a_well_formed_error_whatever_else_is_on(
    make_app: Any, make_client: Any, public: Path, combo: frozenset[str]
) -> None:
    app, path = build(make_app, combo, public, limits="2/minute")
    client = make_client(app)
    headers = {"Accept-Encoding": "gzip"}
    assert [client.get(path, headers=headers).status for _ in range(2)] == [200, 200]
    refused = client.get(path, headers=headers)
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "30"
    assert refused.headers["RateLimit"].endswith(";r=0;t=30")
    assert "Set-Cookie" not in refused.headers  # no session was started for it
    assert lint_response(refused, request_headers=headers.items()) == []
    # The 429 is no one else's answer: another client gets the data, not a stored 429.
    other = make_client(app, remote_addr="192.0.2.77").get(path, headers=headers)
    assert other.status == 200
    body = json.loads(decode_body(other.headers.get("Content-Encoding"), other.body))
    assert body == expected(combo, path)


@pytest.mark.parametrize(
    "combo",
    [c for c in COMBINATIONS if {"caching", "sessions"} <= c],
    ids=_name,
)
def test_cached_pages_never_cross_users(
    make_app: Any, make_client: Any, public: Path, combo: frozenset[str]
) -> None:
    app, _ = build(make_app, combo, public)
    alice, bob = make_client(app), make_client(app)
    for _ in range(3):
        for client, user in ((alice, "alice"), (bob, "bob")):
            for encoding in ENCODINGS:
                headers = {"Accept-Encoding": encoding} if encoding else {}
                result = client.get(f"/data?user={user}", headers=headers)
                body = json.loads(decode_body(result.headers.get("Content-Encoding"), result.body))
                assert body["user"] == user


def test_routes_shows_the_order_of_all_of_them(make_app: Any, public: Path, capsys: Any) -> None:
    app, _ = build(make_app, frozenset(TOOLS), public)
    app.compile()
    plan = app.router.static["/data"].default_plan
    order = [
        (point, hook.source) for point, hooks in plan.hooks.items() for hook in hooks if hook.source
    ]
    finalize = [source for point, source in order if point == "before_finalize"]
    # sessions save, then validators, then compression, then the cache stores what gzip made
    names = ("sessions", "etags", "gzip", "caching", "ratelimit")
    positions = {name: finalize.index(name) for name in names}
    assert positions["sessions"] < positions["etags"] < positions["gzip"] < positions["caching"]
    # the RateLimit fields are written after the cache stored the response
    assert positions["caching"] < positions["ratelimit"]
    # and the limit is counted before anything at before_handler (session, cache, JSON)
    start = [source for point, source in order if point == "on_start_resource"]
    assert "ratelimit" in start

    # the preflight before anything that handles the request (auth, sessions, the cache);
    # csrf between the session's load and the cache; the CORS and security headers written
    # before the cache stores the response
    starts = [source for point, source in order if point == "on_start_resource"]
    handling = [source for point, source in order if point == "before_handler"]
    assert "cors" in starts
    assert handling.index("sessions") < handling.index("csrf") < handling.index("caching")
    positions = {name: finalize.index(name) for name in ("cors", "secure_headers", "caching")}
    assert positions["cors"] < positions["caching"]
    assert positions["secure_headers"] < positions["caching"]


def test_all_nine_on_a_preflight_a_refusal_and_a_500(
    make_app: Any, make_client: Any, public: Path
) -> None:
    app, _ = build(make_app, frozenset(TOOLS), public)

    @app.route("/broken")
    def broken(req: Any, resp: Any) -> Any:
        raise RuntimeError("boom")

    client = make_client(app)
    preflight = client.options(
        "/data", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert preflight.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in preflight.headers  # no session was made for it
    assert "Cache-Status" not in preflight.headers  # the cache never saw it

    forged = client.post(
        "/data", headers={"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"}, data={"a": "1"}
    )
    assert forged.status == 403  # cors lets the origin read; only csrf decides who may send
    assert forged.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert (
        "Request refused"
        in decode_body(forged.headers.get("Content-Encoding"), forged.body).decode()
    )
    assert forged.headers["Content-Security-Policy"]

    crashed = client.get("/broken", headers={"Origin": ORIGIN})
    assert crashed.status == 500
    assert crashed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert crashed.headers["X-Frame-Options"] == "DENY"
    assert "origin" in crashed.headers["Vary"].lower()
