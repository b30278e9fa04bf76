"""Anti-stampede: concurrent misses for one key run the handler once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pegboard import HTTPError
from pegboard.testing import Client


def _concurrently(app, count, path="/slow", stagger=0.0):
    """``count`` requests at once from threads; their results in thread order."""
    barrier = threading.Barrier(count)
    results = [None] * count
    timings = [0.0] * count

    def run(index):
        client = Client(app)
        barrier.wait()
        if stagger:
            time.sleep(stagger * index)
        start = time.monotonic()
        results[index] = client.get(path)
        timings[index] = time.monotonic() - start

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results, timings


def test_sixteen_concurrent_requests_for_a_cold_key_run_the_handler_once(make_app, store, counter):
    app = make_app({"/": store})
    handler = counter("slow", delay=0.3)
    app.route("/slow", handler)
    app.start()
    results, _ = _concurrently(app, 16)
    assert handler.calls == 1
    assert {r.status for r in results} == {200}
    assert {r.text for r in results} == {"slow 1"}
    statuses = sorted(r.headers["Cache-Status"].split(";")[1].strip() for r in results)
    assert statuses == ["fwd=uri-miss"] + ["hit"] * 15
    assert sum("collapsed" in r.headers["Cache-Status"] for r in results) == 15


def test_an_error_in_the_handler_releases_the_waiters_at_once(make_app, store):
    app = make_app({"/": {**store, "tools.caching.antistampede_timeout": 5}})
    calls = []

    @app.route("/slow")
    def slow(req, resp):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.3)
            raise RuntimeError("the first call fails")
        return "second call"

    app.start()
    results, timings = _concurrently(app, 2, stagger=0.1)
    assert [r.status for r in results] == [500, 200]
    assert results[1].text == "second call"
    # The waiter ran the handler itself right after the failure, not after 5 s.
    assert timings[1] < 1.5
    assert len(calls) == 2


def test_regression_after_an_erroring_miss_the_next_request_does_not_wait(
    make_app, make_client, store
):
    """CherryPy kept the key locked after an error: the next request waited 5 s."""
    app = make_app({"/": {**store, "tools.caching.antistampede_timeout": 5}})
    calls = []

    @app.route("/flaky")
    def flaky(req, resp):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("fails once")
        return "fine"

    client = make_client(app)
    assert client.get("/flaky").status == 500
    start = time.monotonic()
    assert client.get("/flaky").text == "fine"
    assert time.monotonic() - start < 0.5


def test_an_http_error_also_releases_the_lock(make_app, make_client, memory_store):
    app = make_app({"/": {**memory_store, "tools.caching.antistampede_timeout": 5}})
    calls = []

    @app.route("/r")
    def r(req, resp):
        calls.append(1)
        if len(calls) == 1:
            raise HTTPError(503)
        return "ok"

    client = make_client(app)
    assert client.get("/r").status == 503
    start = time.monotonic()
    assert client.get("/r").status == 200
    assert time.monotonic() - start < 0.5


def test_waiters_give_up_after_antistampede_timeout(make_app, memory_store):
    app = make_app({"/": {**memory_store, "tools.caching.antistampede_timeout": 0.2}})
    calls = []

    @app.route("/slow")
    def slow(req, resp):
        calls.append(1)
        time.sleep(0.6)
        return "slow"

    app.start()
    results, timings = _concurrently(app, 2, stagger=0.05)
    assert [r.status for r in results] == [200, 200]
    assert len(calls) == 2  # the waiter ran the handler itself after 0.2 s
    assert timings[1] < 1.2


def test_uncacheable_answers_let_the_waiters_run_their_own_handler(make_app, memory_store):
    app = make_app({"/": memory_store})
    calls = []

    @app.route("/private")
    def private(req, resp):
        calls.append(1)
        number = len(calls)
        time.sleep(0.2)
        resp.headers["Cache-Control"] = "private"
        return f"for request {number}"

    app.start()
    results, _ = _concurrently(app, 3, path="/private")
    assert len(calls) == 3
    assert len({r.text for r in results}) == 3


@pytest.mark.parametrize("backend", ["redis", "memcached"])
def test_the_lock_is_shared_across_processes(store_for, tmp_path, backend):
    options = store_for(backend)
    marks = tmp_path / "handler-runs"
    worker = Path(__file__).with_name("stampede_worker.py")
    processes = [
        subprocess.Popen(
            [sys.executable, str(worker), json.dumps(options), str(marks)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [json.loads(process.stdout.readline()) for process in processes]
    finally:
        for process in processes:
            process.stdin.close()
            process.wait(10)
    runs = marks.read_text().split()
    assert len(runs) == 1, outputs
    assert {status for status, _, _ in outputs} == {200}
    assert {body for _, _, body in outputs} == {f"made by {runs[0]}"}
    assert (
        sum(cache_status.startswith("pegboard; hit; collapsed") for _, cache_status, _ in outputs)
        == 3
    )
