"""Real clients over a real socket: requests, httpx and ``curl --digest`` log in; replays fail."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest
import requests
from requests.auth import HTTPDigestAuth

import pegboard_auth_digest
from pegboard import App
from pegboard.testing.live import LiveServer

from .conftest import KEY

USER, PASSWORD = "Mufasa", "Circle of Life"


@pytest.fixture(scope="module")
def base_url():
    """One server for the module (each live server costs a second to stop).

    "/" offers SHA-256 and MD5; "/sha" only SHA-256; "/md5" only MD5.
    """
    common = {
        "tools.auth_digest.on": True,
        "tools.auth_digest.realm": "zoo",
        "tools.auth_digest.key": KEY,
        "tools.auth_digest.users": {USER: PASSWORD},
        "tools.auth_digest.qop": ["auth", "auth-int"],
    }
    app = App(
        {
            "/": common,
            "/sha": {"tools.auth_digest.algorithms": ["SHA-256"]},
            "/md5": {"tools.auth_digest.algorithms": ["MD5"]},
        },
        plugins=[pegboard_auth_digest],
        discover=False,
    )
    for path in ("/", "/dir/index.html", "/sha/page", "/md5/page"):
        app.route(path, lambda req, resp: f"login={req.login}")
    app.route("/echo", lambda req, resp: b"got " + req.body.read())
    with LiveServer(app) as server:
        yield server.url


def algorithm_of(authorization: str) -> str:
    return authorization.split("algorithm=", 1)[1].split(",", 1)[0].strip('"')


@pytest.mark.parametrize(
    ("path", "algorithms"),
    [
        ("/dir/index.html?page=2", ["SHA-256", "MD5"]),
        ("/sha/page", ["SHA-256"]),
        ("/md5/page", ["MD5"]),
    ],
)
def test_requests_digest(base_url, path, algorithms):
    url = base_url + path
    with requests.Session() as session:
        ok = session.get(url, auth=HTTPDigestAuth(USER, PASSWORD), timeout=10)
        assert ok.status_code == 200
        assert ok.text == "login=Mufasa"
        authorization = ok.request.headers["Authorization"]
        # requests answers the last challenge it sees; that is the weakest one offered.
        assert algorithm_of(authorization) == algorithms[-1]
        # The same header sent again is a replay (same nonce, same nc).
        replay = session.get(url, headers={"Authorization": authorization}, timeout=10)
        assert replay.status_code == 401
        bad = session.get(url, auth=HTTPDigestAuth(USER, "circle of life"), timeout=10)
        assert bad.status_code == 401


def test_httpx_digest_keeps_counting_on_one_nonce(base_url):
    base = base_url
    with httpx.Client(auth=httpx.DigestAuth(USER, PASSWORD), timeout=10) as client:
        first = client.get(base + "/")
        assert first.status_code == 200
        assert first.text == "login=Mufasa"
        authorization = first.request.headers["Authorization"]
        assert algorithm_of(authorization) == "SHA-256"  # httpx takes the first, strongest
        # httpx reuses the nonce with nc=2, 3...: each is accepted once.
        for _ in range(3):
            again = client.get(base + "/dir/index.html")
            assert again.status_code == 200
            assert len(again.history) == 0  # no new 401 round trip
    replay = httpx.get(base + "/", headers={"Authorization": authorization}, timeout=10)
    assert replay.status_code == 401
    bad = httpx.get(base + "/", auth=httpx.DigestAuth(USER, "wrong"), timeout=10)
    assert bad.status_code == 401


def _curl(*args: str) -> subprocess.CompletedProcess[str]:
    curl = shutil.which("curl")
    assert curl is not None, "curl is needed for this test"
    return subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--write-out",
            "\n%{http_code}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )


def _code_and_body(done: subprocess.CompletedProcess[str]) -> tuple[int, str]:
    body, _, code = done.stdout.rpartition("\n")
    return int(code), body


def test_curl_digest(base_url):
    url = base_url + "/dir/index.html?q=1"
    done = _curl("--verbose", "--digest", "--user", f"{USER}:{PASSWORD}", url)
    assert _code_and_body(done) == (200, "login=Mufasa")
    sent = [line[2:] for line in done.stderr.splitlines() if line.startswith("> Authorization: ")]
    assert len(sent) == 1
    authorization = sent[0].split(": ", 1)[1]
    assert algorithm_of(authorization) == "SHA-256"
    code, _ = _code_and_body(_curl("--header", f"Authorization: {authorization}", url))
    assert code == 401  # replayed
    code, _ = _code_and_body(_curl("--digest", "--user", f"{USER}:wrong", url))
    assert code == 401


def test_curl_digest_post_with_a_body(base_url):
    url = base_url + "/echo"
    done = _curl("--digest", "--user", f"{USER}:{PASSWORD}", "--data-binary", "payload=1", url)
    assert _code_and_body(done) == (200, "got payload=1")
