"""Locking: concurrent requests on one session, and the lock released on every way out."""

from __future__ import annotations

import threading
import time
import wsgiref.util
from collections.abc import Callable
from typing import Any

import pytest

import pegboard
from pegboard.testing import Client

THREADS = 8
PER_THREAD = 200


def hammer(
    app: Any, cookie: str, path: str, threads: int = THREADS, per_thread: int = PER_THREAD
) -> list[int]:
    """``threads`` threads each make ``per_thread`` requests to ``path`` with ``cookie``."""
    statuses: list[int] = []
    start = threading.Barrier(threads)

    def worker() -> None:
        client = Client(app)
        start.wait()
        for _ in range(per_thread):
            statuses.append(client.get(path, headers={"Cookie": f"session_id={cookie}"}).status)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return statuses


def started_session(client: Client) -> str:
    client.get("/start")
    cookie = client.cookie("session_id")
    assert cookie is not None
    return cookie


def test_implicit_locking_counts_every_increment(backend, counter_app, make_client):
    app = counter_app(backend, lock_timeout=30)
    client = make_client(app)
    cookie = started_session(client)
    statuses = hammer(app, cookie, "/incr")
    assert statuses == [200] * (THREADS * PER_THREAD)
    assert client.get("/read").text == str(THREADS * PER_THREAD)


def _slow_counter_app(make_app: Callable[..., Any], backend: Any, take_lock: bool) -> Any:
    app = make_app(backend.config(locking="explicit", lock_timeout=30))

    @app.route("/start")
    def start(req: Any, resp: Any) -> str:
        req.session["n"] = 0
        return "0"

    @app.route("/incr")
    def incr(req: Any, resp: Any) -> str:
        if take_lock:
            req.session.acquire_lock()
        n = req.session["n"]
        time.sleep(0.0005)  # widen the read-modify-write window, as a real handler's work would
        req.session["n"] = n + 1
        return str(n + 1)

    @app.route("/read")
    def read(req: Any, resp: Any) -> str:
        return str(req.session["n"])

    return app


def test_explicit_locking_without_a_lock_loses_updates(backend, make_app, make_client):
    """Documents the lost updates: with ``locking = "explicit"`` and no
    ``acquire_lock()``, concurrent read-modify-write requests overwrite each other."""
    app = _slow_counter_app(make_app, backend, take_lock=False)
    client = make_client(app)
    cookie = started_session(client)
    statuses = hammer(app, cookie, "/incr", per_thread=25)
    assert statuses == [200] * (THREADS * 25)
    final = int(client.get("/read").text)
    assert 0 < final < THREADS * 25  # updates were lost


def test_explicit_locking_with_acquire_lock_counts_every_increment(backend, make_app, make_client):
    app = _slow_counter_app(make_app, backend, take_lock=True)
    client = make_client(app)
    cookie = started_session(client)
    statuses = hammer(app, cookie, "/incr", per_thread=25)
    assert statuses == [200] * (THREADS * 25)
    assert client.get("/read").text == str(THREADS * 25)


class Holder:
    """Runs one request whose handler holds the session until told to let go."""

    def __init__(self, app: Any, cookie: str, path: str = "/hold") -> None:
        self.entered = threading.Event()
        self.leave = threading.Event()
        self.result: Any = None
        self._thread = threading.Thread(target=self._run, args=(app, cookie, path))

    def _run(self, app: Any, cookie: str, path: str) -> None:
        self.result = Client(app).get(path, headers={"Cookie": f"session_id={cookie}"})

    def __enter__(self) -> Holder:
        self._thread.start()
        assert self.entered.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave.set()
        self._thread.join(10)


def _holding_app(
    counter_app: Callable[..., Any], backend: Any, **options: Any
) -> tuple[Any, list[Holder]]:
    app = counter_app(backend, **options)
    holders: list[Holder] = []

    @app.route("/hold")
    def hold(req: Any, resp: Any) -> str:
        req.session["held"] = True  # first access: locks the session
        holders[-1].entered.set()
        holders[-1].leave.wait(10)
        return "released"

    return app, holders


def test_lock_timeout_gives_503_not_a_hang(backend, counter_app, make_client):
    app, holders = _holding_app(counter_app, backend, lock_timeout=0.3)
    client = make_client(app)
    cookie = started_session(client)
    holder = Holder(app, cookie)
    holders.append(holder)
    with holder:
        began = time.monotonic()
        busy = client.get("/incr")
        waited = time.monotonic() - began
        assert busy.status == 503 and busy.headers["Retry-After"] == "1"
        assert "busy" in busy.text
        assert 0.25 < waited < 3.0
        # A request that does not touch the session is not held up at all.
        assert client.get("/noop").status == 200
    assert holder.result.status == 200
    assert client.get("/incr").text == "1"


@pytest.mark.parametrize("locking", ["early", "implicit"])
def test_early_locking_locks_before_the_handler_runs(backend, counter_app, make_client, locking):
    app, holders = _holding_app(counter_app, backend, lock_timeout=0.2, locking=locking)
    client = make_client(app)
    cookie = started_session(client)
    holder = Holder(app, cookie)
    holders.append(holder)
    with holder:
        status = client.get("/noop").status
    # early: even a handler that never reads the session waits for the lock (and times out);
    # implicit: it is never locked.
    assert status == (503 if locking == "early" else 200)


def _stream_environ(path: str, cookie: str) -> dict[str, Any]:
    environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_COOKIE": f"session_id={cookie}"}
    wsgiref.util.setup_testing_defaults(environ)
    return environ


@pytest.mark.parametrize("way_out", ["handler error", "HTTPError", "HTTPRedirect"])
def test_lock_released_on_every_way_out(backend, counter_app, make_client, way_out):
    app = counter_app(backend, lock_timeout=0.2)

    @app.route("/crash")
    def crash(req: Any, resp: Any) -> None:
        req.session["n"] = -1
        raise RuntimeError("boom")

    @app.route("/http-error")
    def http_error(req: Any, resp: Any) -> None:
        req.session["seen"] = True
        raise pegboard.HTTPError(409, "conflict")

    @app.route("/redirect")
    def redirect(req: Any, resp: Any) -> None:
        req.session["seen"] = True
        raise pegboard.HTTPRedirect("/read")

    client = make_client(app)
    started_session(client)
    path = {"handler error": "/crash", "HTTPError": "/http-error", "HTTPRedirect": "/redirect"}
    assert client.get(path[way_out]).status in (500, 409, 303)
    # A leaked lock would make this wait lock_timeout and answer 503.
    assert client.get("/incr").status == 200


def test_a_streamed_body_does_not_hold_the_lock(backend, counter_app, make_client):
    """The record is written before the body goes out, so the lock goes then too."""
    app = counter_app(backend, lock_timeout=0.2)

    @app.route("/stream")
    def stream(req: Any, resp: Any) -> Any:
        req.session["seen"] = True

        def body() -> Any:
            for i in range(1000):
                yield b"chunk %d\n" % i

        return body()

    client = make_client(app)
    cookie = started_session(client)
    body = app(_stream_environ("/stream", cookie), lambda status, headers, exc_info=None: None)
    assert next(iter(body)) == b"chunk 0\n"
    # While a slow client reads the body, the same user's other requests go through.
    assert client.get("/incr").status == 200
    body.close()
    assert client.get("/read").text == "1"


def test_a_lock_taken_while_the_body_streams_goes_when_it_closes(backend, counter_app, make_client):
    app = counter_app(backend, lock_timeout=0.2)

    @app.route("/late")
    def late(req: Any, resp: Any) -> Any:
        def body() -> Any:
            yield b"visits %d\n" % req.session.get("n", 0)  # locks the session, mid-body
            yield b"more\n"

        return body()

    client = make_client(app)
    cookie = started_session(client)
    body = app(_stream_environ("/late", cookie), lambda status, headers, exc_info=None: None)
    chunks = iter(body)
    assert next(chunks).startswith(b"visits ")
    assert client.get("/incr").status == 503  # held by the streaming request...
    body.close()  # ...until the server closes the body (the client went away)
    assert client.get("/incr").status == 200


def test_acquire_lock_after_reading_locks_and_saves(backend, counter_app, make_client):
    """``acquire_lock()`` once the data was read: the lock is taken then, and the write kept."""
    app = counter_app(backend, locking="explicit", lock_timeout=0.3)

    @app.route("/read-then-lock")
    def read_then_lock(req: Any, resp: Any) -> str:
        seen = req.session.get("n", 0)
        req.session.acquire_lock()
        assert req.session.locked
        req.session["n"] = seen + 1
        return str(seen + 1)

    client = make_client(app)
    started_session(client)
    assert [client.get("/read-then-lock").text for _ in range(3)] == ["1", "2", "3"]
    assert client.get("/incr").text == "4"  # no lock left behind
