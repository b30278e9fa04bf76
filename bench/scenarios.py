"""The in-process scenarios: the same work written idiomatically in each framework.

Each scenario has a request to replay (an environ), one app per framework
built the way its users would build it (the framework's own tools or its
usual extensions), and a check that every app answers the same way before
anything is timed: a benchmark of apps that do different work measures
nothing.

- ``hello``: GET /hello/world -> "Hello, world!" (the apps of bench/hello.py).
- ``stack``: a session read and written, gzip, an ETag, a ~2 KB text body.
- ``cache``: a cache hit, against Falcon's hello world (no cache) as yardstick.
- ``json``: a dict of 50 fields encoded as JSON.
"""

from __future__ import annotations

import email.utils
import functools
import gzip
import hashlib
import importlib.util
import json
import json.encoder
import json.scanner
import math
import random
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hello
from replay import Answer, WSGIApp, call, make_environ

LEVEL = 5  # gzip level for every framework (pegboard's and CherryPy's default)


def _quiet_cherrypy() -> Any:
    import cherrypy

    cherrypy.config.update({"environment": "embedded", "log.screen": False})
    return cherrypy


# -- the tool stack ------------------------------------------------------------


_WORDS = (
    "pegboard hook tool request response session cache header body server client "
    "route config plan gzip etag static json cookie proxy thread worker socket "
    "the a of to and in is it that for on with as by at from"
)


def _page_text() -> str:
    """About 2 KB of text that compresses like prose (not like a run of one letter)."""
    words = _WORDS.split()
    rng = random.Random(2024)
    lines, size = [], 0
    while size < 2000:
        line = " ".join(rng.choice(words) for _ in range(12)).capitalize() + "."
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


PAGE = _page_text()


def _stack_body(visits: int) -> str:
    # The visit count is part of the page, so every answer (and its ETag) is new.
    return f"Visit {visits}\n{PAGE}"


def _gzip_compress() -> Callable[[bytes], bytes]:
    """gzip at LEVEL with the library pegboard's gzip tool uses: zlib-ng when installed.

    The floor compresses with the same code as the tool, so that the ratio
    measures what is around the compression, not which zlib was built.
    """
    try:
        from zlib_ng import zlib_ng as zlib_impl
    except ImportError:  # the gzip tool's own fallback
        import zlib as zlib_impl
    return functools.partial(zlib_impl.compress, level=LEVEL, wbits=31)  # gzip, mtime 0


@functools.lru_cache(maxsize=64)
def _cookie_date(seconds: int) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


SESSION_SECONDS = 3600  # pegboard's default idle timeout: 60 minutes
MAX_SESSIONS = 100_000  # pegboard's RAM store's default bound
LOCK_SECONDS = 10.0  # pegboard's default lock_timeout

# JSON through the C encoder and scanner built once, as the sessions tool encodes:
# json.dumps()/json.loads() would build an encoder and sniff the input's encoding
# on every call, a handicap the tool does not have.
_json_chunks = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, None, json.encoder.encode_basestring, None, ":", ",", False, False, True
)
_json_scan = json.scanner.c_make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]


def raw_stack() -> WSGIApp:
    """The same work written by hand as one WSGI callable: the floor of the scenario.

    What the three tools do for this request, with no framework, hooks or
    configuration: the session is a JSON record in a bounded dict (least
    recently used dropped first), read and written under its own lock,
    renewed for an hour, its id in a cookie with Max-Age and Expires; the
    body gzipped at the same level with the same library as the gzip tool;
    the ETag a BLAKE2b of the identity body with the coding's suffix, as
    etags and gzip make it, If-Match (412) and If-None-Match (304) answered;
    Vary names both headers the answer depends on.

    What it leaves out is what this request does not need, or what has no
    effect on its answer: routing, other codings and stores, options and
    their checks, the session id's shape check (a dict lookup is safe with any
    string), the creation time the tools keep for ``max_age``, error pages.
    """
    compress = _gzip_compress()
    # session id -> [JSON payload, expiry time, the session's lock]; a record is
    # changed in place, so a request waiting on its lock reads what the holder wrote.
    records: OrderedDict[str, list[Any]] = OrderedDict()
    guard = threading.Lock()  # records is changed by one thread at a time

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        cookie = environ.get("HTTP_COOKIE", "")
        session_id = cookie.partition("session_id=")[2].partition(";")[0]
        record = records.get(session_id)
        data = None
        if record is not None:
            lock = record[2]
            if not lock.acquire(timeout=LOCK_SECONDS):
                start_response("503 Service Unavailable", [("Retry-After", "1")])
                return [b"This session is busy with another request."]
            if records.get(session_id) is record and record[1] > time.time():
                data = _json_scan(record[0].decode(), 0)[0]
            else:  # expired, or dropped while we waited
                lock.release()
                record = None
        if data is None:
            session_id = secrets.token_urlsafe(32)
            data = {}
        data["visits"] = visits = data.get("visits", 0) + 1
        payload = "".join(_json_chunks(data, 0)).encode()
        now = time.time()
        with guard:
            if record is None:
                records[session_id] = [payload, now + SESSION_SECONDS, threading.Lock()]
                if len(records) > MAX_SESSIONS:
                    records.popitem(last=False)
            else:
                record[0], record[1] = payload, now + SESSION_SECONDS
                records[session_id] = record  # back in if it was dropped meanwhile
                records.move_to_end(session_id)
        if record is not None:
            record[2].release()
        cookie = (
            f"session_id={session_id}; Path=/; Max-Age={SESSION_SECONDS}; "
            f"Expires={_cookie_date(math.ceil(now) + SESSION_SECONDS)}; HttpOnly; SameSite=Lax"
        )
        text = _stack_body(visits).encode()
        gzipped = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        etag = hashlib.blake2b(text, digest_size=16).hexdigest()
        etag = f'"{etag}-gzip"' if gzipped else f'"{etag}"'
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Vary", "Cookie, Accept-Encoding"),
            ("ETag", etag),
            ("Set-Cookie", cookie),
        ]
        wanted = environ.get("HTTP_IF_MATCH")  # strong comparison; W/ tags never match
        if (
            wanted is not None
            and wanted.strip() != "*"
            and etag not in (t.strip() for t in wanted.split(","))
        ):
            start_response("412 Precondition Failed", [("Content-Length", "0")])
            return [b""]
        held = environ.get("HTTP_IF_NONE_MATCH")
        if held is not None and (
            held.strip() == "*" or etag in (t.strip().removeprefix("W/") for t in held.split(","))
        ):
            start_response("304 Not Modified", headers[1:])  # no Content-Type, as the core
            return [b""]
        body = text
        if gzipped:
            body = compress(text)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [body]

    return app


def raw_stack_shared(store: Any) -> WSGIApp:
    """The stack's floor with its sessions in a store shared by processes (bench/servers).

    ``store`` has ``get(session_id)`` and ``store[session_id] = record`` (Redis
    there): one read and one write per request, as many round trips as the
    sessions tool makes, but no lock, no expiry and no bound, which a shared
    store would need; gzip, the ETag, Vary and the cookie as in :func:`raw_stack`.
    """
    compress = _gzip_compress()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        cookie = environ.get("HTTP_COOKIE", "")
        session_id = cookie.partition("session_id=")[2].partition(";")[0]
        record = store.get(session_id) if session_id else None
        if record is None:
            session_id = secrets.token_urlsafe(32)
            data: dict[str, Any] = {}
        else:
            data = _json_scan(record.decode(), 0)[0]
        data["visits"] = visits = data.get("visits", 0) + 1
        store[session_id] = "".join(_json_chunks(data, 0)).encode()
        now = time.time()
        text = _stack_body(visits).encode()
        body = compress(text)
        etag = '"' + hashlib.blake2b(text, digest_size=16).hexdigest() + '-gzip"'
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Vary", "Cookie, Accept-Encoding"),
                ("ETag", etag),
                (
                    "Set-Cookie",
                    f"session_id={session_id}; Path=/; Max-Age={SESSION_SECONDS}; "
                    f"Expires={_cookie_date(math.ceil(now) + SESSION_SECONDS)}; "
                    "HttpOnly; SameSite=Lax",
                ),
                ("Content-Encoding", "gzip"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    return app


STACK_TOOLS = ("sessions", "gzip", "etags")


def pegboard_stack(
    tools: tuple[str, ...] = STACK_TOOLS, session_options: dict[str, Any] | None = None
) -> WSGIApp:
    """The stack on pegboard; ``tools`` picks some of its tools (for the breakdown).

    ``session_options`` are more ``tools.sessions.*`` settings (another store).
    """
    import pegboard
    import pegboard_etags
    import pegboard_gzip
    import pegboard_sessions

    options = {
        "sessions": {
            "tools.sessions.on": True,
            **{f"tools.sessions.{k}": v for k, v in (session_options or {}).items()},
        },
        "gzip": {"tools.gzip.on": True, "tools.gzip.compress_level": LEVEL},
        "etags": {"tools.etags.on": True, "tools.etags.autotags": True},
    }
    config = {key: value for tool in tools for key, value in options[tool].items()}
    app = pegboard.App(
        {"/": config},
        plugins=[pegboard_sessions, pegboard_gzip, pegboard_etags],
        discover=False,
    )
    sessions = "sessions" in tools

    @app.route("/stack")
    def stack(req: Any, resp: Any) -> str:
        visits = 2
        if sessions:
            visits = req.session.get("visits", 0) + 1
            req.session["visits"] = visits
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"
        return _stack_body(visits)

    app.start()
    return app


def cherrypy_stack() -> WSGIApp:
    cherrypy = _quiet_cherrypy()

    class Root:
        @cherrypy.expose
        def stack(self) -> str:
            visits = cherrypy.session.get("visits", 0) + 1
            cherrypy.session["visits"] = visits
            cherrypy.response.headers["Content-Type"] = "text/plain; charset=utf-8"
            return _stack_body(visits)

    config = {
        "/": {
            "tools.sessions.on": True,  # RamSession, implicit locking: CherryPy's defaults
            "tools.gzip.on": True,
            "tools.gzip.compress_level": LEVEL,
            "tools.etags.on": True,
            "tools.etags.autotags": True,
        }
    }
    app: WSGIApp = cherrypy.Application(Root(), "", config)
    return app


def _flask_stack(session_store: str, redis_url: str | None = None) -> WSGIApp:
    import flask
    from flask_compress import Compress

    app = flask.Flask(f"bench_stack_{session_store}")
    app.secret_key = "bench-secret-key-bench-secret-key"
    app.config.update(COMPRESS_LEVEL=LEVEL, COMPRESS_ALGORITHM=["gzip"])
    if session_store == "server":
        from cachelib import SimpleCache
        from flask_session import Session

        # Server-side sessions in process memory: the peer of pegboard's RAM store.
        app.config.update(SESSION_TYPE="cachelib", SESSION_CACHELIB=SimpleCache(threshold=10000))
        Session(app)
    elif session_store == "redis":
        import redis
        from flask_session import Session

        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(redis_url))
        Session(app)
    Compress(app)  # its after_request runs last: compresses, suffixes the ETag, answers 304

    @app.after_request
    def tag(response: Any) -> Any:
        response.add_etag()
        return response

    @app.route("/stack")
    def stack() -> Any:
        visits = flask.session.get("visits", 0) + 1
        flask.session["visits"] = visits
        return flask.Response(_stack_body(visits), content_type="text/plain; charset=utf-8")

    return app


def flask_stack_cookie() -> WSGIApp:
    """Flask's own session: the data in a signed cookie (itsdangerous)."""
    return _flask_stack("cookie")


def flask_stack_server() -> WSGIApp:
    """Flask-Session with an in-memory cachelib store."""
    return _flask_stack("server")


def flask_stack_redis(url: str) -> WSGIApp:
    """Flask-Session on Redis (its store shared by several processes)."""
    return _flask_stack("redis", url)


def stack_environ(app: WSGIApp) -> dict[str, Any]:
    """The stack's request with the session cookie of a first visit, so each replay
    reads the session and writes it back."""
    first = call(app, make_environ("/stack", accept_encoding="gzip"))
    assert first.status.startswith("200") and first.set_cookies, first
    cookie = "; ".join(c.split(";", 1)[0] for c in first.set_cookies)
    return make_environ("/stack", accept_encoding="gzip", cookie=cookie)


def check_stack(answer: Answer) -> None:
    assert answer.status.startswith("200"), answer.status
    assert answer.headers.get("Content-Encoding") == "gzip", answer.headers
    assert "Accept-Encoding" in answer.headers.get("Vary", ""), answer.headers
    assert answer.headers.get("Etag"), answer.headers
    assert answer.set_cookies, "the session was not written back"
    text = gzip.decompress(answer.body).decode()
    assert text.startswith("Visit ") and text.endswith(PAGE), text[:40]
    visits = int(text.split(None, 2)[1])
    assert visits >= 2, "the session cookie was not recognised: the visit count restarted"


# -- the cache hit -------------------------------------------------------------

#: handler calls per framework: a cached page must be built once, then only hit
PAGES_BUILT: dict[str, int] = {}


def _build_page(framework: str, name: str) -> str:
    PAGES_BUILT[framework] = PAGES_BUILT.get(framework, 0) + 1
    return f"Hello, {name}!"


def pegboard_cache_hit() -> WSGIApp:
    PAGES_BUILT["pegboard"] = 0
    import pegboard
    import pegboard_caching

    app = pegboard.App(
        {"/": {"tools.caching.on": True, "tools.caching.backend": "memory"}},
        plugins=[pegboard_caching],
        discover=False,
    )

    @app.route("/hello/{name}")
    def page(req: Any, resp: Any, name: str) -> str:
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"
        return _build_page("pegboard", name)

    app.start()
    return app


def cherrypy_cache_hit() -> WSGIApp:
    PAGES_BUILT["cherrypy"] = 0
    cherrypy = _quiet_cherrypy()

    class Root:
        @cherrypy.expose
        def hello(self, name: str) -> str:
            cherrypy.response.headers["Content-Type"] = "text/plain; charset=utf-8"
            return _build_page("cherrypy", name)

    app: WSGIApp = cherrypy.Application(Root(), "", {"/": {"tools.caching.on": True}})
    return app


def flask_cache_hit() -> WSGIApp:
    PAGES_BUILT["flask"] = 0
    import flask
    from flask_caching import Cache

    app = flask.Flask("bench_cache")
    cache = Cache(app, config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 600})

    @app.route("/hello/<name>")
    @cache.cached()
    def page(name: str) -> Any:
        page = _build_page("flask", name)
        return flask.Response(page, content_type="text/plain; charset=utf-8")

    return app


def cache_environ(app: WSGIApp) -> dict[str, Any]:
    environ = make_environ("/hello/world")
    call(app, environ)  # the miss that fills the cache
    return environ


def check_hello(answer: Answer) -> None:
    assert answer.status.startswith("200"), answer.status
    assert answer.body == b"Hello, world!", answer.body


def _check_hit(framework: str) -> Callable[[Answer], None]:
    def check(answer: Answer) -> None:
        check_hello(answer)
        built = PAGES_BUILT.get(framework, 0)
        # Built by the first request (or earlier, by a cache that outlives the app), then hit.
        assert built <= 1, f"{framework}: the page was built {built} times, not once"

    return check


# -- JSON out ------------------------------------------------------------------

DOCUMENT: dict[str, Any] = {
    **{f"name_{i}": f"value number {i}" for i in range(20)},
    **{f"count_{i}": i * 37 for i in range(15)},
    **{f"ratio_{i}": i / 7 for i in range(5)},
    **{f"flag_{i}": i % 2 == 0 for i in range(5)},
    **{f"list_{i}": [i, i + 1, i + 2] for i in range(3)},
    "nested": {"id": 7, "tags": ["alpha", "beta"]},
    "nothing": None,
}
assert len(DOCUMENT) == 50

# pegboard's json_out encodes with orjson when it can be imported (the json-orjson extra).
JSON_DEFAULT = (
    "pegboard json_out (orjson)"
    if importlib.util.find_spec("orjson")
    else "pegboard json_out (stdlib json)"
)


def _pegboard_json(stdlib: bool) -> WSGIApp:
    import pegboard
    import pegboard_json

    config: dict[str, Any] = {"tools.json_out.on": True}
    if stdlib:
        config["tools.json_out.handler"] = "pegboard_json.encoding:encode_stdlib"
    app = pegboard.App({"/": config}, plugins=[pegboard_json], discover=False)
    app.route("/data", lambda req, resp: DOCUMENT)
    app.start()
    return app


def pegboard_json_default() -> WSGIApp:
    """json_out as installed: orjson when the json-orjson extra is there."""
    return _pegboard_json(stdlib=False)


def pegboard_json_stdlib() -> WSGIApp:
    """json_out with the standard library's encoder, as the other frameworks use."""
    return _pegboard_json(stdlib=True)


def falcon_json() -> WSGIApp:
    import falcon

    class Data:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.media = DOCUMENT

    app = falcon.App()
    app.add_route("/data", Data())
    return app


def flask_json() -> WSGIApp:
    import flask

    app = flask.Flask("bench_json")

    @app.route("/data")
    def data() -> Any:
        return flask.jsonify(DOCUMENT)

    return app


def cherrypy_json() -> WSGIApp:
    cherrypy = _quiet_cherrypy()

    class Root:
        @cherrypy.expose
        @cherrypy.tools.json_out()
        def data(self) -> Any:
            return DOCUMENT

    app: WSGIApp = cherrypy.Application(Root(), "", {"/": {}})
    return app


def check_json(answer: Answer) -> None:
    assert answer.status.startswith("200"), answer.status
    assert answer.headers.get("Content-Type", "").startswith("application/json"), answer.headers
    assert json.loads(answer.body) == DOCUMENT


# -- the scenarios -------------------------------------------------------------


@dataclass
class Entry:
    """One framework's app in a scenario."""

    name: str  # the row label
    framework: str  # pegboard, falcon, flask, cherrypy, raw
    factory: Callable[[], WSGIApp]
    check: Callable[[Answer], None]


@dataclass
class Scenario:
    key: str
    title: str
    entries: list[Entry]
    environ: Callable[[WSGIApp], dict[str, Any]]
    reference: str  # the row the ratios are computed against (pegboard's)
    profile: str  # the pegboard row whose profile is shown
    #: (framework, why) for a framework that has no way to do this scenario's work
    not_applicable: list[tuple[str, str]] = field(default_factory=list)


def _hello_environ(app: WSGIApp) -> dict[str, Any]:
    return hello.make_environ()


SCENARIOS = [
    Scenario(
        "hello",
        "hello world",
        [
            Entry("raw WSGI callable (floor)", "raw", hello.raw_app, check_hello),
            Entry("pegboard", "pegboard", hello.pegboard_app, check_hello),
            Entry(
                "pegboard, all tools installed, none on",
                "pegboard",
                hello.pegboard_with_tools_app,
                check_hello,
            ),
            Entry("falcon", "falcon", hello.falcon_app, check_hello),
            Entry("flask", "flask", hello.flask_app, check_hello),
            Entry("cherrypy", "cherrypy", hello.cherrypy_app, check_hello),
        ],
        _hello_environ,
        reference="pegboard",
        profile="pegboard",
    ),
    Scenario(
        "stack",
        "tool stack: session r+w, gzip, etag, 2 KB",
        [
            Entry("raw WSGI: the same work by hand (floor)", "raw", raw_stack, check_stack),
            Entry(
                "pegboard sessions(ram)+gzip+etags",
                "pegboard",
                pegboard_stack,
                check_stack,
            ),
            Entry(
                "flask signed-cookie session+Flask-Compress+etag",
                "flask",
                flask_stack_cookie,
                check_stack,
            ),
            Entry(
                "flask Flask-Session(cachelib mem)+Flask-Compress+etag",
                "flask",
                flask_stack_server,
                check_stack,
            ),
            Entry("cherrypy sessions(ram)+gzip+etags", "cherrypy", cherrypy_stack, check_stack),
        ],
        stack_environ,
        reference="pegboard sessions(ram)+gzip+etags",
        profile="pegboard sessions(ram)+gzip+etags",
        not_applicable=[("falcon", "no session or compression tools of its own")],
    ),
    Scenario(
        "cache",
        "cache hit",
        [
            Entry(
                "pegboard caching hit (memory)",
                "pegboard",
                pegboard_cache_hit,
                _check_hit("pegboard"),
            ),
            Entry("falcon hello world (no cache)", "falcon", hello.falcon_app, check_hello),
            Entry(
                "flask Flask-Caching hit (SimpleCache)",
                "flask",
                flask_cache_hit,
                _check_hit("flask"),
            ),
            Entry(
                "cherrypy tools.caching hit", "cherrypy", cherrypy_cache_hit, _check_hit("cherrypy")
            ),
        ],
        cache_environ,
        reference="pegboard caching hit (memory)",
        profile="pegboard caching hit (memory)",
    ),
    Scenario(
        "json",
        "JSON out, 50 fields",
        [
            Entry(JSON_DEFAULT, "pegboard", pegboard_json_default, check_json),
            Entry(
                "pegboard json_out, handler=stdlib json",
                "pegboard",
                pegboard_json_stdlib,
                check_json,
            ),
            Entry("falcon resp.media", "falcon", falcon_json, check_json),
            Entry("flask jsonify", "flask", flask_json, check_json),
            Entry("cherrypy tools.json_out", "cherrypy", cherrypy_json, check_json),
        ],
        lambda app: make_environ("/data"),
        reference=JSON_DEFAULT,
        profile=JSON_DEFAULT,
    ),
]
