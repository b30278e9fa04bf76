"""auth_basic and auth_digest on the same path: the 401 offers both, either one logs in."""

from __future__ import annotations

import base64

import pytest

from .conftest import digest_challenges

BASIC = {"realm": "zoo", "users": {"Simba": "Hakuna Matata"}}


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def client(digest_app, make_client):
    return make_client(digest_app(basic=BASIC))


def test_401_carries_both_challenges_digest_first(client):
    result = client.get("/")
    assert result.status == 401
    values = result.headers.get_all("WWW-Authenticate")
    assert [v.split(" ", 1)[0] for v in values] == ["Digest", "Digest", "Basic"]
    assert values[2] == 'Basic realm="zoo", charset="UTF-8"'
    assert [c["algorithm"] for c in digest_challenges(result)] == ["SHA-256", "MD5"]


def test_either_scheme_logs_in(client, challenge_of, mufasa):
    by_basic = client.get("/", headers={"Authorization": basic_header("Simba", "Hakuna Matata")})
    assert by_basic.text == "login=Simba"
    header = mufasa.header(challenge_of(client), "GET", "/")
    by_digest = client.get("/", headers={"Authorization": header})
    assert by_digest.text == "login=Mufasa"
    assert "Authentication-Info" in by_digest.headers


def test_each_scheme_checks_only_its_own_users(client, challenge_of, mufasa):
    assert (
        client.get("/", headers={"Authorization": basic_header("Mufasa", "Circle of Life")}).status
        == 401
    )
    wrong = mufasa.header(challenge_of(client), "GET", "/", password="Hakuna Matata")
    assert client.get("/", headers={"Authorization": wrong}).status == 401


def test_every_failure_offers_both(client, challenge_of, mufasa):
    failures = [
        client.get("/", headers={"Authorization": basic_header("Simba", "nope")}),
        client.get(
            "/",
            headers={
                "Authorization": mufasa.header(challenge_of(client), "GET", "/", password="x")
            },
        ),
        client.get("/", headers={"Authorization": "Bearer token"}),
    ]
    for result in failures:
        assert result.status == 401
        schemes = [v.split(" ", 1)[0] for v in result.headers.get_all("WWW-Authenticate")]
        assert schemes == ["Digest", "Digest", "Basic"]


def test_malformed_credentials_of_either_scheme_are_400(client):
    assert client.get("/", headers={"Authorization": "Basic ###"}).status == 400
    assert client.get("/", headers={"Authorization": "Digest nonsense"}).status == 400


def test_optional_basic_does_not_open_a_digest_protected_path(digest_app, make_client):
    client = make_client(digest_app(basic={**BASIC, "optional": True}))
    assert client.get("/").status == 401
    assert (
        client.get("/", headers={"Authorization": basic_header("Simba", "Hakuna Matata")}).text
        == "login=Simba"
    )


def test_vary_is_said_once(client):
    assert client.get("/").headers.get_all("Vary") == ["Authorization"]
