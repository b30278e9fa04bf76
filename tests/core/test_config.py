"""Configuration: sources, inheritance, code config, decorators, validation messages."""

import textwrap

import pytest

import pegboard
from pegboard import ConfigError, Tool, tools


def _header_tool(req, resp, *, value: str = "on", times: int = 1, mode: str | None = None):
    """Adds X-Tool: value (repeated ``times`` times)."""
    resp.headers["X-Tool"] = ",".join([value] * times)


def _make_tool():
    return Tool("hdr", _header_tool, point="before_finalize")


@pytest.fixture
def app_with_tool(make_app):
    def factory(config):
        app = make_app(config)
        app.add_tool(_make_tool())
        return app

    return factory


def test_sections_inherit_downward_and_deeper_override(app_with_tool, make_client):
    app = app_with_tool(
        {
            "/": {"tools.hdr.on": True, "tools.hdr.value": "root"},
            "/a": {"tools.hdr.value": "a"},
            "/a/b": {"tools.hdr.on": False},
        }
    )
    for path in ("/", "/x", "/a", "/a/x", "/a/b", "/a/b/c"):
        app.route(path, lambda req, resp: "")
    client = make_client(app)
    assert client.get("/").headers.get("X-Tool") == "root"
    assert client.get("/x").headers.get("X-Tool") == "root"
    assert client.get("/a/x").headers.get("X-Tool") == "a"
    assert client.get("/a/b").headers.get("X-Tool") is None
    assert client.get("/a/b/c").headers.get("X-Tool") is None
    # unrouted paths use the section's plan too
    assert client.get("/a/nothing").headers.get("X-Tool") == "a"


def test_toml_file(app_with_tool, make_client, tmp_path):
    path = tmp_path / "site.toml"
    path.write_text(
        textwrap.dedent(
            """
            [server]
            port = 9999

            ["/"]
            tools.hdr.on = true
            tools.hdr.value = "toml"
            request.max_body_size = 1024

            ["/api"]
            tools.hdr = { value = "nested", times = 2 }
            """
        )
    )
    app = app_with_tool(str(path))
    app.route("/api/x", lambda req, resp: "")
    app.route("/", lambda req, resp: "")
    client = make_client(app)
    assert client.get("/").headers["X-Tool"] == "toml"
    assert client.get("/api/x").headers["X-Tool"] == "nested,nested"
    assert app.config.globals["server"]["port"] == 9999


def test_ini_file_with_literals(app_with_tool, make_client, tmp_path):
    path = tmp_path / "site.ini"
    path.write_text(
        textwrap.dedent(
            """
            [global]
            server.port = 8081

            [/]
            tools.hdr.on = True
            tools.hdr.value = 'ini'
            tools.hdr.times = 3
            """
        )
    )
    app = app_with_tool(path)
    app.route("/", lambda req, resp: "")
    assert make_client(app).get("/").headers["X-Tool"] == "ini,ini,ini"
    assert app.config.globals["server"]["port"] == 8081


def test_ini_values_are_never_evaluated(tmp_path):
    path = tmp_path / "evil.ini"
    path.write_text("[/]\ntools.hdr.value = __import__('os').system('echo pwned')\n")
    with pytest.raises(ConfigError, match="not a Python literal"):
        pegboard.App(path)


def test_dict_values_stay_dicts(app_with_tool):
    app = app_with_tool({"/": {"response": {"headers": {"X-A": "1", "X.B": "2"}}}})
    app.route("/", lambda req, resp: "")
    app.start()
    assert dict(app.router.static["/"].default_plan.response_headers) == {"X-A": "1", "X.B": "2"}


def test_route_config_and_decorators(app_with_tool, make_client):
    app = app_with_tool({"/": {"tools.hdr.value": "from-file"}})
    app.route("/routed", lambda req, resp: "", config={"tools.hdr.on": True})

    @app.route("/decorated")
    @tools.hdr(value="decorated", times=2)
    def decorated(req, resp):
        return ""

    client = make_client(app)
    assert client.get("/routed").headers["X-Tool"] == "from-file"
    assert client.get("/decorated").headers["X-Tool"] == "decorated,decorated"


def test_file_section_at_the_same_depth_overrides_code(app_with_tool, make_client):
    app = app_with_tool({"/page": {"tools.hdr.value": "ops"}, "/": {"tools.hdr.value": "root"}})

    @app.route("/page")
    @tools.hdr(value="code")
    def page(req, resp):
        return ""

    @app.route("/other")
    @tools.hdr(value="code")
    def other(req, resp):
        return ""

    client = make_client(app)
    assert client.get("/page").headers["X-Tool"] == "ops"
    assert client.get("/other").headers["X-Tool"] == "code"


def test_decorator_on_resource_method(app_with_tool, make_client):
    class Res:
        @tools.hdr(value="put-only")
        def on_put(self, req, resp):
            return ""

        def on_get(self, req, resp):
            return ""

    app = app_with_tool({})
    app.route("/r", Res())
    client = make_client(app)
    assert client.put("/r").headers["X-Tool"] == "put-only"
    assert "X-Tool" not in client.get("/r").headers


def test_section_inside_a_template_route(app_with_tool, make_client):
    app = app_with_tool({"/users/admin": {"tools.hdr.on": True, "tools.hdr.value": "admin"}})
    app.route("/users/{name}", lambda req, resp, name: name)
    client = make_client(app)
    assert client.get("/users/admin").headers["X-Tool"] == "admin"
    assert "X-Tool" not in client.get("/users/bob").headers


def test_unknown_tool_suggests(app_with_tool):
    app = app_with_tool({"/static": {"tools.hdrr.on": True}})
    with pytest.raises(ConfigError) as info:
        app.start()
    assert str(info.value) == "[/static] tools.hdrr.on: unknown tool 'hdrr'; did you mean 'hdr'?"
    assert info.value.section == "/static"
    assert info.value.key == "tools.hdrr.on"


def test_unknown_option_suggests(app_with_tool):
    app = app_with_tool({"/": {"tools.hdr.vaule": "x"}})
    with pytest.raises(ConfigError, match=r"\[/\] tools.hdr.vaule: .*did you mean 'value'\?"):
        app.start()


def test_unknown_namespace_suggests(app_with_tool):
    app = app_with_tool({"/": {"tool.hdr.on": True}})
    with pytest.raises(ConfigError, match=r"unknown namespace 'tool'; did you mean 'tools'"):
        app.start()


def test_wrong_type_names_the_expected_one(app_with_tool):
    app = app_with_tool({"/": {"tools.hdr.times": "3"}})
    with pytest.raises(ConfigError, match=r"tools.hdr.times: expected int, got str '3'"):
        app.start()
    app2 = app_with_tool({"/": {"request.max_body_size": "big"}})
    with pytest.raises(ConfigError, match=r"request\.max_body_size: expected int"):
        app2.start()
    app3 = app_with_tool({"/": {"tools.hdr.on": "yes"}})
    with pytest.raises(ConfigError, match="expected bool"):
        app3.start()


def test_unknown_hookpoint_and_request_key(app_with_tool):
    with pytest.raises(ConfigError, match="did you mean 'before_handler'"):
        app_with_tool({"/": {"hooks.before_handlr": print}}).start()
    with pytest.raises(ConfigError, match="did you mean 'show_tracebacks'"):
        app_with_tool({"/": {"request.show_traceback": True}}).start()


def test_required_option_missing_is_reported_at_start(make_app):
    def needs(req, resp, *, realm: str):
        pass

    app = make_app({"/": {"tools.needs.on": True}})
    app.add_tool(Tool("needs", needs))
    with pytest.raises(ConfigError, match="needs option 'realm'"):
        app.start()


def test_required_option_may_come_from_a_parent_section(make_app, make_client):
    def needs(req, resp, *, realm: str):
        resp.headers["X-Realm"] = realm

    app = make_app({"/": {"tools.needs.realm": "site"}, "/admin": {"tools.needs.on": True}})
    app.add_tool(Tool("needs", needs))
    app.route("/admin/x", lambda req, resp: "")
    assert make_client(app).get("/admin/x").headers["X-Realm"] == "site"


def test_import_string_for_callables(make_app, make_client):
    def uses(req, resp, *, fn: "Callable[[str], str]"):
        resp.headers["X-Out"] = fn("abc")

    from collections.abc import Callable

    uses.__annotations__["fn"] = Callable[[str], str]
    app = make_app({"/": {"tools.uses.on": True, "tools.uses.fn": "builtins:str.upper"}})
    app.add_tool(Tool("uses", uses))
    app.route("/", lambda req, resp: "")
    assert make_client(app).get("/").headers["X-Out"] == "ABC"
    bad = make_app({"/": {"tools.uses.on": True, "tools.uses.fn": "nope.module:thing"}})
    bad.add_tool(Tool("uses", uses))
    with pytest.raises(ConfigError, match=r"cannot import 'nope\.module:thing'"):
        bad.start()


def test_hook_given_as_import_string(make_app, make_client):
    app = make_app({"/": {"hooks.before_finalize": "tests_hook_target:add"}})
    import sys
    import types

    module = types.ModuleType("tests_hook_target")

    def add(req, resp):
        resp.headers["X-Hooked"] = "1"

    module.add = add
    sys.modules["tests_hook_target"] = module
    try:
        app.route("/", lambda req, resp: "")
        assert make_client(app).get("/").headers["X-Hooked"] == "1"
    finally:
        del sys.modules["tests_hook_target"]


def test_bad_global_keys(make_app):
    with pytest.raises(
        ConfigError, match=r"\[server\] server.prot: unknown key; did you mean 'port'"
    ):
        make_app({"server": {"prot": 1}}).start()
    with pytest.raises(ConfigError, match="unknown namespace 'sever'"):
        make_app({"sever": {"port": 1}}).start()


def test_section_must_start_with_slash_and_values_shape():
    with pytest.raises(ConfigError):
        pegboard.App({"/": {"tools.x": True}})
    with pytest.raises(ConfigError):
        pegboard.App({"/": 5})


def test_plugin_namespace(make_app, make_client):
    class Plugin:
        @pegboard.hookimpl
        def pegboard_config_namespaces(self):
            def validate(key, value):
                if key != "level" or not isinstance(value, int):
                    raise ValueError("only level (int) is allowed")
                return value

            return {"audit": validate}

    app = make_app({"/": {"audit.level": 3}}, plugins=[Plugin()])
    app.route("/", lambda req, resp: str(req.config["audit.level"]))
    assert make_client(app).get("/").text == "3"
    bad = make_app({"/": {"audit.lvl": 3}}, plugins=[Plugin()])
    with pytest.raises(ConfigError, match=r"audit.lvl: only level"):
        bad.start()


def test_literal_and_union_annotations(make_app):
    def tool(req, resp, *, mode: "Literal['a', 'b']" = "a", limit: int | None = None):
        pass

    from typing import Literal

    tool.__annotations__["mode"] = Literal["a", "b"]
    app = make_app({"/": {"tools.lit.on": True, "tools.lit.mode": "c"}})
    app.add_tool(Tool("lit", tool))
    with pytest.raises(ConfigError, match="expected one of 'a', 'b'"):
        app.start()
    ok = make_app({"/": {"tools.lit.on": True, "tools.lit.limit": None}})
    ok.add_tool(Tool("lit", tool))
    ok.start()


def test_optional_callable_reports_the_import_failure(make_app):
    from collections.abc import Callable

    def tool(req, resp, *, fn: Callable[[], None] | None = None):
        pass

    app = make_app({"/": {"tools.opt.on": True, "tools.opt.fn": "no.such.module:fn"}})
    app.add_tool(Tool("opt", tool))
    with pytest.raises(ConfigError, match=r"cannot import 'no\.such\.module:fn'"):
        app.start()


def test_overlay_keeps_relative_paths_on_the_apps_config_folder(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "404.html").write_text("site page $status")
    (site / "site.toml").write_text('["/"]\nerror_page.404 = "404.html"\n')
    overlay = tmp_path / "elsewhere" / "overlay.toml"
    overlay.parent.mkdir()
    overlay.write_text("[server]\nport = 9000\n")
    app = pegboard.App(site / "site.toml")
    app.config.update(pegboard.load_config(overlay))
    from pegboard.testing import Client

    assert Client(app).get("/x").text == "site page 404 Not Found"
    assert app.config.globals["server"]["port"] == 9000
