"""A made-up session id leaves nothing behind in any store: no record, file, row, key or lock.

Each test sends N well-formed ids that no store ever issued, then counts
what the store really holds, by looking at it directly: the RAM store's
dict and its records' locks, the directory, Redis's keys, Memcached's items (``lru_crawler
metadump``), PostgreSQL's rows and advisory locks.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import pegboard
from pegboard_sessions import LockTimeout, is_valid_id, stores_of

N = 200  # made-up ids per test

#: What each case's handler does with the session, and the locking it runs under.
CASES = {
    "read": ("implicit", "/read"),
    "write": ("implicit", "/incr"),
    "locked": ("explicit", "/locked-read"),
    "unlocked read": ("explicit", "/read"),
    "early": ("early", "/noop"),
}


@dataclass
class Contents:
    """What a store holds for the sessions of one test."""

    records: set[str] = field(default_factory=set)  # session ids with a record
    locks: set[str] = field(default_factory=set)  # session ids with a lock (file, key, item)
    other: list[str] = field(default_factory=list)  # anything else (temporary files...)


def _memcached_keys(address: str) -> list[str]:
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"lru_crawler metadump all\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            chunk = sock.recv(65536)
            assert chunk, "memcached closed the connection during metadump"
            data += chunk
    keys = []
    for line in data.decode("ascii").splitlines():
        if line.startswith("key="):
            keys.append(unquote(line.split(" ", 1)[0][len("key=") :]))
    return keys


def _postgresql(request: pytest.FixtureRequest, query: str) -> int:
    import psycopg

    server = request.getfixturevalue("postgresql_server")
    with psycopg.connect(server.url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def contents(
    backend: Any, app: pegboard.App, request: pytest.FixtureRequest, ids: list[str]
) -> Contents:
    """Everything ``backend`` holds for ``app``, read from the store itself.

    The RAM store cannot list its ids, so it is asked for each of ``ids``, and
    any record it holds beyond those is counted in ``other``.
    """
    found = Contents()
    options = backend.options
    if backend.name == "ram":
        (handle,) = stores_of(app)
        storage = handle.storage
        found.records = {i for i in ids if storage.load(i) is not None}
        found.other = ["unknown record"] * (len(storage) - len(found.records))
        # A record keeps its own lock: one still held cannot be taken without waiting.
        for session_id in found.records:
            try:
                token = storage.acquire_lock(session_id, 0.0, 1.0)
            except LockTimeout:
                found.locks.add(session_id)
            else:
                storage.release_lock(session_id, token)
    elif backend.name == "file":
        for path in Path(options["storage_path"]).iterdir():
            name = path.name
            if name.startswith("session-") and name.endswith(".lock"):
                found.locks.add(name[len("session-") : -len(".lock")])
            elif name.startswith("session-"):
                found.records.add(name[len("session-") :])
            else:
                found.other.append(name)
    elif backend.name == "redis":
        import redis

        client = redis.Redis.from_url(request.getfixturevalue("redis_server").url)
        prefix = options["key_prefix"]
        for raw in client.scan_iter(match=prefix + "*"):
            key = raw.decode()[len(prefix) :]
            session_id = key.strip("{}").removesuffix("}:lock")
            (found.locks if key.endswith(":lock") else found.records).add(session_id)
        client.close()
    elif backend.name == "memcached":
        prefix = options["key_prefix"]
        for key in _memcached_keys(request.getfixturevalue("memcached_server").url):
            if key.startswith(prefix):
                key = key[len(prefix) :]
                if key.endswith(":lock"):
                    found.locks.add(key.removesuffix(":lock"))
                else:
                    found.records.add(key)
    else:
        table = options["table"]
        ids = _postgresql_ids(request, table)
        found.records = ids
        held = _postgresql(request, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        found.locks = {f"advisory {n}" for n in range(held)}
    for store in stores_of(app):
        found.locks |= {f"in-process {n}" for n in range(len(store.storage.local_locks))}
    return found


def _postgresql_ids(request: pytest.FixtureRequest, table: str) -> set[str]:
    import psycopg

    server = request.getfixturevalue("postgresql_server")
    with psycopg.connect(server.url) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", [table]).fetchone()
        if exists is None or exists[0] is None:
            return set()
        return {row[0] for row in conn.execute(f'SELECT id FROM "{table}"').fetchall()}


def _app(backend: Any, counter_app: Any, locking: str) -> pegboard.App:
    app: pegboard.App = counter_app(backend, locking=locking)

    @app.route("/locked-read")
    def locked_read(req: Any, resp: Any) -> str:
        req.session.acquire_lock()
        return str(req.session.get("n"))

    return app


@pytest.mark.parametrize("case", list(CASES))
def test_made_up_ids_leave_nothing_behind(backend, case, counter_app, make_client, request):
    locking, path = CASES[case]
    app = _app(backend, counter_app, locking)
    client = make_client(app)
    app.start()
    made_up = [secrets.token_urlsafe(32) for _ in range(N)]
    assert contents(backend, app, request, made_up) == Contents()
    issued = []
    for session_id in made_up:
        assert is_valid_id(session_id)
        result = client.get(path, headers={"Cookie": f"session_id={session_id}"})
        assert result.status == 200, result.text
        assert result.text in ("None", "1", "ok")
        cookie = result.headers.get("Set-Cookie")
        if cookie is not None:
            value = cookie.split(";", 1)[0].split("=", 1)[1]
            assert is_valid_id(value) and value != session_id
            issued.append(value)
    left = contents(backend, app, request, made_up + issued)
    assert left.records & set(made_up) == set()
    assert left.locks == set(), f"{len(left.locks)} locks left behind"
    assert left.other == []
    if case == "write":
        # Each request wrote, so each got a fresh id, and only those were stored.
        assert len(set(issued)) == N
        assert left.records == set(issued)
    else:
        assert issued == [] and left.records == set()


def test_a_made_up_id_that_writes_gets_a_fresh_id_that_then_works(
    backend, counter_app, make_client
):
    app = counter_app(backend)
    client = make_client(app)
    made_up = secrets.token_urlsafe(32)
    first = client.get("/incr", headers={"Cookie": f"session_id={made_up}"})
    fresh = first.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    assert fresh != made_up
    again = client.get("/incr", headers={"Cookie": f"session_id={fresh}"})
    assert again.text == "2"
    # the made-up id still means nothing
    assert client.get("/read", headers={"Cookie": f"session_id={made_up}"}).text == "None"
