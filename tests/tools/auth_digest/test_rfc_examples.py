"""The published examples: RFC 7616 section 3.9.1 (MD5 and SHA-256) and RFC 2617 section 3.5.

Each Authorization header below is the RFC's, folded onto one line. It is
parsed by the package and the ``response`` recomputed from the user's
password must equal the published one.
"""

from __future__ import annotations

import pytest

from pegboard_auth_digest import ALGORITHMS, parse_credentials, request_digest
from pegboard_auth_digest.algorithms import password_ha1

RFC7616_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC7616_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


def rfc7616_header(algorithm: str, response: str) -> str:
    return (
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        f'algorithm={algorithm}, nonce="{RFC7616_NONCE}", nc=00000001, '
        f'cnonce="{RFC7616_CNONCE}", qop=auth, response="{response}", opaque="{RFC7616_OPAQUE}"'
    )


RFC2617_HEADER = (
    'Digest username="Mufasa", realm="testrealm@host.com", '
    'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, '
    'nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", '
    'opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)

EXAMPLES = [
    pytest.param(
        rfc7616_header("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        "Circle of Life",
        id="RFC 7616 3.9.1 MD5",
    ),
    pytest.param(
        rfc7616_header(
            "SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        ),
        "Circle of Life",
        id="RFC 7616 3.9.1 SHA-256",
    ),
    # RFC 2617 spells the password with a capital O, and sends no algorithm (MD5).
    pytest.param(RFC2617_HEADER, "Circle Of Life", id="RFC 2617 3.5"),
]


@pytest.mark.parametrize(("header", "password"), EXAMPLES)
def test_published_response_is_reproduced(header, password):
    credentials = parse_credentials(header.removeprefix("Digest "))
    algorithm = ALGORITHMS[credentials.algorithm.lower()]
    ha1 = password_ha1(algorithm, credentials.username, credentials.realm, password)
    computed = request_digest(
        algorithm,
        ha1,
        nonce=credentials.nonce,
        nc=credentials.nc,
        cnonce=credentials.cnonce,
        qop=credentials.qop,
        method="GET",
        uri=credentials.uri,
    )
    assert computed == credentials.response


@pytest.mark.parametrize(("header", "password"), EXAMPLES)
def test_a_wrong_password_does_not_reproduce_it(header, password):
    credentials = parse_credentials(header.removeprefix("Digest "))
    algorithm = ALGORITHMS[credentials.algorithm.lower()]
    ha1 = password_ha1(algorithm, credentials.username, credentials.realm, password.lower())
    computed = request_digest(
        algorithm,
        ha1,
        nonce=credentials.nonce,
        nc=credentials.nc,
        cnonce=credentials.cnonce,
        qop=credentials.qop,
        method="GET",
        uri=credentials.uri,
    )
    assert computed != credentials.response


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_example_end_to_end(digest_app, make_client, monkeypatch, algorithm, response):
    """The RFC's request, sent to a server that issued the RFC's nonce, gets 200 once.

    The server only accepts nonces it signed, so this test lets its signer
    recognise the RFC's nonce (as issued "now"); everything else, from
    header parsing to the digest comparison and replay check, is the real
    request path.
    """
    from pegboard_auth_digest import nonces

    real_issued = nonces.NonceSigner.issued
    monkeypatch.setattr(
        nonces.NonceSigner,
        "issued",
        lambda self, nonce: nonces.now() if nonce == RFC7616_NONCE else real_issued(self, nonce),
    )
    app = digest_app(realm="http-auth@example.org", algorithms=["SHA-256", "MD5"])
    client = make_client(app)
    header = {"Authorization": rfc7616_header(algorithm, response)}
    result = client.get("/dir/index.html", headers=header)
    assert result.status == 200, result.text
    assert result.text == "login=Mufasa"
    # The same header again reuses nc=00000001 for that nonce: a replay.
    again = client.get("/dir/index.html", headers=header)
    assert again.status == 401
    assert "replay" in again.text
