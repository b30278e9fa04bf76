"""Plugin discovery: entry points, duplicates, disabling, lifecycle hooks, a wheel in a fresh venv."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pegboard
from pegboard import ConfigError, Tool

ROOT = Path(__file__).resolve().parents[2]


def test_installed_third_party_tool_is_switched_on_by_config_alone(make_app, make_client):
    app = make_app(
        {"/": {"tools.response_time.on": True, "tools.response_time.header": "Server-Timing"}}
    )
    app.route("/", lambda req, resp: "hi")
    app.route("/off", lambda req, resp: "hi", config={"tools.response_time.on": False})
    client = make_client(app)
    value = client.get("/").headers["Server-Timing"]
    assert value.startswith("app;dur=")
    assert float(value.split("=")[1]) >= 0
    assert "Server-Timing" not in client.get("/off").headers
    assert app.tools.get("response_time").distribution == "pegboard-response-time"


def _tool_plugin(name):
    class Plugin:
        @pegboard.hookimpl
        def pegboard_tools(self):
            return [Tool(name, lambda req, resp: None)]

    return Plugin()


def test_duplicate_tool_names_name_both_distributions(make_app):
    app = make_app(plugins=[_tool_plugin("response_time")])
    with pytest.raises(ConfigError) as info:
        app.start()
    message = str(info.value)
    assert "'response_time'" in message
    assert "pegboard-response-time" in message
    assert "<app code>" in message


def test_disable_plugin_by_config(make_app):
    app = make_app(
        {"plugins": {"disable": ["response_time"]}, "/": {"tools.response_time.on": True}}
    )
    with pytest.raises(ConfigError, match="unknown tool 'response_time'"):
        app.start()


def test_disable_plugin_by_environment(make_app, monkeypatch):
    monkeypatch.setenv("PEGBOARD_DISABLE_PLUGINS", "pegboard-response-time, other")
    app = make_app(plugins=[_tool_plugin("response_time")])
    app.start()  # no duplicate: the installed one is disabled by distribution name
    assert app.tools.get("response_time").distribution is None


def test_app_start_and_stop_hooks(make_app, make_client):
    events = []

    class Plugin:
        @pegboard.hookimpl
        def pegboard_app_start(self, app):
            events.append("start")

        @pegboard.hookimpl
        def pegboard_app_stop(self, app):
            events.append("stop")

    app = make_app(plugins=[Plugin()])
    app.route("/", lambda req, resp: "")
    client = make_client(app)
    client.get("/")  # the first request starts the app
    client.get("/")
    assert events == ["start"]
    app.stop()
    assert events == ["start", "stop"]
    with app:
        assert events == ["start", "stop", "start"]
    assert events[-1] == "stop"


def test_plugin_hookspecs_of_its_own(make_app):
    import pluggy

    spec = pluggy.HookspecMarker("pegboard")

    class Specs:
        @spec
        def myplugin_backends(self):
            """Backends provided by other packages."""

    class Owner:
        @pegboard.hookimpl
        def pegboard_add_hookspecs(self, pluginmanager):
            pluginmanager.add_hookspecs(Specs)

    class Provider:
        @pegboard.hookimpl
        def myplugin_backends(self):
            return "disk"

    app = make_app(plugins=[Owner(), Provider()])
    app.start()
    assert app.plugin_manager.hook.myplugin_backends() == ["disk"]


def test_wrapper_and_handler_tools(make_app, make_client):
    def shout(handler, req, resp, *, suffix: str = "!"):
        return handler().upper() + suffix

    def cached(req, resp, *, answer: str = "from tool"):
        if req.query.get("hit"):
            resp.body = answer
            req.handler = None

    app = make_app({"/": {"tools.shout.on": True, "tools.cached.on": True}})
    app.add_tool(pegboard.WrapperTool("shout", shout, priority=70))
    app.add_tool(Tool("cached", cached, priority=20))
    app.route("/{name}", lambda req, resp, name: f"hi {name}")
    client = make_client(app)
    assert client.get("/ada").text == "HI ADA!"
    assert client.get("/ada?hit=1").text == "from tool"


def test_multi_hook_tool_priority_override(make_app, make_client):
    order = []

    class Two(Tool):
        points = ("before_handler", "before_finalize")

        def __init__(self):
            super().__init__("two", point="before_handler", priority=50)

        def attach(self, plan, *, label: str = "two"):
            plan.add("before_handler", lambda req, resp: order.append(label), self.priority)
            plan.add("before_finalize", lambda req, resp: order.append(label + "-end"), 10)

    app = make_app(
        {
            "/": {
                "tools.two.on": True,
                "tools.two.priority": 1,
                "hooks.before_handler": lambda r, s: order.append("hook"),
            }
        }
    )
    app.add_tool(Two())
    app.route("/", lambda req, resp: "")
    make_client(app).get("/")
    assert order == ["two", "hook", "two-end"]


def test_tool_wheel_installed_with_pip_into_a_fresh_venv(tmp_path):
    """Build the example tool and the core as wheels, pip-install them, and use the tool."""
    uv = shutil.which("uv")
    assert uv, "uv is required in CI to build wheels"
    dist = tmp_path / "dist"
    for package in ("core", "examples/response_time"):
        subprocess.run(
            [uv, "build", "--wheel", "--out-dir", str(dist), str(ROOT / package)],
            check=True,
            capture_output=True,
        )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    wheels = sorted(str(p) for p in dist.glob("*.whl"))
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wheels],
        check=True,
        capture_output=True,
    )
    script = textwrap.dedent(
        """
        import pegboard
        from pegboard.testing import Client
        app = pegboard.App({"/": {"tools.response_time.on": True}})
        app.route("/", lambda req, resp: "ok")
        result = Client(app).get("/")
        print(result.status, result.headers["X-Response-Time"].endswith("ms"))
        """
    )
    out = subprocess.run([str(python), "-c", script], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["200", "True"]
    listing = subprocess.run(
        [str(venv / "bin" / "pegboard"), "tools"], check=True, capture_output=True, text=True
    )
    assert "response_time  (pegboard-response-time 0.1.0)" in listing.stdout


def test_app_plans_lists_every_compiled_plan_once(make_app):
    class Res:
        @pegboard.tools.response_time(header="X-Put")
        def on_put(self, req, resp):
            return ""

        def on_get(self, req, resp):
            return ""

    app = make_app({"/": {"tools.response_time.on": True}, "/api": {"request.max_body_size": 7}})
    app.route("/r", Res())
    app.route("/users/{id}", lambda req, resp, id: id)
    labels = sorted(plan.label for plan in app.plans())
    assert labels == ["/", "/api", "route /r", "route /r", "route /users/{id}"]
    assert {p.config.get("tools.response_time.header") for p in app.plans()} >= {"X-Put"}


def test_check_plan_refuses_a_plan_at_compile_time(make_app):
    class NeedsFriend(Tool):
        def __init__(self):
            super().__init__("needy", lambda req, resp: None)

        def check_plan(self, plan):
            if "response_time" not in plan.tools:
                raise ConfigError(
                    "needy needs response_time", section=plan.label, key="tools.needy.on"
                )

    app = make_app({"/": {"tools.response_time.on": True}, "/x": {"tools.needy.on": True}})
    app.add_tool(NeedsFriend())
    app.compile()  # fine: response_time is on for /x too
    bad = make_app({"/x": {"tools.needy.on": True}})
    bad.add_tool(NeedsFriend())
    with pytest.raises(ConfigError, match=r"\[/x\] tools.needy.on: needy needs response_time"):
        bad.compile()
