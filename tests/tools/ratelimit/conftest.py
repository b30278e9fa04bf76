"""Fixtures for the ratelimit tests: apps with only the tools they name, real Redis servers.

``own_redis`` is a Redis server of the test's own (stopped, frozen or
restarted by outage tests, its command statistics read by the round-trip
tests) rather than the session's shared ``redis_server``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import pegboard_ratelimit
from pegboard.testing.backend_fixtures import unavailable
from pegboard.testing.backends import BackendServer, BackendUnavailable, start_redis


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """pegboard's ``make_app`` with pegboard_ratelimit registered and nothing else discovered."""

    def factory(config: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("plugins", [pegboard_ratelimit])
        kwargs.setdefault("discover", False)
        return make_app(config, **kwargs)

    return factory


@pytest.fixture
def prefix() -> str:
    """A Redis key prefix of the test's own, so runs never share counters."""
    return f"test-{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def own_redis(tmp_path: Any) -> Iterator[BackendServer]:
    """A throw-away Redis server for this test alone."""
    try:
        server = start_redis(tmp_path / "redis")
    except BackendUnavailable as exc:
        unavailable(str(exc))
    with server:
        yield server


def redis_options(url: str, prefix: str, **more: Any) -> dict[str, Any]:
    """``tools.ratelimit.*`` on the redis storage at ``url``."""
    options = {
        "tools.ratelimit.storage": "redis",
        "tools.ratelimit.url": url,
        "tools.ratelimit.key_prefix": prefix,
    }
    options.update({f"tools.ratelimit.{k}": v for k, v in more.items()})
    return options


@pytest.fixture
def keyfuncs(monkeypatch: pytest.MonkeyPatch) -> str:
    """Puts ``ratelimit_keyfuncs`` on sys.path; returns its module name for import strings."""
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    return "ratelimit_keyfuncs"
