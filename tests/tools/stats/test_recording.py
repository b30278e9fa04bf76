"""What tools.stats records: per route template, method and status class, as a client sees it."""

from __future__ import annotations

import time

import pytest

import pegboard
from pegboard_stats import NS_REQUESTS, NS_TOOLS, StatsOptions, hub_of


def _requests(client):
    return client.get("/stats/data").json()[NS_REQUESTS]


def test_requests_are_counted_per_route_template_method_and_status_class(stats_app, make_client):
    client = make_client(stats_app())
    for name in ("a", "b", "c"):
        assert client.get(f"/hello/{name}").status == 200
    client.request("HEAD", "/hello/d")
    client.get("/teapot")
    client.get("/nowhere")
    routes = _requests(client)["Routes"]
    hello = routes["GET /hello/{name} 2xx"]
    assert hello["Requests"] == 3  # one series for every name: the template, not the URL
    assert hello["Bytes Written"] == len(b"Hello, a!") * 3
    assert routes["HEAD /hello/{name} 2xx"]["Bytes Written"] == 0  # HEAD sends no body
    assert routes["GET /teapot 4xx"]["Requests"] == 1
    assert routes["GET (no route) 4xx"]["Requests"] == 1  # a 404 gets a fixed label


def test_an_unexpected_exception_is_an_error_and_a_chosen_status_is_not(stats_app, make_client):
    client = make_client(stats_app())
    assert client.get("/boom").status == 500
    client.get("/teapot")
    data = _requests(client)
    assert data["Routes"]["GET /boom 5xx"]["Errors"] == 1
    assert data["Routes"]["GET /teapot 4xx"]["Errors"] == 0
    assert data["Total Errors"] == 1


def test_bytes_read_and_a_streamed_body_counted_when_it_ends(stats_app, make_client):
    client = make_client(stats_app())
    assert client.post("/upload", body=b"x" * 1234).text == "1234 bytes"
    assert client.get("/stream").body == b"abcdefgh"
    routes = _requests(client)["Routes"]
    assert routes["POST /upload 2xx"]["Bytes Read"] == 1234
    assert routes["GET /stream 2xx"]["Bytes Written"] == 8


def test_methods_a_client_invents_share_one_label(stats_app, make_client):
    client = make_client(stats_app(), validate=False)  # wsgiref.validate warns about them
    for method in ("FOO", "BAR", "BAZ"):
        client.request(method, "/hello/x")
    routes = _requests(client)["Routes"]
    assert routes["other /hello/{name} 2xx"]["Requests"] == 3  # a function answers any method
    assert not any(key.startswith(("FOO", "BAR")) for key in routes)


def test_the_latency_histogram_and_quantiles(stats_app, make_client):
    app = stats_app(stats={"buckets": [0.05, 10.0]})

    @app.route("/slow")
    def slow(req, resp):
        time.sleep(0.06)
        return "done"

    client = make_client(app)
    client.get("/slow")
    client.get("/hello/x")
    data = _requests(client)
    assert data["Latency Buckets"] == [0.05, 10.0]
    assert data["Latency Histogram"][1] >= 1  # the slow one, in (0.05, 10]
    slow_row = data["Routes"]["GET /slow 2xx"]
    assert 0.05 <= slow_row["Avg"] < 10
    assert 0.05 < slow_row["p50"] <= 10.0


def test_slow_requests_keep_the_newest_over_the_threshold(stats_app, make_client):
    app = stats_app(stats={"slow_threshold": 0.02, "slow_count": 2})

    @app.route("/nap/{n:int}")
    def nap(req, resp, n):
        time.sleep(0.03)
        return str(n)

    client = make_client(app)
    for n in range(3):
        client.get(f"/nap/{n}?q=1")
    client.get("/hello/fast")
    slow = _requests(client)["Slow Requests"]
    assert [r["Request-Line"] for r in slow] == ["GET /nap/2?q=1", "GET /nap/1?q=1"]
    assert slow[0]["Route"] == "/nap/{n:int}" and slow[0]["Processing Time"] >= 0.02


def test_requests_in_flight_are_seen_while_they_run(stats_app, make_client):
    app = stats_app()
    seen = {}

    @app.route("/look")
    def look(req, resp):
        seen.update(_requests(make_client(app))["Requests In Flight"])
        return "ok"

    make_client(app).get("/look")
    assert seen["GET /look"]["In Flight"] == 1
    assert "GET /look" not in _requests(make_client(app))["Requests In Flight"]


def test_each_tools_hook_time_is_sampled(stats_app, make_client):
    app = stats_app(
        stats={"hook_sample": 2},
        extra={"/": {"tools.response_time.on": True, "tools.request_id.on": True}},
    )
    client = make_client(app)
    for _ in range(6):
        assert "X-Response-Time" in client.get("/hello/x").headers
    tools = client.get("/stats/data").json()[NS_TOOLS]
    hooks = {
        row["Tool"]: row
        for key, row in tools["Hook Time"].items()
        if row["Route"] == "/hello/{name}"
    }
    # request_id and response_time both start at on_start_resource: one figure for both there;
    # their before_finalize hooks are timed one by one.
    assert set(hooks) >= {"request_id", "response_time"}
    assert hooks["response_time"]["Sampled Requests"] == 3
    assert hooks["response_time"]["Hook Calls"] >= 3
    assert hooks["response_time"]["Time/Request"] > 0


def test_hook_sample_zero_times_nothing(stats_app, make_client):
    app = stats_app(stats={"hook_sample": 0}, extra={"/": {"tools.response_time.on": True}})
    client = make_client(app)
    for _ in range(5):
        client.get("/hello/x")
    assert client.get("/stats/data").json()[NS_TOOLS]["Hook Time"] == {}


def test_the_timed_plan_keeps_every_setting_of_the_plan(stats_app):
    """Sampled requests run a copy of their plan: it must not lose a setting."""
    from pegboard_stats.recorder import timed_plan

    app = stats_app(extra={"/": {"request.max_body_size": 99, "response.headers": {"X-A": "1"}}})
    app.compile()
    for plan in app.plans():
        copy = timed_plan(plan)
        for name in pegboard.Plan.__slots__:
            if name in ("hooks", "hook_wrappers", "runners", "_failsafe", *pegboard.HOOKPOINTS):
                continue
            assert getattr(copy, name) == getattr(plan, name), name
        assert dict(copy.hooks) == dict(plan.hooks)


def test_pause_stops_recording_and_resume_starts_it_again(stats_app, make_client):
    client = make_client(stats_app())
    client.get("/hello/x")
    same = {"Sec-Fetch-Site": "same-origin"}
    paused = client.post("/stats/pause", data={"namespace": NS_REQUESTS}, headers=same)
    assert paused.status == 303 and paused.headers["Location"].endswith("/stats")
    client.get("/hello/x")
    data = _requests(client)
    assert data["Enabled"] is False
    assert data["Routes"]["GET /hello/{name} 2xx"]["Requests"] == 1
    client.post("/stats/resume", data={"namespace": NS_REQUESTS}, headers=same)
    client.get("/hello/x")
    assert _requests(client)["Routes"]["GET /hello/{name} 2xx"]["Requests"] == 2


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),  # no Origin, no Sec-Fetch-Site
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "http://localhost"}, 303),
        ({"Sec-Fetch-Site": "same-origin"}, 303),
    ],
)
def test_pausing_refuses_a_cross_site_post(stats_app, make_client, headers, status):
    client = make_client(stats_app())
    result = client.post("/stats/pause", data={"namespace": NS_REQUESTS}, headers=headers)
    assert result.status == status
    assert _requests(client)["Enabled"] is (status != 303)


def test_pausing_needs_post_and_a_known_namespace(stats_app, make_client):
    client = make_client(stats_app())
    same = {"Sec-Fetch-Site": "same-origin"}
    result = client.get("/stats/pause")
    assert result.status == 405 and result.headers["Allow"] == "POST"
    assert client.post("/stats/pause", data={}, headers=same).status == 400
    assert client.post("/stats/pause", data={"namespace": "nope"}, headers=same).status == 404


def test_app_wide_options_must_agree_between_sections(make_app):
    import pegboard_stats

    app = make_app(
        {"/": {"tools.stats.on": True}, "/api": {"tools.stats.buckets": [0.1, 1.0]}},
        plugins=[pegboard_stats],
        discover=False,
    )
    app.route("/api/x", lambda req, resp: "x")
    with pytest.raises(pegboard.ConfigError) as caught:
        app.compile()
    assert "tools.stats.buckets" in str(caught.value)
    assert "whole app" in str(caught.value)


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"buckets": (1.0, 0.5)}, "buckets"),
        ({"buckets": ()}, "buckets"),
        ({"buckets": (0.0, 1.0)}, "buckets"),
        ({"slow_threshold": -1.0}, "slow_threshold"),
        ({"hook_sample": -1}, "hook_sample"),
        ({"flush_interval": 0.0}, "flush_interval"),
    ],
)
def test_options_refuse_values_that_cannot_work(options, key):
    with pytest.raises(pegboard.OptionError) as caught:
        StatsOptions(**options)
    assert caught.value.key == key


def test_hub_of_is_none_where_stats_is_off(make_app):
    import pegboard_stats

    app = make_app(
        {"/stats": {"tools.stats_page.on": True}}, plugins=[pegboard_stats], discover=False
    )
    app.compile()
    assert hub_of(app) is None


@pytest.mark.parametrize("name", ["stats", "stats_page", "stats_metrics"])
def test_declared_hooks_are_exactly_the_attached_ones(stats_app, name):
    app = stats_app()
    app.compile()
    tool = app.tools.get(name)
    attached = {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == name
    }
    assert attached == {(h.point, h.priority) for h in tool.hooks if not h.per_request}


def test_a_sampled_request_files_its_times_in_the_declared_per_request_hook(stats_app, make_client):
    app = stats_app(stats={"hook_sample": 1})
    seen = []

    @app.route("/plan")
    def plan(req, resp):
        seen.extend(hook.priority for hook in req.plan.hooks["on_end_request"])
        return "ok"

    make_client(app).get("/plan")
    declared = next(h for h in app.tools.get("stats").hooks if h.per_request)
    assert seen == [declared.priority]
