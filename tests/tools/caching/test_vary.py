"""Variants: the request headers named in Vary select the stored response."""

from __future__ import annotations


def test_variants_are_keyed_by_header_value(make_app, make_client, store):
    app = make_app({"/": store})
    calls = []

    @app.route("/greeting")
    def greeting(req, resp):
        calls.append(1)
        resp.headers["Vary"] = "Accept-Language"
        return {"fr": "bonjour", "de": "hallo"}.get(req.headers.get("Accept-Language", ""), "hello")

    client = make_client(app)
    for _ in range(2):
        assert client.get("/greeting", headers={"Accept-Language": "fr"}).text == "bonjour"
        assert client.get("/greeting", headers={"Accept-Language": "de"}).text == "hallo"
        assert client.get("/greeting").text == "hello"
    assert len(calls) == 3
    first_de = client.get("/greeting", headers={"Accept-Language": "de"})
    assert first_de.headers["Cache-Status"].startswith("pegboard; hit")
    assert first_de.headers["Vary"] == "Accept-Language"


def test_a_new_variant_of_a_known_url_is_a_vary_miss(make_app, make_client, store):
    app = make_app({"/": store})

    @app.route("/greeting")
    def greeting(req, resp):
        resp.headers["Vary"] = "Accept-Language"
        return req.headers.get("Accept-Language", "none")

    client = make_client(app)
    client.get("/greeting", headers={"Accept-Language": "fr"})
    result = client.get("/greeting", headers={"Accept-Language": "it"})
    assert result.text == "it"
    assert result.headers["Cache-Status"] == "pegboard; fwd=vary-miss; stored"


def test_list_spacing_does_not_make_a_new_variant(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})
    calls = []

    @app.route("/r")
    def handler(req, resp):
        calls.append(1)
        resp.headers["Vary"] = "Accept-Encoding"
        return "body"

    client = make_client(app)
    client.get("/r", headers={"Accept-Encoding": "gzip, br"})
    client.get("/r", headers={"Accept-Encoding": "gzip,br"})
    client.get("/r", headers={"Accept-Encoding": " gzip ,  br "})
    assert len(calls) == 1


def test_different_cookies_never_see_each_others_page(make_app, make_client, store):
    """What the sessions tool relies on: a page that read the cookie says ``Vary: Cookie``."""
    app = make_app({"/": store})

    @app.route("/account")
    def account(req, resp):
        resp.headers.add_vary("Cookie")
        return f"account of {req.cookies.get('user', 'nobody')}"

    alice, bob = make_client(app), make_client(app)
    assert alice.get("/account", headers={"Cookie": "user=alice"}).text == "account of alice"
    assert bob.get("/account", headers={"Cookie": "user=bob"}).text == "account of bob"
    hit = alice.get("/account", headers={"Cookie": "user=alice"})
    assert hit.text == "account of alice"
    assert hit.headers["Cache-Status"].startswith("pegboard; hit")
    assert bob.get("/account", headers={"Cookie": "user=bob"}).text == "account of bob"
    assert make_client(app).get("/account").text == "account of nobody"


def test_a_change_of_vary_over_time_is_followed(make_app, make_client, store):
    app = make_app({"/": store})
    vary = {"value": None}
    calls = []

    @app.route("/r")
    def handler(req, resp):
        calls.append(1)
        if vary["value"]:
            resp.headers["Vary"] = vary["value"]
        return f"lang={req.headers.get('Accept-Language')} n={len(calls)}"

    client = make_client(app)
    assert client.get("/r", headers={"Accept-Language": "fr"}).text == "lang=fr n=1"
    # No Vary yet: the stored response serves every language.
    assert client.get("/r", headers={"Accept-Language": "de"}).text == "lang=fr n=1"

    # The URL starts to vary; once it is stored again, variants are kept apart.
    from pegboard_caching import purge_prefix

    purge_prefix(app, "/r")
    vary["value"] = "Accept-Language"
    assert client.get("/r", headers={"Accept-Language": "fr"}).text == "lang=fr n=2"
    assert client.get("/r", headers={"Accept-Language": "de"}).text == "lang=de n=3"
    assert client.get("/r", headers={"Accept-Language": "fr"}).text == "lang=fr n=2"

    # And it changes what it varies on: the new Vary replaces the old selection.
    purge_prefix(app, "/r")
    vary["value"] = "Accept-Language, X-Theme"
    assert (
        client.get("/r", headers={"Accept-Language": "fr", "X-Theme": "dark"}).text == "lang=fr n=4"
    )
    light = client.get("/r", headers={"Accept-Language": "fr", "X-Theme": "light"})
    assert light.text == "lang=fr n=5"
    dark = client.get("/r", headers={"Accept-Language": "fr", "X-Theme": "dark"})
    assert dark.text == "lang=fr n=4"
    assert dark.headers["Cache-Status"].startswith("pegboard; hit")


def test_vary_set_after_expiry_replaces_the_plain_entry(make_app, make_client, memory_store):
    from pegboard_caching.testing import use_clock

    app = make_app({"/": {**memory_store, "tools.caching.delay": 10}})
    vary = {"value": None}

    @app.route("/r")
    def handler(req, resp):
        if vary["value"]:
            resp.headers["Vary"] = vary["value"]
        return req.headers.get("X-Theme", "none")

    clock = use_clock(app)
    client = make_client(app)
    assert client.get("/r", headers={"X-Theme": "dark"}).text == "dark"
    clock.advance(11)
    vary["value"] = "X-Theme"
    assert client.get("/r", headers={"X-Theme": "light"}).text == "light"
    assert client.get("/r", headers={"X-Theme": "dark"}).text == "dark"
    assert (
        client.get("/r", headers={"X-Theme": "light"})
        .headers["Cache-Status"]
        .startswith("pegboard; hit")
    )
