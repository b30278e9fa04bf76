"""What a user sees of sessions, the same on all five backends."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

import pegboard
from pegboard_sessions import session


def test_untouched_session_sends_no_cookie_and_no_vary(backend, counter_app, make_client):
    client = make_client(counter_app(backend))
    result = client.get("/noop")
    assert result.status == 200
    assert result.headers.get_all("Set-Cookie") == []
    assert "Vary" not in result.headers


def test_first_write_sets_a_secure_cookie_and_the_data_survives(
    backend, counter_app, make_client, set_cookie
):
    client = make_client(counter_app(backend))
    first = client.get("/incr")
    assert first.text == "1"
    sid = set_cookie(first)
    assert sid is not None and re.fullmatch(r"[A-Za-z0-9_-]{43}", sid)  # 256 bits
    line = first.headers.get_all("Set-Cookie")[0]
    assert "HttpOnly" in line and "SameSite=Lax" in line and "Path=/" in line
    assert "Max-Age=3600" in line  # persistent by default: timeout is 60 minutes
    assert first.headers["Vary"] == "Cookie"
    assert client.get("/incr").text == "2"
    assert client.get("/read").text == "2"
    assert client.cookie("session_id") == sid


def test_reading_an_empty_session_varies_but_stores_nothing(backend, counter_app, make_client):
    client = make_client(counter_app(backend))
    result = client.get("/read")
    assert result.text == "None"
    assert result.headers["Vary"] == "Cookie"
    assert result.headers.get_all("Set-Cookie") == []


def test_an_unknown_id_from_the_client_is_never_adopted(
    backend, counter_app, make_client, set_cookie
):
    client = make_client(counter_app(backend))
    planted = "A" * 43  # well-formed, but the store never issued it
    result = client.get("/incr", headers={"Cookie": f"session_id={planted}"})
    assert result.status == 200 and result.text == "1"
    issued = set_cookie(result)
    assert issued is not None and issued != planted


MALFORMED_IDS = [
    "../../etc/passwd",
    "x" * 5000,
    "short",
    "A" * 42 + "/",
    "A" * 42 + "%00",
    '"' + "A" * 43 + '"x',
    "A" * 43 + "\u00e9",
]


def test_malformed_ids_are_dropped_before_they_reach_the_store(
    backend, counter_app, make_client, set_cookie
):
    client = make_client(counter_app(backend))
    for bad in MALFORMED_IDS:
        cookie = bad.encode("utf-8").decode("latin-1")  # as a server hands it over
        result = client.get("/incr", headers={"Cookie": f"session_id={cookie}"})
        assert result.status == 200 and result.text == "1", bad
        assert set_cookie(result) not in (None, bad)


def test_regenerate_keeps_the_data_under_a_new_id_and_kills_the_old_one(
    backend, counter_app, make_client, set_cookie
):
    app = counter_app(backend)

    @app.route("/login")
    def login(req: Any, resp: Any) -> str:
        req.session.regenerate()
        return "ok"

    client = make_client(app)
    client.get("/incr")
    old = client.cookie("session_id")
    result = client.get("/login")
    new = set_cookie(result)
    assert new is not None and new != old
    assert client.get("/read").text == "1"
    # The old id is gone: presenting it starts an empty session.
    assert make_client(app).get("/read", headers={"Cookie": f"session_id={old}"}).text == "None"


def test_expire_deletes_the_record_and_the_cookie(backend, counter_app, make_client):
    app = counter_app(backend)

    @app.route("/logout")
    def logout(req: Any, resp: Any) -> str:
        req.session.expire()
        return "bye"

    client = make_client(app)
    client.get("/incr")
    old = client.cookie("session_id")
    result = client.get("/logout")
    (line,) = result.headers.get_all("Set-Cookie")
    assert line.startswith("session_id=;") and "Max-Age=0" in line
    assert client.cookie("session_id") is None
    assert make_client(app).get("/read", headers={"Cookie": f"session_id={old}"}).text == "None"


def test_clear_empties_the_session_and_drops_it(backend, counter_app, make_client):
    app = counter_app(backend)

    @app.route("/clear")
    def clear(req: Any, resp: Any) -> str:
        req.session.clear()
        return str(len(req.session))

    client = make_client(app)
    client.get("/incr")
    old = client.cookie("session_id")
    assert client.get("/clear").text == "0"
    assert make_client(app).get("/read", headers={"Cookie": f"session_id={old}"}).text == "None"


def test_nested_mutation_is_saved(backend, make_app, make_client):
    app = make_app(backend.config())

    @app.route("/add/{item}")
    def add(req: Any, resp: Any, item: str) -> str:
        cart = req.session.setdefault("cart", {"items": []})
        cart["items"].append(item)  # a change inside a nested value, never reassigned
        return ",".join(cart["items"])

    client = make_client(app)
    assert client.get("/add/apple").text == "apple"
    assert client.get("/add/pear").text == "apple,pear"
    assert client.get("/add/fig").text == "apple,pear,fig"


def test_context_proxy_reaches_the_current_session(backend, make_app, make_client):
    app = make_app(backend.config())

    @app.route("/visit")
    def visit(req: Any, resp: Any) -> str:
        session["visits"] = session.get("visits", 0) + 1
        assert session.id == req.session.id
        return str(session["visits"])

    client = make_client(app)
    assert [client.get("/visit").text for _ in range(3)] == ["1", "2", "3"]


def test_context_proxy_outside_a_request_says_why():
    # A new thread has a context no request ever ran in.
    errors: list[BaseException] = []

    def outside() -> None:
        try:
            session.get("x")
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=outside)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "only available while a request is handled" in str(errors[0])


def test_context_proxy_without_the_tool_says_why(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req: Any, resp: Any) -> str:
        try:
            session.get("x")
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    assert "tools.sessions.on" in make_client(app).get("/").text


def test_session_saved_with_an_http_error_and_a_redirect(backend, make_app, make_client):
    app = make_app(backend.config())

    @app.route("/login")
    def login(req: Any, resp: Any) -> None:
        req.session["user"] = "alice"
        raise pegboard.HTTPRedirect("/home")

    @app.route("/forbid")
    def forbid(req: Any, resp: Any) -> None:
        req.session["tries"] = req.session.get("tries", 0) + 1
        raise pegboard.HTTPError(403, "no")

    @app.route("/home")
    def home(req: Any, resp: Any) -> str:
        return f"{req.session.get('user')} {req.session.get('tries')}"

    client = make_client(app)
    redirect = client.get("/login")
    assert redirect.status == 303 and redirect.headers["Vary"] == "Cookie"
    forbidden = client.get("/forbid")
    assert forbidden.status == 403 and forbidden.headers["Vary"] == "Cookie"
    assert client.get("/home").text == "alice 1"


def test_data_of_a_request_that_crashed_is_not_saved(backend, counter_app, make_client):
    app = counter_app(backend)

    @app.route("/crash")
    def crash(req: Any, resp: Any) -> None:
        req.session["n"] = 100
        raise RuntimeError("boom")

    client = make_client(app)
    client.get("/incr")
    assert client.get("/crash").status == 500
    assert client.get("/read").text == "1"


def test_cookie_options(backend, counter_app, make_client, set_cookie):
    app = counter_app(
        backend,
        name="sid",
        path="/",
        domain="example.com",
        secure=True,
        httponly=False,
        samesite="Strict",
        timeout=30,
    )
    result = make_client(app, base_url="https://example.com").get("/incr")
    (line,) = result.headers.get_all("Set-Cookie")
    assert line.startswith("sid=")
    assert "Domain=example.com" in line and "Secure" in line and "SameSite=Strict" in line
    assert "HttpOnly" not in line and "Max-Age=1800" in line


def test_non_persistent_cookie_is_sent_only_when_the_id_changes(backend, counter_app, make_client):
    client = make_client(counter_app(backend, persistent=False))
    (line,) = client.get("/incr").headers.get_all("Set-Cookie")
    assert "Max-Age" not in line and "Expires" not in line
    second = client.get("/incr")
    assert second.text == "2" and second.headers.get_all("Set-Cookie") == []


def test_persistent_cookie_is_refreshed_while_the_session_is_used(
    backend, counter_app, make_client
):
    client = make_client(counter_app(backend))
    client.get("/incr")
    (line,) = client.get("/read").headers.get_all("Set-Cookie")
    assert "Max-Age=3600" in line


@pytest.mark.parametrize("serializer", ["json", "msgpack"])
def test_serializers_round_trip(backend, make_app, make_client, serializer):
    app = make_app(backend.config(serializer=serializer))

    @app.route("/put")
    def put(req: Any, resp: Any) -> str:
        req.session["data"] = {"name": "zoë", "n": [1, 2.5, None, True]}
        return "ok"

    @app.route("/get")
    def get(req: Any, resp: Any) -> str:
        data = req.session["data"]
        return f"{data['name']} {data['n']}"

    client = make_client(app)
    client.get("/put")
    assert client.get("/get").text == "zoë [1, 2.5, None, True]"


def test_json_serializer_rejects_what_it_cannot_store_with_a_clear_500(
    make_app, make_client, caplog
):
    app = make_app({"/": {"tools.sessions.on": True}})

    @app.route("/put")
    def put(req: Any, resp: Any) -> str:
        req.session["when"] = object()
        return "ok"

    assert make_client(app).get("/put").status == 500
    assert "cannot be stored as JSON" in caplog.text


def test_pickle_only_when_asked_for_and_with_a_warning(make_app, make_client):
    app = make_app({"/": {"tools.sessions.on": True, "tools.sessions.serializer": "pickle"}})

    @app.route("/put")
    def put(req: Any, resp: Any) -> str:
        req.session["when"] = {1, 2}  # a set: pickle keeps what JSON cannot
        return "ok"

    @app.route("/get")
    def get(req: Any, resp: Any) -> str:
        return repr(req.session["when"])

    with pytest.warns(pegboard_sessions_warning(), match="pickle"):
        app.start()
    client = make_client(app)
    client.get("/put")
    assert client.get("/get").text == "{1, 2}"


def pegboard_sessions_warning() -> type[Warning]:
    from pegboard_sessions import UnsafeSerializerWarning

    return UnsafeSerializerWarning


def test_sections_with_equal_storage_share_the_store(backend, make_app, make_client):
    config = backend.config()
    config["/admin"] = {"tools.sessions.timeout": 5}
    app = make_app(config)

    @app.route("/incr")
    def incr(req: Any, resp: Any) -> str:
        req.session["n"] = req.session.get("n", 0) + 1
        return str(req.session["n"])

    @app.route("/admin/read")
    def admin(req: Any, resp: Any) -> str:
        return str(req.session.get("n"))

    client = make_client(app)
    client.get("/incr")
    result = client.get("/admin/read")
    assert result.text == "1"
    assert "Max-Age=300" in result.headers.get_all("Set-Cookie")[0]


def test_off_below_a_section(backend, make_app, make_client):
    config = backend.config()
    config["/public"] = {"tools.sessions.on": False}
    app = make_app(config)

    @app.route("/public/page")
    def page(req: Any, resp: Any) -> str:
        return str(hasattr(req, "session"))

    result = make_client(app).get("/public/page")
    assert result.text == "False" and "Vary" not in result.headers
