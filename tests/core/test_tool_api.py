"""The tool-author API: typed options, the app lifecycle of tools, app.state and req.state."""

from __future__ import annotations

import dataclasses
from typing import Literal

import pytest

import pegboard
from pegboard import ConfigError, OptionError, ToolOptions, option

# -- typed options ---------------------------------------------------------------


class GreetOptions(ToolOptions):
    header: str = option(default="X-Greeting", doc="the header to set")
    word: str = option(doc="what to greet with")
    times: int = option(default=1, doc="how often the word is repeated")
    ttl: float = option(default=60.0, doc="how long the greeting holds", unit="seconds")
    style: Literal["plain", "loud"] = option(default="plain", doc="how it is written")

    def __post_init__(self) -> None:
        if self.times < 1:
            raise OptionError("times", f"must be at least 1, not {self.times}")


def greet(req: pegboard.Request, resp: pegboard.Response, options: GreetOptions) -> None:
    """Set a greeting header."""
    text = " ".join([options.word] * options.times)
    resp.headers[options.header] = text.upper() if options.style == "loud" else text


def _app(make_app, tool, config):
    app = make_app(config, plugins=[_plugin(tool)])
    app.route("/", lambda req, resp: "ok")
    app.route("/other", lambda req, resp: "other")
    return app


def _plugin(*tools):
    class Plugin:
        @pegboard.hookimpl
        def pegboard_tools(self):
            return list(tools)

    return Plugin()


def test_a_typed_callback_tool_gets_its_options_object(make_app, make_client):
    tool = pegboard.Tool("greet", greet, point="before_finalize", options_type=GreetOptions)
    app = _app(
        make_app,
        tool,
        {
            "/": {"tools.greet.on": True, "tools.greet.word": "hi", "tools.greet.times": 2},
            "/other": {"tools.greet.style": "loud"},
        },
    )
    client = make_client(app)
    assert client.get("/").headers["X-Greeting"] == "hi hi"
    assert client.get("/other").headers["X-Greeting"] == "HI HI"


def test_the_schema_comes_from_the_options_class_with_docs_and_units():
    tool = pegboard.Tool("greet", greet, options_type=GreetOptions)
    schema = tool.options
    assert list(schema) == ["header", "word", "times", "ttl", "style"]
    assert schema["word"].required and not schema["header"].required
    assert schema["ttl"].unit == "seconds"
    assert schema["ttl"].doc == "how long the greeting holds"
    assert schema["ttl"].describe() == "ttl: float, seconds (default 60.0)"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"tools.greet.word": 3}, "tools.greet.word: expected str, got int 3"),
        ({"tools.greet.wrod": "x"}, "has no option 'wrod'; did you mean 'word'?"),
        ({}, "tool 'greet' needs option 'word'"),
        (
            {"tools.greet.word": "x", "tools.greet.times": 0},
            "tools.greet.times: must be at least 1",
        ),
        ({"tools.greet.word": "x", "tools.greet.style": "soft"}, "expected one of 'plain', 'loud'"),
    ],
)
def test_bad_typed_options_are_config_errors_naming_the_key(make_app, section, message):
    tool = pegboard.Tool("greet", greet, options_type=GreetOptions)
    app = _app(make_app, tool, {"/": {"tools.greet.on": True, **section}})
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
        app.start()


def test_a_subclass_names_its_options_by_its_type_argument(make_app, make_client):
    built = []

    class GreetTool(pegboard.Tool[GreetOptions]):
        hooks = (pegboard.HookDoc("before_finalize", 60, "sets the greeting"),)

        def __init__(self) -> None:
            super().__init__("greet", point="before_finalize", priority=60)

        def attach(self, plan: pegboard.PlanBuilder, options: GreetOptions) -> None:
            built.append(options)
            plan.add("before_finalize", greet, 60, args=(options,))

        def check(self, options: GreetOptions, section: str) -> None:
            if options.header.lower() == "set-cookie":
                raise OptionError("header", "cannot be Set-Cookie")

    tool = GreetTool()
    assert tool.options_type is GreetOptions
    assert tool.points == ("before_finalize",)
    app = _app(make_app, tool, {"/": {"tools.greet.on": True, "tools.greet.word": "yo"}})
    assert make_client(app).get("/").headers["X-Greeting"] == "yo"
    # one options object per compiled plan, frozen
    assert all(isinstance(o, GreetOptions) for o in built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built[0].word = "changed"  # type: ignore[misc]

    bad = _app(
        make_app,
        GreetTool(),
        {
            "/": {
                "tools.greet.on": True,
                "tools.greet.word": "x",
                "tools.greet.header": "Set-Cookie",
            }
        },
    )
    with pytest.raises(ConfigError, match=r"\[/\] tools.greet.header: cannot be Set-Cookie"):
        bad.start()


def test_a_plain_dataclass_works_as_an_options_class(make_app, make_client):
    @dataclasses.dataclass(frozen=True)
    class Plain:
        value: str = "v"

    def hook(req, resp, options: Plain) -> None:
        resp.headers["X-Plain"] = options.value

    tool = pegboard.Tool("plain", hook, point="before_finalize", options_type=Plain)
    app = _app(make_app, tool, {"/": {"tools.plain.on": True, "tools.plain.value": "w"}})
    assert make_client(app).get("/").headers["X-Plain"] == "w"


def test_a_typed_wrapper_tool(make_app, make_client):
    class Suffix(ToolOptions):
        text: str = option(default="!", doc="appended to the body")

    def add_suffix(handler, req, resp, options: Suffix):
        return handler() + options.text

    tool = pegboard.WrapperTool("suffix", add_suffix, options_type=Suffix)
    app = _app(make_app, tool, {"/": {"tools.suffix.on": True, "tools.suffix.text": "?"}})
    assert make_client(app).get("/").text == "ok?"


def test_the_signature_form_still_works(make_app, make_client):
    def old(req, resp, *, value: str = "old") -> None:
        resp.headers["X-Old"] = value

    class OldMulti(pegboard.Tool):
        def __init__(self) -> None:
            super().__init__("old_multi")

        def attach(self, plan, *, n: int = 1):  # type: ignore[override]
            plan.add("before_finalize", lambda req, resp: resp.headers.add("X-N", str(n)))

    app = _app(
        make_app,
        pegboard.Tool("old", old, point="before_finalize"),
        {"/": {"tools.old.on": True, "tools.old.value": "kept", "tools.old_multi.on": True}},
    )
    app.register_plugin(_plugin(OldMulti()))
    response = make_client(app).get("/")
    assert response.headers["X-Old"] == "kept"
    assert response.headers["X-N"] == "1"


# -- the app lifecycle of tools ------------------------------------------------------


class Recorder(pegboard.Tool):
    """Counts requests across every route of the app, in app.state."""

    def __init__(self, name: str = "recorder", events: list[str] | None = None) -> None:
        super().__init__(name, self._count, point="on_start_resource")
        self.events = events if events is not None else []

    def start(self, app: pegboard.App) -> None:
        self.events.append(f"start {self.name}")
        app.state.counts = {}

    def stop(self, app: pegboard.App) -> None:
        self.events.append(f"stop {self.name}")

    @staticmethod
    def _count(req: pegboard.Request, resp: pegboard.Response) -> None:
        counts = req.app.state.counts
        counts[req.path] = counts.get(req.path, 0) + 1


def test_app_state_spans_routes_and_tools_start_and_stop_with_the_app(make_app, make_client):
    events: list[str] = []
    tool = Recorder(events=events)
    app = _app(make_app, tool, {"/": {"tools.recorder.on": True}})
    client = make_client(app)
    client.get("/")
    client.get("/other")
    client.get("/")
    assert app.state.counts == {"/": 2, "/other": 1}
    assert events == ["start recorder"]
    app.stop()
    assert events == ["start recorder", "stop recorder"]


def test_a_tool_that_is_on_nowhere_is_not_started(make_app, make_client):
    events: list[str] = []
    app = _app(make_app, Recorder(events=events), {"/": {}})
    assert make_client(app).get("/").status == 200
    assert events == []


def test_a_route_added_after_start_starts_a_tool_it_turns_on(make_app, make_client):
    events: list[str] = []
    app = _app(make_app, Recorder(events=events), {})
    app.start()
    assert events == []
    app.route("/late", lambda req, resp: "late", config={"tools.recorder.on": True})
    assert events == ["start recorder"]
    make_client(app).get("/late")
    assert app.state.counts == {"/late": 1}


def test_a_failing_start_stops_what_was_started_and_the_app_does_not_start(make_app):
    events: list[str] = []

    class Broken(Recorder):
        def start(self, app: pegboard.App) -> None:
            raise RuntimeError("cannot open the pool")

    first = Recorder("first", events)
    app = make_app(
        {"/": {"tools.first.on": True, "tools.broken.on": True}},
        plugins=[_plugin(first, Broken("broken", events))],
    )
    app.route("/", lambda req, resp: "")
    with pytest.raises(RuntimeError, match="cannot open the pool"):
        app.start()
    assert events == ["start first", "stop first"]
    assert not app._started


def test_a_failing_plugin_start_stops_the_tools(make_app):
    events: list[str] = []

    class FailingPlugin:
        @pegboard.hookimpl
        def pegboard_app_start(self, app):
            raise RuntimeError("plugin failed")

    app = make_app(
        {"/": {"tools.recorder.on": True}},
        plugins=[_plugin(Recorder(events=events)), FailingPlugin()],
    )
    with pytest.raises(RuntimeError, match="plugin failed"):
        app.start()
    assert events == ["start recorder", "stop recorder"]


def test_attach_sees_the_app_being_compiled(make_app):
    seen = []

    class Seeing(pegboard.Tool):
        def __init__(self) -> None:
            super().__init__("seeing")

        def attach(self, plan, options) -> None:
            seen.append(plan.app)
            plan.app.state.setdefault("registry", list).append(plan.label)

    class NoOptions(ToolOptions):
        pass

    tool = Seeing()
    tool.options_type = NoOptions
    app = _app(make_app, tool, {"/": {"tools.seeing.on": True}})
    app.compile()
    assert seen and all(a is app for a in seen)
    assert "route /" in app.state.registry


# -- state ---------------------------------------------------------------------------


def test_req_state_is_per_request_and_shared_by_hooks_and_handler(make_app, make_client):
    def mark(req, resp):
        req.state.marked = req.path

    app = make_app({"/": {"hooks.before_handler": mark}})

    @app.route("/{name}")
    def handler(req, resp, name):
        assert "marked" in req.state
        return f"{req.state.marked} {req.state.get('missing', '-')}"

    client = make_client(app)
    assert client.get("/a").text == "/a -"
    assert client.get("/b").text == "/b -"


def test_state_reports_unset_names_clearly():
    state = pegboard.State(a=1)
    assert state.a == 1
    with pytest.raises(AttributeError, match="has no attribute 'b'"):
        state.b  # noqa: B018
    assert state.setdefault("b", lambda: [1]) == [1]
    assert state.setdefault("b", lambda: [2]) == [1]
    del state.a
    assert "a" not in state and list(state) == ["b"]


# -- seams for instrumentation and composition -------------------------------------------


def test_wrap_hooks_sees_every_tools_hook_with_its_source(make_app, make_client):
    seen: list[tuple[str | None, str]] = []

    class Timer(pegboard.Tool):
        def __init__(self) -> None:
            super().__init__("timer")

        def attach(self, plan, options) -> None:
            def wrapper(hook, call):
                def timed(req, resp):
                    seen.append((hook.source, getattr(hook.callback, "__name__", "?")))
                    return call(req, resp)

                return timed

            plan.wrap_hooks(wrapper)

    class NoOptions(ToolOptions):
        pass

    timer = Timer()
    timer.options_type = NoOptions

    def stamp(req, resp) -> None:
        resp.headers["X-Stamp"] = "1"

    def late(req, resp) -> None:
        resp.headers["X-Late"] = "1"

    app = _app(
        make_app,
        timer,
        {
            "/": {
                "tools.timer.on": True,
                "tools.greet.on": True,
                "tools.greet.word": "w",
                "hooks.before_finalize": stamp,
            }
        },
    )
    app.register_plugin(
        _plugin(pegboard.Tool("greet", greet, point="before_finalize", options_type=GreetOptions))
    )

    @app.route("/late")
    def late_handler(req, resp):
        req.attach_hook("on_end_resource", late)
        return "x"

    client = make_client(app)
    response = client.get("/")
    assert response.headers["X-Greeting"] == "w" and response.headers["X-Stamp"] == "1"
    assert ("greet", "greet") in seen and (None, "stamp") in seen
    seen.clear()
    client.get("/late")
    assert (None, "late") in seen, "a per-request hook is wrapped too"


def test_a_plan_without_the_wrapping_tool_pays_nothing(make_app):
    app = make_app()
    app.route("/", lambda req, resp: "")
    app.compile()
    assert app.router.static["/"].default_plan.hook_wrappers == ()


def test_tools_see_which_tools_are_on_in_the_plan(make_app):
    seen: list[frozenset[str]] = []

    def watch(req, resp, options) -> None:
        pass

    class Watcher(pegboard.Tool):
        def __init__(self) -> None:
            super().__init__("watcher")

        def attach(self, plan, options) -> None:
            seen.append(plan.tools_on)

    class NoOptions(ToolOptions):
        pass

    watcher = Watcher()
    watcher.options_type = NoOptions
    other = pegboard.Tool("other", watch, options_type=NoOptions)
    app = make_app(
        {"/": {"tools.watcher.on": True}, "/both": {"tools.other.on": True}},
        plugins=[_plugin(watcher, other)],
    )
    app.compile()
    assert frozenset({"watcher"}) in seen and frozenset({"watcher", "other"}) in seen


def test_backend_health_is_reported_by_probes(make_app):
    app = make_app()
    app.add_health_probe("store: memory", lambda: pegboard.Health("store: memory", True, "3 keys"))

    def broken() -> pegboard.Health:
        raise ConnectionError("refused")

    app.add_health_probe("store: redis", broken)
    health = {h.name: h for h in app.health()}
    assert health["store: memory"].up and health["store: memory"].detail == "3 keys"
    assert not health["store: redis"].up
    assert "refused" in health["store: redis"].detail
    app.remove_health_probe("store: redis")
    assert [h.name for h in app.health()] == ["store: memory"]


def test_a_plan_copy_with_one_more_wrapper_keeps_every_setting(make_app):
    calls: list[str | None] = []

    def wrapper(hook, call):
        def counted(req, resp):
            calls.append(hook.source)
            return call(req, resp)

        return counted

    app = make_app(
        {
            "/": {
                "request.max_body_size": 99,
                "response.headers": {"X-A": "1"},
                "tools.response_time.on": True,
            }
        }
    )
    app.route("/", lambda req, resp: "")
    app.compile()
    for plan in app.plans():
        copy = plan.with_wrapper(wrapper)
        for name in pegboard.Plan.__slots__:
            if name in ("hooks", "hook_wrappers", "runners", "_failsafe", *pegboard.HOOKPOINTS):
                continue
            assert getattr(copy, name) == getattr(plan, name), name
        assert dict(copy.hooks) == dict(plan.hooks)
        assert copy.hook_wrappers == (*plan.hook_wrappers, wrapper)
    # The copy's hooks run through the wrapper: response_time's is counted.
    route_plan = app.router.static["/"].default_plan
    for call in route_plan.with_wrapper(wrapper).before_finalize:
        call(_FakeRequest(), pegboard.Response())
    assert calls == ["response_time"]


class _FakeRequest:
    """Just what response_time's before_finalize hook reads."""

    def __init__(self) -> None:
        self.state = pegboard.State(response_time=0.0)
        self.environ: dict[str, object] = {}
