"""Session-scoped pytest fixtures running real Redis, Memcached and PostgreSQL.

A missing server binary skips the test on a developer's machine and fails
it in CI (``CI`` set to a non-empty value), so CI can never go green by
silently skipping the backend tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from pegboard.testing.backends import (
    BackendServer,
    BackendUnavailable,
    start_memcached,
    start_postgresql,
    start_redis,
)

__all__ = ["memcached_server", "postgresql_server", "redis_server", "unavailable"]


def unavailable(reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere: something a test needs (a server, a browser) is missing.

    Use it for every such check, so that CI can never go green by skipping.
    """
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _serve(
    start: Callable[[Path], BackendServer],
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
) -> Iterator[BackendServer]:
    try:
        server = start(tmp_path_factory.mktemp(name))
    except BackendUnavailable as exc:
        unavailable(str(exc))
    with server:
        yield server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """A Redis server for the whole test session; ``url`` is ``redis://…/0``."""
    yield from _serve(start_redis, tmp_path_factory, "redis")


@pytest.fixture(scope="session")
def memcached_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BackendServer]:
    """A Memcached server for the whole test session; ``url`` is ``HOST:PORT``."""
    yield from _serve(start_memcached, tmp_path_factory, "memcached")


@pytest.fixture(scope="session")
def postgresql_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BackendServer]:
    """A PostgreSQL server for the whole session; ``url`` is a libpq URL."""
    yield from _serve(start_postgresql, tmp_path_factory, "postgresql")
