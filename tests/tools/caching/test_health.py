"""Each cache backend reports its health to the app: up, or stepped aside since when and why."""

from __future__ import annotations

import time

from pegboard.testing.backends import start_redis


def test_a_backend_reports_down_while_the_cache_steps_aside(tmp_path, make_app, make_client):
    server = start_redis(tmp_path / "redis")
    try:
        app = make_app(
            {
                "/": {
                    "tools.caching.on": True,
                    "tools.caching.backend": "redis",
                    "tools.caching.url": server.url,
                    "tools.caching.timeout": 0.3,
                    "tools.caching.retry_interval": 0.2,
                }
            }
        )
        app.route("/page", lambda req, resp: "page")
        client = make_client(app)
        assert client.get("/page").status == 200
        (health,) = app.health()
        assert health.name == f"caching redis {server.url}" and health.up
        server.kill()
        assert client.get("/page").text == "page"  # served uncached
        (health,) = app.health()
        assert not health.up and health.detail and health.since is not None
        server.restart()
        time.sleep(0.3)  # past retry_interval: the next request tries the store again
        assert client.get("/page").text == "page"
        (health,) = app.health()
        assert health.up
    finally:
        server.stop()
