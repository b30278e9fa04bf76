"""An RFC 9111 HTTP response cache for pegboard, on memory, Redis or Memcached.

This module is the package's pegboard plugin (entry point ``caching``): it
provides the ``caching`` and ``expires`` tools and declares the
``pegboard_caching_backends`` hook for backends from other packages. The
caching tool opens each app's stores when the app starts and closes them when
it stops. The purge API, the typed tag accessor, the options classes and the
backend base classes are importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pegboard

from . import hookspecs
from .backends.base import BackendError, BackendSettings, BytesBackend, CacheBackend
from .expires import ExpiresOptions, ExpiresTool, expires_tool
from .options import CachingOptions
from .purge import purge_all, purge_prefix, purge_tag
from .records import CachedResponse, VaryRecord
from .runtime import BackendFactory, builtin_backends
from .tags import cache_tags_of
from .tool import CachingTool

__all__ = [
    "BackendError",
    "BackendFactory",
    "BackendSettings",
    "BytesBackend",
    "CacheBackend",
    "CachedResponse",
    "CachingOptions",
    "CachingTool",
    "ExpiresOptions",
    "ExpiresTool",
    "VaryRecord",
    "cache_tags_of",
    "purge_all",
    "purge_prefix",
    "purge_tag",
]


@pegboard.hookimpl
def pegboard_add_hookspecs(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool[Any]]:
    return [CachingTool(), expires_tool()]


@pegboard.hookimpl
def pegboard_caching_backends() -> Mapping[str, BackendFactory]:
    return builtin_backends()
