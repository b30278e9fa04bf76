"""pegboard.wrap and App.mount(..., tools=True): the core's tools and hooks around plain WSGI apps.

The apps here are hand-written PEP 3333 callables, each wrapped in
``wsgiref.validate`` so that what pegboard hands them (environ, start_response,
write) is checked too; the test client validates what pegboard sends out.
The frameworks (Flask, Django, Falcon) are in tests/integration/wrapping/.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

import pegboard
from pegboard import Hook, Tool
from pegboard.testing import Client

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class Recorder:
    """A WSGI app that answers with a fixed body and remembers every environ it got."""

    def __init__(
        self,
        body: bytes = b"hello from the app",
        headers: Iterable[tuple[str, str]] = (("Content-Type", "text/plain"),),
        status: str = "200 OK",
    ) -> None:
        self.body = body
        self.headers = list(headers)
        self.status = status
        self.calls: list[Environ] = []

    def __call__(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        self.calls.append(environ)
        start_response(self.status, [*self.headers, ("Content-Length", str(len(self.body)))])
        return [self.body]


class Closing:
    """A body iterable that records close() (and the request proxy while it is iterated)."""

    def __init__(self, chunks: list[bytes], log: list[str]) -> None:
        self._chunks = iter(chunks)
        self.log = log

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk = next(self._chunks)
        self.log.append(f"chunk for {pegboard.request.path}")
        return chunk

    def close(self) -> None:
        self.log.append("close")


def _tool(name: str, callback: Callable[..., Any], point: str, priority: int = 50) -> Tool:
    return Tool(name, callback, point=point, priority=priority)


def _wrap(app: Any, config: Any = None, tools: Iterable[Tool] = ()) -> pegboard.App:
    wrapped = pegboard.wrap(validator(app), config, discover=False)
    for tool in tools:
        wrapped.add_tool(tool)
    return wrapped


# -- the request reaches the app ------------------------------------------------------


def test_the_app_answers_every_path_and_method_with_its_environ_intact() -> None:
    app = Recorder()
    client = Client(_wrap(app))
    for method, path in [("GET", "/"), ("POST", "/a/b"), ("DELETE", "/x%20y"), ("OPTIONS", "/o")]:
        result = client.request(method, path + "?q=1")
        assert result.status == 200
        assert result.body == b"hello from the app"
        environ = app.calls[-1]
        assert environ["REQUEST_METHOD"] == method
        assert environ["SCRIPT_NAME"] == ""
        assert environ["PATH_INFO"] == path.replace("%20", " ")
        assert environ["QUERY_STRING"] == "q=1"
        assert environ["pegboard.request"].path == path.replace("%20", " ")
        assert environ["pegboard.app"] is client.app


def test_status_and_headers_of_the_app_are_the_response() -> None:
    app = Recorder(
        b"nope",
        headers=[
            ("Content-Type", "text/plain"),
            ("X-App", "1"),
            ("X-Twice", "a"),
            ("X-Twice", "b"),
        ],
        status="418 I'm a teapot",
    )
    result = Client(_wrap(app)).get("/")
    assert result.status == 418
    assert result.headers["X-App"] == "1"
    assert result.headers.get_all("X-Twice") == ["a", "b"]
    assert result.headers["Content-Length"] == "4"


def test_a_mounted_app_gets_script_name_and_path_info_below_its_prefix(make_app: Any) -> None:
    app = Recorder()
    site = make_app(discover=False)
    site.mount("/legacy", validator(app), tools=True)
    client = Client(site)
    for path, path_info in [("/legacy", ""), ("/legacy/", "/"), ("/legacy/a/b", "/a/b")]:
        assert client.get(path).status == 200
        assert (app.calls[-1]["SCRIPT_NAME"], app.calls[-1]["PATH_INFO"]) == ("/legacy", path_info)
    assert client.get("/legacyx").status == 404
    assert client.get("/other").status == 404
    assert len(app.calls) == 3


def test_routes_answer_before_the_wrapped_app_the_longest_mount_first(make_app: Any) -> None:
    outer, inner = Recorder(b"outer"), Recorder(b"inner")
    site = make_app(discover=False)
    site.mount("/legacy", validator(outer), tools=True)
    site.route("/legacy/new", lambda req, resp: "pegboard route")
    site.mount("/legacy/api", validator(inner), tools=True)  # added later, still tried first
    site.route("/legacy/items/{id:int}", lambda req, resp, id: f"item {id}")
    client = Client(site)
    assert client.get("/legacy/new").text == "pegboard route"
    assert client.get("/legacy/items/7").text == "item 7"
    assert client.get("/legacy/items/x").text == "outer"  # the template did not match
    assert client.get("/legacy/api/v1").text == "inner"
    assert client.get("/legacy/apiary").text == "outer"
    wrapped = pegboard.wrap(Recorder(b"flask"), discover=False)
    wrapped.route("/health", lambda req, resp: "ok")
    wrapped.route("/users/{name}", lambda req, resp, name: name)
    client = Client(wrapped)
    assert (client.get("/health").text, client.get("/users/al").text) == ("ok", "al")
    assert client.get("/users/al/posts").text == "flask"


def test_a_route_added_while_serving_answers_before_the_wrapped_app() -> None:
    wrapped = pegboard.wrap(Recorder(b"flask"), discover=False)
    client = Client(wrapped)
    assert client.get("/users/al").text == "flask"  # the app takes every path
    wrapped.route("/users/{name}", lambda req, resp, name: f"user {name}")
    assert client.get("/users/al").text == "user al"
    assert client.get("/users/al/posts").text == "flask"
    wrapped.route("/health", lambda req, resp: "ok")
    assert (client.get("/health").text, client.get("/healthz").text) == ("ok", "flask")


def test_mount_with_tools_refuses_a_template_prefix(make_app: Any) -> None:
    with pytest.raises(ValueError, match="plain path"):
        make_app().mount("/legacy/{x}", Recorder(), tools=True)
    with pytest.raises(ValueError, match="looks like"):
        make_app().mount("/legacy/", Recorder(), tools=True)


# -- tools around the app ---------------------------------------------------------------


def test_hooks_run_around_the_app_in_lifecycle_order() -> None:
    order: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        order.append("app")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"a", b"b"], order)

    def hook(point: str) -> Hook:
        return Hook(lambda req, resp: order.append(point))

    points = [p for p in pegboard.HOOKPOINTS if "error" not in p]
    config = {"/": {f"hooks.{point}": hook(point) for point in points}}
    result = Client(_wrap(app, config)).get("/")
    assert result.body == b"ab"
    assert order == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "app",
        "before_finalize",
        "on_end_resource",
        "chunk for /",
        "chunk for /",
        "close",
        "on_end_request",
    ]


def test_a_tool_that_answers_first_means_the_app_is_never_called() -> None:
    def deny(req: Any, resp: Any) -> None:
        raise pegboard.HTTPError(
            401, "who are you", headers={"WWW-Authenticate": 'Basic realm="x"'}
        )

    def answer(req: Any, resp: Any) -> None:
        resp.body = "from the tool"
        req.handler = None

    app = Recorder()
    config = {
        "/": {"tools.deny.on": True},
        "/open": {"tools.deny.on": False, "tools.answer.on": True},
        "/app": {"tools.deny.on": False},
    }
    tools = [_tool("deny", deny, "before_handler", 1), _tool("answer", answer, "before_handler")]
    client = Client(_wrap(app, config, tools))
    denied = client.get("/secret")
    assert denied.status == 401 and denied.headers["WWW-Authenticate"] == 'Basic realm="x"'
    assert client.get("/open/page").text == "from the tool"
    assert app.calls == []
    assert client.get("/app/page").text == "hello from the app"  # config sections by path
    assert len(app.calls) == 1


def test_before_finalize_transforms_the_app_body_and_close_is_called_once() -> None:
    log: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"stream", b"ed"], log)

    def shout(req: Any, resp: Any) -> None:
        resp.body = resp.body.upper()  # collapses the stream, which closes it

    client = Client(
        _wrap(app, {"/": {"tools.shout.on": True}}, [_tool("shout", shout, "before_finalize")])
    )
    result = client.get("/")
    assert result.body == b"STREAMED"
    assert result.headers["Content-Length"] == "8"
    assert log.count("close") == 1


def test_a_streamed_body_streams_with_pegboard_request_bound_and_closes_once() -> None:
    log: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"one ", b"two ", b"three"], log)

    wrapped = _wrap(app)
    environ: Environ = {"PATH_INFO": "/s", "SCRIPT_NAME": "", "QUERY_STRING": ""}
    setup_testing_defaults(environ)
    got: list[Any] = []
    body = wrapped(environ, lambda status, headers, exc_info=None: got.append(headers))
    assert "Content-Length" not in dict(got[0])  # nothing collected it
    assert log == ["chunk for /s"]  # the core pulls the first chunk before the status goes out
    chunks = list(body)
    body.close()  # type: ignore[attr-defined]
    assert chunks == [b"one ", b"two ", b"three"]
    assert log == ["chunk for /s", "chunk for /s", "chunk for /s", "close"]


def test_stream_transforms_see_the_app_stream() -> None:
    """A tool that wraps resp.stream (as gzip does) gets the app's chunks, not a collapsed body."""
    seen: list[bool] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (chunk for chunk in [b"a" * 1000, b"b" * 1000])

    def compress(req: Any, resp: Any) -> None:
        seen.append(resp.stream is not None)
        resp.body = gzip.compress(resp.body)
        resp.headers["Content-Encoding"] = "gzip"

    tools = [_tool("squeeze", compress, "before_finalize")]
    result = Client(_wrap(app, {"/": {"tools.squeeze.on": True}}, tools)).get("/")
    assert gzip.decompress(result.body) == b"a" * 1000 + b"b" * 1000
    assert seen == [True]


def test_small_bodies_with_a_length_become_bytes_and_long_ones_stream() -> None:
    kinds: dict[str, Any] = {}

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        size = int(environ["PATH_INFO"][1:])
        body = b"x" * size
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(size))])
        return iter([body[: size // 2], body[size // 2 :]])

    def look(req: Any, resp: Any) -> None:
        kinds[req.path] = "stream" if resp.stream is not None else "bytes"

    client = Client(
        _wrap(app, {"/": {"tools.look.on": True}}, [_tool("look", look, "before_finalize")])
    )
    for size in (10, 65536, 65537, 300000):
        result = client.get(f"/{size}")
        assert result.body == b"x" * size
        assert result.headers["Content-Length"] == str(size)
    assert kinds == {"/10": "bytes", "/65536": "bytes", "/65537": "stream", "/300000": "stream"}


def test_head_keeps_the_length_the_app_declared() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "1234")])
        return []

    result = Client(_wrap(app)).request("HEAD", "/")
    assert result.status == 200 and result.body == b""
    assert result.headers["Content-Length"] == "1234"


def test_headers_the_app_sends_replace_a_tools_merge_vary_and_keep_cookies() -> None:
    def before(req: Any, resp: Any) -> None:
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Cache-Control"] = "no-store"
        resp.headers.add_vary("Accept-Language")
        resp.set_cookie("tool", "1")

    app = Recorder(
        headers=[
            ("Content-Type", "text/plain"),
            ("Cache-Control", "max-age=60"),
            ("Vary", "Accept, Cookie"),
            ("Set-Cookie", "app=2; Path=/"),
        ]
    )
    client = Client(
        _wrap(app, {"/": {"tools.before.on": True}}, [_tool("before", before, "before_handler")])
    )
    result = client.get("/")
    assert result.headers["X-Frame-Options"] == "DENY"
    assert result.headers["Cache-Control"] == "max-age=60"
    assert result.headers["Vary"] == "Accept-Language, Accept, Cookie"
    cookies = result.headers.get_all("Set-Cookie")
    assert any(c.startswith("app=2") for c in cookies) and any(
        c.startswith("tool=1") for c in cookies
    )


def test_a_header_value_with_a_newline_is_a_500_not_an_injection() -> None:
    app = Recorder(headers=[("Content-Type", "text/plain"), ("X-Bad", "a\r\nSet-Cookie: x=1")])
    result = Client(pegboard.wrap(app, discover=False)).get("/")
    assert result.status == 500
    assert "Set-Cookie" not in result.headers


# -- PEP 3333 corners -------------------------------------------------------------------


def test_write_and_a_generator_that_starts_late() -> None:
    def legacy(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        write(b"then ")
        return [b"returned"]

    def late(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        yield b""  # nothing yet: start_response comes with the first chunk
        start_response("201 Created", [("Content-Type", "text/plain")])
        yield b"late "
        yield b"start"

    assert Client(_wrap(legacy)).get("/").text == "written then returned"
    # wsgiref.validate forbids what PEP 3333 allows here, so this app goes unvalidated.
    result = Client(pegboard.wrap(late, discover=False)).get("/")
    assert (result.status, result.text) == (201, "late start")


def test_exc_info_before_the_app_returns_replaces_the_status(caplog: Any) -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"half a page")
        try:
            raise ValueError("boom")
        except ValueError:
            start_response(
                "500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info()
            )
        return [b"the app's error page"]

    result = Client(_wrap(app)).get("/")
    assert (result.status, result.text) == (500, "the app's error page")


def test_exc_info_while_the_body_is_sent_reraises_the_apps_error(caplog: Any) -> None:
    class FailingBody:
        def __init__(self, start_response: StartResponse) -> None:
            self.start_response = start_response
            self.closed = False

        def __iter__(self) -> Iterator[bytes]:
            return self

        def __next__(self) -> bytes:
            try:
                raise KeyError("late")
            except KeyError:
                self.start_response("500 Internal Server Error", [], sys.exc_info())
            return b"never"  # pragma: no cover

        def close(self) -> None:
            self.closed = True

    bodies: list[FailingBody] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        bodies.append(FailingBody(start_response))
        return bodies[-1]

    result = Client(pegboard.wrap(app, discover=False)).get("/")
    assert result.status == 500  # the first chunk failed before the status went out
    assert "KeyError: 'late'" in caplog.text
    assert bodies[0].closed


def test_an_app_that_never_calls_start_response_is_a_500(caplog: Any) -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        return [b"no status"]

    result = Client(pegboard.wrap(app, discover=False)).get("/")
    assert result.status == 500
    assert "returned without calling start_response" in caplog.text


def test_an_exception_in_the_app_is_a_500_through_the_error_hooks(caplog: Any) -> None:
    seen: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        raise RuntimeError("app crashed")

    config = {"/": {"hooks.before_error_response": lambda req, resp: seen.append(repr(req.error))}}
    result = Client(pegboard.wrap(app, config, discover=False)).get("/")
    assert result.status == 500 and "app crashed" not in result.text
    assert seen == ["RuntimeError('app crashed')"]


def test_an_http_error_from_the_app_or_its_framework_is_pegboards_response() -> None:
    log: list[str] = []

    def raising(environ: Environ, start_response: StartResponse) -> list[bytes]:
        raise pegboard.HTTPError(503, "The store is down.", headers={"Retry-After": "1"})

    def handing_back(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        # what a framework's error handler does (pegboard.integrations)
        environ["pegboard.http_error"] = pegboard.HTTPRedirect("/elsewhere", 307)
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return Closing([b"placeholder"], log)

    result = Client(_wrap(raising)).get("/")
    assert (result.status, result.headers["Retry-After"]) == (503, "1")
    assert "The store is down." in result.text
    result = Client(_wrap(handing_back)).get("/")
    assert result.status == 307 and result.headers["Location"] == "http://localhost/elsewhere"
    assert log == ["close"]


# -- what the tools provide, in the environ ------------------------------------------------


def test_login_remote_address_and_tool_attributes_reach_the_app() -> None:
    def login(req: Any, resp: Any) -> None:
        req.login = "alice"
        req.remote = pegboard.Remote("203.0.113.9", 4444)
        req.session = {"cart": 3}  # what the sessions tool does, by name
        req.request_id = "req-1"

    app = Recorder()
    client = Client(
        _wrap(app, {"/": {"tools.login.on": True}}, [_tool("login", login, "before_handler")])
    )
    client.get("/")
    environ = app.calls[-1]
    assert environ["REMOTE_USER"] == "alice"
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("203.0.113.9", "4444")
    assert environ["pegboard.session"] == {"cart": 3}
    assert environ["pegboard.request_id"] == "req-1"
    assert isinstance(environ["pegboard.response"], pegboard.Response)
    Client(_wrap(app)).get("/")
    assert "REMOTE_USER" not in app.calls[-1] and "pegboard.session" not in app.calls[-1]
    assert app.calls[-1]["REMOTE_ADDR"] == "127.0.0.1"


def test_the_pegboard_request_proxy_and_response_work_inside_the_app() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        pegboard.response.cache_tags = ["set-from-the-app"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{pegboard.request.method} {pegboard.request.path}".encode()]

    tags: list[Any] = []

    def read_tags(req: Any, resp: Any) -> None:
        tags.append(resp.cache_tags)

    tools = [_tool("tags", read_tags, "before_finalize")]
    result = Client(_wrap(app, {"/": {"tools.tags.on": True}}, tools)).get("/x")
    assert result.text == "GET /x"
    assert tags == [["set-from-the-app"]]


def _echo(environ: Environ, start_response: StartResponse) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [f"{length}:".encode() + body]


@pytest.mark.parametrize("how", ["bytes", "read", "stream", "form", "multipart"])
def test_the_app_gets_the_whole_body_after_a_tool_read_it(how: str) -> None:
    seen: list[Any] = []

    def reader(req: Any, resp: Any) -> None:
        if how == "bytes":
            seen.append(req.body.bytes)
        elif how == "read":
            seen.append(req.body.read(5))
        elif how == "stream":
            seen.append(req.body.as_stream().read(3))
        else:
            seen.append(dict(req.form))

    client = Client(
        _wrap(_echo, {"/": {"tools.reader.on": True}}, [_tool("reader", reader, "before_handler")])
    )
    if how == "form":
        result = client.post("/", data={"a": "1", "b": "two"})
        assert result.body == b"9:a=1&b=two"
    elif how == "multipart":
        result = client.post(
            "/", data={"a": "1"}, files={"f": ("f.txt", b"file body", "text/plain")}
        )
        assert result.body.split(b":", 1)[0] == str(len(result.body.split(b":", 1)[1])).encode()
        assert b"file body" in result.body
    else:
        result = client.post("/", body=b"0123456789")
        assert result.body == b"10:0123456789"
    assert seen and seen[0]


def test_a_chunked_body_reaches_the_app_with_a_length_and_within_the_limit() -> None:
    client = Client(_wrap(_echo, {"/": {"request.max_body_size": 8}}))
    result = client.post("/", body=iter([b"abc", b"def"]))  # no Content-Length
    assert result.body == b"6:abcdef"
    assert client.post("/", body=iter([b"abcde", b"fghij"])).status == 413
    assert client.post("/", body=b"0123456789").status == 413


def test_an_untouched_body_streams_to_the_app_as_it_came() -> None:
    inputs: list[Any] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        inputs.append(environ["wsgi.input"])
        return _echo(environ, start_response)

    original = io.BytesIO(b"payload")
    result = Client(pegboard.wrap(app, discover=False), validate=False).post(
        "/", body=b"payload", environ={"wsgi.input": original}
    )
    assert result.body == b"7:payload"
    assert inputs == [original]


# -- plans, quick answers, the CLI ---------------------------------------------------------


def test_a_quick_answer_serves_a_wrapped_app_without_calling_it() -> None:
    calls: list[str] = []

    class Canned(Tool):
        def __init__(self) -> None:
            super().__init__("canned", point="before_handler", priority=20)

        def attach(self, plan: Any, **options: Any) -> None:  # type: ignore[override]
            plan.add("before_handler", lambda req, resp: None, self.priority)
            plan.offer_quick_answer(self._quick)

        def _quick(self, environ: Environ) -> Any:
            calls.append(environ["PATH_INFO"])
            return 200, [("Content-Type", "text/plain"), ("Content-Length", "6")], b"canned"

    app = Recorder()
    client = Client(_wrap(app, {"/": {"tools.canned.on": True}}, [Canned()]))
    assert client.get("/any/path").text == "canned"
    assert calls == ["/any/path"] and app.calls == []


def test_routes_lists_the_wrapped_app_with_its_plans(tmp_path: Any, capsys: Any) -> None:
    from pegboard.cli import main

    module = tmp_path / "wrapped_site.py"
    module.write_text(
        "import pegboard\n"
        "def legacy(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'legacy']\n"
        "app = pegboard.wrap(legacy, {'/': {'tools.gzip.on': True},"
        " '/admin': {'tools.auth_basic.on': True, 'tools.auth_basic.realm': 'r',"
        " 'tools.auth_basic.users': {'a': 'b'}}})\n"
        "app.mount('/old', legacy, tools=True)\n"
    )
    assert main(["routes", str(module)]) == 0
    out = capsys.readouterr().out
    assert "/*  [*]  -> WSGI app wrapped_site.legacy, tools around it" in out
    assert "/old/*  [*]  -> WSGI app wrapped_site.legacy, tools around it" in out
    assert "under section /admin:" in out
    assert "auth_basic" in out and "gzip" in out


def test_a_plain_wsgi_app_named_to_the_cli_says_to_wrap_it(tmp_path: Any, capsys: Any) -> None:
    from pegboard.cli import main

    module = tmp_path / "plain_site.py"
    module.write_text("def app(environ, start_response):\n    return []\n")
    assert main(["routes", str(module)]) == 2
    assert "pegboard.wrap(app, config=...)" in capsys.readouterr().err


def test_a_body_that_fails_while_it_is_read_is_a_500_closed_once(caplog: Any) -> None:
    closes: list[str] = []

    class Failing:
        def __iter__(self) -> Iterator[bytes]:
            yield b"half"
            raise OSError("the disk went away")

        def close(self) -> None:
            closes.append("close")

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "8")])
        return Failing()

    result = Client(pegboard.wrap(app, discover=False)).get("/")
    assert result.status == 500 and "disk" not in result.text
    assert "the disk went away" in caplog.text
    assert closes == ["close"]


def test_a_chunked_body_read_after_a_tool_wrapped_the_handler_still_reaches_the_app() -> None:
    def wrap_handler(req: Any, resp: Any) -> None:
        inner = req.handler
        req.handler = lambda req, resp, **params: inner(req, resp, **params)

    def read(req: Any, resp: Any) -> None:
        assert req.body.read(3) == b"abc"

    tools = [
        _tool("wrapper", wrap_handler, "before_handler", 5),
        _tool("reader", read, "before_handler", 30),
    ]
    config = {"/": {"tools.wrapper.on": True, "tools.reader.on": True}}
    result = Client(_wrap(_echo, config, tools)).post("/", body=iter([b"abc", b"def"]))
    assert result.body == b"6:abcdef"
