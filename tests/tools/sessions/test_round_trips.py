"""Round trips to the store per request, counted on the wire in front of real servers.

Each networked store runs behind :class:`CountingProxy`; a request's round
trips are the exchanges the proxy sees while the request runs. The table
below is what the README promises (at most two for a session request,
with the lock, in every locking mode).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

import pegboard

NETWORKED = ["redis", "memcached", "postgresql"]

#: (locking, what the request does) -> round trips, the same on every networked store
#: unless ``EXCEPTIONS`` says otherwise.
EXPECTED: dict[tuple[str, str], int] = {
    ("implicit", "untouched"): 0,
    ("implicit", "read"): 2,
    ("implicit", "write"): 2,
    ("early", "untouched"): 2,
    ("early", "read"): 2,
    ("early", "write"): 2,
    ("explicit", "untouched"): 0,
    ("explicit", "read"): 1,
    ("explicit", "write"): 2,
    ("explicit", "locked read"): 2,
    ("explicit", "locked write"): 2,
    # acquire_lock() after reading: the read, the lock, the write (and unlock)
    ("explicit", "read, then locked write"): 3,
    ("implicit", "new session write"): 1,
    ("explicit", "new session locked write"): 1,
    ("implicit", "unknown id read"): 1,
    ("implicit", "unknown id write"): 2,
}
#: Memcached cannot take a lock only where a record exists: an unknown id's lock is
#: released in a round trip of its own.
EXCEPTIONS: dict[tuple[str, str, str], int] = {
    ("memcached", "implicit", "unknown id read"): 2,
    ("memcached", "implicit", "unknown id write"): 3,
}

#: what each request does -> (path, which cookie it sends)
REQUESTS: dict[str, tuple[str, str]] = {
    "untouched": ("/noop", "session"),
    "read": ("/read", "session"),
    "write": ("/incr", "session"),
    "locked read": ("/locked-read", "session"),
    "locked write": ("/locked-incr", "session"),
    "read, then locked write": ("/read-then-lock", "session"),
    "new session write": ("/incr", "none"),
    "new session locked write": ("/locked-incr", "none"),
    "unknown id read": ("/read", "unknown"),
    "unknown id write": ("/incr", "unknown"),
}


def expected(store: str, locking: str, what: str) -> int:
    return EXCEPTIONS.get((store, locking, what), EXPECTED[(locking, what)])


@pytest.fixture(params=NETWORKED)
def counted_store(request: pytest.FixtureRequest, counting_proxy: Any) -> Iterator[tuple[str, Any]]:
    """A networked store behind a counting proxy: (name, proxy)."""
    name = request.param
    server = request.getfixturevalue(f"{name}_server")
    with counting_proxy(server.host, server.port) as proxy:
        yield name, proxy


def _options(store: str, proxy: Any) -> dict[str, Any]:
    unique = secrets.token_hex(6)
    if store == "redis":
        return {"url": f"redis://{proxy.host}:{proxy.port}/0", "key_prefix": f"rt{unique}:"}
    if store == "memcached":
        return {"servers": [f"{proxy.host}:{proxy.port}"], "key_prefix": f"rt{unique}:"}
    return {
        "dsn": f"postgresql://postgres@{proxy.host}:{proxy.port}/postgres",
        "table": f"rt_{unique}",
        "clean_freq": 0,  # no cleanup thread talking to the server while we count
    }


def _app(counter_app: Any, store: str, proxy: Any, locking: str) -> pegboard.App:
    app: pegboard.App = counter_app(
        {"storage_type": store, "locking": locking, **_options(store, proxy)}
    )

    @app.route("/locked-read")
    def locked_read(req: Any, resp: Any) -> str:
        req.session.acquire_lock()
        return str(req.session.get("n"))

    @app.route("/read-then-lock")
    def read_then_lock(req: Any, resp: Any) -> str:
        seen = req.session.get("n", 0)
        req.session.acquire_lock()
        req.session["n"] = req.session.get("n", 0) + 1
        return f"{seen} {req.session['n']}"

    @app.route("/locked-incr")
    def locked_incr(req: Any, resp: Any) -> str:
        req.session.acquire_lock()
        req.session["n"] = req.session.get("n", 0) + 1
        return str(req.session["n"])

    return app


@pytest.mark.parametrize("locking", ["implicit", "early", "explicit"])
def test_round_trips_per_request(counted_store, locking, counter_app, make_client):
    store, proxy = counted_store
    app = _app(counter_app, store, proxy, locking)
    client = make_client(app)
    client.get("/start")
    cookie = client.cookie("session_id")
    assert cookie is not None
    cases = [what for (mode, what) in EXPECTED if mode == locking]

    def run(what: str) -> int:
        path, sends = REQUESTS[what]
        if sends == "session":
            headers = {"Cookie": f"session_id={cookie}"}
        elif sends == "unknown":
            headers = {"Cookie": f"session_id={secrets.token_urlsafe(32)}"}
        else:
            headers = {}
        fresh = make_client(app)  # no cookie jar carried over from another request
        proxy.reset()
        result = fresh.get(path, headers=headers)
        assert result.status == 200, (what, result.status, result.text)
        return proxy.round_trips

    # Warm up: connections, pools, server-side scripts, and psycopg's prepared statements
    # (a statement is prepared on its sixth use on a connection: one more round trip, once).
    for _ in range(6):
        for what in cases:
            run(what)
    seen = {what: run(what) for what in cases}
    again = {what: run(what) for what in cases}
    assert seen == again, "the same request made a different number of round trips"
    wanted = {what: expected(store, locking, what) for what in cases}
    assert seen == wanted
    assert client.get("/read", headers={"Cookie": f"session_id={cookie}"}).text.isdigit()
