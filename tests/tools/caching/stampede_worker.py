"""A separate process for the cross-process stampede test (run by test_stampede.py).

It builds an app on the shared store, says "ready", waits for "go" on stdin,
makes one request and prints its status, Cache-Status and body.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pegboard_caching
from pegboard import App
from pegboard.testing import Client


def main() -> None:
    options, marks = json.loads(sys.argv[1]), sys.argv[2]
    app = App({"/": options}, plugins=[pegboard_caching], discover=False)

    @app.route("/slow")
    def slow(req, resp):
        with open(marks, "a") as out:
            out.write(f"{os.getpid()}\n")
        time.sleep(0.5)
        return f"made by {os.getpid()}"

    app.start()
    print("ready", flush=True)
    sys.stdin.readline()
    result = Client(app).get("/slow")
    print(json.dumps([result.status, result.headers.get("Cache-Status"), result.text]), flush=True)
    app.stop()


if __name__ == "__main__":
    main()
