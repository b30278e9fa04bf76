"""Idle and absolute lifetimes, the cleanup threads, and stores kept per app."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pegboard_sessions import stores_of

SECOND = 1 / 60  # lifetimes are configured in minutes


def _cleaners() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pegboard-sessions-cleanup")]


class CookieClient:
    """Sends the session cookie itself: http.cookiejar counts whole seconds, these tests don't."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cookie: str | None = None

    def get(self, path: str) -> Any:
        headers = {"Cookie": f"session_id={self.cookie}"} if self.cookie else None
        result = self.client.get(path, headers=headers)
        for line in result.headers.get_all("Set-Cookie"):
            self.cookie = line.split(";", 1)[0].split("=", 1)[1] or None
        return result


@pytest.mark.parametrize("backend", ["ram", "file", "redis", "postgresql"], indirect=True)
def test_idle_timeout_is_renewed_by_use_then_expires(backend, counter_app, make_client):
    # 0.5 s of idle lifetime: each read renews it without rewriting the record.
    client = CookieClient(make_client(counter_app(backend, timeout=0.5 * SECOND)))
    assert client.get("/incr").text == "1"
    time.sleep(0.3)
    assert client.get("/read").text == "1"  # renewed here...
    time.sleep(0.3)
    assert client.get("/read").text == "1"  # ...so still alive 0.6 s after it was written
    time.sleep(0.7)
    assert client.get("/read").text == "None"  # idle longer than 0.5 s: gone


@pytest.mark.parametrize("backend", ["memcached"], indirect=True)
def test_memcached_sessions_expire_by_ttl(backend, counter_app, make_client):
    # Memcached counts whole seconds: a 1 s timeout lives between 1 and 2 s.
    client = CookieClient(make_client(counter_app(backend, timeout=SECOND)))
    assert client.get("/incr").text == "1"
    assert client.get("/read").text == "1"
    time.sleep(2.1)
    assert client.get("/read").text == "None"


@pytest.mark.parametrize("backend", ["ram"], indirect=True)  # the same code for every store
def test_max_age_ends_a_session_however_busy(backend, counter_app, make_client):
    client = CookieClient(make_client(counter_app(backend, max_age=0.8 * SECOND)))
    first = client.get("/incr")
    assert "Max-Age=1;" in first.headers["Set-Cookie"]  # the cookie never outlives max_age
    for expected in ("2", "3"):
        time.sleep(0.3)
        assert client.get("/incr").text == expected
    time.sleep(0.35)  # 0.95 s after creation, though used 0.35 s ago
    assert client.get("/incr").text == "1"


def _stored(backend: Any, app: Any, request: pytest.FixtureRequest) -> int:
    """How many records the store physically holds, expired or not."""
    storage = stores_of(app)[0].storage
    if backend.name == "ram":
        return len(storage)  # type: ignore[arg-type]
    if backend.name == "file":
        return sum(
            1
            for p in Path(backend.options["storage_path"]).iterdir()
            if p.name.startswith("session-")
        )
    import psycopg

    server = request.getfixturevalue("postgresql_server")
    with psycopg.connect(server.url) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{backend.options["table"]}"').fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("backend", ["ram", "file", "postgresql"], indirect=True)
def test_cleanup_thread_removes_expired_records_and_stops_with_the_app(
    backend, counter_app, make_client, request
):
    app = counter_app(backend, timeout=0.3 * SECOND, clean_freq=0.2 * SECOND)
    client = make_client(app)
    client.get("/incr")
    assert _stored(backend, app, request) >= 1
    deadline = time.monotonic() + 5
    while _stored(backend, app, request) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _stored(backend, app, request) == 0
    (handle,) = stores_of(app)
    cleaner = handle.cleaner
    assert cleaner is not None and cleaner.is_alive()
    app.stop()
    assert not cleaner.is_alive() and handle.cleaner is None


@pytest.mark.parametrize("backend", ["redis", "memcached"], indirect=True)
def test_stores_with_their_own_expiry_need_no_cleanup_thread(backend, counter_app, make_client):
    app = counter_app(backend)
    make_client(app).get("/incr")
    assert stores_of(app)[0].cleaner is None


def test_compiling_opens_nothing_starting_does(make_app):
    before = set(_cleaners())
    app = make_app({"/": {"tools.sessions.on": True}})
    app.compile()  # what `pegboard check` and `pegboard routes` do
    assert set(_cleaners()) == before
    app.start()
    assert len(set(_cleaners()) - before) == 1
    app.stop()
    assert set(_cleaners()) <= before


@pytest.mark.parametrize("backend", ["ram"], indirect=True)
def test_apps_in_one_process_keep_their_own_stores(backend, counter_app, make_client):
    first, second = counter_app(backend), counter_app(backend)
    one, two = make_client(first), make_client(second)
    assert [one.get("/incr").text for _ in range(3)] == ["1", "2", "3"]
    cookie = one.cookie("session_id")
    # The same cookie means nothing to the other app's RAM store.
    assert two.get("/read", headers={"Cookie": f"session_id={cookie}"}).text == "None"
    assert two.get("/incr").text == "1"
    first.stop()  # closes the first app's store only
    assert two.get("/incr").text == "2"
    assert stores_of(second)[0].cleaner is not None
    # The first app starts again on its next request, with a fresh store.
    assert one.get("/read").text == "None"


def test_a_route_added_after_start_gets_its_store_on_first_use(make_app, make_client, tmp_path):
    app = make_app({"/": {"tools.sessions.on": True}})
    app.start()

    @app.route(
        "/late",
        config={
            "tools.sessions.storage_type": "file",
            "tools.sessions.storage_path": str(tmp_path),
        },
    )
    def late(req: Any, resp: Any) -> str:
        req.session["late"] = True
        return "ok"

    client = make_client(app)
    assert client.get("/late").status == 200
    assert [p.name.startswith("session-") for p in tmp_path.iterdir()].count(True) == 1
