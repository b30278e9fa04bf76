"""A counter app served by waitress in its own process, for the cross-process tests.

Usage: ``python serve_counter.py '<config as JSON>'``; prints the port, then serves
until terminated. Routes: ``/start`` (n = 0), ``/incr`` (n + 1), ``/read``.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import waitress.server

import pegboard


def main() -> None:
    # Requests queue while they wait for the session's lock; that is the point of the test.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = pegboard.App(json.loads(sys.argv[1]))

    @app.route("/start")
    def start(req: Any, resp: Any) -> str:
        req.session["n"] = 0
        return "0"

    @app.route("/incr")
    def incr(req: Any, resp: Any) -> str:
        n = req.session.get("n", 0) + 1
        req.session["n"] = n
        return str(n)

    @app.route("/read")
    def read(req: Any, resp: Any) -> str:
        return str(req.session.get("n"))

    app.start()
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
    print(server.effective_port, flush=True)
    try:
        server.run()
    finally:
        app.stop()


if __name__ == "__main__":
    main()
