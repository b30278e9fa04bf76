"""request_id composed with caching: every response carries its own id."""


def test_a_cache_hit_gets_its_own_request_id(make_app, make_client):
    app = make_app({"/": {"tools.request_id.on": True, "tools.caching.on": True}})
    app.route("/page", lambda req, resp: "cached body")
    client = make_client(app)
    first = client.get("/page")
    second = client.get("/page")
    assert "hit" in second.headers["Cache-Status"]
    assert second.body == first.body
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
