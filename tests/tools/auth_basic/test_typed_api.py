"""auth_basic on the typed tool API: its option class, declared hooks, files in app.state."""

from __future__ import annotations

import base64
import hashlib

import pytest

import pegboard
import pegboard_auth_basic
from pegboard import OptionError
from pegboard_auth_basic import BasicAuthOptions, BasicAuthTool

SHA_SEKRIT = "{SHA}" + base64.b64encode(hashlib.sha1(b"sekrit").digest()).decode()


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"realm": 'a "quoted" realm', "users": {}}, "realm"),
        ({"realm": "r"}, "users"),
        ({"realm": "r", "users": {}, "htpasswd": "f"}, "htpasswd"),
        ({"realm": "r", "users": {}, "accept_charset": "klingon"}, "accept_charset"),
        ({"realm": "r", "users": {}, "accept_charset": "rot13"}, "accept_charset"),
        ({"realm": "r", "users": {}, "accept_charset": "utf-7"}, "accept_charset"),
        ({"realm": "r", "users": {}, "roles": []}, "roles"),
        ({"realm": "r", "users": {}, "roles": ["a"]}, "get_roles"),
        ({"realm": "r", "users": {}, "get_roles": dict.get}, "roles"),
        ({"realm": "r", "users": {}, "cache_ttl": -0.5}, "cache_ttl"),
    ],
)
def test_the_option_class_refuses_values_that_cannot_work(options, key):
    with pytest.raises(OptionError) as caught:
        BasicAuthOptions(**options)
    assert caught.value.key == key


@pytest.mark.parametrize("charset", ["rot13", "hex", "base64", "zlib", "utf-7"])
def test_a_charset_that_is_not_a_text_encoding_fails_at_start_not_per_request(make_app, charset):
    app = make_app(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "r",
                "tools.auth_basic.users": {"a": "b"},
                "tools.auth_basic.accept_charset": charset,
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    with pytest.raises(pegboard.ConfigError, match=r"tools\.auth_basic\.accept_charset"):
        app.start()


def test_a_latin_1_charset_leaves_the_challenge_without_utf8(protected):
    result = protected(accept_charset="ISO-8859-1").get("/")
    assert result.headers["WWW-Authenticate"] == 'Basic realm="shop"'
    assert protected(accept_charset="UTF8").get("/").headers["WWW-Authenticate"] == (
        'Basic realm="shop", charset="UTF-8"'
    )


def test_every_option_has_a_meaning():
    options = BasicAuthTool().options
    assert all(option.doc for option in options.values())
    assert options["cache_ttl"].unit == "seconds"
    assert options["realm"].required


def _attached(app, tool_name):
    return {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == tool_name
    }


def test_declared_hooks_are_exactly_the_attached_ones(make_app):
    tool = BasicAuthTool()
    app = make_app(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "r",
                "tools.auth_basic.users": {"a": "b"},
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    app.route("/", lambda req, resp: "")
    assert _attached(app, "auth_basic") == {(h.point, h.priority) for h in tool.hooks}


def test_routes_naming_one_htpasswd_file_share_it_through_app_state(
    make_app, make_client, tmp_path, basic
):
    path = tmp_path / "htpasswd"
    path.write_text(f"alice:{SHA_SEKRIT}\n", encoding="utf-8")
    config = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "r",
        "tools.auth_basic.htpasswd": str(path),
    }
    app = make_app(
        {"/": config, "/b": {"tools.auth_basic.realm": "other"}},
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    app.route("/a", lambda req, resp: f"a {req.login}")
    app.route("/b/c", lambda req, resp: f"b {req.login}")
    client = make_client(app)
    assert client.get("/a", headers=basic("alice", "sekrit")).text == "a alice"
    assert client.get("/b/c", headers=basic("alice", "sekrit")).text == "b alice"
    files = app.state.auth_basic
    assert files.get(str(path), 60.0) is files.get(str(tmp_path / "." / "htpasswd"), 60.0)
    other = make_app({"/": config}, plugins=[pegboard_auth_basic], discover=False)
    other.start()
    assert other.state.auth_basic is not files  # each app loads its own
