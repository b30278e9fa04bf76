"""Hookpoints: order, priorities, failsafe, end-of-request guarantees, compiled plans."""

import logging

import pytest

import pegboard
from pegboard import HOOKPOINTS, Hook


def _recorder(log, label):
    def hook(req, resp):
        log.append(label)

    hook.__name__ = label
    return hook


def test_hookpoints_run_in_lifecycle_order(make_app, make_client):
    log = []
    config = {"/": {f"hooks.{p}": _recorder(log, p) for p in HOOKPOINTS[:6]}}
    app = make_app(config)

    @app.route("/")
    def index(req, resp):
        log.append("handler")
        return "ok"

    make_client(app).get("/")
    assert log == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "handler",
        "before_finalize",
        "on_end_resource",
        "on_end_request",
    ]


def test_priority_order_and_stable_ties(make_app, make_client):
    log = []
    hooks = [
        Hook(_recorder(log, "b50"), 50),
        Hook(_recorder(log, "a10"), 10),
        Hook(_recorder(log, "c50"), 50),
        Hook(_recorder(log, "d50"), 50),
        Hook(_recorder(log, "e90"), 90),
    ]
    app = make_app({"/": {"hooks.before_handler": hooks}})
    app.route("/", lambda req, resp: "")
    make_client(app).get("/")
    assert log == ["a10", "b50", "c50", "d50", "e90"]


def test_callable_priority_attribute(make_app, make_client):
    log = []
    late = _recorder(log, "late")
    late.priority = 80
    early = _recorder(log, "early")
    early.priority = 5
    app = make_app({"/": {"hooks.before_handler": [late, early]}})
    app.route("/", lambda req, resp: "")
    make_client(app).get("/")
    assert log == ["early", "late"]


def test_failsafe_hooks_run_after_a_failure_then_error_propagates(make_app, make_client, caplog):
    log = []

    def boom(req, resp):
        log.append("boom")
        raise RuntimeError("hook failed")

    hooks = [
        Hook(boom, 10),
        Hook(_recorder(log, "normal"), 20),
        Hook(_recorder(log, "safe"), 30, failsafe=True),
    ]
    app = make_app({"/": {"hooks.before_handler": hooks}})
    app.route("/", lambda req, resp: log.append("handler"))
    with caplog.at_level(logging.ERROR, logger="pegboard.error"):
        result = make_client(app).get("/")
    assert result.status == 500
    assert log == ["boom", "safe"]
    assert "hook failed" in caplog.text


def test_http_error_in_hook_becomes_response_and_skips_handler(make_app, make_client):
    log = []

    def deny(req, resp):
        raise pegboard.HTTPError(403, "no entry")

    app = make_app(
        {
            "/": {
                "hooks.before_handler": deny,
                "hooks.before_finalize": _recorder(log, "finalize"),
                "hooks.on_end_resource": _recorder(log, "end_resource"),
            }
        }
    )
    app.route("/", lambda req, resp: log.append("handler"))
    result = make_client(app).get("/")
    assert result.status == 403
    assert "no entry" in result.text
    assert log == ["finalize", "end_resource"]


def test_on_end_resource_always_runs_even_after_500(make_app, make_client):
    log = []
    app = make_app({"/": {"hooks.on_end_resource": _recorder(log, "end")}})

    @app.route("/")
    def fail(req, resp):
        raise ValueError("bad")

    assert make_client(app).get("/").status == 500
    assert log == ["end"]


def test_error_hookpoints_surround_the_500(make_app, make_client):
    log = []

    def before(req, resp):
        log.append(("before", resp.status))

    def after(req, resp):
        log.append(("after", resp.status))
        resp.headers["X-Error-Id"] = "e-1"

    app = make_app(
        {"/": {"hooks.before_error_response": before, "hooks.after_error_response": after}}
    )

    @app.route("/")
    def fail(req, resp):
        raise KeyError("x")

    result = make_client(app).get("/")
    assert result.status == 500
    assert result.headers["X-Error-Id"] == "e-1"
    assert log == [("before", 200), ("after", 500)]


def test_on_end_request_runs_once_after_a_stream_is_consumed(make_app, make_client):
    log = []
    app = make_app({"/": {"hooks.on_end_request": _recorder(log, "end_request")}})

    @app.route("/")
    def stream(req, resp):
        def body():
            log.append("chunk1")
            yield b"a"
            log.append("chunk2")
            yield b"b"

        return body()

    result = make_client(app).get("/")
    assert result.body == b"ab"
    assert log == ["chunk1", "chunk2", "end_request"]


def test_on_end_request_runs_when_the_client_goes_away_early(make_app):
    log = []
    app = make_app({"/": {"hooks.on_end_request": _recorder(log, "end_request")}})
    app.route("/", lambda req, resp: iter([b"a", b"b", b"c"]))
    from pegboard.testing.client import Client

    env = Client(app)._environ(
        "GET", __import__("urllib.parse").parse.urlsplit("http://x/"), "", [], None
    )
    iterable = app(env, lambda s, h, e=None: None)
    assert next(iter(iterable)) == b"a"
    assert log == []
    iterable.close()  # the server calls close() when the client disconnects
    iterable.close()
    assert log == ["end_request"]


def test_on_end_request_runs_after_errors(make_app, make_client):
    log = []
    app = make_app({"/": {"hooks.on_end_request": Hook(_recorder(log, "end"), failsafe=True)}})

    @app.route("/")
    def fail(req, resp):
        raise RuntimeError("x")

    assert make_client(app).get("/").status == 500
    assert log == ["end"]


def test_one_request_hook_does_not_leak_into_the_next_request(make_app, make_client):
    log = []
    app = make_app()

    @app.route("/")
    def index(req, resp):
        if req.query.get("attach"):
            req.attach_hook("before_finalize", _recorder(log, "extra"))
            req.attach_hook("on_end_request", _recorder(log, "extra_end"), failsafe=True)
        return "ok"

    client = make_client(app)
    client.get("/?attach=1")
    client.get("/")
    assert log == ["extra", "extra_end"]


def test_one_request_hook_with_options(make_app, make_client):
    app = make_app()

    def add_header(req, resp, name, value):
        resp.headers[name] = value

    @app.route("/")
    def index(req, resp):
        req.attach_hook("before_finalize", add_header, name="X-Once", value="yes")

    assert make_client(app).get("/").headers["X-Once"] == "yes"


def test_unknown_hookpoint_for_attach(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        with pytest.raises(ValueError, match="unknown hookpoint"):
            req.attach_hook("before_lunch", lambda r, s: None)
        return "checked"

    assert make_client(app).get("/").text == "checked"


def test_no_config_merging_or_validation_per_request(make_app, make_client, monkeypatch):
    """Plans are compiled at start; requests only execute them."""
    from pegboard import compiler as compiler_module
    from pegboard import config as config_module
    from pegboard import tool as tools_module
    from pegboard import validation as validation_module

    app = make_app(
        {"/": {"tools.response_time.on": True}, "/deep/er": {"request.max_body_size": 5}}
    )
    app.route("/a", lambda req, resp: "a")
    app.route("/b/{x}", lambda req, resp, x: x)
    app.start()

    calls = {"merged": 0, "validate": 0, "compile": 0, "clean": 0}

    def counting(name, original):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        config_module.Config, "merged", counting("merged", config_module.Config.merged)
    )
    monkeypatch.setattr(
        tools_module.Tool, "validate", counting("validate", tools_module.Tool.validate)
    )
    monkeypatch.setattr(
        compiler_module.PlanCompiler,
        "compile",
        counting("compile", compiler_module.PlanCompiler.compile),
    )
    monkeypatch.setattr(
        validation_module.ConfigValidator,
        "clean_section",
        counting("clean", validation_module.ConfigValidator.clean_section),
    )
    client = make_client(app)
    for _ in range(20):
        assert client.get("/a").headers["X-Response-Time"]
        assert client.get("/b/x").status == 200
        assert client.get("/deep/er/unrouted").status == 404
    assert calls == {"merged": 0, "validate": 0, "compile": 0, "clean": 0}


def test_plan_cost_does_not_grow_with_tools_that_are_off(make_app):
    app = make_app({"/on": {"tools.response_time.on": True}})
    app.route("/off", lambda req, resp: "")
    app.route("/on", lambda req, resp: "")
    app.start()
    off = app.router.static["/off"].default_plan
    on = app.router.static["/on"].default_plan
    assert all(getattr(off, p) == () for p in HOOKPOINTS)
    assert on.tools == ("response_time",)
    assert len(on.before_finalize) == 1


def test_context_proxies_in_hooks_handlers_and_streams(make_app, make_client):
    seen = []

    def hook(req, resp):
        seen.append(pegboard.request.path)

    app = make_app({"/": {"hooks.before_handler": hook}})

    @app.route("/ctx")
    def ctx(req, resp):
        seen.append(pegboard.request is not None and pegboard.request.method)
        pegboard.response.headers["X-From-Proxy"] = "1"

        def body():
            yield pegboard.request.path.encode()

        return body()

    result = make_client(app).get("/ctx")
    assert result.body == b"/ctx"
    assert result.headers["X-From-Proxy"] == "1"
    assert seen == ["/ctx", "GET"]


def test_context_proxy_outside_a_request(make_app, make_client):
    app = make_app()
    app.route("/", lambda req, resp: "")
    app.route("/stream", lambda req, resp: iter([b"a"]))
    client = make_client(app)
    for path in ("/", "/stream"):
        client.get(path)  # a finished request leaves nothing behind
        assert bool(pegboard.request) is False
        with pytest.raises(RuntimeError, match="only available while a request"):
            pegboard.request.path  # noqa: B018


def test_one_request_hooks_keep_priority_order_and_failsafe(make_app, make_client):
    log = []
    app = make_app(
        {
            "/": {
                "hooks.before_finalize": [
                    Hook(_recorder(log, "p10"), 10),
                    Hook(_recorder(log, "p50"), 50),
                    Hook(_recorder(log, "p90"), 90),
                ]
            }
        }
    )

    def boom(req, resp):
        log.append("boom")
        raise RuntimeError("x")

    @app.route("/")
    def index(req, resp):
        req.attach_hook("before_finalize", _recorder(log, "extra50"), 50)
        req.attach_hook("before_finalize", _recorder(log, "extra0"), 0)
        req.attach_hook("before_finalize", boom, 60)
        req.attach_hook("before_finalize", _recorder(log, "safe70"), 70, failsafe=True)

    assert make_client(app).get("/").status == 500
    assert log == ["extra0", "p10", "p50", "extra50", "boom", "safe70"]
    route_plan = app.router.static["/"].default_plan
    assert [h.priority for h in route_plan.hooks["before_finalize"]] == [10, 50, 90]
