"""The installed entry point provides the tools and the backend hook (no code registration)."""

from __future__ import annotations

import pegboard


def test_the_entry_point_provides_caching_and_expires():
    app = pegboard.App({"/": {"tools.caching.on": True, "tools.expires.on": True}})
    try:
        app.start()
        assert app.tools.get("caching").distribution == "pegboard-caching"
        assert app.tools.get("expires").distribution == "pegboard-caching"
        assert hasattr(app.plugin_manager.hook, "pegboard_caching_backends")
    finally:
        app.stop()
