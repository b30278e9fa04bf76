"""The response_time example package: the typed form a third-party tool copies."""

from __future__ import annotations

import re

import pytest

import pegboard
import pegboard_response_time
from pegboard import OptionError
from pegboard_response_time import ResponseTimeOptions, ResponseTimeTool, elapsed


def _app(make_app, **options):
    config = {"tools.response_time.on": True}
    config.update({f"tools.response_time.{k}": v for k, v in options.items()})
    app = make_app(
        {"/": config, "/off": {"tools.response_time.on": False}},
        plugins=[pegboard_response_time],
        discover=False,
    )

    @app.route("/")
    def timed(req, resp):
        return f"elapsed={elapsed(req)!r}"

    @app.route("/off")
    def off(req, resp):
        return f"elapsed={elapsed(req)!r}"

    return app


def test_the_header_holds_milliseconds_with_the_configured_precision(make_app, make_client):
    client = make_client(_app(make_app))
    assert re.fullmatch(r"\d+\.\d{3}ms", client.get("/").headers["X-Response-Time"])
    client = make_client(_app(make_app, precision=0, header="X-Took"))
    assert re.fullmatch(r"\d+ms", client.get("/").headers["X-Took"])


def test_server_timing_uses_that_headers_syntax_in_any_case(make_app, make_client):
    result = make_client(_app(make_app, header="server-timing", precision=1)).get("/")
    assert re.fullmatch(r"app;dur=\d+\.\d", result.headers["Server-Timing"])


def test_elapsed_is_the_typed_accessor_for_handlers(make_app, make_client):
    client = make_client(_app(make_app))
    seconds = float(client.get("/").text.removeprefix("elapsed="))
    assert 0 <= seconds < 5
    off = client.get("/off")
    assert off.text == "elapsed=None"
    assert "X-Response-Time" not in off.headers


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"header": "X Took"}, "tools.response_time.header: 'X Took' is not a header name"),
        ({"header": "X-Took:"}, "tools.response_time.header"),
        ({"precision": 4}, "tools.response_time.precision: expected one of 0, 1, 2, 3"),
    ],
)
def test_bad_options_fail_at_start_naming_the_key(make_app, options, words):
    app = _app(make_app, **options)
    with pytest.raises(pegboard.ConfigError) as caught:
        app.start()
    assert words in str(caught.value)


def test_the_option_class_checks_on_its_own():
    with pytest.raises(OptionError) as caught:
        ResponseTimeOptions(header="")
    assert caught.value.key == "header"
    assert ResponseTimeOptions().header == "X-Response-Time"


def test_declared_hooks_are_exactly_the_attached_ones(make_app):
    app = _app(make_app)
    attached = {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "response_time"
    }
    assert attached == {(h.point, h.priority) for h in ResponseTimeTool.hooks}


def test_options_have_meanings_for_the_reference():
    options = ResponseTimeTool().options
    assert all(option.doc for option in options.values())
    assert options["precision"].unit == "digits"
