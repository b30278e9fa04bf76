"""Application-level hook specifications that pegboard plugins implement (pluggy)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import argparse

    from .app import App
    from .tool import Tool

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("pegboard")
hookimpl = pluggy.HookimplMarker("pegboard")


@hookspec
def pegboard_tools() -> Iterable[Tool]:  # type: ignore[empty-body]
    """Return the Tool objects this plugin provides."""


@hookspec
def pegboard_app_start(app: App) -> None:
    """Open what the plugin's tools need for ``app`` (pools, threads); runs once per start."""


@hookspec
def pegboard_app_stop(app: App) -> None:
    """Close what ``pegboard_app_start`` opened."""


@hookspec
def pegboard_config_namespaces() -> Mapping[str, Callable[[str, Any], Any] | None]:  # type: ignore[empty-body]
    """Config namespaces this plugin adds: name -> ``validate(key, value) -> value`` or None."""


@hookspec(historic=True)
def pegboard_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Add hookspecs of the plugin's own (for example storage backends from other packages)."""


@hookspec
def pegboard_cli_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add subcommands to the ``pegboard`` command line."""
