"""Type-checked, not run: the typed accessors of pegboard_sessions keep their types (mypy strict)."""

from __future__ import annotations

from typing import Any, Literal, assert_type

import pegboard
from pegboard import Request, Response
from pegboard_sessions import (
    Session,
    SessionAuthOptions,
    SessionAuthTool,
    SessionProxy,
    SessionsOptions,
    SessionsTool,
    StoreHandle,
    csrf_token,
    session,
    session_of,
    stores_of,
)

app = pegboard.App()


@app.route("/cart/add/{item}")
def add(req: Request, resp: Response, item: str) -> str:
    cart = session_of(req)
    assert_type(cart, Session)
    assert_type(cart.id, str)
    assert_type(cart.loaded, bool)
    assert_type(cart.locked, bool)
    assert_type(cart.get("cart"), Any)
    assert_type(cart.regenerate(), None)
    assert_type(cart.acquire_lock(), None)
    items: list[str] = cart.setdefault("cart", [])
    items.append(item)
    assert_type(csrf_token(cart), str)
    return f"{len(items)} items"


def without_req() -> str | None:
    assert_type(session, SessionProxy)
    assert_type(session.id, str)
    assert_type(session.expire(), None)
    user = session.get("user")
    return user if isinstance(user, str) else None


def options() -> None:
    sessions = SessionsOptions(storage_type="redis", url="redis://127.0.0.1:6379/0", timeout=30)
    assert_type(sessions.timeout, float)
    assert_type(sessions.max_sessions, int | None)
    assert_type(sessions.locking, Literal["implicit", "early", "explicit"])
    assert_type(SessionsTool().build_options({}, "/"), SessionsOptions)
    auth = SessionAuthOptions(check_username_and_password=lambda user, password: False)
    assert_type(auth.session_key, str)
    assert_type(SessionAuthTool().build_options({}, "/"), SessionAuthOptions)
    assert_type(stores_of(app), list[StoreHandle])
