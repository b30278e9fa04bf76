"""``tools.json_out``: handler results encoded as JSON, the same with orjson or without."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from decimal import Decimal

import pytest

import pegboard


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int
    at: dt.date


VALUE = {
    "when": dt.datetime(2024, 5, 1, 12, 30, 15, 250, tzinfo=dt.UTC),
    "naive": dt.datetime(2024, 5, 1, 12, 30),
    "day": dt.date(2024, 5, 1),
    "time": dt.time(8, 15),
    "price": Decimal("19.990"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "colour": Colour.RED,
    "level": Level.HIGH,
    "point": Point(3, dt.date(2020, 1, 2)),
    "tags": frozenset({"only"}),
    "tuple": (1, 2),
    1: "int key",
    "text": "Zoë ☃",
}
EXPECTED = {
    "when": "2024-05-01T12:30:15.000250+00:00",
    "naive": "2024-05-01T12:30:00",
    "day": "2024-05-01",
    "time": "08:15:00",
    "price": "19.990",
    "id": "12345678-1234-5678-1234-567812345678",
    "colour": "red",
    "level": 3,
    "point": {"x": 3, "at": "2020-01-02"},
    "tags": ["only"],
    "tuple": [1, 2],
    "1": "int key",
    "text": "Zoë ☃",
}
# The default (orjson when installed) and the standard library, chosen by ``handler``.
ENCODERS = [None, "pegboard_json:encode_stdlib"]


def build(make_app, handler_value, **options):
    config = {"tools.json_out.on": True}
    config.update({f"tools.json_out.{k}": v for k, v in options.items() if v is not None})
    app = make_app({"/": config})
    app.route("/", lambda req, resp: handler_value)
    return app


@pytest.mark.parametrize("encoder", ENCODERS)
def test_extra_types_encode_identically(make_app, make_client, encoder):
    result = make_client(build(make_app, VALUE, handler=encoder)).get("/")
    assert result.status == 200
    assert result.headers["Content-Type"] == "application/json"
    assert json.loads(result.body) == EXPECTED
    assert "☃".encode() in result.body  # UTF-8, not \\u escapes
    assert b": " not in result.body  # compact


def test_both_encoders_give_the_same_bytes(make_app, make_client):
    value = {k: v for k, v in VALUE.items() if k != "tags"}
    bodies = {
        make_client(build(make_app, value, handler=encoder)).get("/").body for encoder in ENCODERS
    }
    assert len(bodies) == 1


@pytest.mark.parametrize(
    ("value", "body"),
    [([1, "two", None], b'[1,"two",null]'), ("text", b'"text"'), (0, b"0"), (False, b"false")],
)
def test_any_json_value(make_app, make_client, value, body):
    assert make_client(build(make_app, value)).get("/").body == body


def test_huge_integer_falls_back_to_the_standard_library(make_app, make_client):
    assert make_client(build(make_app, {"n": 2**70})).get("/").json() == {"n": 2**70}


def test_unknown_type_is_a_500_not_a_broken_body(make_app, make_client):
    result = make_client(build(make_app, {"x": object()})).get("/")
    assert result.status == 500


def test_content_type_option_and_custom_encoder(make_app, make_client):
    def shout(value):
        return json.dumps(value).upper()

    app = build(make_app, {"a": "b"}, content_type="application/vnd.demo+json", handler=shout)
    result = make_client(app).get("/")
    assert result.headers["Content-Type"] == "application/vnd.demo+json"
    assert result.body == b'{"A": "B"}'


def test_bytes_iterators_and_none_pass_through(make_app, make_client):
    app = make_app({"/": {"tools.json_out.on": True}})
    app.route("/bytes", lambda req, resp: b'{"pre": "encoded"}')
    app.route("/stream", lambda req, resp: iter([b'{"a":', b"1}"]))

    @app.route("/none")
    def none(req, resp):
        resp.status = 204

    @app.route("/typed")
    def typed(req, resp):
        resp.headers["Content-Type"] = "application/geo+json"
        return {"type": "Point"}

    client = make_client(app)
    raw = client.get("/bytes")
    assert raw.body == b'{"pre": "encoded"}' and raw.headers["Content-Type"] == "application/json"
    assert client.get("/stream").body == b'{"a":1}'
    empty = client.get("/none")
    assert empty.status == 204 and empty.body == b""
    assert client.get("/typed").headers["Content-Type"] == "application/geo+json"


def test_handler_tool_answer_is_left_alone(make_app, make_client):
    """A cache hit or a static file (``req.handler`` set to None) keeps its own body."""

    def cached(req, resp):
        resp.headers["Content-Type"] = "text/csv"
        resp.body = b"a,b\n1,2\n"
        req.handler = None

    for priority in (20, 90):  # before and after json_out's own hook (70)
        app = make_app({"/": {"tools.json_out.on": True, "tools.cached.on": True}})
        app.add_tool(pegboard.Tool("cached", cached, priority=priority))
        app.route("/", lambda req, resp: {"never": "encoded"})
        result = make_client(app).get("/")
        assert result.body == b"a,b\n1,2\n", priority
        assert result.headers["Content-Type"] == "text/csv"


def test_decorator_for_one_handler(make_app, make_client):
    app = make_app()

    @app.route("/api")
    @pegboard.tools.json_out()
    def api(req, resp):
        return {"ok": True}

    app.route("/page", lambda req, resp: "<p>html</p>")
    client = make_client(app)
    assert client.get("/api").json() == {"ok": True}
    assert client.get("/page").headers["Content-Type"].startswith("text/html")


def test_bad_options_are_config_errors(make_app):
    for option, value in [
        ("content_type", 3),
        ("handler", "nowhere:nothing"),
        ("problem_details", "on"),
    ]:
        app = build(make_app, {}, **{option: value})
        with pytest.raises(pegboard.ConfigError, match=f"tools.json_out.{option}"):
            app.start()
