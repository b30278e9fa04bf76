"""``@validator``: a cheap current tag checked before the handler runs."""

from __future__ import annotations

import pytest

import pegboard
from pegboard_etags import validator


@pytest.fixture
def store():
    return {"doc": {"version": 3, "text": "hello"}, "calls": 0}


@pytest.fixture
def client(make_app, make_client, store):
    app = make_app()

    def current(req):
        item = store.get(req.path_params["name"])
        return f"v{item['version']}" if item else None

    @app.route("/items/{name}", methods=["GET", "HEAD", "PUT"])
    @validator(current)
    def item(req, resp, name):
        store["calls"] += 1
        if req.method == "PUT":
            created = name not in store
            version = 1 if created else store[name]["version"] + 1
            store[name] = {"version": version, "text": req.body.bytes.decode()}
            resp.status = 201 if created else 200
            resp.headers["ETag"] = f'"v{version}"'
            return "stored"
        if name not in store:
            raise pegboard.NotFound(req.path)
        return store[name]["text"]

    return make_client(app)


def test_200_carries_the_declared_tag(client, store):
    result = client.get("/items/doc")
    assert result.status == 200 and result.headers["ETag"] == '"v3"'
    assert store["calls"] == 1


def test_304_without_running_the_handler(client, store):
    result = client.get("/items/doc", headers={"If-None-Match": '"v3"'})
    assert result.status == 304 and result.headers["ETag"] == '"v3"'
    assert store["calls"] == 0


def test_stale_tag_runs_the_handler(client, store):
    result = client.get("/items/doc", headers={"If-None-Match": '"v2"'})
    assert result.status == 200 and result.text == "hello"
    assert store["calls"] == 1


def test_lost_update_is_refused_before_the_write(client, store):
    result = client.put("/items/doc", body=b"overwrite", headers={"If-Match": '"v2"'})
    assert result.status == 412
    assert store["calls"] == 0 and store["doc"]["text"] == "hello"


def test_matching_if_match_lets_the_write_through(client, store):
    result = client.put("/items/doc", body=b"new text", headers={"If-Match": '"v3"'})
    assert result.status == 200 and result.headers["ETag"] == '"v4"'
    assert store["doc"] == {"version": 4, "text": "new text"}


def test_create_only_if_absent(client, store):
    exists = client.put("/items/doc", body=b"x", headers={"If-None-Match": "*"})
    assert exists.status == 412 and store["calls"] == 0
    created = client.put("/items/fresh", body=b"x", headers={"If-None-Match": "*"})
    assert created.status == 201 and store["fresh"] == {"version": 1, "text": "x"}


def test_if_match_star_needs_an_existing_resource(client, store):
    assert client.put("/items/absent", body=b"x", headers={"If-Match": "*"}).status == 412
    assert "absent" not in store


def test_missing_resource_on_get_reaches_the_handler(client):
    assert client.get("/items/absent", headers={"If-None-Match": "*"}).status == 404


def test_validator_may_return_a_quoted_or_weak_tag(make_app, make_client):
    app = make_app()
    app.route("/strong", validator(lambda req: '"s1"')(lambda req, resp: "s"))
    app.route("/weak", validator(lambda req: 'W/"w1"')(lambda req, resp: "w"))
    client = make_client(app)
    assert client.get("/strong").headers["ETag"] == '"s1"'
    weak = client.get("/weak", headers={"If-None-Match": '"w1"'})
    assert weak.status == 304 and weak.headers["ETag"] == 'W/"w1"'


def test_validator_from_config_as_an_import_string(make_app, make_client, tmp_path, monkeypatch):
    (tmp_path / "site_versions.py").write_text("def version(req):\n    return 'cfg1'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = make_app(
        {"/": {"tools.etags.on": True, "tools.etags.validator": "site_versions:version"}}
    )
    calls = []
    app.route("/", lambda req, resp: calls.append(1) or "x")
    client = make_client(app)
    assert client.get("/", headers={"If-None-Match": '"cfg1"'}).status == 304
    assert calls == []


def test_invalid_validator_is_a_config_error(make_app):
    app = make_app({"/": {"tools.etags.on": True, "tools.etags.validator": "no_such_module:f"}})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.etags\.validator"):
        app.start()
