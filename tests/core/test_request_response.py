"""Request and response objects: headers, params, cookies, body limits, forms, cookies out."""

import datetime as dt

import pytest

import pegboard
from pegboard.cookies import Cookie, parse_cookie_header
from pegboard.headers import ResponseHeaders
from pegboard.httputil import format_http_date


@pytest.fixture
def echo_app(make_app):
    app = make_app({"/small": {"request.max_body_size": 10}})

    @app.route("/info")
    def info(req, resp):
        return repr(
            {
                "ua": req.headers.get("user-agent"),
                "UA": req.headers["USER-AGENT"],
                "query": req.query,
                "cookies": req.cookies,
                "remote": (req.remote.ip, req.remote.port),
                "scheme": req.scheme,
                "base": req.base,
                "url": req.url,
            }
        )

    @app.route("/body")
    def body(req, resp):
        return req.body.read()

    @app.route("/small/body")
    def small(req, resp):
        return req.body.read()

    @app.route("/form")
    def form(req, resp):
        files = {k: (v.filename, v.raw) for k, v in req.files.items()}
        return repr((req.params, req.form, files))

    return app


def test_headers_are_case_insensitive_and_query_lists(echo_app, make_client):
    result = make_client(echo_app).get("/info?a=1&a=2&b=&c=x%20y", headers={"User-Agent": "test/1"})
    info = eval(result.text)  # repr of plain data produced by the handler above
    assert info["ua"] == info["UA"] == "test/1"
    assert info["query"] == {"a": ["1", "2"], "b": "", "c": "x y"}
    assert info["remote"] == ("127.0.0.1", 54321)
    assert info["scheme"] == "http"
    assert info["base"] == "http://localhost"
    assert info["url"] == "http://localhost/info?a=1&a=2&b=&c=x%20y"


def test_base_with_port_and_https(echo_app, make_client):
    client = make_client(echo_app, base_url="https://example.org:8443")
    info = eval(client.get("/info", headers={"User-Agent": "x"}).text)
    assert info["base"] == "https://example.org:8443"
    assert info["scheme"] == "https"


def test_cookies_parsed_leniently():
    assert parse_cookie_header('a=1; b="two"; bad; c=3=3; a=ignored') == {
        "a": "1",
        "b": "two",
        "c": "3=3",
    }


def test_body_read_and_size_limit(echo_app, make_client):
    client = make_client(echo_app)
    assert client.post("/body", body=b"hello").body == b"hello"
    assert client.post("/small/body", body=b"0123456789").status == 200
    too_big = client.post("/small/body", body=b"0123456789A")
    assert too_big.status == 413


def test_chunked_body_over_the_limit_is_413(echo_app, make_client):
    client = make_client(echo_app)
    assert client.post("/small/body", body=iter([b"01234", b"56789"])).body == b"0123456789"
    assert client.post("/small/body", body=iter([b"012345", b"6789AB"])).status == 413


def test_bad_content_length_is_400(echo_app, make_client):
    result = make_client(echo_app, validate=False).post(
        "/body", body=b"", environ={"CONTENT_LENGTH": "abc"}
    )
    assert result.status == 400


def test_urlencoded_and_multipart_forms(echo_app, make_client):
    client = make_client(echo_app)
    params, form, files = eval(
        client.post("/form?q=1", data={"name": "Ada", "tag": ["a", "b"]}).text
    )
    assert form == {"name": "Ada", "tag": ["a", "b"]}
    assert params == {"q": "1", "name": "Ada", "tag": ["a", "b"]}
    params, form, files = eval(
        client.post(
            "/form", data={"title": "T"}, files={"doc": ("r.txt", b"file body", "text/plain")}
        ).text
    )
    assert form == {"title": "T"}
    assert files == {"doc": ("r.txt", b"file body")}


def test_malformed_multipart_is_400(echo_app, make_client):
    result = make_client(echo_app).post(
        "/form",
        body=b"--x\r\nContent-Disposition: form-data\r\n\r\nno name and no end",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert result.status == 400


def test_form_over_the_limit_is_413(make_app, make_client):
    app = make_app({"/": {"request.max_body_size": 50}})
    app.route("/f", lambda req, resp: repr(req.form))
    result = make_client(app).post("/f", data={"x": "y" * 100})
    assert result.status == 413


def test_process_request_body_off_keeps_the_body_raw(make_app, make_client):
    def off(req, resp):
        req.process_request_body = False

    app = make_app({"/": {"hooks.before_request_body": off}})
    app.route("/f", lambda req, resp: repr((req.params, req.body.read())))
    params, raw = eval(make_client(app).post("/f?a=1", data={"x": "y"}).text)
    assert params == {"a": "1"}
    assert raw == b"x=y"


def test_str_body_is_utf8_with_charset(make_app, make_client):
    app = make_app()

    @app.route("/text")
    def text(req, resp):
        resp.headers["Content-Type"] = "text/plain"
        return "héllo"

    result = make_client(app).get("/text")
    assert result.body == "héllo".encode()
    assert result.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_bytes_list_and_none_bodies(make_app, make_client):
    app = make_app()
    app.route("/bytes", lambda req, resp: b"\x00\x01")
    app.route("/list", lambda req, resp: [b"a", b"b"])

    @app.route("/none")
    def none(req, resp):
        resp.body = "set directly"

    client = make_client(app)
    assert client.get("/bytes").body == b"\x00\x01"
    assert client.get("/list").body == b"ab"
    assert client.get("/none").text == "set directly"


def test_status_accepts_strings():
    resp = pegboard.Response()
    resp.status = "201 Created"
    assert resp.status == 201
    with pytest.raises(ValueError):
        resp.status = "abc"
    with pytest.raises(ValueError):
        resp.status = 99


def test_set_cookie_with_every_attribute(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        resp.set_cookie(
            "token",
            "abc",
            path="/app",
            domain="example.org",
            max_age=3600,
            expires=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            secure=True,
            httponly=True,
            samesite="strict",
        )
        resp.set_cookie("plain", "1", httponly=False, samesite=None)

    headers = make_client(app).get("/").headers.get_all("Set-Cookie")
    assert headers == [
        "token=abc; Path=/app; Domain=example.org; Max-Age=3600; "
        "Expires=Wed, 02 Jan 2030 03:04:05 GMT; Secure; HttpOnly; SameSite=Strict",
        "plain=1; Path=/",
    ]


def test_cookie_defaults_are_safe_and_values_checked():
    cookie = Cookie("a", "b")
    assert cookie.header_value() == "a=b; Path=/; HttpOnly; SameSite=Lax"
    for bad in ("a b", "a;b", 'a"b', "a,b"):
        with pytest.raises(ValueError):
            Cookie("a", bad)
    with pytest.raises(ValueError):
        Cookie("bad name", "x")
    with pytest.raises(ValueError, match="Secure"):
        Cookie("a", "b", samesite="None")


def test_cookie_jar_round_trip_and_delete(make_app, make_client):
    app = make_app()

    @app.route("/login")
    def login(req, resp):
        resp.set_cookie("user", "ada")

    @app.route("/logout")
    def logout(req, resp):
        resp.delete_cookie("user")

    app.route("/me", lambda req, resp: req.cookies.get("user", "nobody"))
    client = make_client(app)
    client.get("/login")
    assert client.get("/me").text == "ada"
    client.get("/logout")
    assert client.get("/me").text == "nobody"


def test_response_headers_reject_injection_and_merge_vary():
    headers = ResponseHeaders()
    with pytest.raises(ValueError):
        headers["X-Evil"] = "a\r\nSet-Cookie: x=1"
    headers["Vary"] = "Accept"
    headers.add_vary("Cookie", "accept")
    assert headers["vary"] == "Accept, Cookie"
    headers.add("Link", "</a>")
    headers.add("Link", "</b>")
    assert headers.get_all("link") == ["</a>", "</b>"]
    assert ("Link", "</b>") in headers.items()


def test_add_vary_one_name_at_a_time():
    headers = ResponseHeaders()
    headers.add_vary("Cookie")
    headers.add_vary("Accept-Encoding")
    headers.add_vary("cookie")  # names compare case-insensitively
    assert headers.get_all("Vary") == ["Cookie, Accept-Encoding"]
    star = ResponseHeaders()
    star["Vary"] = "*"
    star.add_vary("Cookie")
    assert star["Vary"] == "*"
    empty = ResponseHeaders()
    empty["Vary"] = ""
    empty.add_vary("Origin")
    assert empty["Vary"] == "Origin"
    for _ in range(2):  # a name that failed is checked again, never remembered as good
        with pytest.raises(ValueError):
            headers.add_vary("X\r\nSet-Cookie: a=1")
        with pytest.raises(ValueError):
            ResponseHeaders().add_vary("X\r\nSet-Cookie: a=1")


def test_add_vary_joins_each_line_the_same_every_time():
    # The joined line of a (line, name) pair is remembered: asking again, on another
    # response or with the name already there, gives the same line.
    for _ in range(3):
        headers = ResponseHeaders()
        headers["Vary"] = "Origin"
        headers.add_vary("Accept-Encoding")
        headers.add_vary("accept-encoding")
        headers.add_vary("Origin")
        assert headers.get_all("Vary") == ["Origin, Accept-Encoding"]
    several = ResponseHeaders()
    several.add("Vary", "Origin")
    several.add("Vary", "Cookie")
    several.add_vary("Cookie")  # two lines: worked out from both
    assert several["Vary"] == "Origin, Cookie"
    nothing = ResponseHeaders()
    nothing.add_vary()
    nothing.add_vary("", "Accept")
    assert nothing.items() == [("Vary", "Accept")]


def test_a_header_name_that_passed_once_still_gets_its_values_checked():
    headers = ResponseHeaders()
    headers["X-Note"] = "fine"
    for bad in ("a\r\nSet-Cookie: x=1", "a\nb", "nul\0"):
        with pytest.raises(ValueError):
            headers["X-Note"] = bad
    headers["X-Note"] = "tab\there, and caf\u00e9"  # not printable, still allowed
    assert headers["X-Note"] == "tab\there, and caf\u00e9"
    with pytest.raises(ValueError):
        headers["X-Bad:Name"] = "v"
    headers["X-Number"] = 3
    assert headers["X-Number"] == "3"


def test_a_trusted_cookie_renders_as_the_checked_one():
    when = 1_900_000_000
    for kwargs in (
        {},
        {"max_age": 3600, "expires": when},
        {"path": None, "domain": "example.org", "secure": True, "samesite": "None"},
        {"max_age": 60, "expires": when + 7, "httponly": False, "partitioned": True},
    ):
        checked = Cookie("sid", "abc-DEF_123", **kwargs)
        trusted = Cookie.trusted("sid", "abc-DEF_123", **kwargs)
        assert trusted == checked
        assert trusted.header_value() == checked.header_value()
    # Dates are kept per second, bounded: many seconds later they are still right.
    for offset in range(0, 200, 3):
        line = Cookie.trusted("sid", "v", max_age=1, expires=when + offset).header_value()
        assert line.endswith(f"Expires={format_http_date(when + offset)}; HttpOnly; SameSite=Lax")


def test_response_headers_from_config(make_app, make_client):
    app = make_app({"/": {"response.headers": {"X-Frame-Options": "DENY"}}})
    app.route("/", lambda req, resp: "")
    assert make_client(app).get("/").headers["X-Frame-Options"] == "DENY"


def test_remote_and_base_are_settable(make_app, make_client):
    app = make_app()

    @app.route("/")
    def index(req, resp):
        from pegboard.request import Remote

        req.remote = Remote("203.0.113.9", None)
        req.base = "https://public.example"
        return f"{req.remote.ip} {req.url}"

    assert make_client(app).get("/").text == "203.0.113.9 https://public.example/"


@pytest.mark.parametrize("value", ["abc\n", "a\nSet-Cookie: x=1", "x\r"])
def test_a_cookie_value_ending_in_a_line_break_is_refused(value):
    from pegboard import Cookie

    with pytest.raises(ValueError, match="invalid characters"):
        Cookie("name", value)
    with pytest.raises(ValueError, match="invalid cookie name"):
        Cookie("name\n", "v")
