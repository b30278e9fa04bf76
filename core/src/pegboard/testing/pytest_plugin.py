"""pytest plugin (entry point ``pytest11``): fixtures for every pegboard tool author.

- ``make_app(config=None, **kwargs)`` builds an App and stops it after the test;
- ``make_client(app, **kwargs)`` wraps it in a validating ``Client``;
- ``live_server(app)`` serves it over a real socket and returns the server (``.url``);
- ``redis_server``, ``memcached_server``, ``postgresql_server``: real servers
  started from their binaries (a failure in CI when missing, a skip elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pegboard.app import App
from pegboard.testing.backend_fixtures import memcached_server, postgresql_server, redis_server
from pegboard.testing.client import Client
from pegboard.testing.live import LiveServer

__all__ = [
    "live_server",
    "make_app",
    "make_client",
    "memcached_server",
    "postgresql_server",
    "redis_server",
]


@pytest.fixture
def make_app() -> Iterator[Callable[..., App]]:
    """Factory for apps that are stopped when the test ends."""
    apps: list[App] = []

    def factory(config: Any = None, **kwargs: Any) -> App:
        app = App(config, **kwargs)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.stop()


@pytest.fixture
def make_client() -> Callable[..., Client]:
    """Factory: ``make_client(app)`` gives a cookie-keeping, validating client."""

    def factory(app: Any, **kwargs: Any) -> Client:
        return Client(app, **kwargs)

    return factory


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    """Factory: ``live_server(app)`` serves ``app`` on a free port until the test ends."""
    servers: list[LiveServer] = []

    def factory(app: Any, **kwargs: Any) -> LiveServer:
        server = LiveServer(app, **kwargs).start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()
