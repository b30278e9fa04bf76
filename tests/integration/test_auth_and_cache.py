"""A cached page behind authentication: no hit, quick or not, ever skips the check."""

from __future__ import annotations

import base64
from typing import Any

import pegboard_auth_basic
import pegboard_caching


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_a_stored_private_page_is_never_served_without_credentials(
    make_app: Any, make_client: Any
) -> None:
    app = make_app(
        {
            "/": {"tools.caching.on": True},
            "/private": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "staff",
                "tools.auth_basic.users": {"ada": "secret"},
            },
        },
        plugins=[pegboard_caching, pegboard_auth_basic],
        discover=False,
    )
    calls = []

    @app.route("/private/report")
    def report(req: Any, resp: Any) -> str:
        calls.append(req.login)
        resp.headers["Cache-Control"] = "public, max-age=600"  # storable despite Authorization
        return "quarterly figures"

    @app.route("/open")
    def open_page(req: Any, resp: Any) -> str:
        return "hello"

    client = make_client(app)
    first = client.get("/private/report", headers=_basic("ada", "secret"))
    assert first.headers["Cache-Status"].endswith("stored")
    again = client.get("/private/report", headers=_basic("ada", "secret"))
    assert again.headers["Cache-Status"].startswith("pegboard; hit")
    assert calls == ["ada"]

    anonymous = client.get("/private/report")
    assert anonymous.status == 401
    assert "quarterly" not in anonymous.text
    wrong = client.get("/private/report", headers=_basic("ada", "guess"))
    assert wrong.status == 401

    # The two tools share the private path's plan, so it offers no quick answer;
    # the open path has caching alone, and does.
    plans = {plan.label: plan for plan in app.plans()}
    described = {label: "\n".join(plan.describe()) for label, plan in plans.items()}
    assert not any(
        "quick_answer" in text for label, text in described.items() if "private" in label
    )
    assert any("quick_answer" in text for label, text in described.items() if "open" in label)
