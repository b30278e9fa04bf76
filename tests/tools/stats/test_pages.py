"""The page, the JSON feed and the Prometheus text: what they show, and to whom."""

from __future__ import annotations

import base64
import logging
import time
from html.parser import HTMLParser

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from prometheus_client.parser import text_string_to_metric_families

import pegboard
from pegboard_stats import NS_GC, NS_HEALTH, NS_REQUESTS, NS_TOOLS


def _metrics(text: str) -> dict[str, list]:
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def _value(samples, name, **labels):
    found = [
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


# -- the JSON feed: CherryPy's logging.statistics shape ------------------------------------


def test_the_json_has_a_namespace_per_source_in_cherrypys_shape(stats_app, make_client):
    client = make_client(stats_app())
    client.get("/hello/x")
    result = client.get("/stats/data")
    assert result.status == 200 and result.headers["Content-Type"] == "application/json"
    assert result.headers["Cache-Control"] == "no-store"
    data = result.json()
    assert {NS_REQUESTS, NS_TOOLS, NS_HEALTH, NS_GC} <= set(data)
    requests = data[NS_REQUESTS]
    # cpstats' scalar names, with what they meant there
    for key in (
        "Enabled",
        "Start Time",
        "Current Time",
        "Uptime",
        "Current Requests",
        "Total Requests",
        "Total Bytes Read",
        "Total Bytes Written",
        "Total Time",
        "Requests/Second",
        "Bytes Read/Request",
        "Bytes Written/Request",
    ):
        assert key in requests, key
    assert requests["Total Requests"] >= 1
    # collections: a dict of records and a list of records
    assert isinstance(requests["Routes"], dict) and isinstance(requests["Slow Requests"], list)
    gc_namespace = data[NS_GC]
    assert set(gc_namespace["Generations"]) == {"0", "1", "2"}
    assert gc_namespace["Generations"]["0"]["Collections"] >= 0


def test_a_third_party_namespace_appears_with_its_callables_extrapolated(stats_app, make_client):
    client = make_client(stats_app())
    started = time.time() - 10
    logging.statistics["My Library"] = {
        "Enabled": True,
        "Start Time": started,
        "Events": 40,
        "Events/Second": lambda s: s["Events"] / (time.time() - s["Start Time"]),
        "Broken": lambda s: 1 / 0,
        "Tables": {"widgets": {"Rows": 3, "Double": lambda s: s["Rows"] * 2}},
        "Slow Queries": [{"Query": "SELECT <b>1</b>", "Processing Time": 2.5}],
    }
    data = client.get("/stats/data").json()["My Library"]
    assert 3 < data["Events/Second"] <= 4  # called at report time with its namespace
    assert data["Broken"].startswith("error: ZeroDivisionError")  # the report survives
    assert data["Tables"]["widgets"] == {"Rows": 3, "Double": 6}
    assert data["Slow Queries"][0]["Query"] == "SELECT <b>1</b>"
    page = client.get("/stats").text
    assert "<h2>My Library" in page
    assert "SELECT &lt;b&gt;1&lt;/b&gt;" in page and "<b>1</b>" not in page  # escaped


def test_a_third_party_namespace_is_paused_and_resumed(stats_app, make_client):
    logging.statistics["My Library"] = {"Enabled": True, "Events": 0}
    client = make_client(stats_app())
    same = {"Sec-Fetch-Site": "same-origin"}
    client.post("/stats/pause", data={"namespace": "My Library"}, headers=same)
    assert logging.statistics["My Library"]["Enabled"] is False
    assert client.get("/stats/data").json()["My Library"]["Enabled"] is False
    client.post("/stats/resume", data={"namespace": "My Library"}, headers=same)
    assert logging.statistics["My Library"]["Enabled"] is True


def test_backend_health_from_the_apps_probes(stats_app, make_client):
    app = stats_app()
    app.start()
    app.add_health_probe(
        "sessions redis", lambda: pegboard.Health("sessions redis", True, "redis://x")
    )
    app.add_health_probe(
        "cache memcached",
        lambda: pegboard.Health("cache memcached", False, "connection refused", since=1.0),
    )

    def broken() -> pegboard.Health:
        raise OSError("probe exploded")

    app.add_health_probe("broken", broken)
    client = make_client(app)
    health = client.get("/stats/data").json()[NS_HEALTH]
    assert health["Backends Up"] == 1 and health["Backends Down"] == 2
    assert health["Backends"]["cache memcached"]["Detail"] == "connection refused"
    assert "probe exploded" in health["Backends"]["broken"]["Detail"]
    samples = _metrics(client.get("/metrics").text)["pegboard_backend_up"]
    assert _value(samples, "pegboard_backend_up", backend="sessions redis") == 1.0
    assert _value(samples, "pegboard_backend_up", backend="cache memcached") == 0.0


# -- the HTML page -------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.h2: list[str] = []
        self.links: list[str] = []
        self.forms: list[tuple[str, str]] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "h2":
            self._in_h2 = True
            self.h2.append("")
        if tag == "link" or tag == "script" or tag == "img":
            self.links.append(attributes.get("href") or attributes.get("src") or "")
        if tag == "form":
            self._in_h2 = False  # the pause button's label is not the namespace's name
            self.forms.append((attributes["method"], attributes["action"]))

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.h2[-1] += data


def test_the_page_has_a_table_per_namespace_a_chart_and_no_outside_asset(stats_app, make_client):
    client = make_client(stats_app())
    client.get("/hello/x")
    result = client.get("/stats")
    assert result.status == 200 and result.headers["Content-Type"] == "text/html; charset=utf-8"
    page = _Page()
    page.feed(result.text)
    assert [h.strip() for h in page.h2][:2] == [NS_HEALTH, NS_REQUESTS]
    assert NS_GC in page.h2 and NS_TOOLS in page.h2
    assert page.tags.count("table") >= 4
    assert "svg" in page.tags and "rect" in page.tags  # the latency chart, drawn on the server
    assert "script" not in page.tags and "style" not in page.tags
    assert page.links == ["/stats/stats.css"]  # the only asset, served beside the page
    assert ("post", "/stats/pause") in page.forms
    css = client.get("/stats/stats.css")
    assert css.status == 200 and css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert client.get("/stats/").status == 200
    assert client.get("/stats/other").status == 404  # only its own paths


def test_head_and_other_methods_on_the_page(stats_app, make_client):
    client = make_client(stats_app())
    assert client.request("HEAD", "/stats").body == b""
    result = client.request("PUT", "/stats/data")
    assert result.status == 405 and result.headers["Allow"] == "GET, HEAD"


def test_the_page_at_the_root_section(make_app, make_client):
    import pegboard_stats

    app = make_app(
        {"/": {"tools.stats.on": True, "tools.stats_page.on": True}},
        plugins=[pegboard_stats],
        discover=False,
    )
    client = make_client(app)
    assert "Statistics" in client.get("/").text
    assert NS_REQUESTS in client.get("/data").json()


def test_the_page_works_without_the_stats_tool(make_app, make_client):
    import pegboard_stats

    app = make_app(
        {"/stats": {"tools.stats_page.on": True}}, plugins=[pegboard_stats], discover=False
    )
    data = make_client(app).get("/stats/data").json()
    assert NS_REQUESTS not in data and NS_GC in data and NS_HEALTH in data


# -- Prometheus ------------------------------------------------------------------------------


def test_a_scrape_parses_and_counts_what_was_answered(stats_app, make_client):
    client = make_client(stats_app(stats={"buckets": [0.5, 5.0]}))
    for _ in range(3):
        client.get("/hello/x")
    client.post("/upload", body=b"12345")
    client.get("/boom")
    result = client.get("/metrics")
    assert result.status == 200
    assert result.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    metrics = _metrics(result.text)
    requests = metrics["pegboard_requests"]
    assert (
        _value(
            requests, "pegboard_requests_total", route="/hello/{name}", method="GET", status="2xx"
        )
        == 3
    )
    assert (
        _value(
            metrics["pegboard_request_errors"],
            "pegboard_request_errors_total",
            route="/boom",
            status="5xx",
        )
        == 1
    )
    assert (
        _value(
            metrics["pegboard_request_body_bytes"],
            "pegboard_request_body_bytes_total",
            route="/upload",
        )
        == 5
    )
    duration = metrics["pegboard_request_duration_seconds"]
    hello = {"route": "/hello/{name}", "method": "GET", "status": "2xx"}
    assert _value(duration, "pegboard_request_duration_seconds_count", **hello) == 3
    assert _value(duration, "pegboard_request_duration_seconds_bucket", le="+Inf", **hello) == 3
    assert _value(duration, "pegboard_request_duration_seconds_bucket", le="5.0", **hello) == 3
    assert "pegboard_python_gc_collections" in metrics


def test_openmetrics_when_the_scraper_asks_for_it(stats_app, make_client):
    client = make_client(stats_app(metrics={"prefix": "shop"}))
    client.get("/hello/x")
    accept = "application/openmetrics-text; version=1.0.0,text/plain;q=0.5"
    result = client.get("/metrics", headers={"Accept": accept})
    assert result.headers["Content-Type"].startswith("application/openmetrics-text")
    assert result.text.endswith("# EOF\n")
    families = {f.name: f for f in openmetrics(result.text)}
    assert families["shop_requests"].type == "counter"


# -- who may see them ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/stats", "/stats/data", "/stats/gc", "/metrics"])
def test_only_loopback_clients_see_the_pages_by_default(stats_app, make_client, path):
    app = stats_app()
    assert make_client(app).get(path).status == 200
    assert make_client(app, remote_addr="::1").get(path).status == 200
    refused = make_client(app, remote_addr="203.0.113.9").get(path)
    assert refused.status == 403
    assert "tools.stats" in refused.text and ".allow" in refused.text


def test_a_proxy_on_the_machine_does_not_make_its_clients_local(stats_app, make_client):
    client = make_client(stats_app())
    result = client.get("/stats", headers={"X-Forwarded-For": "203.0.113.9"})
    assert result.status == 403


def test_allowed_networks_see_the_pages(stats_app, make_client):
    app = stats_app(page={"allow": ["10.0.0.0/8"]}, metrics={"allow": ["192.0.2.7"]})
    assert make_client(app, remote_addr="10.1.2.3").get("/stats").status == 200
    assert make_client(app, remote_addr="11.1.2.3").get("/stats").status == 403
    assert make_client(app, remote_addr="192.0.2.7").get("/metrics").status == 200
    assert make_client(app, remote_addr="10.1.2.3").get("/metrics").status == 403


def test_an_auth_tool_on_the_path_decides_instead_of_the_loopback_rule(stats_app, make_client):
    auth = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "ops",
        "tools.auth_basic.users": {"ops": "secret"},
    }
    app = stats_app(extra={"/metrics": auth})
    outside = make_client(app, remote_addr="203.0.113.9")
    assert outside.get("/metrics").status == 401
    token = base64.b64encode(b"ops:secret").decode()
    result = outside.get("/metrics", headers={"Authorization": f"Basic {token}"})
    assert result.status == 200 and "pegboard_requests_total" in result.text
    assert outside.get("/stats").status == 403  # no auth tool there: loopback only


def test_a_bad_network_is_a_config_error(make_app):
    import pegboard_stats

    app = make_app(
        {"/stats": {"tools.stats_page.on": True, "tools.stats_page.allow": ["10.0.0.0/33"]}},
        plugins=[pegboard_stats],
        discover=False,
    )
    with pytest.raises(pegboard.ConfigError) as caught:
        app.compile()
    assert "tools.stats_page.allow" in str(caught.value)


def test_allow_beside_an_auth_tool_is_a_warning(stats_app):
    auth = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "ops",
        "tools.auth_basic.users": {"ops": "secret"},
    }
    app = stats_app(metrics={"allow": ["10.0.0.0/8"]}, extra={"/metrics": auth})
    lines = [warning.line() for warning in app.config_warnings]
    assert any("tools.stats_metrics.allow" in line and "auth_basic" in line for line in lines), (
        lines
    )
