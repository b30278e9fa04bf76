"""The pegboard plugin hooks: the tools, their hookspec, and their per-app lifecycle."""

from __future__ import annotations

import threading
from typing import Any

import pegboard

from . import hookspecs
from .session_auth import SessionAuthTool
from .tool import SessionsTool

__all__ = [
    "pegboard_add_hookspecs",
    "pegboard_app_start",
    "pegboard_app_stop",
    "pegboard_tools",
]

# The plugin manager being built in this thread, handed from pegboard_add_hookspecs to the
# pegboard_tools call that follows it, so the new tool can look up third-party backends.
_building = threading.local()


@pegboard.hookimpl
def pegboard_add_hookspecs(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)
    _building.plugin_manager = pluginmanager


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    plugin_manager = getattr(_building, "plugin_manager", None)
    _building.plugin_manager = None
    return [SessionsTool(plugin_manager), SessionAuthTool()]


def _tool_of(app: Any) -> SessionsTool | None:
    tool = app.tools.get("sessions")
    return tool if isinstance(tool, SessionsTool) else None


@pegboard.hookimpl
def pegboard_app_start(app: Any) -> None:
    tool = _tool_of(app)
    if tool is not None:
        tool.open_stores()


@pegboard.hookimpl
def pegboard_app_stop(app: Any) -> None:
    tool = _tool_of(app)
    if tool is not None:
        tool.close_stores()
