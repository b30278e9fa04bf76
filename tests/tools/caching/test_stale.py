"""Stale responses: refetched, or served under stale-while-revalidate / stale-if-error."""

from __future__ import annotations

import time

import pytest

from pegboard import HTTPError
from pegboard_caching.testing import use_clock, wait_for_refreshes


def _versioned(app, cache_control, fail=None):
    state = {"version": 0, "fail": fail}

    @app.route("/news")
    def news(req, resp):
        if state["fail"] == "raise":
            raise RuntimeError("database down")
        if state["fail"] == "503":
            raise HTTPError(503, "try later")
        state["version"] += 1
        resp.headers["Cache-Control"] = cache_control
        return f"news v{state['version']}"

    return state


def test_a_real_max_age_runs_out(make_app, make_client, memory_store):
    """One test on the real clock: max-age=1 is stale a second later."""
    app = make_app({"/": memory_store})
    state = _versioned(app, "max-age=1")
    client = make_client(app)
    assert client.get("/news").text == "news v1"
    assert client.get("/news").text == "news v1"
    time.sleep(1.05)
    assert client.get("/news").text == "news v2"
    assert state["version"] == 2


def test_stale_while_revalidate_serves_stale_and_refreshes_in_the_background(
    make_app, make_client, store
):
    app = make_app({"/": store})
    state = _versioned(app, "max-age=10, stale-while-revalidate=30")
    clock = use_clock(app)
    client = make_client(app)
    client.get("/news")
    clock.advance(15)
    stale = client.get("/news")
    assert stale.text == "news v1"
    assert stale.headers["Cache-Status"] == "pegboard; hit; ttl=-5; detail=stale-while-revalidate"
    assert stale.headers["Age"] == "15"
    wait_for_refreshes(app)
    assert state["version"] == 2
    fresh = client.get("/news")
    assert fresh.text == "news v2"
    assert fresh.headers["Cache-Status"].startswith("pegboard; hit; ttl=")
    assert fresh.headers["Age"] == "0"


def test_stale_while_revalidate_refreshes_once_for_many_requests(
    make_app, make_client, memory_store
):
    app = make_app({"/": memory_store})
    state = _versioned(app, "max-age=10, stale-while-revalidate=30")
    clock = use_clock(app)
    client = make_client(app)
    client.get("/news")
    clock.advance(15)
    assert {client.get("/news").text for _ in range(5)} <= {"news v1", "news v2"}
    wait_for_refreshes(app)
    assert state["version"] == 2


def test_beyond_stale_while_revalidate_the_request_waits_for_a_fresh_response(
    make_app, make_client, memory_store
):
    app = make_app({"/": memory_store})
    _versioned(app, "max-age=10, stale-while-revalidate=30")
    clock = use_clock(app)
    client = make_client(app)
    client.get("/news")
    clock.advance(41)
    result = client.get("/news")
    assert result.text == "news v2"
    assert result.headers["Cache-Status"] == "pegboard; fwd=stale; stored"


@pytest.mark.parametrize("failure", ["503", "raise"])
def test_stale_if_error_serves_the_stale_response_when_the_handler_fails(
    make_app, make_client, store, failure
):
    app = make_app({"/": store})
    state = _versioned(app, "max-age=10, stale-if-error=60")
    clock = use_clock(app)
    client = make_client(app)
    client.get("/news")
    clock.advance(20)
    state["fail"] = failure
    result = client.get("/news")
    assert result.status == 200
    assert result.text == "news v1"
    assert result.headers["Cache-Status"] == "pegboard; hit; ttl=-10; detail=stale-if-error"
    assert result.headers["Age"] == "20"
    clock.advance(60)
    assert client.get("/news").status in (500, 503)  # beyond the window the error shows


def test_without_stale_if_error_the_error_shows(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})
    state = _versioned(app, "max-age=10")
    clock = use_clock(app)
    client = make_client(app)
    client.get("/news")
    clock.advance(20)
    state["fail"] = "503"
    assert client.get("/news").status == 503


def test_must_revalidate_forbids_serving_stale(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})
    state = _versioned(
        app, "max-age=10, must-revalidate, stale-while-revalidate=30, stale-if-error=30"
    )
    clock = use_clock(app)
    client = make_client(app)
    client.get("/news")
    clock.advance(15)
    assert client.get("/news").text == "news v2"
    clock.advance(15)
    state["fail"] = "503"
    assert client.get("/news").status == 503


def test_the_stale_response_answers_validators(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["ETag"] = '"v1"'
        resp.headers["Cache-Control"] = "max-age=10, stale-while-revalidate=30"
        return "doc"

    clock = use_clock(app)
    client = make_client(app)
    client.get("/doc")
    clock.advance(15)
    result = client.get("/doc", headers={"If-None-Match": '"v1"'})
    assert result.status == 304
    wait_for_refreshes(app)
