"""The pegboard example site: every installed tool, switched on by site.toml.

Run it with ``uv run pegboard serve examples/site/app.py`` and open
http://127.0.0.1:8080/. The handlers below hold the site's own logic only;
sessions, logins, caching, compression, validators, JSON, static files and
headers all come from tools that ``site.toml`` turns on per path.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from example_site import pages
from example_site.accounts import SESSION_KEY
from example_site.assets import load_manifest, static_url
from example_site.notes import NoteStore, valid_text

import pegboard
from pegboard_caching import purge_all
from pegboard_csrf import csrf_field
from pegboard_etags import http_date
from pegboard_http import request_id_of
from pegboard_secure_headers import csp_nonce
from pegboard_sessions import csrf_token

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "site.toml"
#: The notes a fresh site starts with.
SEED_NOTES = [
    'Add a note: POST /api/notes with the JSON body {"text": "..."}.',
    "Send the ETag back in If-None-Match: an unchanged list answers 304 Not Modified.",
    "Ask with Accept-Encoding: gzip and the list comes compressed, with its own ETag.",
]
#: The report's "expensive" work: count the primes below each of these.
REPORT_LIMITS = (10**3, 10**4, 10**5, 10**6, 2 * 10**6)


def _access_log_to_stderr() -> None:
    """Show the access_log tool's lines (INFO on ``pegboard.access``) when nothing else does."""
    logger = logging.getLogger("pegboard.access")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _primes_below(limit: int) -> int:
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\0\0"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return sum(sieve)


def _legacy_app(css: str, icon: str) -> Any:
    """The Flask app of /legacy, or None when Flask is not installed."""
    if importlib.util.find_spec("flask") is None:
        return None
    from example_site import legacy

    return legacy.create(css, icon)


def _publish_statistics(notes: NoteStore) -> None:
    """The site's own figures in ``logging.statistics``, as CherryPy's docs tell libraries to:
    the statistics page shows them beside pegboard's, calling the callables when shown."""
    statistics = getattr(logging, "statistics", None)
    if not isinstance(statistics, dict):
        statistics = {}
        logging.statistics = statistics  # type: ignore[attr-defined]
    namespace = statistics.setdefault("Example Notes", {})
    namespace.update(
        {
            "Start Time": time.time(),
            "Notes": lambda scope: len(notes),
            "Uptime": lambda scope: time.time() - scope["Start Time"],
        }
    )


def create_app(overlay: Mapping[str, Any] | str | Path | None = None) -> pegboard.App:
    """A new site with its own notes; ``overlay`` is laid over site.toml (like ``--config``)."""
    app = pegboard.App(CONFIG)
    if overlay is not None:
        app.config.update(pegboard.load_config(overlay))
    manifest = load_manifest()
    css, icon = static_url(manifest, "app.css"), static_url(manifest, "favicon.svg")
    notes = NoteStore(SEED_NOTES)
    _publish_statistics(notes)

    def page(
        req: pegboard.Request, title: str, body: str, current: str = "", *, cached: bool = False
    ) -> str:
        # A cached page is sent to many requests: it names none of them in its body, and
        # carries no CSP nonce (a nonce is one response's; secure_headers would mark the
        # page private, and the cache would not keep it).
        request_id = None if cached else request_id_of(req)
        nonce = None if cached else csp_nonce(req)
        return pages.layout(
            title, body, css=css, icon=icon, current=current, request_id=request_id, nonce=nonce
        )

    # -- public pages ------------------------------------------------------------

    @app.route("/", methods=["GET"])
    def home(req: pegboard.Request, resp: pegboard.Response) -> str:
        visits = req.session.get("visits", 0) + 1
        req.session["visits"] = visits
        return page(req, "Home", pages.home(visits, req.session.get(SESSION_KEY)), "/")

    @app.route("/report", methods=["GET"])
    def report(req: pegboard.Request, resp: pegboard.Response) -> str:
        began = time.perf_counter()
        rows = [(limit, _primes_below(limit)) for limit in REPORT_LIMITS]
        took_ms = (time.perf_counter() - began) * 1000
        now = time.time()
        resp.headers["Last-Modified"] = http_date(now)
        generated = time.strftime("%H:%M:%S", time.gmtime(now)) + " UTC"
        return page(req, "Report", pages.report(rows, generated, took_ms), "/report", cached=True)

    @app.route("/about/", methods=["GET"])
    def about(req: pegboard.Request, resp: pegboard.Response) -> str:
        plans = sorted({(plan.label, plan.tools) for plan in app.plans()})
        return page(req, "About", pages.about(plans), "/about/")

    # -- signed-in pages (session_auth on /account: the form, do_login, do_logout) ------
    # csrf is on for /account and /admin: a form posted from another site is refused
    # before session_auth or a handler sees it.

    @app.route("/account", methods=["GET"])
    def account(req: pegboard.Request, resp: pegboard.Response) -> str:
        # session_auth ran first: an anonymous visitor got the sign-in form instead.
        resp.headers["Cache-Control"] = "no-store"  # a page for one signed-in user
        visits = req.session.get("visits", 0)
        # The session's own token: session_auth checks it at do_logout, and the csrf tool
        # (same session entry) accepts it from clients that send no Sec-Fetch-Site/Origin.
        body = pages.account(req.login or "?", visits, csrf_token(req.session))
        return page(req, "Account", body, "/account")

    # -- /admin (auth_digest) and /metrics (auth_basic) -------------------------------

    @app.route("/admin", methods=["GET"])
    def admin(req: pegboard.Request, resp: pegboard.Response) -> str:
        purged = req.query.get("purged")
        count = int(purged) if isinstance(purged, str) and purged.isdigit() else None
        body = pages.admin(req.login or "?", len(notes), count, csrf_field(req))
        return page(req, "Admin", body, "/admin")

    @app.route("/admin/purge-cache", methods=["POST"])
    def purge_cache(req: pegboard.Request, resp: pegboard.Response) -> None:
        raise pegboard.HTTPRedirect(f"/admin?purged={purge_all(app)}", 303)

    # -- /legacy: a Flask app with the tools of its sections around it ---------------------

    legacy = _legacy_app(css, icon)
    if legacy is not None:
        app.mount("/legacy", legacy, tools=True)
    else:

        @app.route("/legacy/", methods=["GET"])
        def no_flask(req: pegboard.Request, resp: pegboard.Response) -> str:
            resp.status = 501
            return page(req, "The old site", pages.no_flask(), "/legacy/")

    # -- the JSON API (json_in, json_out, etags) -----------------------------------------

    @app.route("/api/notes", methods=["GET", "POST"])
    def note_list(req: pegboard.Request, resp: pegboard.Response) -> Any:
        if req.method == "POST":
            try:
                text = valid_text(req.json)  # parsed by json_in
            except ValueError as exc:
                raise pegboard.HTTPError(422, str(exc)) from None
            note = notes.add(text)
            resp.status = 201
            resp.headers["Location"] = f"{req.base}/api/notes/{note.id}"
            return note
        return {"notes": notes.all()}

    @app.route("/api/notes/{note_id:int}", methods=["GET", "DELETE"])
    def note_item(req: pegboard.Request, resp: pegboard.Response, note_id: int) -> Any:
        if req.method == "DELETE":
            if not notes.delete(note_id):
                raise pegboard.HTTPError(404, f"No note {note_id}.")
            resp.status = 204
            return None
        note = notes.get(note_id)
        if note is None:
            raise pegboard.HTTPError(404, f"No note {note_id}.")
        return note

    # -- XML-RPC (tools.xmlrpc on /rpc): xmlrpc.client.ServerProxy(".../rpc").primes.below(100)

    @app.route("/rpc/primes/below", methods=["POST"])
    def primes_below(req: pegboard.Request, resp: pegboard.Response, limit: int) -> int:
        """How many primes there are below ``limit`` (2 to 1,000,000)."""
        if not isinstance(limit, int) or not 2 <= limit <= 1_000_000:
            raise pegboard.HTTPError(400, "limit must be an integer from 2 to 1000000.")
        return _primes_below(limit)

    return app


_access_log_to_stderr()
app = create_app()


def main() -> Any:  # pragma: no cover - convenience for `python examples/site/app.py`
    from pegboard.cli import main as cli

    return cli(["serve", __file__])


if __name__ == "__main__":  # pragma: no cover
    main()
