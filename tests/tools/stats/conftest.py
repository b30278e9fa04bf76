"""Fixtures for the stats tests: an app with the three tools and a few routes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import pegboard
import pegboard_auth_basic
import pegboard_http
import pegboard_response_time
import pegboard_stats

PLUGINS = [pegboard_stats, pegboard_http, pegboard_response_time, pegboard_auth_basic]


def routes(app: pegboard.App) -> None:
    """The routes every stats test app has."""

    @app.route("/hello/{name}")
    def hello(req: pegboard.Request, resp: pegboard.Response, name: str) -> str:
        return f"Hello, {name}!"

    @app.route("/boom")
    def boom(req: pegboard.Request, resp: pegboard.Response) -> str:
        raise RuntimeError("boom")

    @app.route("/teapot")
    def teapot(req: pegboard.Request, resp: pegboard.Response) -> str:
        raise pegboard.HTTPError(418, "short and stout")

    @app.route("/upload", methods=["POST"])
    def upload(req: pegboard.Request, resp: pegboard.Response) -> str:
        return f"{len(req.body.bytes)} bytes"

    @app.route("/stream")
    def stream(req: pegboard.Request, resp: pegboard.Response) -> Iterator[bytes]:
        yield b"abc"
        yield b"defgh"


@pytest.fixture
def stats_app(make_app: Callable[..., pegboard.App]) -> Callable[..., pegboard.App]:
    """``stats_app(stats={...}, page={...}, extra={...})``: stats on "/", page at /stats,
    Prometheus at /metrics; the dicts add options (``tools.stats.<key>``...)."""

    def build(
        stats: dict[str, Any] | None = None,
        page: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> pegboard.App:
        root = {"tools.stats.on": True}
        root.update({f"tools.stats.{k}": v for k, v in (stats or {}).items()})
        config: dict[str, Any] = {
            "/": root,
            "/stats": {"tools.stats_page.on": True}
            | {f"tools.stats_page.{k}": v for k, v in (page or {}).items()},
            "/metrics": {"tools.stats_metrics.on": True}
            | {f"tools.stats_metrics.{k}": v for k, v in (metrics or {}).items()},
        }
        for section, keys in (extra or {}).items():
            config.setdefault(section, {}).update(keys)
        app = make_app(config, plugins=PLUGINS, discover=False)
        routes(app)
        return app

    return build


@pytest.fixture(autouse=True)
def _clean_statistics() -> Iterator[None]:
    """Each test starts with no third-party namespace in logging.statistics."""
    saved = getattr(logging, "statistics", None)
    logging.statistics = {}  # type: ignore[attr-defined]
    yield
    logging.statistics = saved if saved is not None else {}  # type: ignore[attr-defined]
