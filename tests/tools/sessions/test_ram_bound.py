"""The RAM store holds at most ``max_sessions`` sessions, dropping the least recently used."""

from __future__ import annotations

import logging
from typing import Any

from pegboard_sessions import DEFAULT_MAX_SESSIONS, stores_of

CAP = 20


def _new_session(client: Any) -> str:
    result = client.get("/incr", headers={"Cookie": ""})
    assert result.text == "1"
    cookie = result.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    return str(cookie)


def _read(client: Any, cookie: str) -> str:
    return str(client.get("/read", headers={"Cookie": f"session_id={cookie}"}).text)


def _full_warnings(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "max_sessions" in r.getMessage()]


def test_the_bound_holds_and_the_eviction_is_logged_once(counter_app, make_client, caplog):
    caplog.set_level(logging.WARNING, logger="pegboard_sessions")
    app = counter_app({"storage_type": "ram", "max_sessions": CAP})
    client = make_client(app)
    cookies = []
    for made in range(1, 5 * CAP + 1):
        cookies.append(_new_session(client))
        (store,) = stores_of(app)
        assert len(store.storage) == min(made, CAP)  # type: ignore[arg-type]
        # Not a word until the store is full; one warning once it is, however many go.
        assert len(_full_warnings(caplog)) == (1 if made > CAP else 0)
    (warning,) = _full_warnings(caplog)
    assert warning.levelno == logging.WARNING
    assert f"max_sessions = {CAP}" in warning.getMessage()
    # The newest CAP sessions are all there; every older one is gone.
    assert [_read(client, c) for c in cookies[-CAP:]] == ["1"] * CAP
    assert [_read(client, c) for c in cookies[:-CAP]] == ["None"] * (4 * CAP)


def test_a_session_in_use_outlives_older_idle_ones(counter_app, make_client):
    app = counter_app({"storage_type": "ram", "max_sessions": CAP})
    client = make_client(app)
    busy = _new_session(client)
    idle = [_new_session(client) for _ in range(CAP - 1)]  # the store is now full
    for _ in range(CAP):
        assert _read(client, busy) == "1"  # used, so it is the most recent again...
        _new_session(client)  # ...and each new session drops the oldest idle one
    assert _read(client, busy) == "1"
    assert [_read(client, c) for c in idle] == ["None"] * (CAP - 1)


def test_the_default_bound(counter_app, make_client):
    app = counter_app({"storage_type": "ram"})
    make_client(app).get("/incr")
    (store,) = stores_of(app)
    assert store.config.max_sessions is None
    assert store.storage.max_sessions == DEFAULT_MAX_SESSIONS == 100_000  # type: ignore[attr-defined]
