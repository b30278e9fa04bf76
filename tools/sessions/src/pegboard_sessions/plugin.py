"""The pegboard plugin hooks: the two tools, and the hookspec for third-party stores."""

from __future__ import annotations

from typing import Any

import pegboard

from . import hookspecs
from .session_auth import SessionAuthTool
from .tool import SessionsTool

__all__ = ["pegboard_add_hookspecs", "pegboard_tools"]


@pegboard.hookimpl
def pegboard_add_hookspecs(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool[Any]]:
    # The tools hold no state (an app's stores are in app.state), so any app may use them;
    # each plugin manager still gets its own pair, as the core asks every time.
    return [SessionsTool(), SessionAuthTool()]
