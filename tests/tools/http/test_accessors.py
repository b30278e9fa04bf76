"""The typed accessors of pegboard-http read req.state; the older attributes keep working."""

from __future__ import annotations

import pegboard_http


def test_request_id_of_and_the_attribute_agree(make_app, make_client):
    app = make_app({"/": {"tools.request_id.on": True}})
    seen = []

    @app.route("/")
    def home(req, resp):
        seen.append((pegboard_http.request_id_of(req), req.request_id, req.state.request_id))
        return "ok"

    result = make_client(app).get("/")
    ((accessor, attribute, state),) = seen
    assert accessor == attribute == state == result.headers["X-Request-Id"]


def test_accept_media_of_and_the_attribute_agree(make_app, make_client):
    app = make_app(
        {"/": {"tools.accept.on": True, "tools.accept.media": ["text/html", "text/csv"]}}
    )
    app.route("/", lambda req, resp: f"{pegboard_http.accept_media_of(req)} {req.accept_media}")
    assert make_client(app).get("/", headers={"Accept": "text/csv"}).text == "text/csv text/csv"


def test_autovary_read_of_and_the_attribute_agree(make_app, make_client):
    app = make_app({"/": {"tools.autovary.on": True}})
    seen = []

    @app.route("/")
    def home(req, resp):
        req.headers.get("Accept-Language")
        seen.append((pegboard_http.autovary_read_of(req), req.autovary_read))
        return "ok"

    result = make_client(app).get("/")
    ((accessor, attribute),) = seen
    assert accessor is attribute
    assert accessor == {"accept-language": "Accept-Language"}
    assert result.headers["Vary"] == "Accept-Language"


def test_without_the_tools_the_accessors_say_none(make_app, make_client):
    app = make_app({})
    app.route(
        "/",
        lambda req, resp: repr(
            [
                pegboard_http.request_id_of(req),
                pegboard_http.accept_media_of(req),
                pegboard_http.autovary_read_of(req),
                pegboard_http.proxy_info_of(req),
            ]
        ),
    )
    assert make_client(app).get("/").text == "[None, None, None, None]"
