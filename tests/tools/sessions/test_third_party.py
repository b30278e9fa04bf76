"""A storage backend from another package, registered through this package's hookspec."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

import pegboard
from pegboard_sessions import LockTimeout, Storage, StorageConfig


class DictStorage(Storage):
    """A real (if simple) backend: records in a dict, counting every call it gets."""

    instances: list[DictStorage] = []

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        self.label = config.options["label"]
        self.records: dict[str, tuple[bytes, float]] = {}
        self.calls: Counter[str] = Counter()
        self.state = "created"
        DictStorage.instances.append(self)

    @classmethod
    def check_config(cls, config: StorageConfig) -> None:
        if "label" not in config.options:
            raise ValueError("storage_options needs a 'label' for the dict backend")

    def open(self) -> None:
        self.state = "open"

    def close(self) -> None:
        self.state = "closed"

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        self.calls["load"] += 1
        record = self.records.get(session_id)
        return record[0] if record and record[1] > time.time() else None

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        self.calls["save"] += 1
        self.records[session_id] = (payload, time.time() + ttl)

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        self.calls["touch"] += 1
        if session_id in self.records:
            self.records[session_id] = (self.records[session_id][0], time.time() + ttl)

    def delete(self, session_id: str, lock: Any = None) -> None:
        self.calls["delete"] += 1
        self.records.pop(session_id, None)


class CombinedDictStorage(DictStorage):
    """The same records, with the optional methods that do two things in one call."""

    def _record(self, session_id: str) -> bytes | None:
        record = self.records.get(session_id)
        return record[0] if record and record[1] > time.time() else None

    def lock_and_load(self, session_id: str, timeout: float, lease: float) -> Any:
        self.calls["lock_and_load"] += 1
        if not self.local_locks.acquire(session_id, timeout):
            raise LockTimeout(session_id, timeout)
        payload = self._record(session_id)
        if payload is None:
            return Storage.NOT_LOCKED, None  # nothing to protect under an id without a record
        return "locked", payload

    def save_and_unlock(self, session_id: str, payload: bytes, ttl: float, token: Any) -> None:
        self.calls["save_and_unlock"] += 1
        try:
            self.records[session_id] = (payload, time.time() + ttl)
        finally:
            self.local_locks.release(session_id)

    def touch_and_unlock(self, session_id: str, ttl: float, token: Any) -> None:
        self.calls["touch_and_unlock"] += 1
        try:
            if session_id in self.records:
                self.records[session_id] = (self.records[session_id][0], time.time() + ttl)
        finally:
            self.local_locks.release(session_id)

    def delete_and_unlock(self, session_id: str, token: Any) -> None:
        self.calls["delete_and_unlock"] += 1
        try:
            self.records.pop(session_id, None)
        finally:
            self.local_locks.release(session_id)

    def load_and_touch(self, session_id: str, ttl: float) -> tuple[bytes | None, bool]:
        self.calls["load_and_touch"] += 1
        payload = self._record(session_id)
        if payload is not None:
            self.records[session_id] = (payload, time.time() + ttl)
        return payload, True


class DictBackendPlugin:
    """What a third-party package's pegboard plugin would contain."""

    @pegboard.hookimpl
    def pegboard_sessions_storage_types(self) -> dict[str, type[Storage]]:
        return {"dict": DictStorage, "dict-combined": CombinedDictStorage}


class ClashingPlugin:
    @pegboard.hookimpl
    def pegboard_sessions_storage_types(self) -> dict[str, type[Storage]]:
        return {"dict": DictStorage}


CONFIG = {
    "/": {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "dict",
        "tools.sessions.storage_options": {"label": "mine"},
    }
}


def _dict_app(make_app: Any, config: dict[str, Any]) -> Any:
    DictStorage.instances.clear()
    app = make_app(config, plugins=[DictBackendPlugin()])

    @app.route("/noop")
    def noop(req: Any, resp: Any) -> str:
        return "ok"

    @app.route("/read")
    def read(req: Any, resp: Any) -> str:
        return str(req.session.get("n"))

    @app.route("/set/{value:int}")
    def set_value(req: Any, resp: Any, value: int) -> str:
        req.session["n"] = value
        return "ok"

    @app.route("/incr")
    def incr(req: Any, resp: Any) -> str:
        req.session["n"] = req.session.get("n", 0) + 1
        return str(req.session["n"])

    @app.route("/clear")
    def clear(req: Any, resp: Any) -> str:
        req.session.clear()
        return "cleared"

    return app


@pytest.fixture
def dict_app(make_app: Any) -> Any:
    return _dict_app(make_app, CONFIG)


def _combined_config(locking: str) -> dict[str, Any]:
    return {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "dict-combined",
            "tools.sessions.storage_options": {"label": "combined"},
            "tools.sessions.locking": locking,
        }
    }


def test_a_plugin_backend_serves_sessions_and_follows_the_app_lifecycle(dict_app, make_client):
    client = make_client(dict_app)
    assert [client.get("/incr").text for _ in range(3)] == ["1", "2", "3"]
    (storage,) = DictStorage.instances
    assert storage.label == "mine" and storage.state == "open"
    dict_app.stop()
    assert storage.state == "closed"


def test_lazy_and_write_only_when_changed(dict_app, make_client):
    client = make_client(dict_app)
    client.get("/noop")
    (storage,) = DictStorage.instances
    assert sum(storage.calls.values()) == 0  # never touched: no round trip at all
    client.get("/set/5")
    assert storage.calls == {"save": 1}  # a new session: nothing to load
    storage.calls.clear()
    assert client.get("/read").text == "5"
    assert storage.calls == {"load": 1, "touch": 1}  # read only: renewed, not rewritten
    storage.calls.clear()
    client.get("/set/5")
    assert storage.calls == {"load": 1, "touch": 1}  # the same value again: no write
    storage.calls.clear()
    client.get("/set/6")
    assert storage.calls == {"load": 1, "save": 1}


def test_a_plugin_backend_gets_in_process_locking_from_the_base_class(dict_app):
    from pegboard.testing import Client

    client = Client(dict_app)
    client.get("/set/0")
    cookie = client.cookie("session_id")
    errors: list[int] = []

    def worker() -> None:
        mine = Client(dict_app)
        for _ in range(50):
            status = mine.get("/incr", headers={"Cookie": f"session_id={cookie}"}).status
            if status != 200:
                errors.append(status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert client.get("/read").text == "400"


def test_its_own_checks_are_config_errors(make_app):
    app = make_app(
        {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "dict"}},
        plugins=[DictBackendPlugin()],
    )
    with pytest.raises(pegboard.ConfigError, match=r"tools\.sessions\.storage_options.*label"):
        app.start()


def test_without_the_plugin_the_name_is_unknown(make_app):
    with pytest.raises(pegboard.ConfigError, match="unknown storage_type 'dict'"):
        make_app(CONFIG).start()


def test_two_plugins_providing_one_name_are_an_error(make_app):
    app = make_app(CONFIG, plugins=[DictBackendPlugin(), ClashingPlugin()])
    with pytest.raises(
        pegboard.ConfigError, match="two plugins provide the session storage_type 'dict'"
    ):
        app.start()


def test_a_store_with_the_combined_methods_gets_one_call_where_it_got_two(make_app, make_client):
    app = _dict_app(make_app, _combined_config("implicit"))
    client = make_client(app)
    client.get("/set/5")
    (storage,) = DictStorage.instances
    assert storage.calls == {"save": 1}  # a new session: nothing to lock, nothing to load
    expected = {
        "/read": {"lock_and_load": 1, "touch_and_unlock": 1},
        "/set/5": {"lock_and_load": 1, "touch_and_unlock": 1},  # the same value: renewed
        "/set/6": {"lock_and_load": 1, "save_and_unlock": 1},
        "/noop": {},
        "/clear": {"lock_and_load": 1, "delete_and_unlock": 1},
    }
    for path, calls in expected.items():
        storage.calls.clear()
        assert client.get(path).status == 200
        assert storage.calls == calls, path
    storage.calls.clear()
    made_up = "A" * 43
    assert client.get("/read", headers={"Cookie": f"session_id={made_up}"}).text == "None"
    assert storage.calls == {"lock_and_load": 1}  # NOT_LOCKED: nothing to release
    assert len(storage.local_locks) == 0


def test_a_store_with_the_combined_methods_reads_and_renews_in_one_call(make_app, make_client):
    app = _dict_app(make_app, _combined_config("explicit"))
    client = make_client(app)
    client.get("/set/5")
    (storage,) = DictStorage.instances
    storage.calls.clear()
    assert client.get("/read").text == "5"
    assert storage.calls == {"load_and_touch": 1}  # renewed in the read: nothing at the end
    storage.calls.clear()
    client.get("/set/7")
    assert storage.calls == {"load_and_touch": 1, "save": 1}


def test_a_store_with_the_combined_methods_loses_no_update(make_app):
    from pegboard.testing import Client

    app = _dict_app(make_app, _combined_config("implicit"))
    client = Client(app)
    client.get("/set/0")
    cookie = client.cookie("session_id")

    statuses: list[int] = []

    def worker() -> None:
        mine = Client(app)
        for _ in range(50):
            statuses.append(mine.get("/incr", headers={"Cookie": f"session_id={cookie}"}).status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 400
    assert client.get("/read").text == "400"
    (storage,) = DictStorage.instances
    assert storage.calls["lock_and_load"] == 401 and len(storage.local_locks) == 0
