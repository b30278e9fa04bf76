"""Real clients over a real socket: requests' HTTPBasicAuth and ``curl --basic``."""

from __future__ import annotations

import shutil
import subprocess

import bcrypt
import pytest
import requests
from requests.auth import HTTPBasicAuth

import pegboard_auth_basic
from pegboard import App
from pegboard.testing.live import LiveServer

CURL = shutil.which("curl")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module (each live server costs a second to stop)."""
    htpasswd = tmp_path_factory.mktemp("basic-live") / "htpasswd"
    hashed = bcrypt.hashpw("s\u00e9same".encode(), bcrypt.gensalt(4)).decode()
    htpasswd.write_text(f"ali:{hashed}\n", encoding="utf-8")
    app = App(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "cave",
                "tools.auth_basic.htpasswd": str(htpasswd),
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    app.route("/treasure", lambda req, resp: f"gold for {req.login}")
    with LiveServer(app) as live:
        yield live


def test_requests_logs_in_and_fails_with_a_wrong_password(server):
    ok = requests.get(
        f"{server.url}/treasure", auth=HTTPBasicAuth("ali", "s\u00e9same"), timeout=10
    )
    assert ok.status_code == 200
    assert ok.text == "gold for ali"
    bad = requests.get(f"{server.url}/treasure", auth=HTTPBasicAuth("ali", "sesame"), timeout=10)
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == 'Basic realm="cave", charset="UTF-8"'


def _curl(*args: str) -> tuple[int, str]:
    assert CURL is not None, "curl is needed for this test"
    done = subprocess.run(
        [CURL, "--silent", "--max-time", "10", "--write-out", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    body, _, code = done.stdout.rpartition("\n")
    return int(code), body


def test_curl_basic_logs_in_and_fails_with_a_wrong_password(server):
    assert _curl("--basic", "--user", "ali:s\u00e9same", f"{server.url}/treasure") == (
        200,
        "gold for ali",
    )
    code, _ = _curl("--basic", "--user", "ali:wrong", f"{server.url}/treasure")
    assert code == 401
    code, _ = _curl(f"{server.url}/treasure")
    assert code == 401
