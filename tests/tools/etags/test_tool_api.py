"""The etags tools on the tool-author API: declared hooks, typed options, httputil's parsers."""

from __future__ import annotations

import pytest

import pegboard_etags
from pegboard import httputil
from pegboard_etags import EtagsOptions, LastModifiedOptions


def attached(app, tool):
    """``{(point, priority, failsafe)}`` of every hook ``tool`` attached to ``app``'s plans."""
    app.compile()
    return {
        (point, hook.priority, hook.failsafe)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == tool
    }


def declared(tool):
    return {(h.point, h.priority, h.failsafe) for h in tool.hooks if not h.per_request}


def current_version(req):
    return "v1"


@pytest.fixture
def tools():
    return {tool.name: tool for tool in pegboard_etags.pegboard_tools()}


def test_the_declared_hooks_are_exactly_the_attached_ones(make_app, tools):
    config = {
        "/": {
            "tools.etags.on": True,
            "tools.etags.validator": current_version,
            "tools.last_modified.on": True,
        }
    }
    app = make_app(config)
    app.route("/", lambda req, resp: "x")
    assert attached(app, "etags") == declared(tools["etags"])
    assert attached(app, "last_modified") == declared(tools["last_modified"])
    without = make_app({"/": {"tools.etags.on": True}})
    without.route("/", lambda req, resp: "x")
    assert attached(without, "etags") == {("before_finalize", 70, False)}


def test_the_options_classes_are_the_schemas(tools):
    assert tools["etags"].options_type is EtagsOptions
    assert tools["last_modified"].options_type is LastModifiedOptions
    schema = tools["etags"].options
    assert list(schema) == ["autotags", "validator"]
    assert all(option.doc for option in schema.values())
    assert tools["last_modified"].options == {}


def test_a_validator_given_as_an_import_string(make_app, make_client):
    app = make_app(
        {"/": {"tools.etags.on": True, "tools.etags.validator": f"{__name__}:current_version"}}
    )
    app.route("/", lambda req, resp: "body")
    client = make_client(app)
    assert client.get("/").headers["ETag"] == '"v1"'
    assert client.get("/", headers={"If-None-Match": '"v1"'}).status == 304


def test_the_parsers_that_moved_say_where_they_went():
    assert pegboard_etags.parse_http_date is httputil.parse_http_date
    with pytest.raises(AttributeError, match=r"pegboard\.httputil\.parse_entity_tag "):
        pegboard_etags.parse_entity_tag  # noqa: B018
    with pytest.raises(AttributeError, match=r"pegboard\.httputil\.parse_entity_tag_list"):
        pegboard_etags.parse_tag_list  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        pegboard_etags.nothing  # noqa: B018


@pytest.mark.parametrize(
    ("value", "tag"),
    [("v3", '"v3"'), ('"v3"', '"v3"'), ('W/"v3"', 'W/"v3"'), (' "v3" ', '"v3"')],
)
def test_to_entity_tag_keeps_tags_and_quotes_the_rest(value, tag):
    assert pegboard_etags.to_entity_tag(value) == tag


@pytest.mark.parametrize("value", ['a"b', "a b", "a\nb"])
def test_to_entity_tag_refuses_what_no_tag_can_hold(value):
    with pytest.raises(ValueError, match="cannot be an entity-tag"):
        pegboard_etags.to_entity_tag(value)
