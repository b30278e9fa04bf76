"""Fuzz the Digest Authorization parser and checks: 200, 400 or 401, never anything else.

Three levels per input:

- ``parse_credentials(text)``: checked credentials or ``MalformedHeader``;
- ``matches_request_target(uri, environ)``: a bool, for a fuzzed ``uri``
  against a fuzzed request path and query;
- apps with auth_digest on (every algorithm, qop auth and auth-int,
  userhash; one with Basic beside it, one with an htdigest file) called as a
  WSGI server would. The header is fuzzed text after ``Digest``, or a header
  that is right in every parameter but one, which gets a fuzzed value (a
  real nonce from the app's own challenge, the right response), so the
  deeper checks (realm, algorithm, qop, nonce, uri, nonce count, userhash,
  the response itself) are reached. The status is 200, 400 or 401.

    uv run python fuzz/run.py auth_digest --seconds 300

Last long run (-max_total_time=240, from the seeds): 526,287 inputs in 241 s
(about 2,200 a second on two shared cores), 45 corpus entries reaching 200,
400 and 401 answers, nothing found.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any
from urllib.request import parse_http_list, parse_keqv_list

import atheris
from fuzzlib import status_of, wire_text

import pegboard
import pegboard_auth_basic
import pegboard_auth_digest
from pegboard_auth_digest import MalformedHeader, parse_credentials
from pegboard_auth_digest.target import matches_request_target

INSTRUMENT = ["pegboard_auth_digest", "pegboard"]

REALM = "fuzz"
USERS = {"Mufasa": "Circle of Life", "J\u00f6rg": "\u00e9t\u00e9"}
HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}
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
]
_HTDIGEST = Path(tempfile.mkdtemp(prefix="fuzz-htdigest-")) / "htdigest"
_HTDIGEST.write_text(
    "".join(
        f"{user}:{REALM}:{hashlib.md5(f'{user}:{REALM}:{pw}'.encode()).hexdigest()}\n"
        for user, pw in USERS.items()
    ),
    encoding="utf-8",
)


def _app(basic: bool, htdigest: bool) -> pegboard.App:
    config: dict[str, Any] = {
        "tools.auth_digest.on": True,
        "tools.auth_digest.realm": REALM,
        "tools.auth_digest.key": "fuzz-key-0123456789abcdef",
        "tools.auth_digest.qop": ["auth", "auth-int"],
        "tools.auth_digest.userhash": True,
        "tools.auth_digest.max_nonces": 1000,
    }
    if htdigest:
        config["tools.auth_digest.htdigest"] = str(_HTDIGEST)
    else:
        config["tools.auth_digest.users"] = USERS
        config["tools.auth_digest.algorithms"] = [
            "SHA-512-256",
            "SHA-512-256-sess",
            "SHA-256",
            "SHA-256-sess",
            "MD5",
            "MD5-sess",
        ]
    plugins: list[Any] = [pegboard_auth_digest]
    if basic:
        config.update(
            {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": REALM,
                "tools.auth_basic.users": USERS,
            }
        )
        plugins.append(pegboard_auth_basic)
    app = pegboard.App({"/": config}, plugins=plugins, discover=False)
    app.route("/", lambda req, resp: f"in {req.login}")
    app.route("/dir/{name}", lambda req, resp, name: f"in {req.login}")
    app.start()
    return app


def _challenges(app: pegboard.App) -> list[dict[str, str]]:
    """The challenges of a 401 from ``app``, one per algorithm."""
    captured: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        captured.extend(v for k, v in headers if k == "WWW-Authenticate")
        return lambda data: None

    import io
    import sys

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "fuzz",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    list(app(environ, start_response))
    return [
        parse_keqv_list(parse_http_list(v.partition(" ")[2]))
        for v in captured
        if v.startswith("Digest ")
    ]


PATHS = [("/", "/"), ("/dir/a%20b", "/dir/a b"), ("/dir/%C3%A9", "/dir/\u00c3\u00a9")]
APPS = [_app(basic=False, htdigest=False), _app(basic=True, htdigest=True)]
CHALLENGES = [_challenges(app) for app in APPS]


def _h(algorithm: str, data: bytes) -> str:
    return hashlib.new(HASHES[algorithm.upper().removesuffix("-SESS")], data).hexdigest()


def _valid_params(
    challenge: dict[str, str], user: str, method: str, uri: str, body: bytes, nc: int, qop: str
) -> dict[str, str]:
    """Raw parameters of a right header (values quoted where RFC 7616 quotes them)."""
    algorithm = challenge["algorithm"]

    def h(text: str | bytes) -> str:
        return _h(algorithm, text.encode("utf-8") if isinstance(text, str) else text)

    nonce, cnonce, nc_text = challenge["nonce"], "0a4f113b", f"{nc:08x}"
    ha1 = h(f"{user}:{REALM}:{USERS[user]}")
    if algorithm.lower().endswith("-sess"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}:{h(body)}") if qop == "auth-int" else h(f"{method}:{uri}")
    response = h(f"{ha1}:{nonce}:{nc_text}:{cnonce}:{qop}:{ha2}")
    return {
        "username": f'"{user}"',
        "realm": f'"{REALM}"',
        "nonce": f'"{nonce}"',
        "uri": f'"{uri}"',
        "algorithm": algorithm,
        "response": f'"{response}"',
        "qop": qop,
        "nc": nc_text,
        "cnonce": f'"{cnonce}"',
    }


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fuzz_one(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    which = fdp.ConsumeIntInRange(0, len(APPS) - 1)
    app, challenges = APPS[which], CHALLENGES[which]
    method = fdp.PickValueInList(["GET", "POST"])
    # (the request target as sent, PATH_INFO as a server decodes it)
    uri, path = fdp.PickValueInList(PATHS)
    if mode == 0:
        header = "Digest " + wire_text(fdp.ConsumeBytes(atheris.ALL_REMAINING))
        body = b""
    elif mode == 1:
        header = wire_text(fdp.ConsumeBytes(atheris.ALL_REMAINING))
        body = b""
    else:
        challenge = fdp.PickValueInList(challenges)
        user = fdp.PickValueInList(sorted(USERS))
        qop = fdp.PickValueInList(["auth", "auth-int"])
        nc = fdp.ConsumeIntInRange(1, 5000)  # past 4096 a nonce is stale
        body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 16))
        params = _valid_params(challenge, user, method, uri, body, nc, qop)
        name = fdp.PickValueInList(NAMES)
        value = wire_text(fdp.ConsumeBytes(atheris.ALL_REMAINING))
        params[name] = _quote(value) if fdp.ConsumeBool() else value
        header = "Digest " + ", ".join(f"{k}={v}" for k, v in params.items())
    try:
        credentials = parse_credentials(header.partition(" ")[2])
    except MalformedHeader:
        credentials = None
    if credentials is not None:
        environ = {"PATH_INFO": path, "QUERY_STRING": ""}
        if not isinstance(matches_request_target(credentials.uri, environ), bool):
            raise AssertionError("matches_request_target must answer a bool")
    status = status_of(app, method, path, headers={"Authorization": header}, body=body)
    if status not in (200, 400, 401):
        raise AssertionError(f"status {status} for {method} {uri} Authorization {header!r}")


SEEDS = [
    b"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00",
    b"\x02\x01\x01\x01\x01\x01\x01\x00\x00\x00\x02\x05\x00\x00\x00",
    b'\x00\x00username="Mufasa", realm="fuzz", nonce="x", uri="/", response="0", qop=auth, '
    b'nc=00000001, cnonce="c"',
    b"\x00\x01username*=UTF-8''J%C3%B6rg, realm=fuzz",
    b'\x01\x00Digest username="a\\"b", realm="\xff"',
]
