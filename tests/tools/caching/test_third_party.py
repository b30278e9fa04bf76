"""Backends from other packages, through the ``pegboard_caching_backends`` hook."""

from __future__ import annotations

import threading

import pytest

import pegboard
import pegboard_caching
from pegboard import ConfigError
from pegboard_caching import BackendSettings, BytesBackend


class DictBackend(BytesBackend):
    """A third party's store: bytes in a dict, shared by its instances through ``SHARED``."""

    SHARED: dict[str, dict[str, bytes]] = {}

    def __init__(self, settings: BackendSettings) -> None:
        super().__init__(settings)
        self.opened = self.closed = False
        self._guard = threading.Lock()

    def open(self) -> None:
        self.opened = True
        self.data = self.SHARED.setdefault(self.settings.url or "default", {})

    def close(self) -> None:
        self.closed = True

    def get_bytes(self, key):
        return self.data.get(key)

    def put_bytes(self, key, value, ttl):
        self.data[key] = value

    def delete(self, keys):
        for key in keys:
            self.data.pop(key, None)

    def scan(self, prefix):
        return [k for k in self.data if k.startswith(prefix)]

    def index_add(self, index, member, ttl):
        members = set(self.data.get(index, b"").decode().split())
        self.data[index] = " ".join(members | {member}).encode()

    def index_pop(self, index):
        return set(self.data.pop(index, b"").decode().split())


class DictPlugin:
    made: list[DictBackend] = []

    @pegboard.hookimpl
    def pegboard_caching_backends(self):
        def factory(settings):
            backend = DictBackend(settings)
            self.made.append(backend)
            return backend

        return {"dict": factory}


def test_a_third_party_backend_is_selected_by_name(make_app, make_client, counter):
    plugin = DictPlugin()
    app = make_app(
        {
            "/": {
                "tools.caching.on": True,
                "tools.caching.backend": "dict",
                "tools.caching.url": "mem://one",
            }
        },
        plugins=[pegboard_caching, plugin],
    )
    handler = counter("page")
    app.route("/page", handler)
    app.start()
    (backend,) = plugin.made
    assert backend.opened and not backend.closed
    client = make_client(app)
    client.get("/page")
    hit = client.get("/page")
    assert hit.text == "page 1"
    assert hit.headers["Cache-Status"].startswith("pegboard; hit")
    assert any(k.endswith("/page http://localhost") for k in DictBackend.SHARED["mem://one"])
    assert DictBackend.SHARED["mem://one"]  # the records went through encode(): bytes, no pickle
    assert all(isinstance(v, bytes) for v in DictBackend.SHARED["mem://one"].values())
    assert pegboard_caching.purge_prefix(app, "/page") == 1
    app.stop()
    assert backend.closed


def test_an_unknown_backend_is_a_config_error_at_start(make_app):
    app = make_app({"/": {"tools.caching.on": True, "tools.caching.backend": "memcache"}})
    with pytest.raises(ConfigError) as info:
        app.start()
    message = str(info.value)
    assert "[/] tools.caching.backend" in message
    assert "unknown cache backend 'memcache'" in message
    assert "did you mean 'memcached'?" in message
    assert "installed: memcached, memory, redis" in message


def test_two_plugins_naming_the_same_backend_is_an_error(make_app):
    class Other:
        @pegboard.hookimpl
        def pegboard_caching_backends(self):
            return {"redis": DictBackend}

    app = make_app({"/": {"tools.caching.on": True}}, plugins=[pegboard_caching, Other()])
    with pytest.raises(ConfigError, match="two plugins provide the cache backend 'redis'"):
        app.start()


def test_a_factory_must_make_a_cache_backend(make_app):
    class Broken:
        @pegboard.hookimpl
        def pegboard_caching_backends(self):
            return {"broken": lambda settings: object()}

    app = make_app(
        {"/": {"tools.caching.on": True, "tools.caching.backend": "broken"}},
        plugins=[pegboard_caching, Broken()],
    )
    with pytest.raises(ConfigError, match="not a CacheBackend"):
        app.start()
