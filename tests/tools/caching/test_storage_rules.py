"""What gets stored: the response decides (RFC 9111), and CherryPy's mistakes stay fixed."""

from __future__ import annotations

import uuid
from email.utils import formatdate

import pytest

from pegboard import HTTPError, HTTPRedirect, NotFound
from pegboard_caching.testing import use_clock


def _calls_for(make_app, make_client, store, respond, requests=2, headers=None, config=None):
    """Call a new path ``requests`` times; return (handler calls, last result)."""
    app = make_app({"/": {**store, **(config or {})}})
    path = f"/r/{uuid.uuid4().hex}"  # shared stores outlive the app: a URL of its own
    calls = []

    @app.route(path)
    def handler(req, resp):
        calls.append(1)
        return respond(req, resp)

    client = make_client(app)
    result = None
    for _ in range(requests):
        result = client.get(path, headers=headers or {})
    return len(calls), result


def _with_headers(status=200, **headers):
    def respond(req, resp):
        resp.status = status
        for name, value in headers.items():
            resp.headers[name.replace("_", "-")] = value
        return "body"

    return respond


@pytest.mark.parametrize(
    ("cache_control", "detail"),
    [
        ("no-store", "no-store"),
        ("private", "private"),
        ("no-cache", "no-cache"),
        ("private, max-age=60", "private"),
    ],
)
def test_responses_that_forbid_a_shared_cache_are_not_stored(
    make_app, make_client, store, cache_control, detail
):
    calls, result = _calls_for(
        make_app, make_client, store, _with_headers(Cache_Control=cache_control)
    )
    assert calls == 2
    assert result.headers["Cache-Status"] == f"pegboard; fwd=uri-miss; detail={detail}"


def test_regression_private_is_not_stored(make_app, make_client, memory_store):
    """CherryPy stored ``Cache-Control: private`` responses and served them to everyone."""
    app = make_app({"/": memory_store})

    @app.route("/me")
    def me(req, resp):
        resp.headers["Cache-Control"] = "private"
        return f"hello {req.headers.get('X-User')}"

    client = make_client(app)
    assert client.get("/me", headers={"X-User": "alice"}).text == "hello alice"
    assert client.get("/me", headers={"X-User": "bob"}).text == "hello bob"


def test_pragma_no_cache_counts_only_without_cache_control(make_app, make_client, memory_store):
    calls, _ = _calls_for(make_app, make_client, memory_store, _with_headers(Pragma="no-cache"))
    assert calls == 2
    calls, _ = _calls_for(
        make_app,
        make_client,
        memory_store,
        _with_headers(Pragma="no-cache", Cache_Control="max-age=60"),
    )
    assert calls == 1


def test_qualified_private_and_no_cache_store_the_response_without_those_fields(
    make_app, make_client, store
):
    respond = _with_headers(
        Cache_Control='max-age=60, private="X-User-Id", no-cache="X-Trace"',
        X_User_Id="42",
        X_Trace="abc",
        X_Kept="yes",
    )
    calls, hit = _calls_for(make_app, make_client, store, respond)
    assert calls == 1
    assert hit.headers["X-Kept"] == "yes"
    assert "X-User-Id" not in hit.headers and "X-Trace" not in hit.headers


def test_max_age_s_maxage_and_expires_set_the_freshness(make_app, make_client, memory_store):
    cases = [
        ({"Cache-Control": "max-age=100"}, 100),
        ({"Cache-Control": "max-age=100, s-maxage=10"}, 10),
        ({"Expires": 50, "Date": 0}, 50),  # seconds from now
        ({"Expires": 50}, 50),  # no Date: the time it was received
        ({"Cache-Control": "max-age=20", "Expires": 1000}, 20),
        ({}, 600),  # no freshness information: delay
    ]
    for headers, lifetime in cases:
        app = make_app({"/": memory_store})
        clock = use_clock(app)

        @app.route("/r")
        def handler(req, resp, headers=headers):
            for name, value in headers.items():
                if isinstance(value, int):
                    value = formatdate(clock.now + value, usegmt=True)
                resp.headers[name] = value
            return "body"

        client = make_client(app)
        client.get("/r")
        clock.advance(lifetime - 1)
        assert client.get("/r").headers["Cache-Status"].startswith("pegboard; hit"), headers
        clock.advance(2)
        assert client.get("/r").headers["Cache-Status"].startswith("pegboard; fwd=stale"), headers


def test_invalid_expires_or_max_age_means_already_stale(make_app, make_client, memory_store):
    for headers in ({"Expires": "0"}, {"Cache-Control": "max-age=soon"}):
        calls, result = _calls_for(make_app, make_client, memory_store, _with_headers(**headers))
        assert calls == 2, headers
        assert result.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=stale"


def test_delay_is_the_default_freshness(make_app, make_client, memory_store):
    app = make_app({"/": {**memory_store, "tools.caching.delay": 5}})
    app.route("/r", lambda req, resp: "body")
    clock = use_clock(app)
    client = make_client(app)
    client.get("/r")
    clock.advance(6)
    assert client.get("/r").headers["Cache-Status"] == "pegboard; fwd=stale; stored"


def test_regression_404_raised_as_an_error_is_not_cached_by_default(make_app, make_client, store):
    """CherryPy cached the error page of a raised 404, so the page stayed missing once created."""
    app = make_app({"/": store})
    exists = []

    @app.route("/late")
    def late(req, resp):
        if not exists:
            raise NotFound()
        return "here now"

    client = make_client(app)
    missing = client.get("/late")
    assert missing.status == 404
    assert missing.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=error"
    exists.append(True)
    assert client.get("/late").text == "here now"


def test_unrouted_paths_are_not_cached(make_app, make_client, store):
    app = make_app({"/": store})
    client = make_client(app)
    assert client.get("/nothing").headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=error"


def test_404_raised_with_store_errors_is_stored_when_it_says_so(
    make_app, make_client, memory_store
):
    app = make_app({"/": {**memory_store, "tools.caching.store_errors": True}})
    calls = []

    @app.route("/gone")
    def gone(req, resp):
        calls.append(1)
        raise HTTPError(410, "gone for good", headers={"Cache-Control": "max-age=60"})

    @app.route("/missing")
    def missing(req, resp):
        calls.append(1)
        raise NotFound()  # says nothing about caching

    client = make_client(app)
    assert [client.get("/gone").status for _ in range(2)] == [410, 410]
    assert [client.get("/missing").status for _ in range(2)] == [404, 404]
    assert len(calls) == 3


def test_404_returned_by_the_handler_is_stored_only_with_explicit_freshness(
    make_app, make_client, store
):
    calls, result = _calls_for(
        make_app, make_client, store, _with_headers(404, Cache_Control="max-age=60")
    )
    assert (calls, result.status) == (1, 404)
    calls, result = _calls_for(make_app, make_client, store, _with_headers(404))
    assert (calls, result.status) == (2, 404)
    assert result.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=status"
    calls, _ = _calls_for(make_app, make_client, store, _with_headers(410, Cache_Control="public"))
    assert calls == 1


@pytest.mark.parametrize("status", [201, 202, 206, 302, 307, 400, 403, 500, 503])
def test_other_statuses_are_not_stored(make_app, make_client, memory_store, status):
    calls, result = _calls_for(
        make_app, make_client, memory_store, _with_headers(status, Cache_Control="max-age=60")
    )
    assert calls == 2
    assert result.status == status


@pytest.mark.parametrize("status", [200, 203, 300, 301, 308])
def test_cacheable_statuses_are_stored(make_app, make_client, memory_store, status):
    calls, result = _calls_for(make_app, make_client, memory_store, _with_headers(status))
    assert (calls, result.status) == (1, status)


def test_a_redirect_raised_by_the_handler_is_an_answer_and_is_stored(
    make_app, make_client, memory_store
):
    def respond(req, resp):
        raise HTTPRedirect("/new", 301)

    calls, result = _calls_for(make_app, make_client, memory_store, respond)
    assert (calls, result.status) == (1, 301)
    assert result.headers["Location"] == "http://localhost/new"


def test_unexpected_error_500_is_never_stored(make_app, make_client, memory_store):
    def respond(req, resp):
        raise RuntimeError("boom")

    calls, result = _calls_for(make_app, make_client, memory_store, respond)
    assert (calls, result.status) == (2, 500)


def test_responses_with_set_cookie_are_never_stored(make_app, make_client, store):
    def respond(req, resp):
        resp.set_cookie("visitor", "123")
        resp.headers["Cache-Control"] = "public, max-age=60"
        return "body"

    calls, result = _calls_for(make_app, make_client, store, respond)
    assert calls == 2
    assert result.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=set-cookie"


def test_requests_with_authorization_are_stored_only_when_the_response_is_public(
    make_app, make_client, store
):
    auth = {"Authorization": "Basic YWxpY2U6c2VjcmV0"}
    calls, result = _calls_for(make_app, make_client, store, _with_headers(), headers=auth)
    assert calls == 2
    assert result.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=authorization"
    for cache_control in ("public", "s-maxage=60", "must-revalidate, max-age=60"):
        calls, _ = _calls_for(
            make_app, make_client, store, _with_headers(Cache_Control=cache_control), headers=auth
        )
        assert calls == 1, cache_control


def test_maxobj_size_limits_what_is_stored(make_app, make_client, memory_store):
    app = make_app({"/": {**memory_store, "tools.caching.maxobj_size": 10}})
    app.route("/small", lambda req, resp: "tiny")
    app.route("/big", lambda req, resp: "x" * 11)
    client = make_client(app)
    client.get("/small")
    client.get("/big")
    assert client.get("/small").headers["Cache-Status"].startswith("pegboard; hit")
    big = client.get("/big")
    assert big.text == "x" * 11
    assert big.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=too-large"


def test_streamed_bodies_are_stored_when_small_and_left_streaming_when_large(
    make_app, make_client, store
):
    app = make_app({"/": {**store, "tools.caching.maxobj_size": 100}})
    closed = []

    class Chunks:
        def __init__(self, count):
            self.count = count

        def __iter__(self):
            for i in range(self.count):
                yield f"chunk{i:02d};".encode()

        def close(self):
            closed.append(self.count)

    app.route("/few", lambda req, resp: Chunks(3))
    app.route("/many", lambda req, resp: Chunks(50))
    client = make_client(app)
    assert client.get("/few").text == "chunk00;chunk01;chunk02;"
    hit = client.get("/few")
    assert hit.text == "chunk00;chunk01;chunk02;"
    assert hit.headers["Cache-Status"].startswith("pegboard; hit")
    many = client.get("/many")
    assert many.body == b"".join(f"chunk{i:02d};".encode() for i in range(50))
    assert many.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=too-large"
    assert closed == [3, 50]


def test_vary_star_is_never_stored(make_app, make_client, memory_store):
    calls, result = _calls_for(make_app, make_client, memory_store, _with_headers(Vary="*"))
    assert calls == 2
    assert result.headers["Cache-Status"] == "pegboard; fwd=uri-miss; detail=vary-star"


def test_handler_tools_answers_are_stored(make_app, make_client, memory_store):
    """A tool that answers at before_handler (like staticfile) is an answer, not an error."""
    import pegboard

    calls = []

    def answer(req, resp):
        if req.handler is None:
            return  # answered already (a cache hit)
        calls.append(1)
        resp.headers["Content-Type"] = "text/plain"
        resp.body = b"from a handler tool"
        req.handler = None

    app = make_app(
        {"/": {**memory_store, "tools.answer.on": True}},
    )
    app.add_tool(pegboard.Tool("answer", answer, point="before_handler", priority=30))
    client = make_client(app)
    assert client.get("/anything").text == "from a handler tool"
    hit = client.get("/anything")
    assert hit.text == "from a handler tool"
    assert hit.headers["Cache-Status"].startswith("pegboard; hit")
    assert len(calls) == 1


def test_an_error_raised_while_a_streamed_body_is_read_is_the_requests_not_the_stores(
    make_app, make_client, memory_store
):
    app = make_app({"/": memory_store})

    def chunks():
        yield b"first part, "
        raise HTTPError(409, "changed meanwhile")

    app.route("/stream", lambda req, resp: chunks())
    app.route("/page", lambda req, resp: "page")
    client = make_client(app)
    assert client.get("/stream").status == 409
    client.get("/page")
    # The store was not marked down: caching goes on.
    assert client.get("/page").headers["Cache-Status"].startswith("pegboard; hit")
    assert client.get("/stream").status == 409
