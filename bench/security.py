"""What cors, secure_headers and csrf cost per request: pegboard vs Flask with its extensions.

Each scenario runs four apps side by side in one process, interleaved,
best round kept: pegboard without the tool and with it, Flask without the
extension and with it (Flask-CORS, Flask-Talisman, Flask-WTF's CSRFProtect).
The cost of a tool is its app's time minus the bare app's, on the same
request:

- ``cors GET``: a GET with an allowed ``Origin`` (credentials allowed, one
  exposed header): the CORS headers and ``Vary: Origin`` added;
- ``cors preflight``: ``OPTIONS`` with ``Access-Control-Request-Method: PUT``
  and ``-Headers: content-type``, answered by the tool (the bare apps answer
  their own ``OPTIONS``);
- ``secure_headers``: an HTML page that takes a CSP nonce for its inline
  script, with HSTS, framing, referrer, permissions and cross-origin headers
  (Flask-Talisman: the same headers, its nonce in ``request.csp_nonce``);
- ``csrf POST``: a form post from the site's own page. pegboard's csrf
  needs no token for it (``Sec-Fetch-Site: same-origin``); CSRFProtect
  checks its token (the session cookie and ``X-CSRFToken``), which is what
  a Flask site pays on every post.

Every app's answer is checked before it is timed (status, and the headers or
refusal the tool is there for).

    uv run python bench/security.py [--rounds R] [--seconds S] [--calls]

``--calls`` adds the Python function calls per request of each app (cProfile
over 200 requests): a figure the load on a shared machine does not change.
"""

from __future__ import annotations

import argparse
import cProfile
from collections.abc import Callable
from typing import Any

import replay
from replay import Contender, WSGIApp

ORIGIN = "https://app.example"
SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuv"
PAGE = '<!DOCTYPE html><title>page</title><script nonce="{}">go()</script>'


# -- the requests -------------------------------------------------------------------------


def cors_get() -> dict[str, Any]:
    return replay.make_environ("/api/items", origin=ORIGIN)


def cors_preflight() -> dict[str, Any]:
    environ = replay.make_environ(
        "/api/items",
        origin=ORIGIN,
        access_control_request_method="PUT",
        access_control_request_headers="content-type",
    )
    environ["REQUEST_METHOD"] = "OPTIONS"
    return environ


def page_get() -> dict[str, Any]:
    return replay.make_environ("/page")


def form_post() -> dict[str, Any]:
    environ = replay.make_environ("/form", origin="http://localhost", sec_fetch_site="same-origin")
    environ["REQUEST_METHOD"] = "POST"
    return environ


# -- pegboard ------------------------------------------------------------------------------


def pegboard_app(section: dict[str, Any]) -> WSGIApp:
    import pegboard
    import pegboard_cors
    import pegboard_csrf
    import pegboard_secure_headers
    from pegboard_secure_headers import csp_nonce

    nonce_on = section.get("tools.secure_headers.on", False)
    app = pegboard.App(
        {"/": section},
        plugins=[pegboard_cors, pegboard_csrf, pegboard_secure_headers],
        discover=False,
    )

    @app.route("/api/items", methods=["GET", "PUT"])
    def items(req: Any, resp: Any) -> bytes:
        resp.headers["Content-Type"] = "application/json"
        resp.headers["X-Total"] = "2"
        return b'{"items":[1,2]}'

    @app.route("/page")
    def page(req: Any, resp: Any) -> str:
        return PAGE.format(csp_nonce(req) if nonce_on else "")

    @app.route("/form", methods=["POST"])
    def form(req: Any, resp: Any) -> str:
        return "saved"

    app.start()
    return app


CORS = {
    "tools.cors.on": True,
    "tools.cors.origins": [ORIGIN],
    "tools.cors.methods": ["GET", "PUT"],
    "tools.cors.headers": ["Content-Type"],
    "tools.cors.expose_headers": ["X-Total"],
    "tools.cors.credentials": True,
}
SECURE_HEADERS = {"tools.secure_headers.on": True}
CSRF = {"tools.csrf.on": True, "tools.csrf.secret": SECRET}


# -- Flask ---------------------------------------------------------------------------------


def flask_app(extension: str | None) -> WSGIApp:
    import flask

    app = flask.Flask("bench")
    app.config.update(SECRET_KEY=SECRET)
    talisman = extension == "talisman"

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> Any:
        response = flask.make_response(b'{"items":[1,2]}')
        response.headers["Content-Type"] = "application/json"
        response.headers["X-Total"] = "2"
        return response

    @app.route("/page")
    def page() -> str:
        return PAGE.format(getattr(flask.request, "csp_nonce", "") if talisman else "")

    @app.route("/form", methods=["GET", "POST"])
    def form() -> str:
        if flask.request.method == "GET":
            from flask_wtf.csrf import generate_csrf

            return generate_csrf()
        return "saved"

    if extension == "cors":
        from flask_cors import CORS as FlaskCORS

        FlaskCORS(
            app,
            origins=[ORIGIN],
            methods=["GET", "PUT"],
            allow_headers=["Content-Type"],
            expose_headers=["X-Total"],
            supports_credentials=True,
        )
    elif talisman:
        from flask_talisman import Talisman

        Talisman(
            app,
            force_https=False,
            content_security_policy={
                "default-src": "'self'",
                "script-src": "'self'",
                "style-src": "'self'",
                "object-src": "'none'",
                "base-uri": "'none'",
                "form-action": "'self'",
            },
            content_security_policy_nonce_in=["script-src", "style-src"],
            frame_options="DENY",
            referrer_policy="strict-origin-when-cross-origin",
            permissions_policy={"camera": "()", "geolocation": "()", "microphone": "()"},
        )
    elif extension == "csrf":
        from flask_wtf.csrf import CSRFProtect

        CSRFProtect(app)
    return app


def flask_csrf_post(app: WSGIApp) -> dict[str, Any]:
    """A post carrying the session cookie and token that a GET of the form handed out."""
    answer = replay.call(app, replay.make_environ("/form"))
    cookie = answer.set_cookies[0].split(";", 1)[0]
    environ = form_post()
    environ["HTTP_COOKIE"] = cookie
    environ["HTTP_X_CSRFTOKEN"] = answer.body.decode()
    return environ


# -- scenarios -----------------------------------------------------------------------------


def _has(*names: str) -> Callable[[replay.Answer], bool]:
    return lambda answer: all(name in answer.headers for name in names)


#: scenario -> (request, pegboard tool config, Flask extension, check of the tool's answer)
SCENARIOS: dict[str, tuple[Callable[[], dict[str, Any]], dict[str, Any], str, Any]] = {
    "cors GET": (cors_get, CORS, "cors", _has("Access-Control-Allow-Origin")),
    "cors preflight": (
        cors_preflight,
        CORS,
        "cors",
        _has("Access-Control-Allow-Origin", "Access-Control-Allow-Methods"),
    ),
    "secure_headers": (
        page_get,
        SECURE_HEADERS,
        "talisman",
        lambda a: "nonce-" in a.headers.get("Content-Security-Policy", ""),
    ),
    "csrf POST": (form_post, CSRF, "csrf", lambda a: a.body == b"saved"),
}


def contenders(scenario: str) -> list[Contender]:
    make, section, extension, works = SCENARIOS[scenario]
    apps = {
        ("pegboard", "bare"): pegboard_app({}),
        ("pegboard", "with tool"): pegboard_app(section),
        ("flask", "bare"): flask_app(None),
        ("flask", "with tool"): flask_app(extension),
    }
    out = []
    for (framework, kind), app in apps.items():
        environ = make()
        if framework == "flask" and kind == "with tool" and extension == "csrf":
            environ = flask_csrf_post(app)
        answer = replay.call(app, environ)
        assert answer.status[:1] == "2", (scenario, framework, kind, answer.status, answer.body)
        if kind == "with tool":
            assert works(answer), (scenario, framework, answer.headers)
        out.append(Contender(kind, framework, app, environ))
    return out


def calls_per_request(contender: Contender, requests: int = 200) -> float:
    """Python function calls per request, counted by cProfile (load-independent)."""
    profiler = cProfile.Profile()
    profiler.runcall(replay.replay, contender.app, contender.environ, requests)
    return sum(entry.callcount for entry in profiler.getstats()) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=0.2, help="time per app per round")
    parser.add_argument("--calls", action="store_true", help="count function calls too")
    args = parser.parse_args()
    print(f"{args.rounds} interleaved rounds of ~{args.seconds} s per app, best round kept")
    calls = f"{'bare calls':>11}{'with calls':>11}" if args.calls else ""
    print(f"\n{'scenario':<16}{'framework':<10}{'bare us':>9}{'with us':>9}{'cost us':>9}{calls}")
    for scenario in SCENARIOS:
        runners = contenders(scenario)
        for runner in runners:
            replay.calibrate(runner, args.seconds)
        replay.best_of(runners, args.rounds)
        for framework in ("pegboard", "flask"):
            bare, tool = (r for r in runners if r.framework == framework)
            cost = tool.micros - bare.micros
            line = (
                f"{scenario:<16}{framework:<10}{bare.micros:>9.1f}{tool.micros:>9.1f}{cost:>9.1f}"
            )
            if args.calls:
                line += f"{calls_per_request(bare):>11.0f}{calls_per_request(tool):>11.0f}"
            print(line)


if __name__ == "__main__":
    main()
