"""Each tool's declared hooks (``Tool.hooks``, the generated ordering table) are what it attaches."""

from __future__ import annotations

import pytest

from pegboard_http import TOOLS

#: Options under which each tool attaches every hook it can.
FULL = {
    "proxy": {"remote": "X-Forwarded-For"},
    "response_headers": {"headers": {"X-Frame-Options": "DENY"}},
    "referer": {"pattern": "^https://example\\.com/"},
    "redirect": {"url": "/elsewhere"},
    "err_redirect": {"url": "/oops"},
    "accept": {"media": ["text/html"]},
}


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_the_declared_hooks_are_the_attached_ones(make_app, tool):
    options = {f"tools.{tool.name}.{k}": v for k, v in FULL.get(tool.name, {}).items()}
    app = make_app({"/": {f"tools.{tool.name}.on": True, **options}})
    app.route("/page", lambda req, resp: "page")
    app.start()
    try:
        attached = sorted(
            (point, hook.priority, hook.failsafe)
            for plan in app.plans()
            for point, hooks in plan.hooks.items()
            for hook in hooks
            if hook.source == tool.name
        )
    finally:
        app.stop()
    declared = sorted((h.point, h.priority, h.failsafe) for h in tool.hooks if not h.per_request)
    assert sorted(set(attached)) == declared
    assert all(h.does for h in tool.hooks), "every declared hook says what it does"
