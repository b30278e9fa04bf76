"""The gc and leak inspector: the gc page, snapshots and growth, and `pegboard leaks URL`."""

from __future__ import annotations

import pegboard
from pegboard.cli import main

from .conftest import PLUGINS, routes

_LEAKED: list[object] = []


class LeakyRecord:
    """What the leaking handler keeps forever: one per request."""

    def __init__(self, n: int) -> None:
        self.n = n


def _app(make_app) -> pegboard.App:
    app = make_app(
        {"/": {"tools.stats.on": True}, "/stats": {"tools.stats_page.on": True}},
        plugins=PLUGINS,
        discover=False,
    )
    routes(app)

    @app.route("/leak")
    def leak(req, resp):
        _LEAKED.append(LeakyRecord(len(_LEAKED)))
        return "kept one more"

    return app


def test_the_gc_page_shows_generations_and_types(make_app, make_client):
    client = make_client(_app(make_app))
    data = client.get("/stats/gc/data").json()
    assert [g["Generation"] for g in data["generations"]] == [0, 1, 2]
    assert data["objects"] > 1000 and data["snapshot"] is None
    assert {"Type", "Count", "Growth"} <= set(data["types"][0])
    assert len(data["types"]) == 40  # gc_top
    page = client.get("/stats/gc")
    assert page.status == 200 and "Take a snapshot" in page.text and "Objects by type" in page.text


def test_a_snapshot_then_requests_show_what_grew(make_app, make_client):
    client = make_client(_app(make_app))
    same = {"Sec-Fetch-Site": "same-origin"}
    taken = client.post("/stats/gc/snapshot", headers=same)
    assert taken.status == 303 and taken.headers["Location"].endswith("/stats/gc")
    for _ in range(300):
        client.get("/leak")
    data = client.get("/stats/gc/data").json()
    grown = {row["Type"]: row["Growth"] for row in data["growth"]}
    name = f"{__name__}.LeakyRecord"
    assert grown[name] == 300
    assert data["growth"][0]["Type"] == name  # the most grown first
    assert "Growth since the snapshot" in client.get("/stats/gc").text


def test_a_snapshot_needs_a_same_origin_post(make_app, make_client):
    client = make_client(_app(make_app))
    assert client.post("/stats/gc/snapshot").status == 403
    assert client.get("/stats/gc/snapshot").status == 405


def test_pegboard_leaks_finds_a_leaking_url(make_app, live_server, capsys):
    server = live_server(_app(make_app))
    code = main(["leaks", f"{server.url}/leak", "-n", "200", "--warmup", "5"])
    output = capsys.readouterr().out
    assert code == 1, output
    line = next(line for line in output.splitlines() if "LeakyRecord" in line)
    assert "suspect" in line and " 200 " in line


def test_pegboard_leaks_passes_a_clean_url(make_app, live_server, capsys):
    server = live_server(_app(make_app))
    code = main(["leaks", f"{server.url}/hello/x", "-n", "200"])
    output = capsys.readouterr().out
    assert code == 0, output
    assert "no leak found" in output or "no type has more objects" in output


def test_pegboard_leaks_says_what_is_wrong(make_app, live_server, capsys):
    server = live_server(_app(make_app))
    assert main(["leaks", f"{server.url}/hello/x", "--stats", f"{server.url}/nope"]) == 2
    assert "answered 404" in capsys.readouterr().err
    assert main(["leaks", "ftp://example.com/x"]) == 2
    assert "not an http://" in capsys.readouterr().err
