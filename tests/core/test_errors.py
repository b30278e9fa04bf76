"""Errors: HTTPError, redirects, error pages, JSON by Accept, tracebacks, stream failures."""

import json
import logging

import pytest

import pegboard
from pegboard import HTTPError, HTTPRedirect


def test_http_error_status_message_and_headers(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        raise HTTPError(418, "short and stout", headers={"X-Teapot": "yes"})

    result = make_client(app).get("/")
    assert result.status == 418
    assert "short and stout" in result.text
    assert result.headers["X-Teapot"] == "yes"


def test_error_message_is_html_escaped(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        raise HTTPError(400, "<script>alert(1)</script>")

    text = make_client(app).get("/").text
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


def test_error_body_is_json_when_the_client_prefers_it(make_app, make_client):
    app = make_app()
    client = make_client(app)
    result = client.get("/nope", headers={"Accept": "application/json"})
    assert result.headers["Content-Type"] == "application/json"
    assert result.json()["status"] == 404
    assert result.json()["title"] == "Not Found"
    html = client.get("/nope", headers={"Accept": "text/html,application/json;q=0.9"})
    assert html.headers["Content-Type"].startswith("text/html")
    browser = client.get("/nope", headers={"Accept": "*/*"})
    assert browser.headers["Content-Type"].startswith("text/html")


def test_http_error_rejects_non_error_status():
    with pytest.raises(ValueError):
        HTTPError(302)
    assert HTTPError("404 Not Found").status == 404


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_makes_absolute_location(make_app, make_client, status):
    app = make_app()

    @app.route("/old/page")
    def old(req, resp):
        raise HTTPRedirect("../new?x=1", status)

    result = make_client(app).get("/old/page")
    assert result.status == status
    assert result.headers["Location"] == "http://localhost/new?x=1"
    assert 'href="http://localhost/new?x=1"' in result.text


def test_redirect_defaults_to_303_and_validates():
    assert HTTPRedirect("/x").status == 303
    with pytest.raises(ValueError):
        HTTPRedirect("/x", 200)


def test_unexpected_error_is_500_without_traceback_by_default(make_app, make_client, caplog):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        raise ZeroDivisionError("secret detail")

    with caplog.at_level(logging.ERROR, logger="pegboard.error"):
        result = make_client(app).get("/")
    assert result.status == 500
    assert "secret detail" not in result.text
    assert "Traceback" not in result.text
    assert "ZeroDivisionError" in caplog.text  # logged for the operator


def test_traceback_shown_only_when_configured(make_app, make_client):
    app = make_app({"/debug": {"request.show_tracebacks": True}})

    @app.route("/debug/x")
    def debug(req, resp):
        raise ZeroDivisionError("visible detail")

    @app.route("/prod")
    def prod(req, resp):
        raise ZeroDivisionError("hidden detail")

    client = make_client(app)
    assert "visible detail" in client.get("/debug/x").text
    assert "hidden detail" not in client.get("/prod").text
    as_json = client.get("/debug/x", headers={"Accept": "application/json"}).json()
    assert "ZeroDivisionError" in as_json["traceback"]


def test_error_page_callable_and_default(make_app, make_client):
    def page_404(status, message, traceback, version):
        return f"custom {status} / {message}"

    def page_default(status, message, traceback, version):
        return f"default {status}"

    app = make_app({"/": {"error_page.404": page_404, "error_page.default": page_default}})

    @app.route("/forbidden")
    def forbidden(req, resp):
        raise HTTPError(403)

    client = make_client(app)
    assert client.get("/missing").text.startswith("custom 404 Not Found / ")
    assert client.get("/forbidden").text == "default 403 Forbidden"


def test_error_page_file_template_and_import_string(make_app, make_client, tmp_path):
    page = tmp_path / "404.html"
    page.write_text("<h1>$status</h1><p>$message</p>")
    (tmp_path / "site.toml").write_text(
        '["/"]\nerror_page.404 = "404.html"\nerror_page.500 = "tests_error_pages:page"\n'
    )
    (tmp_path / "tests_error_pages.py").write_text(
        "def page(status, message, traceback, version):\n    return 'imported ' + status\n"
    )
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        app = make_app(str(tmp_path / "site.toml"))

        @app.route("/boom")
        def boom(req, resp):
            raise RuntimeError("x")

        client = make_client(app)
        text = client.get("/<b>").text
        assert text.startswith("<h1>404 Not Found</h1>")
        assert "&lt;b&gt;" in text
        assert client.get("/boom").text == "imported 500 Internal Server Error"
    finally:
        sys.path.remove(str(tmp_path))


def test_missing_error_page_file_is_a_config_error(make_app):
    app = make_app({"/": {"error_page.404": "/no/such/file.html"}})
    with pytest.raises(pegboard.ConfigError, match="does not exist"):
        app.start()


def test_error_in_before_finalize_becomes_the_response(make_app, make_client):
    def finalize(req, resp):
        raise HTTPError(409, "conflict found late")

    app = make_app({"/": {"hooks.before_finalize": finalize}})
    app.route("/", lambda req, resp: "body that must not leak")
    result = make_client(app).get("/")
    assert result.status == 409
    assert "must not leak" not in result.text


def test_unexpected_error_in_finalize_is_a_clean_500(make_app, make_client, caplog):
    def finalize(req, resp):
        raise RuntimeError("finalize broke")

    app = make_app({"/": {"hooks.before_finalize": finalize}})
    app.route("/", lambda req, resp: "half a page")
    with caplog.at_level(logging.ERROR, logger="pegboard.error"):
        result = make_client(app).get("/")
    assert result.status == 500
    assert "half a page" not in result.text
    assert "finalize broke" in caplog.text


def test_error_at_the_start_of_a_stream_is_a_500(make_app, make_client, caplog):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        def body():
            raise RuntimeError("generator failed at once")
            yield b"never"

        return body()

    with caplog.at_level(logging.ERROR, logger="pegboard.error"):
        result = make_client(app).get("/")
    assert result.status == 500
    assert "generator failed at once" in caplog.text


def test_http_error_at_the_start_of_a_stream(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        def body():
            raise HTTPError(404, "gone before the first byte")
            yield b""

        return body()

    assert make_client(app).get("/").status == 404


def test_error_in_the_middle_of_a_stream_is_logged_and_raised(make_app, make_client, caplog):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        def body():
            yield b"first part"
            raise RuntimeError("mid-stream failure")

        return body()

    with caplog.at_level(logging.ERROR, logger="pegboard.error"), pytest.raises(RuntimeError):
        make_client(app).get("/")
    assert "truncated response" in caplog.text
    assert "mid-stream failure" in caplog.text


def test_error_page_keeps_cookies(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        resp.set_cookie("seen", "1")
        raise HTTPError(400)

    result = make_client(app).get("/")
    assert result.status == 400
    assert result.headers["Set-Cookie"].startswith("seen=1")


def test_json_error_body_is_valid_json_with_message(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        raise HTTPError(422, 'bad "value"')

    body = make_client(app).get("/", headers={"Accept": "application/json"}).body
    assert json.loads(body)["message"] == 'bad "value"'


def test_http_error_may_carry_repeated_headers(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        raise HTTPError(
            401,
            headers=[
                ("WWW-Authenticate", 'Digest realm="r"'),
                ("WWW-Authenticate", 'Basic realm="r"'),
            ],
        )

    result = make_client(app).get("/")
    assert result.headers.get_all("WWW-Authenticate") == ['Digest realm="r"', 'Basic realm="r"']


def test_req_error_names_what_became_the_response(make_app, make_client):
    seen = []

    def finalize(req, resp):
        seen.append(type(req.error).__name__ if req.error else None)

    def after_error(req, resp):
        seen.append(type(req.error).__name__)

    app = make_app(
        {"/": {"hooks.before_finalize": finalize, "hooks.after_error_response": after_error}}
    )
    app.route("/ok", lambda req, resp: "")

    @app.route("/missing")
    def missing(req, resp):
        raise pegboard.NotFound()

    @app.route("/crash")
    def crash(req, resp):
        raise KeyError("k")

    client = make_client(app)
    client.get("/ok")
    client.get("/missing")
    client.get("/crash")
    assert seen == [None, "NotFound", "KeyError"]


def test_a_hook_answers_and_skips_the_rest_of_the_handling(make_app, make_client):
    ran: list[str] = []

    def answer(req, resp):
        resp.status = 204
        resp.headers["X-Answered"] = "yes"
        raise pegboard.Answered

    def later(name):
        def hook(req, resp):
            ran.append(name)

        return hook

    app = make_app(
        {
            "/": {
                "hooks.on_start_resource": [answer, later("start-later")],
                "hooks.before_request_body": later("body"),
                "hooks.before_handler": later("before"),
                "hooks.before_finalize": later("finalize"),
                "hooks.on_end_resource": later("end"),
            }
        }
    )
    app.route("/", lambda req, resp: ran.append("handler") or "body")
    result = make_client(app).get("/")
    assert result.status == 204 and result.headers["X-Answered"] == "yes"
    assert ran == ["finalize", "end"]


def test_an_http_error_may_bring_its_own_page_that_config_overrides(
    make_app, make_client, tmp_path
):
    def own(status, message, **more):
        return f"own page: {status}: {message}"

    def refuse(req, resp):
        raise pegboard.HTTPError(403, "no", page=own)

    page = tmp_path / "403.html"
    page.write_text("configured $status")
    app = make_app({"/": {"hooks.before_handler": refuse}, "/conf": {"error_page.403": str(page)}})
    app.route("/", lambda req, resp: "")
    app.route("/conf", lambda req, resp: "")
    client = make_client(app)
    assert client.get("/").text == "own page: 403 Forbidden: no"
    assert client.get("/conf").text == "configured 403 Forbidden"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/next?q=a b", "http://localhost/next?q=a%20b"),
        ("/caf\u00e9", "http://localhost/caf%C3%A9"),
        # urljoin drops tabs and line breaks (WHATWG); what is left is encoded
        ("/x?n=\x00\r\nSet-Cookie: a=1", "http://localhost/x?n=%00Set-Cookie:%20a=1"),
        ("/kept%20escape?a=1&b=2#top", "http://localhost/kept%20escape?a=1&b=2#top"),
    ],
)
def test_a_redirect_target_is_percent_encoded_where_a_location_cannot_hold_it(
    make_app, make_client, target, location
):
    app = make_app()

    @app.route("/go")
    def go(req, resp):
        raise pegboard.HTTPRedirect(target)

    result = make_client(app).get("/go")
    assert result.status == 303
    assert result.headers["Location"] == location
