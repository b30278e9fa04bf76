"""Methods: only GET and HEAD are answered from the cache; unsafe ones invalidate."""

from __future__ import annotations

import pytest


def _resource(app, path="/items"):
    log = []

    class Items:
        def on_get(self, req, resp):
            log.append("GET")
            return f"items v{len([m for m in log if m != 'GET'])}"

        def on_post(self, req, resp):
            log.append("POST")
            resp.status = 201
            return "created"

        def on_put(self, req, resp):
            log.append("PUT")
            return "replaced"

        def on_patch(self, req, resp):
            log.append("PATCH")
            return "patched"

        def on_delete(self, req, resp):
            log.append("DELETE")
            resp.status = 204

    app.route(path, Items())
    return log


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_successful_unsafe_method_invalidates_the_url(make_app, make_client, store, method):
    app = make_app({"/": store})
    log = _resource(app)
    client = make_client(app)
    assert client.get("/items").text == "items v0"
    assert client.get("/items").headers["Cache-Status"].startswith("pegboard; hit")
    unsafe = client.request(method, "/items")
    assert unsafe.headers["Cache-Status"] == "pegboard; fwd=method"
    after = client.get("/items")
    assert after.text == "items v1"
    assert after.headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
    assert log == ["GET", method, "GET"]


def test_regression_patch_and_options_are_never_answered_from_the_get_cache(
    make_app, make_client, store
):
    """CherryPy answered any method whose URL was cached with the stored GET response."""
    app = make_app({"/": store})
    log = _resource(app)
    client = make_client(app)
    client.get("/items")
    patched = client.patch("/items")
    assert patched.text == "patched"
    options = client.options("/items")
    assert options.status == 204
    assert "GET" in options.headers["Allow"] and "PATCH" in options.headers["Allow"]
    assert options.body == b""
    assert log == ["GET", "PATCH"]


def test_a_failed_unsafe_request_does_not_invalidate(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})
    app.route("/page", lambda req, resp: "page", methods=["GET"])
    client = make_client(app)
    client.get("/page")
    assert client.post("/page").status == 405
    assert client.get("/page").headers["Cache-Status"].startswith("pegboard; hit")


def test_invalid_methods_decides_which_methods_invalidate(make_app, make_client, memory_store):
    app = make_app({"/": {**memory_store, "tools.caching.invalid_methods": ["DELETE"]}})
    log = _resource(app)
    client = make_client(app)
    client.get("/items")
    client.post("/items")
    assert client.get("/items").text == "items v0"  # POST no longer invalidates
    client.delete("/items")
    assert client.get("/items").text == "items v2"
    assert log.count("GET") == 2


def test_location_and_content_location_on_the_same_origin_are_invalidated(
    make_app, make_client, memory_store
):
    app = make_app({"/": memory_store})
    versions = {"/items/1": 0, "/items": 0, "/elsewhere": 0}

    @app.route("/items/{id}", methods=["GET"])
    def item(req, resp, id):
        return f"item {id} v{versions['/items/1']}"

    @app.route("/items", methods=["GET"])
    def items(req, resp):
        return f"items v{versions['/items']}"

    @app.route("/actions/rename", methods=["POST"])
    def rename(req, resp):
        versions["/items/1"] += 1
        versions["/items"] += 1
        resp.status = 201
        resp.headers["Location"] = "/items/1"
        resp.headers["Content-Location"] = "http://localhost/items"
        return "renamed"

    client = make_client(app)
    assert client.get("/items/1").text == "item 1 v0"
    assert client.get("/items").text == "items v0"
    client.post("/actions/rename")
    assert client.get("/items/1").text == "item 1 v1"
    assert client.get("/items").text == "items v1"


def test_other_methods_pass_through_untouched(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})
    seen = []

    @app.route("/r")
    def handler(req, resp):
        seen.append(req.method)
        return "ok"

    client = make_client(app)
    client.get("/r")
    client.request("TRACE", "/r")
    assert client.get("/r").headers["Cache-Status"].startswith("pegboard; hit")
    assert seen == ["GET", "TRACE"]
