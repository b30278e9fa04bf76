"""Fuzzing the Digest header parser: malformed Authorization headers never produce a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pegboard_auth_basic
import pegboard_auth_digest
from pegboard.app import App
from pegboard.testing import Client
from pegboard_auth_digest import MalformedHeader, parse_credentials
from pegboard_auth_digest.header import parse_auth_params

from .conftest import KEY, DigestClient, digest_challenges

FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
# WSGI servers hand header bytes over as Latin-1 characters, never CR or LF.
latin1 = st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n")
NAMES = [
    "username",
    "username*",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "qop",
    "nc",
    "cnonce",
    "userhash",
    "opaque",
    "x",
]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value():
    token = st.text(st.sampled_from("abcdef0123456789-._~!#$%&'*+^`|"), min_size=0, max_size=12)
    quoted = st.text(latin1, max_size=16).map(_quote)
    # Bytes 0x80-0xFF on their own: they are where str-vs-bytes mistakes hide.
    high = st.text(st.characters(min_codepoint=0x80, max_codepoint=0xFF), min_size=1, max_size=8)
    raw = st.text(latin1, max_size=16)
    known = st.sampled_from(
        ["auth", "auth-int", "MD5", "SHA-256", "00000001", "true", '"zoo"', '"/"']
    )
    return st.one_of(token, quoted, high.map(_quote), high, raw, known)


# Headers that look almost right: real parameter names with arbitrary values and separators.
near_miss = st.lists(
    st.tuples(st.sampled_from(NAMES), st.sampled_from(["=", " = ", "", "=="]), _value()),
    max_size=12,
).flatmap(
    lambda params: st.sampled_from([", ", ",", " ", ",,"]).map(
        lambda sep: "Digest " + sep.join(f"{n}{eq}{v}" for n, eq, v in params)
    )
)


@pytest.fixture(scope="module")
def client():
    app = App(
        {
            "/": {
                "tools.auth_digest.on": True,
                "tools.auth_digest.realm": "zoo",
                "tools.auth_digest.key": KEY,
                "tools.auth_digest.users": {"Mufasa": "Circle of Life"},
                "tools.auth_digest.qop": ["auth", "auth-int"],
                "tools.auth_digest.userhash": True,
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "zoo",
                "tools.auth_basic.users": {"Simba": "x"},
            }
        },
        plugins=[pegboard_auth_digest, pegboard_auth_basic],
        discover=False,
    )
    app.route("/", lambda req, resp: "in")
    app.start()
    yield Client(app)
    app.stop()


@FUZZ
@given(header=st.text(latin1, max_size=120))
def test_any_header_value(client, header):
    assert client.get("/", headers={"Authorization": header}).status in (400, 401)


@FUZZ
@given(header=near_miss)
def test_near_miss_digest_headers(client, header):
    assert client.post("/", headers={"Authorization": header}, body=b"x").status in (400, 401)


@pytest.fixture(scope="module")
def challenge(client):
    return digest_challenges(client.get("/"))[0]


@FUZZ
@given(name=st.sampled_from(NAMES), value=_value(), qop=st.sampled_from(["auth", "auth-int"]))
def test_valid_header_with_one_parameter_mangled(client, challenge, name, value, qop):
    # Everything else is right, so the mangled value reaches the deeper checks.
    mufasa = DigestClient("Mufasa", "Circle of Life")
    header = mufasa.header(challenge, "POST", "/", body=b"x", qop=qop, override={name: value})
    result = client.post("/", headers={"Authorization": header}, body=b"x")
    assert result.status in (200, 400, 401)


@FUZZ
@given(rest=st.text(max_size=120))
def test_parser_raises_only_its_own_error(rest):
    try:
        credentials = parse_credentials(rest)
    except MalformedHeader:
        return
    assert len(credentials.nc) == 8


@FUZZ
@given(
    params=st.dictionaries(
        st.text(st.sampled_from("abcxyz-"), min_size=1, max_size=6),
        st.text(latin1, max_size=20),
        max_size=6,
    )
)
def test_quoted_values_round_trip(params):
    text = ", ".join(
        f'{name}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for name, value in params.items()
    )
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for v in params.values() for c in v):
        with pytest.raises(MalformedHeader):
            parse_auth_params(text)
        return
    assert parse_auth_params(text) == {name.lower(): value for name, value in params.items()}
