"""request_id, access_log, log_headers, log_tracebacks and log_hooks."""

from __future__ import annotations

import json
import logging
import re

import pytest

import pegboard

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def _site(make_app, config):
    app = make_app(config)

    @app.route("/hello")
    def hello(req, resp):
        return f"hello {req.request_id}" if "request_id" in req.__dict__ else "hello"

    @app.route("/boom")
    def boom(req, resp):
        raise RuntimeError("the handler broke")

    @app.route("/stream")
    def stream(req, resp):
        return iter([b"abc", b"defg"])

    app.route("/sorry", lambda req, resp: "sorry")
    return app


# -- request_id --------------------------------------------------------------------------------


def test_each_request_gets_a_fresh_id_echoed_back(make_app, make_client):
    client = make_client(_site(make_app, {"/": {"tools.request_id.on": True}}))
    first, second = client.get("/hello"), client.get("/hello")
    assert HEX_ID.match(first.headers["X-Request-Id"])
    assert first.text == f"hello {first.headers['X-Request-Id']}"
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_an_incoming_id_is_ignored_unless_the_peer_is_trusted(make_app, make_client):
    client = make_client(_site(make_app, {"/": {"tools.request_id.on": True}}))
    result = client.get("/hello", headers={"X-Request-Id": "from-the-client"})
    assert result.headers["X-Request-Id"] != "from-the-client"


def test_a_trusted_peer_passes_its_id_on(make_app, make_client):
    config = {"tools.request_id.on": True, "tools.request_id.trusted": ["127.0.0.0/8"]}
    client = make_client(_site(make_app, {"/": config}))
    result = client.get("/hello", headers={"X-Request-Id": "lb-7f3a:42"})
    assert result.headers["X-Request-Id"] == "lb-7f3a:42"
    assert result.text == "hello lb-7f3a:42"


@pytest.mark.parametrize("incoming", ["a b", "x" * 201, "evil\x01", "<script>"])
def test_an_incoming_id_that_is_not_an_id_is_replaced(make_app, make_client, incoming):
    config = {"tools.request_id.on": True, "tools.request_id.trusted": ["127.0.0.1"]}
    result = make_client(_site(make_app, {"/": config})).get(
        "/hello", headers={"X-Request-Id": incoming}
    )
    assert HEX_ID.match(result.headers["X-Request-Id"])


def test_header_name_and_echo(make_app, make_client):
    config = {"tools.request_id.on": True, "tools.request_id.header": "X-Correlation-Id"}
    result = make_client(_site(make_app, {"/": config})).get("/hello")
    assert HEX_ID.match(result.headers["X-Correlation-Id"])
    quiet = {"tools.request_id.on": True, "tools.request_id.echo": False}
    assert "X-Request-Id" not in make_client(_site(make_app, {"/": quiet})).get("/hello").headers


def test_the_500_page_carries_the_id(make_app, make_client):
    result = make_client(_site(make_app, {"/": {"tools.request_id.on": True}})).get("/boom")
    assert result.status == 500
    assert HEX_ID.match(result.headers["X-Request-Id"])


def test_an_internal_redirect_keeps_the_id(make_app, make_client):
    config = {
        "/": {"tools.request_id.on": True},
        "/alias": {"tools.redirect.on": True, "tools.redirect.url": "/hello"},
    }
    app = _site(make_app, config)
    app.route("/alias", lambda req, resp: "alias")
    result = make_client(app).get("/alias")
    assert result.text == f"hello {result.headers['X-Request-Id']}"


@pytest.mark.parametrize(
    ("options", "key"), [({"header": "X Bad"}, "header"), ({"trusted": ["nope"]}, "trusted")]
)
def test_request_id_config_errors(make_app, options, key):
    config = {
        "tools.request_id.on": True,
        **{f"tools.request_id.{k}": v for k, v in options.items()},
    }
    app = _site(make_app, {"/": config})
    with pytest.raises(pegboard.ConfigError, match=rf"tools\.request_id\.{key}"):
        app.start()


# -- access_log ----------------------------------------------------------------------------------

COMBINED = re.compile(
    r"^(?P<host>\S+) - (?P<user>\S+) \[(?P<time>\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] "
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>[^"]*)" '
    r'"(?P<agent>(?:[^"\\]|\\.)*)" "(?P<id>[^"]*)"$'
)


def _logged(make_app, make_client, log_records, options=None, path="/hello", **kwargs):
    records = log_records("pegboard.access")
    config = {"tools.request_id.on": True, "tools.access_log.on": True}
    config.update({f"tools.access_log.{k}": v for k, v in (options or {}).items()})
    result = make_client(_site(make_app, {"/": config})).request(
        kwargs.pop("method", "GET"), path, **kwargs
    )
    return result, records


def test_combined_log_line(make_app, make_client, log_records):
    result, records = _logged(
        make_app,
        make_client,
        log_records,
        path="/hello?x=1",
        headers={"Referer": "https://example.com/", "User-Agent": "curl/8.0"},
    )
    assert len(records.records) == 1
    match = COMBINED.match(records.messages[0])
    assert match, records.messages[0]
    assert match["host"] == "127.0.0.1"
    assert match["user"] == "-"
    assert match["request"] == "GET /hello?x=1 HTTP/1.1"
    assert match["status"] == "200"
    assert match["bytes"] == str(len(result.body))
    assert match["referer"] == "https://example.com/"
    assert match["agent"] == "curl/8.0"
    assert match["id"] == result.headers["X-Request-Id"]
    assert records.records[0].levelno == logging.INFO
    assert records.records[0].access["status"] == 200


def test_common_log_format_without_request_id(make_app, make_client, log_records):
    _, records = _logged(
        make_app, make_client, log_records, {"format": "common", "request_id": False}
    )
    line = records.messages[0]
    assert re.match(r'^127\.0\.0\.1 - - \[[^\]]+\] "GET /hello HTTP/1\.1" 200 \d+$', line), line


def test_json_lines(make_app, make_client, log_records):
    result, records = _logged(
        make_app,
        make_client,
        log_records,
        {"format": "json"},
        headers={"User-Agent": 'a "quoted" UA'},
    )
    data = json.loads(records.messages[0])
    assert data["method"] == "GET"
    assert data["target"] == "/hello"
    assert data["status"] == 200
    assert data["bytes"] == len(result.body)
    assert data["user_agent"] == 'a "quoted" UA'
    assert data["request_id"] == result.headers["X-Request-Id"]
    assert data["duration_ms"] >= 0
    assert data["time"].endswith("Z")


def test_hostile_values_cannot_forge_fields_or_lines(make_app, make_client, log_records):
    agent = 'x" 200 999 "forged\nINJECTED "line'
    _, records = _logged(make_app, make_client, log_records, headers={"User-Agent": agent})
    line = records.messages[0]
    assert "\n" not in line
    match = COMBINED.match(line)
    assert match, line
    assert match["agent"] == 'x\\" 200 999 \\"forged\\x0aINJECTED \\"line'


def test_streamed_bytes_are_counted(make_app, make_client, log_records):
    _, records = _logged(make_app, make_client, log_records, path="/stream")
    assert COMBINED.match(records.messages[0])["bytes"] == "7"


def test_head_sends_no_bytes(make_app, make_client, log_records):
    _, records = _logged(make_app, make_client, log_records, method="HEAD")
    assert COMBINED.match(records.messages[0])["bytes"] == "-"


def test_errors_are_logged_with_their_status(make_app, make_client, log_records):
    _, records = _logged(make_app, make_client, log_records, path="/boom")
    assert COMBINED.match(records.messages[0])["status"] == "500"
    _, records = _logged(make_app, make_client, log_records, path="/missing")
    assert COMBINED.match(records.messages[-1])["status"] == "404"


def test_an_internal_redirect_is_one_line(make_app, make_client, log_records):
    records = log_records("pegboard.access")
    app = _site(
        make_app,
        {
            "/": {"tools.access_log.on": True},
            "/alias": {"tools.redirect.on": True, "tools.redirect.url": "/hello"},
        },
    )
    app.route("/alias", lambda req, resp: "alias")
    make_client(app).get("/alias")
    assert len(records.messages) == 1
    assert '"GET /alias HTTP/1.1" 200' in records.messages[0]


def test_the_logger_is_configurable(make_app, make_client, log_records):
    records = log_records("myapp.access")
    _logged(make_app, make_client, log_records, {"logger": "myapp.access"})
    assert len(records.messages) == 1


def test_bad_format_is_a_config_error(make_app):
    app = _site(make_app, {"/": {"tools.access_log.on": True, "tools.access_log.format": "apache"}})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.access_log\.format"):
        app.start()


# -- log_headers, log_tracebacks, log_hooks -----------------------------------------------------


def test_log_headers_on_errors_with_credentials_redacted(make_app, make_client, log_records):
    records = log_records("pegboard.http")
    client = make_client(_site(make_app, {"/": {"tools.log_headers.on": True}}))
    headers = {"Authorization": "Basic c2VjcmV0", "Cookie": "sid=secret", "X-Trace": "t1"}
    client.get("/hello", headers=headers)
    assert records.messages == []
    client.get("/boom", headers=headers)
    (message,) = records.messages
    assert "GET http://localhost/boom" in message
    assert "X-Trace: t1" in message
    assert "Authorization: [redacted]" in message
    assert "secret" not in message and "c2VjcmV0" not in message


def test_log_headers_redact_list(make_app, make_client, log_records):
    records = log_records("pegboard.http")
    config = {"tools.log_headers.on": True, "tools.log_headers.redact": ["X-Trace"]}
    make_client(_site(make_app, {"/": config})).get("/boom", headers={"X-Trace": "t1"})
    assert "X-Trace: [redacted]" in records.messages[0]


def test_log_tracebacks(make_app, make_client, log_records):
    records = log_records("myapp.errors")
    config = {
        "tools.log_tracebacks.on": True,
        "tools.log_tracebacks.severity": "WARNING",
        "tools.log_tracebacks.logger": "myapp.errors",
        "tools.request_id.on": True,
    }
    result = make_client(_site(make_app, {"/": config})).get("/boom")
    (record,) = records.records
    assert record.levelno == logging.WARNING
    assert record.exc_info is not None and "the handler broke" in str(record.exc_info[1])
    assert result.headers["X-Request-Id"] in record.getMessage()
    assert "GET http://localhost/boom" in record.getMessage()


def test_log_hooks(make_app, make_client, log_records):
    records = log_records("pegboard.http")
    config = {"tools.log_hooks.on": True, "tools.allow.on": True}
    make_client(_site(make_app, {"/": config})).get("/hello")
    (message,) = records.messages
    assert "Hooks of GET http://localhost/hello" in message
    assert "tools.allow" in message
    assert "tools.log_hooks" in message


@pytest.mark.parametrize("tool", ["log_headers", "log_tracebacks", "log_hooks"])
def test_bad_severity_is_a_config_error(make_app, tool):
    app = _site(make_app, {"/": {f"tools.{tool}.on": True, f"tools.{tool}.severity": "LOUD"}})
    with pytest.raises(pegboard.ConfigError, match=rf"tools\.{tool}\.severity"):
        app.start()
