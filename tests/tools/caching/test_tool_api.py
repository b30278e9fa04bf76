"""The package on the tool-author API: typed options, declared hooks, app state, typed accessors."""

from __future__ import annotations

import pytest

import pegboard
import pegboard_caching
from pegboard import ConfigError
from pegboard_caching import CachingOptions, ExpiresOptions, cache_tags_of, purge_tag


def test_the_tools_declare_typed_options_with_meanings_and_units(make_app):
    app = make_app()
    app.start()
    caching, expires = app.tools.get("caching"), app.tools.get("expires")
    assert caching.options_type is CachingOptions
    assert expires.options_type is ExpiresOptions
    for tool in (caching, expires):
        assert all(option.doc for option in tool.options.values()), tool.name
    units = {name: option.unit for name, option in caching.options.items() if option.unit}
    assert units == {
        "delay": "seconds",
        "maxobj_size": "bytes",
        "maxobjects": "entries",
        "maxsize": "bytes",
        "antistampede_timeout": "seconds",
        "timeout": "seconds",
        "retry_interval": "seconds",
    }
    assert expires.options["secs"].unit == "seconds"


def _recording_app(make_app, memory_store, seen):
    def record(req, resp):
        seen.append(
            {
                (point, hook.priority, hook.failsafe)
                for point, hooks in req.plan.hooks.items()
                for hook in hooks
                if hook.source in ("caching", None) and hook.callback is not record
            }
        )

    app = make_app(
        {"/": {**memory_store, "tools.expires.on": True, "hooks.on_end_request": record}}
    )
    app.route("/page", lambda req, resp: "page")
    return app


def test_the_declared_hooks_are_the_hooks_attached(make_app, make_client, memory_store):
    seen = []
    app = _recording_app(make_app, memory_store, seen)
    client = make_client(app)
    client.get("/page")  # a miss: it holds the stampede lock
    client.get("/page")  # a hit
    caching, expires = app.tools.get("caching"), app.tools.get("expires")
    declared = {(h.point, h.priority, h.failsafe) for h in caching.hooks if not h.per_request}
    per_request = {(h.point, h.priority, h.failsafe) for h in caching.hooks if h.per_request}
    miss, hit = seen
    assert hit == declared
    assert miss == declared | per_request
    plan = next(p for p in app.plans() if "expires" in p.tools)
    assert [(h.point, h.priority) for h in expires.hooks] == [
        (point, hook.priority)
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "expires"
    ]
    assert all(h.does for h in (*caching.hooks, *expires.hooks))


@pytest.mark.parametrize(
    ("options", "key", "message"),
    [
        ({"delay": float("nan")}, "delay", "must be a finite number of seconds"),
        ({"timeout": float("inf")}, "timeout", "must be a finite number of seconds"),
        ({"retry_interval": float("inf")}, "retry_interval", "must be a finite number"),
        ({"maxsize": -1}, "maxsize", "greater than 0"),
        ({"antistampede_timeout": -0.5}, "antistampede_timeout", "must not be negative"),
        ({"backend": "memcached", "url": "a:b:c"}, "url", "host:port"),
    ],
)
def test_the_checks_of_the_options_class_name_the_key(make_app, options, key, message):
    config = {"tools.caching.on": True, **{f"tools.caching.{k}": v for k, v in options.items()}}
    app = make_app({"/shop": config})
    with pytest.raises(ConfigError) as info:
        app.start()
    assert f"[/shop] tools.caching.{key}" in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize(("secs", "message"), [(float("nan"), "finite"), (True, "expected")])
def test_expires_checks_secs(make_app, secs, message):
    app = make_app({"/": {"tools.expires.on": True, "tools.expires.secs": secs}})
    with pytest.raises(ConfigError, match=r"tools\.expires\.secs.*" + message):
        app.start()


def test_the_options_are_checked_the_same_when_built_in_code():
    with pytest.raises(pegboard.OptionError, match="memory backend takes no url"):
        CachingOptions(url="redis://x")
    options = CachingOptions(backend="redis", url="redis://db:6379/1", timeout=2)
    assert (options.store.name, options.store.url, options.store.timeout) == (
        "redis",
        "redis://db:6379/1",
        2,
    )
    # Equal store settings on two paths: one backend (one pool) for both.
    assert CachingOptions(delay=5).store == CachingOptions(delay=60).store
    assert CachingOptions(maxsize=5).store != CachingOptions(maxsize=6).store


def test_each_app_keeps_its_runtime_in_its_state(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})
    app.route("/page", lambda req, resp: "page")
    assert "caching" not in app.state
    app.start()
    runtime = app.state.caching
    assert [settings.name for settings in runtime.backends] == ["memory"]
    app.stop()
    assert "caching" not in app.state
    make_client(app).get("/page")  # starts it again, with a new runtime
    assert app.state.caching is not runtime


def test_an_app_with_caching_on_nowhere_has_no_runtime(make_app):
    app = make_app({"/": {"tools.expires.on": True}})
    app.start()
    assert "caching" not in app.state
    assert pegboard_caching.purge_all(app) == 0


def test_cache_tags_of_is_the_typed_way_to_tag(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})

    @app.route("/typed")
    def typed(req, resp):
        cache_tags_of(resp).extend(["news", "front"])
        return "typed"

    @app.route("/assigned")
    def assigned(req, resp):
        resp.cache_tags = ("news",)  # the attribute form keeps working, any iterable
        cache_tags_of(resp).append("sport")
        return "assigned"

    @app.route("/one")
    def one(req, resp):
        resp.cache_tags = "front"  # a string is one tag, not one per character
        return "one"

    client = make_client(app)
    for path in ("/typed", "/assigned", "/one"):
        client.get(path)
    assert purge_tag(app, "f", "r") == 0
    assert purge_tag(app, "sport") == 1
    assert purge_tag(app, "front") == 2
    assert purge_tag(app, "news") == 0  # both were already dropped
