"""The extension point this package declares: cache backends from other packages.

A package provides a backend by implementing this hook in its pegboard plugin::

    @pegboard.hookimpl
    def pegboard_caching_backends():
        return {"dynamo": DynamoBackend}

and ``tools.caching.backend = "dynamo"`` selects it. The value is called with
a :class:`~pegboard_caching.BackendSettings` and returns a
:class:`~pegboard_caching.CacheBackend`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pegboard

if TYPE_CHECKING:
    from .backends.base import BackendSettings, CacheBackend

__all__ = ["pegboard_caching_backends"]


@pegboard.hookspec
def pegboard_caching_backends() -> Mapping[str, Callable[[BackendSettings], CacheBackend]]:  # type: ignore[empty-body]
    """Return the cache backends this plugin provides: name -> factory(settings) -> backend."""
