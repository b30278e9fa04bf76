"""Each session store reports its health to the app (shown by the stats pages): up, or down and why."""

from __future__ import annotations

from pegboard.testing.backends import start_redis


def test_a_store_reports_down_while_it_is_down_and_up_again_after(tmp_path, make_app, make_client):
    server = start_redis(tmp_path / "redis")
    try:
        app = make_app(
            {
                "/": {
                    "tools.sessions.on": True,
                    "tools.sessions.storage_type": "redis",
                    "tools.sessions.url": server.url,
                    "tools.sessions.backend_timeout": 0.5,
                }
            }
        )

        @app.route("/count")
        def count(req, resp):
            req.session["n"] = req.session.get("n", 0) + 1
            return str(req.session["n"])

        client = make_client(app)
        assert client.get("/count").text == "1"
        (health,) = app.health()
        assert health.name == f"sessions redis {server.url}"
        assert health.up
        server.kill()
        assert client.get("/count").status == 503
        (health,) = app.health()
        assert not health.up and health.since is not None
        assert "Error" in health.detail or "refused" in health.detail.lower()
        server.restart()
        assert client.get("/count").status == 200
        (health,) = app.health()
        assert health.up
        app.stop()
        assert app.health() == []
    finally:
        server.stop()


def test_a_password_in_the_store_url_is_not_shown(make_app):
    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.sessions.storage_type": "redis",
                "tools.sessions.url": "redis://user:s3cret@127.0.0.1:1/0",
            }
        }
    )
    app.start()
    (health,) = app.health()
    assert "s3cret" not in health.name and "user:***@" in health.name
