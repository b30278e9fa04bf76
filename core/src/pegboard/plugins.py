"""Plugin discovery through entry points (group ``pegboard``) and the tool registry."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, cast

import pluggy

from . import hookspecs
from .errors import ConfigError
from .tool import Tool, suggest

__all__ = ["ENTRY_POINT_GROUP", "PluginInfo", "ToolRegistry", "build_plugin_manager"]

ENTRY_POINT_GROUP = "pegboard"
DISABLE_ENV = "PEGBOARD_DISABLE_PLUGINS"


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """Where a plugin came from: its entry-point name and distribution."""

    name: str
    distribution: str
    version: str
    plugin: Any


@functools.lru_cache(maxsize=1)
def _entry_points() -> tuple[Any, ...]:
    # PERF: scanning installed distributions costs milliseconds; do it once per process.
    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def refresh_entry_points() -> None:
    """Forget the cached entry-point scan (after installing a package at run time)."""
    _entry_points.cache_clear()


def disabled_plugins(configured: Iterable[str] = ()) -> set[str]:
    """Names disabled by config (``plugins.disable``) and ``PEGBOARD_DISABLE_PLUGINS``."""
    names = {n.strip() for n in configured if n.strip()}
    names |= {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
    return names


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-")


def discover(disabled: set[str]) -> list[PluginInfo]:
    """Load every ``pegboard`` entry point whose name or distribution is not disabled."""
    off = {_normalise(n) for n in disabled}
    found = []
    for ep in _entry_points():
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else "<unknown>"
        if _normalise(ep.name) in off or _normalise(dist_name) in off:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise ConfigError(
                f"plugin {ep.name!r} from {dist_name} failed to import: {exc!r}; "
                f"fix or uninstall it, or disable it with plugins.disable or {DISABLE_ENV}"
            ) from exc
        found.append(PluginInfo(ep.name, dist_name, dist.version if dist else "", plugin))
    return found


class ToolRegistry:
    """Tools by name, each knowing the distribution that provided it."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def add(self, tool: Tool, distribution: str | None = None) -> None:
        if not isinstance(tool, Tool):
            raise TypeError(f"pegboard_tools() must return Tool objects, got {tool!r}")
        if distribution is not None:
            tool.distribution = distribution
        existing = self._tools.get(tool.name)
        if existing is not None and existing is not tool:
            raise ConfigError(
                f"two plugins provide the tool {tool.name!r}: "
                f"{existing.distribution or '<app code>'} and {tool.distribution or '<app code>'}; "
                f"disable one with plugins.disable or {DISABLE_ENV}"
            )
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def require(self, name: str, section: str, key: str) -> Tool:
        tool = self._tools.get(name)
        if tool is None:
            raise ConfigError(
                f"unknown tool {name!r}{suggest(name, self._tools)}", section=section, key=key
            )
        return tool

    def __iter__(self) -> Any:
        return iter(sorted(self._tools.values(), key=lambda t: t.name))

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)


def build_plugin_manager(
    extra: Iterable[Any], disabled: set[str], discover_installed: bool = True
) -> tuple[pluggy.PluginManager, ToolRegistry, list[PluginInfo]]:
    """Register installed plugins and ``extra`` ones; collect their tools."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    infos = discover(disabled) if discover_installed else []
    dist_of: dict[str, str | None] = {}
    for info in infos:
        if pm.is_registered(info.plugin):
            continue
        pm.register(info.plugin, name=info.name)
        dist_of[info.name] = info.distribution
    for index, plugin in enumerate(extra):
        if pm.is_registered(plugin):
            continue
        name = pm.register(plugin, name=f"app-plugin-{index}-{getattr(plugin, '__name__', '')}")
        if name is not None:
            dist_of[name] = None
    pm.hook.pegboard_add_hookspecs.call_historic(kwargs={"pluginmanager": pm})
    registry = ToolRegistry()
    # Call each implementation on its own so every tool is traced to its distribution.
    for impl in reversed(pm.hook.pegboard_tools.get_hookimpls()):
        provided = cast("Iterable[Tool]", impl.function() or ())
        for tool in provided:
            registry.add(tool, dist_of.get(impl.plugin_name))
    return pm, registry, infos
