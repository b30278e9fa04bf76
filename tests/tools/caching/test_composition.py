"""caching with the tools it must compose with: gzip, etags, sessions, json_out, static.

Written against their documented contracts (docs/lifecycle.md and each tool's
page): gzip compresses at before_finalize 80 and adds ``Vary: Accept-Encoding``,
suffixing strong ETags per coding; etags validates at 70; sessions adds
``Vary: Cookie`` when the session was read; json_out and the static tools
leave a handler tool's answer (``req.handler is None``) alone.
"""

from __future__ import annotations

import gzip
import importlib
import json

import pegboard_caching


def _app(make_app, config, *names):
    """An app with pegboard_caching and the named tool packages, from code only."""
    plugins = [pegboard_caching, *(importlib.import_module(f"pegboard_{name}") for name in names)]
    return make_app(config, plugins=plugins, discover=False)


def _status(result):
    return result.headers.get("Cache-Status", "")


PAGE = "<p>" + "a compressible paragraph. " * 200 + "</p>"


def test_gzip_output_is_cached_per_accept_encoding(make_app, make_client, memory_store):
    app = _app(make_app, {"/": {**memory_store, "tools.gzip.on": True}}, "gzip")
    calls = []

    @app.route("/page")
    def page(req, resp):
        calls.append(req.headers.get("Accept-Encoding"))
        return PAGE

    client = make_client(app)
    zipped = {"Accept-Encoding": "gzip"}
    first = client.get("/page", headers=zipped)
    hit = client.get("/page", headers=zipped)
    plain = client.get("/page", headers={"Accept-Encoding": "identity"})
    plain_hit = client.get("/page", headers={"Accept-Encoding": "identity"})
    assert first.headers["Content-Encoding"] == "gzip"
    assert _status(hit).startswith("pegboard; hit")
    assert hit.headers["Content-Encoding"] == "gzip"
    assert hit.body == first.body
    assert gzip.decompress(hit.body).decode() == PAGE  # decompresses correctly, once
    assert "Accept-Encoding" in hit.headers["Vary"]
    assert int(hit.headers["Content-Length"]) == len(hit.body)
    assert "Content-Encoding" not in plain.headers and plain.text == PAGE
    assert _status(plain).startswith("pegboard; fwd=vary-miss")
    assert _status(plain_hit).startswith("pegboard; hit")
    assert plain_hit.text == PAGE
    assert calls == ["gzip", "identity"]


def test_a_compressed_hit_answers_its_own_etag_with_304(make_app, make_client, memory_store):
    config = {
        "/": {
            **memory_store,
            "tools.gzip.on": True,
            "tools.etags.on": True,
            "tools.etags.autotags": True,
        }
    }
    app = _app(make_app, config, "gzip", "etags")
    app.route("/page", lambda req, resp: PAGE)
    client = make_client(app)
    zipped = {"Accept-Encoding": "gzip"}
    first = client.get("/page", headers=zipped)
    etag = first.headers["ETag"]
    assert etag.endswith('-gzip"')
    hit = client.get("/page", headers=zipped)
    assert hit.headers["ETag"] == etag
    revalidated = client.get("/page", headers={**zipped, "If-None-Match": etag})
    assert revalidated.status == 304
    assert revalidated.headers["ETag"] == etag
    assert _status(revalidated).startswith("pegboard; hit")
    # An identity client holding the gzip tag must not get a 304 for a body it cannot use.
    plain = client.get("/page", headers={"Accept-Encoding": "identity", "If-None-Match": etag})
    assert plain.status == 200 and plain.text == PAGE


def test_sessions_keep_users_apart(make_app, make_client, memory_store):
    config = {"/": {**memory_store, "tools.sessions.on": True, "tools.sessions.persistent": False}}
    app = _app(make_app, config, "sessions")
    calls = []

    @app.route("/login/{name}")
    def login(req, resp, name):
        req.session["user"] = name
        return f"welcome {name}"

    @app.route("/account")
    def account(req, resp):
        calls.append(1)
        return f"account of {req.session.get('user', 'nobody')}"

    alice, bob = make_client(app), make_client(app)
    alice.get("/login/alice")
    bob.get("/login/bob")
    for _ in range(3):
        assert alice.get("/account").text == "account of alice"
        assert bob.get("/account").text == "account of bob"
        assert make_client(app).get("/account").text == "account of nobody"
    again = alice.get("/account")
    assert "Cookie" in again.headers["Vary"]
    assert _status(again).startswith("pegboard; hit")


def test_session_pages_that_send_a_cookie_are_never_stored(make_app, make_client, memory_store):
    app = _app(make_app, {"/": {**memory_store, "tools.sessions.on": True}}, "sessions")

    @app.route("/visit")
    def visit(req, resp):
        req.session["visits"] = req.session.get("visits", 0) + 1
        return f"visit {req.session['visits']}"

    client = make_client(app)
    assert [client.get("/visit").text for _ in range(3)] == ["visit 1", "visit 2", "visit 3"]
    assert _status(client.get("/visit")) == "pegboard; fwd=uri-miss; detail=set-cookie"


def test_json_out_answers_are_cached_and_hits_are_left_alone(make_app, make_client, memory_store):
    app = _app(make_app, {"/": {**memory_store, "tools.json_out.on": True}}, "json")
    calls = []

    @app.route("/api/items")
    def items(req, resp):
        calls.append(1)
        return {"items": [1, 2, 3]}

    client = make_client(app)
    first = client.get("/api/items")
    hit = client.get("/api/items")
    assert json.loads(hit.body) == {"items": [1, 2, 3]} == json.loads(first.body)
    assert hit.headers["Content-Type"].startswith("application/json")
    assert _status(hit).startswith("pegboard; hit")
    assert len(calls) == 1


def test_static_files_are_cached(make_app, make_client, memory_store, tmp_path):
    (tmp_path / "style.css").write_text("body { color: red }")
    config = {
        "/": memory_store,
        "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tmp_path)},
    }
    app = _app(make_app, config, "static")
    client = make_client(app)
    first = client.get("/static/style.css")
    (tmp_path / "style.css").write_text("body { color: blue }")
    hit = client.get("/static/style.css")
    assert first.text == hit.text == "body { color: red }"
    assert _status(hit).startswith("pegboard; hit")
    assert hit.headers["Content-Type"].startswith("text/css")


def test_the_plan_shows_caching_around_the_other_tools(make_app, memory_store):
    config = {
        "/": {
            **memory_store,
            "tools.gzip.on": True,
            "tools.etags.on": True,
            "tools.sessions.on": True,
        }
    }
    app = _app(make_app, config, "gzip", "etags", "sessions")
    app.route("/r", lambda req, resp: "r")
    app.compile()
    plan = app.router.static["/r"].default_plan
    order = [
        (point, hook.priority, hook.source)
        for point in ("before_handler", "before_finalize")
        for hook in plan.hooks[point]
    ]
    handler_side = [(p, s) for point, p, s in order if point == "before_handler"]
    finalize_side = [(p, s) for point, p, s in order if point == "before_finalize"]
    assert (10, "sessions") in handler_side and (20, "caching") in handler_side
    assert handler_side.index((10, "sessions")) < handler_side.index((20, "caching"))
    assert finalize_side[-1] == (90, "caching")
    assert (80, "gzip") in finalize_side and (70, "etags") in finalize_side
