"""Routing: static and templated paths, typed segments, 404/405, HEAD, OPTIONS, mounts."""

import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pegboard
from pegboard import ConfigError
from pegboard.routing import Route


def test_function_handler_gets_path_params(make_app, make_client):
    app = make_app()

    @app.route("/hello/{name}")
    def hello(req, resp, name):
        return f"Hello, {name}!"

    result = make_client(app).get("/hello/Ada")
    assert result.status == 200
    assert result.text == "Hello, Ada!"
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    assert result.headers["Content-Length"] == "11"


def test_typed_segments_convert_and_reject(make_app, make_client):
    app = make_app()
    seen = []

    @app.route("/items/{id:int}")
    def item(req, resp, id):
        seen.append(id)
        return str(id * 2)

    @app.route("/things/{key:uuid}")
    def thing(req, resp, key):
        return key.hex

    @app.route("/files/{rest:path}")
    def files(req, resp, rest):
        return rest

    client = make_client(app)
    assert client.get("/items/21").text == "42"
    assert seen == [21]
    assert client.get("/items/abc").status == 404
    key = uuid.uuid4()
    assert client.get(f"/things/{key}").text == key.hex
    assert client.get("/files/a/b/c.txt").text == "a/b/c.txt"


def test_many_templates_match_the_right_route(make_app, make_client):
    app = make_app()
    for i in range(30):
        app.route(f"/r{i}/{{x}}/end", lambda req, resp, x, i=i: f"{i}:{x}")
    client = make_client(app)
    assert client.get("/r0/a/end").text == "0:a"
    assert client.get("/r17/zz/end").text == "17:zz"
    assert client.get("/r29/q/end").text == "29:q"
    assert client.get("/r29/q/nope").status == 404


def test_unicode_path(make_app, make_client):
    app = make_app()
    app.route("/café/{who}", lambda req, resp, who: who)
    assert make_client(app).get("/caf%C3%A9/%E2%9C%93").text == "✓"


def test_invalid_utf8_path_is_400(make_app, make_client):
    app = make_app()
    result = make_client(app).get("/%ff%fe")
    assert result.status == 400


def test_404_for_unknown_path(make_app, make_client):
    app = make_app()
    app.route("/", lambda req, resp: "home")
    result = make_client(app).get("/missing")
    assert result.status == 404
    assert "/missing" in result.text


class Items:
    def __init__(self):
        self.store = {}

    def on_get(self, req, resp, id):
        if id not in self.store:
            raise pegboard.NotFound()
        return self.store[id]

    def on_put(self, req, resp, id):
        self.store[id] = req.body.read().decode()
        resp.status = 201


def test_resource_methods_405_and_allow(make_app, make_client):
    app = make_app()
    app.route("/items/{id}", Items())
    client = make_client(app)
    assert client.put("/items/a", body=b"apple").status == 201
    assert client.get("/items/a").text == "apple"
    result = client.delete("/items/a")
    assert result.status == 405
    assert result.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"


def test_options_answered_for_resources(make_app, make_client):
    app = make_app()
    app.route("/items/{id}", Items())
    result = make_client(app).options("/items/a")
    assert result.status == 204
    assert result.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
    assert result.body == b""


def test_methods_limit_a_function(make_app, make_client):
    app = make_app()
    app.route("/form", lambda req, resp: "ok", methods=["POST"])
    client = make_client(app)
    assert client.post("/form").status == 200
    result = client.get("/form")
    assert result.status == 405
    assert result.headers["Allow"] == "OPTIONS, POST"


def test_head_answered_from_get_without_body(make_app, make_client):
    app = make_app()
    calls = []

    @app.route("/page", methods=["GET"])
    def page(req, resp):
        calls.append(req.method)
        return "x" * 100

    result = make_client(app).head("/page")
    assert result.status == 200
    assert result.body == b""
    assert result.headers["Content-Length"] == "100"
    assert calls == ["HEAD"]


def test_head_of_a_stream_sends_no_body_and_closes_it(make_app, make_client):
    app = make_app()
    closed = []

    class Stream:
        def __iter__(self):
            yield b"data"

        def close(self):
            closed.append(True)

    app.route("/s", lambda req, resp: Stream())
    result = make_client(app).head("/s")
    assert result.body == b""
    assert closed == [True]
    assert "Content-Length" not in result.headers  # the length of a stream is unknown


def test_route_twice_is_an_error(make_app):
    app = make_app()
    app.route("/a", lambda req, resp: "")
    with pytest.raises(ConfigError, match="defined twice"):
        app.route("/a", lambda req, resp: "")


def test_route_added_after_start_works(make_app, make_client):
    app = make_app()
    app.start()
    app.route("/late/{x}", lambda req, resp, x: x)
    assert make_client(app).get("/late/yes").text == "yes"


def test_custom_converter(make_app, make_client):
    app = make_app()
    app.router.add_converter("hex", "[0-9a-f]+", lambda s: int(s, 16))
    app.route("/n/{v:hex}", lambda req, resp, v: str(v))
    client = make_client(app)
    assert client.get("/n/ff").text == "255"
    assert client.get("/n/zz").status == 404


def _wsgi_echo(environ, start_response):
    body = f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def test_mount_sets_script_name_and_path_info(make_app, make_client):
    app = make_app()
    app.mount("/legacy", _wsgi_echo)
    app.route("/", lambda req, resp: "home")
    client = make_client(app)
    assert client.get("/legacy/a/b").text == "/legacy|/a/b"
    assert client.get("/legacy").text == "/legacy|"
    assert client.get("/legacyx").status == 404
    assert client.get("/").text == "home"


def test_mount_another_app(make_app, make_client):
    inner = make_app()

    @inner.route("/where")
    def where(req, resp):
        return f"{req.script_name} {req.path} {req.url}"

    outer = make_app()
    outer.mount("/api", inner)
    assert make_client(outer).get("/api/where").text == "/api /where http://localhost/api/where"


def test_mount_prefix_validation(make_app):
    app = make_app()
    for bad in ("", "/", "x", "/a/"):
        with pytest.raises(ValueError):
            app.mount(bad, _wsgi_echo)


def test_a_late_route_with_bad_config_is_not_served(make_app, make_client):
    app = make_app()
    app.start()
    for template in ("/late", "/late/{x}"):
        with pytest.raises(ConfigError, match="unknown tool"):
            app.route(template, lambda req, resp, **kw: "secret", config={"tools.nope.on": True})
    client = make_client(app)
    assert client.get("/late").status == 404
    assert client.get("/late/1").status == 404
    app.route("/late", lambda req, resp: "fixed")  # the template is free again
    assert client.get("/late").text == "fixed"


def test_the_servers_file_wrapper_is_passed_through_untouched(make_app, tmp_path):
    from wsgiref.util import FileWrapper, setup_testing_defaults

    import pegboard

    (tmp_path / "f.bin").write_bytes(b"x" * 1000)
    app = make_app()

    @app.route("/f")
    def f(req, resp):
        return req.environ["wsgi.file_wrapper"](open(tmp_path / "f.bin", "rb"), 256)

    env = {}
    setup_testing_defaults(env)
    env["PATH_INFO"] = "/f"
    env["wsgi.file_wrapper"] = FileWrapper
    result = app(env, lambda status, headers, exc_info=None: None)
    assert isinstance(result, FileWrapper)  # the server can use sendfile on it
    assert bool(pegboard.request) is False  # no request context left behind
    assert b"".join(result) == b"x" * 1000
    result.close()


# -- templates ending in one plain segment: found by their literal part ----------------


def test_a_trailing_segment_must_not_be_empty_nor_span_slashes(make_app, make_client):
    app = make_app()
    app.route("/hello/{name}", lambda req, resp, name: f"hi {name}")
    app.route("/{page}", lambda req, resp, page: f"page {page}")
    client = make_client(app)
    assert client.get("/hello/Ada").text == "hi Ada"
    assert client.get("/hello/").status == 404
    assert client.get("/hello/a/b").status == 404
    assert client.get("/hello").text == "page hello"  # "/" + one segment
    assert client.get("/").status == 404
    assert client.get("/hello/caf%C3%A9").text == "hi café"
    assert app.router.match("hello") == (None, {})  # a path without its leading slash


def test_a_parameter_that_shares_its_segment_is_matched_in_full(make_app, make_client):
    app = make_app()
    app.route("/v{version}", lambda req, resp, version: f"version {version}")
    client = make_client(app)
    assert client.get("/v2").text == "version 2"
    assert client.get("//2").status == 404
    assert client.get("/x2").status == 404


def test_an_earlier_template_of_another_kind_still_wins(make_app, make_client):
    app = make_app()
    app.route("/files/{rest:path}", lambda req, resp, rest: f"path {rest}")
    app.route("/files/{name}", lambda req, resp, name: f"name {name}")
    app.route("/users/{id:int}", lambda req, resp, id: f"user #{id}")
    app.route("/users/{name}", lambda req, resp, name: f"user {name}")
    client = make_client(app)
    assert client.get("/files/a").text == "path a"  # added first: it wins, as documented
    assert client.get("/users/7").text == "user #7"
    assert client.get("/users/ada").text == "user ada"  # the int route does not match


def test_of_two_templates_with_the_same_literal_part_the_first_wins(make_app, make_client):
    app = make_app()
    app.route("/a/{first}", lambda req, resp, first: f"first {first}")
    app.route("/a/{second}", lambda req, resp, second: f"second {second}")
    assert make_client(app).get("/a/x").text == "first x"


def test_a_redefined_str_converter_governs_plain_segments(make_app, make_client):
    app = make_app()
    app.router.add_converter("str", r"[a-z]+", str)
    app.route("/hello/{name}", lambda req, resp, name: f"hi {name}")
    client = make_client(app)
    assert client.get("/hello/ada").text == "hi ada"
    assert client.get("/hello/Ada7").status == 404


def test_a_template_added_after_start_is_found_in_order(make_app, make_client):
    app = make_app()
    app.route("/x/{a}", lambda req, resp, a: f"a {a}")
    client = make_client(app)
    assert client.get("/y/1").status == 404
    app.route("/y/{b}", lambda req, resp, b: f"b {b}")
    assert client.get("/y/1").text == "b 1"
    assert client.get("/x/1").text == "a 1"


_SEGMENTS = ("a", "b", "", "{}", "{}:int", "{}:path", "{}:str", "a{}")  # {} takes a name


def _template(parts: list[str]) -> str:
    """A template from segment kinds, each parameter with a name of its own."""
    names = iter("pqrstu")
    return "/" + "/".join(
        p.replace("{}", "{" + next(names)) + "}" if "{" in p else p for p in parts
    )


@settings(max_examples=300, deadline=None)
@given(
    templates=st.lists(
        st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=3), min_size=1, max_size=6
    ),
    paths=st.lists(
        st.lists(st.sampled_from(("a", "b", "1", "-2", "")), max_size=4),
        min_size=1,
        max_size=12,
    ),
)
def test_the_route_found_is_the_first_added_template_that_matches(templates, paths):
    """Whatever the mix of templates, the answer is the first one (in order) that matches."""
    router = pegboard.App(discover=False).router
    added: list[Route] = []
    for parts in templates:
        template = _template(parts)
        if "{" not in template or any(r.template == template for r in added):
            continue
        route = Route(template, lambda req, resp, **params: None, None, {}, router.converters)
        router.add(route)
        added.append(route)
    for segments in paths:
        path = "/" + "/".join(segments)
        expected = next((r for r in added if re.fullmatch(r.pattern, path)), None)
        found, _params = router.match(path)
        assert found is expected, (path, [r.template for r in added])
