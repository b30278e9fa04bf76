"""A 2 KB JSON response, gzipped and tagged: pegboard vs CherryPy vs Flask + Flask-Compress.

pegboard runs gzip + etags (autotags) + json_out; CherryPy runs its own
tools.gzip + tools.etags (autotags) + tools.json_out; Flask runs jsonify,
an ETag of the body and Flask-Compress (gzip). Every app compresses at
level 5. Two requests are replayed in-process (no sockets), each through
every app in interleaved rounds, best round kept:

- ``200 gzip``: ``Accept-Encoding: gzip``, a fresh compressed answer;
- ``304``: the same with ``If-None-Match`` set to the tag of that answer.

    python bench/transforms.py [--requests N] [--rounds R]

Needs cherrypy, flask and flask-compress (the dev group) besides pegboard.
bench/run.py's tool-stack scenario adds a session to this; this script keeps
the 304 case, which the suite does not time.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Callable
from typing import Any

import replay
from replay import WSGIApp

PAYLOAD = {
    "items": [
        {"id": i, "name": f"item number {i}", "tags": ["alpha", "beta"], "price": i * 1.25}
        for i in range(28)
    ]
}
LEVEL = 5


def _environ(**headers: str) -> dict[str, Any]:
    return replay.make_environ("/data", accept_encoding="gzip", **headers)


def pegboard_app() -> WSGIApp:
    import pegboard
    import pegboard_etags
    import pegboard_gzip
    import pegboard_json

    app = pegboard.App(
        {
            "/": {
                "tools.gzip.on": True,
                "tools.gzip.compress_level": LEVEL,
                "tools.etags.on": True,
                "tools.etags.autotags": True,
                "tools.json_out.on": True,
            }
        },
        plugins=[pegboard_gzip, pegboard_etags, pegboard_json],
        discover=False,
    )
    app.route("/data", lambda req, resp: PAYLOAD)
    app.start()
    return app


def cherrypy_app() -> WSGIApp:
    import cherrypy

    class Root:
        @cherrypy.expose
        @cherrypy.tools.json_out()
        def data(self) -> Any:
            return PAYLOAD

    cherrypy.config.update({"environment": "embedded", "log.screen": False})
    config = {
        "/": {
            "tools.gzip.on": True,
            "tools.gzip.compress_level": LEVEL,
            "tools.gzip.mime_types": ["application/json"],
            "tools.etags.on": True,
            "tools.etags.autotags": True,
        }
    }
    app: WSGIApp = cherrypy.tree.mount(Root(), "/", config)
    return app


def flask_app() -> WSGIApp:
    import flask
    from flask_compress import Compress

    app = flask.Flask("bench")
    app.config.update(COMPRESS_LEVEL=LEVEL, COMPRESS_ALGORITHM=["gzip"], COMPRESS_MIN_SIZE=256)
    Compress(app)

    @app.after_request
    def tag(response: Any) -> Any:  # registered last, so it runs before Flask-Compress
        response.add_etag()
        return response

    @app.route("/data")
    def data() -> Any:
        return flask.jsonify(PAYLOAD)

    return app


FRAMEWORKS: dict[str, Callable[[], WSGIApp]] = {
    "pegboard gzip+etags+json_out": pegboard_app,
    "cherrypy gzip+etags+json_out": cherrypy_app,
    "flask + flask-compress + etag": flask_app,
}


def call(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    answer = replay.call(app, environ)
    return answer.status, answer.headers, answer.body


def prepare(app: WSGIApp) -> dict[str, dict[str, Any]]:
    """Check the app answers as the others do; return the two environs to replay."""
    status, headers, body = call(app, _environ())
    assert status.startswith("200"), status
    assert headers.get("Content-Encoding") == "gzip", headers
    assert "Accept-Encoding" in headers.get("Vary", ""), headers
    assert json.loads(gzip.decompress(body)) == PAYLOAD
    etag = headers["Etag"]
    revalidate = _environ(if_none_match=etag)
    status, headers, body = call(app, revalidate)
    assert status.startswith("304") and body == b"", status
    return {"200 gzip": _environ(), "304": revalidate}


def run_once(app: WSGIApp, base: dict[str, Any], requests: int) -> float:
    """Microseconds per request over ``requests`` replays of ``base``."""
    return replay.replay(app, base, requests) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    apps = {name: factory() for name, factory in FRAMEWORKS.items()}
    environs = {name: prepare(app) for name, app in apps.items()}
    size = len(json.dumps(PAYLOAD, separators=(",", ":")))
    print(f"JSON body: {size} bytes; {args.requests} requests x {args.rounds} rounds, best round")
    for scenario in ("200 gzip", "304"):
        best = {name: float("inf") for name in apps}
        for name, app in apps.items():
            run_once(app, environs[name][scenario], 200)  # warm up
        for _ in range(args.rounds):
            for name, app in apps.items():
                micros = run_once(app, environs[name][scenario], args.requests)
                best[name] = min(best[name], micros)
        base = best["pegboard gzip+etags+json_out"]
        print(f"\n{scenario}")
        print(f"{'framework':<34}{'us/request':>12}{'req/s':>10}{'vs pegboard':>13}")
        for name, micros in sorted(best.items(), key=lambda kv: kv[1]):
            print(f"{name:<34}{micros:>12.1f}{1e6 / micros:>10.0f}{micros / base:>12.2f}x")


if __name__ == "__main__":
    main()
