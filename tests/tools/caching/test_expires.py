"""The expires tool: CherryPy's ``tools.expires`` semantics, and how the cache reads it."""

from __future__ import annotations

import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest

from pegboard_caching.testing import use_clock


def _app(make_app, respond, **options):
    config = {"tools.expires.on": True, **{f"tools.expires.{k}": v for k, v in options.items()}}
    app = make_app({"/": config})
    app.route("/r", respond)
    return app


def _with(**headers):
    def respond(req, resp):
        for name, value in headers.items():
            resp.headers[name.replace("_", "-")] = value
        return "body"

    return respond


def _seconds_ahead(result):
    return parsedate_to_datetime(result.headers["Expires"]).timestamp() - time.time()


@pytest.mark.parametrize("secs", [3600, 3600.0, timedelta(hours=1)])
def test_expires_in_secs_on_a_response_that_looks_cacheable(make_app, make_client, secs):
    app = _app(make_app, _with(ETag='"x"'), secs=secs)
    result = make_client(app).get("/r")
    assert 3590 < _seconds_ahead(result) <= 3600
    assert "Pragma" not in result.headers and "Cache-Control" not in result.headers


def test_nothing_is_set_on_a_response_without_cacheability_indicators(make_app, make_client):
    app = _app(make_app, _with(), secs=3600)
    result = make_client(app).get("/r")
    assert "Expires" not in result.headers


@pytest.mark.parametrize("indicator", ["ETag", "Last_Modified", "Age", "Expires"])
def test_each_indicator_counts(make_app, make_client, indicator):
    value = {"ETag": '"x"', "Age": "0"}.get(indicator, "Thu, 01 Jan 2026 00:00:00 GMT")
    app = _app(make_app, _with(**{indicator: value}), secs=60)
    result = make_client(app).get("/r")
    assert "Expires" in result.headers


def test_force_sets_it_on_any_response_and_replaces_an_existing_expires(make_app, make_client):
    app = _app(make_app, _with(Expires="Thu, 01 Jan 2026 00:00:00 GMT"), secs=60, force=True)
    assert 50 < _seconds_ahead(make_client(app).get("/r")) <= 60
    app = _app(make_app, _with(), secs=60, force=True)
    assert 50 < _seconds_ahead(make_client(app).get("/r")) <= 60


def test_an_existing_expires_is_kept_without_force(make_app, make_client):
    app = _app(make_app, _with(Expires="Thu, 01 Jan 2026 00:00:00 GMT"), secs=60)
    assert make_client(app).get("/r").headers["Expires"] == "Thu, 01 Jan 2026 00:00:00 GMT"


def test_zero_secs_marks_the_response_uncacheable(make_app, make_client):
    app = _app(make_app, _with(ETag='"x"'), secs=0)
    result = make_client(app).get("/r")
    assert result.headers["Pragma"] == "no-cache"
    assert result.headers["Cache-Control"] == "no-cache, must-revalidate"
    assert result.headers["Expires"] == "Sun, 28 Jan 2007 00:00:00 GMT"


def test_zero_secs_keeps_existing_headers_unless_forced(make_app, make_client):
    respond = _with(Cache_Control="max-age=5", Pragma="x", Expires="Thu, 01 Jan 2026 00:00:00 GMT")
    kept = make_client(_app(make_app, respond, secs=0)).get("/r")
    assert kept.headers["Cache-Control"] == "max-age=5"
    assert kept.headers["Pragma"] == "x"
    assert kept.headers["Expires"] == "Thu, 01 Jan 2026 00:00:00 GMT"
    forced = make_client(_app(make_app, respond, secs=0, force=True)).get("/r")
    assert forced.headers["Cache-Control"] == "no-cache, must-revalidate"
    assert forced.headers["Pragma"] == "no-cache"


def test_bad_secs_is_a_config_error(make_app):
    from pegboard import ConfigError

    app = _app(make_app, _with(), secs="soon")
    with pytest.raises(ConfigError, match=r"tools\.expires\.secs"):
        app.start()


def test_the_cache_keeps_a_response_until_the_expires_it_was_given(
    make_app, make_client, memory_store
):
    app = make_app(
        {
            "/": {
                **memory_store,
                "tools.expires.on": True,
                "tools.expires.secs": 120,
                "tools.expires.force": True,
            }
        }
    )
    calls = []

    @app.route("/r")
    def r(req, resp):
        calls.append(1)
        return "body"

    clock = use_clock(app)
    client = make_client(app)
    client.get("/r")
    clock.advance(100)
    assert client.get("/r").headers["Cache-Status"].startswith("pegboard; hit")
    clock.advance(30)
    assert client.get("/r").headers["Cache-Status"].startswith("pegboard; fwd=stale")
    assert len(calls) == 2


def test_expires_zero_keeps_the_response_out_of_the_cache(make_app, make_client, memory_store):
    app = make_app({"/": {**memory_store, "tools.expires.on": True, "tools.expires.force": True}})
    app.route("/r", lambda req, resp: "body")
    result = make_client(app).get("/r")
    assert result.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=no-cache"
