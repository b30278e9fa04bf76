"""Options are checked when the app starts; the plan shows where the hooks sit."""

from __future__ import annotations

import pytest

from pegboard import ConfigError


@pytest.mark.parametrize(
    ("options", "key", "message"),
    [
        ({"delay": "soon"}, "delay", "expected float"),
        ({"maxobj_size": 1.5}, "maxobj_size", "expected int"),
        ({"antistampede_timeout": True}, "antistampede_timeout", "expected float"),
        ({"invalid_methods": "POST"}, "invalid_methods", "expected"),
        ({"servers": "127.0.0.1:11211", "backend": "memcached"}, "servers", "expected"),
        ({"maxobjects": 0}, "maxobjects", "greater than 0"),
        ({"timeout": 0}, "timeout", "greater than 0"),
        ({"delay": -1}, "delay", "must not be negative"),
        ({"invalid_methods": ["GET"]}, "invalid_methods", "answered from the cache"),
        ({"invalid_methods": ["post"]}, "invalid_methods", "not an HTTP method"),
        ({"url": "redis://x"}, "url", "memory backend takes no url"),
        ({"backend": "redis", "servers": ["h:1"]}, "servers", "takes a url"),
        ({"backend": "redis", "url": "http://x"}, "url", "starts with redis://"),
        ({"backend": "memcached", "servers": ["host:port"]}, "servers", "host:port"),
        ({"maxsise": 10}, "maxsise", "did you mean 'maxsize'?"),
    ],
)
def test_bad_options_are_config_errors_naming_the_key(make_app, options, key, message):
    config = {"tools.caching.on": True, **{f"tools.caching.{k}": v for k, v in options.items()}}
    app = make_app({"/shop": config})
    with pytest.raises(ConfigError) as info:
        app.start()
    assert f"tools.caching.{key}" in str(info.value)
    assert "[/shop]" in str(info.value)
    assert message in str(info.value)


def test_bad_options_in_a_route_decorator_are_found_at_start(make_app):
    import pegboard

    app = make_app()

    @app.route("/r")
    @pegboard.tools.caching(delay="never")
    def r(req, resp):
        return "r"

    with pytest.raises(ConfigError, match=r"tools\.caching\.delay"):
        app.start()


def test_the_decorator_switches_caching_on_for_one_handler(make_app, make_client, counter):
    import pegboard

    app = make_app()
    handler = counter("cached")
    app.route("/cached", pegboard.tools.caching(delay=30)(handler))
    app.route("/plain", counter("plain"))
    client = make_client(app)
    client.get("/cached")
    assert client.get("/cached").headers["Cache-Status"] == "pegboard; hit; ttl=29"
    assert "Cache-Status" not in client.get("/plain").headers


def test_the_plan_shows_where_caching_sits(make_app):
    app = make_app(
        {"/": {"tools.caching.on": True, "tools.expires.on": True, "tools.expires.secs": 60}}
    )
    app.route("/r", lambda req, resp: "r")
    app.start()
    lines = [" ".join(line.split()) for line in app.router.static["/r"].default_plan.describe()]
    assert lines == [
        "before_handler 20 tools.caching: pegboard_caching.cache.ResponseCache.lookup",
        "before_finalize 72 tools.expires: pegboard_caching.expires.expires",
        "before_finalize 90 tools.caching: pegboard_caching.cache.ResponseCache.store",
        "after_error_response 50 tools.caching: pegboard_caching.cache.ResponseCache.on_error failsafe",
    ]


def test_the_tool_lists_its_hookpoints_and_options(make_app):
    app = make_app()
    app.start()
    tool = app.tools.get("caching")
    assert tool.points == (
        "before_handler",
        "before_finalize",
        "on_end_resource",
        "after_error_response",
    )
    assert set(tool.options) == {
        "backend",
        "url",
        "servers",
        "delay",
        "maxobj_size",
        "maxobjects",
        "maxsize",
        "antistampede_timeout",
        "invalid_methods",
        "key_prefix",
        "timeout",
        "retry_interval",
        "store_errors",
    }
    assert app.tools.get("expires").points == ("before_finalize",)
