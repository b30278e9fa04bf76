"""Limits and options are read and checked when the app starts, each mistake naming its key."""

from __future__ import annotations

import pytest

import pegboard
import pegboard_ratelimit
from pegboard import OptionError
from pegboard_ratelimit import Limit, RateLimitOptions, RateLimitTool, parse_limits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/second", [(10, 1, "ip")]),
        ("10/s", [(10, 1, "ip")]),
        ("10 / 1 sec", [(10, 1, "ip")]),
        ("1000/hour", [(1000, 3600, "ip")]),
        ("5/15 minutes", [(5, 900, "ip")]),
        ("5/15m", [(5, 900, "ip")]),
        ("100/day per user", [(100, 86400, "user")]),
        ("2/Days", [(2, 86400, "ip")]),
        (
            "10/second; 1000/hour per user;50/minute per route;",
            [(10, 1, "ip"), (1000, 3600, "user"), (50, 60, "route")],
        ),
    ],
)
def test_the_limit_syntax(text, expected):
    limits = parse_limits(text)
    assert [(x.count, x.seconds, x.key) for x in limits] == expected


def test_a_limit_in_microseconds_allows_its_count_as_a_burst():
    limit = Limit(3, 1, "ip")
    assert limit.interval == 333_333  # one request every 1/3 s at the sustained rate
    assert limit.capacity == 999_999  # ... and three at once
    assert limit.text == "3/1s per ip"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no limit is written"),
        (" ; ", "no limit is written"),
        ("10", "'10' is not a limit: write COUNT/PERIOD"),
        ("10/fortnight", "unknown unit 'fortnight'"),
        ("0/second", "allows no request at all"),
        ("10/0 seconds", "empty period"),
        ("1/400 days", "at most a year"),
        ("2000000/second", "at most one request per microsecond"),
        ("10/second per client", "unknown key 'client'"),
        ("10/second per no_such_module:key", "cannot import the key function"),
        ("10/second; 10/s", "'10/s' is written twice"),
        ("ten/second", "is not a limit"),
    ],
)
def test_a_wrong_limit_says_what_is_wrong(text, words):
    with pytest.raises(ValueError, match=words):
        parse_limits(text)


def test_a_key_function_is_an_import_string(keyfuncs):
    (limit,) = parse_limits(f"5/minute per {keyfuncs}:by_token")
    assert callable(limit.key)
    assert limit.text == "5/60s per by_token"
    with pytest.raises(ValueError, match="is not a function of the request"):
        parse_limits(f"5/minute per {keyfuncs}:NOT_A_FUNCTION")


def _start(make_app, **options):
    section = {"tools.ratelimit.on": True}
    section.update({f"tools.ratelimit.{k}": v for k, v in options.items()})
    app = make_app({"/": section})
    app.route("/", lambda req, resp: "ok")
    app.start()
    return app


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({}, "tools.ratelimit.limits: tool 'ratelimit' needs option 'limits'"),
        ({"limits": "10/fortnight"}, "tools.ratelimit.limits: unknown unit 'fortnight'"),
        ({"limits": 10}, "tools.ratelimit.limits: expected str"),
        ({"limits": "1/s", "key": "client"}, "tools.ratelimit.key: unknown key 'client'"),
        ({"limits": "1/s", "storage": "disk"}, "tools.ratelimit.storage: expected one of"),
        ({"limits": "1/s", "scope": "log in"}, "tools.ratelimit.scope: 'log in': use up to 40"),
        ({"limits": "1/s", "ipv6_prefix": 0}, "tools.ratelimit.ipv6_prefix: must be 1 to 128"),
        ({"limits": "1/s", "timeout": 0}, "tools.ratelimit.timeout: must be more than 0"),
        ({"limits": "1/s", "retry_interval": -1}, "tools.ratelimit.retry_interval"),
        ({"limits": "1/s", "pool_size": 0}, "tools.ratelimit.pool_size: must be at least 1"),
        ({"limits": "1/s", "max_keys": 0}, "tools.ratelimit.max_keys: must be at least 1"),
        ({"limits": "1/s", "url": "http://redis"}, "tools.ratelimit.url: 'http://redis' is not a"),
        ({"limits": "1/s", "on_store_error": "open"}, "tools.ratelimit.on_store_error"),
        ({"limits": "1/s", "limit": "2/s"}, "has no option 'limit'; did you mean 'limits'?"),
    ],
)
def test_a_wrong_option_fails_at_start_naming_its_key(make_app, options, words):
    with pytest.raises(pegboard.ConfigError) as caught:
        _start(make_app, **options)
    assert words in str(caught.value)


def test_the_options_class_checks_on_its_own():
    with pytest.raises(OptionError) as caught:
        RateLimitOptions(limits="3/s", ipv6_prefix=129)
    assert caught.value.key == "ipv6_prefix"
    assert RateLimitOptions(limits="3/s").on_store_error == "local"


def test_settings_that_do_nothing_are_warnings(make_app):
    app = _start(make_app, limits="5/second per user", timeout=1.0, after_login=True)
    messages = {(w.key, w.message) for w in app.config_warnings}
    keys = {key for key, _ in messages}
    assert "tools.ratelimit.timeout" in keys  # a redis option on the memory storage
    assert "tools.ratelimit.after_login" in keys  # no key function to move
    assert any("no auth tool" in m for k, m in messages if k == "tools.ratelimit.limits")


def test_every_option_has_a_meaning_and_numbers_a_unit():
    options = RateLimitTool().options
    assert all(option.doc for option in options.values())
    for name in ("timeout", "retry_interval", "pool_size", "max_keys", "ipv6_prefix"):
        assert options[name].unit, name


def test_the_tool_is_found_by_its_entry_point():
    from importlib.metadata import entry_points

    (found,) = [e for e in entry_points(group="pegboard") if e.name == "ratelimit"]
    assert found.load() is pegboard_ratelimit


def test_declared_hooks_are_exactly_the_attached_ones(make_app, keyfuncs):
    # ip (early), user (after login), a key function with after_login, and the headers.
    section = {
        "tools.ratelimit.on": True,
        "tools.ratelimit.limits": f"9/s; 9/s per user; 9/s per {keyfuncs}:by_token",
        "tools.ratelimit.after_login": True,
    }
    app = make_app({"/": section})
    app.route("/", lambda req, resp: "ok")
    app.start()
    attached = sorted(
        (point, hook.priority, hook.failsafe)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "ratelimit"
    )
    declared = sorted((h.point, h.priority, h.failsafe) for h in RateLimitTool.hooks)
    assert sorted(set(attached)) == declared
