"""The json tools on the typed tool API: option classes, declared hooks, json_of(req), app.state."""

from __future__ import annotations

import json

import pytest

import pegboard
import pegboard_json
from pegboard import OptionError
from pegboard_json import JsonInOptions, JsonInTool, JsonOutOptions, JsonOutTool, json_of

# -- json_of(req) and req.json -----------------------------------------------------------


def _echo_app(make_app, config):
    app = make_app({"/": config})

    @app.route("/echo", methods=["GET", "POST"])
    def echo(req, resp):
        resp.headers["Content-Type"] = "application/json"
        return json.dumps({"json_of": json_of(req), "attribute": req.json})

    return app


def test_json_of_and_req_json_give_the_parsed_body(make_app, make_client):
    client = make_client(_echo_app(make_app, {"tools.json_in.on": True}))
    body = {"a": [1, {"b": "é"}]}
    assert client.post("/echo", json=body).json() == {"json_of": body, "attribute": body}
    assert client.get("/echo").json() == {"json_of": None, "attribute": None}


def test_json_of_where_json_in_is_off_says_how_to_turn_it_on(make_app, make_client):
    app = make_app()

    @app.route("/")
    def handler(req, resp):
        try:
            json_of(req)
        except LookupError as exc:
            return str(exc)
        return "no error"

    assert "tools.json_in.on = true" in make_client(app).get("/").text


def test_json_of_with_force_off_and_another_type_is_none(make_app, make_client):
    client = make_client(
        _echo_app(make_app, {"tools.json_in.on": True, "tools.json_in.force": False})
    )
    result = client.post("/echo", body=b"a=1", headers={"Content-Type": "text/plain"})
    assert result.json() == {"json_of": None, "attribute": None}


def test_a_processor_result_is_what_json_of_gives(make_app, make_client):
    config = {"tools.json_in.on": True, "tools.json_in.processor": lambda req: ["processed"]}
    client = make_client(_echo_app(make_app, config))
    assert client.post("/echo", json={"x": 1}).json()["json_of"] == ["processed"]


# -- the option classes carry the checks ------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"content_type": ("application json",)}, "content_type"),
        ({"content_type": "*/json"}, "content_type"),
        ({"max_bytes": -1}, "max_bytes"),
    ],
)
def test_json_in_options_refuse_values_that_cannot_work(options, key):
    with pytest.raises(OptionError) as caught:
        JsonInOptions(**options)
    assert caught.value.key == key


def test_json_in_options_accept_patterns_and_a_single_type():
    assert JsonInOptions(content_type="application/*+json").content_type == "application/*+json"
    assert JsonInOptions(max_bytes=0).max_bytes == 0


def test_the_reference_gives_meanings_and_units():
    schema = JsonInTool().options
    assert schema["max_bytes"].unit == "bytes"
    assert all(option.doc for option in schema.values())
    assert all(option.doc for option in JsonOutTool().options.values())
    assert JsonOutTool().options_type is JsonOutOptions


# -- declared hooks are the hooks attached ---------------------------------------------------------


def _attached(app, tool_name):
    return {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == tool_name
    }


@pytest.mark.parametrize("tool", [JsonInTool(), JsonOutTool()], ids=lambda t: t.name)
def test_declared_hooks_are_exactly_the_attached_ones(make_app, tool):
    config = {f"tools.{tool.name}.on": True}
    if tool.name == "json_out":
        config["tools.json_out.problem_details"] = True
    app = make_app({"/": config})
    app.route("/", lambda req, resp: {})
    declared = {(h.point, h.priority) for h in tool.hooks if not h.per_request}
    assert _attached(app, tool.name) == declared


def test_without_problem_details_json_out_attaches_only_its_wrapper(make_app):
    app = make_app({"/": {"tools.json_out.on": True}})
    assert _attached(app, "json_out") == {("before_handler", 70)}


# -- problem details: one cache per app, in app.state ------------------------------------------------


def test_problem_plans_are_kept_per_app_in_app_state(make_app, make_client):
    def build():
        app = make_app({"/": {"tools.json_out.on": True, "tools.json_out.problem_details": True}})
        app.route("/missing", lambda req, resp: (_ for _ in ()).throw(pegboard.NotFound()))
        return app

    first, second = build(), build()
    for app in (first, second):
        result = make_client(app).get("/missing")
        assert result.status == 404
        assert result.headers["Content-Type"] == "application/problem+json"
    assert first.state.json_out is not second.state.json_out
    assert len(first.state.json_out) == 1  # one derived plan for the one route used


def test_problem_plan_cache_is_bounded(make_app, make_client):
    app = make_app({"/": {"tools.json_out.on": True, "tools.json_out.problem_details": True}})
    app.route("/", lambda req, resp: {})
    make_client(app).get("/")
    pages = app.state.json_out
    plan = app.plans()[0]
    for _ in range(pages.max_entries + 10):
        pages.derive(plan.with_hook("on_end_request", pegboard.Hook(lambda req, resp: None)))
    assert len(pages) <= pages.max_entries


def test_the_package_registers_both_tools():
    names = sorted(tool.name for tool in pegboard_json.pegboard_tools())
    assert names == ["json_in", "json_out"]
