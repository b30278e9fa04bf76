"""staticdir under hostile request paths and query strings: nothing outside the root, no 500.

The path is sent as a WSGI server hands it over (``PATH_INFO``: the raw
bytes as Latin-1 characters). Invariants: the answer is 200, 301 (a folder
without its slash), 304, 400, 404 or 405; no body holds the marker placed
outside the root, in a dotfile or behind a symlink that leads out.

    uv run python fuzz/run.py static_paths --seconds 60

Long run (libFuzzer through atheris 3.0, Python 3.11, on a 2-core machine
shared with other jobs): 1,423,508 executions (two runs of 4-5 minutes), no
failure.
"""

from __future__ import annotations

import fuzzlib

import pegboard
import pegboard_static

INSTRUMENT = ["pegboard_static", "pegboard"]

SEEDS = [
    b"a.txt",
    b"../secret.txt",
    b"%2e%2e/secret.txt",
    b"%252e%252e%252fsecret.txt",
    b"sub\nq=1",
    b"up/secret.txt",
    b".env",
    b"sub/%2e%2e/%2e%2e/secret.txt",
    b"\xc0\xae\xc0\xae/secret.txt",
    b"sub\nx=\xff\x00",
]
PUBLIC = fuzzlib.make_site()
app = pegboard.App(
    {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.dir": str(PUBLIC),
            "tools.staticdir.index": "index.html",
            "tools.staticdir.listing": True,
        }
    },
    plugins=[pegboard_static],
    discover=False,
)
app.start()


def fuzz_one(data: bytes) -> None:
    path, query = fuzzlib.values(data, 2)
    env = fuzzlib.environ("/static/" + path, QUERY_STRING=query)
    status, _headers, body = fuzzlib.call(app, env)
    assert status in (200, 301, 304, 400, 404, 405), status
    assert fuzzlib.SECRET not in body
