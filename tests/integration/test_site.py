"""The example site (examples/site), page by page: in-process and over a real socket.

In-process calls go through the test client (every response checked by
wsgiref.validate); the live tests run the same site under waitress and talk to
it with httpx and curl, as a user's client would.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import secrets
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import brotli
import httpx
import psycopg
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

import pegboard

from .conftest import SITE_DIR

STATIC = SITE_DIR / "static"
MANIFEST = json.loads((SITE_DIR / "static-manifest.json").read_text())
CSS_NAME = MANIFEST["app.css"]
CSS_URL = f"/static/{CSS_NAME}"
CSS_BYTES = (STATIC / CSS_NAME).read_bytes()

# The demo credentials of site.toml.
ADMIN = ("admin", "demo-admin-password")
MONITOR = ("monitor", "demo-monitor-password")
ADMIN_REALM = "pegboard example admin"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-site",
}
#: The tools of pegboard-http the site uses: a few of them (request_id,
#: access_log, trailing_slash); secure_headers writes its security headers.
HTTP_TOOLS_USED = {"request_id", "access_log", "trailing_slash"}
#: The one origin whose scripts may use the notes API (tools.cors in site.toml).
NOTES_CLIENT = "https://notes.example"
NONCE = re.compile(r"'nonce-([A-Za-z0-9+/]{24})'")


def visits(html: str) -> int:
    found = re.search(r'id="visits">(\d+)<', html)
    assert found, html
    return int(found.group(1))


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def digest(challenge: str, method: str, uri: str, user: str, password: str) -> dict[str, str]:
    """An RFC 7616 SHA-256 ``Authorization`` header answering ``challenge``."""
    pairs = re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', challenge)
    params = {key: quoted or bare for key, quoted, bare in pairs}
    assert params["algorithm"] == "SHA-256", challenge

    def h(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    cnonce, nc = secrets.token_hex(8), "00000001"
    ha1 = h(f"{user}:{params['realm']}:{password}")
    ha2 = h(f"{method}:{uri}")
    response = h(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    value = (
        f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{uri}", algorithm=SHA-256, qop=auth, nc={nc}, cnonce="{cnonce}", '
        f'response="{response}"'
    )
    return {"Authorization": value}


# -- every page --------------------------------------------------------------------


PAGES = ["/", "/report", "/about/", "/api/notes", CSS_URL, "/robots.txt", "/admin", "/nowhere"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_has_security_headers_and_a_request_id(
    site: pegboard.App, make_client: Any, path: str
) -> None:
    result = make_client(site).get(path)
    assert result.status in (200, 401, 404)
    for name, value in SECURITY_HEADERS.items():
        assert result.headers[name] == value
    assert "default-src 'self'" in result.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in result.headers["Content-Security-Policy"]
    assert re.fullmatch(r"[0-9a-f]{32}", result.headers["X-Request-Id"])
    assert re.fullmatch(r"\d+\.\d{3}ms", result.headers["X-Response-Time"])


@pytest.mark.parametrize("path", ["/", "/report", "/api/notes", CSS_URL, "/account"])
def test_head_answers_without_a_body(site: pegboard.App, make_client: Any, path: str) -> None:
    result = make_client(site).head(path)
    assert result.status == 200
    assert result.body == b""
    assert int(result.headers["Content-Length"]) > 0


def test_every_installed_tool_is_switched_on_somewhere(site: pegboard.App) -> None:
    site.compile()
    used = {name for plan in site.plans() for name in plan.tools}
    for tool in site.tools:
        if tool.distribution == "pegboard-http":
            assert (tool.name in used) == (tool.name in HTTP_TOOLS_USED), tool.name
        else:
            assert tool.name in used, f"{tool.name} ({tool.distribution}) is on nowhere"


def test_access_log_names_each_request_by_its_id(
    site: pegboard.App, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="pegboard.access"):
        result = make_client(site).get("/robots.txt", headers={"User-Agent": "site-test/1"})
    [line] = [r.getMessage() for r in caplog.records if r.name == "pegboard.access"]
    assert '"GET /robots.txt HTTP/1.1" 200 ' in line
    assert '"site-test/1"' in line
    assert line.endswith(f'"{result.headers["X-Request-Id"]}"')


# -- sessions: the visit counter ------------------------------------------------------


def test_home_counts_visits_per_session(site: pegboard.App, make_client: Any) -> None:
    browser = make_client(site)
    first = browser.get("/")
    assert first.status == 200
    assert visits(first.text) == 1
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("session_id=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Cookie" in first.headers["Vary"]
    assert visits(browser.get("/").text) == 2
    assert visits(browser.get("/").text) == 3
    assert visits(make_client(site).get("/").text) == 1  # another browser, another session
    assert CSS_URL in first.text  # the page links the hashed stylesheet


def test_pages_that_do_not_use_the_session_set_no_cookie(
    site: pegboard.App, make_client: Any
) -> None:
    for path in ("/about/", "/api/notes", "/report", CSS_URL):
        result = make_client(site).get(path)
        assert "Set-Cookie" not in result.headers, path
        assert "Cookie" not in result.headers.get("Vary", ""), path


def test_html_is_gzipped_for_clients_that_accept_it(site: pegboard.App, make_client: Any) -> None:
    result = make_client(site).get("/about/", headers={"Accept-Encoding": "gzip"})
    assert result.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in result.headers["Vary"]
    assert b"About this site" in gzip.decompress(result.body)


# -- trailing_slash and the about page -------------------------------------------------


def test_about_without_its_slash_redirects(site: pegboard.App, make_client: Any) -> None:
    result = make_client(site).get("/about?x=1")
    assert result.status == 301
    assert result.headers["Location"] == "http://localhost/about/?x=1"


def test_about_lists_routes_with_their_tools(site: pegboard.App, make_client: Any) -> None:
    html = make_client(site).get("/about/").text
    row = re.search(r"<code>route /report</code></td><td>([^<]*)</td>", html)
    assert row, html
    assert {"caching", "expires", "last_modified", "gzip"} <= set(row.group(1).split(", "))


# -- /account: the form login (session_auth) -------------------------------------------


def form_field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: Any, user: str = "alice", password: str = "demo-alice-password") -> Any:
    form = client.get("/account").text
    return client.post(
        "/account/do_login",
        data={
            "username": user,
            "password": password,
            "from_page": form_field(form, "from_page"),
            "csrf_token": form_field(form, "csrf_token"),
        },
    )


def test_account_shows_the_sign_in_form_to_anonymous_visitors(
    site: pegboard.App, make_client: Any
) -> None:
    result = make_client(site).get("/account")
    assert result.status == 200
    assert result.headers["Cache-Control"] == "no-store"
    assert (
        '<form class="stacked" id="login" method="post" action="/account/do_login">' in result.text
    )
    assert form_field(result.text, "from_page") == "/account"
    assert re.fullmatch(r"[\w-]{43}", form_field(result.text, "csrf_token"))
    assert CSS_URL in result.text  # the site's own layout (login_screen option)


def test_sign_in_keeps_the_user_in_the_session_and_sign_out_ends_it(
    site: pegboard.App, make_client: Any
) -> None:
    client = make_client(site)
    assert visits(client.get("/").text) == 1
    anonymous_id = client.cookie("session_id")
    signed_in = sign_in(client)
    assert signed_in.status == 303
    assert signed_in.headers["Location"] == "http://localhost/account"
    assert client.cookie("session_id") != anonymous_id  # a new id at login (no fixation)
    account = client.get("/account")
    assert 'id="account-user">Signed in as <strong>alice</strong>' in account.text
    assert account.headers["Cache-Control"] == "no-store"
    assert client.get("/account").status == 200  # a reload: still signed in
    home = client.get("/")
    assert visits(home.text) == 2  # the session's data survived the new id
    assert "You are signed in as <strong>alice</strong>." in home.text

    signed_out = client.post(
        "/account/do_logout",
        data={"from_page": "/", "csrf_token": form_field(account.text, "csrf_token")},
    )
    assert signed_out.status == 303
    assert signed_out.headers["Location"] == "http://localhost/"
    assert "Max-Age=0" in signed_out.headers["Set-Cookie"]
    assert client.cookie("session_id") is None
    assert 'id="login"' in client.get("/account").text
    assert visits(client.get("/").text) == 1  # a new session


@pytest.mark.parametrize(
    ("user", "password"), [("alice", "wrong"), ("mallory", "demo-alice-password"), ("bob", "")]
)
def test_sign_in_refused(site: pegboard.App, make_client: Any, user: str, password: str) -> None:
    client = make_client(site)
    refused = sign_in(client, user, password)
    assert refused.status in (400, 403)
    assert 'class="error" role="alert"' in refused.text
    assert 'id="login"' in client.get("/account").text  # still anonymous


def test_sign_in_is_rate_limited_before_any_password_is_checked(
    site: pegboard.App, make_client: Any
) -> None:
    guesser = make_client(site)
    assert [sign_in(guesser, "alice", f"guess {n}").status for n in range(5)] == [403] * 5
    limited = sign_in(guesser)  # the right password, refused all the same: it is not looked at
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "12"  # 5/minute: one more every 12 s
    assert limited.headers["RateLimit"].startswith('"login 5/60s per ip";r=0;t=12, ')
    for name, value in SECURITY_HEADERS.items():
        assert limited.headers[name] == value  # the 429 is an error page like any other
    assert 'id="login"' in guesser.get("/account").text  # still anonymous
    # The limit is the guesser's address; another client signs in.
    assert sign_in(make_client(site, remote_addr="192.0.2.20")).status == 303


def test_sign_in_needs_the_forms_csrf_token(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    client.get("/account")
    forged = client.post(
        "/account/do_login",
        data={"username": "alice", "password": "demo-alice-password", "csrf_token": "x" * 43},
    )
    assert forged.status == 403
    assert "has expired or was not sent by this site" in forged.text
    assert 'id="login"' in client.get("/account").text
    assert make_client(site).get("/account/do_login").status == 405


def test_account_forms_posted_from_another_site_are_refused(
    site: pegboard.App, make_client: Any
) -> None:
    client = make_client(site)
    form = client.get("/account").text
    login = {
        "username": "alice",
        "password": "demo-alice-password",
        "from_page": "/account",
        "csrf_token": form_field(form, "csrf_token"),
    }
    forged = client.post("/account/do_login", data=login, headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status == 403
    assert "Request refused" in forged.text
    assert 'id="login"' in client.get("/account").text  # not signed in
    own = client.post("/account/do_login", data=login, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status == 303


# -- secure_headers: the CSP nonce of the pages ----------------------------------------------


def test_pages_carry_a_csp_nonce_and_the_cached_report_none(
    site: pegboard.App, make_client: Any
) -> None:
    client = make_client(site)
    nonces = set()
    for path in ("/", "/about/", "/account"):
        result = client.get(path)
        found = NONCE.findall(result.headers["Content-Security-Policy"])
        assert len(set(found)) == 1, (path, result.headers["Content-Security-Policy"])
        assert f'<script nonce="{found[0]}">' in result.text
        nonces.add(found[0])
    assert len(nonces) == 3  # one per response
    client.get("/report")
    report = client.get("/report")
    assert "nonce" not in report.headers["Content-Security-Policy"]
    assert "<script" not in report.text
    assert report.headers["Cache-Status"].startswith("pegboard; hit")


# -- cors: the notes API for one named origin -------------------------------------------------


def test_the_notes_api_is_shared_with_the_named_origin_only(
    site: pegboard.App, make_client: Any
) -> None:
    client = make_client(site)
    shared = client.get("/api/notes", headers={"Origin": NOTES_CLIENT})
    assert shared.headers["Access-Control-Allow-Origin"] == NOTES_CLIENT
    assert shared.headers["Access-Control-Expose-Headers"] == "ETag, Location"
    assert "Origin" in shared.headers["Vary"]
    other = client.get("/api/notes", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/api/notes",
        headers={
            "Origin": NOTES_CLIENT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST, DELETE"
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
    refused = client.options(
        "/api/notes",
        headers={"Origin": NOTES_CLIENT, "Access-Control-Request-Method": "PUT"},
    )
    assert refused.status == 403
    assert refused.headers["Content-Type"] == "application/problem+json"


# -- /admin: HTTP Digest ------------------------------------------------------------------


def test_admin_asks_for_digest_credentials(site: pegboard.App, make_client: Any) -> None:
    result = make_client(site).get("/admin")
    assert result.status == 401
    challenges = result.headers.get_all("WWW-Authenticate")
    assert challenges[0].startswith(f'Digest realm="{ADMIN_REALM}"')
    assert "algorithm=SHA-256" in challenges[0]
    assert "Authorization" in result.headers["Vary"]


def test_admin_with_digest_credentials(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    challenge = client.get("/admin").headers.get_all("WWW-Authenticate")[0]
    result = client.get("/admin", headers=digest(challenge, "GET", "/admin", *ADMIN))
    assert result.status == 200
    assert 'id="admin-user">Digest login: <strong>admin</strong>' in result.text
    assert "rspauth=" in result.headers["Authentication-Info"]
    wrong = client.get("/admin", headers=digest(challenge, "GET", "/admin", "admin", "guess"))
    assert wrong.status == 401


def test_admin_empties_the_page_cache(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    client.get("/report")
    assert client.get("/report").headers["Cache-Status"].startswith("pegboard; hit")
    challenge = client.get("/admin").headers.get_all("WWW-Authenticate")[0]
    page = client.get("/admin", headers=digest(challenge, "GET", "/admin", *ADMIN))
    token = form_field(page.text, "csrf_token")
    uri = "/admin/purge-cache"
    challenge = client.get("/admin").headers.get_all("WWW-Authenticate")[0]
    forged = client.post(uri, headers=digest(challenge, "POST", uri, *ADMIN))
    assert forged.status == 403  # the right credentials, but no token: csrf refuses
    assert "Request refused" in forged.text
    challenge = client.get("/admin").headers.get_all("WWW-Authenticate")[0]
    purge = client.post(
        uri, headers=digest(challenge, "POST", uri, *ADMIN), data={"csrf_token": token}
    )
    assert purge.status == 303
    assert purge.headers["Location"] == "http://localhost/admin?purged=1"
    assert "uri-miss" in client.get("/report").headers["Cache-Status"]
    assert client.post(uri).status == 401  # no credentials, nothing purged


# -- /metrics: HTTP Basic -----------------------------------------------------------------


def test_metrics_need_basic_credentials(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    refused = client.get("/metrics")
    assert refused.status == 401
    assert refused.headers["WWW-Authenticate"].startswith('Basic realm="pegboard example metrics"')
    assert client.get("/metrics", headers=basic("monitor", "nope")).status == 401
    client.get("/api/notes")
    result = client.get("/metrics", headers=basic(*MONITOR))
    assert result.status == 200
    assert result.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {
        (sample.name, sample.labels.get("route"), sample.labels.get("status")): sample.value
        for family in text_string_to_metric_families(result.text)
        for sample in family.samples
    }
    assert samples[("pegboard_requests_total", "/api/notes", "2xx")] == 1
    # the refused ones; no route serves /metrics (the tool does): its section names it
    assert samples[("pegboard_requests_total", "(no route) /metrics", "4xx")] == 2
    # the monitor sees it from anywhere: auth_basic on the path replaces the loopback rule
    outside = make_client(site, remote_addr="198.51.100.7")
    assert outside.get("/metrics", headers=basic(*MONITOR)).status == 200


# -- /admin/stats: the statistics page, behind the Digest login ------------------------------


def test_the_statistics_page_needs_the_admin_login(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    client.get("/api/notes")
    assert client.get("/admin/stats").status == 401

    def login(method: str, uri: str) -> dict[str, str]:  # a fresh nonce for each request
        challenge = client.get("/admin").headers.get_all("WWW-Authenticate")[0]
        return digest(challenge, method, uri, *ADMIN)

    page = client.get("/admin/stats", headers=login("GET", "/admin/stats"))
    assert page.status == 200
    assert "<h2>pegboard Requests" in page.text and "<svg" in page.text
    assert "Content-Security-Policy" in page.headers  # the page needs no inline style or script
    uri = "/admin/stats/data"
    data = client.get(uri, headers=login("GET", uri)).json()
    assert data["pegboard Requests"]["Routes"]["GET /api/notes 2xx"]["Requests"] == 1
    assert data["Example Notes"]["Notes"] == 3  # the site's own namespace, extrapolated
    css = "/admin/stats/stats.css"
    assert client.get(css, headers=login("GET", css)).status == 200


# -- the JSON API -------------------------------------------------------------------------


def test_api_lists_notes_with_an_etag_and_answers_304(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    listing = client.get("/api/notes")
    assert listing.status == 200
    assert listing.headers["Content-Type"] == "application/json"
    assert [n["id"] for n in listing.json()["notes"]] == [1, 2, 3]
    tag = listing.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    again = client.get("/api/notes", headers={"If-None-Match": tag})
    assert again.status == 304
    assert again.body == b""
    assert again.headers["ETag"] == tag


def test_api_etag_follows_the_coding(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    plain = client.get("/api/notes").headers["ETag"]
    zipped = client.get("/api/notes", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["ETag"] == plain[:-1] + '-gzip"'
    assert json.loads(gzip.decompress(zipped.body))["notes"][0]["id"] == 1
    revalidated = client.get(
        "/api/notes",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert revalidated.status == 304
    assert revalidated.headers["ETag"] == zipped.headers["ETag"]


def test_api_creates_reads_and_deletes_a_note(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    before = client.get("/api/notes").headers["ETag"]
    created = client.post("/api/notes", json={"text": "  buy milk "})
    assert created.status == 201
    assert created.headers["Location"] == "http://localhost/api/notes/4"
    note = created.json()
    assert note["id"] == 4 and note["text"] == "buy milk"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", note["created"])
    assert client.get("/api/notes/4").json() == note
    # The list changed, so the old tag no longer gets a 304.
    changed = client.get("/api/notes", headers={"If-None-Match": before})
    assert changed.status == 200 and changed.headers["ETag"] != before
    assert client.delete("/api/notes/4").status == 204
    gone = client.get("/api/notes/4")
    assert gone.status == 404
    assert gone.headers["Content-Type"] == "application/problem+json"
    assert gone.json()["detail"] == "No note 4."


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        (b'{"text": ', "application/json", 400, "Invalid JSON at line 1"),
        (b'{"text": ""}', "application/json", 422, '"text" must be a non-empty string.'),
        (b'["a list"]', "application/json", 422, "Expected a JSON object"),
        (b'{"text": "x", "id": 7}', "application/json", 422, "Unknown member(s): id."),
        (b"text=hello", "application/x-www-form-urlencoded", 415, "Expected a JSON body"),
        (b'{"text": "' + b"x" * 5000 + b'"}', "application/json", 413, ""),
    ],
)
def test_api_refuses_bad_bodies_with_problem_details(
    site: pegboard.App,
    make_client: Any,
    body: bytes,
    content_type: str,
    status: int,
    detail: str,
) -> None:
    client = make_client(site)
    result = client.post("/api/notes", body=body, headers={"Content-Type": content_type})
    assert result.status == status
    assert result.headers["Content-Type"] == "application/problem+json"
    problem = result.json()
    assert problem["status"] == status
    assert problem["detail"].startswith(detail)
    assert len(client.get("/api/notes").json()["notes"]) == 3  # nothing was added


def test_api_method_not_allowed(site: pegboard.App, make_client: Any) -> None:
    result = make_client(site).put("/api/notes/1", json={"text": "x"})
    assert result.status == 405
    assert result.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS"
    assert result.json()["status"] == 405


def test_api_is_rate_limited_per_client_address(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    answers = [client.get("/api/notes") for _ in range(40)]
    statuses = [a.status for a in answers]
    assert statuses[:20] == [200] * 20  # a burst of 20, then 10 a second
    assert 429 in statuses
    policy = '"api 20/2s per ip";q=20;w=2, "api 1000/3600s per ip";q=1000;w=3600'
    assert answers[0].headers["RateLimit-Policy"] == policy
    assert answers[0].headers["RateLimit"].startswith('"api 20/2s per ip";r=19;t=1, ')
    refused = answers[statuses.index(429)]
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert refused.json()["detail"] == "Too many requests: try again in 1 second."
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["RateLimit-Policy"] == policy
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-Id"])
    assert make_client(site, remote_addr="192.0.2.9").get("/api/notes").status == 200


# -- the cached report -----------------------------------------------------------------


def test_report_is_answered_from_the_cache(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    miss = client.get("/report")
    assert miss.status == 200
    assert miss.headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
    assert "Last-Modified" in miss.headers and "Expires" in miss.headers
    hit = client.get("/report")
    assert re.fullmatch(r"pegboard; hit; ttl=(59|60)", hit.headers["Cache-Status"])
    assert hit.body == miss.body  # the same "Generated at" time
    assert "request id" not in hit.text  # a body shared by many requests names none
    assert "<td>2,000,000</td><td>148,933</td>" in hit.text
    # Each answer names its own request, hit or not.
    assert hit.headers["X-Request-Id"] != miss.headers["X-Request-Id"]
    since = client.get("/report", headers={"If-Modified-Since": miss.headers["Last-Modified"]})
    assert since.status == 304
    assert since.headers["Cache-Status"].startswith("pegboard; hit")


def test_report_variants_per_coding(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    plain = client.get("/report")
    zipped = client.get("/report", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Cache-Status"] == "pegboard; fwd=vary-miss; stored"
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body).count(b"<tr>") == plain.body.count(b"<tr>")
    again = client.get("/report", headers={"Accept-Encoding": "gzip"})
    assert again.headers["Cache-Status"].startswith("pegboard; hit")
    assert again.body == zipped.body


# -- static files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "coding", "decode"),
    [
        (None, None, lambda b: b),
        ("gzip", "gzip", gzip.decompress),
        ("gzip, deflate, br, zstd", "br", brotli.decompress),
        ("br;q=0.5, gzip", "gzip", gzip.decompress),
    ],
)
def test_stylesheet_precompressed_by_accept_encoding(
    site: pegboard.App, make_client: Any, accept: str | None, coding: str | None, decode: Any
) -> None:
    headers = {"Accept-Encoding": accept} if accept else {}
    result = make_client(site).get(CSS_URL, headers=headers)
    assert result.status == 200
    assert result.headers.get("Content-Encoding") == coding
    assert result.headers["Content-Type"] == "text/css; charset=utf-8"
    assert result.headers["Vary"] == "Accept-Encoding"
    assert result.headers["Cache-Control"] == "max-age=31536000, immutable"
    assert decode(result.body) == CSS_BYTES
    if coding:
        assert len(result.body) < len(CSS_BYTES)


def test_each_coding_has_its_own_etag(site: pegboard.App, make_client: Any) -> None:
    client = make_client(site)
    tags = {
        accept: client.get(CSS_URL, headers={"Accept-Encoding": accept}).headers["ETag"]
        for accept in ("identity", "gzip", "br")
    }
    assert len(set(tags.values())) == 3, tags
    revalidated = client.get(
        CSS_URL, headers={"Accept-Encoding": "br", "If-None-Match": tags["br"]}
    )
    assert revalidated.status == 304
    crossed = client.get(CSS_URL, headers={"Accept-Encoding": "gzip", "If-None-Match": tags["br"]})
    assert crossed.status == 200 and crossed.headers["Content-Encoding"] == "gzip"


def test_unhashed_static_files_are_not_immutable(site: pegboard.App, make_client: Any) -> None:
    icon = make_client(site).get("/static/favicon.svg")
    assert icon.status == 200
    assert icon.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert icon.headers["Cache-Control"] == "max-age=3600"
    robots = make_client(site).get("/robots.txt", headers={"Accept-Encoding": "gzip"})
    assert robots.status == 200
    assert robots.headers["Content-Encoding"] == "gzip"  # the committed .gz sibling (staticfile)
    assert gzip.decompress(robots.body) == (STATIC / "robots.txt").read_bytes()


@pytest.mark.parametrize(
    "path", ["/static/../site.toml", "/static/%2e%2e/site.toml", "/static/..%252fsite.toml"]
)
def test_static_never_serves_outside_its_folder(
    site: pegboard.App, make_client: Any, path: str
) -> None:
    result = make_client(site).get(path)
    assert result.status in (400, 404)
    assert b"auth_digest" not in result.body


def test_committed_static_files_match_their_sources() -> None:
    """The hashed name is the hash of the source, and the siblings are fresh copies."""
    source = (SITE_DIR / "assets" / "app.css").read_bytes()
    assert source == CSS_BYTES
    digest_hex = hashlib.sha256(source).hexdigest()
    stem, hashed, ext = CSS_NAME.split(".")
    assert (stem, ext) == ("app", "css") and digest_hex.startswith(hashed)
    for path in sorted(p for p in STATIC.iterdir() if p.suffix not in (".br", ".gz")):
        data = path.read_bytes()
        for suffix, decode in ((".br", brotli.decompress), (".gz", gzip.decompress)):
            sibling = Path(f"{path}{suffix}")
            if sibling.exists():
                assert decode(sibling.read_bytes()) == data, sibling.name
    assert sorted(p.name for p in STATIC.glob("app.*")) == [
        CSS_NAME,
        f"{CSS_NAME}.br",
        f"{CSS_NAME}.gz",
    ]


# -- the same site on Redis and PostgreSQL (redis.toml, postgresql.toml) ----------------


def _overlay(name: str) -> dict[str, Any]:
    """One of the site's overlay files, checked to hold only the lines the README shows."""
    overlay = tomllib.loads((SITE_DIR / name).read_text())
    assert list(overlay) == ["/"] and list(overlay["/"]) == ["tools"], overlay
    return overlay


def test_redis_toml_moves_sessions_and_cache_to_redis(
    make_site: Any, make_client: Any, redis_server: Any
) -> None:
    overlay = _overlay("redis.toml")
    tools = overlay["/"]["tools"]
    assert tools == {
        "sessions": {"storage_type": "redis", "url": "redis://127.0.0.1:6379/0"},
        "caching": {"backend": "redis"},
        "ratelimit": {"storage": "redis"},
    }
    prefix = f"site-test-{secrets.token_hex(4)}:"
    tools["sessions"].update(url=redis_server.url, key_prefix=f"{prefix}session:")
    tools["caching"].update(url=redis_server.url, key_prefix=f"{prefix}cache:")
    tools["ratelimit"].update(url=redis_server.url, key_prefix=f"{prefix}ratelimit:")
    # Two sites on one Redis stand for two worker processes.
    first, second = make_site(overlay), make_site(overlay)

    browser = make_client(first)
    assert [visits(browser.get("/").text) for _ in range(2)] == [1, 2]
    cookie = {"Cookie": f"session_id={browser.cookie('session_id')}"}
    assert visits(make_client(second).get("/", headers=cookie).text) == 3
    assert "stored" in make_client(first).get("/report").headers["Cache-Status"]
    hit = make_client(second).get("/report")
    assert hit.headers["Cache-Status"].startswith("pegboard; hit")
    # The API's rate limit is one count for both sites: each alone would let all 40
    # through (20 each, its burst); together they refuse once 20 are spent.
    api = [make_client(app).get("/api/notes").status for _ in range(20) for app in (first, second)]
    assert api[:20] == [200] * 20
    assert 429 in api

    store = redis.Redis.from_url(redis_server.url)
    try:
        assert store.keys(f"{prefix}session:*")
        assert store.keys(f"{prefix}cache:*")
        assert store.keys(f"{prefix}ratelimit:*")
    finally:
        store.close()


def test_postgresql_toml_moves_sessions_to_postgresql(
    make_site: Any, make_client: Any, postgresql_server: Any
) -> None:
    overlay = _overlay("postgresql.toml")
    sessions = overlay["/"]["tools"]["sessions"]
    assert sessions["storage_type"] == "postgresql" and set(sessions) == {"storage_type", "dsn"}
    table = f"site_sessions_{secrets.token_hex(4)}"
    sessions.update(dsn=postgresql_server.url, table=table)
    first, second = make_site(overlay), make_site(overlay)

    browser = make_client(first)
    assert [visits(browser.get("/").text) for _ in range(2)] == [1, 2]
    cookie = {"Cookie": f"session_id={browser.cookie('session_id')}"}
    assert visits(make_client(second).get("/", headers=cookie).text) == 3
    with psycopg.connect(postgresql_server.url) as connection:
        [(rows,)] = connection.execute(f"SELECT count(*) FROM {table}").fetchall()
    assert rows == 1


# -- over a real socket ---------------------------------------------------------------------


def test_live_site_with_httpx(site: pegboard.App, live_server: Any) -> None:
    server = live_server(site)
    with httpx.Client(base_url=server.url, timeout=5) as client:
        assert [visits(client.get("/").text) for _ in range(3)] == [1, 2, 3]

        form = client.get("/account").text
        login = client.post(
            "/account/do_login",
            data={
                "username": "bob",
                "password": "demo-bob-password",
                "from_page": "/account",
                "csrf_token": form_field(form, "csrf_token"),
            },
        )
        assert login.status_code == 303 and login.headers["Location"] == f"{server.url}/account"
        assert "Signed in as <strong>bob</strong>" in client.get("/account").text
        assert visits(client.get("/").text) == 4

        assert client.get("/admin").status_code == 401
        admin = client.get("/admin", auth=httpx.DigestAuth(*ADMIN))
        assert admin.status_code == 200
        assert "Digest login: <strong>admin</strong>" in admin.text
        assert client.get("/admin", auth=httpx.DigestAuth("admin", "guess")).status_code == 401
        token = form_field(admin.text, "csrf_token")
        purged = client.post(
            "/admin/purge-cache", auth=httpx.DigestAuth(*ADMIN), data={"csrf_token": token}
        )
        assert purged.status_code == 303

        metrics = client.get("/metrics", auth=httpx.BasicAuth(*MONITOR))
        assert metrics.status_code == 200 and "pegboard_requests_total{" in metrics.text
        stats = client.get("/admin/stats/data", auth=httpx.DigestAuth(*ADMIN))
        assert stats.status_code == 200 and stats.json()["pegboard Requests"]["Total Requests"] > 0

        listing = client.get("/api/notes")
        assert listing.status_code == 200
        tag = listing.headers["ETag"]  # httpx accepts zstd, br, gzip: that coding's tag
        assert tag.endswith(f'-{listing.headers["Content-Encoding"]}"'), tag
        assert client.get("/api/notes", headers={"If-None-Match": tag}).status_code == 304
        created = client.post("/api/notes", json={"text": "from httpx"})
        assert created.status_code == 201
        assert created.headers["Location"] == f"{server.url}/api/notes/4"
        assert client.get("/api/notes", headers={"If-None-Match": tag}).status_code == 200

        first = client.get("/report")
        second = client.get("/report")
        assert "stored" in first.headers["Cache-Status"]
        assert second.headers["Cache-Status"].startswith("pegboard; hit")
        assert second.text == first.text

        about = client.get("/about", follow_redirects=False)
        assert about.status_code == 301 and about.headers["Location"] == f"{server.url}/about/"


def _curl(url: str, *args: str) -> tuple[dict[str, str], bytes]:
    """GET with curl (raw bytes, no decoding); the response headers and body."""
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "5", "-D", "-", *args, url],
        capture_output=True,
        check=True,
    )
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), lines[0]
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    headers[":status"] = lines[0].split()[1]
    return headers, body


def test_live_static_files_with_curl(site: pegboard.App, live_server: Any) -> None:
    server = live_server(site)
    url = server.url + CSS_URL
    tags = set()
    for accept, coding, decode in (
        ("br, gzip", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
        ("identity", None, lambda b: b),
    ):
        headers, body = _curl(url, "-H", f"Accept-Encoding: {accept}")
        assert headers[":status"] == "200"
        assert headers.get("content-encoding") == coding
        assert headers["vary"] == "Accept-Encoding"
        assert headers["cache-control"] == "max-age=31536000, immutable"
        assert int(headers["content-length"]) == len(body)
        assert decode(body) == CSS_BYTES
        tags.add(headers["etag"])
    assert len(tags) == 3
    # curl --compressed asks for what it can decode and decodes it.
    headers, body = _curl(url, "--compressed")
    assert headers["content-encoding"] in ("br", "gzip") and body == CSS_BYTES


# -- XML-RPC and the profiler ------------------------------------------------------------


def test_the_xml_rpc_method_counts_primes_and_refuses_a_huge_limit(
    site: pegboard.App, make_client: Any
) -> None:
    import xmlrpc.client

    client = make_client(site)

    def call(*params: Any) -> Any:
        body = xmlrpc.client.dumps(params, "primes.below").encode()
        result = client.post("/rpc", body=body, headers={"Content-Type": "text/xml"})
        assert result.status == 200
        return xmlrpc.client.loads(result.body)[0][0]

    assert call(100) == 25
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call(10**9)
    assert fault.value.faultCode == 400


def test_a_triggered_request_is_profiled_and_listed_for_local_clients(
    make_site: Any, make_client: Any, tmp_path: Any
) -> None:
    site = make_site({"/": {"tools.profiler.folder": str(tmp_path)}})
    client = make_client(site)
    profiled = client.get("/about/", headers={"X-Profile": "DEMO-ONLY-profile-trigger-replace-me"})
    profile_id = profiled.headers["X-Profile-Id"]
    assert profile_id in client.get("/_profiler").text
    assert make_client(site, remote_addr="203.0.113.7").get("/_profiler").status == 403
