"""auth_basic as a client sees it: 200 with req.login, or 400/401/403 with the right headers."""

from __future__ import annotations

import base64
import unicodedata
from importlib.metadata import entry_points

import pytest

import pegboard
import pegboard_auth_basic

CHALLENGE = 'Basic realm="shop", charset="UTF-8"'


def check_password(realm: str, username: str, password: str) -> bool:
    """A checkpassword callable importable as an import string."""
    return realm == "shop" and username == "carol" and password == "s3cret"


# -- the challenge and a login -------------------------------------------------------


def test_no_credentials_gets_401_with_challenge(protected):
    result = protected().get("/")
    assert result.status == 401
    assert result.headers.get_all("WWW-Authenticate") == [CHALLENGE]
    assert "login=" not in result.text


def test_right_credentials_set_login(protected, basic):
    result = protected().get("/", headers=basic("alice", "wonderland"))
    assert result.status == 200
    assert result.text == "login=alice"
    assert "WWW-Authenticate" not in result.headers


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wonderlanD"), ("alice", ""), ("bob", "wonderland"), ("", "wonderland")],
)
def test_wrong_credentials_get_401(protected, basic, username, password):
    result = protected().get("/", headers=basic(username, password))
    assert result.status == 401
    assert result.headers.get_all("WWW-Authenticate") == [CHALLENGE]


def test_scheme_name_is_case_insensitive(protected):
    token = base64.b64encode(b"alice:wonderland").decode()
    assert protected().get("/", headers={"Authorization": f"bAsIc   {token}"}).status == 200


def test_other_scheme_gets_401(protected):
    result = protected().get("/", headers={"Authorization": "Bearer abc.def"})
    assert result.status == 401
    assert result.headers.get_all("WWW-Authenticate") == [CHALLENGE]


def test_password_may_contain_colons(protected, basic):
    client = protected(users={"alice": "a:b:c"})
    assert client.get("/", headers=basic("alice", "a:b:c")).status == 200


def test_a_401_from_the_handler_also_carries_the_challenge(make_app, make_client, basic):
    app = make_app(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "shop",
                "tools.auth_basic.users": {"alice": "wonderland"},
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )

    @app.route("/")
    def deny(req, resp):
        raise pegboard.HTTPError(401, "Not this one.")

    result = make_client(app).get("/", headers=basic("alice", "wonderland"))
    assert result.status == 401
    assert result.headers.get_all("WWW-Authenticate") == [CHALLENGE]


# -- malformed headers are 400, never 500 --------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic ",
        "Basic !!!!",
        "Basic YWxpY2U",  # bad padding
        "Basic " + base64.b64encode(b"no colon here").decode(),
        "Basic " + base64.b64encode(b"al\x00ice:pw").decode(),
        "Basic " + base64.b64encode(b"alice:pw\x7f").decode(),
        "Basic " + base64.b64encode(b"alice:pw").decode() + " extra",
        "Basic \u00e9\u00e9\u00e9\u00e9",
    ],
)
def test_malformed_credentials_get_400(protected, header):
    result = protected().get("/", headers={"Authorization": header})
    assert result.status == 400
    assert "Malformed Authorization header" in result.text


# -- character sets ------------------------------------------------------------------------


def test_utf8_credentials(protected, basic):
    client = protected(users={"J\u00f6rg": "p\u00e4ss \u20ac"})
    result = client.get("/", headers=basic("J\u00f6rg", "p\u00e4ss \u20ac"))
    assert result.status == 200
    assert result.text == "login=J\u00f6rg"


def test_latin1_fallback_for_clients_that_ignore_the_charset(protected, basic):
    client = protected(users={"J\u00f6rg": "p\u00e4ss"})
    result = client.get("/", headers=basic("J\u00f6rg", "p\u00e4ss", encoding="latin-1"))
    assert result.status == 200
    assert result.text == "login=J\u00f6rg"


def test_nfc_normalisation_on_both_sides(protected, basic):
    decomposed_user = unicodedata.normalize("NFD", "Ren\u00e9e")
    decomposed_password = unicodedata.normalize("NFD", "caf\u00e9")
    client = protected(users={"Ren\u00e9e": decomposed_password})
    result = client.get("/", headers=basic(decomposed_user, "caf\u00e9"))
    assert result.status == 200
    assert result.text == "login=Ren\u00e9e"


def test_latin1_accept_charset_drops_the_charset_parameter(protected, basic):
    client = protected(accept_charset="iso-8859-1", users={"J\u00f6rg": "pw"})
    assert client.get("/").headers.get_all("WWW-Authenticate") == ['Basic realm="shop"']
    assert client.get("/", headers=basic("J\u00f6rg", "pw", encoding="latin-1")).status == 200


# -- sources other than the users dict -------------------------------------------------------


def test_checkpassword_callable(protected, basic):
    client = protected(checkpassword=check_password)
    assert client.get("/", headers=basic("carol", "s3cret")).text == "login=carol"
    assert client.get("/", headers=basic("carol", "nope")).status == 401


def test_checkpassword_import_string(protected, basic):
    client = protected(checkpassword=f"{__name__}:check_password")
    assert client.get("/", headers=basic("carol", "s3cret")).status == 200


# -- beyond CherryPy: optional, roles, pre-flight -------------------------------------------


def test_optional_lets_anonymous_through(protected, basic):
    client = protected(optional=True)
    assert client.get("/").text == "login=None"
    assert client.get("/", headers={"Authorization": "Bearer x"}).text == "login=None"
    assert client.get("/", headers=basic("alice", "wonderland")).text == "login=alice"
    # Credentials that are sent are still checked.
    assert client.get("/", headers=basic("alice", "wrong")).status == 401
    assert client.get("/", headers={"Authorization": "Basic %%%"}).status == 400


ROLES = {"alice": ["admin", "staff"], "bob": ["staff"], "eve": []}


def test_roles_403_for_the_wrong_role(protected, basic):
    client = protected(
        users={"alice": "a", "bob": "b", "eve": "e"},
        roles=["admin"],
        get_roles=ROLES.get,
    )
    assert client.get("/", headers=basic("alice", "a")).text == "login=alice"
    forbidden = client.get("/", headers=basic("bob", "b"))
    assert forbidden.status == 403
    assert "WWW-Authenticate" not in forbidden.headers
    assert client.get("/", headers=basic("eve", "e")).status == 403
    # The password is checked before roles are: a wrong one is still 401.
    assert client.get("/", headers=basic("alice", "x")).status == 401


def test_any_of_several_roles_is_enough(protected, basic):
    client = protected(users={"bob": "b"}, roles=["admin", "staff"], get_roles=ROLES.get)
    assert client.get("/", headers=basic("bob", "b")).status == 200


def test_preflight_bypass_only_when_switched_on(protected):
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    assert protected().options("/", headers=preflight).status == 401
    client = protected(allow_preflight=True)
    answered = client.options("/", headers=preflight)
    assert answered.status == 200
    assert answered.text == "login=None"
    # A plain OPTIONS (not a CORS pre-flight) is still protected.
    assert client.options("/").status == 401


def test_only_configured_paths_are_protected(make_app, make_client, basic):
    app = make_app(
        {
            "/admin": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "admin",
                "tools.auth_basic.users": {"root": "r"},
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    app.route("/", lambda req, resp: "public")
    app.route("/admin/panel", lambda req, resp: f"panel for {req.login}")
    client = make_client(app)
    assert client.get("/").text == "public"
    assert client.get("/admin/panel").status == 401
    assert client.get("/admin/panel", headers=basic("root", "r")).text == "panel for root"


def test_found_through_its_entry_point(make_app, make_client, basic):
    (entry_point,) = entry_points(group="pegboard", name="auth_basic")
    plugin = entry_point.load()
    assert plugin is pegboard_auth_basic
    # Loading only this entry point keeps the test independent of other tool packages.
    app = make_app(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "shop",
                "tools.auth_basic.users": {"alice": "wonderland"},
            }
        },
        plugins=[plugin],
        discover=False,
    )
    app.route("/", lambda req, resp: f"login={req.login}")
    assert make_client(app).get("/", headers=basic("alice", "wonderland")).text == "login=alice"


def test_plan_shows_the_hooks_and_priorities(make_app):
    app = make_app(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "shop",
                "tools.auth_basic.users": {},
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    app.route("/", lambda req, resp: "x")
    app.start()
    lines = app.router.static["/"].default_plan.describe()
    assert any(
        line.startswith("before_handler") and "  1 tools.auth_basic:" in line for line in lines
    )
    assert any(
        line.startswith("before_finalize") and "  2 tools.auth_basic:" in line for line in lines
    )


# -- configuration is checked when the app starts ------------------------------------------


@pytest.mark.parametrize(
    ("options", "key", "words"),
    [
        ({"realm": 'a "quoted" realm'}, "tools.auth_basic.realm", "realm"),
        ({"realm": "line\nbreak"}, "tools.auth_basic.realm", "realm"),
        ({"realm": "r"}, "tools.auth_basic.users", "exactly one"),
        (
            {"realm": "r", "users": {"a": "b"}, "checkpassword": check_password},
            "tools.auth_basic.users",
            "exactly one",
        ),
        (
            {"realm": "r", "users": {"a": "b"}, "accept_charset": "klingon"},
            "accept_charset",
            "charset",
        ),
        (
            {"realm": "r", "users": {"a": "b"}, "roles": ["x"]},
            "tools.auth_basic.get_roles",
            "go together",
        ),
        (
            {"realm": "r", "users": {"a": "b"}, "get_roles": ROLES.get},
            "tools.auth_basic.roles",
            "go together",
        ),
        (
            {"realm": "r", "users": {"a": "b"}, "roles": [], "get_roles": ROLES.get},
            "roles",
            "empty",
        ),
        ({"realm": "r", "users": {"a": 1}}, "tools.auth_basic.users", "str"),
        (
            {"realm": "r", "users": {"a": "b"}, "optional": "yes"},
            "tools.auth_basic.optional",
            "bool",
        ),
        ({"realm": "r", "users": {"a": "b"}, "cache_ttl": -1}, "cache_ttl", "seconds"),
        ({"realm": "r", "checkpassword": "no.such.module:thing"}, "checkpassword", "cannot import"),
        ({"users": {"a": "b"}}, "tools.auth_basic.realm", "needs option 'realm'"),
        (
            {"realm": "r", "users": {"a": "b"}, "relam": "x"},
            "tools.auth_basic.relam",
            "did you mean 'realm'",
        ),
    ],
)
def test_bad_config_is_a_config_error_at_start(make_app, options, key, words):
    config = {"tools.auth_basic.on": True}
    config.update({f"tools.auth_basic.{k}": v for k, v in options.items()})
    app = make_app({"/": config}, plugins=[pegboard_auth_basic], discover=False)
    with pytest.raises(pegboard.ConfigError) as caught:
        app.start()
    assert key in str(caught.value)
    assert words in str(caught.value)


def test_roles_on_a_deeper_section_only(make_app, make_client, basic):
    # The docs' example: everyone may log in, only admins reach /admin.
    app = make_app(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "intranet",
                "tools.auth_basic.users": {"alice": "a", "bob": "b"},
            },
            "/admin": {
                "tools.auth_basic.roles": ["admin"],
                "tools.auth_basic.get_roles": ROLES.get,
            },
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    app.route("/", lambda req, resp: f"home {req.login}")
    app.route("/admin/panel", lambda req, resp: f"admin {req.login}")
    client = make_client(app)
    assert client.get("/", headers=basic("bob", "b")).text == "home bob"
    assert client.get("/admin/panel", headers=basic("bob", "b")).status == 403
    assert client.get("/admin/panel", headers=basic("alice", "a")).text == "admin alice"


def test_roles_win_over_optional(protected, basic):
    client = protected(optional=True, users={"alice": "a"}, roles=["admin"], get_roles=ROLES.get)
    assert client.get("/").status == 401
    assert client.get("/", headers={"Authorization": "Bearer x"}).status == 401
    assert client.get("/", headers=basic("alice", "a")).text == "login=alice"


def test_responses_vary_on_authorization(protected, basic):
    client = protected(optional=True)
    for headers in ({}, basic("alice", "wonderland"), basic("alice", "wrong")):
        assert client.get("/", headers=headers).headers["Vary"] == "Authorization"
