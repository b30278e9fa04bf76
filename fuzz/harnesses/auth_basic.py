"""Fuzz the Basic Authorization parser: 200, 400 or 401, never anything else.

Two levels per input:

- ``parse_basic_token(token, charset)`` for every charset the tool can be
  configured with: a ``(user, password)`` pair or ``MalformedCredentials``;
- apps with auth_basic on (UTF-8, Latin-1, UTF-16 and Shift-JIS credentials,
  optional or not, Digest beside it) called as a WSGI server would, with the
  header as fuzzed text, or ``Basic`` + base64 of fuzzed bytes (so the
  decoded part is reached): the status is 200, 400 or 401.

    uv run python fuzz/run.py auth_basic --seconds 300

Last long run (-max_total_time=240, from the seeds): 878,052 inputs in 241 s
(about 3,600 a second on two shared cores), 24 corpus entries, nothing found.
"""

from __future__ import annotations

import base64
from typing import Any

import atheris
from fuzzlib import status_of, wire_text

import pegboard
import pegboard_auth_basic
import pegboard_auth_digest
from pegboard_auth_basic.credentials import MalformedCredentials, parse_basic_token

INSTRUMENT = ["pegboard_auth_basic", "pegboard"]

CHARSETS = ["utf-8", "iso8859-1", "utf-16", "shift_jis", "cp1252", "utf-32-be"]
USERS = {"alice": "wonderland", "J\u00f6rg": "\u00e9t\u00e9", "\u6771": "\u4eac"}
SCHEMES = ["Basic ", "basic ", "BASIC\t", "Basic", "Digest ", "Bearer ", ""]


def _app(charset: str, optional: bool, digest: bool) -> pegboard.App:
    config: dict[str, Any] = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "fuzz",
        "tools.auth_basic.users": USERS,
        "tools.auth_basic.accept_charset": charset,
        "tools.auth_basic.optional": optional,
    }
    plugins: list[Any] = [pegboard_auth_basic]
    if digest:
        config.update(
            {
                "tools.auth_digest.on": True,
                "tools.auth_digest.realm": "fuzz",
                "tools.auth_digest.key": "fuzz-key-0123456789abcdef",
                "tools.auth_digest.users": USERS,
            }
        )
        plugins.append(pegboard_auth_digest)
    app = pegboard.App({"/": config}, plugins=plugins, discover=False)
    app.route("/", lambda req, resp: f"in {req.login}")
    app.start()
    return app


APPS = [
    _app("utf-8", False, False),
    _app("latin-1", True, False),
    _app("utf-16", False, False),
    _app("shift_jis", False, True),
]


def fuzz_one(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    scheme = fdp.PickValueInList(SCHEMES)
    app = fdp.PickValueInList(APPS)
    raw = fdp.ConsumeBytes(atheris.ALL_REMAINING)
    if mode == 0:
        header = scheme + base64.b64encode(raw).decode("ascii")
    elif mode == 1:
        header = scheme + wire_text(raw)
    else:
        header = wire_text(raw)
    token = header.partition(" ")[2]
    for charset in CHARSETS:
        try:
            user, password = parse_basic_token(token, charset)
        except MalformedCredentials:
            continue
        if not isinstance(user, str) or not isinstance(password, str):
            raise AssertionError(f"{token!r} gave {user!r}, {password!r}")
    status = status_of(app, headers={"Authorization": header})
    if status not in (200, 400, 401):
        raise AssertionError(f"status {status} for Authorization {header!r}")


SEEDS = [
    b"\x00\x00\x00alice:wonderland",
    b"\x00\x00\x01J\xc3\xb6rg:\xc3\xa9t\xc3\xa9",
    b"\x00\x00\x02\xff\xfeJ\x00\xf6\x00r\x00g\x00:\x00",
    b"\x01\x00\x00YWxpY2U6d29uZGVybGFuZA==",
    b"\x01\x00\x00YWxpY2U6d29uZGVybGFuZA",
    b"\x02\x00\x00Basic \x00\x80\xff",
    b"\x00\x04\x03\x93\x8c:\x8b\x9e",
]
