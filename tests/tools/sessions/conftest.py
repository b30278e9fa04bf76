"""Shared set-up for the sessions tests: one parametrised fixture per backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import pegboard

ALL_BACKENDS = ["ram", "file", "redis", "memcached", "postgresql"]
#: Backends whose store is shared between processes.
SHARED_BACKENDS = ["file", "redis", "memcached", "postgresql"]


@dataclass
class Backend:
    """A storage backend ready for a test: its name and its ``tools.sessions`` options."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def config(self, section: str = "/", **extra: Any) -> dict[str, Any]:
        """An app config with sessions on in ``section`` for this backend."""
        options = {**self.options, **extra}
        tools = {f"tools.sessions.{key}": value for key, value in options.items()}
        return {section: {"tools.sessions.on": True, **tools}}


def backend_options(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Options for ``name``, starting its server only if the test needs it; unique keys."""
    unique = uuid.uuid4().hex[:12]
    if name == "ram":
        return {"storage_type": "ram"}
    if name == "file":
        return {"storage_type": "file", "storage_path": str(tmp_path / "sessions")}
    if name == "redis":
        server = request.getfixturevalue("redis_server")
        return {"storage_type": "redis", "url": server.url, "key_prefix": f"t{unique}:"}
    if name == "memcached":
        server = request.getfixturevalue("memcached_server")
        return {"storage_type": "memcached", "servers": [server.url], "key_prefix": f"t{unique}:"}
    if name == "postgresql":
        server = request.getfixturevalue("postgresql_server")
        return {"storage_type": "postgresql", "dsn": server.url, "table": f"sessions_{unique}"}
    raise AssertionError(name)


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Every backend in turn (the same test runs against all five)."""
    return Backend(request.param, backend_options(request.param, request, tmp_path))


@pytest.fixture(params=SHARED_BACKENDS)
def shared_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """The backends whose sessions and locks are shared between processes."""
    return Backend(request.param, backend_options(request.param, request, tmp_path))


def add_counter_routes(app: pegboard.App) -> pegboard.App:
    """Routes ``/start`` (n = 0), ``/incr`` (n + 1), ``/read`` and ``/noop`` (no session)."""

    @app.route("/start")
    def start(req: Any, resp: Any) -> str:
        req.session["n"] = 0
        return "0"

    @app.route("/incr")
    def incr(req: Any, resp: Any) -> str:
        n = req.session.get("n", 0) + 1
        req.session["n"] = n
        return str(n)

    @app.route("/read")
    def read(req: Any, resp: Any) -> str:
        return str(req.session.get("n"))

    @app.route("/noop")
    def noop(req: Any, resp: Any) -> str:
        return "ok"

    return app


@pytest.fixture
def counter_app(make_app: Callable[..., pegboard.App]) -> Callable[..., pegboard.App]:
    """``counter_app(backend, **options)``: an app with the counter routes on ``backend``
    (a :class:`Backend`, or a dict of ``tools.sessions`` options)."""

    def factory(backend: Backend | dict[str, Any], **options: Any) -> pegboard.App:
        if isinstance(backend, dict):
            backend = Backend("custom", backend)
        return add_counter_routes(make_app(backend.config(**options)))

    return factory


def _set_cookie_value(result: Any, name: str = "session_id") -> str | None:
    for line in result.headers.get_all("Set-Cookie"):
        if line.startswith(name + "="):
            return str(line.split(";", 1)[0].split("=", 1)[1])
    return None


@pytest.fixture
def set_cookie() -> Callable[..., str | None]:
    """``set_cookie(result, name="session_id")``: the value a response sets, or None."""
    return _set_cookie_value


@pytest.fixture(scope="session")
def counting_proxy() -> type:
    """The ``CountingProxy`` class (``roundtrip_proxy.py`` beside this file, loaded by path)."""
    import importlib.util

    path = Path(__file__).with_name("roundtrip_proxy.py")
    spec = importlib.util.spec_from_file_location("sessions_roundtrip_proxy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    proxy: type = module.CountingProxy
    return proxy
