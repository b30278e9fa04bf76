"""The flatten tool: nested generators become one flat body."""

from __future__ import annotations

import pytest

import pegboard


def _nested():
    yield b"<ul>"
    for i in range(3):
        yield (f"<li>{i}</li>" for _ in range(1))
    yield [b"<li>", [b"deep", ["er"]], b"</li>"]
    yield bytearray(b"</ul>")


def test_nested_iterables_are_flattened(make_app, make_client):
    app = make_app({"/": {"tools.flatten.on": True}})
    app.route("/list", lambda req, resp: _nested())
    result = make_client(app).get("/list")
    assert result.status == 200
    assert result.text == "<ul><li>0</li><li>1</li><li>2</li><li>deeper</li></ul>"


def test_without_the_tool_nesting_fails(make_app, make_client):
    app = make_app()
    app.route("/list", lambda req, resp: _nested())
    with pytest.raises(TypeError):
        make_client(app, validate=False).get("/list")


def test_deep_nesting_does_not_hit_the_recursion_limit(make_app, make_client):
    def deep(n):
        body: list = [b"x"]
        for _ in range(n):
            body = [body]
        return body

    app = make_app({"/": {"tools.flatten.on": True}})
    app.route("/deep", lambda req, resp: deep(5000))
    assert make_client(app).get("/deep").body == b"x"


def test_closing_closes_every_open_generator(make_app, make_client):
    closed: list[str] = []

    def inner():
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append("inner")

    def outer():
        try:
            yield inner()
        finally:
            closed.append("outer")

    from pegboard_http.flatten import Flattened

    flat = Flattened(outer())
    assert next(flat) == b"a"
    flat.close()
    assert closed == ["inner", "outer"]


def test_flat_output_feeds_body_readers(make_app, make_client):
    seen: list[bytes] = []

    def read_body(req, resp):
        seen.append(resp.body)

    app = make_app(
        {
            "/": {
                "tools.flatten.on": True,
                "hooks.before_finalize": pegboard.Hook(read_body, priority=60),
            }
        }
    )
    app.route("/list", lambda req, resp: _nested())
    make_client(app).get("/list")
    assert seen == [b"<ul><li>0</li><li>1</li><li>2</li><li>deeper</li></ul>"]
