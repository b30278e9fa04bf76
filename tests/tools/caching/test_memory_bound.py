"""The memory store's ``maxsize`` bounds what the process holds: keys, variants, overhead.

Measured as the resident set size of a separate process (memory_worker.py),
so nothing else the test run allocates blurs the figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pegboard_caching import purge_tag
from pegboard_caching.runtime import runtime_for

WORKER = Path(__file__).with_name("memory_worker.py")
MAXSIZE = 10_000_000


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads RSS from /proc")
@pytest.mark.parametrize("scenario", ["query", "variants", "tags"])
def test_a_thousand_long_urls_grow_the_process_by_at_most_twice_maxsize(scenario):
    """The issue's case: 1,000 requests with 60 KB query strings, maxsize 10 MB.

    ``variants``: 200 URLs with 30 KB queries, 5 variants each chosen by a
    30 KB header; ``tags``: each response tagged, so tag indexes grow too.
    """
    done = subprocess.run(
        [sys.executable, str(WORKER), scenario, str(MAXSIZE), "1000"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["count"] > 100  # the cache did store (and evict), not refuse
    assert result["counted"] <= MAXSIZE
    assert result["growth"] <= 2 * MAXSIZE, result


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads RSS from /proc")
def test_huge_validators_are_not_kept(make_app):
    """1,000 requests with 60 KB If-None-Match or If-Modified-Since values leave nothing behind."""
    done = subprocess.run(
        [sys.executable, str(WORKER), "validators", str(MAXSIZE), "1000"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["count"] == 1
    assert result["growth"] <= 5_000_000, result


def test_a_long_if_none_match_list_is_still_answered(make_app, make_client, memory_store):
    app = make_app({"/": memory_store})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["ETag"] = 'W/"abc-gzip"'
        resp.headers["Content-Encoding"] = "gzip"
        return b"compressed, say"

    client = make_client(app)
    client.get("/doc")
    others = ", ".join(f'"other-{n}"' for n in range(1000))
    for tag, status in (('"abc-gzip"', 304), ('W/"abc"', 304), ('"abc-br"', 200), ("", 200)):
        value = f"{others}, {tag}" if tag else others
        assert len(value) > 4096
        assert client.get("/doc", headers={"If-None-Match": value}).status == status, tag


def _store_size(app):
    (backend,) = runtime_for(app).backends.values()
    return backend


def test_a_long_key_counts_against_maxsize(make_app, make_client, memory_store):
    app = make_app({"/": {**memory_store, "tools.caching.maxsize": 200_000}})
    app.route("/page", lambda req, resp: "small")
    client = make_client(app)
    client.get("/page?" + "k" * 60_000)
    backend = _store_size(app)
    assert backend.count == 1 and backend.size > 60_000
    for number in range(3):
        client.get(f"/page?{number}" + "k" * 60_000)
    # Four 60 KB keys do not fit in 200 KB: the oldest went.
    assert backend.count == 3 and backend.size <= 200_000
    assert (
        client.get("/page?" + "k" * 60_000)
        .headers["Cache-Status"]
        .startswith("pegboard; fwd=uri-miss")
    )


def test_variants_count_their_keys_and_values(make_app, make_client, memory_store):
    app = make_app({"/": {**memory_store, "tools.caching.maxsize": 300_000}})

    @app.route("/page")
    def page(req, resp):
        resp.headers["Vary"] = "X-Variant"
        return "small"

    client = make_client(app)
    url = "/page?" + "k" * 20_000
    for number in range(3):
        client.get(url, headers={"X-Variant": f"{number}" + "v" * 20_000})
    backend = _store_size(app)
    # A Vary record and three variants, each with the 20 KB URL in its key; the
    # variants also keep their 20 KB header values.
    assert backend.count == 4
    assert backend.size > 4 * 20_000 + 3 * 20_000
    for number in range(10):
        client.get(url, headers={"X-Variant": f"more {number}" + "v" * 20_000})
    assert backend.size <= 300_000


def test_tags_of_evicted_entries_go_with_them(make_app, make_client, memory_store):
    app = make_app({"/": {**memory_store, "tools.caching.maxobjects": 3}})

    @app.route("/item/{number}")
    def item(req, resp, number):
        resp.cache_tags = ["items"]
        return f"item {number}"

    client = make_client(app)
    for number in range(10):
        client.get(f"/item/{number}")
    # Only the three entries still held are in the index: it never outgrows the cache.
    assert purge_tag(app, "items") == 3
    assert purge_tag(app, "items") == 0
