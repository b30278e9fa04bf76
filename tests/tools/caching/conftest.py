"""Fixtures for the caching tests: a store per backend, a counting handler.

The apps here register pegboard_caching from code and discover nothing else,
so a half-written tool package elsewhere in the environment cannot change
what these tests see (test_discovery.py checks the entry point separately).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

import pegboard_caching

BACKENDS = ["memory", "redis", "memcached"]


def _store_options(name: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {
        "tools.caching.on": True,
        "tools.caching.backend": name,
        "tools.caching.key_prefix": f"test-{uuid.uuid4().hex[:10]}:",
    }
    if name == "redis":
        options["tools.caching.url"] = request.getfixturevalue("redis_server").url
    elif name == "memcached":
        options["tools.caching.servers"] = [request.getfixturevalue("memcached_server").url]
    return options


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> dict[str, Any]:
    """``tools.caching.*`` switched on with each backend in turn (real servers), own key prefix."""
    return _store_options(request.param, request)


@pytest.fixture
def memory_store(request: pytest.FixtureRequest) -> dict[str, Any]:
    """``tools.caching.*`` on the memory backend, for rules that do not depend on the store."""
    return _store_options("memory", request)


@pytest.fixture
def store_for(request: pytest.FixtureRequest) -> Callable[[str], dict[str, Any]]:
    """``store_for("redis")``: the options of one named backend."""
    return lambda name: _store_options(name, request)


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """pegboard's ``make_app`` with only pegboard_caching registered."""

    def factory(config: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("plugins", [pegboard_caching])
        kwargs.setdefault("discover", False)
        return make_app(config, **kwargs)

    return factory


class Counter:
    """A handler that counts its calls and answers ``"<body> <call number>"``."""

    def __init__(self, body: str = "call", delay: float = 0.0) -> None:
        self.calls = 0
        self.body = body
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, req: Any, resp: Any, **params: Any) -> str:
        with self._lock:
            self.calls += 1
            number = self.calls
        if self.delay:
            time.sleep(self.delay)
        return f"{self.body} {number}"


@pytest.fixture
def counter() -> Callable[..., Counter]:
    """``counter(body="call", delay=0)``: a new counting handler."""
    return Counter
