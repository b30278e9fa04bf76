"""Hits and misses on every backend: what is served, with which headers, and when."""

from __future__ import annotations

from email.utils import formatdate

from pegboard_caching.testing import use_clock


def _app(make_app, store, counter, path="/page", config=None, **handler_options):
    app = make_app({"/": {**store, **(config or {})}})
    handler = counter(**handler_options)
    app.route(path, handler)
    return app, handler


def test_second_get_is_a_hit_served_without_the_handler(make_app, make_client, store, counter):
    app, handler = _app(make_app, store, counter)
    client = make_client(app)
    first = client.get("/page")
    second = client.get("/page")
    assert first.text == second.text == "call 1"
    assert handler.calls == 1
    assert first.headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
    assert "Age" not in first.headers
    assert second.headers["Cache-Status"].startswith("pegboard; hit; ttl=")
    assert second.headers["Age"] == "0"
    assert second.headers["Content-Type"] == "text/html; charset=utf-8"
    assert second.headers["Content-Length"] == "6"


def test_age_and_ttl_follow_the_clock(make_app, make_client, store, counter):
    app, handler = _app(make_app, store, counter)
    clock = use_clock(app)
    client = make_client(app)
    client.get("/page")
    clock.advance(42)
    hit = client.get("/page")
    assert hit.headers["Age"] == "42"
    assert hit.headers["Cache-Status"] == "pegboard; hit; ttl=558"  # delay 600 - 42
    assert handler.calls == 1


def test_entry_expires_after_delay_and_is_fetched_again(make_app, make_client, store, counter):
    app, _ = _app(make_app, store, counter, config={"tools.caching.delay": 30})
    clock = use_clock(app)
    client = make_client(app)
    client.get("/page")
    clock.advance(29)
    assert client.get("/page").text == "call 1"
    clock.advance(2)
    again = client.get("/page")
    assert again.text == "call 2"
    assert again.headers["Cache-Status"] == "pegboard; fwd=stale; stored"
    assert client.get("/page").text == "call 2"


def test_query_strings_and_hosts_are_different_urls(make_app, make_client, store, counter):
    app, _ = _app(make_app, store, counter)
    client = make_client(app)
    assert client.get("/page?a=1").text == "call 1"
    assert client.get("/page?a=2").text == "call 2"
    assert client.get("/page?a=1").text == "call 1"
    other_host = make_client(app, base_url="http://example.org")
    assert other_host.get("/page?a=1").text == "call 3"


def test_head_is_answered_from_the_stored_get_and_never_stored_itself(
    make_app, make_client, store, counter
):
    app, handler = _app(make_app, store, counter)
    client = make_client(app)
    head = client.head("/page")
    assert head.body == b"" and handler.calls == 1
    assert head.headers["Cache-Status"] == "pegboard; fwd=uri-miss"
    assert client.get("/page").text == "call 2"
    head = client.head("/page")
    assert head.body == b""
    assert head.headers["Content-Length"] == "6"
    assert head.headers["Cache-Status"].startswith("pegboard; hit")
    assert handler.calls == 2


def test_conditional_request_on_a_hit_gets_304_by_weak_etag(make_app, make_client, store):
    app = make_app({"/": store})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["ETag"] = '"v1"'
        resp.headers["Cache-Control"] = "max-age=60"
        return "document"

    client = make_client(app)
    client.get("/doc")
    for tag in ('"v1"', 'W/"v1"', '"other", W/"v1"', "*"):
        result = client.get("/doc", headers={"If-None-Match": tag})
        assert result.status == 304, tag
        assert result.body == b""
        assert result.headers["ETag"] == '"v1"'
        assert result.headers["Cache-Control"] == "max-age=60"
        assert result.headers["Cache-Status"].startswith("pegboard; hit")
        assert "Content-Type" not in result.headers
    changed = client.get("/doc", headers={"If-None-Match": '"v0"'})
    assert changed.status == 200 and changed.text == "document"


def test_conditional_request_on_a_hit_gets_304_by_last_modified(make_app, make_client, store):
    app = make_app({"/": store})
    modified = 1_700_000_000

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["Last-Modified"] = formatdate(modified, usegmt=True)
        return "document"

    client = make_client(app)
    client.get("/doc")
    same = client.get("/doc", headers={"If-Modified-Since": formatdate(modified, usegmt=True)})
    later = client.get(
        "/doc", headers={"If-Modified-Since": formatdate(modified + 60, usegmt=True)}
    )
    earlier = client.get(
        "/doc", headers={"If-Modified-Since": formatdate(modified - 60, usegmt=True)}
    )
    garbage = client.get("/doc", headers={"If-Modified-Since": "yesterday"})
    assert (same.status, later.status, earlier.status, garbage.status) == (304, 304, 200, 200)
    assert earlier.text == "document"


def test_if_none_match_wins_over_if_modified_since(make_app, make_client, store):
    app = make_app({"/": store})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["ETag"] = '"v2"'
        resp.headers["Last-Modified"] = formatdate(1_700_000_000, usegmt=True)
        return "document"

    client = make_client(app)
    client.get("/doc")
    result = client.get(
        "/doc",
        headers={
            "If-None-Match": '"v1"',
            "If-Modified-Since": formatdate(1_800_000_000, usegmt=True),
        },
    )
    assert result.status == 200


def test_conditional_request_on_a_cold_cache_fills_it_and_still_gets_304(
    make_app, make_client, store
):
    app = make_app({"/": store})
    calls = []

    @app.route("/doc")
    def doc(req, resp):
        calls.append(req.headers.get("If-None-Match"))
        resp.headers["ETag"] = '"v1"'
        return "document"

    client = make_client(app)
    first = client.get("/doc", headers={"If-None-Match": '"v1"'})
    assert first.status == 304
    assert first.headers["ETag"] == '"v1"'
    assert first.headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
    full = client.get("/doc")
    assert full.status == 200 and full.text == "document"
    assert full.headers["Cache-Status"].startswith("pegboard; hit")
    assert calls == [None]  # the handler saw an unconditional request and ran once


def test_uncacheable_response_still_answers_validators(make_app, make_client, store):
    app = make_app({"/": store})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["ETag"] = '"v1"'
        resp.headers["Cache-Control"] = "no-store"
        return "document"

    client = make_client(app)
    assert client.get("/doc", headers={"If-None-Match": '"v1"'}).status == 304
    assert client.get("/doc", headers={"If-None-Match": '"v0"'}).status == 200


def test_range_requests_bypass_the_cache(make_app, make_client, store, counter):
    app, handler = _app(make_app, store, counter)
    client = make_client(app)
    client.get("/page")
    ranged = client.get("/page", headers={"Range": "bytes=0-1"})
    assert ranged.headers["Cache-Status"] == "pegboard; fwd=request; detail=range"
    assert handler.calls == 2


def test_response_headers_come_back_on_a_hit_and_repeated_ones_stay_separate(
    make_app, make_client, store
):
    app = make_app({"/": store})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["Content-Type"] = "application/xml"
        resp.headers["X-Thing"] = "one"
        resp.headers.add("Link", "</a.css>; rel=preload")
        resp.headers.add("Link", "</b.js>; rel=preload")
        return b"<doc/>"

    client = make_client(app)
    miss = client.get("/doc")
    hit = client.get("/doc")
    assert hit.headers["Cache-Status"].startswith("pegboard; hit")
    assert hit.headers["Content-Type"] == "application/xml"
    assert hit.headers["X-Thing"] == "one"
    assert (
        hit.headers.get_all("Link")
        == miss.headers.get_all("Link")
        == [
            "</a.css>; rel=preload",
            "</b.js>; rel=preload",
        ]
    )
    assert "Date" in hit.headers


def test_empty_204_is_cached(make_app, make_client, store):
    app = make_app({"/": store})
    calls = []

    @app.route("/ping")
    def ping(req, resp):
        calls.append(1)
        resp.status = 204

    client = make_client(app)
    assert client.get("/ping").status == 204
    hit = client.get("/ping")
    assert hit.status == 204 and hit.body == b""
    assert hit.headers["Cache-Status"].startswith("pegboard; hit")
    assert len(calls) == 1


def test_a_tag_without_the_coding_suffix_matches_a_compressed_entry(make_app, make_client, store):
    """The gzip contract: ``"abc-gzip"`` is ``"abc"`` compressed; a client may hold either."""
    import gzip

    app = make_app({"/": store})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["Content-Encoding"] = "gzip"
        resp.headers["ETag"] = '"abc-gzip"'
        resp.headers["Vary"] = "Accept-Encoding"
        return gzip.compress(b"document")

    client = make_client(app)
    zipped = {"Accept-Encoding": "gzip"}
    client.get("/doc", headers=zipped)
    for tag in ('"abc-gzip"', '"abc"', 'W/"abc"'):
        result = client.get("/doc", headers={**zipped, "If-None-Match": tag})
        assert result.status == 304, tag
        assert result.headers["ETag"] == '"abc-gzip"'
    assert client.get("/doc", headers={**zipped, "If-None-Match": '"abc-br"'}).status == 200


def test_request_cache_control_cannot_force_the_handler_to_run(
    make_app, make_client, store, counter
):
    app, handler = _app(make_app, store, counter)
    client = make_client(app)
    client.get("/page")
    for value in ("no-cache", "max-age=0", "no-store"):
        result = client.get("/page", headers={"Cache-Control": value, "Pragma": "no-cache"})
        assert result.headers["Cache-Status"].startswith("pegboard; hit"), value
    assert handler.calls == 1
