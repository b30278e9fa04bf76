"""Fuzzing the Basic header parser: whatever arrives, the answer is 200, 400 or 401, never 500."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pegboard_auth_basic
from pegboard.app import App
from pegboard.testing import Client
from pegboard_auth_basic.credentials import MalformedCredentials, parse_basic_token

# WSGI servers hand header bytes over as Latin-1 characters.
latin1_text = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=80)
FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def client():
    app = App(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "fuzz",
                "tools.auth_basic.users": {"alice": "wonderland", "J\u00f6rg": "\u00e9"},
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    app.route("/", lambda req, resp: "in")
    app.start()
    yield Client(app)
    app.stop()


def _header_without_line_breaks(text: str) -> str:
    # A server never passes CR/LF inside a header value.
    return text.replace("\r", " ").replace("\n", " ")


@FUZZ
@given(header=latin1_text)
def test_any_header_value(client, header):
    result = client.get("/", headers={"Authorization": _header_without_line_breaks(header)})
    assert result.status in (200, 400, 401)


@FUZZ
@given(token=latin1_text, scheme=st.sampled_from(["Basic", "basic", "BASIC", "Basic\t"]))
def test_any_token_after_basic(client, scheme, token):
    header = _header_without_line_breaks(f"{scheme} {token}")
    assert client.get("/", headers={"Authorization": header}).status in (400, 401)


@FUZZ
@given(raw=st.binary(max_size=64))
def test_any_decoded_bytes(client, raw):
    header = "Basic " + base64.b64encode(raw).decode("ascii")
    result = client.get("/", headers={"Authorization": header})
    assert result.status in (200, 400, 401)
    if b":" not in raw:
        assert result.status == 400


@FUZZ
@given(token=st.text(max_size=80), charset=st.sampled_from(["utf-8", "latin-1"]))
def test_parser_raises_only_its_own_error(token, charset):
    try:
        username, password = parse_basic_token(token, charset)
    except MalformedCredentials:
        return
    assert isinstance(username, str)
    assert isinstance(password, str)
