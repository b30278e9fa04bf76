"""The quick hit (answered before the core builds a request) against the full lifecycle.

With caching the only tool on a path, a plain fresh hit is answered from the
environ alone. Everything a client sees must be what the lifecycle's hit
gives; a no-op config hook turns quick answers off for the comparison.
"""

from __future__ import annotations

import time

import pytest

from pegboard_caching.cache import ResponseCache
from pegboard_caching.testing import FakeClock, use_clock


def _noop(req, resp):
    pass


def _page(req, resp, **params):
    resp.headers["Vary"] = "Accept-Language"
    resp.headers["Link"] = "</a.css>; rel=preload"
    resp.headers.add("Link", "</b.js>; rel=preload")
    resp.headers["X-Lang"] = req.headers.get("Accept-Language", "none")
    return f"page in {req.headers.get('Accept-Language', 'none')}"


def _plain(req, resp):
    resp.headers["ETag"] = '"v1"'
    return "plain text"


def _pair(make_app, store):
    """Two apps on one store configuration: quick hits on, and forced through the lifecycle."""
    apps = []
    prefix = store["tools.caching.key_prefix"]
    for extra in (
        {"tools.caching.key_prefix": prefix + "quick:"},
        {"tools.caching.key_prefix": prefix + "full:", "hooks.on_end_request": _noop},
    ):
        app = make_app({"/": {**store, **extra}})
        app.route("/page", _page)
        app.route("/plain", _plain)
        apps.append(app)
    return apps


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        ("/plain", "GET", {}),
        ("/plain", "HEAD", {}),
        ("/page", "GET", {"Accept-Language": "fr"}),
        ("/page", "GET", {}),
    ],
)
def test_a_quick_hit_is_the_lifecycle_hit(
    make_app, make_client, store, monkeypatch, path, method, headers
):
    lookups = []
    lookup = ResponseCache.lookup

    def counting(self, req, resp):
        lookups.append(req.path)
        return lookup(self, req, resp)

    monkeypatch.setattr(ResponseCache, "lookup", counting)
    answers = []
    start = time.time()
    for app in _pair(make_app, store):
        # One start time for both apps: the stored Date must not differ by a second.
        clock = use_clock(app, FakeClock(start))
        client = make_client(app)
        client.get(path, headers=headers)
        clock.advance(7)
        del lookups[:]
        answers.append((client.request(method, path, headers=headers), len(lookups)))
    (got, got_lookups), (want, want_lookups) = answers
    assert (got_lookups, want_lookups) == (0, 1)  # the first hit was quick, the second was not
    assert got.status_line == want.status_line
    assert got.headers._items == want.headers._items
    assert got.body == want.body
    assert got.headers["Cache-Status"] == "pegboard; hit; ttl=593"
    assert got.headers["Age"] == "7"


def test_quick_hits_are_on_only_where_caching_is_alone(make_app, make_client, memory_store):
    quick, full = _pair(make_app, memory_store)
    for app in (quick, full):
        app.start()
    describe = [line for plan in quick.plans() for line in plan.describe()]
    assert any(
        line.startswith("quick_answer") and "ResponseCache.quick" in line for line in describe
    )
    describe = [line for plan in full.plans() for line in plan.describe()]
    assert not any(line.startswith("quick_answer") for line in describe)


def test_validators_and_ranges_still_get_their_answers(make_app, make_client, memory_store):
    quick, _ = _pair(make_app, memory_store)
    client = make_client(quick)
    assert client.get("/plain").status == 200
    conditional = client.get("/plain", headers={"If-None-Match": '"v1"'})
    assert conditional.status == 304
    assert conditional.body == b""
    assert conditional.headers["Cache-Status"].startswith("pegboard; hit")
    ranged = client.get("/plain", headers={"Range": "bytes=0-3"})
    assert ranged.headers["Cache-Status"] == "pegboard; fwd=request; detail=range"
