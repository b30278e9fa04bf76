"""A separate process for the memory-bound test (run by test_memory_bound.py).

It builds an app whose memory cache has ``maxsize`` bytes, warms the request
path up on an uncached route, measures its resident set size, then stores
many entries with long keys (and variants, or tags) and measures again; or
asks one URL with many huge validators (nothing may keep them). It
prints one JSON object: the growth in bytes, the bytes the cache counts and
its entry count.

    python memory_worker.py SCENARIO MAXSIZE REQUESTS
"""

from __future__ import annotations

import gc
import json
import os
import sys

import pegboard_caching
from pegboard import App
from pegboard.testing import Client

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _long(number: int, size: int) -> str:
    """A distinct text of ``size`` characters."""
    head = f"{number:08d}"
    return head + "x" * (size - len(head))


def main() -> None:
    scenario, maxsize, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = App(
        {
            "/": {"tools.caching.on": True, "tools.caching.maxsize": maxsize},
            "/warm": {"tools.caching.on": False},
        },
        plugins=[pegboard_caching],
        discover=False,
    )

    def page(req, resp, **params):
        resp.headers["ETag"] = '"v1"'
        resp.headers["Last-Modified"] = "Sun, 06 Nov 1994 08:49:37 GMT"
        if scenario == "variants":
            resp.headers["Vary"] = "X-Variant"
        if scenario == "tags":
            pegboard_caching.cache_tags_of(resp).extend(
                ["all", f"group-{len(req.query_string) % 7}"]
            )
        return "a page of modest size\n" * 20

    app.route("/page", page)
    app.route("/warm/page", page)
    client = Client(app, validate=False)

    def ask(prefix: str, number: int) -> None:
        if scenario == "validators":
            # One URL, asked with huge validators, each once: nothing may keep them.
            name = "If-None-Match" if number % 2 else "If-Modified-Since"
            client.get(prefix, headers={name: f'"{_long(number, 60_000)}"'})
        elif scenario == "variants":
            # 5 variants of each URL, each selected by a long header value.
            query, variant = _long(number // 5, 30_000), _long(number, 30_000)
            client.get(f"{prefix}?{query}", headers={"X-Variant": variant})
        else:
            client.get(f"{prefix}?{_long(number, 60_000)}")

    for number in range(200):
        ask("/warm/page", number)
    gc.collect()
    before = _rss()
    for number in range(requests):
        ask("/page", number)
    gc.collect()
    after = _rss()
    runtime = app.state.caching
    (backend,) = runtime.backends.values()
    print(json.dumps({"growth": after - before, "counted": backend.size, "count": backend.count}))
    app.stop()


if __name__ == "__main__":
    main()
