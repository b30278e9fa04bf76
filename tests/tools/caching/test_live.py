"""Over a real socket, with a real HTTP client: hits, 304s and HEAD as clients see them."""

from __future__ import annotations

import httpx


def test_hits_and_conditional_requests_over_http(make_app, live_server, store, counter):
    app = make_app({"/": store})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["ETag"] = '"d1"'
        resp.headers["Cache-Control"] = "public, max-age=60"
        return "document"

    server = live_server(app)
    with httpx.Client(base_url=server.url) as client:
        miss = client.get("/doc")
        hit = client.get("/doc")
        not_modified = client.get("/doc", headers={"If-None-Match": 'W/"d1"'})
        head = client.head("/doc")
    assert miss.headers["cache-status"] == "pegboard; fwd=uri-miss; stored"
    assert hit.status_code == 200 and hit.text == "document"
    assert hit.headers["cache-status"].startswith("pegboard; hit")
    assert int(hit.headers["age"]) >= 0
    assert hit.headers["content-length"] == "8"
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == '"d1"'
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == "8"


def test_concurrent_clients_over_http_share_one_handler_run(
    make_app, live_server, memory_store, counter
):
    import concurrent.futures

    app = make_app({"/": memory_store})
    handler = counter("slow", delay=0.3)
    app.route("/slow", handler)
    server = live_server(app, threads=8)

    def fetch(_):
        return httpx.get(server.url + "/slow").text

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(fetch, range(8)))
    assert bodies == ["slow 1"] * 8
    assert handler.calls == 1
