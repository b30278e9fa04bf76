"""Each tool's hooks on the request's span: events (default), child spans, or nothing."""

from __future__ import annotations

from opentelemetry.trace import StatusCode

import pegboard
import pegboard_otel
import pegboard_response_time

PLUGINS = [pegboard_otel, pegboard_response_time]


def _app(make_app, recorder, hooks=None, gate_tracer=None):
    config = {
        "tools.otel.on": True,
        "tools.otel.tracer_provider": recorder.provider,
        "tools.response_time.on": True,
        "tools.gate.on": True,
    }
    if hooks is not None:
        config["tools.otel.hooks"] = hooks
    app = make_app({"/": config}, plugins=PLUGINS)

    def gate(req, resp):
        """A tool of the application's own: 401 without a key, a span of its own with one."""
        if gate_tracer is not None:
            with gate_tracer.start_as_current_span("look up the key"):
                pass
        if req.headers.get("X-Key") != "k":
            raise pegboard.HTTPError(401, "Who are you?")

    app.add_tool(pegboard.Tool("gate", gate, point="before_handler", priority=1))
    app.route("/", lambda req, resp: "hi")
    return app


def test_by_default_each_hook_is_an_event_with_its_tool_and_duration(
    make_app, make_client, recorder
):
    client = make_client(_app(make_app, recorder))
    assert client.get("/", headers={"X-Key": "k"}).status == 200
    span = recorder.server_span()
    events = {e.name: e for e in span.events}
    assert set(events) == {"tools.response_time", "tools.gate"}
    gate = events["tools.gate"]
    assert gate.attributes["pegboard.tool"] == "gate"
    assert gate.attributes["pegboard.hook.priority"] == 1
    assert gate.attributes["pegboard.hook.callback"].endswith("gate")
    assert gate.attributes["pegboard.hook.duration_ms"] >= 0
    assert span.start_time <= gate.timestamp <= span.end_time
    # response_time has two hooks: both are recorded
    assert [e.name for e in span.events].count("tools.response_time") == 2


def test_a_hook_that_answers_with_an_http_error_is_recorded_with_its_type(
    make_app, make_client, recorder
):
    client = make_client(_app(make_app, recorder))
    assert client.get("/").status == 401
    span = recorder.server_span()
    [gate] = [e for e in span.events if e.name == "tools.gate"]
    assert gate.attributes["exception.type"] == "pegboard.errors.HTTPError"
    assert span.status.status_code is StatusCode.UNSET


def test_spans_mode_gives_each_hook_a_child_span_that_nests_what_it_calls(
    make_app, make_client, recorder
):
    tracer = recorder.provider.get_tracer("the-app")
    client = make_client(_app(make_app, recorder, hooks="spans", gate_tracer=tracer))
    assert client.get("/", headers={"X-Key": "k"}).status == 200
    server = recorder.server_span()
    by_name = {}
    for span in recorder.spans():
        by_name.setdefault(span.name, []).append(span)
    [gate] = by_name["tools.gate"]
    assert gate.parent.span_id == server.context.span_id
    [lookup] = by_name["look up the key"]
    assert lookup.parent.span_id == gate.context.span_id
    assert len(by_name["tools.response_time"]) == 2
    assert all(s.parent.span_id == server.context.span_id for s in by_name["tools.response_time"])
    assert server.events == ()


def test_spans_mode_marks_an_answering_hook_without_calling_it_an_error(
    make_app, make_client, recorder
):
    client = make_client(_app(make_app, recorder, hooks="spans"))
    assert client.get("/").status == 401
    [gate] = [s for s in recorder.spans() if s.name == "tools.gate"]
    assert gate.attributes["pegboard.hook.answered"] == 401
    assert gate.status.status_code is StatusCode.UNSET


def test_hooks_off_records_only_the_server_span(make_app, make_client, recorder):
    client = make_client(_app(make_app, recorder, hooks="off"))
    assert client.get("/", headers={"X-Key": "k"}).status == 200
    [span] = recorder.spans()
    assert span.events == ()


def test_paths_where_otel_is_off_pay_no_wrapping(make_app, make_client, recorder):
    app = make_app(
        {
            "/": {"tools.otel.on": True, "tools.otel.tracer_provider": recorder.provider},
            "/plain": {"tools.otel.on": False, "tools.response_time.on": True},
        },
        plugins=PLUGINS,
    )
    app.route("/plain", lambda req, resp: "plain")
    make_client(app).get("/plain")
    assert recorder.spans() == []
    plan = app.router.static["/plain"].default_plan
    assert plan.hook_wrappers == ()


def test_declared_hooks_are_exactly_the_attached_ones(make_app, recorder):
    app = _app(make_app, recorder)
    app.compile()
    attached = {
        (point, hook.priority, hook.failsafe)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "otel"
    }
    declared = {(h.point, h.priority, h.failsafe) for h in pegboard_otel.OtelTool.hooks}
    assert attached == declared


def test_every_option_has_a_meaning_for_the_reference():
    assert all(option.doc for option in pegboard_otel.OtelTool().options.values())
