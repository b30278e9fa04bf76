"""XML-RPC calls from the standard library's client against a live server."""

from __future__ import annotations

import datetime as dt
import xmlrpc.client

import pytest

import pegboard_auth_basic
import pegboard_xmlrpc
from pegboard import ConfigError, HTTPError
from pegboard_xmlrpc import method_of


class Taken(Exception):
    pass


def build(make_app, config=None, plugins=(pegboard_xmlrpc,), endpoint=None):
    endpoint_config = {"tools.xmlrpc.on": True, **(endpoint or {})}
    app = make_app({"/rpc": endpoint_config, **(config or {})}, plugins=list(plugins))

    @app.route("/rpc/math/add")
    def add(req, resp, a, b):
        """Add two numbers."""
        return a + b

    @app.route("/rpc/echo")
    def echo(req, resp, *values):
        return list(values)

    @app.route("/rpc/whoami")
    def whoami(req, resp):
        return {"method": method_of(req), "login": req.login or ""}

    @app.route("/rpc/users/create")
    def create(req, resp, name):
        if name == "root":
            raise HTTPError(409, "That name is taken.")
        if name == "fault":
            raise xmlrpc.client.Fault(7, "a fault of the application's own")
        if name == "boom":
            raise Taken("secret internals")
        if name == "nothing":
            return None
        if name == "huge":
            return 2**40
        return f"created {name}"

    @app.route("/rpc/items/{id}")
    def item(req, resp, id):
        return id

    @app.route("/elsewhere/math/add")
    def not_a_method(req, resp, a, b):
        return 0

    return app


@pytest.fixture
def proxies():
    """``proxies(url)``: a ServerProxy whose connection is closed when the test ends."""
    made = []

    def factory(url, **kwargs):
        made.append(xmlrpc.client.ServerProxy(url, **kwargs))
        return made[-1]

    yield factory
    for proxy in made:
        proxy("close")()


@pytest.fixture
def rpc(make_app, live_server, proxies):
    """A ServerProxy on a live server of the default app (or of ``app``)."""

    def proxy(app=None, path="/rpc", **kwargs):
        server = live_server(app or build(make_app))
        return proxies(server.url + path, **kwargs)

    return proxy


def test_a_method_is_the_handler_routed_under_the_endpoint(rpc):
    proxy = rpc()
    assert proxy.math.add(2, 3) == 5
    assert proxy.math.add("pe", "gboard") == "pegboard"
    assert proxy.users.create("ann") == "created ann"


def test_params_and_results_keep_their_xml_rpc_types(rpc):
    proxy = rpc()
    when = dt.datetime(2024, 5, 1, 12, 30, 5)
    values = [1, -2.5, True, "é ☃", [1, [2]], {"k": {"n": 1}}, xmlrpc.client.Binary(b"\x00\xff")]
    echoed = proxy.echo(*values, when)
    assert echoed[:6] == values[:6]
    assert echoed[6].data == b"\x00\xff"
    assert echoed[7].value == "20240501T12:30:05"


def test_a_handler_knows_the_method_it_was_called_as(rpc):
    assert rpc().whoami() == {"method": "whoami", "login": ""}


def test_faults_carry_what_went_wrong(rpc, caplog):
    proxy = rpc()
    cases = {
        "nope.nothing": (404, "No method 'nope.nothing'."),
        "items.7": (404, "No method 'items.7'."),  # templated routes are not methods
    }
    for name, (code, text) in cases.items():
        with pytest.raises(xmlrpc.client.Fault) as fault:
            getattr(proxy, name)()
        assert (fault.value.faultCode, fault.value.faultString) == (code, text)
    with pytest.raises(xmlrpc.client.Fault) as fault:
        proxy.math.add(1)
    assert fault.value.faultCode == 400 and "Wrong params for math.add" in fault.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as fault:
        proxy.users.create("root")
    assert (fault.value.faultCode, fault.value.faultString) == (409, "That name is taken.")
    with pytest.raises(xmlrpc.client.Fault) as fault:
        proxy.users.create("fault")
    assert (fault.value.faultCode, fault.value.faultString) == (
        7,
        "a fault of the application's own",
    )
    with (
        caplog.at_level("ERROR", logger="pegboard.xmlrpc"),
        pytest.raises(xmlrpc.client.Fault) as fault,
    ):
        proxy.users.create("boom")
    assert (fault.value.faultCode, fault.value.faultString) == (500, "Internal error.")
    assert "secret internals" in caplog.text  # logged, not sent


def test_a_result_xml_rpc_cannot_carry_is_a_fault(rpc):
    proxy = rpc()
    for name in ("nothing", "huge"):
        with pytest.raises(xmlrpc.client.Fault) as fault:
            proxy.users.create(name)
        assert fault.value.faultCode == 500
        assert "cannot be sent in XML-RPC" in fault.value.faultString


def test_allow_none_sends_and_accepts_nil(make_app, rpc):
    app = build(make_app, endpoint={"tools.xmlrpc.allow_none": True})
    proxy = rpc(app, allow_none=True)
    assert proxy.users.create("nothing") is None
    assert proxy.echo(None, [None]) == [None, [None]]


def test_show_tracebacks_puts_the_traceback_in_the_fault(make_app, rpc):
    app = build(make_app, endpoint={"request.show_tracebacks": True})
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc(app).users.create("boom")
    assert "Taken: secret internals" in fault.value.faultString


def test_list_methods_help_and_signature(rpc):
    proxy = rpc()
    assert proxy.system.listMethods() == [
        "echo",
        "math.add",
        "system.listMethods",
        "system.methodHelp",
        "system.methodSignature",
        "users.create",
        "whoami",
    ]
    assert proxy.system.methodHelp("math.add") == "Add two numbers."
    assert proxy.system.methodHelp("echo") == ""
    assert proxy.system.methodSignature("math.add") == "signatures not supported"
    with pytest.raises(xmlrpc.client.Fault) as fault:
        proxy.system.methodHelp("no.such")
    assert fault.value.faultCode == 404


def test_introspection_can_be_turned_off(make_app, rpc):
    app = build(make_app, endpoint={"tools.xmlrpc.introspection": False})
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc(app).system.listMethods()
    assert fault.value.faultCode == 404


def test_the_endpoint_answers_with_a_slash_and_at_rpc2_too(make_app, live_server, proxies):
    server = live_server(build(make_app))
    for path in ("/rpc/", "/rpc/RPC2"):
        assert proxies(server.url + path).math.add(1, 1) == 2


def test_a_route_may_be_the_endpoint_by_its_own_config(make_app, live_server, proxies):
    app = make_app()
    app.route("/api", lambda req, resp: "the api's page", config={"tools.xmlrpc.on": True})
    app.route("/api/ping", lambda req, resp: "pong")
    server = live_server(app)
    assert proxies(server.url + "/api").ping() == "pong"
    import httpx

    assert httpx.get(server.url + "/api").text == "the api's page"  # GET: the route's own page


def test_a_method_whose_route_runs_other_tools_is_refused_not_run_without_them(
    make_app, live_server, caplog, proxies
):
    ran = []
    app = build(
        make_app,
        config={
            "/rpc/admin": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "admin",
                "tools.auth_basic.users": {"admin": "correct-horse"},
            }
        },
        plugins=(pegboard_xmlrpc, pegboard_auth_basic),
    )
    app.route("/rpc/admin/wipe", lambda req, resp: ran.append(1) or "wiped")
    proxy = proxies(live_server(app).url + "/rpc")
    with (
        caplog.at_level("WARNING", logger="pegboard.xmlrpc"),
        pytest.raises(xmlrpc.client.Fault) as fault,
    ):
        proxy.admin.wipe()
    assert fault.value.faultCode == 403
    assert "tools.auth_basic" in fault.value.faultString
    assert ran == []
    assert "admin.wipe" not in proxy.system.listMethods()
    assert "does not serve /rpc/admin/wipe" in caplog.text


def test_tools_on_the_endpoint_guard_every_method(make_app, live_server, proxies):
    app = build(
        make_app,
        endpoint={
            "tools.auth_basic.on": True,
            "tools.auth_basic.realm": "rpc",
            "tools.auth_basic.users": {"ann": "s3cret-pass"},
        },
        plugins=(pegboard_xmlrpc, pegboard_auth_basic),
    )
    server = live_server(app)
    with pytest.raises(xmlrpc.client.ProtocolError) as refused:
        proxies(server.url + "/rpc").math.add(1, 2)
    assert refused.value.errcode == 401
    url = server.url.replace("http://", "http://ann:s3cret-pass@") + "/rpc"
    proxy = proxies(url)
    assert proxy.whoami() == {"method": "whoami", "login": "ann"}


def test_wrong_option_types_are_config_errors(make_app):
    app = make_app({"/rpc": {"tools.xmlrpc.on": True, "tools.xmlrpc.allow_none": "sometimes"}})
    with pytest.raises(ConfigError, match=r"tools\.xmlrpc\.allow_none"):
        app.start()


def test_declared_hooks_match_what_attach_adds(make_app):
    app = build(make_app)
    app.compile()
    attached = {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "xmlrpc"
    }
    assert attached == {(h.point, h.priority) for h in pegboard_xmlrpc.XmlRpcTool.hooks}


def test_every_option_has_a_meaning_for_the_reference():
    assert all(option.doc for option in pegboard_xmlrpc.XmlRpcTool().options.values())


def test_plain_http_below_the_endpoint_still_reaches_the_routes(make_app, make_client):
    client = make_client(build(make_app))
    assert client.get("/rpc/whoami").json() == {"method": None, "login": ""}


def test_a_root_endpoint_answers_a_client_given_only_the_host(make_app, live_server, proxies):
    app = make_app({"/": {"tools.xmlrpc.on": True}})
    app.route("/ping", lambda req, resp: "pong")
    server = live_server(app)
    proxy = proxies(server.url)  # no path: the client posts to /RPC2
    assert proxy.ping() == "pong"
    assert "ping" in proxy.system.listMethods()
