"""The purge API: by URL path prefix, by tag, everything; across processes on shared stores."""

from __future__ import annotations

import pytest

from pegboard_caching import purge_all, purge_prefix, purge_tag


def _site(app):
    calls = []

    @app.route("/blog/{slug}")
    def post(req, resp, slug):
        calls.append(slug)
        resp.cache_tags = ["posts", f"post-{slug}"]
        return f"post {slug} #{calls.count(slug)}"

    @app.route("/blogroll")
    def blogroll(req, resp):
        calls.append("blogroll")
        return f"blogroll #{calls.count('blogroll')}"

    @app.route("/about")
    def about(req, resp):
        calls.append("about")
        return f"about #{calls.count('about')}"

    return calls


def _warm(client, *paths):
    for path in paths:
        client.get(path)


def _hit(client, path):
    return client.get(path).headers["Cache-Status"].startswith("pegboard; hit")


def test_purge_by_prefix(make_app, make_client, store):
    app = make_app({"/": store})
    _site(app)
    client = make_client(app)
    _warm(client, "/blog/a", "/blog/b?page=2", "/blogroll", "/about")
    assert purge_prefix(app, "/blog/") == 2
    assert not _hit(client, "/blog/a")
    assert not _hit(client, "/blog/b?page=2")
    assert _hit(client, "/blogroll") and _hit(client, "/about")
    # A string prefix: "/blog" reaches "/blogroll" too.
    assert purge_prefix(app, "/blog") == 3
    assert not _hit(client, "/blogroll")
    assert _hit(client, "/about")


def test_purge_by_prefix_reaches_every_variant_and_host(make_app, make_client, store):
    app = make_app({"/": store})

    @app.route("/page")
    def page(req, resp):
        resp.headers["Vary"] = "Accept-Language"
        return req.headers.get("Accept-Language", "-")

    client = make_client(app)
    other = make_client(app, base_url="http://other.example")
    for lang in ("fr", "de"):
        client.get("/page", headers={"Accept-Language": lang})
        other.get("/page", headers={"Accept-Language": lang})
    assert purge_prefix(app, "/page") == 2  # one URL per host
    # The old variants are unreachable, even where the store cannot list them.
    fr = client.get("/page", headers={"Accept-Language": "fr"})
    de = client.get("/page", headers={"Accept-Language": "de"})
    assert fr.headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
    assert de.headers["Cache-Status"] == "pegboard; fwd=vary-miss; stored"
    assert (
        other.get("/page", headers={"Accept-Language": "fr"})
        .headers["Cache-Status"]
        .startswith("pegboard; fwd=uri-miss")
    )


def test_purge_by_tag(make_app, make_client, store):
    app = make_app({"/": store})
    calls = _site(app)
    client = make_client(app)
    _warm(client, "/blog/a", "/blog/b", "/about")
    assert purge_tag(app, "post-a") == 1
    assert client.get("/blog/a").text == "post a #2"
    assert _hit(client, "/blog/b")
    assert purge_tag(app, "posts") == 2
    assert not _hit(client, "/blog/a") and not _hit(client, "/blog/b")
    assert _hit(client, "/about")
    assert purge_tag(app, "no-such-tag") == 0
    assert calls.count("about") == 1


def test_purge_all(make_app, make_client, store):
    app = make_app({"/": store})
    _site(app)
    client = make_client(app)
    _warm(client, "/blog/a", "/about")
    assert purge_all(app) == 2
    assert not _hit(client, "/about")


def test_purge_covers_every_path_configuration(make_app, make_client, memory_store, store_for):
    redis = store_for("redis")
    app = make_app({"/": memory_store, "/shared": redis})
    app.route("/local", lambda req, resp: "local")
    app.route("/shared/x", lambda req, resp: "shared")
    client = make_client(app)
    _warm(client, "/local", "/shared/x")
    assert purge_all(app) == 2
    assert not _hit(client, "/local") and not _hit(client, "/shared/x")


@pytest.mark.parametrize("backend", ["redis", "memcached"])
def test_a_purge_in_one_process_is_seen_by_another_on_a_shared_store(
    make_app, make_client, store_for, backend
):
    options = store_for(backend)
    first, second = make_app({"/": options}), make_app({"/": options})
    for app in (first, second):
        app.route("/page", lambda req, resp: "page")
    make_client(first).get("/page")
    assert _hit(make_client(second), "/page")
    purge_prefix(first, "/page")
    assert not _hit(make_client(second), "/page")


def test_purge_needs_a_path(make_app, memory_store):
    app = make_app({"/": memory_store})
    app.start()
    with pytest.raises(ValueError, match="starts with '/'"):
        purge_prefix(app, "blog")
