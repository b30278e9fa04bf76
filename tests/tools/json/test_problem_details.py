"""``tools.json_out.problem_details``: errors as RFC 9457 application/problem+json."""

from __future__ import annotations

import pytest

import pegboard

PROBLEM = "application/problem+json"


@pytest.fixture
def app(make_app):
    app = make_app(
        {
            "/api": {
                "tools.json_out.on": True,
                "tools.json_out.problem_details": True,
                "tools.json_in.on": True,
            },
            "/api/special": {"error_page.404": lambda **kw: "custom 404 page"},
        }
    )

    @app.route("/api/teapot")
    def teapot(req, resp):
        raise pegboard.HTTPError(418, "Short and stout.")

    @app.route("/api/auth")
    def auth(req, resp):
        raise pegboard.HTTPError(
            401, "Log in first.", headers={"WWW-Authenticate": 'Basic realm="api"'}
        )

    @app.route("/api/crash")
    def crash(req, resp):
        raise RuntimeError("secret internals")

    @app.route("/api/items", methods=["POST"])
    def items(req, resp):
        return {"got": req.json}

    @app.route("/api/gone")
    def gone(req, resp):
        resp.status = 410
        return {"handler": "chose this body"}

    @app.route("/api/special/{x}")
    def special(req, resp, x):
        raise pegboard.NotFound()

    @app.route("/html/missing")
    def html_missing(req, resp):
        raise pegboard.NotFound()

    return app


@pytest.fixture
def client(app, make_client):
    return make_client(app)


def test_http_error_becomes_a_problem(client):
    result = client.get("/api/teapot")
    assert result.status == 418
    assert result.headers["Content-Type"] == PROBLEM
    assert result.json() == {
        "type": "about:blank",
        "title": "I'm a Teapot",
        "status": 418,
        "detail": "Short and stout.",
    }


def test_error_headers_are_kept(client):
    result = client.get("/api/auth")
    assert result.status == 401
    assert result.headers["WWW-Authenticate"] == 'Basic realm="api"'
    assert result.json()["detail"] == "Log in first."


def test_unexpected_exception_is_a_problem_without_internals(client):
    result = client.get("/api/crash")
    assert result.status == 500 and result.headers["Content-Type"] == PROBLEM
    problem = result.json()
    assert problem["status"] == 500 and problem["title"] == "Internal Server Error"
    assert "secret" not in result.text and "traceback" not in problem


def test_traceback_only_when_configured(make_app, make_client):
    app = make_app(
        {
            "/": {
                "tools.json_out.on": True,
                "tools.json_out.problem_details": True,
                "request.show_tracebacks": True,
            }
        }
    )

    @app.route("/")
    def crash(req, resp):
        raise RuntimeError("visible in debug")

    problem = make_client(app).get("/").json()
    assert "visible in debug" in problem["traceback"]


def test_errors_from_tools_and_the_core_are_problems(client):
    bad_json = client.post(
        "/api/items", body=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status == 400 and bad_json.headers["Content-Type"] == PROBLEM
    assert "line 1, column 2" in bad_json.json()["detail"]
    wrong_type = client.post("/api/items", body=b"x", headers={"Content-Type": "text/plain"})
    assert wrong_type.status == 415 and wrong_type.json()["title"] == "Unsupported Media Type"
    missing = client.get("/api/nowhere")
    assert (
        missing.status == 404
        and missing.json()["detail"] == "The path '/api/nowhere' was not found."
    )
    not_allowed = client.get("/api/items")
    assert not_allowed.status == 405 and not_allowed.headers["Allow"]
    assert not_allowed.json()["status"] == 405


def test_handler_chosen_error_body_is_left_alone(client):
    result = client.get("/api/gone")
    assert result.status == 410
    assert result.json() == {"handler": "chose this body"}
    assert result.headers["Content-Type"] == "application/json"


def test_a_page_configured_for_one_status_still_wins(client):
    result = client.get("/api/special/x")
    assert result.status == 404 and result.text == "custom 404 page"


def test_other_paths_keep_their_pages(client):
    result = client.get("/html/missing")
    assert result.status == 404
    assert result.headers["Content-Type"].startswith("text/html")


def test_off_by_default(make_app, make_client):
    app = make_app({"/": {"tools.json_out.on": True}})

    @app.route("/")
    def teapot(req, resp):
        raise pegboard.HTTPError(418, "Short and stout.")

    assert make_client(app).get("/").headers["Content-Type"].startswith("text/html")


def test_late_error_in_before_finalize_is_a_problem_too(make_app, make_client):
    def refuse(req, resp):
        raise pegboard.HTTPError(412, "Raised after the handler.")

    app = make_app(
        {
            "/": {
                "tools.json_out.on": True,
                "tools.json_out.problem_details": True,
                "hooks.before_finalize": pegboard.Hook(refuse, priority=70),
            }
        }
    )
    app.route("/", lambda req, resp: {"ok": True})
    result = make_client(app).get("/")
    assert result.status == 412 and result.headers["Content-Type"] == PROBLEM
    assert result.json()["detail"] == "Raised after the handler."
