"""The gzip tool on the tool-author API: declared hooks, typed options, ``coding_of(req)``."""

from __future__ import annotations

import pytest

import pegboard
import pegboard_gzip
from pegboard_gzip import GzipOptions, coding_of

TEXT = "what a handler learns about its own compression. " * 20


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


def test_the_declared_hooks_are_exactly_the_attached_ones(make_app):
    (tool,) = pegboard_gzip.pegboard_tools()
    every = make_app({"/": {"tools.gzip.on": True, "tools.gzip.decompress_requests": True}})
    every.route("/", lambda req, resp: TEXT)
    assert attached(every, "gzip") == declared(tool)
    plain = make_app({"/": {"tools.gzip.on": True}})
    plain.route("/", lambda req, resp: TEXT)
    assert attached(plain, "gzip") == declared(tool) - {("before_request_body", 50, False)}


def test_the_options_class_is_the_schema_with_meanings_and_units():
    (tool,) = pegboard_gzip.pegboard_tools()
    assert tool.options_type is GzipOptions
    schema = tool.options
    assert list(schema) == [
        "compress_level",
        "mime_types",
        "encodings",
        "min_size",
        "br_quality",
        "zstd_level",
        "decompress_requests",
        "max_decompressed_size",
    ]
    assert all(option.doc for option in schema.values())
    assert schema["min_size"].unit == "bytes"
    assert schema["max_decompressed_size"].unit == "bytes"
    assert schema["compress_level"].default == 5


def test_the_options_check_themselves_when_built_from_code():
    assert GzipOptions(compress_level=9).compress_level == 9
    with pytest.raises(pegboard.OptionError) as info:
        GzipOptions(zstd_level=23)
    assert info.value.key == "zstd_level"
    assert "between 1 and 22, got 23" in info.value.message


@pytest.fixture
def client(make_app, make_client):
    app = make_app({"/": {"tools.gzip.on": True}, "/off": {"tools.gzip.on": False}})

    @app.route("/")
    def index(req, resp):
        resp.headers["X-Coding"] = str(coding_of(req))
        return TEXT

    app.route("/off", index)
    return make_client(app)


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("gzip", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=0", "None"),
        ("identity", "None"),
        (None, "None"),
    ],
)
def test_coding_of_tells_the_handler_what_its_response_gets(client, accept_encoding, expected):
    headers = {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}
    result = client.get("/", headers=headers)
    assert result.headers["X-Coding"] == expected
    assert result.headers.get("Content-Encoding", "None") == expected


def test_coding_of_is_none_where_the_tool_is_off(client):
    result = client.get("/off", headers={"Accept-Encoding": "gzip"})
    assert result.headers["X-Coding"] == "None"
    assert "Content-Encoding" not in result.headers


@pytest.mark.parametrize("declared", ["\u0661\u0662", "²", "9" * 5000, "-1", " 12"])
def test_a_stream_with_a_content_length_that_is_not_a_number_is_still_compressed(
    make_app, make_client, decode, declared
):
    """Unicode digits, a number past Python's int-string limit: no 500, the stream is compressed."""
    app = make_app({"/": {"tools.gzip.on": True}})

    @app.route("/")
    def stream(req, resp):
        resp.stream = iter([TEXT.encode()])
        resp.headers["Content-Length"] = declared

    result = make_client(app).get("/", headers={"Accept-Encoding": "gzip"})
    assert result.status == 200
    assert result.headers["Content-Encoding"] == "gzip"
    assert decode("gzip", result.body) == TEXT.encode()


def test_the_old_parser_name_says_where_it_went():
    with pytest.raises(AttributeError, match=r"pegboard\.httputil\.parse_accept_encoding"):
        pegboard_gzip.parse_accept_encoding  # noqa: B018
