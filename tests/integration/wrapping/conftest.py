"""Fixtures: the same site as a Flask, Django or Falcon app, wrapped by pegboard with a config."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.validate import validator

import pytest

import pegboard

from .apps import DJANGO_COUNTERS, Counters, configure_django, django_app, falcon_app, flask_app

BUILDERS: dict[str, Callable[[Counters], Any]] = {
    "flask": flask_app,
    "django": django_app,
    "falcon": falcon_app,
}
#: the demo credentials the auth_basic config below accepts
ALICE = ("alice", "alice-test-password")
BOB = ("bob", "bob-test-password")
_prefixes = itertools.count()


@pytest.fixture(scope="session")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    configure_django(tmp_path_factory.mktemp("django") / "db.sqlite3")


def tool_config(
    tools: frozenset[str] | set[str], store: str = "ram", redis_url: str | None = None
) -> dict[str, Any]:
    """The "/" section that turns ``tools`` on (sessions on ``store``)."""
    section: dict[str, Any] = {f"tools.{tool}.on": True for tool in tools}
    if "sessions" in tools and store == "redis":
        assert redis_url is not None
        section["tools.sessions.storage_type"] = "redis"
        section["tools.sessions.url"] = redis_url
        section["tools.sessions.key_prefix"] = f"wrap-test-{next(_prefixes)}:"
    if "auth_basic" in tools:
        section["tools.auth_basic.realm"] = "wrapped"
        section["tools.auth_basic.users"] = dict([ALICE, BOB])
    if "etags" in tools:
        section["tools.etags.autotags"] = True
    return section


@pytest.fixture
def wrap_site(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., tuple[pegboard.App, Counters]]]:
    """``wrap_site(framework, config)``: the framework's site wrapped by pegboard, and its counters.

    The foreign app is itself wrapped in ``wsgiref.validate``, so what pegboard
    hands it is checked as the test client checks what pegboard sends.
    """
    apps: list[pegboard.App] = []

    def factory(framework: str, config: Any = None) -> tuple[pegboard.App, Counters]:
        if framework == "django":
            request.getfixturevalue("django_ready")
            counters = DJANGO_COUNTERS
            counters.reset()
        else:
            counters = Counters()
        app = pegboard.wrap(validator(BUILDERS[framework](counters)), config)
        apps.append(app)
        return app, counters

    yield factory
    for app in apps:
        app.stop()
