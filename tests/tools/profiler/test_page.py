"""The profiles page: what it lists and serves, and who may see it."""

from __future__ import annotations

import marshal
import re

import httpx
import pytest

import pegboard_auth_basic
import pegboard_profiler
from pegboard.testing import Client

SECRET = "s3cret-trigger-token-0123"


def recognisable_handler_work() -> int:
    return sum(i * i for i in range(50_000))


def _app(make_app, folder, page=None, extra=None, plugins=(pegboard_profiler,), **options):
    config = {
        "tools.profiler.on": True,
        "tools.profiler.folder": str(folder),
        "tools.profiler.every": 1,
    }
    config.update({f"tools.profiler.{k}": v for k, v in options.items()})
    page_config = {"tools.profiler_page.on": True, "tools.profiler.on": False}
    page_config.update({f"tools.profiler_page.{k}": v for k, v in (page or {}).items()})
    app = make_app({"/": config, "/_profiler": page_config, **(extra or {})}, plugins=list(plugins))

    @app.route("/work")
    def work(req, resp):
        recognisable_handler_work()
        return "done"

    return app


def test_the_page_lists_call_trees_and_serves_them_sandboxed(make_app, make_client, tmp_path):
    client = make_client(_app(make_app, tmp_path, engine="pyinstrument"))
    client.get("/work?q=<script>")
    page = client.get("/_profiler")
    assert page.status == 200
    assert (
        page.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert page.headers["Cache-Control"] == "no-store"
    assert "/work" in page.text and "<script>" not in page.text
    [href] = re.findall(r'href="(/_profiler/[0-9-]+\.html)"', page.text)
    tree = client.get(href)
    assert tree.status == 200
    assert tree.headers["Content-Security-Policy"] == "sandbox allow-scripts"
    assert "recognisable_handler_work" in tree.text
    assert client.get("/_profiler/").status == 200


def test_the_aggregate_is_shown_and_downloadable_merged(make_app, make_client, tmp_path):
    client = make_client(_app(make_app, tmp_path, engine="cprofile"))
    for _ in range(2):
        client.get("/work")
    page = client.get("/_profiler")
    assert "recognisable_handler_work" in page.text
    download = client.get("/_profiler/aggregate.pstats")
    assert download.status == 200
    assert download.headers["Content-Type"] == "application/octet-stream"
    stats = marshal.loads(download.body)
    [calls] = [v[1] for k, v in stats.items() if k[2] == "recognisable_handler_work"]
    assert calls == 2


def test_nothing_profiled_yet_says_so(make_app, make_client, tmp_path):
    client = make_client(_app(make_app, tmp_path, every=0, secret=SECRET))
    page = client.get("/_profiler")
    assert "No request has been profiled with pyinstrument yet." in page.text
    assert "No request has been profiled with cProfile yet." in page.text
    assert client.get("/_profiler/aggregate.pstats").status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/_profiler/00000000000000000001-1-1.html",
        "/_profiler/..%2F..%2Fetc%2Fpasswd.html",
        "/_profiler/../../etc/passwd.html",
        "/_profiler/aggregate-1.pstats",
        "/_profiler/anything",
    ],
)
def test_unknown_or_crafted_names_are_404(make_app, make_client, tmp_path, path):
    client = make_client(_app(make_app, tmp_path))
    assert client.get(path).status == 404


def test_only_get_and_head(make_app, make_client, tmp_path):
    client = make_client(_app(make_app, tmp_path))
    result = client.post("/_profiler", data={"x": "1"})
    assert result.status == 405
    assert result.headers["Allow"] == "GET, HEAD"
    assert client.request("HEAD", "/_profiler").status == 200


def test_other_clients_get_403_saying_how_to_open_the_page(make_app, tmp_path):
    app = _app(make_app, tmp_path)
    remote = Client(app, remote_addr="203.0.113.5")
    result = remote.get("/_profiler")
    assert result.status == 403
    assert "tools.profiler_page.allow" in result.text
    # A loopback peer relaying for someone else (a proxy on this machine) is not local.
    relayed = Client(app).get("/_profiler", headers={"X-Forwarded-For": "203.0.113.5"})
    assert relayed.status == 403


def test_allow_names_networks_that_may_see_the_page(make_app, tmp_path):
    app = _app(make_app, tmp_path, page={"allow": ["203.0.113.0/24"]})
    assert Client(app, remote_addr="203.0.113.5").get("/_profiler").status == 200
    assert Client(app, remote_addr="198.51.100.1").get("/_profiler").status == 403


def test_an_auth_tool_on_the_page_path_decides_instead(make_app, tmp_path):
    app = _app(
        make_app,
        tmp_path,
        extra={
            "/_profiler": {
                "tools.profiler_page.on": True,
                "tools.profiler.on": False,
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "ops",
                "tools.auth_basic.users": {"ops": "letmein-please"},
            }
        },
        plugins=(pegboard_profiler, pegboard_auth_basic),
    )
    remote = Client(app, remote_addr="203.0.113.5")
    assert remote.get("/_profiler").status == 401
    auth = {"Authorization": "Basic b3BzOmxldG1laW4tcGxlYXNl"}
    assert remote.get("/_profiler", headers=auth).status == 200


def test_a_page_without_any_profiler_warns_at_start(make_app, caplog, tmp_path):
    app = make_app({"/_profiler": {"tools.profiler_page.on": True}})
    with caplog.at_level("WARNING", logger="pegboard.profiler"):
        app.start()
    assert "tools.profiler is on for no path" in caplog.text


def test_a_real_browser_like_client_triggers_with_the_cookie_and_reads_the_page(
    make_app, live_server, tmp_path
):
    server = live_server(_app(make_app, tmp_path, every=0, secret=SECRET))
    with httpx.Client(base_url=server.url, cookies={"pegboard_profile": SECRET}) as client:
        profiled = client.get("/work")
        profile_id = profiled.headers["X-Profile-Id"]
        page = client.get("/_profiler")
        assert f"/_profiler/{profile_id}.html" in page.text
        tree = client.get(f"/_profiler/{profile_id}.html")
    assert tree.status_code == 200
    assert "recognisable_handler_work" in tree.text
