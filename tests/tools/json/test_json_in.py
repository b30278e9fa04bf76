"""``tools.json_in``: JSON request bodies into ``req.json``, with clear 4xx answers."""

from __future__ import annotations

import json

import pytest

import pegboard


def build(make_app, **options):
    config = {"tools.json_in.on": True}
    config.update({f"tools.json_in.{k}": v for k, v in options.items()})
    app = make_app({"/": config})

    @app.route("/echo", methods=["GET", "POST", "PUT"])
    def echo(req, resp):
        resp.headers["Content-Type"] = "application/json"
        return json.dumps({"json": req.json})

    return app


@pytest.fixture
def client(make_app, make_client):
    return make_client(build(make_app))


def test_object_reaches_the_handler(client):
    result = client.post("/echo", json={"a": [1, 2, {"b": None}], "s": "é"})
    assert result.status == 200
    assert result.json() == {"json": {"a": [1, 2, {"b": None}], "s": "é"}}


@pytest.mark.parametrize(
    "ctype",
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/vnd.api+json",
        "application/merge-patch+json",
    ],
)
def test_json_types_accepted(client, ctype):
    result = client.post("/echo", body=b'{"ok": true}', headers={"Content-Type": ctype})
    assert result.json() == {"json": {"ok": True}}


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
def test_other_types_are_415(client, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    result = client.post("/echo", body=b'{"ok": true}', headers=headers)
    assert result.status == 415
    assert b"application/json" in result.body


def test_force_off_leaves_other_types_alone(make_app, make_client):
    client = make_client(build(make_app, force=False))
    result = client.post("/echo", body=b"a=1", headers={"Content-Type": "text/plain"})
    assert result.status == 200 and result.json() == {"json": None}


def test_no_body_means_none_and_no_415(client):
    assert client.get("/echo").json() == {"json": None}
    assert client.post("/echo", body=b"", headers={"Content-Type": "text/plain"}).json() == {
        "json": None
    }


def test_chunked_body_is_read_without_411(client):
    chunks = [b'{"items": [', b"1, 2,", b" 3]}"]
    result = client.post("/echo", body=iter(chunks), headers={"Content-Type": "application/json"})
    assert result.status == 200 and result.json() == {"json": {"items": [1, 2, 3]}}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"a": 1,}', "line 1, column"),
        (b'{\n  "a": 1,\n  "b": [1, 2\n}', "line 4, column 1"),
        (b"[1, 2] trailing", "line 1, column"),
        (b"\xff\xfe not utf-8", "line 1"),
    ],
)
def test_invalid_json_is_a_400_naming_line_and_column(client, body, where):
    result = client.post("/echo", body=body, headers={"Content-Type": "application/json"})
    assert result.status == 400
    assert where in result.text


def test_deep_nesting_is_a_400_not_a_crash(client):
    body = b"[" * 100_000 + b"]" * 100_000
    result = client.post("/echo", body=body, headers={"Content-Type": "application/json"})
    assert result.status == 400


def test_charset_is_honoured(client):
    data = {"name": "Zoë ☃"}
    for charset in ("utf-16", "latin-1"):
        text = json.dumps(data, ensure_ascii=False)
        if charset == "latin-1":
            text = text.replace(" ☃", "")
        body = text.encode(charset)
        result = client.post(
            "/echo", body=body, headers={"Content-Type": f"application/json; charset={charset}"}
        )
        assert result.status == 200, charset
        assert result.json()["json"]["name"].startswith("Zoë")


def test_unknown_charset_is_415_and_bad_bytes_400(client):
    unknown = client.post(
        "/echo", body=b"{}", headers={"Content-Type": "application/json; charset=klingon"}
    )
    assert unknown.status == 415
    wrong = client.post(
        "/echo", body=b'"\xff"', headers={"Content-Type": "application/json; charset=ascii"}
    )
    assert wrong.status == 400


def test_utf8_bom_is_ignored(client):
    result = client.post(
        "/echo", body=b'\xef\xbb\xbf{"a": 1}', headers={"Content-Type": "application/json"}
    )
    assert result.json() == {"json": {"a": 1}}


def test_max_bytes_is_413_for_declared_and_chunked_bodies(make_app, make_client):
    client = make_client(build(make_app, max_bytes=32))
    small = client.post("/echo", json={"a": 1})
    big = client.post("/echo", json={"a": "x" * 100})
    chunked = client.post(
        "/echo",
        body=iter([b'{"a": "', b"x" * 100, b'"}']),
        headers={"Content-Type": "application/json"},
    )
    assert (small.status, big.status, chunked.status) == (200, 413, 413)


def test_content_type_option_and_custom_processor(make_app, make_client):
    def upper_keys(req):
        return {k.upper(): v for k, v in json.loads(req.body.bytes).items()}

    client = make_client(build(make_app, content_type="text/x-json", processor=upper_keys))
    result = client.post("/echo", body=b'{"a": 1}', headers={"Content-Type": "text/x-json"})
    assert result.json() == {"json": {"A": 1}}
    refused = client.post("/echo", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    assert refused.status == 415


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("content_type", ["application json"]),
        ("max_bytes", -1),
        ("force", "yes"),
        ("processor", 42),
    ],
)
def test_bad_options_are_config_errors(make_app, option, value):
    app = build(make_app, **{option: value})
    with pytest.raises(pegboard.ConfigError, match=f"tools.json_in.{option}"):
        app.start()


def test_bodiless_request_from_a_server_that_marks_every_input_terminated(client):
    """waitress and gunicorn set wsgi.input_terminated on every request, GETs included."""
    result = client.get("/echo", environ={"wsgi.input_terminated": True})
    assert result.status == 200 and result.json() == {"json": None}


def test_over_a_real_socket(make_app, live_server):
    import httpx

    server = live_server(build(make_app))
    with httpx.Client(base_url=server.url, timeout=5) as http:
        assert http.get("/echo").json() == {"json": None}
        assert http.post("/echo", json={"a": 1}).json() == {"json": {"a": 1}}
        chunked = http.post(
            "/echo", content=iter([b'{"b":', b" 2}"]), headers={"Content-Type": "application/json"}
        )
        assert chunked.json() == {"json": {"b": 2}}
        refused = http.post("/echo", content=b"x=1", headers={"Content-Type": "text/plain"})
        assert refused.status_code == 415
