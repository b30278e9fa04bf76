"""cors, secure_headers and csrf judged by a real browser: headless Chromium between two servers.

The *target* server runs the tools; the *other* server, on another port, is
a second origin that serves plain pages with scripts and forms aimed at the
target. Pages of the other server are loaded as ``http://127.0.0.1:PORT``
(another origin of the same site: ports do not make sites) or as
``http://localhost:PORT`` (another site). What the browser lets a script
read, what it refuses to send, and what the target's handlers saw are what
these tests check; nothing here imitates the browser.

Chromium and chromedriver come from Debian (``bash .ci/install-browser``);
without them the tests skip on a developer's machine and fail in CI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import pegboard
from pegboard.testing import LiveServer
from pegboard.testing.backend_fixtures import unavailable
from pegboard_csrf import csrf_field
from pegboard_secure_headers import csp_nonce

from .test_browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS, WAIT

SECRET = "browser-test-secret-0123456789abcdefghij"


class Servers:
    """The target and the other origin, with what the target's handlers saw."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.other = LiveServer(_other_app())
        self.other_port = self.other.port
        #: the other server as another origin of the target's site, and as another site
        self.same_site = f"http://127.0.0.1:{self.other_port}"
        self.cross_site = f"http://localhost:{self.other_port}"
        self.target = LiveServer(_target_app(self.same_site, self.seen))
        self.url = self.target.url

    def start(self) -> Servers:
        self.other.start()
        self.target.start()
        return self

    def stop(self) -> None:
        self.target.stop()
        self.other.stop()


def _target_app(allowed_origin: str, seen: list[str]) -> pegboard.App:
    api = {
        "tools.cors.on": True,
        "tools.cors.origins": [allowed_origin],
        "tools.cors.methods": ["GET", "POST", "PUT"],
        "tools.cors.headers": ["Content-Type", "X-Token"],
        "tools.cors.expose_headers": ["X-Total"],
        "tools.cors.credentials": True,
    }
    app = pegboard.App(
        {
            "/": {"tools.secure_headers.on": True},
            "/api": api,
            "/api/cached": {"tools.caching.on": True, "tools.caching.delay": 300},
            "/public": {"tools.cors.on": True, "tools.cors.origins": [allowed_origin]},
            "/bank": {"tools.csrf.on": True, "tools.csrf.secret": SECRET},
            "/csp/report-only": {"tools.secure_headers.csp_report_only": True},
        }
    )

    @app.route("/api/items", methods=["GET", "PUT", "DELETE"])
    def items(req: pegboard.Request, resp: pegboard.Response) -> Any:
        seen.append(f"{req.method} /api/items {req.headers.get('X-Token', '')}")
        resp.headers["X-Total"] = "2"
        resp.headers["X-Secret"] = "hidden"
        return {"items": ["a", "b"], "method": req.method}

    @app.route("/api/cached")
    def cached(req: pegboard.Request, resp: pegboard.Response) -> Any:
        seen.append("GET /api/cached")
        return {"cached": True}

    @app.route("/api/me")
    @app.route("/public/me")
    def me(req: pegboard.Request, resp: pegboard.Response) -> Any:
        seen.append(f"GET {req.path} {req.cookies.get('who', '')}")
        return {"who": req.cookies.get("who")}

    @app.route("/login")
    def login(req: pegboard.Request, resp: pegboard.Response) -> str:
        resp.set_cookie("who", "ann")
        return "<!DOCTYPE html><title>in</title><p id='in'>signed in</p>"

    @app.route("/bank/transfer", methods=["GET", "POST"])
    def transfer(req: pegboard.Request, resp: pegboard.Response) -> str:
        if req.method == "POST":
            seen.append(f"POST /bank/transfer {req.form.get('amount')}")
            return "<!DOCTYPE html><title>done</title><p id='result'>transferred</p>"
        return (
            "<!DOCTYPE html><title>bank</title>"
            f"<form method='post' action='/bank/transfer'>{csrf_field(req)}"
            "<input name='amount' value='10'><button id='go'>Send</button></form>"
        )

    @app.route("/csp")
    @app.route("/csp/report-only")
    def csp_page(req: pegboard.Request, resp: pegboard.Response) -> str:
        nonce = csp_nonce(req)
        return (
            "<!DOCTYPE html><title>csp</title>"
            "<p id='with'>not run</p><p id='without'>not run</p><p id='violations'></p>"
            f"<script nonce='{nonce}'>"
            "document.addEventListener('securitypolicyviolation', e => {"
            " document.getElementById('violations').textContent += e.disposition + ' ';});"
            "document.getElementById('with').textContent = 'ran';</script>"
            "<script>document.getElementById('without').textContent = 'ran';</script>"
        )

    return app


def _other_app() -> pegboard.App:
    """Plain pages with no tools on: a blank page for scripts, and forged forms."""
    app = pegboard.App({})

    @app.route("/")
    def blank(req: pegboard.Request, resp: pegboard.Response) -> str:
        return "<!DOCTYPE html><title>other origin</title><p>other</p>"

    @app.route("/forged")
    def forged(req: pegboard.Request, resp: pegboard.Response) -> str:
        target = req.query["target"]
        return (
            "<!DOCTYPE html><title>forged</title>"
            f"<form method='post' action='{target}/bank/transfer'>"
            "<input name='amount' value='9999'><button id='go'>Win a prize</button></form>"
        )

    return app


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    started = Servers().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def browser(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (it is in the dev dependencies: uv sync)")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            unavailable(f"{binary} not found: run bash .ci/install-browser")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-security')}")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def seen(servers: Servers) -> list[str]:
    """What the target's handlers saw during this test."""
    servers.seen.clear()
    return servers.seen


def _fetch(browser: Any, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """``fetch(url, options)`` in the current page: what a script could read, or its error."""
    result: dict[str, Any] = browser.execute_async_script(
        "const [url, options, done] = arguments;"
        "fetch(url, options).then(r => r.text().then(body => done({"
        " ok: true, status: r.status, body: body,"
        " total: r.headers.get('X-Total'), secret: r.headers.get('X-Secret')})))"
        ".catch(e => done({ok: false, error: String(e)}));",
        url,
        options or {},
    )
    return result


def _text(browser: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    element = WebDriverWait(browser, WAIT).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )
    return str(element.text)


# -- cors ------------------------------------------------------------------------------------


def test_a_simple_request_from_an_allowed_origin_is_read_with_exposed_headers_only(
    browser: Any, servers: Servers, seen: list[str]
) -> None:
    browser.get(servers.same_site + "/")
    got = _fetch(browser, servers.url + "/api/items")
    assert got["ok"] is True, got
    assert json.loads(got["body"]) == {"items": ["a", "b"], "method": "GET"}
    assert got["total"] == "2"  # exposed
    assert got["secret"] is None  # sent, but not exposed to the script
    assert seen == ["GET /api/items "]


def test_another_origin_cannot_read_the_answer(
    browser: Any, servers: Servers, seen: list[str]
) -> None:
    browser.get(servers.cross_site + "/")
    got = _fetch(browser, servers.url + "/api/items")
    assert got == {"ok": False, "error": "TypeError: Failed to fetch"}
    assert seen == ["GET /api/items "]  # a simple request is sent; its answer is not shared


def test_a_preflighted_request_is_sent_only_after_an_allowed_preflight(
    browser: Any, servers: Servers, seen: list[str]
) -> None:
    browser.get(servers.same_site + "/")
    put = {
        "method": "PUT",
        "headers": {"Content-Type": "application/json", "X-Token": "t1"},
        "body": "{}",
    }
    got = _fetch(browser, servers.url + "/api/items", put)
    assert got["ok"] is True and json.loads(got["body"])["method"] == "PUT", got
    assert seen == ["PUT /api/items t1"]  # the preflight itself never reached the handler

    seen.clear()
    refused = _fetch(browser, servers.url + "/api/items", {"method": "DELETE"})
    assert refused == {"ok": False, "error": "TypeError: Failed to fetch"}
    assert seen == []  # the browser never sent the DELETE

    unknown_header = {"method": "PUT", "headers": {"X-Other": "1"}}
    assert _fetch(browser, servers.url + "/api/items", unknown_header)["ok"] is False
    assert seen == []


def test_credentials_are_shared_only_where_the_path_allows_them(
    browser: Any, servers: Servers, seen: list[str]
) -> None:
    browser.get(servers.url + "/login")
    assert _text(browser, "in") == "signed in"
    browser.get(servers.same_site + "/")
    with_cookie = _fetch(browser, servers.url + "/api/me", {"credentials": "include"})
    assert with_cookie["ok"] is True, with_cookie
    assert json.loads(with_cookie["body"]) == {"who": "ann"}

    without = _fetch(browser, servers.url + "/public/me", {"credentials": "include"})
    assert without == {"ok": False, "error": "TypeError: Failed to fetch"}
    assert "GET /public/me ann" in seen  # sent with the cookie; the answer withheld
    assert _fetch(browser, servers.url + "/public/me")["ok"] is True  # no credentials: fine


def test_a_cached_answer_for_one_origin_is_never_served_to_another(
    browser: Any, servers: Servers, seen: list[str]
) -> None:
    browser.get(servers.cross_site + "/")
    assert _fetch(browser, servers.url + "/api/cached")["ok"] is False  # not allowed, and cached
    browser.get(servers.same_site + "/")
    got = _fetch(browser, servers.url + "/api/cached")
    assert got["ok"] is True, got  # a cache keyed without Origin would hand it the first answer
    again = _fetch(browser, servers.url + "/api/cached", {"cache": "no-store"})
    assert again["ok"] is True
    assert seen == ["GET /api/cached", "GET /api/cached"]  # one per origin, then a hit


# -- secure_headers: the CSP nonce -------------------------------------------------------------


def test_only_the_inline_script_with_the_nonce_runs(browser: Any, servers: Servers) -> None:
    browser.get(servers.url + "/csp")
    assert _text(browser, "with") == "ran"
    assert _text(browser, "without") == "not run"
    assert _text(browser, "violations") == "enforce"


def test_report_only_runs_both_and_reports_the_one_without_the_nonce(
    browser: Any, servers: Servers
) -> None:
    browser.get(servers.url + "/csp/report-only")
    assert _text(browser, "with") == "ran"
    assert _text(browser, "without") == "ran"
    assert _text(browser, "violations") == "report"


# -- csrf: Sec-Fetch-Site as the browser sends it ----------------------------------------------


def test_a_form_of_the_site_itself_passes(browser: Any, servers: Servers, seen: list[str]) -> None:
    from selenium.webdriver.common.by import By

    browser.get(servers.url + "/bank/transfer")
    browser.find_element(By.ID, "go").click()
    assert _text(browser, "result") == "transferred"
    assert seen == ["POST /bank/transfer 10"]


@pytest.mark.parametrize("where", ["cross_site", "same_site"])
def test_a_form_posted_from_another_site_or_origin_is_refused(
    browser: Any, servers: Servers, seen: list[str], where: str
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{getattr(servers, where)}/forged?target={servers.url}")
    browser.find_element(By.ID, "go").click()
    assert _text(browser, "refusal") == "Request refused"
    expected = "cross-site" if where == "cross_site" else "same-site"
    assert f"Sec-Fetch-Site: {expected}" in browser.find_element(By.TAG_NAME, "p").text
    assert seen == []


def test_a_no_cors_post_from_another_site_is_refused_before_the_handler(
    browser: Any, servers: Servers, seen: list[str]
) -> None:
    browser.get(servers.cross_site + "/")
    form = {"method": "POST", "mode": "no-cors", "body": "amount=5"}
    form["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    got = _fetch(browser, servers.url + "/bank/transfer", form)
    # The server refused it (nothing seen), and the browser does not even hand the script an
    # opaque answer: secure_headers' Cross-Origin-Resource-Policy (same-site) blocks it.
    assert got == {"ok": False, "error": "TypeError: Failed to fetch"}
    assert seen == []
