"""Fixtures for the auth_basic tests: Authorization headers and small protected apps."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

import pegboard_auth_basic


def basic_header(username: str | bytes, password: str | bytes, encoding: str = "utf-8") -> str:
    """``Basic base64(username:password)`` with the text encoded as ``encoding``."""
    user = username if isinstance(username, bytes) else username.encode(encoding)
    secret = password if isinstance(password, bytes) else password.encode(encoding)
    return "Basic " + base64.b64encode(user + b":" + secret).decode("ascii")


@pytest.fixture
def basic() -> Callable[..., dict[str, str]]:
    """``basic("alice", "pw")`` -> headers dict carrying those Basic credentials."""

    def headers(
        username: str | bytes, password: str | bytes, encoding: str = "utf-8"
    ) -> dict[str, str]:
        return {"Authorization": basic_header(username, password, encoding)}

    return headers


def _whoami(req: Any, resp: Any) -> str:
    return f"login={req.login}"


@pytest.fixture
def protected(make_app: Callable[..., Any], make_client: Callable[..., Any]) -> Callable[..., Any]:
    """``protected(**options)`` -> a client for an app whose "/" is behind auth_basic.

    The handler answers ``login=<req.login>``; options default to realm
    "shop" and users {"alice": "wonderland"}.
    """

    def build(**options: Any) -> Any:
        options.setdefault("realm", "shop")
        if not {"users", "htpasswd", "checkpassword"} & options.keys():
            options["users"] = {"alice": "wonderland"}
        config = {"tools.auth_basic.on": True}
        config.update({f"tools.auth_basic.{k}": v for k, v in options.items()})
        # Only this plugin: these tests must not depend on other tools' packages.
        app = make_app({"/": config}, plugins=[pegboard_auth_basic], discover=False)
        app.route("/", _whoami)
        app.route("/page", _whoami)
        return make_client(app)

    return build
