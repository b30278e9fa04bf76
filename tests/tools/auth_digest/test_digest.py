"""auth_digest as a client sees it: challenges, logins, replays, stale nonces, uri and body checks."""

from __future__ import annotations

import base64
import hashlib
import html

import pytest

import pegboard
from pegboard_auth_digest import nonces

from .conftest import DigestClient, digest_challenges, parse_challenge


class Clock:
    """The nonce clock, moved by hand: ages nonces without sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(nonces, "_clock", fake)
    return fake


def get(client, path, header, **kwargs):
    return client.get(path, headers={"Authorization": header}, **kwargs)


# -- the challenge -----------------------------------------------------------------------


def test_401_offers_one_challenge_per_algorithm_strongest_first(protected):
    result = protected().get("/")
    assert result.status == 401
    values = result.headers.get_all("WWW-Authenticate")
    assert [v.split(",")[0] for v in values] == ['Digest realm="zoo"', 'Digest realm="zoo"']
    challenges = [parse_challenge(v) for v in values]
    assert [c["algorithm"] for c in challenges] == ["SHA-256", "MD5"]
    for challenge in challenges:
        assert challenge["qop"] == "auth"
        assert challenge["charset"] == "UTF-8"
        assert "stale" not in challenge
        assert "userhash" not in challenge
    assert challenges[0]["nonce"] == challenges[1]["nonce"]
    assert protected().get("/").headers.get_all("WWW-Authenticate") != values  # fresh nonces


def test_configured_algorithms_are_sorted_by_strength(protected):
    client = protected(
        algorithms=["MD5", "SHA-512-256", "SHA-256-sess", "md5-SESS"], qop=["auth-int", "auth"]
    )
    challenges = digest_challenges(client.get("/"))
    assert [c["algorithm"] for c in challenges] == [
        "SHA-512-256",
        "SHA-256-sess",
        "MD5-sess",
        "MD5",
    ]
    assert challenges[0]["qop"] == "auth-int, auth"


def test_a_401_from_the_handler_also_carries_the_challenges(
    digest_app, make_client, challenge_of, mufasa
):
    app = digest_app()

    @app.route("/deny")
    def deny(req, resp):
        raise pegboard.HTTPError(401, "Not you.")

    client = make_client(app)
    header = mufasa.header(challenge_of(client), "GET", "/deny")
    result = get(client, "/deny", header)
    assert result.status == 401
    assert [c["algorithm"] for c in digest_challenges(result)] == ["SHA-256", "MD5"]


# -- logging in ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "algorithm", ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"]
)
def test_every_algorithm_logs_in_and_proves_itself(protected, challenge_of, mufasa, algorithm):
    client = protected(algorithms=[algorithm])
    challenge = challenge_of(client)
    assert challenge["algorithm"] == algorithm
    result = get(
        client, "/dir/index.html?x=1", mufasa.header(challenge, "GET", "/dir/index.html?x=1")
    )
    assert result.status == 200
    assert result.text == "login=Mufasa"
    info = parse_challenge("Digest " + result.headers["Authentication-Info"])
    assert info["rspauth"] == mufasa.expected_rspauth(challenge, "/dir/index.html?x=1", nc=1)
    assert info["qop"] == "auth"
    assert info["nc"] == "00000001"
    assert info["cnonce"] == mufasa.cnonce
    assert "nextnonce" not in info


def test_wrong_password_and_unknown_user_get_401(protected, challenge_of, mufasa):
    client = protected()
    challenge = challenge_of(client)
    wrong = get(client, "/", mufasa.header(challenge, "GET", "/", password="circle of life"))
    assert wrong.status == 401
    assert all("stale" not in c for c in digest_challenges(wrong))
    stranger = DigestClient("Scar", "Circle of Life")
    assert get(client, "/", stranger.header(challenge, "GET", "/")).status == 401


def test_method_is_part_of_the_digest(protected, challenge_of, mufasa):
    client = protected()
    header = mufasa.header(challenge_of(client), "GET", "/")
    assert client.post("/", headers={"Authorization": header}).status == 401


def test_nonce_counts_may_go_up_and_arrive_out_of_order(protected, challenge_of, mufasa):
    client = protected()
    challenge = challenge_of(client)
    for nc in (1, 2, 5, 3, 4, 4096):
        result = get(client, "/", mufasa.header(challenge, "GET", "/", nc=nc))
        assert result.status == 200, nc


def test_replayed_nonce_count_is_refused(protected, challenge_of, mufasa):
    client = protected()
    challenge = challenge_of(client)
    header = mufasa.header(challenge, "GET", "/", nc=7)
    assert get(client, "/", header).status == 200
    replay = get(client, "/", header)
    assert replay.status == 401
    assert "replay" in replay.text
    assert all("stale" not in c for c in digest_challenges(replay))
    # Same nc with a different cnonce is still the same (nonce, nc) pair.
    assert (
        get(
            client, "/", mufasa.header(challenge, "GET", "/", nc=7, override={"cnonce": '"other"'})
        ).status
        == 401
    )


def test_a_failed_attempt_does_not_burn_the_nonce_count(protected, challenge_of, mufasa):
    client = protected()
    challenge = challenge_of(client)
    assert get(client, "/", mufasa.header(challenge, "GET", "/", nc=1, password="x")).status == 401
    assert get(client, "/", mufasa.header(challenge, "GET", "/", nc=1)).status == 200


def test_nonce_count_beyond_the_limit_asks_for_a_new_nonce(protected, challenge_of, mufasa):
    client = protected()
    result = get(client, "/", mufasa.header(challenge_of(client), "GET", "/", nc=4097))
    assert result.status == 401
    assert all(c["stale"] == "true" for c in digest_challenges(result))


# -- the uri must be the request target ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("/", "/dir/index.html"),
        ("/dir/index.html?a=1", "/dir/index.html"),
        ("/dir/index.html", "/dir/index.html?a=1"),
        ("/dir/index.html?a=1", "/dir/index.html?a=2"),
        ("/", "*"),
        ("/", "dir"),
    ],
)
def test_uri_mismatch_is_400(protected, challenge_of, mufasa, path, uri):
    client = protected()
    result = get(client, path, mufasa.header(challenge_of(client), "GET", uri))
    assert result.status == 400
    assert "uri does not match" in result.text


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("/dir/index.html", "http://localhost/dir/index.html"),
        ("/dir/index.html", "/dir/%69ndex.html"),
        ("/dir/index.html?q=a%20b", "/dir/index.html?q=a%20b"),
    ],
)
def test_uri_forms_that_name_the_same_target(protected, challenge_of, mufasa, path, uri):
    client = protected()
    assert get(client, path, mufasa.header(challenge_of(client), "GET", uri)).status == 200


# -- realm, algorithm, qop, nonce ------------------------------------------------------------------


def test_other_realm_algorithm_or_qop_get_401(protected, challenge_of, mufasa):
    client = protected()
    challenge = challenge_of(client)
    assert (
        get(client, "/", mufasa.header({**challenge, "realm": "other"}, "GET", "/")).status == 401
    )
    offered_not = {**challenge, "algorithm": "SHA-512-256"}
    assert get(client, "/", mufasa.header(offered_not, "GET", "/")).status == 401
    assert get(client, "/", mufasa.header(challenge, "GET", "/", qop="auth-int")).status == 401


def test_nonce_not_made_by_this_server_gets_401(protected, challenge_of, mufasa):
    client = protected()
    challenge = challenge_of(client)
    nonce = challenge["nonce"]
    flipped = nonce[:-2] + ("A" if nonce[-2] != "A" else "B") + nonce[-1]
    forged = base64.urlsafe_b64encode(bytes(36)).decode()
    for bad in (flipped, forged, "abc", challenge["nonce"] + "=="):
        result = get(client, "/", mufasa.header({**challenge, "nonce": bad}, "GET", "/"))
        assert result.status == 401
        assert all("stale" not in c for c in digest_challenges(result))


def test_nonce_from_another_key_gets_401(protected, challenge_of, mufasa):
    other = protected(key="another-key-0123456789")
    challenge = challenge_of(other)
    assert get(protected(), "/", mufasa.header(challenge, "GET", "/")).status == 401


# -- stale nonces and nextnonce -------------------------------------------------------------------------


def test_expired_nonce_with_a_valid_digest_is_stale(protected, challenge_of, mufasa, clock):
    client = protected(nonce_lifetime=30)
    challenge = challenge_of(client)
    assert get(client, "/", mufasa.header(challenge, "GET", "/")).status == 200
    clock.now += 31
    stale = get(client, "/", mufasa.header(challenge, "GET", "/"))
    assert stale.status == 401
    fresh = digest_challenges(stale)
    assert all(c["stale"] == "true" for c in fresh)
    assert fresh[0]["nonce"] != challenge["nonce"]
    # The client retries with the new nonce, without asking its user again.
    assert get(client, "/", mufasa.header(fresh[0], "GET", "/", nc=1)).status == 200


def test_expired_nonce_with_a_wrong_password_is_not_stale(protected, challenge_of, mufasa, clock):
    client = protected(nonce_lifetime=30)
    challenge = challenge_of(client)
    clock.now += 31
    result = get(client, "/", mufasa.header(challenge, "GET", "/", password="guess"))
    assert result.status == 401
    assert all("stale" not in c for c in digest_challenges(result))


def test_nextnonce_when_the_nonce_is_near_expiry(protected, challenge_of, mufasa, clock):
    client = protected(nonce_lifetime=100)
    challenge = challenge_of(client)
    clock.now += 50
    early = get(client, "/", mufasa.header(challenge, "GET", "/"))
    assert "nextnonce" not in early.headers["Authentication-Info"]
    clock.now += 35
    late = get(client, "/", mufasa.header(challenge, "GET", "/"))
    assert late.status == 200
    info = parse_challenge("Digest " + late.headers["Authentication-Info"])
    assert info["rspauth"] == mufasa.expected_rspauth(challenge, "/", nc=2)
    clock.now += 20  # the first nonce has expired; the next one has not
    following = {**challenge, "nonce": info["nextnonce"]}
    assert get(client, "/", mufasa.header(following, "GET", "/", nc=1)).status == 200


# -- auth-int ----------------------------------------------------------------------------------------------


def test_auth_int_hashes_the_real_body(protected, challenge_of, mufasa):
    client = protected(qop=["auth", "auth-int"])
    challenge = challenge_of(client)
    body = b'{"transfer": 100}'
    header = mufasa.header(challenge, "POST", "/echo", qop="auth-int", body=body)
    result = client.post("/echo", headers={"Authorization": header}, body=body)
    assert result.status == 200
    assert result.body == b"got " + body  # the handler still reads the whole body
    info = parse_challenge("Digest " + result.headers["Authentication-Info"])
    assert info["qop"] == "auth-int"
    assert info["rspauth"] == mufasa.expected_rspauth(
        challenge, "/echo", nc=1, qop="auth-int", body=result.body
    )


def test_auth_int_refuses_a_changed_body(protected, challenge_of, mufasa):
    client = protected(qop="auth-int")
    challenge = challenge_of(client)
    header = mufasa.header(challenge, "POST", "/echo", qop="auth-int", body=b"amount=1")
    result = client.post("/echo", headers={"Authorization": header}, body=b"amount=1000")
    assert result.status == 401


def test_auth_int_with_a_chunked_body(protected, challenge_of, mufasa):
    client = protected(qop="auth-int")
    header = mufasa.header(challenge_of(client), "POST", "/echo", qop="auth-int", body=b"abcdef")
    result = client.post("/echo", headers={"Authorization": header}, body=iter([b"abc", b"def"]))
    assert result.status == 200
    assert result.body == b"got abcdef"


def test_auth_int_body_over_the_size_limit_is_413(digest_app, make_client, challenge_of, mufasa):
    client = make_client(digest_app(qop="auth-int", extra={"request.max_body_size": 8}))
    header = mufasa.header(challenge_of(client), "POST", "/echo", qop="auth-int", body=b"x" * 9)
    assert (
        client.post("/echo", headers={"Authorization": header}, body=iter([b"x" * 9])).status == 413
    )


# -- userhash and username* -----------------------------------------------------------------------------


def test_userhash(protected, challenge_of, mufasa):
    client = protected(userhash=True, algorithms=["SHA-512-256", "MD5"])
    for algorithm in ("SHA-512-256", "MD5"):
        challenge = challenge_of(client, algorithm=algorithm)
        assert challenge["userhash"] == "true"
        result = get(client, "/", mufasa.header(challenge, "GET", "/", userhash=True))
        assert result.status == 200
        assert result.text == "login=Mufasa"


def test_userhash_is_refused_when_not_offered(protected, challenge_of, mufasa):
    client = protected()
    assert (
        get(client, "/", mufasa.header(challenge_of(client), "GET", "/", userhash=True)).status
        == 401
    )


def test_non_ascii_username_as_username_star_and_as_utf8(protected, challenge_of):
    jason = DigestClient("J\u00e4s\u00f8n Doe", "Secret, or not?")
    client = protected(users={"J\u00e4s\u00f8n Doe": "Secret, or not?"}, algorithms="SHA-512-256")
    result = get(client, "/", jason.header(challenge_of(client), "GET", "/", username_star=True))
    assert result.status == 200
    assert result.text == "login=J\u00e4s\u00f8n Doe"
    # A server passes the UTF-8 bytes of a quoted username on as Latin-1 characters.
    raw = jason.header(challenge_of(client), "GET", "/").encode("utf-8").decode("latin-1")
    assert get(client, "/", raw).text == "login=J\u00e4s\u00f8n Doe"


# -- malformed headers are 400 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"nc": "1"}, "nc is eight"),
        ({"nc": "0000000g"}, "nc is eight"),
        ({"nc": "00000000"}, "nc counts"),
        ({"qop": None}, "'qop' is missing"),
        ({"cnonce": None}, "'cnonce' is missing"),
        ({"cnonce": '""'}, "cnonce is empty"),
        ({"response": None}, "'response' is missing"),
        ({"uri": None}, "'uri' is missing"),
        ({"username": None}, "'username' is missing"),
        ({"username*": "UTF-8''x"}, "not both"),
        ({"userhash": "maybe"}, "userhash"),
        ({"realm": '"zoo", realm="zoo"'}, "appears twice"),
        ({"realm": '"unterminated'}, "expected"),
        ({"realm": "zoo zoo"}, "expected ','"),
    ],
)
def test_malformed_digest_headers_get_400(protected, challenge_of, mufasa, overrides, words):
    client = protected()
    result = get(client, "/", mufasa.header(challenge_of(client), "GET", "/", override=overrides))
    assert result.status == 400
    assert "Malformed Authorization header" in result.text
    assert words in html.unescape(result.text)


@pytest.mark.parametrize("header", ["Digest", "Digest ", "Digest ,,,", "Digest a", "Digest =b", ""])
def test_bare_digest_headers_get_400_or_401(protected, header):
    result = protected().get("/", headers={"Authorization": header})
    assert result.status == (401 if header == "" else 400)


def test_other_schemes_get_401_with_the_challenges(protected):
    result = protected().get("/", headers={"Authorization": "Basic YTpi"})
    assert result.status == 401
    assert len(digest_challenges(result)) == 2


# -- the in-process nonce-count store stays bounded and safe ----------------------------------


def test_forgotten_nonces_are_never_accepted_again(protected, challenge_of, mufasa, clock):
    client = protected(max_nonces=2)
    challenges = []
    for _ in range(4):
        challenges.append(challenge_of(client))
        clock.now += 1
    first, second, third, fourth = challenges
    for challenge in (first, second, third):
        assert get(client, "/", mufasa.header(challenge, "GET", "/", nc=1)).status == 200
    # Recording the third nonce pushed the first one out: it is now stale, not replayable.
    replay = get(client, "/", mufasa.header(first, "GET", "/", nc=1))
    assert replay.status == 401
    assert all(c["stale"] == "true" for c in digest_challenges(replay))
    assert get(client, "/", mufasa.header(first, "GET", "/", nc=2)).status == 401
    # Newer nonces still work, and the kept ones still catch replays.
    assert get(client, "/", mufasa.header(fourth, "GET", "/", nc=1)).status == 200
    assert get(client, "/", mufasa.header(third, "GET", "/", nc=1)).status == 401


# -- sources: get_ha1, htdigest -------------------------------------------------------------------------


def md5_ha1(realm: str, username: str) -> str | None:
    """CherryPy's get_ha1 signature: MD5 only."""
    if username != "Mufasa":
        return None
    return hashlib.md5(f"Mufasa:{realm}:Circle of Life".encode()).hexdigest()


def any_ha1(realm: str, username: str, hash_name: str) -> str | None:
    """A get_ha1 that is told which hash to use."""
    if username != "Mufasa":
        return None
    name = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}[hash_name]
    return hashlib.new(name, f"Mufasa:{realm}:Circle of Life".encode()).hexdigest().upper()


def test_two_argument_get_ha1_offers_md5_only(protected, challenge_of, mufasa):
    client = protected(get_ha1=md5_ha1)
    assert [c["algorithm"] for c in digest_challenges(client.get("/"))] == ["MD5"]
    assert get(client, "/", mufasa.header(challenge_of(client), "GET", "/")).text == "login=Mufasa"


def test_get_ha1_told_the_hash_offers_every_algorithm(protected, challenge_of, mufasa):
    client = protected(
        get_ha1=f"{__name__}:any_ha1", algorithms=["SHA-512-256-sess", "SHA-256", "MD5"]
    )
    for algorithm in ("SHA-512-256-sess", "SHA-256", "MD5"):
        challenge = challenge_of(client, algorithm=algorithm)
        assert get(client, "/", mufasa.header(challenge, "GET", "/")).status == 200
    assert get(client, "/", DigestClient("Nala", "x").header(challenge, "GET", "/")).status == 401


def htdigest_line(username: str, realm: str, password: str) -> str:
    return (
        f"{username}:{realm}:{hashlib.md5(f'{username}:{realm}:{password}'.encode()).hexdigest()}"
    )


@pytest.fixture
def htdigest_file(tmp_path):
    path = tmp_path / "htdigest"
    path.write_text(
        "# made with htdigest\n"
        + htdigest_line("Mufasa", "zoo", "Circle of Life")
        + "\n"
        + htdigest_line("Nala", "elsewhere", "pride")
        + "\n",
        encoding="utf-8",
    )
    return path


def test_htdigest_file(protected, challenge_of, mufasa, htdigest_file):
    client = protected(htdigest=str(htdigest_file), userhash=True)
    assert [c["algorithm"] for c in digest_challenges(client.get("/"))] == ["MD5"]
    challenge = challenge_of(client)
    assert get(client, "/", mufasa.header(challenge, "GET", "/")).text == "login=Mufasa"
    assert (
        get(client, "/", mufasa.header(challenge, "GET", "/", userhash=True)).text == "login=Mufasa"
    )
    # Users of other realms in the same file are not users of this one.
    assert (
        get(client, "/", DigestClient("Nala", "pride").header(challenge, "GET", "/")).status == 401
    )


def _rewrite(path, text):
    import os

    before = os.stat(path).st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_htdigest_is_read_again_only_when_it_changes(
    protected, challenge_of, mufasa, htdigest_file
):
    client = protected(htdigest=str(htdigest_file))
    challenge = challenge_of(client)
    assert get(client, "/", mufasa.header(challenge, "GET", "/")).status == 200
    _rewrite(htdigest_file, htdigest_line("Mufasa", "zoo", "new password") + "\n")
    assert get(client, "/", mufasa.header(challenge, "GET", "/")).status == 401
    renewed = DigestClient("Mufasa", "new password", nc=5)
    assert get(client, "/", renewed.header(challenge, "GET", "/")).status == 200
    _rewrite(htdigest_file, "Mufasa:zoo:not-a-hash\n")
    broken = get(client, "/", renewed.header(challenge, "GET", "/"))
    assert broken.status == 503
    assert "password file" in broken.text


# -- hooks, priorities, pre-flight -------------------------------------------------------------------------


def test_plan_shows_the_hooks_and_priorities(digest_app):
    app = digest_app()
    app.start()
    lines = app.router.static["/"].default_plan.describe()
    assert any(
        line.startswith("before_handler") and "  1 tools.auth_digest:" in line for line in lines
    )
    assert any(
        line.startswith("before_finalize") and "  1 tools.auth_digest:" in line for line in lines
    )


def test_preflight_bypass_only_when_switched_on(protected):
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"}
    assert protected().options("/", headers=preflight).status == 401
    answered = protected(allow_preflight=True).options("/", headers=preflight)
    assert answered.status == 200
    assert answered.text == "login=None"


# -- configuration is checked when the app starts ------------------------------------------------------


def _config_error(digest_app, **options):
    app = digest_app(**options)
    with pytest.raises(pegboard.ConfigError) as caught:
        app.start()
    return str(caught.value)


@pytest.mark.parametrize(
    ("options", "key", "words"),
    [
        ({"realm": 'say "hi"'}, "realm", "quoted-string"),
        ({"key": "short"}, "key", "at least 16"),
        ({"users": None}, "users", "exactly one"),
        ({"get_ha1": md5_ha1, "users": {"a": "b"}}, "users", "exactly one"),
        ({"algorithms": ["SHA256"]}, "algorithms", "did you mean 'SHA-256'"),
        ({"algorithms": []}, "algorithms", "at least one"),
        ({"qop": ["auth", "auth-conf"]}, "qop", "'auth' and/or 'auth-int'"),
        ({"nonce_lifetime": 0}, "nonce_lifetime", "at least 1"),
        ({"nonce_lifetime": "600"}, "nonce_lifetime", "expected int"),
        ({"max_nonces": 0}, "max_nonces", "at least 1"),
        ({"nc_store": "memcached"}, "nc_store", "'memory', 'redis'"),
        ({"nc_store": "redis"}, "redis_url", "needs redis_url"),
        ({"redis_timeout": 0}, "redis_timeout", "> 0"),
        (
            {"users": None, "get_ha1": md5_ha1, "algorithms": ["SHA-256"]},
            "algorithms",
            "only give MD5",
        ),
        ({"users": None, "get_ha1": any_ha1, "userhash": True}, "userhash", "cannot be searched"),
    ],
)
def test_bad_config_is_a_config_error_at_start(digest_app, options, key, words):
    message = _config_error(digest_app, **options)
    assert f"tools.auth_digest.{key}" in message
    assert words in message


def test_non_ascii_response_is_401_not_500(protected, challenge_of, mufasa):
    client = protected()
    header = mufasa.header(
        challenge_of(client), "GET", "/", override={"response": '"\u00e9\u00e9"'}
    )
    assert get(client, "/", header).status == 401


def test_responses_vary_on_authorization(protected, challenge_of, mufasa):
    client = protected()
    assert client.get("/").headers["Vary"] == "Authorization"
    ok = get(client, "/", mufasa.header(challenge_of(client), "GET", "/"))
    assert ok.status == 200
    assert ok.headers["Vary"] == "Authorization"
