"""What a handler may return, and a clear 500 through pegboard's error path for the rest."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest


@pytest.fixture
def app(make_app):
    app = make_app()
    ended = []
    app.config.sections["/"] = {"hooks.on_end_resource": lambda req, resp: ended.append(req.path)}
    app.ended = ended
    return app


def _route(app, value):
    app.route("/", lambda req, resp: value)
    return app


@pytest.mark.parametrize(
    ("value", "body", "ctype"),
    [
        ("text", b"text", "text/html; charset=utf-8"),
        (b"raw", b"raw", "text/html; charset=utf-8"),
        ([b"a", b"b"], b"ab", "text/html; charset=utf-8"),
        (["a", "b"], b"ab", "text/html; charset=utf-8"),
        ((b"x" for _ in range(2)), b"xx", "text/html; charset=utf-8"),
        (bytearray(b"ba"), b"ba", "text/html; charset=utf-8"),
        ({"a": 1, "b": [1, 2]}, b'{"a":1,"b":[1,2]}', "application/json"),
        ({"name": "é"}, '{"name":"é"}'.encode(), "application/json"),
    ],
)
def test_supported_results(app, make_client, value, body, ctype):
    result = make_client(_route(app, value)).get("/")
    assert result.status == 200
    assert result.body == body
    assert result.headers["Content-Type"] == ctype
    if ctype == "application/json":
        assert json.loads(result.body) == (list(value) if isinstance(value, tuple) else value)


def test_a_dict_keeps_a_type_the_handler_set(make_app, make_client):
    app = make_app()

    @app.route("/")
    def problem(req, resp):
        resp.headers["Content-Type"] = "application/problem+json"
        return {"title": "x"}

    assert make_client(app).get("/").headers["Content-Type"] == "application/problem+json"


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    ("value", "type_name", "fix"),
    [
        (42, "int", "return str, bytes, an iterable of bytes or str, a dict (sent as JSON)"),
        (4.2, "float", "return str, bytes"),
        (Point(1), "Point", "turn on tools.json_out"),
        ({"when": object()}, "dict that is not JSON-serializable", "turn on tools.json_out"),
        ([{"id": 1}], "has a dict chunk", "turn on tools.json_out for lists"),
        ((n for n in range(3)), "has a int chunk", "tools.flatten for nested iterables"),
        ([[b"nested"]], "has a list chunk", "tools.flatten for nested iterables"),
    ],
)
def test_unsupported_results_are_a_500_through_the_error_path(
    app, make_client, caplog, value, type_name, fix
):
    @app.route("/")
    def my_handler(req, resp):
        return value

    with caplog.at_level(logging.ERROR, logger="pegboard.error"):
        result = make_client(app).get("/")
    assert result.status == 500
    assert "Internal Server Error" in result.text
    assert "Traceback" not in result.text
    assert app.ended == ["/"], "the request still ran its hooks"
    logged = "\n".join(
        r.getMessage() + str(r.exc_info[1] if r.exc_info else "") for r in caplog.records
    )
    assert "test_handler_results" in logged and "my_handler" in logged
    assert type_name in logged
    assert fix in logged


def test_a_resource_responder_is_named(make_app, make_client, caplog):
    class Things:
        def on_get(self, req, resp):
            return 7

    app = make_app()
    app.route("/things", Things())
    with caplog.at_level(logging.ERROR, logger="pegboard.error"):
        assert make_client(app).get("/things").status == 500
    assert any(
        "Things.on_get returned int" in str(r.exc_info[1]) for r in caplog.records if r.exc_info
    )
