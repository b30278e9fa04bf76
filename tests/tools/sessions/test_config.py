"""Configuration mistakes are ConfigErrors when the app starts, naming the key."""

from __future__ import annotations

import wsgiref.util
from typing import Any

import pytest

import pegboard


def _start(make_app: Any, **options: Any) -> None:
    config = {
        "/": {"tools.sessions.on": True, **{f"tools.sessions.{k}": v for k, v in options.items()}}
    }
    make_app(config).start()


@pytest.mark.parametrize(
    ("options", "key", "message"),
    [
        ({"storage_type": "reids"}, "storage_type", "did you mean 'redis'?"),
        ({"storage_type": "redis"}, "url", "url is required"),
        ({"storage_type": "redis", "url": "http://x"}, "url", "scheme 'http'"),
        ({"storage_type": "redis", "url": "redis+sentinel://h:1"}, "url", "names the service"),
        ({"storage_type": "file"}, "storage_path", "storage_path is required"),
        ({"storage_type": "memcached"}, "servers", "servers is required"),
        ({"storage_type": "memcached", "servers": ["nohost"]}, "servers", "host:port"),
        (
            {"storage_type": "memcached", "servers": ["h:1"], "key_prefix": "a b"},
            "key_prefix",
            "without spaces",
        ),
        ({"storage_type": "postgresql"}, "dsn", "dsn is required"),
        ({"storage_type": "postgresql", "dsn": "x", "table": "t; DROP"}, "table", "plain SQL name"),
        ({"storage_type": "ram", "storage_options": {"x": 1}}, "storage_options", "third-party"),
        ({"timeout": "sixty"}, "timeout", "expected float"),
        ({"timeout": 0}, "timeout", "greater than 0"),
        ({"max_age": -1}, "max_age", "greater than 0"),
        ({"lock_timeout": -1}, "lock_timeout", "must not be negative"),
        ({"pool_size": 0}, "pool_size", "at least 1"),
        ({"locking": "sometimes"}, "locking", "'implicit', 'early', 'explicit'"),
        ({"serializer": "yaml"}, "serializer", "'json', 'msgpack', 'pickle'"),
        ({"samesite": "None"}, "samesite", "needs secure"),
        ({"name": "bad name"}, "name", "not a valid cookie name"),
        ({"path": "/a;b"}, "path", "must not contain"),
        ({"storage_typ": "ram"}, "storage_typ", "did you mean 'storage_type'?"),
        ({"max_sessions": 0}, "max_sessions", "at least 1"),
        ({"max_sessions": "many"}, "max_sessions", "expected int | None"),
        (
            {"storage_type": "file", "storage_path": "/tmp/x", "max_sessions": 10},
            "max_sessions",
            "bounds the ram store only; remove it for storage_type 'file'",
        ),
        ({"clean_freq": -1}, "clean_freq", "must not be negative"),
        ({"lock_lease": 0}, "lock_lease", "greater than 0"),
        ({"backend_timeout": 0}, "backend_timeout", "greater than 0"),
        ({"domain": "a,b"}, "domain", "must not contain"),
        (
            {"storage_type": "redis", "url": "redis://h:1", "pool_size": 0},
            "pool_size",
            "at least 1",
        ),
    ],
)
def test_bad_options_are_config_errors_naming_the_key(make_app, options, key, message):
    with pytest.raises(pegboard.ConfigError) as caught:
        _start(make_app, **options)
    assert f"tools.sessions.{key}" in str(caught.value)
    assert message in str(caught.value)


def test_options_from_a_toml_file(make_app, make_client, tmp_path, monkeypatch):
    monkeypatch.chdir("/")  # a relative storage_path is relative to the file, not to here
    site = tmp_path / "site.toml"
    site.write_text(
        '["/"]\n'
        "tools.sessions.on = true\n"
        'tools.sessions.storage_type = "file"\n'
        'tools.sessions.storage_path = "sessions"\n'
        'tools.sessions.name = "sid"\n'
        "tools.sessions.timeout = 20\n"
    )
    app = make_app(str(site))

    @app.route("/")
    def index(req: Any, resp: Any) -> str:
        req.session["x"] = 1
        return "ok"

    line = make_client(app).get("/").headers["Set-Cookie"]
    assert line.startswith("sid=") and "Max-Age=1200" in line
    assert [p.name[:8] for p in (tmp_path / "sessions").iterdir()] == ["session-"]


def test_decorator_switches_sessions_on_for_one_handler(make_app, make_client):
    app = make_app()

    @app.route("/with")
    @pegboard.tools.sessions(name="deco")
    def with_session(req: Any, resp: Any) -> str:
        req.session["x"] = 1
        return "ok"

    @app.route("/without")
    def without(req: Any, resp: Any) -> str:
        return str(hasattr(req, "session"))

    client = make_client(app)
    assert client.get("/with").headers["Set-Cookie"].startswith("deco=")
    assert client.get("/without").text == "False"


def _session_hooks(app: Any) -> list[str]:
    app.route("/", lambda req, resp: "ok")
    app.compile()
    (route,) = app.router.routes()
    return [line for line in route.default_plan.describe() if "tools.sessions" in line]


def test_the_plan_shows_the_documented_priorities(make_app):
    lines = _session_hooks(make_app({"/": {"tools.sessions.on": True}}))
    assert lines[0].split()[:2] == ["before_handler", "10"]
    assert lines[1].split()[:2] == ["before_finalize", "10"]


def test_priority_option_moves_the_init_hook(make_app):
    lines = _session_hooks(
        make_app({"/": {"tools.sessions.on": True, "tools.sessions.priority": 12}})
    )
    assert lines[0].split()[:2] == ["before_handler", "12"]
    assert lines[1].split()[:2] == ["before_finalize", "10"]


def test_the_declared_hooks_are_the_ones_attached(make_app):
    from pegboard_sessions import SessionAuthTool, SessionsTool

    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": lambda user, password: False,
            }
        }
    )
    app.route("/", lambda req, resp: "ok")
    app.compile()
    (route,) = app.router.routes()
    plan = route.default_plan
    for tool in (SessionsTool(), SessionAuthTool()):
        attached = [
            (point, hook.priority, hook.failsafe)
            for point in pegboard.HOOKPOINTS
            for hook in plan.hooks[point]
            if hook.source == tool.name
        ]
        declared = [(h.point, h.priority, h.failsafe) for h in tool.hooks if not h.per_request]
        assert attached == declared
        assert all(h.does for h in tool.hooks)


def test_the_declared_per_request_hook_is_the_one_a_streamed_body_attaches(
    counter_app, make_client
):
    from pegboard_sessions import SessionsTool

    app = counter_app({"storage_type": "ram"})
    client = make_client(app)
    client.get("/start")
    seen: list[Any] = []

    @app.route("/late")
    def late(req: Any, resp: Any) -> Any:
        seen.append(req)

        def body() -> Any:
            yield str(req.session.get("n")).encode()  # locks the session mid-body

        return body()

    environ: dict[str, Any] = {
        "PATH_INFO": "/late",
        "HTTP_COOKIE": f"session_id={client.cookie('session_id')}",
    }
    wsgiref.util.setup_testing_defaults(environ)
    chunks = app(environ, lambda status, headers, exc_info=None: None)
    assert b"".join(chunks) == b"0"
    (req,) = seen
    added = [
        (point, hook.priority, hook.failsafe)
        for point in pegboard.HOOKPOINTS
        for hook in req.plan.hooks[point]
        if hook.source is None and "release" in hook.describe()
    ]
    declared = [(h.point, h.priority, h.failsafe) for h in SessionsTool.hooks if h.per_request]
    assert added == declared == [("on_end_request", 50, True)]
    chunks.close()
