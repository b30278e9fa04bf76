"""Fixtures for the auth_digest tests, with a small Digest client of their own.

The client computes responses with hashlib directly (not with the package's
functions), so a mistake in the package cannot hide behind the same mistake
in the test. The RFC examples check the package's arithmetic on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from urllib.request import parse_http_list, parse_keqv_list

import pytest

import pegboard_auth_basic
import pegboard_auth_digest

KEY = "test-key-0123456789abcdef"
HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def parse_challenge(value: str) -> dict[str, str]:
    """The parameters of one ``Digest ...`` WWW-Authenticate value."""
    scheme, _, rest = value.partition(" ")
    assert scheme == "Digest", value
    return parse_keqv_list(parse_http_list(rest))


def digest_challenges(result: Any) -> list[dict[str, str]]:
    return [
        parse_challenge(v)
        for v in result.headers.get_all("WWW-Authenticate")
        if v.startswith("Digest ")
    ]


def _h(algorithm: str, data: bytes) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    name = {k.upper(): v for k, v in HASHES.items()}[base]
    return hashlib.new(name, data).hexdigest()


@dataclass
class DigestClient:
    """Answers a Digest challenge the way RFC 7616 says, with every knob exposed."""

    username: str
    password: str
    nc: int = 0
    cnonce: str = "0a4f113b"
    extra: dict[str, str] = field(default_factory=dict)

    def header(
        self,
        challenge: dict[str, str],
        method: str,
        uri: str,
        *,
        body: bytes = b"",
        qop: str = "auth",
        nc: int | None = None,
        password: str | None = None,
        userhash: bool = False,
        username_star: bool = False,
        override: dict[str, str | None] | None = None,
    ) -> str:
        """The Authorization value; ``override`` replaces (None: drops) raw parameters."""
        if nc is None:
            self.nc += 1
            nc = self.nc
        algorithm = challenge.get("algorithm", "MD5")
        realm, nonce = challenge["realm"], challenge["nonce"]
        secret = self.password if password is None else password

        def h(text: str | bytes) -> str:
            return _h(algorithm, text.encode("utf-8") if isinstance(text, str) else text)

        nc_text = f"{nc:08x}"
        ha1 = h(f"{self.username}:{realm}:{secret}")
        if algorithm.lower().endswith("-sess"):
            ha1 = h(f"{ha1}:{nonce}:{self.cnonce}")
        ha2 = h(f"{method}:{uri}:{h(body)}") if qop == "auth-int" else h(f"{method}:{uri}")
        response = h(f"{ha1}:{nonce}:{nc_text}:{self.cnonce}:{qop}:{ha2}")
        params: dict[str, str | None] = {
            "username": f'"{h(self.username + ":" + realm) if userhash else self.username}"',
            "realm": f'"{realm}"',
            "nonce": f'"{nonce}"',
            "uri": f'"{uri}"',
            "algorithm": algorithm,
            "response": f'"{response}"',
            "qop": qop,
            "nc": nc_text,
            "cnonce": f'"{self.cnonce}"',
        }
        if userhash:
            params["userhash"] = "true"
        if username_star:
            del params["username"]
            params["username*"] = "UTF-8''" + quote(self.username, safe="")
        params.update(self.extra)
        params.update(override or {})
        return "Digest " + ", ".join(f"{k}={v}" for k, v in params.items() if v is not None)

    def expected_rspauth(
        self, challenge: dict[str, str], uri: str, nc: int, qop: str = "auth", body: bytes = b""
    ) -> str:
        algorithm = challenge.get("algorithm", "MD5")
        realm, nonce = challenge["realm"], challenge["nonce"]

        def h(text: str | bytes) -> str:
            return _h(algorithm, text.encode("utf-8") if isinstance(text, str) else text)

        ha1 = h(f"{self.username}:{realm}:{self.password}")
        if algorithm.lower().endswith("-sess"):
            ha1 = h(f"{ha1}:{nonce}:{self.cnonce}")
        ha2 = h(f":{uri}:{h(body)}") if qop == "auth-int" else h(f":{uri}")
        return h(f"{ha1}:{nonce}:{nc:08x}:{self.cnonce}:{qop}:{ha2}")


def _whoami(req: Any, resp: Any) -> str:
    return f"login={req.login}"


def _echo(req: Any, resp: Any) -> bytes:
    return b"got " + req.body.read()


@pytest.fixture
def digest_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """``digest_app(**options)`` -> an app whose paths are behind auth_digest.

    Routes: "/" and "/dir/index.html" answer ``login=<req.login>``, "/echo"
    answers ``got <body>``. Options default to realm "zoo", the test key and
    users {"Mufasa": "Circle of Life"}. ``basic`` switches auth_basic on too
    with those options; ``extra`` adds other keys to the "/" section.
    """

    def build(
        basic: dict[str, Any] | None = None, extra: dict[str, Any] | None = None, **options: Any
    ) -> Any:
        options.setdefault("realm", "zoo")
        options.setdefault("key", KEY)
        if not {"users", "htdigest", "get_ha1"} & options.keys():
            options["users"] = {"Mufasa": "Circle of Life"}
        config = {"tools.auth_digest.on": True}
        config.update({f"tools.auth_digest.{k}": v for k, v in options.items()})
        plugins = [pegboard_auth_digest]
        if basic is not None:
            config["tools.auth_basic.on"] = True
            config.update({f"tools.auth_basic.{k}": v for k, v in basic.items()})
            plugins.append(pegboard_auth_basic)
        config.update(extra or {})
        # Only these plugins: the tests must not depend on other tools' packages.
        app = make_app({"/": config}, plugins=plugins, discover=False)
        app.route("/", _whoami)
        app.route("/dir/index.html", _whoami)
        app.route("/echo", _echo)
        return app

    return build


@pytest.fixture
def protected(
    digest_app: Callable[..., Any], make_client: Callable[..., Any]
) -> Callable[..., Any]:
    """``protected(**options)`` -> a test client for ``digest_app(**options)``."""

    def build(**options: Any) -> Any:
        return make_client(digest_app(**options))

    return build


@pytest.fixture
def mufasa() -> DigestClient:
    return DigestClient("Mufasa", "Circle of Life")


@pytest.fixture
def challenge_of() -> Callable[..., dict[str, str]]:
    """``challenge_of(client, path="/", algorithm=None)`` -> the challenge of a 401."""

    def fetch(client: Any, path: str = "/", algorithm: str | None = None) -> dict[str, str]:
        result = client.get(path)
        assert result.status == 401
        challenges = digest_challenges(result)
        if algorithm is None:
            return challenges[0]
        return next(c for c in challenges if c["algorithm"] == algorithm)

    return fetch
