"""The server span: name, semantic-convention attributes, status, parent, lifetime."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind, StatusCode

import pegboard_otel
from pegboard import ConfigError, HTTPError
from pegboard.testing import Client
from pegboard_otel import span_of

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


class Boom(Exception):
    pass


def _app(make_app, recorder, extra=None, plugins=(pegboard_otel,), **options):
    config = {"tools.otel.on": True, "tools.otel.tracer_provider": recorder.provider}
    config.update({f"tools.otel.{k}": v for k, v in options.items()})
    app = make_app({"/": config, **(extra or {})}, plugins=list(plugins))

    @app.route("/users/{id:int}")
    def user(req, resp, id):
        return f"user {id}"

    @app.route("/fail")
    def fail(req, resp):
        raise Boom("the database went away")

    @app.route("/busy")
    def busy(req, resp):
        raise HTTPError(503, "Try later.")

    @app.route("/forbidden")
    def forbidden(req, resp):
        raise HTTPError(403, "No.")

    return app


def test_a_routed_request_is_a_server_span_named_by_its_route(make_app, make_client, recorder):
    client = make_client(_app(make_app, recorder))
    result = client.get(
        "/users/42",
        query={"q": "pegboard", "sig": "s3cret"},
        headers={"User-Agent": "probe/1.0", "Host": "shop.example:8443"},
    )
    assert result.status == 200
    span = recorder.server_span()
    assert span.name == "GET /users/{id:int}"
    assert span.kind is SpanKind.SERVER
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes)
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.route"] == "/users/{id:int}"
    assert attributes["url.path"] == "/users/42"
    assert attributes["url.query"] == "q=pegboard&sig=REDACTED"
    assert attributes["url.scheme"] == "http"
    assert attributes["server.address"] == "shop.example"
    assert attributes["server.port"] == 8443
    assert attributes["user_agent.original"] == "probe/1.0"
    assert attributes["http.response.status_code"] == 200
    assert attributes["network.protocol.version"] == "1.1"
    assert attributes["client.address"] == attributes["network.peer.address"]
    assert "error.type" not in attributes


def test_an_unrouted_request_has_a_fixed_name_never_the_raw_path(make_app, make_client, recorder):
    client = make_client(_app(make_app, recorder))
    assert client.get("/no/such/page/7f3a").status == 404
    span = recorder.server_span()
    assert span.name == "GET"
    assert "http.route" not in span.attributes
    assert span.attributes["url.path"] == "/no/such/page/7f3a"
    assert span.attributes["http.response.status_code"] == 404
    assert span.status.status_code is StatusCode.UNSET  # a 4xx is the client's error


def test_an_unknown_method_is_other_and_the_span_is_named_http(make_app, make_client, recorder):
    app = _app(make_app, recorder)
    result = Client(app, validate=False).request("PROPFIND", "/users/1")
    assert result.status == 200  # a function route answers every method
    span = recorder.server_span()
    assert span.name == "HTTP /users/{id:int}"
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == "PROPFIND"


def test_an_exception_is_an_error_span_with_its_type_and_the_exception_event(
    make_app, make_client, recorder
):
    client = make_client(_app(make_app, recorder))
    assert client.get("/fail").status == 500
    span = recorder.server_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == f"{Boom.__module__}.Boom"
    assert span.attributes["http.response.status_code"] == 500
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.message"] == "the database went away"


def test_a_5xx_answer_is_an_error_typed_by_its_status_and_a_4xx_is_not(
    make_app, make_client, recorder
):
    client = make_client(_app(make_app, recorder))
    assert client.get("/busy").status == 503
    assert client.get("/forbidden").status == 403
    busy, forbidden = recorder.spans()
    assert busy.status.status_code is StatusCode.ERROR
    assert busy.attributes["error.type"] == "503"
    assert not [e for e in busy.events if e.name == "exception"]
    assert forbidden.status.status_code is StatusCode.UNSET
    assert "error.type" not in forbidden.attributes


def test_the_parent_comes_from_traceparent_and_tracestate(make_app, make_client, recorder):
    client = make_client(_app(make_app, recorder))
    client.get("/users/1", headers={"traceparent": TRACEPARENT, "tracestate": "vendor=abc"})
    span = recorder.server_span()
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote
    assert span.context.trace_state.get("vendor") == "abc"


def test_without_traceparent_each_request_starts_its_own_trace(make_app, make_client, recorder):
    client = make_client(_app(make_app, recorder))
    client.get("/users/1")
    client.get("/users/2")
    first, second = recorder.spans()
    assert first.parent is None and second.parent is None
    assert first.context.trace_id != second.context.trace_id


def test_a_malformed_traceparent_is_ignored(make_app, make_client, recorder):
    client = make_client(_app(make_app, recorder))
    assert client.get("/users/1", headers={"traceparent": "00-zz-bad-01"}).status == 200
    assert recorder.server_span().parent is None


def test_the_span_is_current_in_the_handler_so_its_spans_are_children(
    make_app, make_client, recorder
):
    app = _app(make_app, recorder)
    tracer = recorder.provider.get_tracer("the-app")

    @app.route("/work")
    def work(req, resp):
        assert trace.get_current_span() is span_of(req)
        with tracer.start_as_current_span("query the database"):
            pass
        return "done"

    make_client(app).get("/work", headers={"traceparent": TRACEPARENT})
    server = recorder.server_span()
    [child] = [s for s in recorder.spans() if s.name == "query the database"]
    assert child.parent.span_id == server.context.span_id
    assert child.context.trace_id == server.context.trace_id
    # Outside the request, nothing is left current.
    assert not trace.get_current_span().get_span_context().is_valid


def test_the_span_ends_once_a_streamed_body_has_been_sent(make_app, recorder):
    app = _app(make_app, recorder)
    seen_while_streaming = []

    @app.route("/stream")
    def stream(req, resp):
        def chunks():
            for n in range(3):
                seen_while_streaming.append(len(recorder.spans()))
                yield f"chunk {n}\n".encode()

        return chunks()

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/stream",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": __import__("io").BytesIO(),
    }
    body = app(environ, lambda status, headers: None)
    assert b"".join(body) == b"chunk 0\nchunk 1\nchunk 2\n"
    assert recorder.spans() == []  # sent, but the server has not closed the body yet
    body.close()
    assert seen_while_streaming == [0, 0, 0]
    assert recorder.server_span().attributes["http.response.status_code"] == 200


def test_a_sampled_out_request_records_nothing_and_still_works(
    make_app, make_client, make_recorder
):
    recorder = make_recorder(sampler=ALWAYS_OFF)
    app = _app(make_app, recorder)

    @app.route("/inside")
    def inside(req, resp):
        span = span_of(req)
        return f"recording={span.is_recording()} valid={span.get_span_context().is_valid}"

    result = make_client(app).get("/inside", headers={"traceparent": TRACEPARENT})
    assert result.text == "recording=False valid=True"
    assert recorder.spans() == []


def test_chosen_request_and_response_headers_are_recorded(make_app, make_client, recorder):
    app = _app(
        make_app,
        recorder,
        request_headers=["X-Tenant", "Accept"],
        response_headers=["Content-Type", "X-Missing"],
    )
    make_client(app).get("/users/1", headers={"X-Tenant": "acme", "Authorization": "Basic eDp5"})
    attributes = recorder.server_span().attributes
    assert attributes["http.request.header.x-tenant"] == ("acme",)
    assert attributes["http.response.header.content-type"] == ("text/html; charset=utf-8",)
    assert "http.request.header.accept" not in attributes  # not sent
    assert "http.response.header.x-missing" not in attributes
    assert not [k for k in attributes if "authorization" in k]


def test_redact_query_names_the_keys_whose_values_are_hidden(make_app, make_client, recorder):
    app = _app(make_app, recorder, redact_query=["token"])
    make_client(app).get("/users/1", query={"token": "t0p", "sig": "visible", "page": "2"})
    assert recorder.server_span().attributes["url.query"] == "token=REDACTED&sig=visible&page=2"


def test_the_client_a_proxy_tool_names_replaces_the_peer(make_app, make_client, recorder):
    import pegboard_http

    app = _app(
        make_app,
        recorder,
        extra={
            "/users": {
                "tools.proxy.on": True,
                "tools.proxy.remote": "X-Forwarded-For",
                "tools.proxy.scheme": "X-Forwarded-Proto",
            }
        },
        plugins=[pegboard_otel, pegboard_http],
    )
    make_client(app).get(
        "/users/5",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
    )
    attributes = recorder.server_span().attributes
    assert attributes["client.address"] == "203.0.113.9"
    assert attributes["network.peer.address"] == "127.0.0.1"
    assert attributes["url.scheme"] == "https"


def test_a_real_client_against_a_live_server(make_app, live_server, recorder):
    server = live_server(_app(make_app, recorder))
    with httpx.Client() as client:
        response = client.get(f"{server.url}/users/9", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    span = recorder.server_span(wait=5.0)
    assert span.name == "GET /users/{id:int}"
    assert span.attributes["server.port"] == int(server.port)
    assert span.attributes["client.address"] == "127.0.0.1"
    assert isinstance(span.attributes["network.peer.port"], int)
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.attributes["user_agent.original"].startswith("python-httpx/")


def test_a_tracer_provider_may_be_named_by_an_import_string(make_app, make_client, recorder):
    module = type(sys)("otel_provider_for_tests")
    module.provider = recorder.provider
    sys.modules[module.__name__] = module
    try:
        app = make_app(
            {
                "/": {
                    "tools.otel.on": True,
                    "tools.otel.tracer_provider": "otel_provider_for_tests:provider",
                }
            }
        )
        app.route("/", lambda req, resp: "hi")
        make_client(app).get("/")
    finally:
        del sys.modules[module.__name__]
    assert recorder.server_span().name == "GET /"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"tracer_provider": "no_such_module_x:provider"}, "tools.otel.tracer_provider: cannot"),
        ({"tracer_provider": 42}, "is not a TracerProvider"),
        ({"request_headers": ["X Bad"]}, "tools.otel.request_headers: 'X Bad' is not a header"),
        ({"hooks": "sometimes"}, "tools.otel.hooks"),
    ],
)
def test_wrong_options_are_config_errors_naming_the_key(make_app, options, words):
    config = {"tools.otel.on": True, **{f"tools.otel.{k}": v for k, v in options.items()}}
    app = make_app({"/": config})
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(".", r"\.")):
        app.start()


def test_with_no_tracer_provider_set_the_tool_warns_and_attaches_nothing(
    make_app, make_client, caplog
):
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    app = make_app({"/": {"tools.otel.on": True}})

    @app.route("/")
    def index(req, resp):
        return f"span={span_of(req)!r}"

    with caplog.at_level("WARNING", logger="pegboard.otel"):
        client = make_client(app)
        assert client.get("/").text == "span=None"
        assert client.get("/").status == 200
    [record] = caplog.records
    assert "no OpenTelemetry tracer provider was set" in record.getMessage()
    # Nothing attached: the request pays nothing for the tool.
    plan = app.router.static["/"].default_plan
    assert plan.hooks["on_start_resource"] == () and plan.hooks["on_end_request"] == ()
    assert plan.hook_wrappers == ()


GLOBAL_PROVIDER_SCRIPT = textwrap.dedent(
    """
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import pegboard
    from pegboard.testing import Client

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)

    app = pegboard.App({"/": {"tools.otel.on": True}})
    app.route("/items/{name}", lambda req, resp, name: name)
    assert Client(app).get("/items/x").status == 200
    print([span.name for span in exporter.get_finished_spans()])
    """
)


def test_the_global_tracer_provider_set_before_the_app_starts_is_used():
    result = subprocess.run(
        [sys.executable, "-c", GLOBAL_PROVIDER_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['GET /items/{name}']"
