"""Authorization credentials (RFC 9110 §11.4) and auth-param lists (§11.2)."""

from __future__ import annotations

import pytest

from pegboard import httputil
from pegboard.httputil import Credentials, HeaderError


def test_token68_credentials():
    # RFC 7617 §2's example.
    assert httputil.parse_authorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") == Credentials(
        "basic", "QWxhZGRpbjpvcGVuIHNlc2FtZQ==", {}
    )
    assert httputil.parse_authorization("  BEARER   mF_9.B5f-4.1JqM  ").token68 == "mF_9.B5f-4.1JqM"


def test_auth_param_credentials():
    # RFC 7616 §3.9.1's example, shortened.
    credentials = httputil.parse_authorization(
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        "algorithm=SHA-256, nc=00000001, qop=auth"
    )
    assert credentials.scheme == "digest"
    assert credentials.token68 is None
    assert credentials.params == {
        "username": "Mufasa",
        "realm": "http-auth@example.org",
        "uri": "/dir/index.html",
        "algorithm": "SHA-256",
        "nc": "00000001",
        "qop": "auth",
    }


def test_a_scheme_alone():
    assert httputil.parse_authorization("Negotiate") == Credentials("negotiate", None, {})


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "B@sic abc",
        "Basic\tabc",  # 1*SP separates scheme and credentials
        "Basic abc def",
        "Digest a=1, a=2",  # a name once per credentials (RFC 9110 §11.2)
        "Digest a=1 b=2",
        'Digest a="open',
        "Digest a=\x01",
        "Basic a==b",  # "=" only ends a token68, and "=b" is no auth-param value
    ],
)
def test_malformed_credentials(value):
    with pytest.raises(HeaderError):
        httputil.parse_authorization(value)


def test_parse_auth_params():
    assert httputil.parse_auth_params(' , realm="a \\"b\\"", Qop = auth ,,') == {
        "realm": 'a "b"',
        "qop": "auth",
    }
    assert httputil.parse_auth_params("") == {}
    with pytest.raises(HeaderError, match="twice"):
        httputil.parse_auth_params("realm=a, REALM=b")
