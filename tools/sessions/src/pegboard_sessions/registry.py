"""Which ``storage_type`` names exist: the built-in stores and those plugins register."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pegboard

from .settings import StorageConfig
from .storage import BUILTIN_STORAGES
from .storage.base import Storage

__all__ = ["BackendRegistry", "StorageFactory"]

StorageFactory = Callable[[StorageConfig], Storage]


class BackendRegistry:
    """Store names -> factories (Storage subclasses), with the package that provides each.

    Built-ins are import strings, imported only when configured, so a missing
    client library matters only to the app that uses that store. Plugins are
    asked once, through the ``pegboard_sessions_storage_types`` hook.
    """

    def __init__(self, plugin_manager: Any = None) -> None:
        #: the app's pluggy plugin manager (None: the built-in stores only)
        self.plugin_manager = plugin_manager
        self._found: dict[str, tuple[Any, str]] | None = None

    def _all(self) -> dict[str, tuple[Any, str]]:
        if self._found is None:
            found: dict[str, tuple[Any, str]] = {
                name: (target, "pegboard-sessions") for name, target in BUILTIN_STORAGES.items()
            }
            pm = self.plugin_manager
            if pm is not None and hasattr(pm.hook, "pegboard_sessions_storage_types"):
                # One implementation at a time, so a clash can name both providers.
                for impl in reversed(pm.hook.pegboard_sessions_storage_types.get_hookimpls()):
                    for name, factory in (impl.function() or {}).items():
                        if name in found:
                            raise pegboard.ConfigError(
                                f"two plugins provide the session storage_type {name!r}: "
                                f"{found[name][1]} and {impl.plugin_name}"
                            )
                        found[name] = (factory, impl.plugin_name)
            self._found = found
        return self._found

    def names(self) -> list[str]:
        """Every known ``storage_type``, sorted."""
        return sorted(self._all())

    def __contains__(self, name: object) -> bool:
        return name in self._all()

    def factory(self, storage_type: str, section: str = "") -> StorageFactory:
        """The Storage class (or factory) for ``storage_type``, imported if built in."""
        target = self._all()[storage_type][0]
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            try:
                target = getattr(importlib.import_module(module_name), attr)
            except ImportError as exc:
                raise pegboard.ConfigError(
                    f"storage_type {storage_type!r} cannot be loaded: {exc}",
                    section=section,
                    key="tools.sessions.storage_type",
                ) from None
        factory: StorageFactory = target
        return factory
